package vad

import (
	"math"
	"math/bits"
	"sync"
	"time"

	"github.com/tirevoice/assistant/internal/audio"
)

// BargeInConfig tunes a BargeIn. A zero field takes its default.
type BargeInConfig struct {
	MinSpeech time.Duration // caller speech not explained by echo needed to fire; default 200 ms, at most 1.28 s
	Window    time.Duration // MinSpeech is counted over the last Window (syllables, and the bot masking parts of them); default 600 ms, at most 1.28 s
	// MaxDelay is the longest plausible time from our Sent call for a frame
	// to its echo reaching Process: playout lead, the network both ways and
	// the echo path itself. Default 400 ms (2-frame lead + up to ~300 ms
	// echo + jitter).
	MaxDelay time.Duration
	// InitialERL is the echo return loss assumed before the line has been
	// measured, in dB: 6 means the echo is taken to be at most 6 dB below
	// what we sent. Default 6.
	InitialERL float64
	// EchoMargin is the safety margin over the echo estimate, in dB: a frame
	// is explained by echo when it is less than EchoMargin dB above the
	// estimated echo. Default 3.
	EchoMargin float64
	// Gate is the plain noise-floor detector a frame must also pass; only
	// its Margin, Hysteresis and MinLevel are used.
	Gate Config
}

// Defaults of BargeInConfig.
const (
	DefaultMinSpeech  = 200 * time.Millisecond
	DefaultWindow     = 600 * time.Millisecond
	maxWindowFrames   = 64 // frames in the history bit set
	DefaultMaxDelay   = 400 * time.Millisecond
	DefaultInitialERL = 6.0 // dB
	DefaultEchoMargin = 3.0 // dB
)

func (c BargeInConfig) withDefaults() BargeInConfig {
	if c.MinSpeech <= 0 {
		c.MinSpeech = DefaultMinSpeech
	}
	if c.Window <= 0 {
		c.Window = DefaultWindow
	}
	if c.MaxDelay <= 0 {
		c.MaxDelay = DefaultMaxDelay
	}
	if c.InitialERL <= 0 {
		c.InitialERL = DefaultInitialERL
	}
	if c.EchoMargin <= 0 {
		c.EchoMargin = DefaultEchoMargin
	}
	c.Gate = c.Gate.withDefaults()
	return c
}

// The echo is estimated two ways, both only from frames heard as the bot
// (something audible was sent and no caller speech is under way):
//
// The envelope: over the last echoWindow such frames, the loudest incoming
// level relative to the loudest pair of consecutive frames sent over the
// whole delay window (an incoming frame can straddle two sent ones, so their
// sum bounds its echo, whatever the delay). It needs no delay, and when the
// echo is buried in the noise it says so (frames where the bot was far above
// the floor and the line stayed at it). A frame only enters the envelope if
// the envelope already explains it, so caller speech cannot ratchet it up;
// frames in the margin zone (explained only thanks to EchoMargin) nudge it up
// by envelopeNudge, to follow an echo path that slowly gets louder.
//
// The delay: the estimator tries a set of predictors of the echo level, the
// level sent at each lag d (a delay of whole frames) and the mean of the
// levels sent at d and d+1 (d and a half frames). For each it keeps a running
// mean and variance of (incoming level − predicted level), in dB, over frames
// that stand out of the noise. At the real delay the difference is the echo
// return loss and barely moves; elsewhere it swings with the bot's syllables.
// The predictor with the smallest spread gives the delay once its spread is
// small and it has seen enough frames; then only the frames sent around that
// delay can explain an incoming one, which keeps the caller audible right
// after the bot's loud syllables.
const (
	echoWindow    = 100      // frames in the envelope (2 s of bot speech)
	echoMinFrames = 25       // frames an estimate needs before it is used
	envelopeNudge = 0.1      // dB the envelope rises per margin-zone frame
	envelopeRange = 25.0     // dB over the floor the bot's reference must be for a frame to enter the envelope
	echoAlpha     = 1.0 / 32 // weight of one frame in the delay statistics (≈ 0.6 s of echo)
	echoMaxSpread = 3.0      // dB, largest standard deviation of a trusted predictor
	echoSpreads   = 2.0      // standard deviations added to the trusted mean
	echoJitter    = 2        // frames either side of the trusted delay searched for the loudest sent frame
	echoAudible   = 6.0      // dB over the floor an incoming frame needs to teach the delay statistics
	sentAudible   = -90.0    // dBFS, a sent level below this is silence
	noPredictor   = -1
)

