package playout_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/tirevoice/assistant/internal/audio"
	"github.com/tirevoice/assistant/internal/playout"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const tick = audio.FrameTime

var fs = audio.Rate8k.FrameSamples()

// sentFrame is what the fake connection saw of one frame.
type sentFrame struct {
	at    time.Duration // since the bubble's start
	first int16         // first sample: which frame of which utterance (see utterance)
	bot   bool          // any sample non-zero
}

// conn is a fake AudioSocket connection that records frames.
type conn struct {
	t0     time.Time
	mu     sync.Mutex
	frames []sentFrame
	hook   func(k int) error // called before recording frame k, may block or fail
}

func newConn() *conn { return &conn{t0: time.Now()} }

func (c *conn) send(f audio.PCM16) error {
	c.mu.Lock()
	k := len(c.frames)
	hook := c.hook
	c.mu.Unlock()
	if hook != nil {
		if err := hook(k); err != nil {
			return err
		}
	}
	bot := false
	for _, s := range f {
		bot = bot || s != 0
	}
	c.mu.Lock()
	c.frames = append(c.frames, sentFrame{at: time.Since(c.t0), first: f[0], bot: bot})
	c.mu.Unlock()
	return nil
}

func (c *conn) sent() []sentFrame {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]sentFrame(nil), c.frames...)
}

// recorder is an Observer that logs events with their fake time.
type recorder struct {
	t0     time.Time
	mu     sync.Mutex
	events []string
	late   int
	worst  time.Duration // the largest lateness Late reported
	under  int
	bot    int
}

func newRecorder() *recorder { return &recorder{t0: time.Now()} }

func (r *recorder) log(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, fmt.Sprintf(format, args...))
}

func (r *recorder) FrameSent(energy float64, bot bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if bot != (energy > 0) {
		r.events = append(r.events, fmt.Sprintf("bad FrameSent(%v, %v)", energy, bot))
	}
	if bot {
		r.bot++
	}
}
func (r *recorder) UtteranceStarted(id uint64, at time.Time) {
	r.log("start %d at %v", id, at.Sub(r.t0))
}
func (r *recorder) UtteranceFinished(id uint64, at time.Time, interrupted bool) {
	r.log("finish %d at %v interrupted=%v", id, at.Sub(r.t0), interrupted)
}
func (r *recorder) Underrun() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.under++
}
func (r *recorder) Late(frames int, by time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.late += frames
	r.worst = max(r.worst, by)
}

func (r *recorder) log_() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.events...)
}

// utterance is n frames of audio whose frame i starts with sample id·1000+i+1
// (every other sample is 100).
func utterance(id uint64, frames int) audio.PCM16 {
	p := make(audio.PCM16, frames*fs)
	for i := range p {
		p[i] = 100
	}
	for i := range frames {
		p[i*fs] = int16(id*1000) + int16(i) + 1
	}
	return p
}

// start runs p in the bubble and returns a stop function that cancels it and
// returns Run's error.
func start(p *playout.Player) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- p.Run(ctx) }()
	synctest.Wait() // Run has sent its first lead frames at time 0
	return func() error {
		cancel()
		return <-errc
	}
}

// Frame k is sent at max(0, k-lead+1)·20 ms: over any N seconds exactly 50·N
// frames, never more than lead in flight, silence when idle.
func TestPacing(t *testing.T) {
	tests := []struct {
		name string
		lead int
		secs int
	}{
		{"default lead, 1 s", 0, 1},
		{"default lead, 5 s", 0, 5},
		{"lead 1, 3 s", 1, 3},
		{"lead 4, 3 s", 4, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				lead := tt.lead
				if lead == 0 {
					lead = playout.DefaultLead
				}
				c := newConn()
				p := playout.New(playout.Config{Lead: tt.lead}, c.send, nil)
				stop := start(p)
				time.Sleep(time.Duration(tt.secs+1)*time.Second - time.Nanosecond)
				synctest.Wait()
				if err := stop(); err != nil {
					t.Fatalf("Run: %v", err)
				}
				frames := c.sent()
				if want := 50*(tt.secs+1) + lead - 1; len(frames) != want {
					t.Errorf("%d frames sent in %d s, want %d", len(frames), tt.secs+1, want)
				}
				in := 0
				for k, f := range frames {
					if want := time.Duration(max(0, k-lead+1)) * tick; f.at != want {
						t.Fatalf("frame %d sent at %v, want %v", k, f.at, want)
					}
					if playing := int(f.at / tick); k+1 > playing+lead {
						t.Fatalf("frame %d sent at %v: %d frames in flight, lead is %d", k, f.at, k+1-playing, lead)
					}
					if f.bot {
						t.Fatalf("frame %d is not silence while idle", k)
					}
					if f.at >= time.Second && f.at < time.Duration(tt.secs+1)*time.Second {
						in++
					}
				}
				if in != 50*tt.secs {
					t.Errorf("%d frames sent in [1 s, %d s), want %d", in, tt.secs+1, 50*tt.secs)
				}
			})
		})
	}
}

