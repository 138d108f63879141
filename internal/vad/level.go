package vad

import (
	"math"
	"time"

	"github.com/tirevoice/assistant/internal/audio"
)

// Levels are in dBFS: 10·log10(mean square / 32768²), so a full-scale square
// wave is 0 dBFS and a full-scale sine about -3 dBFS. Digital silence is
// clamped to SilenceLevel so that every level is a finite number.
const (
	// SilenceLevel is the level of digital silence, in dBFS.
	SilenceLevel = -100.0

	fullScale = 32768.0 * 32768.0
)

// Level is the level of a frame whose mean square (see audio.Energy) is
// energy, in dBFS, never below SilenceLevel.
func Level(energy float64) float64 {
	const minEnergy = fullScale * 1e-10 // SilenceLevel
	if !(energy > minEnergy) {          // also catches NaN
		return SilenceLevel
	}
	return 10 * math.Log10(energy/fullScale)
}

// Noise floor tracking. The floor moves only on frames the gate judges to be
// non-speech: it follows a drop within a few frames (a frame below the floor
// cannot be speech) and rises slowly, so that the tail of a word never lifts
// it. A level that stays above the gate for a long time (noise that steps up
// mid-call, which would otherwise read as endless speech) is caught by a
// second, slower rule: while the gate is open the floor creeps towards the
// minimum level of the last floorWindow, which for real speech sits in the
// pauses between words, that is at the noise.
const (
	floorFall         = 0.5      // fraction of the gap to a lower level closed per frame (time constant ≈ 30 ms)
	floorRise         = 3.0 / 50 // dB per frame the floor may rise on non-speech frames (3 dB/s)
	floorWindowFrames = 250      // frames of level history for the sustained-level rule (5 s: longer than a spoken phrase, which may hold a steady level)
	floorCatchUp      = 1.0 / 50 // fraction of the gap to the window minimum closed per active frame (≈ 1 s)
)

// floorTracker estimates a line's noise floor in dBFS.
type floorTracker struct {
	floor  float64
	known  bool // floor holds an estimate (false until the first frame)
	window [floorWindowFrames]float64
	pos    int
	filled int
}

// level returns the floor in dBFS (SilenceLevel before the first frame).
func (f *floorTracker) level() float64 {
	if !f.known {
		return SilenceLevel
	}
	return f.floor
}

// update moves the floor after a frame at lvl dBFS that the gate judged to be
// speech (active) or not.
func (f *floorTracker) update(lvl float64, active bool) {
	f.window[f.pos] = lvl
	f.pos = (f.pos + 1) % len(f.window)
	if f.filled < len(f.window) {
		f.filled++
	}
	switch {
	case !f.known:
		// The first frame of a call is normally the line before anyone
		// talks; if it is speech, the floor falls to the first pause.
		f.floor, f.known = lvl, true
	case !active && lvl < f.floor:
		f.floor += floorFall * (lvl - f.floor)
	case !active:
		f.floor = min(lvl, f.floor+floorRise)
	case f.filled == len(f.window):
		if m := f.windowMin(); m > f.floor {
			f.floor += floorCatchUp * (m - f.floor)
		}
	}
}

func (f *floorTracker) windowMin() float64 {
	m := f.window[0]
	for _, v := range f.window[1:f.filled] {
		m = min(m, v)
	}
	return m
}

// gate turns levels into a per-frame speech decision with hysteresis.
type gate struct {
	margin     float64 // dB over the floor to open
	hysteresis float64 // dB below the opening threshold to stay open
	minLevel   float64 // dBFS, the opening threshold never goes below it
	floor      floorTracker
}

// thresholds are the opening and holding levels in dBFS for the current floor.
func (g *gate) thresholds() (open, hold float64) {
	open = max(g.floor.level()+g.margin, g.minLevel)
	return open, open - g.hysteresis
}

// judge says whether a frame at lvl dBFS is speech; open says whether the
// previous frames were, which selects the lower (holding) threshold. It then
// updates the floor.
func (g *gate) judge(lvl float64, open bool) bool {
	on, hold := g.thresholds()
	active := lvl >= on || (open && lvl >= hold)
	g.floor.update(lvl, active)
	return active
}

// frames is the number of whole 20 ms frames in d, at least 1.
func frames(d time.Duration) int {
	return max(1, int((d+audio.FrameTime/2)/audio.FrameTime))
}
