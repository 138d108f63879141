package audio

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

var socketRates = []Rate{Rate8k, Rate12k, Rate16k, Rate24k, Rate32k, Rate44k1, Rate48k, Rate96k, Rate192k}

// settle drops the filter's start-up transient (two delays' worth) and as
// much at the end, so that level checks look at the steady state.
func settle(p PCM16, r *Resampler) PCM16 {
	n := 2 * r.To().Samples(r.Delay())
	return p[n : len(p)-n]
}

// peakHz returns the frequency among candidates where p has the most energy.
func peakHz(p PCM16, rate Rate, candidates []float64) float64 {
	best, bestE := 0.0, -1.0
	for _, f := range candidates {
		if e := ToneEnergy(p, rate, f); e > bestE {
			best, bestE = f, e
		}
	}
	return best
}

func around(center, span, step float64) []float64 {
	var fs []float64
	for f := center - span; f <= center+span; f += step {
		fs = append(fs, f)
	}
	return fs
}

func TestResampleToneRoundTrip8k16k8k(t *testing.T) {
	in := tone(Rate8k, 1000, 8000, Rate8k.FrameSamples()*25) // 0.5 s
	up := NewResampler(Rate8k, Rate16k)
	down := NewResampler(Rate16k, Rate8k)
	mid := up.Process(nil, in)
	out := down.Process(nil, mid)
	if len(mid) != 2*len(in) || len(out) != len(in) {
		t.Fatalf("lengths: in %d, at 16 kHz %d, back %d", len(in), len(mid), len(out))
	}
	for _, c := range []struct {
		name string
		p    PCM16
		rate Rate
	}{{"at 16 kHz", settle(mid, up), Rate16k}, {"back at 8 kHz", out[160 : len(out)-160], Rate8k}} {
		if f := peakHz(c.p, c.rate, around(1000, 200, 10)); f != 1000 {
			t.Errorf("%s: tone at %v Hz, want 1000 Hz", c.name, f)
		}
		if g := dB(Energy(c.p) / Energy(in)); math.Abs(g) > 0.5 {
			t.Errorf("%s: level changed by %.2f dB, want within 0.5 dB", c.name, g)
		}
	}
}

// Every pair of AudioSocket rates passes a 1 kHz tone at its level and
// frequency, and removes a tone above the lower Nyquist instead of folding it
// into the band.
func TestResampleAllRatePairs(t *testing.T) {
	for _, from := range socketRates {
		for _, to := range socketRates {
			t.Run(fmt.Sprintf("%v to %v", from, to), func(t *testing.T) {
				r := NewResampler(from, to)
				in := tone(from, 1000, 8000, from.Samples(150e6))
				out := settle(r.Process(nil, in), r)
				if f := peakHz(out, to, around(1000, 200, 10)); f != 1000 {
					t.Errorf("tone at %v Hz, want 1000 Hz", f)
				}
				if g := dB(Energy(out) / Energy(in)); math.Abs(g) > 0.5 {
					t.Errorf("level changed by %.2f dB", g)
				}
				if to >= from {
					return
				}
				// 0.97 of the lower Nyquist: would alias to 0.03 of it.
				hz := 0.97 * float64(to) / 2
				r.Reset()
				in = tone(from, hz, 8000, from.Samples(150e6))
				out = settle(r.Process(nil, in), r)
				if a := dB(Energy(in) / Energy(out)); a < 50 {
					t.Errorf("%.0f Hz attenuated by %.1f dB, want at least 50 dB", hz, a)
				}
			})
		}
	}
}

func TestResampleAttenuatesAboveTelephoneBand(t *testing.T) {
	in := tone(Rate16k, 3900, 8000, Rate16k.Samples(300e6))
	r := NewResampler(Rate16k, Rate8k)
	out := settle(r.Process(nil, in), r)
	if a := dB(Energy(in) / Energy(out)); a < 40 {
		t.Errorf("3.9 kHz going to 8 kHz attenuated by %.1f dB, want at least 40 dB", a)
	} else {
		t.Logf("3.9 kHz going to 8 kHz attenuated by %.1f dB", a)
	}
}

func TestResampleLength(t *testing.T) {
	tests := []struct {
		from, to Rate
		in, want int
	}{
		{Rate8k, Rate44k1, 8000, 44100},
		{Rate8k, Rate44k1, 80, 441},
		{Rate8k, Rate44k1, 1, 6}, // ceil(441/80)
		{Rate44k1, Rate8k, 44100, 8000},
		{Rate16k, Rate8k, 3, 2},
		{Rate48k, Rate44k1, 48000, 44100},
		{Rate8k, Rate192k, 160, 3840},
		{Rate8k, Rate8k, 123, 123},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%d at %v to %v", tc.in, tc.from, tc.to), func(t *testing.T) {
			r := NewResampler(tc.from, tc.to)
			if got := len(r.Process(nil, make(PCM16, tc.in))); got != tc.want {
				t.Errorf("got %d samples, want %d", got, tc.want)
			}
		})
	}
	// Over many 20 ms frames the count never drifts from the exact ratio.
	r := NewResampler(Rate8k, Rate44k1)
	var n int
	for range 1000 {
		n += len(r.Process(nil, make(PCM16, 160)))
	}
	if n != 1000*882 {
		t.Errorf("1000 frames 8k -> 44.1k gave %d samples, want %d", n, 1000*882)
	}
}

