package callsim

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/tirevoice/assistant/internal/audio"
)

// lossPattern is which of n frames the line loses in one direction.
func lossPattern(l Line, seed, stream uint64, n int) []bool {
	x := newLossLine(&l, seed, stream)
	lost := make([]bool, n)
	for i := range lost {
		lost[i] = x.lost()
	}
	return lost
}

// runs are the lengths of the runs of lost frames.
func runs(lost []bool) []int {
	var rs []int
	n := 0
	for _, l := range append(lost, false) {
		if l {
			n++
		} else if n > 0 {
			rs = append(rs, n)
			n = 0
		}
	}
	return rs
}

func count(lost []bool) int {
	n := 0
	for _, l := range lost {
		if l {
			n++
		}
	}
	return n
}

// TestLossRate: over many frames the share lost is the configured rate
// (within 4 standard deviations of the binomial), the same for a seed and
// another for another seed.
func TestLossRate(t *testing.T) {
	const n = 100_000
	for _, pct := range []Percent{0, 0.5, 2, 5, 20} {
		t.Run(pct.String(), func(t *testing.T) {
			l := Line{Loss: pct}
			lost := lossPattern(l, 1, streamCallerLoss, n)
			p := float64(pct) / 100
			tol := 4 * math.Sqrt(n*p*(1-p))
			if got := float64(count(lost)); math.Abs(got-n*p) > tol {
				t.Errorf("lost %v of %d frames, want %v ± %.0f", got, n, n*p, tol)
			}
			if !slices.Equal(lost, lossPattern(l, 1, streamCallerLoss, n)) {
				t.Error("the same seed lost other frames")
			}
			if pct > 0 && slices.Equal(lost, lossPattern(l, 2, streamCallerLoss, n)) {
				t.Error("another seed lost the same frames")
			}
			if pct > 0 && slices.Equal(lost, lossPattern(l, 1, streamBotLoss, n)) {
				t.Error("the two directions lost the same frames")
			}
		})
	}
}

// TestLossBursts: with bursts only, every run of lost frames is a burst
// of the configured length, and they come as often as configured.
func TestLossBursts(t *testing.T) {
	const n = 200_000
	tests := []struct {
		name   string
		frames FrameRange
		every  time.Duration
	}{
		{"2-3 every second", FrameRange{2, 3}, time.Second},
		{"always 3", FrameRange{3, 3}, 500 * time.Millisecond},
		{"single frames", FrameRange{1, 1}, 200 * time.Millisecond},
		{"1-25 every 10 s", FrameRange{1, 25}, 10 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := Line{LossBurst: LossBurst{Every: tt.every, Frames: tt.frames}}
			rs := runs(lossPattern(l, 7, streamCallerLoss, n))
			seen := map[int]int{}
			for _, r := range rs {
				seen[r]++
				if r < tt.frames.Min || r > tt.frames.Max {
					t.Fatalf("a run of %d lost frames, want %s", r, tt.frames)
				}
			}
			for k := tt.frames.Min; k <= tt.frames.Max; k++ {
				if seen[k] == 0 {
					t.Errorf("no burst of %d frames in %d bursts", k, len(rs))
				}
			}
			// A burst starts at a frame with probability q, except in a
			// burst and at the frame after one: a burst of L frames comes
			// on average every 1/q + L frames (its first frame is the one
			// that starts it).
			q := float64(audio.FrameTime) / float64(tt.every)
			want := n / (1/q + tt.frames.mean())
			if got := float64(len(rs)); math.Abs(got-want) > 4*math.Sqrt(want) {
				t.Errorf("%v bursts, want %.0f ± %.0f", got, want, 4*math.Sqrt(want))
			}
		})
	}
}

// TestLossAloneAndInBursts: both at once lose about the sum.
func TestLossAloneAndInBursts(t *testing.T) {
	const n = 200_000
	l := Line{Loss: 2, LossBurst: LossBurst{Every: 5 * time.Second, Frames: FrameRange{2, 3}}}
	got := 100 * float64(count(lossPattern(l, 3, streamBotLoss, n))) / n
	if want := l.lossShare(); math.Abs(got-want) > 0.2 {
		t.Errorf("lost %.2f %%, want about %.2f %%", got, want)
	}
}

