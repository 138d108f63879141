package vad_test

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/tirevoice/assistant/internal/audio"
	"github.com/tirevoice/assistant/internal/vad"
)

// maxFuzzFrames bounds the frames of one input: 6 s of audio, longer than
// any window the detectors keep (the floor's is 5 s). A longer input costs
// more per exec, and the fuzzer spends most of its time minimising long
// inputs.
const maxFuzzFrames = 300

const frameLen = 160 // 20 ms at 8 kHz, what the session feeds

// fuzzWaves are the waveforms of fuzzFrame at unit peak, one frame each;
// nil is white noise. Never written.
var fuzzWaves = func() (w [8][]float64) {
	sine := func(hz float64, from int) []float64 {
		s := make([]float64, frameLen)
		for i := from; i < frameLen; i++ {
			s[i] = math.Sin(2 * math.Pi * hz * float64(i) / 8000)
		}
		return s
	}
	w[0] = sine(300, 0) // low in the voice band
	w[1] = make([]float64, frameLen)
	for i := range w[1] {
		w[1][i] = float64(1 - 2*(i/20%2)) // a square wave: the loudest a level gets
	}
	w[4] = make([]float64, frameLen)
	w[4][0] = 1                                   // a click
	w[5] = sine(1000, frameLen/2)                 // a burst in the second half of the frame
	w[6] = slices.Repeat([]float64{1}, frameLen)  // DC
	w[7] = slices.Repeat([]float64{-1}, frameLen) // negative DC: at full scale, the one level above a full square
	return w
}()

// fuzzFrame renders one frame from a byte: the low nibble is the loudness
// (0 silence, k a peak of 2^(k+1), 15 full scale), bits 4-6 the waveform
// (fuzzWaves). The noise generator's state carries from frame to frame.
func fuzzFrame(dst audio.PCM16, b byte, noise *uint32) audio.PCM16 {
	dst = dst[:0]
	amp := 0.0
	if k := int(b & 0x0f); k > 0 {
		amp = float64(int(1) << (k + 1))
	}
	wave := fuzzWaves[(b>>4)&7]
	for i := range frameLen {
		var x float64
		if wave == nil {
			*noise = *noise*1664525 + 1013904223
			x = float64(int16(*noise>>16)) / 32768
		} else {
			x = wave[i]
		}
		dst = append(dst, int16(max(min(math.Round(x*amp), math.MaxInt16), math.MinInt16)))
	}
	return dst
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// FuzzDetector runs the endpointing detector over arbitrary frames with an
// arbitrary configuration. Input: bytes 0-2 set StartSpeech and
// EndSilence (in frames), Margin and Hysteresis (dB) and MinLevel (-dBFS),
// 0 taking the default; then one op a byte: 0xff resets, 0xfe seeds the
// floor at minus the next byte dBFS, anything else is a frame (fuzzFrame).
// Invariants: no panic; SpeechStart only opens speech and SpeechEnd only
// closes it; each event comes exactly StartSpeech or EndSilence after the
// offset it reports; the level and floor are finite dBFS, the level never
// above full scale; Elapsed counts the frames.
func FuzzDetector(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0x20, 0x2a, 0x2a, 0x2a, 0x2a, 0x2a, 0x2a, 0x2a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00})
	f.Add([]byte{0x0a, 0x35, 40, 0xfe, 10, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x01, 0x01, 0x01, 0x0c, 0xff, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c})
	f.Add([]byte{0x01, 0x11, 1, 0x7f, 0x7f, 0x00, 0x0f, 0x4f, 0x5f, 0x6f, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 3 {
			return
		}
		cfg := vad.Config{
			StartSpeech: time.Duration(data[0]&0x0f) * audio.FrameTime,
			EndSilence:  time.Duration(data[0]>>4) * 2 * audio.FrameTime,
			Margin:      float64(data[1] & 0x0f),
			Hysteresis:  float64(data[1] >> 4),
			MinLevel:    -float64(data[2]),
		}
		startFrames, endFrames := int(data[0]&0x0f), int(data[0]>>4)*2
		if startFrames == 0 {
			startFrames = int(vad.DefaultStartSpeech / audio.FrameTime)
		}
		if endFrames == 0 {
			endFrames = int(vad.DefaultEndSilence / audio.FrameTime)
		}
		d := vad.New(cfg)
		var (
			frame  audio.PCM16
			noise  uint32 = 1
			frames int
		)
		for ops := data[3:]; len(ops) > 0 && frames < maxFuzzFrames; ops = ops[1:] {
			switch op := ops[0]; {
			case op == 0xff:
				d.Reset()
				if d.InSpeech() || d.Elapsed() != 0 || d.Floor() != vad.SilenceLevel {
					t.Fatalf("after Reset: in speech %v, elapsed %v, floor %v", d.InSpeech(), d.Elapsed(), d.Floor())
				}
				continue
			case op == 0xfe && len(ops) > 1:
				ops = ops[1:]
				d.SeedFloor(-float64(ops[0]))
				continue
			}
			frame = fuzzFrame(frame, ops[0], &noise)
			frames++
			was := d.InSpeech()
			ev := d.Process(frame)
			is := d.InSpeech()
			switch {
			case ev == vad.None && was != is,
				ev == vad.SpeechStart && (was || !is),
				ev == vad.SpeechEnd && (!was || is),
				ev > vad.SpeechEnd:
				t.Fatalf("frame %d: %v took the detector from in speech %v to %v", frames, ev, was, is)
			}
			switch ev {
			case vad.SpeechStart:
				if got := d.Elapsed() - d.StartOffset(); got != time.Duration(startFrames)*audio.FrameTime {
					t.Fatalf("frame %d: speech start reported %v after its offset, want %d frames", frames, got, startFrames)
				}
			case vad.SpeechEnd:
				if got := d.Elapsed() - d.EndOffset(); got != time.Duration(endFrames)*audio.FrameTime {
					t.Fatalf("frame %d: speech end reported %v after its offset, want %d frames", frames, got, endFrames)
				}
				if d.EndOffset() <= d.StartOffset() {
					t.Fatalf("frame %d: speech ended at %v, started at %v", frames, d.EndOffset(), d.StartOffset())
				}
			}
			if lvl := d.Level(); !finite(lvl) || lvl < vad.SilenceLevel || lvl > 0 {
				t.Fatalf("frame %d: level %v dBFS", frames, lvl)
			}
			if fl := d.Floor(); !finite(fl) {
				t.Fatalf("frame %d: floor %v dBFS", frames, fl)
			}
		}
	})
}

