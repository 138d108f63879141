package aec

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tirevoice/assistant/internal/audio"
)

// TestERLE measures the linear filter (suppressor off) on a hybrid echo
// path through mu-law both ways, with white noise at -55 dBFS on the line.
// "codec" is the mock TTS (single tones, the hardest case for an adaptive
// filter); "noise" is speech-like coloured noise in syllables.
func TestERLE(t *testing.T) {
	type result struct{ steady, conv float64 }
	var mu sync.Mutex
	table := map[string]result{}
	t.Run("cases", func(t *testing.T) {
		for _, sig := range []string{"codec", "noise"} {
			for _, delay := range []time.Duration{20, 60, 120, 250} {
				delay *= time.Millisecond
				for _, level := range []float64{-6, -12, -20} {
					name := fmt.Sprintf("%s/delay=%v/level=%gdB", sig, delay, level)
					t.Run(name, func(t *testing.T) {
						t.Parallel()
						r := audio.Rate8k
						far := botTurn(t, r)
						// Tones excite 16 frequencies, one at a time: the
						// filter is slower to learn them all.
						wantSteady, wantConv := 21.0, 12.0
						if sig == "noise" {
							far = append(make(audio.PCM16, r.Samples(200*time.Millisecond)), speechNoise(r, 5*time.Second, -20, 5)...)
							wantSteady, wantConv = 25, 15
						}
						if delay == 250*time.Millisecond && level == -6 {
							// Known: this case locks the delay late, and the
							// filter's output is used only once it has shown
							// that it removes echo (see doc.go).
							wantConv = 2
						}
						c := scene{rate: r, far: far, delay: delay, levelDB: level, noiseDB: -55}.build(t)
						out, ac := c.run(t, Config{NoSuppress: true})
						got, ok := ac.Delay()
						if !ok || got < delay-8*time.Millisecond || got > delay+8*time.Millisecond {
							t.Errorf("delay estimate %v (%v), want %v within 8 ms", got, ok, delay)
						}
						// Convergence is counted from the first echo: an echo
						// that has not come back yet cannot be learnt.
						start := c.onset + c.delay
						res := result{
							steady: c.erle(out, start+r.Samples(time.Second), len(out)),
							conv:   c.erle(out, start+r.Samples(300*time.Millisecond), start+r.Samples(500*time.Millisecond)),
						}
						mu.Lock()
						table[name] = res
						mu.Unlock()
						if res.steady < wantSteady {
							t.Errorf("ERLE after convergence %.1f dB, want >= %g", res.steady, wantSteady)
						}
						if res.conv < wantConv {
							t.Errorf("ERLE 300-500 ms after the first echo %.1f dB, want >= %g", res.conv, wantConv)
						}
					})
				}
			}
		}
	})
	keys := make([]string, 0, len(table))
	for k := range table {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		t.Logf("%-32s ERLE %5.1f dB converged, %5.1f dB at 300-500 ms", k, table[k].steady, table[k].conv)
	}
}

func TestERLE16k(t *testing.T) {
	for _, delay := range []time.Duration{60 * time.Millisecond, 250 * time.Millisecond} {
		t.Run(delay.String(), func(t *testing.T) {
			r := audio.Rate16k
			far := append(make(audio.PCM16, r.Samples(200*time.Millisecond)), speechNoise(r, 4*time.Second, -20, 9)...)
			c := scene{rate: r, far: far, delay: delay, levelDB: -12, noiseDB: -55}.build(t)
			out, _ := c.run(t, Config{NoSuppress: true})
			start := c.onset + c.delay
			steady := c.erle(out, start+r.Samples(time.Second), len(out))
			t.Logf("16 kHz ERLE %.1f dB", steady)
			if steady < 25 {
				t.Errorf("ERLE %.1f dB, want >= 25", steady)
			}
		})
	}
}

