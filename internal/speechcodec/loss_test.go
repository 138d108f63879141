package speechcodec

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tirevoice/assistant/internal/audio"
)

// The phone line loses 20 ms frames in two ways, and the decoder survives
// both: a lost frame the line joins over (a deletion: the caller's packets
// that Asterisk never forwards) and a lost frame the line fills with
// silence or with its noise alone (a hole: the caller's phone playing out
// a lost packet of the bot's). Frames are counted from the first sample of
// the stream the decoder hears, so the frame grid falls anywhere on the
// codec's symbols.

type lossForm int

const (
	deletion  lossForm = iota
	hole               // silence
	noiseHole          // the line's noise only
)

func (f lossForm) String() string { return [...]string{"deletion", "hole", "noise hole"}[f] }

// lossyLine is a stream as the decoder hears it before any loss: the
// phrase with silence around it, through mu-law and with white noise at
// 20 dB SNR, at the decoder's rate; noise is the line's noise alone, at the
// same rate, for noise holes.
type lossyLine struct {
	rate         audio.Rate
	stream       audio.PCM16
	noise        audio.PCM16
	start, end   int // the phrase in stream, in samples
	frameSamples int
}

func newLossyLine(rng *rand.Rand, phrase audio.PCM16, r audio.Rate, lead, trail time.Duration) *lossyLine {
	clean := slices.Concat(silence(lead), phrase, silence(trail))
	noise := addNoise(rng, make(audio.PCM16, len(clean)), rms(phrase)/10)
	mixed := make(audio.PCM16, len(clean))
	for i := range clean {
		mixed[i] = clip(float64(clean[i]) + float64(noise[i]))
	}
	mixed = mulaw(mixed)
	noise = mulaw(noise)
	l := &lossyLine{rate: r, stream: mixed, noise: noise, frameSamples: r.FrameSamples()}
	l.start, l.end = rate.Samples(lead), rate.Samples(lead)+len(phrase)
	if r != rate {
		l.stream = resample(mixed, rate, r)
		l.noise = resample(noise, rate, r)
		d := rate.Samples(audio.NewResampler(rate, r).Delay())
		l.start = (l.start + d) * int(r) / int(rate)
		l.end = (l.end + d) * int(r) / int(rate)
	}
	return l
}

// lose returns the stream with n frames lost from frame f on, in form.
func (l *lossyLine) lose(dst audio.PCM16, form lossForm, f, n int) audio.PCM16 {
	a := min(f*l.frameSamples, len(l.stream))
	b := min((f+n)*l.frameSamples, len(l.stream))
	dst = append(dst[:0], l.stream[:a]...)
	switch form {
	case hole:
		dst = append(dst, make(audio.PCM16, b-a)...)
	case noiseHole:
		dst = append(dst, l.noise[a:b]...)
	}
	return append(dst, l.stream[b:]...)
}

// frames is the range of frames that hold some of the phrase.
func (l *lossyLine) frames() (first, last int) {
	return l.start / l.frameSamples, (l.end - 1) / l.frameSamples
}

// hearOne decodes p in 20 ms frames and returns what it heard, if exactly
// one phrase.
func hearOne(d *Decoder, p audio.PCM16) (Phrase, int) {
	d.Reset()
	var got Phrase
	n := 0
	fs := d.Rate().FrameSamples()
	for i := 0; i < len(p); i += fs {
		for _, ph := range d.Write(p[i:min(i+fs, len(p))]) {
			got = ph
			n++
		}
	}
	for _, ph := range d.Flush() {
		got = ph
		n++
	}
	return got, n
}

// lossTexts is what a shop assistant says, short and long, with digits,
// prices and brand names.
var lossTexts = []struct{ name, text string }{
	{"yes", "Да"},
	{"greeting", "Здравствуйте! Шинный центр, голосовой помощник. Чем могу помочь?"},
	{"tire size", "205/55 R16, зимние, Nokian Hakkapeliitta 10"},
	{"price", "Итого 12 480 ₽ за четыре шины Michelin X-Ice North 4, шиномонтаж 2 400 ₽."},
	{"order", "Ваш заказ № 1024-577 готов к выдаче на Ленинском проспекте, 14, с 9:00 до 21:00."},
	{"long", "Могу предложить Continental IceContact 3 за 8 950 рублей или Pirelli Ice Zero 2 за 7 300 рублей за штуку. " +
		"Шиномонтаж для R16 стоит 2 400 рублей за комплект. Записать вас на субботу?"},
	{"full 1 KiB", fullText()},
}