// A send that takes time (1 ms of every 20) must not push the schedule:
// after 10 minutes frame 30000 is still sent at exactly 10 min.
func TestNoDrift(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newConn()
		c.hook = func(int) error { time.Sleep(time.Millisecond); return nil }
		rec := newRecorder()
		p := playout.New(playout.Config{}, c.send, rec)
		stop := start(p)
		time.Sleep(10*time.Minute + time.Millisecond)
		synctest.Wait()
		if err := stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}
		frames := c.sent()
		if want := 10*60*50 + 2; len(frames) != want {
			t.Errorf("%d frames in 10 min, want %d", len(frames), want)
		}
		for k, f := range frames[2:] {
			// Frame k+2 is due at (k+1)·20 ms and recorded after its 1 ms send.
			if want := time.Duration(k+1)*tick + time.Millisecond; f.at != want {
				t.Fatalf("frame %d recorded at %v, want %v", k+2, f.at, want)
			}
		}
		if rec.late != 0 {
			t.Errorf("%d late frames, want 0", rec.late)
		}
	})
}

// botFrames lists the first sample of every bot frame, in order.
func botFrames(frames []sentFrame) (firsts []int16, at []time.Duration) {
	for _, f := range frames {
		if f.bot {
			firsts = append(firsts, f.first)
			at = append(at, f.at)
		}
	}
	return firsts, at
}

func seq(id uint64, from, to int) []int16 {
	var s []int16
	for i := from; i < to; i++ {
		s = append(s, int16(id*1000)+int16(i)+1)
	}
	return s
}

// Utterances play whole, back to back, on frame boundaries; UtteranceStarted
// comes with the first frame's send and UtteranceFinished when the last frame
// has played out.
func TestUtterances(t *testing.T) {
	tests := []struct {
		name   string
		play   func(p *playout.Player)
		want   []int16 // first samples of the bot frames
		events []string
	}{
		{
			name: "one utterance of 25 frames queued at 100 ms",
			play: func(p *playout.Player) {
				p.Play(1, utterance(1, 25))
				p.End(1)
			},
			want: seq(1, 0, 25),
			// Frame 7 is the first sent after 100 ms (at 120 ms, with lead
			// 2 it plays from 140 ms); frame 31 plays until 640 ms.
			events: []string{"start 1 at 120ms", "finish 1 at 640ms interrupted=false"},
		},
		{
			name: "two utterances in chunks, the second without End",
			play: func(p *playout.Player) {
				u := utterance(1, 10)
				p.Play(1, u[:3*fs+17])
				p.Play(1, u[3*fs+17:])
				p.End(1)
				p.Play(2, utterance(2, 5))
				p.Play(3, utterance(3, 2))
				p.End(3)
			},
			want: append(append(seq(1, 0, 10), seq(2, 0, 5)...), seq(3, 0, 2)...),
			events: []string{
				"start 1 at 120ms", "start 2 at 320ms", "finish 1 at 340ms interrupted=false",
				"start 3 at 420ms", "finish 2 at 440ms interrupted=false", "finish 3 at 480ms interrupted=false",
			},
		},
		{
			name: "a partial last frame is padded with silence",
			play: func(p *playout.Player) {
				p.Play(4, utterance(4, 3)[:2*fs+1])
				p.End(4)
			},
			want:   seq(4, 0, 3),
			events: []string{"start 4 at 120ms", "finish 4 at 200ms interrupted=false"},
		},
		{
			name: "a stray End does nothing",
			play: func(p *playout.Player) {
				p.End(9)
			},
			events: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c, rec := newConn(), newRecorder()
				p := playout.New(playout.Config{}, c.send, rec)
				stop := start(p)
				time.Sleep(100 * time.Millisecond)
				synctest.Wait()
				tt.play(p)
				if err := p.WaitIdle(context.Background()); err != nil {
					t.Fatalf("WaitIdle: %v", err)
				}
				idleAt := time.Since(c.t0)
				time.Sleep(time.Second)
				synctest.Wait()
				if err := stop(); err != nil {
					t.Fatalf("Run: %v", err)
				}
				got, _ := botFrames(c.sent())
				if fmt.Sprint(got) != fmt.Sprint(tt.want) {
					t.Errorf("bot frames %v, want %v", got, tt.want)
				}
				if ev := rec.log_(); fmt.Sprint(ev) != fmt.Sprint(tt.events) {
					t.Errorf("events %q, want %q", ev, tt.events)
				}
				if len(tt.events) > 0 {
					last := tt.events[len(tt.events)-1]
					if want := last[len("finish 0 at ") : len(last)-len(" interrupted=false")]; idleAt.String() != want {
						t.Errorf("idle at %v, want %v (the last finish)", idleAt, want)
					}
				}
				if rec.under != 0 || rec.late != 0 {
					t.Errorf("%d underruns, %d late, want none", rec.under, rec.late)
				}
			})
		})
	}
}

