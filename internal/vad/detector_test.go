package vad

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tirevoice/assistant/internal/audio"
)

// run feeds p to d frame by frame and returns the frame index of every event.
func run(d *Detector, p audio.PCM16) (starts, ends []int) {
	buf := make(audio.PCM16, frameLen)
	for k := range (len(p) + frameLen - 1) / frameLen {
		switch d.Process(frameAt(p, k, buf)) {
		case SpeechStart:
			starts = append(starts, k)
		case SpeechEnd:
			ends = append(ends, k)
		}
	}
	return starts, ends
}

func TestDetectorSteadyNoiseIsNotSpeech(t *testing.T) {
	tests := []struct {
		name  string
		noise float64 // dBFS
		hum   float64 // dBFS of a 150 Hz hum on top, or SilenceLevel
	}{
		{"digital silence", SilenceLevel, SilenceLevel},
		{"floor -70 dBFS", -70, SilenceLevel},
		{"floor -60 dBFS", -60, SilenceLevel},
		{"floor -50 dBFS", -50, SilenceLevel},
		{"floor -40 dBFS", -40, SilenceLevel},
		{"floor -30 dBFS", -30, SilenceLevel},
		{"floor -20 dBFS", -20, SilenceLevel},
		{"hum -35 dBFS over floor -60 dBFS", -60, -35},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			n := seconds(20)
			x := mix(n, part{x: noise(rng, tt.noise, n)}, part{x: tone(150, 0, n), gain: tt.hum})
			d := New(Config{})
			starts, _ := run(d, pcm(x))
			if len(starts) > 0 {
				t.Errorf("steady noise detected as speech at frames %v", starts)
			}
			want := max(tt.noise, tt.hum)
			if want > SilenceLevel && (d.Floor() < want-3 || d.Floor() > want+1) {
				t.Errorf("floor %.1f dBFS, want within [-3, +1] dB of %.1f", d.Floor(), want)
			}
		})
	}
}

func TestDetectorFindsSpeech(t *testing.T) {
	type tc struct {
		name   string
		floor  float64 // dBFS
		speech float64 // dBFS over the syllables
	}
	tests := []tc{
		{"quiet line, speech -30 dBFS", SilenceLevel, -30},
		{"quiet line, soft speech -42 dBFS", SilenceLevel, -42},
	}
	for _, floor := range []float64{-55, -45, -35} {
		for _, snr := range []float64{10, 20, 30} {
			tests = append(tests, tc{fmt.Sprintf("floor %g dBFS, SNR %g dB", floor, snr), floor, floor + snr})
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 4))
			// 3 s of line, 2 s of speech, 2 s of line.
			n, on, off := seconds(7), seconds(3), seconds(5)
			talk := speech(rng, tt.speech, off-on)
			x := mix(n, part{x: noise(rng, tt.floor, n)}, part{x: talk, delay: on})
			d := New(Config{})
			starts, ends := run(d, pcm(x))
			if len(starts) == 0 || len(ends) == 0 {
				t.Fatalf("starts %v ends %v, want speech within [150, 250) frames", starts, ends)
			}
			first, last := starts[0]*frameLen, ends[len(ends)-1]*frameLen
			if first < on || first > on+seconds(0.5) {
				t.Errorf("first start at %.2f s, want within 0.5 s after %.2f s", float64(first)/sampleRate, float64(on)/sampleRate)
			}
			if last < off || last > off+seconds(0.8) {
				t.Errorf("last end at %.2f s, want within 0.8 s after %.2f s", float64(last)/sampleRate, float64(off)/sampleRate)
			}
			if len(starts) > 2 {
				t.Errorf("speech split into %d segments (starts %v ends %v)", len(starts), starts, ends)
			}
		})
	}
}