func TestResampleChunkingInvariant(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pairs := [][2]Rate{{Rate8k, Rate16k}, {Rate16k, Rate8k}, {Rate8k, Rate44k1}, {Rate44k1, Rate8k}, {Rate48k, Rate44k1}, {Rate12k, Rate32k}, {Rate192k, Rate8k}}
	for _, pr := range pairs {
		t.Run(fmt.Sprintf("%v to %v", pr[0], pr[1]), func(t *testing.T) {
			in := make(PCM16, pr[0].Samples(100e6))
			for i := range in {
				in[i] = int16(rng.IntN(20000) - 10000)
			}
			whole := NewResampler(pr[0], pr[1]).Process(nil, in)
			r := NewResampler(pr[0], pr[1])
			var got PCM16
			for rest := in; len(rest) > 0; {
				n := min(len(rest), rng.IntN(300))
				got = r.Process(got, rest[:n])
				rest = rest[n:]
			}
			if !slices.Equal(got, whole) {
				t.Errorf("chunked output differs from one call (%d vs %d samples)", len(got), len(whole))
			}
			r.Reset()
			if again := r.Process(nil, in); !slices.Equal(again, whole) {
				t.Error("output after Reset differs from a new resampler's")
			}
		})
	}
}

func TestResampleKeepsDCAndClips(t *testing.T) {
	r := NewResampler(Rate8k, Rate16k)
	in := make(PCM16, 800)
	for i := range in {
		in[i] = 1000
	}
	for _, s := range settle(r.Process(nil, in), r) {
		if s != 1000 {
			t.Fatalf("constant 1000 came out as %d", s)
		}
	}
	// A full-scale square wave overshoots in the filter; it must saturate,
	// not wrap around.
	r = NewResampler(Rate16k, Rate8k)
	for i := range in {
		in[i] = math.MaxInt16
		if i/20%2 == 1 {
			in[i] = math.MinInt16
		}
	}
	out := r.Process(nil, in)
	delay := Rate16k.Samples(r.Delay())
	for j := 2 * delay; j < len(out); j++ {
		i := 2*j - delay // the input sample out[j] is centred on
		if k := i % 20; k < 6 || k > 14 {
			continue // near an edge of the square wave
		}
		if (in[i] > 0) != (out[j] > 0) {
			t.Fatalf("output %d is %d where the input is %d: wrapped around", j, out[j], in[i])
		}
	}
	if got := []int16{clamp16(40000), clamp16(-40000), clamp16(1.5), clamp16(-1.5)}; !slices.Equal(got, []int16{32767, -32768, 2, -2}) {
		t.Errorf("clamp16 = %v", got)
	}
}

func TestResampleNoAllocs(t *testing.T) {
	for _, pr := range [][2]Rate{{Rate8k, Rate16k}, {Rate16k, Rate8k}, {Rate8k, Rate44k1}} {
		r := NewResampler(pr[0], pr[1])
		src := tone(pr[0], 1000, 8000, pr[0].FrameSamples())
		dst := make(PCM16, 0, pr[1].FrameSamples()+1)
		if n := testing.AllocsPerRun(200, func() { dst = r.Process(dst[:0], src) }); n != 0 {
			t.Errorf("%v: %v allocations per 20 ms frame", r, n)
		}
	}
}

func TestResampleString(t *testing.T) {
	r := NewResampler(Rate8k, Rate44k1)
	if got, want := r.String(), "resample(8 kHz -> 44.1 kHz)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if d := r.Delay(); d.Milliseconds() != 4 {
		t.Errorf("Delay() = %v, want 4ms", d)
	}
}

func BenchmarkResample(b *testing.B) {
	for _, pr := range [][2]Rate{{Rate8k, Rate16k}, {Rate16k, Rate8k}, {Rate8k, Rate48k}, {Rate48k, Rate8k}} {
		b.Run(fmt.Sprintf("%v to %v", pr[0], pr[1]), func(b *testing.B) {
			r := NewResampler(pr[0], pr[1])
			src := tone(pr[0], 1000, 8000, pr[0].FrameSamples())
			dst := make(PCM16, 0, pr[1].FrameSamples()+1)
			b.ReportAllocs()
			b.SetBytes(int64(2 * len(src)))
			for b.Loop() {
				dst = r.Process(dst[:0], src)
			}
		})
	}
}

// tone returns n samples of a sine at hz with peak amplitude amp.
func tone(rate Rate, hz, amp float64, n int) PCM16 {
	p := make(PCM16, n)
	for i := range p {
		p[i] = int16(math.Round(amp * math.Sin(2*math.Pi*hz*float64(i)/float64(rate))))
	}
	return p
}

// mix adds q to p sample by sample (p and q the same length).
func mix(p, q PCM16) PCM16 {
	out := make(PCM16, len(p))
	for i := range p {
		out[i] = int16(max(min(int(p[i])+int(q[i]), math.MaxInt16), math.MinInt16))
	}
	return out
}

func dB(ratio float64) float64 { return 10 * math.Log10(ratio) }
