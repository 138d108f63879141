// Package playout paces the bot's audio onto a call in real time.
//
// Asterisk neither buffers nor paces what it receives over AudioSocket: every
// frame goes straight to the caller, and a call with no audio for 2 s is hung
// up. So the Player sends exactly one 20 ms frame per 20 ms of monotonic
// time, a bounded number of frames ahead, bot audio when there is some and
// silence otherwise, and it can drop the bot's queued audio at once when the
// caller barges in.
package playout

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tirevoice/assistant/internal/audio"
)

// Errors.
var (
	ErrStopped   = errors.New("playout: player stopped")
	ErrQueueFull = errors.New("playout: queue full")
	ErrCancelled = errors.New("playout: turn cancelled")
)

// Config tunes a Player. A zero field takes its default.
type Config struct {
	Rate      audio.Rate    // rate of queued audio and of the frames given to send; default 8 kHz
	Lead      int           // frames sent ahead of real time (audio in flight at most Lead × 20 ms); default 2, at least 1
	MaxQueued time.Duration // bot audio that may wait in the queue; Play refuses more with ErrQueueFull; default 5 min
}

// Defaults of Config.
const (
	DefaultRate      = audio.Rate8k
	DefaultLead      = 2
	DefaultMaxQueued = 5 * time.Minute
)

func (c Config) withDefaults() Config {
	if c.Rate <= 0 {
		c.Rate = DefaultRate
	}
	if c.Lead <= 0 {
		c.Lead = DefaultLead
	}
	if c.MaxQueued <= 0 {
		c.MaxQueued = DefaultMaxQueued
	}
	return c
}

// Observer hears what the Player does. All calls come from the goroutine
// running Run, never while the Player holds its lock, so an Observer may call
// back into the Player; they must return quickly (they are on the 20 ms
// path) and must not keep arguments beyond the call.
type Observer interface {
	// FrameSent follows every frame send accepted: its energy (mean square,
	// see audio.Energy; 0 for silence) and whether it carried bot audio.
	// A barge-in detector's Sent hooks in here.
	FrameSent(energy float64, bot bool)
	// UtteranceStarted reports the first frame of an utterance, just
	// before it is sent: turn latency is measured to at.
	UtteranceStarted(id uint64, at time.Time)
	// UtteranceFinished reports the end of an utterance: once its last
	// frame has played out (at is the end of that frame on the schedule),
	// or, interrupted, when Flush dropped it (at is the time of Flush).
	// Every utterance given to Play gets exactly one, even one that never
	// started.
	UtteranceFinished(id uint64, at time.Time, interrupted bool)
	// Underrun reports a silence frame sent while an utterance was in
	// progress: it had started, was not ended, and its next audio had not
	// been queued in time.
	Underrun()
	// Late reports ticks skipped because the process (or send) stalled:
	// those frames were never sent, the audio resumes where it was. It is
	// not an underrun: no silence goes out in the middle of an utterance,
	// the utterance is delayed instead. by is how far behind its schedule
	// the audio was when Run noticed: the time since the frame it had just
	// sent (a send that blocked) or was about to send (a tick that fired
	// late) was due to be sent.
	Late(frames int, by time.Duration)
}

// NopObserver ignores everything.
type NopObserver struct{}

func (NopObserver) FrameSent(float64, bool)                   {}
func (NopObserver) UtteranceStarted(uint64, time.Time)        {}
func (NopObserver) UtteranceFinished(uint64, time.Time, bool) {}
func (NopObserver) Underrun()                                 {}
func (NopObserver) Late(int, time.Duration)                   {}

var _ Observer = NopObserver{}

// segment is a piece of queued audio, or the end mark of an utterance.
type segment struct {
	id   uint64
	turn uint64 // 0: audio of no turn (prompts), which Cancel leaves alone
	pcm  audio.PCM16
	end  bool
}

// finish is an utterance whose frames have all been sent.
type finish struct {
	id          uint64
	last        int64     // index of its last frame
	at          time.Time // for interruptions: when Flush ran
	interrupted bool
}