// FuzzBargeIn runs the barge-in detector over arbitrary incoming frames
// against arbitrary sent levels, with an arbitrary configuration. Input:
// bytes 0-2 set MinSpeech and Window, MaxDelay and InitialERL, EchoMargin
// and the gate's Margin, 0 taking the default; then one op a byte: 0xff
// rearms, anything else sends a frame of the level of bits 5-6 and then
// hears the frame of the low five bits (fuzzFrame). Invariants: no panic;
// it fires at most once between rearms, on a caller frame that completes
// MinSpeech; every diagnostic is finite, the echo delay within MaxDelay,
// the caller run within the window, a caller frame one the gate passed and
// the echo estimate did not explain.
func FuzzBargeIn(f *testing.F) {
	// The bot talks (sent levels), its echo comes back quieter, then the
	// caller talks over it.
	f.Add([]byte{0, 0, 0, 0x45, 0x45, 0x44, 0x43, 0x45, 0x45, 0x44, 0x43, 0x45, 0x45, 0x44, 0x43, 0x4c, 0x4c, 0x4c, 0x4c, 0x4c, 0x4c, 0x4c, 0x4c, 0x4c, 0x4c, 0x4c, 0x4c, 0xff, 0x4c, 0x4c})
	f.Add([]byte{0x32, 0x35, 0x33, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0xff, 0x2b, 0x2b, 0x2b})
	f.Add([]byte{1, 1, 1, 0x6f, 0x7f, 0x1f, 0x1f, 0x00, 0x00, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 3 {
			return
		}
		cfg := vad.BargeInConfig{
			MinSpeech:  time.Duration(data[0]&0x0f) * audio.FrameTime,
			Window:     time.Duration(data[0]>>4) * 2 * audio.FrameTime,
			MaxDelay:   time.Duration(data[1]&0x0f) * 2 * audio.FrameTime,
			InitialERL: float64(data[1] >> 4),
			EchoMargin: float64(data[2] & 0x0f),
			Gate:       vad.Config{Margin: float64(data[2] >> 4)},
		}
		maxDelay := cfg.MaxDelay
		if maxDelay == 0 {
			maxDelay = vad.DefaultMaxDelay
		}
		minFrames := int(data[0] & 0x0f)
		if minFrames == 0 {
			minFrames = int(vad.DefaultMinSpeech / audio.FrameTime)
		}
		b := vad.NewBargeIn(cfg)
		var (
			frame  audio.PCM16
			noise  uint32 = 1
			frames int
			fired  bool
		)
		// Sent levels: silence and four steps of bot speech, mean squares.
		sentLevels := [4]float64{0, 1e4, 1e6, 1e8}
		for _, op := range data[3:] {
			if frames >= maxFuzzFrames {
				break
			}
			if op == 0xff {
				b.Rearm()
				fired = false
				continue
			}
			b.Sent(sentLevels[(op>>5)&3])
			frame = fuzzFrame(frame, op&0x1f, &noise)
			frames++
			fire := b.Process(frame)
			d := b.Diagnostics()
			if fire {
				if fired {
					t.Fatalf("frame %d: fired again without a Rearm", frames)
				}
				fired = true
				if !d.Caller || d.CallerRun < minFrames {
					t.Fatalf("frame %d: fired on %+v, want a caller frame completing %d", frames, d, minFrames)
				}
			}
			for _, v := range []float64{d.Level, d.Floor, d.Echo, d.ERL} {
				if !finite(v) {
					t.Fatalf("frame %d: diagnostics %+v", frames, d)
				}
			}
			switch {
			case d.Level < vad.SilenceLevel || d.Level > 0:
				t.Fatalf("frame %d: level %v dBFS", frames, d.Level)
			case d.ERL < 0:
				t.Fatalf("frame %d: echo return loss %v dB", frames, d.ERL)
			case d.Delay != -1 && (d.Delay < 0 || d.Delay > maxDelay):
				t.Fatalf("frame %d: echo delay %v, max %v", frames, d.Delay, maxDelay)
			case d.CallerRun < 0 || d.CallerRun > 64:
				t.Fatalf("frame %d: caller run %d", frames, d.CallerRun)
			case d.Caller && (!d.Speech || d.Level < d.Echo):
				t.Fatalf("frame %d: a caller frame the gate or the echo estimate refuses: %+v", frames, d)
			}
		}
	})
}