func TestDetectorTiming(t *testing.T) {
	const tick = audio.FrameTime
	tests := []struct {
		name       string
		cfg        Config
		bursts     [][2]int // tone bursts as [first, last] frame
		frames     int
		wantStarts []int
		wantEnds   []int
		startOff   time.Duration // StartOffset after the first start
		endOff     time.Duration // EndOffset after the last end
	}{
		{
			name: "defaults: start after 100 ms, end after 500 ms", frames: 250,
			bursts:     [][2]int{{50, 149}},
			wantStarts: []int{54}, wantEnds: []int{174},
			startOff: 50 * tick, endOff: 150 * tick,
		},
		{
			name: "80 ms blip is not speech", frames: 150,
			bursts: [][2]int{{50, 53}},
		},
		{
			name: "exactly 100 ms is speech", frames: 150,
			bursts:     [][2]int{{50, 54}},
			wantStarts: []int{54}, wantEnds: []int{79},
			startOff: 50 * tick, endOff: 55 * tick,
		},
		{
			name: "480 ms pause does not end speech", frames: 300,
			bursts:     [][2]int{{50, 99}, {124, 149}},
			wantStarts: []int{54}, wantEnds: []int{174},
			startOff: 50 * tick, endOff: 150 * tick,
		},
		{
			name: "500 ms pause ends speech", frames: 300,
			bursts:     [][2]int{{50, 99}, {125, 149}},
			wantStarts: []int{54, 129}, wantEnds: []int{124, 174},
			startOff: 50 * tick, endOff: 150 * tick,
		},
		{
			name: "StartSpeech 200 ms, EndSilence 300 ms", frames: 250,
			cfg:    Config{StartSpeech: 200 * time.Millisecond, EndSilence: 300 * time.Millisecond},
			bursts: [][2]int{{50, 149}}, wantStarts: []int{59}, wantEnds: []int{164},
			startOff: 50 * tick, endOff: 150 * tick,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(5, 6))
			n := tt.frames * frameLen
			parts := []part{{x: noise(rng, -60, n)}}
			for _, b := range tt.bursts {
				parts = append(parts, part{x: tone(440, -25, (b[1]-b[0]+1)*frameLen), delay: b[0] * frameLen})
			}
			d := New(tt.cfg)
			var starts, ends []int
			buf := make(audio.PCM16, frameLen)
			p := pcm(mix(n, parts...))
			for k := range tt.frames {
				switch d.Process(frameAt(p, k, buf)) {
				case SpeechStart:
					if len(starts) == 0 && d.StartOffset() != tt.startOff {
						t.Errorf("StartOffset %v at frame %d, want %v", d.StartOffset(), k, tt.startOff)
					}
					starts = append(starts, k)
				case SpeechEnd:
					ends = append(ends, k)
				}
				if got, want := d.InSpeech(), len(starts) > len(ends); got != want {
					t.Fatalf("frame %d: InSpeech %v, want %v", k, got, want)
				}
			}
			if fmt.Sprint(starts) != fmt.Sprint(tt.wantStarts) || fmt.Sprint(ends) != fmt.Sprint(tt.wantEnds) {
				t.Errorf("starts %v ends %v, want %v %v", starts, ends, tt.wantStarts, tt.wantEnds)
			}
			if len(ends) > 0 && d.EndOffset() != tt.endOff {
				t.Errorf("EndOffset %v, want %v", d.EndOffset(), tt.endOff)
			}
			if d.Elapsed() != time.Duration(tt.frames)*tick {
				t.Errorf("Elapsed %v, want %v", d.Elapsed(), time.Duration(tt.frames)*tick)
			}
		})
	}
}

// Noise that steps up mid-call first reads as speech (nothing can tell it
// apart in 100 ms) but the floor must catch up and end it, for good. The
// floor waits for a level sustained longer than a spoken phrase (5 s: a
// phrase may hold a steady level), so the step is held for a few seconds
// more than that, still well within CALL_MAX_UTTERANCE.
func TestDetectorNoiseStep(t *testing.T) {
	for _, step := range []float64{-40, -30} {
		t.Run(fmt.Sprintf("-60 to %g dBFS", step), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, 8))
			n, at := seconds(30), seconds(5)
			x := mix(n, part{x: noise(rng, -60, at)}, part{x: noise(rng, step, n-at), delay: at})
			d := New(Config{})
			starts, ends := run(d, pcm(x))
			if len(starts) > 1 || len(ends) != len(starts) {
				t.Fatalf("starts %v ends %v, want at most one segment, ended", starts, ends)
			}
			if len(ends) == 1 {
				held := time.Duration(ends[0]-starts[0]) * audio.FrameTime
				t.Logf("noise step read as speech for %v", held)
				if held > 9*time.Second {
					t.Errorf("noise step held as speech for %v, want under 9 s", held)
				}
			}
		})
	}
}

func TestDetectorReset(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	p := pcm(mix(seconds(1), part{x: noise(rng, -60, seconds(1))}, part{x: tone(300, -20, seconds(1)), delay: seconds(0.5)}))
	d := New(Config{})
	starts, _ := run(d, p)
	if len(starts) != 1 || !d.InSpeech() {
		t.Fatalf("starts %v InSpeech %v, want one start and still in speech", starts, d.InSpeech())
	}
	d.Reset()
	if d.InSpeech() || d.Elapsed() != 0 || d.Floor() != SilenceLevel {
		t.Errorf("after Reset: InSpeech %v Elapsed %v Floor %v", d.InSpeech(), d.Elapsed(), d.Floor())
	}
	if again, _ := run(d, p); fmt.Sprint(again) != fmt.Sprint(starts) {
		t.Errorf("after Reset starts %v, want %v", again, starts)
	}
}

func TestEventString(t *testing.T) {
	for e, want := range map[Event]string{None: "none", SpeechStart: "speech-start", SpeechEnd: "speech-end", 7: "Event(7)"} {
		if e.String() != want {
			t.Errorf("%d: %q, want %q", e, e.String(), want)
		}
	}
}

func TestDetectorDoesNotAllocate(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	p := pcm(speech(rng, -25, seconds(2)))
	d := New(Config{})
	k := 0
	if n := testing.AllocsPerRun(500, func() {
		d.Process(p[k*frameLen : (k+1)*frameLen])
		k = (k + 1) % (len(p) / frameLen)
	}); n != 0 {
		t.Errorf("%v allocations per frame, want 0", n)
	}
}

func BenchmarkDetector(b *testing.B) {
	rng := rand.New(rand.NewPCG(13, 14))
	p := pcm(mix(seconds(4), part{x: noise(rng, -55, seconds(4))}, part{x: speech(rng, -25, seconds(4))}))
	nf := len(p) / frameLen
	d := New(Config{})
	b.ReportAllocs()
	k := 0
	for b.Loop() {
		d.Process(p[k*frameLen : (k+1)*frameLen])
		if k++; k == nf {
			k = 0
		}
	}
}