// TestSuppressor checks that the residual suppressor adds attenuation in
// echo-only stretches on top of the linear filter.
func TestSuppressor(t *testing.T) {
	r := audio.Rate8k
	c := scene{rate: r, far: botTurn(t, r), delay: 60 * time.Millisecond, levelDB: -6, noiseDB: -55}.build(t)
	lin, _ := c.run(t, Config{NoSuppress: true})
	sup, _ := c.run(t, Config{})
	from := c.onset + c.delay + r.Samples(300*time.Millisecond)
	to := from + r.Samples(2*time.Second)
	in := energyDB(c.near[from:to])
	t.Logf("echo-only output: %.1f dB below input linear, %.1f dB with suppressor", in-energyDB(lin[from:to]), in-energyDB(sup[from:to]))
	if energyDB(sup[from:to]) > energyDB(lin[from:to]) {
		t.Errorf("suppressor raised the output: %.1f dB over %.1f", energyDB(sup[from:to]), energyDB(lin[from:to]))
	}
}

// TestNoEchoNoDamage: the bot talks, the line returns no echo, the caller
// talks at the same time. The caller must come through untouched, also when
// the caller is made of the mock TTS's own tones, which match the bot's at
// some lags well enough to win the delay search for a while.
func TestNoEchoNoDamage(t *testing.T) {
	type tc struct {
		name     string
		rate     audio.Rate
		bot      string // noise (speech-like) or codec (the mock TTS)
		callerAt time.Duration
		callerDB float64
	}
	cases := []tc{
		{"8k noise bot", audio.Rate8k, "noise", 700 * time.Millisecond, 0},
		{"16k noise bot", audio.Rate16k, "noise", 700 * time.Millisecond, 0},
	}
	for _, at := range []time.Duration{300, 700, 1100, 1500, 2000, 2500} {
		for _, db := range []float64{0, -10} {
			cases = append(cases, tc{fmt.Sprintf("8k codec bot, caller at %v %gdB", at*time.Millisecond, db), audio.Rate8k, "codec", at * time.Millisecond, db})
		}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.rate
			caller := say(t, r, callerText)
			g := math.Pow(10, tc.callerDB/20)
			for i, v := range caller {
				caller[i] = clip(float64(v) * g)
			}
			far := append(make(audio.PCM16, r.Samples(200*time.Millisecond)), speechNoise(r, 4*time.Second, -20, 5)...)
			if tc.bot == "codec" {
				far = append(botTurn(t, r), botTurn(t, r)...)
			}
			c := scene{rate: r, far: far, caller: caller, callerAt: tc.callerAt,
				levelDB: math.Inf(-1), noiseDB: -55}.build(t)
			out, ac := c.run(t, Config{})
			if d, ok := ac.Delay(); ok {
				t.Logf("delay locked at %v with no echo", d)
			}
			in, got := energyDB(c.near), energyDB(out)
			if math.Abs(in-got) > 0.5 {
				t.Errorf("output energy %.2f dB, input %.2f dB: want within 0.5 dB", got, in)
			}
			if heard := hear(r, out); !contains(heard, callerText) {
				t.Errorf("heard %q in the output, want %q", heard, callerText)
			}
		})
	}
}

// TestDoubleTalk: the caller talks over the bot's echo after the filter has
// converged. The mixture is not understood; the cleaned output is.
func TestDoubleTalk(t *testing.T) {
	cases := []struct {
		name           string
		rate           audio.Rate
		delay          time.Duration
		echoDB, callDB float64
		callerAt       time.Duration
	}{
		{"8k 60ms echo -6 caller -6", audio.Rate8k, 60 * time.Millisecond, -6, -6, 1500 * time.Millisecond},
		{"8k 250ms echo -6 caller -10", audio.Rate8k, 250 * time.Millisecond, -6, -10, 1500 * time.Millisecond},
		{"8k 120ms echo -12 caller -14", audio.Rate8k, 120 * time.Millisecond, -12, -14, 1800 * time.Millisecond},
		{"16k 60ms echo -6 caller -6", audio.Rate16k, 60 * time.Millisecond, -6, -6, 1500 * time.Millisecond},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			caller := say(t, tc.rate, callerText)
			g := math.Pow(10, tc.callDB/20)
			for i, v := range caller {
				caller[i] = clip(float64(v) * g)
			}
			far := botTurn(t, tc.rate)
			far = append(far, botTurn(t, tc.rate)...) // the bot keeps talking throughout
			c := scene{rate: tc.rate, far: far, caller: caller, callerAt: tc.callerAt,
				delay: tc.delay, levelDB: tc.echoDB, noiseDB: -55}.build(t)
			if heard := hear(tc.rate, c.near); contains(heard, callerText) {
				t.Fatalf("the caller is understood without echo cancelling (heard %q): the case tests nothing", heard)
			}
			out, _ := c.run(t, Config{})
			if heard := hear(tc.rate, out); !contains(heard, callerText) {
				t.Errorf("heard %q in the output, want %q", heard, callerText)
			}
		})
	}
}