// Player is the real-time playout of one call.
//
// Frame k of the call plays during [start + k·20 ms, start + (k+1)·20 ms),
// where start is when Run began, and is sent Lead−1 frames before that: at
// any moment at most Lead frames are in flight. The schedule is by frame
// index from start on the monotonic clock, so it does not drift. A tick that
// comes too late to be useful is skipped (and reported to Observer.Late)
// rather than sent in a burst; a send that blocks across ticks makes its
// frame take the slot playing when it returns, so that even then no more
// than Lead frames are in flight. The audio is not skipped: it resumes
// where it stopped.
//
// Play, PlayTurn, End, Flush, Cancel, Speaking, Idle and WaitIdle may be
// called from any goroutine; Run from one.
type Player struct {
	cfg    Config
	fs     int // samples per frame
	send   func(audio.PCM16) error
	obs    Observer
	frame  audio.PCM16 // the frame being sent; owned by Run
	events []finish    // callbacks due; owned by Run
	closed chan struct{}

	mu      sync.Mutex
	queue   []segment
	head    int // first live segment in queue
	off     int // samples of queue[head] already sent
	queued  int // samples waiting in queue
	cur     uint64
	curTurn uint64 // the turn of cur
	playing bool   // cur has started and is not finished
	// cancelled is the latest turn cancelled: audio of turns 1..cancelled
	// is refused, so that a turn cut off by the caller cannot reach the
	// line however late its worker queues a piece.
	cancelled uint64
	pending   []finish // sent in full, still playing out, or interrupted and not reported yet
	busy      bool     // not idle: something queued, playing or playing out
	idle      chan struct{}
	stopped   chan struct{}
}

// New returns a Player that writes frames with send: one call per 20 ms frame
// of cfg.Rate samples, silence included. send must not keep the frame after
// it returns; an error from send stops Run. obs may be nil.
func New(cfg Config, send func(frame audio.PCM16) error, obs Observer) *Player {
	cfg = cfg.withDefaults()
	if obs == nil {
		obs = NopObserver{}
	}
	closed := make(chan struct{})
	close(closed)
	return &Player{
		cfg:     cfg,
		fs:      cfg.Rate.FrameSamples(),
		send:    send,
		obs:     obs,
		frame:   make(audio.PCM16, cfg.Rate.FrameSamples()),
		events:  make([]finish, 0, 8),
		closed:  closed,
		pending: make([]finish, 0, 8),
		stopped: make(chan struct{}),
	}
}

func (p *Player) String() string {
	return fmt.Sprintf("playout(%v, lead %d)", p.cfg.Rate, p.cfg.Lead)
}

// Play queues pcm (at cfg.Rate) as the next part of utterance id, which
// belongs to no turn: Cancel never drops it (Flush does). It is
// PlayTurn(0, id, pcm).
func (p *Player) Play(id uint64, pcm audio.PCM16) error { return p.PlayTurn(0, id, pcm) }

// PlayTurn queues pcm (at cfg.Rate) as the next part of utterance id of
// turn (0 for audio of no turn). Parts of one utterance play back to back;
// an utterance ends with End, or when PlayTurn is called with another id.
// The Player takes ownership of pcm: the caller must not modify it
// afterwards. Empty pcm is ignored. If turn has been cancelled (Cancel with
// turn or a later one), nothing is queued and ErrCancelled is returned; if
// more than MaxQueued would be waiting, nothing is queued and ErrQueueFull
// is returned. Audio refused gets no Observer call.
func (p *Player) PlayTurn(turn, id uint64, pcm audio.PCM16) error {
	if len(pcm) == 0 {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if turn != 0 && turn <= p.cancelled {
		return ErrCancelled
	}
	if p.cfg.Rate.Duration(p.queued+len(pcm)) > p.cfg.MaxQueued {
		return ErrQueueFull
	}
	p.compact()
	p.queue = append(p.queue, segment{id: id, turn: turn, pcm: pcm})
	p.queued += len(pcm)
	p.setBusy()
	return nil
}

// End marks utterance id complete: once its queued audio has been sent (its
// last frame padded with silence), the utterance is finished, not underrun.
// End for an utterance that is not queued or playing is ignored.
func (p *Player) End(id uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.compact()
	p.queue = append(p.queue, segment{id: id, end: true})
	p.setBusy()
}

// Flush drops all queued bot audio, at once: unless more is queued in the
// meantime, the next frame sent is silence. Frames already sent (at most
// Lead) cannot be taken back; an utterance all of whose frames were sent is
// not affected and finishes normally. The utterance in progress and every
// queued one are reported finished, interrupted, on the next tick. Flush returns the
// number of frames of audio dropped.
func (p *Player) Flush() (dropped int) {
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	samples := p.queued
	var last uint64
	some := false
	if p.playing {
		p.pending = append(p.pending, finish{id: p.cur, at: now, interrupted: true})
		last, some = p.cur, true
		p.playing = false
	}
	for _, s := range p.queue[p.head:] {
		if !s.end && (!some || s.id != last) {
			p.pending = append(p.pending, finish{id: s.id, at: now, interrupted: true})
			last, some = s.id, true
		}
	}
	clear(p.queue)
	p.queue, p.head, p.off, p.queued = p.queue[:0], 0, 0, 0
	p.updateIdle()
	return (samples + p.fs - 1) / p.fs
}

// Cancel cancels turn and every earlier one (turns are numbered from 1):
// their queued audio is dropped at once, as by Flush, and PlayTurn refuses
// any more of it. Audio of no turn (Play) and of later turns stays queued.
// A cancelled utterance in progress and every queued one are reported
// finished, interrupted, on the next tick. Cancelling a turn again, or an
// earlier one, changes nothing. Cancel returns the number of frames of
// audio dropped.
func (p *Player) Cancel(turn uint64) (dropped int) {
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if turn <= p.cancelled {
		return 0
	}
	p.cancelled = turn
	stale := func(t uint64) bool { return t != 0 && t <= turn }
	var last uint64
	some := false
	if p.playing && stale(p.curTurn) {
		p.pending = append(p.pending, finish{id: p.cur, at: now, interrupted: true})
		last, some = p.cur, true
		p.playing = false
	}
	samples := 0
	keep := p.queue[:p.head]
	for i, s := range p.queue[p.head:] {
		if !stale(s.turn) {
			keep = append(keep, s)
			continue
		}
		if i == 0 {
			samples -= p.off // already sent
			p.off = 0
		}
		samples += len(s.pcm)
		if !s.end && (!some || s.id != last) {
			p.pending = append(p.pending, finish{id: s.id, at: now, interrupted: true})
			last, some = s.id, true
		}
	}
	clear(p.queue[len(keep):])
	p.queue = keep
	p.queued -= samples
	if p.head == len(p.queue) {
		p.queue, p.head, p.off = p.queue[:0], 0, 0
	}
	p.updateIdle()
	return (samples + p.fs - 1) / p.fs
}

// Speaking reports whether bot audio is queued, being sent or still playing
// out.
func (p *Player) Speaking() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.busy
}

