package playout

import (
	"testing"
	"time"

	"github.com/tirevoice/assistant/internal/audio"
)

// These drive the per-frame path directly, without the clock, to measure it.

type countObserver struct {
	NopObserver
	frames int
}

func (o *countObserver) FrameSent(float64, bool) { o.frames++ }

// stepper runs frame after frame of p as Run would, with a frame's worth of
// bot audio queued whenever the queue runs low (if speak).
func stepper(p *Player, speak bool) func() {
	utt := make(audio.PCM16, 50*p.fs) // 1 s
	for i := range utt {
		utt[i] = int16(i)
	}
	start := time.Now()
	var k int64
	var id uint64
	return func() {
		if speak && k%50 == 0 {
			id++
			p.Play(id, utt)
			p.End(id)
		}
		p.report(start, k)
		if err := p.sendFrame(k); err != nil {
			panic(err)
		}
		k++
	}
}

func TestFramePathDoesNotAllocate(t *testing.T) {
	for _, speak := range []bool{false, true} {
		obs := &countObserver{}
		p := New(Config{}, func(audio.PCM16) error { return nil }, obs)
		step := stepper(p, speak)
		for range 200 { // warm up: queue and pending slices reach their size
			step()
		}
		if n := testing.AllocsPerRun(1000, step); n != 0 {
			t.Errorf("speak=%v: %v allocations per frame, want 0", speak, n)
		}
	}
}

func BenchmarkFrame(b *testing.B) {
	for _, bc := range []struct {
		name  string
		speak bool
		rate  audio.Rate
	}{
		{"silence 8k", false, audio.Rate8k},
		{"speech 8k", true, audio.Rate8k},
		{"speech 16k", true, audio.Rate16k},
	} {
		b.Run(bc.name, func(b *testing.B) {
			p := New(Config{Rate: bc.rate}, func(audio.PCM16) error { return nil }, &countObserver{})
			step := stepper(p, bc.speak)
			for range 200 {
				step()
			}
			b.ReportAllocs()
			for b.Loop() {
				step()
			}
		})
	}
}
