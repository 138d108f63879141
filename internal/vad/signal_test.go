package vad

import (
	"math"
	"math/rand/v2"

	"github.com/tirevoice/assistant/internal/audio"
)

// Synthetic signals at 8 kHz, as float samples in int16 units.

const sampleRate = 8000

var frameLen = audio.Rate8k.FrameSamples()

// amp is the RMS amplitude of a signal at lvl dBFS.
func amp(lvl float64) float64 { return 32768 * math.Pow(10, lvl/20) }

// tone is a sine at f Hz and lvl dBFS (RMS), n samples long.
func tone(f, lvl float64, n int) []float64 {
	x := make([]float64, n)
	a := amp(lvl) * math.Sqrt2
	for i := range x {
		x[i] = a * math.Sin(2*math.Pi*f*float64(i)/sampleRate)
	}
	return x
}

// noise is white Gaussian noise at lvl dBFS, n samples long.
func noise(rng *rand.Rand, lvl float64, n int) []float64 {
	x := make([]float64, n)
	if lvl <= SilenceLevel {
		return x
	}
	a := amp(lvl)
	for i := range x {
		x[i] = a * rng.NormFloat64()
	}
	return x
}

// speech is a speech-like signal n samples long: words of 2..5 syllables,
// each a harmonic tone (pitch 90..220 Hz, two random formants) under a
// raised-cosine envelope of 80..250 ms, 20..80 ms between syllables and
// 120..350 ms between words. The level over its syllables is lvl dBFS.
func speech(rng *rand.Rand, lvl float64, n int) []float64 {
	x := make([]float64, n)
	var sum float64
	var active int
	i := 0
	for i < n {
		for s := 2 + rng.IntN(4); s > 0 && i < n; s-- {
			m := ms(80 + rng.IntN(170))
			f0 := 90 + 130*rng.Float64()
			f1 := 300 + 600*rng.Float64()
			f2 := 900 + 1600*rng.Float64()
			peak := 0.5 + 0.5*rng.Float64()
			for j := 0; j < m && i+j < n; j++ {
				env := peak * 0.5 * (1 - math.Cos(2*math.Pi*float64(j)/float64(m)))
				t := float64(j) / sampleRate
				var v float64
				for k := 1; float64(k)*f0 < 3400; k++ {
					f := float64(k) * f0
					w := 1/(1+sq((f-f1)/150)) + 0.5/(1+sq((f-f2)/250)) + 0.02
					v += w * math.Sin(2*math.Pi*f*t+float64(k))
				}
				v *= env
				x[i+j] = v
				sum += v * v
				active++
			}
			i += m + ms(20+rng.IntN(60))
		}
		i += ms(120 + rng.IntN(230))
	}
	scale(x, lvl, sum, active)
	return x
}

// phrases is bot-like speech n samples long: phrases of 0.8..2.5 s of speech
// at lvl dBFS separated by 300..800 ms of digital silence.
func phrases(rng *rand.Rand, lvl float64, n int) []float64 {
	x := make([]float64, n)
	i := ms(rng.IntN(200))
	for i < n {
		m := min(ms(800+rng.IntN(1700)), n-i)
		copy(x[i:], speech(rng, lvl, m))
		i += m + ms(300+rng.IntN(500))
	}
	return x
}

func scale(x []float64, lvl, sum float64, n int) {
	if n == 0 || sum == 0 {
		return
	}
	g := amp(lvl) / math.Sqrt(sum/float64(n))
	for i := range x {
		x[i] *= g
	}
}

func ms(m int) int { return m * sampleRate / 1000 }

func sq(v float64) float64 { return v * v }

// mix adds the signals, each delayed by delay[i] samples and scaled by
// gain[i] dB, into a signal as long as the first.
func mix(n int, parts ...part) []float64 {
	y := make([]float64, n)
	for _, p := range parts {
		g := math.Pow(10, p.gain/20)
		for i := range y {
			if j := i - p.delay; j >= 0 && j < len(p.x) {
				y[i] += g * p.x[j]
			}
		}
	}
	return y
}

type part struct {
	x     []float64
	gain  float64 // dB
	delay int     // samples
}

// pcm rounds and clips x to 16 bits.
func pcm(x []float64) audio.PCM16 {
	p := make(audio.PCM16, len(x))
	for i, v := range x {
		p[i] = int16(max(-32768, min(32767, math.Round(v))))
	}
	return p
}

// frameAt is the k-th 20 ms frame of p (silence past its end).
func frameAt(p audio.PCM16, k int, scratch audio.PCM16) audio.PCM16 {
	clear(scratch)
	if lo := k * frameLen; lo < len(p) {
		copy(scratch, p[lo:min(len(p), lo+frameLen)])
	}
	return scratch
}

func seconds(s float64) int { return int(s * sampleRate) }
