package aec

import (
	"testing"
	"time"

	"github.com/tirevoice/assistant/internal/audio"
)

// BenchmarkProcess is the steady-state cost of one 20 ms frame (Far and
// Process) while the bot talks and its echo comes back: the canceller is
// active, locked and adapting. ns/frame is the figure for the 20 µs budget.
func BenchmarkProcess(b *testing.B) {
	for _, r := range []audio.Rate{audio.Rate8k, audio.Rate16k} {
		b.Run(r.String(), func(b *testing.B) {
			far := append(make(audio.PCM16, r.Samples(200*time.Millisecond)), speechNoise(r, 4*time.Second, -20, 5)...)
			c := scene{rate: r, far: far, delay: 120 * time.Millisecond, levelDB: -12, noiseDB: -55}.build(b)
			ac, err := New(Config{Rate: r})
			if err != nil {
				b.Fatal(err)
			}
			fr := r.FrameSamples()
			out := make([]int16, fr)
			// Skip the first second (lock and convergence); loop on the
			// rest, where echo is present in every frame.
			first, last := r.Samples(time.Second)/fr, r.Samples(4*time.Second)/fr
			for i := 0; i < first*fr; i += fr {
				ac.Far(c.far[i : i+fr])
				ac.Process(c.near[i:i+fr], out)
			}
			f := first
			b.ReportAllocs()
			for b.Loop() {
				i := f * fr
				ac.Far(c.far[i : i+fr])
				ac.Process(c.near[i:i+fr], out)
				if f++; f == last {
					f = first
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/frame")
			if _, ok := ac.Delay(); !ok || ac.Idle() {
				b.Fatal("benchmark did not measure an active, locked canceller")
			}
		})
	}
}

// BenchmarkIdle is the cost of a frame when nothing was sent within the
// echo tail.
func BenchmarkIdle(b *testing.B) {
	r := audio.Rate8k
	ac, err := New(Config{Rate: r})
	if err != nil {
		b.Fatal(err)
	}
	fr := r.FrameSamples()
	silent := make([]int16, fr)
	near := speechNoise(r, 20*time.Millisecond, -30, 1)
	out := make([]int16, fr)
	b.ReportAllocs()
	for b.Loop() {
		ac.Far(silent)
		ac.Process(near, out)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/frame")
}
