package audio

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func dtmfPair(t *testing.T, rate Rate, digit byte, lowAmp, highAmp float64, n int) PCM16 {
	t.Helper()
	lo, hi, ok := DTMFTone(digit)
	if !ok {
		t.Fatalf("DTMFTone(%q) not ok", digit)
	}
	return mix(tone(rate, lo, lowAmp, n), tone(rate, hi, highAmp, n))
}

func whiteNoise(rng *rand.Rand, rms float64, n int) PCM16 {
	p := make(PCM16, n)
	for i := range p {
		p[i] = int16(max(min(math.Round(rng.NormFloat64()*rms), math.MaxInt16), math.MinInt16))
	}
	return p
}

func TestToneEnergy(t *testing.T) {
	p := tone(Rate8k, 1000, 1000, 160)
	if e := ToneEnergy(p, Rate8k, 1000); math.Abs(dB(e/500000)) > 0.1 {
		t.Errorf("ToneEnergy at the tone = %.0f, want about %d", e, 500000)
	}
	if e := ToneEnergy(p, Rate8k, 1200); e > 500 {
		t.Errorf("ToneEnergy 200 Hz away = %.0f, want almost nothing", e)
	}
	if ToneEnergy(nil, Rate8k, 1000) != 0 {
		t.Error("ToneEnergy(nil) != 0")
	}
}

func TestDetectDTMFAllDigits(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, rate := range []Rate{Rate8k, Rate16k} {
		for _, ms := range []int{20, 30, 40} {
			for _, digit := range []byte("0123456789*#ABCD") {
				t.Run(fmt.Sprintf("%c %dms at %v", digit, ms, rate), func(t *testing.T) {
					n := rate.Samples(msDur(ms))
					cases := []struct {
						name string
						p    PCM16
					}{
						{"equal levels", dtmfPair(t, rate, digit, 7000, 7000, n)},
						{"quiet", dtmfPair(t, rate, digit, 300, 300, n)},
						{"6 dB normal twist", dtmfPair(t, rate, digit, 8000, 4000, n)},
						{"3 dB reverse twist", dtmfPair(t, rate, digit, 4000, 5600, n)},
						{"20 dB SNR noise", mix(dtmfPair(t, rate, digit, 5000, 5000, n), whiteNoise(rng, 500, n))},
					}
					for _, c := range cases {
						if got, ok := DetectDTMF(c.p, rate); !ok || got != digit {
							t.Errorf("%s: DetectDTMF = %q, %v; want %q", c.name, got, ok, digit)
						}
						if got, ok := DetectDTMF(viaMulaw(c.p), rate); !ok || got != digit {
							t.Errorf("%s after mu-law: DetectDTMF = %q, %v; want %q", c.name, got, ok, digit)
						}
					}
				})
			}
		}
	}
}

// viaMulaw passes p through mu-law and back.
func viaMulaw(p PCM16) PCM16 { return MulawDecode(nil, MulawEncode(nil, p)) }

func msDur(ms int) time.Duration { return time.Duration(ms) * time.Millisecond }

func TestDetectDTMFRejects(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	n := 160
	low, high := DTMFFrequencies()
	cases := []struct {
		name string
		p    PCM16
	}{
		{"silence", make(PCM16, n)},
		{"white noise", whiteNoise(rng, 3000, n)},
		{"quiet white noise", whiteNoise(rng, 100, n)},
		{"row tone alone", tone(Rate8k, low[0], 8000, n)},
		{"column tone alone", tone(Rate8k, high[2], 8000, n)},
		{"1 kHz", tone(Rate8k, 1000, 8000, n)},
		{"two row tones", mix(tone(Rate8k, low[0], 5000, n), tone(Rate8k, low[3], 5000, n))},
		{"two column tones", mix(tone(Rate8k, high[0], 5000, n), tone(Rate8k, high[3], 5000, n))},
		{"too much normal twist", mix(tone(Rate8k, low[1], 8000, n), tone(Rate8k, high[1], 2000, n))},
		{"too much reverse twist", mix(tone(Rate8k, low[1], 2000, n), tone(Rate8k, high[1], 8000, n))},
		{"pair buried in noise", mix(mix(tone(Rate8k, low[1], 1000, n), tone(Rate8k, high[1], 1000, n)), whiteNoise(rng, 3000, n))},
		{"pair off frequency", mix(tone(Rate8k, low[1]+120, 5000, n), tone(Rate8k, high[1]+150, 5000, n))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got, ok := DetectDTMF(c.p, Rate8k); ok {
				t.Errorf("DetectDTMF = %q, want no digit", got)
			}
		})
	}
	for i := range 500 {
		if got, ok := DetectDTMF(whiteNoise(rng, 2000, n), Rate8k); ok {
			t.Fatalf("noise block %d detected as %q", i, got)
		}
	}
}

func TestDTMFTone(t *testing.T) {
	if lo, hi, ok := DTMFTone('5'); !ok || lo != 770 || hi != 1336 {
		t.Errorf("DTMFTone('5') = %v, %v, %v", lo, hi, ok)
	}
	if _, _, ok := DTMFTone('E'); ok {
		t.Error("DTMFTone('E') ok")
	}
}