// BargeIn decides whether the caller is talking over the bot, as opposed to
// the line carrying the echo of the bot's own voice back to us.
//
// The playout calls Sent with the energy of every frame it writes (silence
// included); the receiving side calls Process with every incoming frame. A
// frame counts as caller speech when it passes the plain noise-floor gate and
// is not explained by echo, that is when its level is at least
//
//	reference − ERL + EchoMargin
//
// with ERL the echo return loss in dB, never taken below 0 (echo louder than
// what we sent is not echo). The reference is the loudest pair of
// consecutive frames sent over MaxDelay, and ERL is InitialERL until the
// line has been measured, then the measured envelope (see above). Once a
// delay is trusted, a second, tighter test applies as well: reference the
// loudest frame sent within 40 ms of that delay, ERL the measured loss less
// two standard deviations; a frame must pass both to be explained. If only
// silence was sent over the window, a frame is judged by the gate alone, like
// Detector.
//
// Process returns true once, on the frame that completes MinSpeech of caller
// frames within Window; then it stays quiet until Rearm.
//
// Sent and Process may be called from two goroutines, each of them from one
// goroutine only. Neither allocates.
type BargeIn struct {
	cfg       BargeInConfig
	minFrames int
	window    uint64 // mask of the history bits in Window
	lags      int

	mu      sync.Mutex
	sent    []float64 // ring of sent energies (mean square); guarded by mu
	sentPos int       // next write position in sent; guarded by mu

	// Owned by the Process goroutine.
	snap     []float64           // sent energies by lag, 0 = latest
	env      [echoWindow]float64 // envelope: incoming − reference of recent bot frames, dB
	envPos   int
	envN     int
	mean     []float64 // per predictor (2·lag, or 2·lag+1 for lag and a half): running mean of level − predicted, dB
	meanSq   []float64 // per predictor: running mean of its square
	count    []int     // per predictor: frames learnt
	best     int       // trusted predictor, or noPredictor
	gate     gate
	history  uint64 // bit i: the frame i frames ago was caller speech
	run      int    // caller speech frames within Window
	fired    bool
	lastDiag Diagnostics
}

// Floor is the line's noise floor estimate, in dBFS (SilenceLevel before
// the first frame).
func (b *BargeIn) Floor() float64 { return b.gate.floor.level() }

// Diagnostics describe the judgement of the last frame, for logs and tests.
type Diagnostics struct {
	Level     float64       // incoming level, dBFS
	Floor     float64       // noise floor, dBFS
	Echo      float64       // level below which the frame is explained by echo, dBFS (SilenceLevel if nothing was sent)
	ERL       float64       // echo return loss of the envelope test in use, dB, relative to the loudest pair of sent frames
	Delay     time.Duration // trusted echo delay after Sent, or -1 while untrusted
	Speech    bool          // the frame passed the noise gate
	Caller    bool          // and was not explained by echo
	CallerRun int           // caller speech frames within Window
}

// NewBargeIn returns a BargeIn for cfg, with defaults for zero fields.
func NewBargeIn(cfg BargeInConfig) *BargeIn {
	cfg = cfg.withDefaults()
	n := int(cfg.MaxDelay/audio.FrameTime) + 1
	b := &BargeIn{
		cfg:       cfg,
		minFrames: min(frames(cfg.MinSpeech), maxWindowFrames),
		window:    1<<min(max(frames(cfg.Window), frames(cfg.MinSpeech)), maxWindowFrames) - 1,
		lags:      n,
		sent:      make([]float64, n),
		snap:      make([]float64, n),
		mean:      make([]float64, 2*n-1),
		meanSq:    make([]float64, 2*n-1),
		count:     make([]int, 2*n-1),
	}
	b.Reset()
	return b
}

// Sent records the energy (mean square, see audio.Energy) of one 20 ms frame
// just written to the caller. Call it for every frame, silence included: the
// echo window is counted in calls.
func (b *BargeIn) Sent(energy float64) {
	b.mu.Lock()
	b.sent[b.sentPos] = energy
	b.sentPos = (b.sentPos + 1) % len(b.sent)
	b.mu.Unlock()
}

// Reset forgets everything: sent history, echo estimate, noise floor and any
// caller speech; for a new call.
func (b *BargeIn) Reset() {
	b.mu.Lock()
	clear(b.sent)
	b.sentPos = 0
	b.mu.Unlock()
	for i := range b.mean {
		b.mean[i], b.meanSq[i], b.count[i] = 0, 0, 0
	}
	b.best = noPredictor
	b.envPos, b.envN = 0, 0
	b.gate = b.cfg.Gate.gate()
	b.Rearm()
}

// Rearm forgets the caller speech counted so far and lets Process fire
// again. The echo estimate and noise floor are kept. Call it from the
// Process goroutine, e.g. when the bot starts a new turn.
func (b *BargeIn) Rearm() {
	b.history, b.run, b.fired = 0, 0, false
}

