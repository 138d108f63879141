package speechcodec

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tirevoice/assistant/internal/audio"
)

// randomText returns up to n runes drawn from Russian, English, digits,
// punctuation and a few emoji.
func randomText(rng *rand.Rand, n int) string {
	pools := []string{
		"абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ",
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
		"0123456789 .,!?-/:;()«»№—",
		"🚗🛞👍😀日本",
	}
	var b strings.Builder
	for range 1 + rng.IntN(n) {
		pool := []rune(pools[rng.IntN(len(pools))])
		b.WriteRune(pool[rng.IntN(len(pool))])
	}
	return b.String()
}

// The signal never holds a DTMF pair: no 20 or 40 ms window of it, at any
// offset, straight or through mu-law, makes a DTMF detector fire.
func TestNoDTMF(t *testing.T) {
	enc := NewEncoder()
	rng := rand.New(rand.NewPCG(21, 22))
	const step = 40 // 5 ms between windows
	var windows int
	for i := range 300 {
		p := mustEncode(t, enc, randomText(rng, 12))
		for _, line := range []struct {
			name string
			p    audio.PCM16
		}{{"linear", p}, {"mu-law", mulaw(p)}} {
			for _, w := range []int{160, 320} {
				for o := 0; o+w <= len(line.p); o += step {
					windows++
					if digit, ok := audio.DetectDTMF(line.p[o:o+w], audio.Rate8k); ok {
						t.Fatalf("text %d (%s): DTMF %q detected in the %d ms window at %v", i, line.name, digit, w/8, audio.Rate8k.Duration(o))
					}
				}
			}
		}
	}
	// The detector itself hears a digit at the codec's level.
	lo, hi, _ := audio.DTMFTone('0')
	var pair audio.PCM16
	for i := range 160 {
		x := float64(i) / 8000
		pair = append(pair, clip(amplitude/2*(math.Sin(2*math.Pi*lo*x)+math.Sin(2*math.Pi*hi*x))))
	}
	if d, ok := audio.DetectDTMF(pair, audio.Rate8k); !ok || d != '0' {
		t.Fatalf("the detector misses a DTMF 0 at the codec's level: %q %v", d, ok)
	}
	t.Logf("%d windows, no DTMF", windows)
}

// Phrases run at a speech-like rate: 10 to 40 characters a second, and
// Russian sentences of 40 to 200 characters at 18 or more (every call
// scenario plays in real time).
func TestSpeechRate(t *testing.T) {
	enc := NewEncoder()
	for _, text := range []string{
		"Здравствуйте! Чем могу помочь?",
		"Какие шины вас интересуют: летние или зимние?",
		"Ваш заказ номер 12345 готов к выдаче на Ленинском проспекте.",
		"Соединяю с оператором, оставайтесь на линии.",
		"Hello, how can I help you?",
		"Your order is ready for pickup tomorrow after ten.",
		"205/55 R16, зимние, Nokian",
		strings.Repeat("ш", 40),
		strings.Repeat("ш", 100),
		strings.Repeat("ш", 200),
	} {
		t.Run(text, func(t *testing.T) {
			d := enc.Duration(text)
			n := utf8.RuneCountInString(text)
			cps := float64(n) / d.Seconds()
			if cps < 10 || cps > 40 {
				t.Errorf("%.1f characters per second (%v for %d), want 10..40", cps, d, n)
			}
			if n >= 40 && cps < 18 {
				t.Errorf("%.1f characters per second (%v for %d), want 18 or more", cps, d, n)
			}
			t.Logf("%d characters in %v: %.1f a second", n, d, cps)
		})
	}
}

// To a VAD the signal is speech: every 20 ms frame of a phrase carries
// steady energy far above the silence around it, with no gap inside.
func TestSpeechLikeEnergy(t *testing.T) {
	enc := NewEncoder()
	p := mustEncode(t, enc, "Здравствуйте! Чем могу помочь?")
	if len(p)%160 != 0 {
		t.Fatalf("phrase of %d samples is not whole 20 ms frames", len(p))
	}
	for i := 0; i < len(p); i += 160 {
		e := audio.Energy(p[i : i+160])
		if db := 10 * math.Log10(e/(32767*32767/2)); db < -20 || db > -12 {
			t.Errorf("frame at %v: %.1f dBFS, want a steady -15 dBFS or so", audio.Rate8k.Duration(i), db)
		}
	}
	if p[0] != 0 || math.Abs(float64(p[len(p)-1])) > amplitude/10 {
		t.Errorf("phrase starts at %d and ends at %d: want a fade in and out", p[0], p[len(p)-1])
	}
	// After -20 dB and 20 dB SNR noise the frames still stand 20 dB over
	// the silence between phrases.
	rng := rand.New(rand.NewPCG(31, 32))
	q := addNoise(rng, gain(append(silence(200*time.Millisecond), p...), -20), rms(p)/100)
	quiet := audio.Energy(q[:1600])
	for i := 1600; i < len(q); i += 160 {
		if r := 10 * math.Log10(audio.Energy(q[i:i+160])/quiet); r < 18 {
			t.Errorf("frame at %v only %.1f dB over the silence", audio.Rate8k.Duration(i), r)
		}
	}
}