// Idle returns a channel that is closed once nothing is queued and all bot
// audio has played out (and is closed already if that is so now). Audio
// queued later makes Speaking true again; call Idle again for a new channel.
func (p *Player) Idle() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.busy {
		return p.closed
	}
	if p.idle == nil {
		p.idle = make(chan struct{})
	}
	return p.idle
}

// WaitIdle waits until Idle, ctx is done (ctx.Err()) or Run has returned
// (ErrStopped).
func (p *Player) WaitIdle(ctx context.Context) error {
	select {
	case <-p.Idle():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-p.stopped:
		return ErrStopped
	}
}

// Run sends frames on schedule until ctx is done (it returns nil) or send
// fails (it returns the error). It must be called once. No Observer call
// follows its return; audio still queued is never played.
func (p *Player) Run(ctx context.Context) error {
	defer close(p.stopped)
	lead := int64(p.cfg.Lead)
	start := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
	var next int64 // index of the next frame to send
	// due is when frame k is to be sent: Lead−1 frames before it plays,
	// the first Lead frames at once.
	due := func(k int64) time.Duration { return time.Duration(max(0, k-lead+1)) * audio.FrameTime }
	for {
		if ctx.Err() != nil {
			return nil
		}
		elapsed := time.Since(start)
		cur := int64(elapsed / audio.FrameTime) // the frame playing now
		if next < cur {
			p.obs.Late(int(cur-next), elapsed-due(next))
			next = cur
		}
		p.report(start, cur)
		for next < cur+lead {
			if err := p.sendFrame(next); err != nil {
				return err
			}
			sent := next
			next++
			elapsed := time.Since(start)
			if now := int64(elapsed / audio.FrameTime); now > cur {
				// send blocked across a tick: the frame it held goes out
				// now, so it takes the slot playing now and the lead
				// counts from there.
				if next < now+1 {
					p.obs.Late(int(now+1-next), elapsed-due(sent))
					next = now + 1
				}
				cur = now
			}
		}
		timer.Reset(time.Until(start.Add(time.Duration(next-lead+1) * audio.FrameTime)))
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		}
	}
}

// report delivers the finishes that are due by frame cur: interruptions at
// once, completions once their last frame has played out.
func (p *Player) report(start time.Time, cur int64) {
	p.mu.Lock()
	if len(p.pending) == 0 {
		p.mu.Unlock()
		return
	}
	p.events = p.events[:0]
	keep := p.pending[:0]
	for _, f := range p.pending {
		switch {
		case f.interrupted:
			p.events = append(p.events, f)
		case f.last < cur:
			f.at = start.Add(time.Duration(f.last+1) * audio.FrameTime)
			p.events = append(p.events, f)
		default:
			keep = append(keep, f)
		}
	}
	p.pending = keep
	p.mu.Unlock()

	for _, f := range p.events {
		p.obs.UtteranceFinished(f.id, f.at, f.interrupted)
	}
	if len(p.events) > 0 {
		p.mu.Lock()
		p.updateIdle()
		p.mu.Unlock()
	}
}

