package audiosocket

import (
	"fmt"
	"time"
)

// DefaultMaxAudioBurst is how far, by default, the audio a call receives may
// run ahead of the clock: frames that a network stall held back arrive
// together, and TCP's retransmission backoff (200 + 400 + 800 ms) can hold
// back well over a second of them on a real line. A flood gains no more than
// this much audio, a few milliseconds of work, before its call ends.
const DefaultMaxAudioBurst = 2 * time.Second

// maxFrameRate bounds the frames a second a call may receive on average,
// whatever they carry: Asterisk sends one frame per 10 or 20 ms of audio and
// one per DTMF digit, so 500 is many times what it needs, while a flood of
// tiny frames (4-byte DTMF, one-sample audio) that would cost a core in
// per-frame work is stopped. It gets the same burst, as a time, as audio.
const maxFrameRate = 500

// maxCatchUp is how much audio held back by a stall may arrive late, at
// once, on top of the burst: frames that a stall of the network, or of
// this process itself (a starved CPU, a long GC pause), held back in the
// socket buffers come together when it ends, all of them due already. A
// peer cannot have sent more real-time audio than the time that passed,
// so the backlog of a stall of up to maxCatchUp is taken as what it is;
// a flood still ends within maxCatchUp + burst of audio, a few megabytes
// at the highest rate. Without it, every call of an instance that stalled
// for over the burst would be cut off at once.
const maxCatchUp = 10 * time.Second

// driftAllowance is the part of real time by which audio may keep arriving
// faster than the clock without ever using up the burst: Asterisk forwards
// frames at the pace of the caller's clock, which may run fast by parts per
// thousand over a long call. 1/16 is far above any clock's error and far
// below a flood's excess.
const driftAllowance = 16

// pace decides whether a call's frames arrive faster than real time. It is
// the generic cell rate algorithm, twice: for each frame the "theoretical
// arrival time" moves on by what the frame is worth (its audio's duration;
// one frame's share of maxFrameRate), starting from now if it had fallen
// behind by more than maxCatchUp, and a frame that pushes it more than
// burst ahead of the clock is too fast. Frames that bunch after a stall,
// or after a silent stretch (silence suppression, a hold), spend what the
// stretch left unused, up to maxCatchUp + burst.
//
// pace is used by the one goroutine that reads the call: no lock; no
// allocation unless it reports a flood.
type pace struct {
	burst time.Duration // <= 0: no limit
	start time.Time     // the monotonic reference; set when the call starts
	audio time.Duration // since start: when the audio received so far is due
	frame time.Duration // since start: when the frames received so far are due
}

// admit accounts for one frame that arrived at now and carries audio of
// duration d (0 for DTMF and other frames). It returns ErrTooFast, with
// detail, when the frame is over the limit.
func (p *pace) admit(now time.Time, d time.Duration) error {
	if p.burst <= 0 {
		return nil
	}
	at := now.Sub(p.start)
	p.audio = max(p.audio, at-maxCatchUp) + d - d/driftAllowance
	p.frame = max(p.frame, at-maxCatchUp) + time.Second/maxFrameRate
	switch {
	case p.audio-at > p.burst:
		return fmt.Errorf("%w: audio %v ahead of the clock %v into the call (limit %v)",
			ErrTooFast, (p.audio - at).Round(time.Millisecond), at.Round(time.Millisecond), p.burst)
	case p.frame-at > p.burst:
		return fmt.Errorf("%w: frames at over %d a second %v into the call (limit %d a second, burst %v)",
			ErrTooFast, maxFrameRate, at.Round(time.Millisecond), maxFrameRate, p.burst)
	}
	return nil
}

// audioDuration is how long payload, s16le samples of an audio frame of kind
// k, plays; 0 for frames that carry no audio.
func audioDuration(k Kind, payload []byte) time.Duration {
	if !k.IsAudio() {
		return 0
	}
	return k.Rate().Duration(len(payload) / 2)
}
