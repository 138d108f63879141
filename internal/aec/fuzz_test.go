package aec

import (
	"encoding/binary"
	"math"
	"slices"
	"testing"

	"github.com/tirevoice/assistant/internal/audio"
)

// FuzzCanceller feeds arbitrary far and near frames (interleaved in data:
// a far frame, then a near one) and checks that nothing panics, the filter
// stays finite, and a silent far end leaves the near side untouched.
func FuzzCanceller(f *testing.F) {
	f.Add([]byte{}, false)
	f.Add(slices.Repeat([]byte{0xff, 0x7f, 0x00, 0x80}, 2000), false)
	f.Add(slices.Repeat([]byte{1, 2, 3, 4, 5, 6, 7, 200}, 3000), true)
	f.Fuzz(func(t *testing.T, data []byte, silentFar bool) {
		ac, err := New(Config{Rate: audio.Rate8k, MaxDelay: 60e6})
		if err != nil {
			t.Fatal(err)
		}
		fr := ac.FrameSamples()
		far, near, out := make([]int16, fr), make([]int16, fr), make([]int16, fr)
		// Repeat short inputs so the search and the filter get to run.
		for len(data) > 0 && len(data) < 8*4*fr {
			data = append(data, data...)
		}
		for len(data) >= 4*fr {
			for i := range fr {
				far[i] = int16(binary.LittleEndian.Uint16(data[2*i:]))
				near[i] = int16(binary.LittleEndian.Uint16(data[2*fr+2*i:]))
			}
			data = data[4*fr:]
			if silentFar {
				clear(far)
			}
			ac.Far(far)
			ac.Process(near, out)
			if silentFar && !slices.Equal(out, near) {
				t.Fatal("output differs from input with a silent far end")
			}
		}
		for i := range ac.wRe {
			if v := float64(ac.wRe[i]) + float64(ac.wIm[i]); math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("filter weight %d is %v", i, v)
			}
		}
	})
}