// Every single loss of 1, 2 or 3 frames, as a deletion and as a hole
// (silent or the line's noise alone, by turns), at every frame of the
// phrase, at 8 and 16 kHz, through mu-law and with noise: every one decodes
// exactly. Each loss comes at one of a sweep of alignments of the frame
// grid on the symbols, in turn, so that every alignment meets every part of
// the phrase. In the longest texts only every stride-th frame of the middle
// is tried; every frame of the start (preamble, header) and of the end is.
func TestSingleLoss(t *testing.T) {
	enc := NewEncoder()
	// Where the phrase starts in its first frame, in 8 kHz samples: both
	// symbols of a frame, their edges and guards, and the middle.
	offsets := []int{0, 1, 4, 7, 8, 9, 20, 33, 40, 47, 60, 71, 72, 73, 76, 79, 80, 81, 88, 113, 120, 152, 159}
	for _, r := range []audio.Rate{audio.Rate8k, audio.Rate16k} {
		for ti, tx := range lossTexts {
			phrase := mustEncode(t, enc, tx.text)
			long := len(phrase) > 20*rate.Samples(time.Second)
			if long && r != audio.Rate8k {
				continue // 8 kHz will do: resampling is tried on all the others
			}
			t.Run(r.String()+"/"+tx.name, func(t *testing.T) {
				t.Parallel()
				rng := rand.New(rand.NewPCG(uint64(r), uint64(ti)))
				lines := make([]*lossyLine, len(offsets))
				for i, off := range offsets {
					lines[i] = newLossyLine(rng, phrase, r, 120*time.Millisecond+rate.Duration(off), 200*time.Millisecond)
				}
				stride := 1 + len(phrase)/rate.Samples(3*time.Second)
				edges := true // every frame of the start and end
				if raceDetector {
					stride, edges = 3*stride, false
				}
				d := NewDecoder(r)
				var buf audio.PCM16
				trials := 0
				first, last := lines[0].frames()
				for k := 0; first+k <= last+1; k++ {
					if (!edges || k >= 40 && first+k < last-8) && k%stride != 0 {
						continue
					}
					for n := 1; n <= 3; n++ {
						for _, form := range []lossForm{deletion, hole + lossForm(k%2)} {
							oi := (7*k + 3*n + int(form)) % len(offsets)
							line := lines[oi]
							f, _ := line.frames()
							trials++
							buf = line.lose(buf, form, f+k, n)
							got, heard := hearOne(d, buf)
							if heard != 1 || !got.OK || got.Text != tx.text {
								t.Errorf("%v of %d frames at frame %d of the phrase, which starts %d samples into its first: heard %d phrases, OK=%v %.40q",
									form, n, k, offsets[oi], heard, got.OK, got.Text)
							}
						}
					}
				}
				t.Logf("%d losses", trials)
			})
		}
	}
}

// The shortest phrase is little but preamble, header and tail, the parts
// a loss hurts most: every single loss of it at every alignment of the
// sweep decodes exactly.
func TestSingleLossEveryAlignment(t *testing.T) {
	enc := NewEncoder()
	phrase := mustEncode(t, enc, lossTexts[0].text)
	for _, r := range []audio.Rate{audio.Rate8k, audio.Rate16k} {
		if raceDetector && r != audio.Rate8k {
			continue
		}
		t.Run(r.String(), func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(uint64(r), 99))
			d := NewDecoder(r)
			var buf audio.PCM16
			trials := 0
			step := 5 * int(r/audio.Rate8k) // samples between alignments tried
			if raceDetector {
				step *= 3
			}
			for off := 0; off < 2*symLen; off += step {
				line := newLossyLine(rng, phrase, r, 120*time.Millisecond+rate.Duration(off), 200*time.Millisecond)
				first, last := line.frames()
				for f := first; f <= last+1; f++ {
					for n := 1; n <= 3; n++ {
						for _, form := range []lossForm{deletion, hole, noiseHole} {
							trials++
							buf = line.lose(buf, form, f, n)
							if got, heard := hearOne(d, buf); heard != 1 || !got.OK || got.Text != lossTexts[0].text {
								t.Errorf("%v of %d frames at frame %d of the phrase, which starts %d samples into its first: heard %d phrases, OK=%v %q",
									form, n, f-first, off, heard, got.OK, got.Text)
							}
						}
					}
				}
			}
			t.Logf("%d losses", trials)
		})
	}
}