func TestTextMapping(t *testing.T) {
	// Every Windows-1251 character takes one byte, everything else its UTF-8
	// plus an escape, and all of it comes back.
	for b := 0x80; b <= 0xFF; b++ {
		if b == escape {
			continue
		}
		var s string
		if b >= 0xC0 {
			s = string(rune(b-0xC0) + 0x0410)
		} else {
			s = string(cp1251High[b-0x80])
		}
		if got := appendText(nil, s); len(got) != 1 || got[0] != byte(b) {
			t.Errorf("%q -> % x, want %02x", s, got, b)
		}
	}
	for _, tx := range texts {
		b := appendText(nil, tx.text)
		if len(b) != textLen(tx.text) {
			t.Errorf("%s: textLen %d, appendText %d bytes", tx.name, textLen(tx.text), len(b))
		}
		got, ok := appendDecodedText(nil, b)
		if !ok || string(got) != tx.text {
			t.Errorf("%s: came back as %q, %v", tx.name, got, ok)
		}
	}
	for _, bad := range [][]byte{{escape}, {escape, 0xFF}, {escape, 'a'}, {escape, 0xD0, 0x90}, {escape, 0xF0, 0x9F}} {
		if got, ok := appendDecodedText(nil, bad); ok {
			t.Errorf("% x decoded as %q, want rejected", bad, got)
		}
	}
	if n := textLen(strings.Repeat("ä", MaxText/2)); n != maxPayload {
		t.Errorf("worst case payload %d bytes, maxPayload %d", n, maxPayload)
	}
}

func TestDecoderNoAllocs(t *testing.T) {
	enc := NewEncoder()
	p := mustEncode(t, enc, strings.Repeat("Шины зимние. ", 20))
	for _, r := range []audio.Rate{audio.Rate8k, audio.Rate16k} {
		in := p
		if r != audio.Rate8k {
			in = resample(p, audio.Rate8k, r)
		}
		d := NewDecoder(r)
		n := r.FrameSamples()
		// Warm up through a whole phrase so every buffer has its size.
		for i := 0; i+n <= len(in); i += n {
			d.Write(in[i : i+n])
		}
		d.Write(make(audio.PCM16, r.Samples(time.Second)))
		quiet := make(audio.PCM16, n)
		if a := testing.AllocsPerRun(100, func() { d.Write(quiet) }); a != 0 {
			t.Errorf("%v: %v allocations per 20 ms of silence", r, a)
		}
		d.Reset()
		i := 0
		if a := testing.AllocsPerRun(100, func() { d.Write(in[i : i+n]); i += n }); a != 0 {
			t.Errorf("%v: %v allocations per 20 ms inside a phrase", r, a)
		}
	}
}

func TestDecoderReset(t *testing.T) {
	enc := NewEncoder()
	p := append(silence(100*time.Millisecond), mustEncode(t, enc, "раз два")...)
	p = append(p, silence(100*time.Millisecond)...)
	d := NewDecoder(audio.Rate16k)
	in := resample(p, audio.Rate8k, audio.Rate16k)
	d.Write(in[:len(in)/2])
	if !d.Busy() {
		t.Fatal("not busy half way through a phrase")
	}
	d.Reset()
	if d.Busy() {
		t.Fatal("busy after Reset")
	}
	got := feed(d, in, frames(audio.Rate16k))
	start := 100*time.Millisecond + audio.NewResampler(audio.Rate8k, audio.Rate16k).Delay()
	if len(got) != 1 || !got[0].OK || got[0].Text != "раз два" || !near(got[0].Start, start, time.Millisecond) {
		t.Fatalf("after Reset heard %+v", got)
	}
	if d.Rate() != audio.Rate16k || d.String() == "" {
		t.Errorf("Rate %v, String %q", d.Rate(), d.String())
	}
}
