package call

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/tirevoice/assistant/internal/audio"
)

// TestEchoPairing drives the reader's side of the echo canceller with the
// arrival times of a caller's frames, and checks which sent frame each is
// paired with: the pairing must keep a constant offset through jitter and
// stalls of our own, and come back to it after frames the line lost or a
// phone with silence suppression did not send.
func TestEchoPairing(t *testing.T) {
	const frames = 600 // 12 s of the caller's clock
	t0 := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	due := func(i int) time.Time { return t0.Add(time.Duration(i) * audio.FrameTime) }
	rng := rand.New(rand.NewPCG(3, 4))
	lost := func(rate float64) map[int]bool {
		m := map[int]bool{}
		for i := 1; i < frames; i++ {
			if rng.Float64() < rate {
				m[i] = true
			}
		}
		return m
	}
	type arrival struct {
		i  int // the frame's index on the caller's clock
		at time.Time
	}
	cases := []struct {
		name string
		// arrivals are the frames that come, in order.
		arrivals func() []arrival
		// settle is how many frames after a disturbance may be paired off
		// the constant offset.
		settle int
		// missing is how many frames the reader must find missing.
		missing int64
	}{
		{"steady", func() []arrival {
			var a []arrival
			for i := range frames {
				a = append(a, arrival{i, due(i)})
			}
			return a
		}, 0, 0},
		{"jitter up to 15 ms", func() []arrival {
			var a []arrival
			last := t0
			for i := range frames {
				at := due(i).Add(time.Duration(rng.IntN(15)) * time.Millisecond)
				if at.Before(last) {
					at = last // never overtakes the frame before
				}
				a, last = append(a, arrival{i, at}), at
			}
			return a
		}, 0, 0},
		{"first frame 30 ms late", func() []arrival {
			a := []arrival{{0, due(0).Add(30 * time.Millisecond)}}
			for i := 1; i < frames; i++ {
				a = append(a, arrival{i, due(i)})
			}
			return a
		}, 0, 0},
		{"a stall of ours: 400 ms, then a burst", func() []arrival {
			var a []arrival
			for i := range frames {
				at := due(i)
				if i >= 200 && i < 220 {
					at = due(220).Add(time.Duration(i) * time.Microsecond)
				}
				a = append(a, arrival{i, at})
			}
			return a
		}, 0, 0},
		{"2 % lost", func() []arrival {
			gone := lost(0.02)
			var a []arrival
			for i := range frames {
				if !gone[i] {
					a = append(a, arrival{i, due(i)})
				}
			}
			return a
		}, missingWindow + 2, -1},
		{"silence suppression: 3 s unsent", func() []arrival {
			var a []arrival
			for i := range frames {
				if i < 200 || i >= 350 {
					a = append(a, arrival{i, due(i)})
				}
			}
			return a
		}, 1, 150},
		{"a 60 ms hole", func() []arrival {
			var a []arrival
			for i := range frames {
				if i < 300 || i >= 303 {
					a = append(a, arrival{i, due(i)})
				}
			}
			return a
		}, missingWindow + 1, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tape := newFarTape(analysisRate)
			tape.skipped(5) // the player ran ahead of the caller's first frame
			e, err := newEchoCanceller(tape, 300*time.Millisecond)
			if err != nil {
				t.Fatal(err)
			}
			arrivals := c.arrivals()
			want := int64(-1) // the offset, set by frame 0
			off, since := 0, 0
			f := make(audio.PCM16, analysisRate.FrameSamples())
			prev := -1
			for _, a := range arrivals {
				// The player keeps its own clock: everything due by now
				// has been sent.
				for tape.written() < int64(5+a.i) {
					tape.sent(make(audio.PCM16, analysisRate.FrameSamples()))
				}
				e.process(f, a.at)
				slot := e.first + e.n - 1 // the one it was paired with
				if want < 0 {
					want = slot - int64(a.i)
				}
				if a.i != prev+1 {
					since = 0 // frames went missing before this one
					if a.i-prev-1 < missingWindow && e.aligned {
						// What the canceller says it left is not to be
						// trusted until the loss is found.
						t.Errorf("frame %d, after %d lost: taken as aligned", a.i, a.i-prev-1)
					}
				} else if c.settle == 0 && !strings.Contains(c.name, "stall") && !e.aligned {
					// (After a stall of ours the burst is late: not known.)
					t.Errorf("frame %d: not aligned on a line that lost nothing", a.i)
				}
				prev = a.i
				since++
				if slot-int64(a.i) != want {
					if since > c.settle {
						off++
						if off <= 3 {
							t.Errorf("frame %d paired with slot %d, offset %d, want %d", a.i, slot, slot-int64(a.i), want)
						}
					}
				}
			}
			if off > 3 {
				t.Errorf("%d frames in all paired off the offset", off)
			}
			wantMissing := c.missing
			if wantMissing < 0 {
				wantMissing = int64(frames - len(arrivals))
			}
			if e.missing != wantMissing {
				t.Errorf("%d frames found missing, want %d", e.missing, wantMissing)
			}
		})
	}
}