func TestIdleBypass(t *testing.T) {
	r := audio.Rate8k
	ac, err := New(Config{Rate: r})
	if err != nil {
		t.Fatal(err)
	}
	fr := r.FrameSamples()
	silent := make([]int16, fr)
	near := speechNoise(r, time.Second, -20, 3)
	out := make([]int16, fr)
	for i := 0; i+fr <= len(near); i += fr {
		ac.Far(silent)
		if !ac.Idle() {
			t.Fatalf("frame %d: not idle with silent far end", i/fr)
		}
		ac.Process(near[i:i+fr], out)
		if !slices.Equal(out, near[i:i+fr]) {
			t.Fatalf("frame %d: idle output differs from input", i/fr)
		}
	}
	// The bot speaks one frame: echo is possible for the delay range and
	// the filter tail, then the canceller is idle again.
	ac.Far(say(t, r, "Да")[:fr])
	if ac.Idle() {
		t.Fatal("idle right after the bot spoke")
	}
	ac.Process(near[:fr], out)
	frames := 0
	for !ac.Idle() {
		ac.Far(silent)
		ac.Process(near[:fr], out)
		frames++
		if frames > 100 {
			t.Fatal("still active 2 s after the bot stopped")
		}
	}
	if tail := time.Duration(frames) * 20 * time.Millisecond; tail < 300*time.Millisecond || tail > 400*time.Millisecond {
		t.Errorf("active for %v after the bot stopped, want the 300 ms delay range plus the tail", tail)
	}
}

func TestAllocs(t *testing.T) {
	for _, r := range []audio.Rate{audio.Rate8k, audio.Rate16k} {
		t.Run(r.String(), func(t *testing.T) {
			c := scene{rate: r, far: botTurn(t, r), delay: 60 * time.Millisecond, levelDB: -12, noiseDB: -55}.build(t)
			ac, err := New(Config{Rate: r})
			if err != nil {
				t.Fatal(err)
			}
			fr := r.FrameSamples()
			out := make([]int16, fr)
			i := 0
			allocs := testing.AllocsPerRun(200, func() {
				ac.Far(c.far[i : i+fr])
				ac.Process(c.near[i:i+fr], out)
				i = (i + fr) % (c.frames * fr)
			})
			if allocs != 0 {
				t.Errorf("%v allocations per frame, want 0", allocs)
			}
			if _, ok := ac.Delay(); !ok {
				t.Error("the measured frames never locked the delay: the path measured is not the active one")
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want error
	}{
		{"no rate", Config{}, ErrRate},
		{"11025 Hz", Config{Rate: 11025}, ErrRate},
		{"48 kHz", Config{Rate: audio.Rate48k}, ErrRate},
		{"negative delay", Config{Rate: audio.Rate8k, MaxDelay: -time.Millisecond}, ErrDelay},
		{"huge delay", Config{Rate: audio.Rate8k, MaxDelay: 3 * time.Second}, ErrDelay},
		{"tiny tail", Config{Rate: audio.Rate8k, Tail: time.Millisecond}, ErrTail},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.cfg); !errors.Is(err, tc.want) {
				t.Errorf("New(%+v) error %v, want %v", tc.cfg, err, tc.want)
			}
		})
	}
	if _, err := New(Config{Rate: audio.Rate32k}); err != nil {
		t.Errorf("32 kHz: %v", err)
	}
}

func TestReset(t *testing.T) {
	r := audio.Rate8k
	c := scene{rate: r, far: botTurn(t, r), delay: 60 * time.Millisecond, levelDB: -12, noiseDB: -55}.build(t)
	_, ac := c.run(t, Config{})
	if _, ok := ac.Delay(); !ok {
		t.Fatal("no delay locked")
	}
	ac.Reset()
	if _, ok := ac.Delay(); ok || !ac.Idle() {
		t.Errorf("after Reset: delay locked %v, idle %v; want neither locked nor active", ok, ac.Idle())
	}
}

