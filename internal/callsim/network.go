package callsim

import (
	"math/rand/v2"
	"time"

	"github.com/tirevoice/assistant/internal/audio"
)

// The network between the caller's phone and Asterisk: frames lost, alone
// and in bursts, and frames held back. Each model draws from its own
// seeded stream exactly once per frame, whatever it decides, so which
// frames a seed loses depends on nothing but the frames' numbers in their
// stream.
//
// For a failure to replay, the frames lost must be the same words, not
// just the same numbers in the call: a step starts on the first 20 ms tick
// after the one before it ended, which may be a tick later in another run.
// So speech has streams of its own: the k-th line the caller says draws
// from the stream for line k, frame by frame of the line, and the k-th
// stretch of the bot's audible speech from the stream for stretch k; the
// frames in between (silence) draw from one stream per direction, per
// tick or per frame received.

// lossLine decides which frames of one stream the network loses. Not safe
// for concurrent use: each direction has its own.
type lossLine struct {
	seed       uint64
	src        *rand.PCG
	rnd        *rand.Rand
	p          float64 // a frame's chance to be lost on its own
	burstStart float64 // a frame's chance to start a burst
	burst      FrameRange
	left       int  // frames of the current burst still to lose
	after      bool // this frame follows a burst: it starts none
}

// The seeded streams: one per model and direction, and one per line of
// the caller's speech (streamCallerSpeech, speechStream) and per stretch
// of the bot's.
const (
	streamCallerLoss = iota + 1
	streamBotLoss
	streamJitter
	streamCallerSpeech
	streamBotSpeech
)

// speechStream is the stream of the k-th (from 0) line or stretch of
// speech of a direction (streamCallerSpeech or streamBotSpeech).
func speechStream(base uint64, k int) uint64 { return uint64(k+1)<<8 | base }

func newLossLine(l *Line, seed, stream uint64) *lossLine {
	src := rand.NewPCG(seed, stream)
	x := &lossLine{seed: seed, src: src, rnd: rand.New(src), p: float64(l.Loss) / 100, burst: l.LossBurst.Frames}
	if l.LossBurst.Every > 0 && l.LossBurst.Frames.Min > 0 {
		x.burstStart = float64(audio.FrameTime) / float64(l.LossBurst.Every)
	}
	return x
}

// restart starts the line's stream over as stream, with no burst running.
// It does not allocate.
func (x *lossLine) restart(stream uint64) {
	x.src.Seed(x.seed, stream)
	x.left, x.after = 0, false
}

// lost reports whether the network loses the next frame.
func (x *lossLine) lost() bool {
	alone, start, length := x.rnd.Float64(), x.rnd.Float64(), x.rnd.IntN(x.burst.Max-x.burst.Min+1)
	inBurst := false
	switch {
	case x.left > 0:
		x.left--
		inBurst = true
		x.after = x.left == 0
	case x.after:
		x.after = false
	case start < x.burstStart:
		x.left = x.burst.Min + length - 1 // this frame is the burst's first
		inBurst = true
		x.after = x.left == 0
	}
	return inBurst || alone < x.p
}

// speechLoss is one direction's loss with speech on streams of its own:
// the frames between speech draw from one stream, the frames of the k-th
// stretch of speech (a line the caller says, a stretch of the bot's
// audible speech) from stream k.
type speechLoss struct {
	between, speech *lossLine
	base            uint64 // of the speech streams
	n               int    // stretches started
}

func newSpeechLoss(l *Line, seed, between, speechBase uint64) *speechLoss {
	return &speechLoss{
		between: newLossLine(l, seed, between),
		speech:  newLossLine(l, seed, speechStream(speechBase, 0)),
		base:    speechBase,
	}
}

// next starts the stream of the next stretch of speech.
func (x *speechLoss) next() {
	x.speech.restart(speechStream(x.base, x.n))
	x.n++
}

// lost reports whether the network loses the next frame, which carries
// speech or not. The stream between speech draws for every frame, so that
// its frames keep their numbers.
func (x *speechLoss) lost(speech bool) bool {
	gone := x.between.lost()
	if speech {
		gone = x.speech.lost()
	}
	return gone
}

// jitterLine is the caller's side's network delay: each frame is held back
// by a random time up to max, but is never delivered before the frame
// ahead of it.
type jitterLine struct {
	rnd  *rand.Rand
	max  time.Duration
	last time.Time // when the newest frame held is delivered
}

func newJitterLine(l *Line, seed uint64) *jitterLine {
	return &jitterLine{rnd: rand.New(rand.NewPCG(seed, streamJitter)), max: l.Jitter}
}

// delay draws the next frame's delay, 0..max, uniformly.
func (j *jitterLine) delay() time.Duration {
	return time.Duration(j.rnd.Int64N(int64(j.max) + 1))
}

// deliver returns when a frame that would arrive at t without the frames
// ahead of it is delivered: at t, or with the frame ahead of it if that
// one is later (it may not be overtaken).
func (j *jitterLine) deliver(t time.Time) time.Time {
	if t.Before(j.last) {
		t = j.last
	}
	j.last = t
	return t
}

// heldFrames are the caller's frames and DTMF digits on their way through
// the network, oldest first, each with the time it is delivered (never
// before the one ahead of it). The slots and their sample buffers are
// allocated when the call starts: holding a frame does not allocate.
type heldFrames struct {
	slots   []heldFrame
	head, n int
}

type heldFrame struct {
	at    time.Time      // when the network delivers it
	pcm   audio.PCM16    // the frame's samples, when digit is 0; the slot's own buffer
	digit byte           // a DTMF digit instead of audio
	done  chan time.Time // the digit's: receives when it has gone out
}

// newHeldFrames holds what a line with the given jitter can have on its
// way at once: a frame and a digit per 20 ms tick for the jitter's length,
// and a tick's worth more for a sender that runs late.
func newHeldFrames(jitter time.Duration, samples int) heldFrames {
	h := heldFrames{slots: make([]heldFrame, 2*(int(jitter/audio.FrameTime)+3))}
	for i := range h.slots {
		h.slots[i].pcm = make(audio.PCM16, samples)
	}
	return h
}

func (h *heldFrames) full() bool { return h.n == len(h.slots) }

// push appends a frame (pcm is copied) or a digit (pcm nil) delivered at
// at. The caller makes room first when it is full.
func (h *heldFrames) push(at time.Time, pcm audio.PCM16, digit byte, done chan time.Time) {
	s := &h.slots[(h.head+h.n)%len(h.slots)]
	s.at, s.digit, s.done = at, digit, done
	if pcm != nil {
		copy(s.pcm, pcm)
	}
	h.n++
}

// first is the oldest one held; ok is false when none is.
func (h *heldFrames) first() (f *heldFrame, ok bool) {
	if h.n == 0 {
		return nil, false
	}
	return &h.slots[h.head], true
}

// pop drops the oldest one held.
func (h *heldFrames) pop() {
	h.slots[h.head].done = nil
	h.head = (h.head + 1) % len(h.slots)
	h.n--
}