// An utterance that runs dry before End sends silence and counts an underrun
// per frame; when more comes it resumes as the same utterance.
func TestUnderrun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, rec := newConn(), newRecorder()
		p := playout.New(playout.Config{}, c.send, rec)
		stop := start(p)
		u := utterance(1, 10)
		p.Play(1, u[:5*fs])
		time.Sleep(200 * time.Millisecond) // its 5 frames sent at 20..100 ms, then silence at 120..200 ms
		synctest.Wait()
		if !p.Speaking() {
			t.Errorf("Speaking false during an underrun")
		}
		p.Play(1, u[5*fs:])
		p.End(1)
		if err := p.WaitIdle(context.Background()); err != nil {
			t.Fatalf("WaitIdle: %v", err)
		}
		if err := stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}
		got, _ := botFrames(c.sent())
		if fmt.Sprint(got) != fmt.Sprint(seq(1, 0, 10)) {
			t.Errorf("bot frames %v, want %v", got, seq(1, 0, 10))
		}
		if rec.under != 5 {
			t.Errorf("%d underruns, want 5", rec.under)
		}
		if ev, want := rec.log_(), []string{"start 1 at 20ms", "finish 1 at 340ms interrupted=false"}; fmt.Sprint(ev) != fmt.Sprint(want) {
			t.Errorf("events %q, want %q", ev, want)
		}
	})
}

// Barge-in: Flush drops the rest of the utterance, the very next frame is
// silence and the utterance is reported interrupted.
func TestFlush(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, rec := newConn(), newRecorder()
		p := playout.New(playout.Config{}, c.send, rec)
		stop := start(p)
		p.Play(1, utterance(1, 50))
		p.End(1)
		p.Play(2, utterance(2, 10))
		time.Sleep(300 * time.Millisecond)
		synctest.Wait()
		before := len(c.sent()) // frames 0..15 sent by 300 ms, 2..15 of them bot audio
		if dropped := p.Flush(); dropped != 50-(before-2)+10 {
			t.Errorf("Flush dropped %d frames, want %d", dropped, 50-(before-2)+10)
		}
		if p.Speaking() {
			t.Errorf("Speaking after Flush")
		}
		select {
		case <-p.Idle():
		default:
			t.Errorf("not idle after Flush")
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if err := stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}
		frames := c.sent()
		if frames[before].bot || !frames[before-1].bot {
			t.Errorf("frame %d (last before Flush) bot=%v, frame %d (first after) bot=%v; want bot then silence",
				before-1, frames[before-1].bot, before, frames[before].bot)
		}
		got, _ := botFrames(frames)
		if fmt.Sprint(got) != fmt.Sprint(seq(1, 0, before-2)) {
			t.Errorf("bot frames %v, want %v", got, seq(1, 0, before-2))
		}
		want := []string{"start 1 at 20ms", "finish 1 at 300ms interrupted=true", "finish 2 at 300ms interrupted=true"}
		if ev := rec.log_(); fmt.Sprint(ev) != fmt.Sprint(want) {
			t.Errorf("events %q, want %q", ev, want)
		}
	})
}

