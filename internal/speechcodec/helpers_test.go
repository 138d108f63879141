package speechcodec

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/tirevoice/assistant/internal/audio"
)

// texts is what the round-trip tests say, one named case per kind of text.
var texts = []struct{ name, text string }{
	{"greeting", "Здравствуйте! Чем могу помочь?"},
	{"tire size", "205/55 R16, зимние, Nokian"},
	{"order number", "Номер заказа 12345"},
	{"english", "Hello, I need four winter tyres for a Skoda Octavia."},
	{"digits and punctuation", "0123456789 !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"},
	{"windows-1251 signs", "«Ёлка» № 5 — €100… ‘ї’ “Ґ”"},
	{"emoji and other scripts", "Шины 🚗🛞 — 日本語, ελληνικά, עברית, 👍🏽 👨‍👩‍👧"},
	{"control and edge runes", "\x00\t\r\n\x7f\u0098\uFFFD\U0010FFFF"},
	{"single letter", "Я"},
	{"single ascii", "a"},
	{"empty", ""},
	{"full 1 KiB", fullText()},
}

// fullText is exactly MaxText bytes of mixed Russian, English and emoji.
func fullText() string {
	var b strings.Builder
	parts := []string{"Шиномонтаж на Ленинском, 14: ", "Nokian Hakkapeliitta 10 ", "🛞 ", "запись на 9:30. "}
	for i := 0; b.Len() < MaxText-8; i++ {
		b.WriteString(parts[i%len(parts)])
	}
	s := b.String()
	for len(s) > MaxText-8 {
		s = s[:len(s)-1]
	}
	s = strings.ToValidUTF8(s, "")
	return s + strings.Repeat("!", MaxText-len(s))
}

func mustEncode(t testing.TB, e *Encoder, text string) audio.PCM16 {
	t.Helper()
	p, err := e.Encode(text)
	if err != nil {
		t.Fatalf("Encode(%.40q): %v", text, err)
	}
	return p
}

func silence(d time.Duration) audio.PCM16 { return make(audio.PCM16, rate.Samples(d)) }

func gain(p audio.PCM16, db float64) audio.PCM16 {
	g := math.Pow(10, db/20)
	out := make(audio.PCM16, len(p))
	for i, s := range p {
		out[i] = clip(float64(s) * g)
	}
	return out
}

func clip(v float64) int16 {
	return int16(max(min(math.Round(v), math.MaxInt16), math.MinInt16))
}

func rms(p audio.PCM16) float64 { return math.Sqrt(audio.Energy(p)) }

// addNoise adds white Gaussian noise of the given RMS to the whole of p.
func addNoise(rng *rand.Rand, p audio.PCM16, noiseRMS float64) audio.PCM16 {
	out := make(audio.PCM16, len(p))
	for i, s := range p {
		out[i] = clip(float64(s) + rng.NormFloat64()*noiseRMS)
	}
	return out
}

func mulaw(p audio.PCM16) audio.PCM16 { return audio.MulawDecode(nil, audio.MulawEncode(nil, p)) }
func alaw(p audio.PCM16) audio.PCM16  { return audio.AlawDecode(nil, audio.AlawEncode(nil, p)) }

// resample converts p, followed by enough silence to flush the filter: the
// line goes on after the phrase, so the phrase's end is not lost.
func resample(p audio.PCM16, from, to audio.Rate) audio.PCM16 {
	r := audio.NewResampler(from, to)
	out := r.Process(nil, p)
	return r.Process(out, make(audio.PCM16, 2*from.Samples(r.Delay())))
}

// feed writes p to d in chunks (sizes from chunk) and then flushes it,
// returning every phrase with the stream position (in samples) at the end of
// the chunk that produced it.
type heard struct {
	Phrase
	at int // samples written when it was reported
}

func feed(d *Decoder, p audio.PCM16, chunk func() int) []heard {
	var out []heard
	n := 0
	for len(p) > 0 {
		k := min(max(chunk(), 1), len(p))
		n += k
		for _, ph := range d.Write(p[:k]) {
			out = append(out, heard{ph, n})
		}
		p = p[k:]
	}
	for _, ph := range d.Flush() {
		out = append(out, heard{ph, n})
	}
	return out
}

func frames(r audio.Rate) func() int { return func() int { return r.FrameSamples() } }

func randomChunks(rng *rand.Rand) func() int { return func() int { return 1 + rng.IntN(500) } }

func near(a, b, tol time.Duration) bool { return a-b <= tol && b-a <= tol }
