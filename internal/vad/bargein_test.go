package vad

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/tirevoice/assistant/internal/audio"
)

const lead = 2 // playout lead in frames, as the player's default

// call is one synthetic call leg seen from BargeIn: the bot's audio as sent
// (by play time) and the caller's line, which carries the bot's echo, line
// noise and maybe the caller's voice.
type call struct {
	bot  audio.PCM16
	line audio.PCM16
}

type leg struct {
	echo       float64 // dB relative to the bot as sent; SilenceLevel for none
	delay      time.Duration
	noise      float64 // dBFS
	caller     []float64
	callerGain float64 // dB applied to caller
	callerAt   int     // sample
}

func newCall(rng *rand.Rand, bot []float64, l leg) call {
	n := len(bot)
	parts := []part{{x: noise(rng, l.noise, n)}}
	if l.echo > SilenceLevel {
		parts = append(parts, part{x: bot, gain: l.echo, delay: int(l.delay * sampleRate / time.Second)})
	}
	if l.caller != nil {
		parts = append(parts, part{x: l.caller, gain: l.callerGain, delay: l.callerAt})
	}
	return call{bot: pcm(bot), line: pcm(mix(n, parts...))}
}

// outcome is what BargeIn made of a call.
type outcome struct {
	fired   []int         // frames where Process returned true
	closest float64       // dB: max over gated frames of level - echo level while the bot was heard
	longest int           // longest caller run seen before the first firing
	trusted int           // frame from which the estimate stayed trusted, or -1
	delay   time.Duration // trusted delay at the end
	erl     float64       // ERL in use at the end, dB
}

// play runs the call through b the way a session does: the player sends
// each frame lead frames before it plays, and the caller's frame k reaches
// Process after bot frame k+lead has been sent.
func play(b *BargeIn, c call, rearm bool) outcome {
	o := outcome{closest: SilenceLevel, trusted: -1}
	sent := make(audio.PCM16, frameLen)
	in := make(audio.PCM16, frameLen)
	nf := len(c.line) / frameLen
	for k := range lead {
		b.Sent(audio.Energy(frameAt(c.bot, k, sent)))
	}
	for k := range nf {
		b.Sent(audio.Energy(frameAt(c.bot, k+lead, sent)))
		fired := b.Process(frameAt(c.line, k, in))
		d := b.Diagnostics()
		if fired {
			o.fired = append(o.fired, k)
			if rearm {
				b.Rearm()
			}
		}
		if d.Speech && d.Echo > SilenceLevel {
			o.closest = max(o.closest, d.Level-d.Echo)
		}
		if len(o.fired) == 0 {
			o.longest = max(o.longest, d.CallerRun)
		}
		switch {
		case d.Delay < 0:
			o.trusted = -1
		case o.trusted < 0:
			o.trusted = k
		}
		o.delay, o.erl = d.Delay, d.ERL
	}
	return o
}

var (
	echoLevels = []float64{-6, -12, -20}                                                                   // dB
	echoDelays = []time.Duration{0, 40 * time.Millisecond, 120 * time.Millisecond, 250 * time.Millisecond} // of the echo path
)

// The key property: the bot's own voice coming back on the line, however
// loud (down to 6 dB below what we sent) and late (up to 250 ms plus the
// playout lead), never reads as the caller barging in.
func TestBargeInIgnoresEcho(t *testing.T) {
	for _, echo := range echoLevels {
		for _, delay := range echoDelays {
			for seed := range uint64(3) {
				name := fmt.Sprintf("echo %g dB delay %v seed %d", echo, delay, seed)
				t.Run(name, func(t *testing.T) {
					rng := rand.New(rand.NewPCG(seed, 100))
					bot := cached("bot phrases", seed, func() []float64 { return phrases(rand.New(rand.NewPCG(seed, 101)), -20, seconds(12)) })
					c := newCall(rng, bot, leg{echo: echo, delay: delay, noise: -55})
					b := NewBargeIn(BargeInConfig{})
					o := play(b, c, true)
					if len(o.fired) > 0 {
						t.Errorf("barge-in fired on echo at frames %v", o.fired)
					}
					t.Logf("closest %+.1f dB, longest caller run %d/10 frames, trusted from frame %d, delay %v, ERL %.1f dB",
						o.closest, o.longest, o.trusted, o.delay, o.erl)
				})
			}
		}
	}
}