// TestMissingFrames: frames lost on the caller's side (2 % of them, and a
// 60 ms hole) are reported with Missing. The frames that follow stay aligned
// with what was sent and the learnt path is kept: the echo in them is still
// removed, as well as with no loss at all.
func TestMissingFrames(t *testing.T) {
	r := audio.Rate8k
	far := append(make(audio.PCM16, r.Samples(200*time.Millisecond)), speechNoise(r, 5*time.Second, -20, 5)...)
	c := scene{rate: r, far: far, delay: 120 * time.Millisecond, levelDB: -12, noiseDB: -55}.build(t)
	whole, _ := c.run(t, Config{})

	fr := r.FrameSamples()
	lost := map[int]bool{}
	rng := rand.New(rand.NewPCG(4, 2))
	for i := range c.frames {
		if rng.Float64() < 0.02 {
			lost[i] = true
		}
	}
	hole := r.Samples(2500*time.Millisecond) / fr
	lost[hole], lost[hole+1], lost[hole+2] = true, true, true
	ac, err := New(Config{Rate: r})
	if err != nil {
		t.Fatal(err)
	}
	out := make(audio.PCM16, len(c.near))
	for i := range c.frames {
		at := i * fr
		ac.Far(c.far[at : at+fr])
		if lost[i] {
			ac.Missing()
			copy(out[at:at+fr], c.clean[at:at+fr]) // not heard: no residual to count
			continue
		}
		ac.Process(c.near[at:at+fr], out[at:at+fr])
	}
	from := c.onset + c.delay + r.Samples(time.Second)
	want, got := c.erle(whole, from, len(out)), c.erle(out, from, len(out))
	t.Logf("ERLE with %d of %d frames missing: %.1f dB (none missing: %.1f dB)", len(lost), c.frames, got, want)
	if got < want-3 || got < 25 {
		t.Errorf("ERLE %.1f dB with frames missing, want within 3 dB of %.1f and at least 25", got, want)
	}
}

// TestResidual: the canceller says what echo its output may still hold only
// when it knows: not while the far end sounds and the path is unknown; once
// converged, an upper bound on what is left, well under the echo that came
// in; nothing at all with nothing sent.
func TestResidual(t *testing.T) {
	r := audio.Rate8k
	far := append(make(audio.PCM16, r.Samples(200*time.Millisecond)), speechNoise(r, 3*time.Second, -20, 5)...)
	c := scene{rate: r, far: far, delay: 120 * time.Millisecond, levelDB: -12, noiseDB: -55}.build(t)
	ac, err := New(Config{Rate: r})
	if err != nil {
		t.Fatal(err)
	}
	fr := r.FrameSamples()
	out := make(audio.PCM16, fr)
	if _, ok := ac.Residual(); !ok {
		t.Error("a new canceller cannot say that nothing echoes")
	}
	echoStart := (c.onset + c.delay) / fr
	var unknownEarly bool
	var sumRes, sumOut, sumEcho float64
	for i := range c.frames {
		at := i * fr
		ac.Far(c.far[at : at+fr])
		ac.Process(c.near[at:at+fr], out)
		res, ok := ac.Residual()
		if i == echoStart+1 && !ok {
			unknownEarly = true
		}
		if i >= echoStart+50 { // a second in: converged
			if !ok {
				t.Fatalf("frame %d: converged canceller cannot say what it left", i)
			}
			var e float64
			for _, v := range c.echo[at : at+fr] {
				e += v * v
			}
			sumRes += res
			sumOut += audio.Energy(out)
			sumEcho += e / float64(fr)
		}
	}
	if !unknownEarly {
		t.Error("right after the first echo, before any lock, the canceller claimed to know the residual")
	}
	t.Logf("converged: residual bound %.1f dB below the echo, output %.1f dB below", 10*math.Log10(sumEcho/sumRes), 10*math.Log10(sumEcho/sumOut))
	if sumRes < sumOut/4 || sumRes > sumEcho/10 {
		t.Errorf("residual bound %.3g: want at least about the output (%.3g) and 10 dB under the echo (%.3g)", sumRes, sumOut, sumEcho)
	}
	silent := make(audio.PCM16, fr)
	for range 40 {
		ac.Far(silent)
		ac.Process(silent, out)
	}
	if res, ok := ac.Residual(); !ok || res != 0 {
		t.Errorf("after the echo tail: residual %v, %v; want 0, true", res, ok)
	}
}