// Process judges one incoming 20 ms frame and reports true on the frame where
// barge-in fires. frame is only read during the call.
func (b *BargeIn) Process(frame audio.PCM16) bool {
	lvl := Level(audio.Energy(frame))

	b.mu.Lock()
	n := len(b.sent)
	for d := range b.snap {
		b.snap[d] = b.sent[(b.sentPos-1-d+2*n)%n]
	}
	b.mu.Unlock()

	floor := b.gate.floor.level()
	speech := b.gate.judge(lvl, b.run > 0)

	var pair float64
	for d := range b.lags {
		pair = max(pair, b.snap[d]+b.snap[min(d+1, b.lags-1)])
	}
	ref := Level(pair)
	heard := ref > sentAudible
	envGain := min(b.envelope(), 0)
	echo := SilenceLevel
	if heard {
		echo = ref + envGain + b.cfg.EchoMargin
	}
	delay := time.Duration(-1)
	if b.best != noPredictor && heard {
		lo, hi := max(0, b.best/2-echoJitter), min(b.lags-1, (b.best+1)/2+echoJitter)
		var local float64
		for d := lo; d <= hi; d++ {
			local = max(local, b.snap[d]+b.snap[min(d+1, b.lags-1)])
		}
		// The trusted delay narrows the echo down only when the bot was
		// audible around it. When it was silent there but audible elsewhere
		// in the window, the echo may simply be arriving sooner than
		// estimated (a steady voice gives the estimator little to align
		// by, and a starved reader shifts the lag): keep the envelope.
		if Level(local) > sentAudible {
			gain := min(b.mean[b.best]+echoSpreads*b.spread(b.best), 0)
			echo = min(echo, Level(local)+gain+b.cfg.EchoMargin)
		}
		delay = time.Duration(b.best) * audio.FrameTime / 2
	}
	caller := speech && lvl >= echo

	if !caller && b.run == 0 && heard {
		r := lvl - ref
		if ref >= floor+envelopeRange {
			b.addEnvelope(min(r, b.envelope()+envelopeNudge))
		}
		if r < b.envelope() && lvl > floor+echoAudible {
			b.learn(lvl)
		}
	}

	return b.decide(lvl, speech, caller, Diagnostics{Level: lvl, Floor: floor, Echo: echo, ERL: -envGain, Delay: delay})
}

// decide counts a frame judged caller speech or not and fires once enough
// of the window is; d is the frame's diagnostics so far.
func (b *BargeIn) decide(lvl float64, speech, caller bool, d Diagnostics) bool {
	b.history <<= 1
	if caller {
		b.history |= 1
	}
	b.run = bits.OnesCount64(b.history & b.window)
	d.Speech, d.Caller, d.CallerRun = speech, caller, b.run
	b.lastDiag = d
	if b.run >= b.minFrames && !b.fired {
		b.fired = true
		return true
	}
	return false
}

// ProcessCancelled is Process for a frame an echo canceller has cleaned,
// when the canceller can say how much echo the frame may still hold
// (residual, a mean square; 0 when nothing it sent can echo). The frame is
// caller speech when it passes the noise gate and is EchoMargin above that
// residual: the canceller knows the echo path sample by sample, so it tells
// a quiet caller from the echo of a loud bot where levels alone cannot.
// Such frames teach the level-based estimate nothing (they hold no echo to
// measure); Process takes over again whenever the canceller cannot say.
func (b *BargeIn) ProcessCancelled(frame audio.PCM16, residual float64) bool {
	lvl := Level(audio.Energy(frame))
	speech := b.gate.judge(lvl, b.run > 0)
	echo := SilenceLevel
	if residual > 0 {
		echo = Level(residual) + b.cfg.EchoMargin
	}
	return b.decide(lvl, speech, speech && lvl >= echo, Diagnostics{
		Level: lvl, Floor: b.gate.floor.level(), Echo: echo, ERL: -min(b.envelope(), 0), Delay: -1,
	})
}

// envelope is the echo level relative to the reference that the envelope
// test allows, in dB. It is -InitialERL until the envelope holds enough
// frames that the echo of the loudest of them has had the whole delay window
// to come back: before that, a quiet line only means the echo is late.
func (b *BargeIn) envelope() float64 {
	if b.envN < echoMinFrames+b.lags {
		return -b.cfg.InitialERL
	}
	m := b.env[0]
	for _, v := range b.env[1:b.envN] {
		m = max(m, v)
	}
	return m
}

func (b *BargeIn) addEnvelope(r float64) {
	b.env[b.envPos] = r
	b.envPos = (b.envPos + 1) % len(b.env)
	b.envN = min(b.envN+1, len(b.env))
}

// learn updates the echo statistics of every predictor with an incoming
// frame at lvl dBFS that is taken to be echo (plus noise), and picks the
// trusted one.
func (b *BargeIn) learn(lvl float64) {
	best, bestSpread := -1, echoMaxSpread
	for c := range b.mean {
		pred := b.snap[c/2]
		if c%2 == 1 {
			pred = (pred + b.snap[c/2+1]) / 2
		}
		if p := Level(pred); p > sentAudible {
			r := lvl - p
			if b.count[c] == 0 {
				b.mean[c], b.meanSq[c] = r, r*r
			}
			b.mean[c] += echoAlpha * (r - b.mean[c])
			b.meanSq[c] += echoAlpha * (r*r - b.meanSq[c])
			b.count[c]++
		}
		if b.count[c] >= echoMinFrames {
			if sp := b.spread(c); sp <= bestSpread {
				best, bestSpread = c, sp
			}
		}
	}
	b.best = best
}

// spread is the standard deviation of level − predicted for predictor c, in dB.
func (b *BargeIn) spread(c int) float64 {
	return math.Sqrt(max(0, b.meanSq[c]-b.mean[c]*b.mean[c]))
}

// Diagnostics describes the last frame given to Process. Call it from the
// Process goroutine.
func (b *BargeIn) Diagnostics() Diagnostics { return b.lastDiag }
