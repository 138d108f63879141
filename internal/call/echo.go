package call

import (
	"slices"
	"sync"
	"time"

	"github.com/tirevoice/assistant/internal/aec"
	"github.com/tirevoice/assistant/internal/audio"
)

// The line echo canceller sits between the caller's audio and everything
// that listens to it (the detectors, the pre-roll, recognition). It is fed
// with exactly what the player sent, taken from the tape below, and runs at
// the analysis rate (8 kHz) whatever the caller's rate.
//
// Pairing. The canceller needs, for every received frame, the frame sent at
// the same moment; a constant offset between the two is the echo delay it
// estimates, but the offset must not move. Frames sent are counted by the
// player's ticks (a tick it skipped is silence on the line), received ones
// by the caller's frames. Counting is immune to jitter (a late frame is
// still the next one), but a frame lost on the line, or the silence a phone
// with silence suppression does not send, would shift the count for good.
// So the reader also keeps the caller's frames on the clock: each is due
// 20 ms after the one before. When the last frames that came at the line's
// pace all came a frame or more late, frames went missing, and that many
// are skipped on both sides (aec.Canceller.Missing); a gap of gapFill or
// more (silence suppression, a hold) is skipped as soon as the frame after it
// comes at the line's pace. Frames read in a burst after the processor
// stalled say nothing about the line and are left out.

// farTapeLen is how much of the sent audio the tape keeps, in frames: more
// than the canceller's delay range and tail, and than a reader stall.
const farTapeLen = 64

// farTape is what the player sent, frame by frame at the analysis rate,
// shared by the player's goroutine (sent, skipped) and the reader's (read).
type farTape struct {
	mu     sync.Mutex
	frames [farTapeLen][160]int16 // analysis-rate frames, by slot modulo farTapeLen
	silent [farTapeLen]bool
	next   int64 // slots written

	// Player goroutine only: the caller's rate to 8 kHz.
	res     *audio.Resampler
	pending audio.PCM16
}

func newFarTape(rate audio.Rate) *farTape {
	t := &farTape{}
	if rate != analysisRate {
		t.res = audio.NewResampler(rate, analysisRate)
		t.pending = make(audio.PCM16, 0, 2*analysisRate.FrameSamples())
	}
	return t
}

// sent records one frame as the player wrote it, at the caller's rate.
func (t *farTape) sent(frame audio.PCM16) {
	if t.res == nil {
		t.put(frame)
		return
	}
	t.pending = t.res.Process(t.pending, frame)
	n := analysisRate.FrameSamples()
	for len(t.pending) >= n {
		t.put(t.pending[:n])
		t.pending = append(t.pending[:0], t.pending[n:]...)
	}
}

func (t *farTape) put(f audio.PCM16) {
	quiet := true
	for _, v := range f {
		if v != 0 {
			quiet = false
			break
		}
	}
	t.mu.Lock()
	slot := t.next % farTapeLen
	t.silent[slot] = quiet
	if !quiet {
		copy(t.frames[slot][:], f)
	}
	t.next++
	t.mu.Unlock()
}

// skipped records ticks the player skipped: nothing went out for them.
func (t *farTape) skipped(frames int) {
	t.mu.Lock()
	for range min(frames, farTapeLen) {
		t.silent[t.next%farTapeLen] = true
		t.next++
	}
	if frames > farTapeLen {
		t.next += int64(frames - farTapeLen)
	}
	t.mu.Unlock()
}

// written is the number of slots recorded so far.
func (t *farTape) written() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.next
}

// read copies slot into dst; a slot not recorded (not sent yet, or gone
// from the tape) reads as silence.
func (t *farTape) read(slot int64, dst audio.PCM16) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if slot < 0 || slot >= t.next || slot < t.next-farTapeLen || t.silent[slot%farTapeLen] {
		clear(dst)
		return
	}
	copy(dst, t.frames[slot%farTapeLen][:])
}

// Pairing: frames count as missing when the last missingWindow frames that
// came at the line's pace (not in a burst after a stall) all came at least
// missingLate late; when they all came earlyRebase early, the caller's clock
// started late (its first frame was late).
const (
	missingWindow = 10
	missingLate   = 15 * time.Millisecond
	earlyRebase   = -10 * time.Millisecond
	burstGap      = 5 * time.Millisecond // frames read closer than this were queued: a stall, not the line
)