// A send that blocks for 200 ms (a stalled TCP peer, a GC pause) must not be
// followed by a burst of the backlog: the ticks that passed are skipped and
// reported, at most lead frames go out at once, and the audio resumes where
// it stopped.
func TestStall(t *testing.T) {
	for _, lead := range []int{1, 2, 3} {
		t.Run(fmt.Sprintf("lead %d", lead), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c, rec := newConn(), newRecorder()
				c.hook = func(k int) error {
					if k == 20 {
						time.Sleep(200 * time.Millisecond)
					}
					return nil
				}
				p := playout.New(playout.Config{Lead: lead}, c.send, rec)
				stop := start(p)
				p.Play(1, utterance(1, 100))
				p.End(1)
				time.Sleep(3 * time.Second)
				synctest.Wait()
				if err := stop(); err != nil {
					t.Fatalf("Run: %v", err)
				}
				frames := c.sent()
				burst := map[time.Duration]int{}
				for k, f := range frames {
					if k > 0 && f.at < frames[k-1].at {
						t.Fatalf("frame %d recorded before frame %d", k, k-1)
					}
					if f.at > 0 {
						burst[f.at]++
					}
				}
				for at, n := range burst {
					if n > lead {
						t.Errorf("%d frames sent at %v, lead is %d", n, at, lead)
					}
				}
				// Frame 20 was due at (20-lead+1)·20 ms and returned 200 ms
				// later, in slot due+10: it took that slot, the next frame
				// sent is due+11 and frames 21..due+10 were skipped.
				due := 20 - lead + 1
				if want := (due + 10 + 1) - 21; rec.late != want {
					t.Errorf("%d late frames, want %d", rec.late, want)
				}
				// The frame held by the stalled send reached the line
				// 200 ms after it was due: that is the lateness, whatever
				// the lead.
				if rec.worst != 200*time.Millisecond {
					t.Errorf("worst lateness %v, want 200ms", rec.worst)
				}
				got, _ := botFrames(frames)
				if fmt.Sprint(got) != fmt.Sprint(seq(1, 0, 100)) {
					t.Errorf("audio not resumed in order: %v", got)
				}
			})
		})
	}
}

// Run returns nil when its context is cancelled, and leaves nothing behind
// (TestMain checks goroutines); a failing send stops it with the error.
func TestRunStops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newConn()
		p := playout.New(playout.Config{}, c.send, nil)
		p.Play(1, utterance(1, 100))
		stop := start(p)
		time.Sleep(time.Second)
		if err := stop(); err != nil {
			t.Errorf("Run after cancel: %v, want nil", err)
		}
		if err := p.WaitIdle(context.Background()); !errors.Is(err, playout.ErrStopped) {
			t.Errorf("WaitIdle after Run: %v, want ErrStopped", err)
		}
	})
	synctest.Test(t, func(t *testing.T) {
		c := newConn()
		boom := errors.New("broken pipe")
		c.hook = func(k int) error {
			if k == 5 {
				return boom
			}
			return nil
		}
		p := playout.New(playout.Config{}, c.send, nil)
		err := p.Run(context.Background())
		if !errors.Is(err, boom) {
			t.Errorf("Run: %v, want %v", err, boom)
		}
		if n := len(c.sent()); n != 5 {
			t.Errorf("%d frames sent, want 5", n)
		}
	})
	synctest.Test(t, func(t *testing.T) {
		p := playout.New(playout.Config{}, newConn().send, nil)
		p.Play(1, utterance(1, 10))
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := p.WaitIdle(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("WaitIdle without Run: %v, want DeadlineExceeded", err)
		}
	})
}

func TestQueueFull(t *testing.T) {
	p := playout.New(playout.Config{MaxQueued: time.Second}, newConn().send, nil)
	if err := p.Play(1, utterance(1, 40)); err != nil {
		t.Fatalf("Play 800 ms: %v", err)
	}
	if err := p.Play(1, utterance(1, 11)); !errors.Is(err, playout.ErrQueueFull) {
		t.Errorf("Play 220 ms more: %v, want ErrQueueFull", err)
	}
	if err := p.Play(1, utterance(1, 10)); err != nil {
		t.Errorf("Play up to 1 s: %v", err)
	}
	if n := p.Flush(); n != 50 {
		t.Errorf("Flush dropped %d frames, want 50", n)
	}
}