// TestJitter: frames are held back by up to the jitter and never
// overtake one another; those held longest release the next ones
// together.
func TestJitter(t *testing.T) {
	for _, bound := range []time.Duration{0, 20 * time.Millisecond, 60 * time.Millisecond, 500 * time.Millisecond} {
		t.Run(bound.String(), func(t *testing.T) {
			j := newJitterLine(&Line{Jitter: bound}, 5)
			t0 := time.Unix(1000, 0)
			var last time.Time
			var worst time.Duration
			together := 0
			for i := range 10_000 {
				due := t0.Add(time.Duration(i) * audio.FrameTime)
				at := j.deliver(due.Add(j.delay()))
				switch {
				case at.Before(due):
					t.Fatalf("frame %d delivered %v early", i, due.Sub(at))
				case at.Sub(due) > bound:
					t.Fatalf("frame %d held %v, more than %v", i, at.Sub(due), bound)
				case at.Before(last):
					t.Fatalf("frame %d overtook the one before it", i)
				case i > 0 && at.Equal(last):
					together++
				}
				worst = max(worst, at.Sub(due))
				last = at
			}
			switch {
			case bound == 0 && (worst != 0 || together != 0):
				t.Errorf("no jitter held a frame %v", worst)
			case bound > 0 && worst < bound*9/10:
				t.Errorf("held at most %v of %v", worst, bound)
			case bound > audio.FrameTime && together == 0:
				t.Error("no frame went out together with a late one")
			}
		})
	}
}

// TestHeldFrames: the frames on their way come out in order, with their
// own samples and digits, across the ring's wrap.
func TestHeldFrames(t *testing.T) {
	h := newHeldFrames(0, 4) // room for 6
	if len(h.slots) != 6 {
		t.Fatalf("%d slots", len(h.slots))
	}
	t0 := time.Unix(0, 0)
	next, out := 0, 0
	push := func() {
		if next%3 == 2 {
			h.push(t0.Add(time.Duration(next)), nil, '#', nil)
		} else {
			h.push(t0.Add(time.Duration(next)), audio.PCM16{int16(next), 0, 0, 0}, 0, nil)
		}
		next++
	}
	pop := func() {
		t.Helper()
		f, ok := h.first()
		if !ok {
			t.Fatal("empty")
		}
		if f.at != t0.Add(time.Duration(out)) || (out%3 == 2) != (f.digit == '#') || f.digit == 0 && f.pcm[0] != int16(out) {
			t.Fatalf("got %+v, want item %d", *f, out)
		}
		h.pop()
		out++
	}
	for range 6 {
		push()
	}
	if !h.full() {
		t.Fatal("6 held, not full")
	}
	for range 20 {
		pop()
		pop()
		push()
		push()
	}
	for range 6 {
		pop()
	}
	if _, ok := h.first(); ok {
		t.Fatal("not empty")
	}
}

// TestSpeechLossReplays: the frames of a stretch of speech are lost the
// same way however many frames came before it (a step that started a
// tick later in another run), and the k-th stretch differently from the
// others.
func TestSpeechLossReplays(t *testing.T) {
	l := Line{Loss: 10, LossBurst: LossBurst{Every: time.Second, Frames: FrameRange{2, 3}}}
	play := func(silence int) (speech [][]bool) {
		x := newSpeechLoss(&l, 9, streamCallerLoss, streamCallerSpeech)
		for range 3 {
			for range silence {
				x.lost(false)
			}
			x.next()
			lost := make([]bool, 200)
			for i := range lost {
				lost[i] = x.lost(true)
			}
			speech = append(speech, lost)
		}
		return speech
	}
	a, b := play(7), play(8)
	for k := range a {
		if !slices.Equal(a[k], b[k]) {
			t.Errorf("line %d lost other frames after one more frame of silence", k)
		}
		if count(a[k]) == 0 {
			t.Errorf("line %d lost nothing", k)
		}
	}
	if slices.Equal(a[0], a[1]) || slices.Equal(a[1], a[2]) {
		t.Error("two lines lost the same frames")
	}
}