// Caller speech on top of the bot's voice and its echo fires barge-in within
// MinSpeech plus a few syllables of its onset.
func TestBargeInFiresOverBot(t *testing.T) {
	type tc struct {
		name   string
		caller float64 // dB relative to the bot's level
		echo   float64 // dB relative to the bot as sent
		delay  time.Duration
	}
	tests := []tc{
		{"caller at bot level, no echo", 0, SilenceLevel, 0},
		{"caller 10 dB below bot, no echo", -10, SilenceLevel, 0},
	}
	for _, delay := range echoDelays {
		tests = append(tests,
			tc{fmt.Sprintf("caller 6 dB above bot, echo -6 dB delay %v", delay), 6, -6, delay},
			tc{fmt.Sprintf("caller at bot level, echo -12 dB delay %v", delay), 0, -12, delay},
			tc{fmt.Sprintf("caller at bot level, echo -20 dB delay %v", delay), 0, -20, delay},
			tc{fmt.Sprintf("caller 10 dB below bot, echo -20 dB delay %v", delay), -10, -20, delay},
		)
	}
	for _, tt := range tests {
		for seed := range uint64(3) {
			t.Run(fmt.Sprintf("%s seed %d", tt.name, seed), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(seed, 200))
				// 3 s of phrases (the estimator learns), then 4 s of
				// talk without phrase pauses; the caller cuts in at 3.5 s.
				n, talkAt, onset := seconds(7), seconds(3), seconds(3.5)
				bot := cached("bot talk", seed, func() []float64 {
					rng := rand.New(rand.NewPCG(seed, 201))
					return mix(n, part{x: phrases(rng, -20, talkAt)}, part{x: speech(rng, -20, n-talkAt), delay: talkAt})
				})
				caller := cached("caller", seed, func() []float64 { return speech(rand.New(rand.NewPCG(seed, 300)), -20, seconds(2)) })
				c := newCall(rng, bot, leg{echo: tt.echo, delay: tt.delay, noise: -55,
					caller: caller, callerGain: tt.caller, callerAt: onset})
				b := NewBargeIn(BargeInConfig{})
				o := play(b, c, false)
				first := onset / frameLen
				if len(o.fired) != 1 {
					t.Fatalf("fired at frames %v, want once after frame %d", o.fired, first)
				}
				after := time.Duration(o.fired[0]-first) * audio.FrameTime
				t.Logf("fired %v after the caller's onset; delay %v ERL %.1f dB", after, o.delay, o.erl)
				if after < DefaultMinSpeech-audio.FrameTime || after > time.Second {
					t.Errorf("fired %v after the caller's onset, want within [200 ms, 1 s]", after)
				}
			})
		}
	}
}

// With no bot audio in the delay window, BargeIn is the plain detector with
// a 200 ms start: a tone burst fires on its 10th frame.
func TestBargeInWithoutBot(t *testing.T) {
	tests := []struct {
		name      string
		botUntil  int // bot speaks frames [0, botUntil)
		burstAt   int // frame
		wantFired []int
	}{
		{"bot never spoke", 0, 50, []int{59}},
		{"bot stopped 1 s before", 100, 150, []int{159}},
		{"bot stopped 200 ms before, echo window still open", 100, 110, []int{119}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(21, 22))
			n := 250 * frameLen
			bot := make([]float64, n)
			copy(bot, speech(rng, -20, tt.botUntil*frameLen))
			c := newCall(rng, bot, leg{echo: -20, noise: -55,
				caller: tone(300, -20, 50*frameLen), callerAt: tt.burstAt * frameLen})
			o := play(NewBargeIn(BargeInConfig{}), c, false)
			if fmt.Sprint(o.fired) != fmt.Sprint(tt.wantFired) {
				t.Errorf("fired at %v, want %v", o.fired, tt.wantFired)
			}
		})
	}
}

func TestBargeInFiresOnceUntilRearm(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	n := 200 * frameLen
	c := newCall(rng, make([]float64, n), leg{noise: -55, caller: tone(300, -20, 50*frameLen), callerAt: 20 * frameLen})
	if o := play(NewBargeIn(BargeInConfig{}), c, false); fmt.Sprint(o.fired) != "[29]" {
		t.Errorf("without Rearm fired at %v, want [29]", o.fired)
	}
	if o := play(NewBargeIn(BargeInConfig{}), c, true); fmt.Sprint(o.fired) != "[29 39 49 59 69]" {
		t.Errorf("with Rearm after each firing fired at %v, want every 10 frames of the tone", o.fired)
	}
}

