// Package vad finds speech in a caller's audio: Detector endpoints the
// caller's turns against the line's own noise floor, and BargeIn decides
// whether the caller is talking over the bot, telling the caller's voice from
// the echo of the bot's.
//
// Both work on 20 ms frames (one Process call per frame; the level is a mean
// square, so any rate works, the session feeds 8 kHz) and neither allocates
// per frame.
package vad

import (
	"fmt"
	"time"

	"github.com/tirevoice/assistant/internal/audio"
)

// Event is what a frame changed in the detector's state.
type Event uint8

// Events returned by Detector.Process.
const (
	None        Event = iota // nothing changed
	SpeechStart              // speech has lasted StartSpeech; it began at StartOffset
	SpeechEnd                // EndSilence of non-speech followed speech; it ended at EndOffset
)

func (e Event) String() string {
	switch e {
	case None:
		return "none"
	case SpeechStart:
		return "speech-start"
	case SpeechEnd:
		return "speech-end"
	}
	return fmt.Sprintf("Event(%d)", uint8(e))
}

// Config tunes a Detector. A zero field takes its default.
type Config struct {
	StartSpeech time.Duration // speech needed to declare a start; default 100 ms, rounded to whole 20 ms frames
	EndSilence  time.Duration // non-speech after speech that ends it (endpointing); default 500 ms
	Margin      float64       // dB over the noise floor a frame needs to count as speech; default 9
	Hysteresis  float64       // dB below that threshold a frame may fall and still continue speech; default 4
	MinLevel    float64       // dBFS, the speech threshold never goes below it (digital silence, very quiet lines); default -50
}

// Defaults of Config.
const (
	DefaultStartSpeech = 100 * time.Millisecond
	DefaultEndSilence  = 500 * time.Millisecond
	DefaultMargin      = 9.0   // dB
	DefaultHysteresis  = 4.0   // dB
	DefaultMinLevel    = -50.0 // dBFS
)

func (c Config) withDefaults() Config {
	if c.StartSpeech <= 0 {
		c.StartSpeech = DefaultStartSpeech
	}
	if c.EndSilence <= 0 {
		c.EndSilence = DefaultEndSilence
	}
	if c.Margin <= 0 {
		c.Margin = DefaultMargin
	}
	if c.Hysteresis <= 0 {
		c.Hysteresis = DefaultHysteresis
	}
	if c.MinLevel == 0 {
		c.MinLevel = DefaultMinLevel
	}
	return c
}

func (c Config) gate() gate {
	return gate{margin: c.Margin, hysteresis: c.Hysteresis, minLevel: c.MinLevel}
}

// Detector is a voice activity detector for one call's incoming audio that
// adapts to the line's noise floor. A frame is speech when its level is
// Margin dB over the floor (and at least MinLevel); once speech is open it
// stays open down to Hysteresis dB lower. The floor follows the line on
// non-speech frames: fast down, slowly up.
//
// A Detector is used by one goroutine.
type Detector struct {
	cfg         Config
	startFrames int
	endFrames   int
	gate        gate

	n        int64 // frames processed
	level    float64
	inSpeech bool
	run      int // consecutive speech frames while not in speech
	silent   int // consecutive non-speech frames while in speech
	start    int64
	end      int64
}

// New returns a Detector for cfg, with defaults for zero fields.
func New(cfg Config) *Detector {
	cfg = cfg.withDefaults()
	d := &Detector{
		cfg:         cfg,
		startFrames: frames(cfg.StartSpeech),
		endFrames:   frames(cfg.EndSilence),
	}
	d.Reset()
	return d
}

// Reset forgets the line (noise floor included) and any speech in progress,
// and restarts the stream offsets at zero.
func (d *Detector) Reset() {
	d.gate = d.cfg.gate()
	d.n, d.level = 0, SilenceLevel
	d.inSpeech, d.run, d.silent = false, 0, 0
	d.start, d.end = 0, 0
}

// Process judges the next 20 ms frame. It returns SpeechStart on the frame
// that completes StartSpeech of consecutive speech frames and SpeechEnd on the
// frame that completes EndSilence of consecutive non-speech frames after
// speech, else None. frame is only read during the call.
func (d *Detector) Process(frame audio.PCM16) Event {
	lvl := Level(audio.Energy(frame))
	d.level = lvl
	open := d.inSpeech || d.run > 0
	active := d.gate.judge(lvl, open)
	i := d.n
	d.n++

	if !d.inSpeech {
		if !active {
			d.run = 0
			return None
		}
		if d.run == 0 {
			d.start = i
		}
		d.run++
		if d.run < d.startFrames {
			return None
		}
		d.inSpeech, d.run, d.silent = true, 0, 0
		return SpeechStart
	}
	if active {
		d.silent = 0
		return None
	}
	if d.silent == 0 {
		d.end = i
	}
	d.silent++
	if d.silent < d.endFrames {
		return None
	}
	d.inSpeech, d.silent = false, 0
	return SpeechEnd
}

// InSpeech reports whether speech has started and not yet ended.
func (d *Detector) InSpeech() bool { return d.inSpeech }

// StartOffset is when the current (or last) speech began: the offset of its
// first frame from the start of the stream (frames since New or Reset × 20 ms).
// It is meaningful once SpeechStart has been returned.
func (d *Detector) StartOffset() time.Duration { return offset(d.start) }

// EndOffset is when the last speech ended: the offset of the first
// non-speech frame after it. It is meaningful once SpeechEnd has been returned.
func (d *Detector) EndOffset() time.Duration { return offset(d.end) }

// Elapsed is the stream time processed since New or Reset (frames × 20 ms).
func (d *Detector) Elapsed() time.Duration { return offset(d.n) }

// Level is the level of the last frame, in dBFS.
func (d *Detector) Level() float64 { return d.level }

// Floor is the current noise floor estimate, in dBFS.
func (d *Detector) Floor() float64 { return d.gate.floor.level() }

// SeedFloor gives a Detector that has not yet seen the line a noise floor
// measured elsewhere (by a BargeIn listening while the bot spoke, say), so
// that its first frame, which may be the caller already talking, is judged
// against the line rather than taken for it. It does nothing once the
// detector has a floor of its own.
func (d *Detector) SeedFloor(level float64) {
	if !d.gate.floor.known {
		d.gate.floor.floor, d.gate.floor.known = level, true
	}
}

func offset(frames int64) time.Duration { return time.Duration(frames) * audio.FrameTime }