// sendFrame fills frame k from the queue, sends it and tells the observer.
func (p *Player) sendFrame(k int64) error {
	p.mu.Lock()
	started, startID, underrun, bot := p.fill(k)
	p.updateIdle() // a stray end mark may have been all that was queued
	p.mu.Unlock()

	if started {
		p.obs.UtteranceStarted(startID, time.Now())
	}
	if underrun {
		p.obs.Underrun()
	}
	if err := p.send(p.frame); err != nil {
		return fmt.Errorf("playout: send: %w", err)
	}
	var energy float64
	if bot {
		energy = audio.Energy(p.frame)
	}
	p.obs.FrameSent(energy, bot)
	return nil
}

// fill writes frame k into p.frame: the next frame of bot audio, or silence.
// p.mu is held.
func (p *Player) fill(k int64) (started bool, startID uint64, underrun, bot bool) {
	for {
		if p.head == len(p.queue) {
			// Nothing queued.
			clear(p.frame)
			return false, 0, p.playing, false
		}
		id := p.queue[p.head].id
		if p.playing && p.cur != id && !p.queue[p.head].end {
			// Another utterance follows: the playing one ended with
			// the previous frame.
			p.finishCurrent(k - 1)
		}
		avail, closed := p.available(id)
		switch {
		case avail >= p.fs || (closed && avail > 0):
			if !p.playing || p.cur != id {
				p.cur, p.curTurn, p.playing = id, p.queue[p.head].turn, true
				started, startID = true, id
			}
			n := p.take(id, p.frame)
			clear(p.frame[n:])
			if closed && avail <= p.fs {
				p.finishCurrent(k)
			}
			return started, startID, false, true
		case closed:
			// An end mark with nothing before it: the utterance's last
			// frame was the previous one, or it is a stray mark.
			p.pop()
			if p.playing && p.cur == id {
				p.finishCurrent(k - 1)
			}
		default:
			// Not a whole frame queued and not ended: wait for more.
			clear(p.frame)
			return false, 0, p.playing && p.cur == id, false
		}
	}
}

// available counts the samples of utterance id at the head of the queue,
// looking no further than needed to fill a frame and to know whether the
// utterance ends there (closed). p.mu is held.
func (p *Player) available(id uint64) (n int, closed bool) {
	off := p.off
	for _, s := range p.queue[p.head:] {
		if s.id != id || s.end {
			return n, true
		}
		if n > p.fs {
			return n, false
		}
		n += len(s.pcm) - off
		off = 0
	}
	return n, false
}

// take copies up to one frame of utterance id from the head of the queue
// into dst, consuming it, and returns the samples copied. p.mu is held.
func (p *Player) take(id uint64, dst audio.PCM16) int {
	n := 0
	for n < len(dst) && p.head < len(p.queue) {
		s := &p.queue[p.head]
		if s.id != id || s.end {
			break
		}
		c := copy(dst[n:], s.pcm[p.off:])
		n += c
		p.off += c
		if p.off == len(s.pcm) {
			p.pop()
		}
	}
	p.queued -= n
	return n
}

// pop removes the segment at the head of the queue. p.mu is held.
func (p *Player) pop() {
	p.queue[p.head] = segment{}
	p.head++
	p.off = 0
	if p.head == len(p.queue) {
		p.queue, p.head = p.queue[:0], 0
	}
}

// compact moves the live segments to the front of the queue once the
// consumed ones make up half of it, so that a queue that never quite empties
// does not grow. p.mu is held.
func (p *Player) compact() {
	if p.head == 0 || p.head < len(p.queue)/2 {
		return
	}
	n := copy(p.queue, p.queue[p.head:])
	clear(p.queue[n:])
	p.queue, p.head = p.queue[:n], 0
}

// finishCurrent ends the playing utterance with frame last. p.mu is held.
func (p *Player) finishCurrent(last int64) {
	if p.head < len(p.queue) && p.queue[p.head].end && p.queue[p.head].id == p.cur {
		p.pop()
	}
	p.pending = append(p.pending, finish{id: p.cur, last: last})
	p.playing = false
}

func (p *Player) setBusy() { p.busy = true }

// updateIdle closes the idle channel once nothing is queued, playing or
// playing out. p.mu is held.
func (p *Player) updateIdle() {
	if !p.busy || p.head < len(p.queue) || p.playing {
		return
	}
	for _, f := range p.pending {
		if !f.interrupted {
			return
		}
	}
	p.busy = false
	if p.idle != nil {
		close(p.idle)
		p.idle = nil
	}
}