// Sent and Process run on different goroutines in a call; the race detector
// checks the handover.
func TestBargeInConcurrent(t *testing.T) {
	b := NewBargeIn(BargeInConfig{})
	rng := rand.New(rand.NewPCG(25, 26))
	line := pcm(noise(rng, -40, 500*frameLen))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for k := range 500 {
			b.Sent(float64(k % 1000))
		}
	}()
	for k := range 500 {
		b.Process(line[k*frameLen : (k+1)*frameLen])
	}
	<-done
}

func TestBargeInDoesNotAllocate(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 28))
	bot := phrases(rng, -20, seconds(4))
	c := newCall(rng, bot, leg{echo: -12, delay: 100 * time.Millisecond, noise: -55})
	b := NewBargeIn(BargeInConfig{})
	nf := len(c.line) / frameLen
	k := 0
	if n := testing.AllocsPerRun(500, func() {
		b.Sent(audio.Energy(c.bot[k*frameLen : (k+1)*frameLen]))
		b.Process(c.line[k*frameLen : (k+1)*frameLen])
		k = (k + 1) % nf
	}); n != 0 {
		t.Errorf("%v allocations per frame, want 0", n)
	}
}

func BenchmarkBargeIn(b *testing.B) {
	rng := rand.New(rand.NewPCG(29, 30))
	bot := phrases(rng, -20, seconds(8))
	c := newCall(rng, bot, leg{echo: -12, delay: 100 * time.Millisecond, noise: -55})
	d := NewBargeIn(BargeInConfig{})
	nf := len(c.line) / frameLen
	energies := make([]float64, nf)
	for k := range energies {
		energies[k] = audio.Energy(c.bot[k*frameLen : (k+1)*frameLen])
	}
	b.ReportAllocs()
	k := 0
	for b.Loop() {
		d.Sent(energies[k])
		d.Process(c.line[k*frameLen : (k+1)*frameLen])
		if k++; k == nf {
			k = 0
		}
	}
}

var signals sync.Map // "name seed" → []float64, shared by the cases of a table

// cached returns the signal gen generates for name and seed, making it once.
func cached(name string, seed uint64, gen func() []float64) []float64 {
	key := fmt.Sprint(name, seed)
	if x, ok := signals.Load(key); ok {
		return x.([]float64)
	}
	x, _ := signals.LoadOrStore(key, gen())
	return x.([]float64)
}

// TestBargeInAfterCanceller: with an echo canceller in front that knows the
// echo it left, the caller is judged against that residual, not against
// levels: a caller 10 dB below the bot, whom the level test takes for echo
// on a line it has measured at 12 dB, fires; a residual as loud as the
// caller does not; with nothing sent, the gate alone decides.
func TestBargeInAfterCanceller(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	n := 150 * frameLen
	bot := speech(rng, -20, n)
	caller := tone(300, -30, 60*frameLen) // about -20 dBFS on the line
	tests := []struct {
		name      string
		residual  float64 // dBFS; SilenceLevel for 0
		wantFired bool
	}{
		{"echo cancelled to -60 dBFS", -60, true},
		{"nothing sent", SilenceLevel, true},
		{"residual as loud as the caller", -20, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The line has the caller alone: the canceller removed the echo.
			c := newCall(rng, bot, leg{noise: -60, caller: caller, callerAt: 80 * frameLen})
			b := NewBargeIn(BargeInConfig{})
			sent := make(audio.PCM16, frameLen)
			var residual float64
			if tt.residual > SilenceLevel {
				residual = energyOf(tt.residual)
			}
			fired := false
			for k := 0; (k+1)*frameLen <= n; k++ {
				copy(sent, c.bot[k*frameLen:])
				b.Sent(audio.Energy(sent))
				fired = b.ProcessCancelled(c.line[k*frameLen:(k+1)*frameLen], residual) || fired
			}
			if fired != tt.wantFired {
				t.Errorf("fired %v, want %v (last %+v)", fired, tt.wantFired, b.Diagnostics())
			}
		})
	}
	// The same caller and bot with the echo still on the line, judged by
	// levels alone on a line measured at 12 dB: the caller is taken for
	// echo. (What the canceller makes possible.)
	c := newCall(rng, bot, leg{echo: -12, noise: -60, caller: caller, callerAt: 80 * frameLen})
	if o := play(NewBargeIn(BargeInConfig{}), c, false); len(o.fired) != 0 {
		t.Errorf("levels alone fired at %v on a caller below the echo", o.fired)
	}
}

// energyOf is the mean square of a level in dBFS.
func energyOf(dbfs float64) float64 { return math.Pow(10, dbfs/10) * fullScale }
