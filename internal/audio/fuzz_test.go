package audio_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/tirevoice/assistant/internal/audio"
)

// fuzzRates are the rates AudioSocket carries, which a fuzz input picks by
// index.
var fuzzRates = [...]audio.Rate{
	audio.Rate8k, audio.Rate12k, audio.Rate16k, audio.Rate24k, audio.Rate32k,
	audio.Rate44k1, audio.Rate48k, audio.Rate96k, audio.Rate192k,
}

// maxFuzzSamples bounds the samples of one input, and of the resampler's
// output: 20 ms at 96 kHz. Longer inputs reach nothing new and cost more
// per exec.
const maxFuzzSamples = 1920

// FuzzResampler converts arbitrary samples between any two AudioSocket
// rates. Input: byte 0 and 1 pick the rates, byte 2 seeds the chunk sizes
// (its top bit makes the signal the first sample held constant), the rest
// is s16le samples. Invariants: no panic; any chunking gives exactly the
// output of one call; a Reset resampler gives exactly what a new one does;
// the output count follows the rate ratio; equal rates copy; a constant
// signal comes out as the same constant once the filter has filled.
func FuzzResampler(f *testing.F) {
	f.Add([]byte{0, 2, 7, 0x10, 0x27, 0xf0, 0xd8, 0x00, 0x80, 0xff, 0x7f})
	f.Add([]byte{5, 6, 0x83, 0x39, 0x30})
	f.Add([]byte{8, 0, 1, 1, 2, 3, 4, 5})
	f.Add([]byte{3, 3, 0, 1, 2, 3})
	// Resamplers are cached by rate pair: building one takes up to a
	// millisecond (44.1 <-> 48 kHz has 160 phases), more than the test.
	cache := map[[2]audio.Rate]*audio.Resampler{}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 3 {
			return
		}
		from, to := fuzzRates[int(data[0])%len(fuzzRates)], fuzzRates[int(data[1])%len(fuzzRates)]
		ctl := data[2]
		in := audio.AppendFromS16LE(nil, data[3:])
		in = in[:min(len(in), maxFuzzSamples, maxFuzzSamples*int(from)/int(to))]
		constant := ctl&0x80 != 0 && len(in) > 0
		if constant {
			for i := range in {
				in[i] = in[0]
			}
		}

		r := cache[[2]audio.Rate{from, to}]
		if r == nil {
			r = audio.NewResampler(from, to)
			cache[[2]audio.Rate{from, to}] = r
		}
		r.Reset() // whatever the last input left
		whole := r.Process(nil, in)
		r.Reset()
		var chunked audio.PCM16
		seed := uint32(ctl&0x7f) + 1
		for rest := in; len(rest) > 0; {
			seed = seed*1664525 + 1013904223
			n := min(len(rest), int(seed>>16)%300) // 0 too: an empty chunk is a no-op
			chunked = r.Process(chunked, rest[:n])
			rest = rest[n:]
		}
		if !slices.Equal(whole, chunked) {
			t.Fatalf("%v -> %v: chunked output differs from one call's (%d and %d samples)", from, to, len(chunked), len(whole))
		}
		// Building a resampler for 44.1 kHz and another rate takes longer
		// than the rest of the exec (80 to 160 phases of Kaiser windows);
		// the other rate pairs check Reset against a new resampler.
		if from%4000 == 0 && to%4000 == 0 {
			fresh := audio.NewResampler(from, to).Process(nil, in)
			if !slices.Equal(whole, fresh) {
				t.Fatalf("%v -> %v: a Reset resampler differs from a new one", from, to)
			}
		}

		if from == to {
			if !slices.Equal(whole, in) {
				t.Fatalf("%v -> %v: equal rates did not copy", from, to)
			}
			return
		}
		want := float64(len(in)) * float64(to) / float64(from)
		if got := float64(len(whole)); math.Abs(got-want) > 1 {
			t.Fatalf("%v -> %v: %d samples in, %d out, want %.1f", from, to, len(in), len(whole), want)
		}
		if constant {
			// Past the filter's span (taps of input, 2 delays) every output
			// sees only the constant; unit DC gain holds it within float32
			// rounding.
			skip := 2*to.Samples(r.Delay()) + 1
			if len(in) > 2*from.Samples(r.Delay())+1 {
				for i, s := range whole[min(skip+1, len(whole)):] {
					if d := int(s) - int(in[0]); d < -1 || d > 1 {
						t.Fatalf("%v -> %v: constant %d came out as %d at %d", from, to, in[0], s, skip+1+i)
					}
				}
			}
		}
	})
}

// FuzzDetectDTMF judges arbitrary blocks at any rate. Input: byte 0 picks
// the rate, the rest is s16le samples. Invariants: no panic; a digit is one
// of the sixteen keys; a block too quiet for a tone is never a digit; the
// verdict is the same for the block turned upside down, since every
// measure it takes is of energy.
func FuzzDetectDTMF(f *testing.F) {
	for _, seed := range []struct {
		rate  int
		digit byte
	}{{0, '5'}, {2, '#'}, {5, 'D'}} {
		r := fuzzRates[seed.rate]
		lo, hi, _ := audio.DTMFTone(seed.digit)
		var p audio.PCM16
		for i := range r.FrameSamples() {
			x := 6000*math.Sin(2*math.Pi*lo*float64(i)/float64(r)) + 6000*math.Sin(2*math.Pi*hi*float64(i)/float64(r))
			p = append(p, int16(x))
		}
		f.Add(audio.AppendS16LE([]byte{byte(seed.rate)}, p))
	}
	f.Add([]byte{1, 0x00, 0x80, 0xff, 0x7f})
	f.Add([]byte{0})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		r := fuzzRates[int(data[0])%len(fuzzRates)]
		p := audio.AppendFromS16LE(nil, data[1:])
		p = p[:min(len(p), 2*r.FrameSamples())] // at most 40 ms, a block's size
		digit, ok := audio.DetectDTMF(p, r)
		if ok && (digit == 0 || !strings.ContainsRune("0123456789*#ABCD", rune(digit))) {
			t.Fatalf("digit %q", digit)
		}
		if !ok && digit != 0 {
			t.Fatalf("no digit, but %q returned", digit)
		}
		if ok && audio.Energy(p) < 30*30 {
			t.Fatalf("digit %q in a block of mean square %v", digit, audio.Energy(p))
		}
		neg := make(audio.PCM16, len(p))
		for i, s := range p {
			neg[i] = -max(s, -math.MaxInt16) // -32768 has no opposite
		}
		if slices.Contains(p, math.MinInt16) {
			return
		}
		if d2, ok2 := audio.DetectDTMF(neg, r); d2 != digit || ok2 != ok {
			t.Fatalf("%q/%v, upside down %q/%v", digit, ok, d2, ok2)
		}
	})
}