// echoCanceller is the reader's side: it pairs each received frame with a
// sent one and cancels the echo in place. Reader goroutine only.
type echoCanceller struct {
	ac   *aec.Canceller
	tape *farTape
	far  audio.PCM16

	started bool
	first   int64     // the sent slot paired with received frame 0: frame n gets first+n
	t0      time.Time // when received frame 0 was due: the caller's clock
	n       int64     // received frames counted, missing ones included
	last    time.Time // when the last frame came
	late    [missingWindow]time.Duration
	gap     time.Duration // a frame came this late: frames are missing if the next comes at pace
	lateN   int           // lateness values in late (up to missingWindow)
	missing int64         // received frames found missing
	// aligned is false while the last frame came a frame or more late and
	// the window has not yet said whether frames were lost: the pairing
	// may be a frame off, and what the canceller says it left is not to be
	// trusted.
	aligned bool
}

func newEchoCanceller(tape *farTape, maxDelay time.Duration) (*echoCanceller, error) {
	ac, err := aec.New(aec.Config{Rate: analysisRate, MaxDelay: maxDelay})
	if err != nil {
		return nil, err
	}
	return &echoCanceller{ac: ac, tape: tape, far: make(audio.PCM16, analysisRate.FrameSamples())}, nil
}

// process cancels the echo in f, a frame received at `at`, in place.
func (e *echoCanceller) process(f audio.PCM16, at time.Time) {
	if !e.started {
		// The frame sent a tick before the caller's first frame came: the
		// echo in it is older still, so the canceller's delay is positive,
		// and the tick's own frame, which the player may be writing at this
		// very moment, is never read before it is there.
		e.started, e.t0, e.last = true, at, at
		e.first = e.tape.written() - 2
	}
	paced := at.Sub(e.last) >= burstGap
	e.last = at
	if e.gap > 0 {
		// The frame after a gap came at the line's pace: the gap was the
		// line's (silence suppression, a hold, lost frames), not a stall of
		// ours, after which frames are read in a burst.
		if paced {
			e.skip(int64(e.gap / audio.FrameTime))
		}
		e.gap = 0
	}
	late := at.Sub(e.t0.Add(time.Duration(e.n) * audio.FrameTime))
	e.aligned = late < missingLate
	switch {
	case late >= gapFill:
		e.gap, e.lateN = late, 0
	case paced || e.lateN == 0:
		e.late[e.lateN%missingWindow] = late
		e.lateN++
	}
	if e.lateN >= missingWindow {
		least := slices.Min(e.late[:])
		var shift time.Duration // the caller's clock moves on by this
		switch {
		case least >= missingLate:
			// Every frame lately came a frame or more late: some never
			// came (lost on the line).
			k := int64((least + audio.FrameTime/2) / audio.FrameTime)
			e.skip(k)
			shift = time.Duration(k) * audio.FrameTime
		case least < earlyRebase:
			// The first frame was itself late: the caller's clock
			// started earlier.
			e.t0 = e.t0.Add(least)
			shift = least
		}
		// The window, seen on the new clock: a second loss within it is
		// found as soon as the frames after it fill the window.
		for i := range e.late {
			e.late[i] -= shift
		}
	}
	e.tape.read(e.first+e.n, e.far)
	e.ac.Far(e.far)
	e.ac.Process(f, f)
	e.n++
}

// skip accounts for k received frames that never came.
func (e *echoCanceller) skip(k int64) {
	e.missing += k
	for range k {
		e.tape.read(e.first+e.n, e.far) // silence once beyond the tape's reach
		e.ac.Far(e.far)
		e.ac.Missing()
		e.n++
	}
}

// echoSummary is what the canceller found in a call, for its end line.
type echoSummary struct {
	delay   time.Duration // the echo delay it locked on, playout lead included; 0 if none
	missing int64         // caller frames that never came (lost, or silence suppression)
}

// newEchoCanceller returns the reader's canceller once the player runs (the
// tape exists), or nil before that and with CALL_ECHO_CANCEL off.
func (ss *session) newEchoCanceller() *echoCanceller {
	t := ss.tape.Load()
	if t == nil {
		return nil
	}
	cfg := ss.svc.deps.Config
	// The delay the canceller sees is the line's echo delay plus the
	// player's lead and a frame of pairing.
	e, err := newEchoCanceller(t, cfg.EchoMaxDelay+time.Duration(cfg.PlayoutLead+1)*audio.FrameTime)
	if err != nil {
		ss.log.Error("echo canceller not started", "err", err)
		ss.tape.Store(nil)
		return nil
	}
	return e
}