// randomLoss loses each frame of the stream with probability p, and starts
// a burst of 2 or 3 frames with probability p/10.
func randomLoss(rng *rand.Rand, l *lossyLine, form lossForm, p float64) (audio.PCM16, int) {
	var out audio.PCM16
	fs := l.frameSamples
	lost := 0
	for f := 0; f*fs < len(l.stream); {
		n := 0
		switch u := rng.Float64(); {
		case u < p/10:
			n = 2 + rng.IntN(2)
		case u < p/10+p:
			n = 1
		}
		a := f * fs
		b := min((f+max(n, 1))*fs, len(l.stream))
		switch {
		case n == 0:
			out = append(out, l.stream[a:b]...)
		case form == hole:
			out = append(out, make(audio.PCM16, b-a)...)
		case form == noiseHole:
			out = append(out, l.noise[a:b]...)
		}
		if n > 0 && a < l.end && b > l.start {
			lost += n
		}
		f += max(n, 1)
	}
	return out, lost
}

// randomPhrase is a sentence of lo to hi characters as the assistant says
// them: Russian words, numbers, prices, brand names.
func randomPhrase(rng *rand.Rand, lo, hi int) string {
	n := lo + rng.IntN(hi-lo+1)
	words := strings.Fields("шины диски зимние летние шипованные шиномонтаж балансировка запись заказ номер " +
		"склад доставка завтра сегодня рублей штуку комплект размер радиус R16 R17 205/55 225/45 " +
		"Nokian Michelin Continental Pirelli Bridgestone Hakkapeliitta X-Ice 12 480 9:30 № 1024 ₽ да нет, спасибо.")
	var s []rune
	for len(s) < n {
		if len(s) > 0 {
			s = append(s, ' ')
		}
		s = append(s, []rune(words[rng.IntN(len(words))])...)
	}
	return strings.TrimSpace(string(s[:n]))
}

// Random loss of 2 % of the frames, and bursts, in each form, over
// hundreds of phrases of 100 to 200 characters: every one decodes exactly.
func TestRandomLoss(t *testing.T) {
	enc := NewEncoder()
	phrases := 150 // per subtest
	if raceDetector {
		phrases = 30
	}
	for _, form := range []lossForm{deletion, hole} {
		for _, r := range []audio.Rate{audio.Rate8k, audio.Rate16k} {
			if form == hole && r == audio.Rate16k {
				form = noiseHole
			}
			t.Run(form.String()+"/"+r.String(), func(t *testing.T) {
				t.Parallel()
				rng := rand.New(rand.NewPCG(uint64(form), uint64(r)))
				d := NewDecoder(r)
				var lost int
				for i := range phrases {
					text := randomPhrase(rng, 100, 200)
					line := newLossyLine(rng, mustEncode(t, enc, text), r, time.Duration(200+rng.IntN(40))*time.Millisecond, 300*time.Millisecond)
					in, n := randomLoss(rng, line, form, 0.02)
					lost += n
					got, heard := hearOne(d, in)
					if heard != 1 || !got.OK || got.Text != text {
						t.Errorf("phrase %d (%d frames lost): heard %d phrases, OK=%v %.40q", i, n, heard, got.OK, got.Text)
					}
				}
				t.Logf("%d phrases, %d frames lost", phrases, lost)
			})
		}
	}
}

// BenchmarkLossRate measures how often a phrase of 100 to 200 characters
// (and, apart, of 20 to 60) is lost to random frame loss (each frame lost
// with probability p, bursts of 2 or 3 frames starting with probability
// p/10), over 10,000 phrases per case at 8 kHz, through mu-law and with
// noise at 20 dB SNR. It reports the share of phrases not heard exactly
// (failed/phrase); run it once:
//
//	go test -run=NONE -bench=LossRate -benchtime=1x ./internal/speechcodec/
func BenchmarkLossRate(b *testing.B) {
	const phrases = 10000
	enc := NewEncoder()
	type size struct{ lo, hi int }
	for _, sz := range []size{{100, 200}, {20, 60}} {
		for _, p := range []float64{0.02, 0.04} {
			for _, form := range []lossForm{deletion, hole} {
				b.Run(fmt.Sprintf("%d-%d/%g%%/%v", sz.lo, sz.hi, 100*p, form), func(b *testing.B) {
					for b.Loop() {
						rng := rand.New(rand.NewPCG(uint64(100*p), uint64(form)))
						d := NewDecoder(audio.Rate8k)
						failed, lost := 0, 0
						for range phrases {
							text := randomPhrase(rng, sz.lo, sz.hi)
							line := newLossyLine(rng, mustEncode(b, enc, text), audio.Rate8k, time.Duration(200+rng.IntN(40))*time.Millisecond, 300*time.Millisecond)
							in, n := randomLoss(rng, line, form, p)
							lost += n
							if got, heard := hearOne(d, in); heard != 1 || !got.OK || got.Text != text {
								failed++
							}
						}
						b.ReportMetric(float64(failed)/phrases, "failed/phrase")
						b.ReportMetric(float64(lost)/phrases, "lost-frames/phrase")
					}
				})
			}
		}
	}
}
