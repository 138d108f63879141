package callsim

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tirevoice/assistant/internal/audio"
	"github.com/tirevoice/assistant/internal/audiosocket"
)

// startPeer serves AudioSocket calls on loopback with serve, standing in
// for the processor, until the test ends; it returns the address.
func startPeer(t *testing.T, serve func(ctx context.Context, c *audiosocket.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &audiosocket.Server{Handler: audiosocket.HandlerFunc(serve)}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(context.Background(), ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("peer shutdown: %v", err)
		}
		if err := <-done; !errors.Is(err, audiosocket.ErrShutdown) {
			t.Errorf("peer Serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// heard is what the peer received from the caller, in order.
type heard struct {
	stamp int  // the caller frame's number (extras.stamp), or -1 for a digit
	digit byte // the digit, for a DTMF frame
}

// listeningPeer records every frame of one call until the caller hangs
// up, and sends nothing: a caller whose phone has nothing to read closes
// with a FIN, so every frame it wrote arrives.
func listeningPeer(t *testing.T) (addr string, calls <-chan []heard) {
	got := make(chan []heard, 1)
	addr = startPeer(t, func(ctx context.Context, c *audiosocket.Conn) {
		var hs []heard
		for {
			f, err := c.ReadFrame()
			if err != nil {
				got <- hs
				return
			}
			switch {
			case f.Kind.IsAudio():
				pcm := audio.AppendFromS16LE(nil, f.Payload)
				hs = append(hs, heard{stamp: int(pcm[0])})
			case f.Kind == audiosocket.KindDTMF:
				hs = append(hs, heard{stamp: -1, digit: f.Payload[0]})
			}
		}
	})
	return addr, got
}

// TestCallerLossOnTheWire: the caller's lost frames are not sent (the
// peer sees their numbers missing), the rate and the bursts are as
// configured, and DTMF still goes out, even at a frame that was lost.
func TestCallerLossOnTheWire(t *testing.T) {
	const digits = "0123456789*#0123456789*#012345" // 3 s of DTMF
	tests := []struct {
		name  string
		line  string
		check func(t *testing.T, gaps []int, res *Result)
	}{
		{"independent", "{loss: 10%, seed: 7}", func(t *testing.T, gaps []int, res *Result) {
			st := res.Line
			rate := float64(st.CallerLost) / float64(st.CallerFrames)
			// About 200 frames: the binomial's standard deviation is 2 %.
			if math.Abs(rate-0.10) > 0.06 {
				t.Errorf("lost %s of the caller's frames, want about 10 %%", share(st.CallerLost, st.CallerFrames))
			}
		}},
		{"bursts", "{loss_burst: {every: 300ms, frames: 2-3}, seed: 3}", func(t *testing.T, gaps []int, res *Result) {
			seen := map[int]int{}
			for _, g := range gaps {
				seen[g]++
			}
			if len(gaps) < 5 || seen[2] == 0 || seen[3] == 0 || seen[2]+seen[3] != len(gaps) {
				t.Errorf("runs of lost frames %v, want bursts of 2 and 3 frames", gaps)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, calls := listeningPeer(t)
			sc := parse(t, `
name: caller-loss
line: `+tt.line+`
steps:
  - silence: 500ms
  - dtmf: "`+digits+`"
  - silence: 500ms
  - hangup: true
`)
			var out strings.Builder
			res, err := run(context.Background(), sc, Options{Addr: addr, Out: &out}, extras{stamp: true})
			if err != nil {
				t.Fatal(err)
			}
			hs := <-calls
			t.Logf("transcript:\n%s", out.String())

			// The frames that arrived, in order; the runs of numbers
			// missing between them are the frames lost.
			var stamps []int
			var pressed []byte
			atLostFrame := 0 // digits sent at a frame of theirs that was lost
			for i, h := range hs {
				if h.stamp < 0 {
					pressed = append(pressed, h.digit)
					// A digit follows its frame (every 5th): if that
					// frame is not just before it, it was lost.
					if i == 0 || hs[i-1].stamp < 0 || hs[i-1].stamp%5 != 0 {
						atLostFrame++
					}
					continue
				}
				stamps = append(stamps, h.stamp)
			}
			var gaps []int
			missing := stamps[0]
			if stamps[0] > 0 {
				gaps = append(gaps, stamps[0])
			}
			for i := 1; i < len(stamps); i++ {
				if d := stamps[i] - stamps[i-1]; d <= 0 {
					t.Fatalf("frame %d arrived after frame %d", stamps[i], stamps[i-1])
				} else if d > 1 {
					gaps = append(gaps, d-1)
					missing += d - 1
				}
			}
			st := res.Line
			if st.Seed != sc.Line.Seed {
				t.Errorf("seed %d, want the line's %d", st.Seed, sc.Line.Seed)
			}
			if got := st.CallerFrames - st.CallerLost; len(stamps) != got {
				t.Errorf("the peer got %d frames, the caller counts %d delivered", len(stamps), got)
			}
			// The frames lost after the last one that arrived are not seen.
			if missing > st.CallerLost || st.CallerLost > missing+3 {
				t.Errorf("%d frames missing at the peer, the caller counts %d lost", missing, st.CallerLost)
			}
			if string(pressed) != digits {
				t.Errorf("the peer got the digits %q, want %q", pressed, digits)
			}
			if atLostFrame == 0 {
				t.Error("no digit was pressed at a frame that was lost")
			}
			if st.BotFrames != 0 || st.MaxJitter != 0 {
				t.Errorf("bot frames %d, jitter %v: want none", st.BotFrames, st.MaxJitter)
			}
			for _, want := range []string{
				"line " + sc.Line.String() + "\n",
				"  line: caller frames lost " + share(st.CallerLost, st.CallerFrames) + ", bot frames lost 0 of 0, jitter max 0.0 ms; seed ",
			} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("the transcript lacks %q", want)
				}
			}
			// The peer sends no audio: the pacing check fails, with the seed.
			if !strings.HasSuffix(res.Failure, fmt.Sprintf(" (line seed %d)", st.Seed)) {
				t.Errorf("failure %q, want the seed at its end", res.Failure)
			}
			tt.check(t, gaps, res)
		})
	}
}

// TestJitterOnTheWire: held-back frames and digits still arrive all, in
// order, and the most a frame was held is within the bound. The jitter
// comes from an override, as --line gives it.
func TestJitterOnTheWire(t *testing.T) {
	addr, calls := listeningPeer(t)
	sc := parse(t, `
name: jitter
steps:
  - dtmf: "123"
  - silence: 1s
  - hangup: true
`)
	o, err := ParseLine("jitter=60ms")
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	res, err := run(context.Background(), sc, Options{Addr: addr, Out: &out, Line: o}, extras{stamp: true})
	if err != nil {
		t.Fatal(err)
	}
	hs := <-calls
	t.Logf("transcript:\n%s", out.String())
	next := 0
	var pressed []byte
	for i, h := range hs {
		if h.stamp < 0 {
			pressed = append(pressed, h.digit)
			if i == 0 || hs[i-1].stamp < 0 || hs[i-1].stamp%5 != 0 {
				t.Errorf("digit %c is number %d of what arrived, not right after its own frame", h.digit, i)
			}
			continue
		}
		if h.stamp != next {
			t.Fatalf("frame %d arrived where frame %d was due", h.stamp, next)
		}
		next++
	}
	st := res.Line
	if next != st.CallerFrames || st.CallerLost != 0 {
		t.Errorf("the peer got %d frames, the caller counts %d sent and %d lost", next, st.CallerFrames, st.CallerLost)
	}
	if string(pressed) != "123" {
		t.Errorf("digits %q", pressed)
	}
	if st.MaxJitter <= 20*time.Millisecond || st.MaxJitter > 60*time.Millisecond {
		t.Errorf("max jitter %v, want up to 60ms and, over 50 frames, more than 20ms", st.MaxJitter)
	}
	if st.Seed != lineSeed(sc, &Line{}) || st.Seed == 0 {
		t.Errorf("seed %d, want the one of the scenario's name", st.Seed)
	}
	if !strings.Contains(out.String(), fmt.Sprintf("line jitter=60ms,seed=%d\n", st.Seed)) {
		t.Error("the transcript lacks the line with its seed")
	}
}

// botLevel is the level of bot frame j in TestBotLossSilenced: each frame
// is a constant, different from every other's, so that the frame can be
// told from its samples, and its echo from the echo's.
func botLevel(j int) int16 { return int16(1000 + 8*j) }

// TestBotLossSilenced: a bot frame the network loses reaches the caller's
// decoder as silence, in its place, and its echo is silence too.
func TestBotLossSilenced(t *testing.T) {
	const frames = 150
	const echoDB = -1.0
	echoed := make(chan []int16, 1) // every sample of the caller's frames
	addr := startPeer(t, func(ctx context.Context, c *audiosocket.Conn) {
		var samples []int16
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				f, err := c.ReadFrame()
				if err != nil {
					return
				}
				if f.Kind.IsAudio() {
					samples = audio.AppendFromS16LE(samples, f.Payload)
				}
			}
		}()
		// The bot's audio, paced as the processor paces it.
		tick := time.NewTicker(audio.FrameTime)
		defer tick.Stop()
		pcm := make(audio.PCM16, audio.Rate8k.FrameSamples())
		for j := range frames {
			for i := range pcm {
				pcm[i] = botLevel(j)
			}
			if c.WriteAudio(audio.Rate8k, pcm) != nil {
				break
			}
			<-tick.C
		}
		_ = c.Hangup() // ends the reads too
		<-done
		echoed <- samples
	})
	sc := parse(t, `
name: bot-loss
line: {loss: 10%, echo_db: -1, seed: 11}
steps:
  - expect_hangup: true
    timeout: 20s
`)
	var got []audio.PCM16
	hear := func(pcm audio.PCM16) { got = append(got, slices.Clone(pcm)) }
	res, err := run(context.Background(), sc, Options{Addr: addr}, extras{hear: hear})
	if err != nil {
		t.Fatal(err)
	}
	samples := <-echoed
	if !res.HungUpByBot {
		t.Fatalf("the call did not end with the peer's hangup: %s", res.Failure)
	}
	if len(got) != frames || res.Line.BotFrames != frames {
		t.Fatalf("the decoder got %d frames, the line counts %d, of the %d sent", len(got), res.Line.BotFrames, frames)
	}
	lost := map[int]bool{}
	for j, pcm := range got {
		switch {
		case slices.Equal(pcm, make(audio.PCM16, len(pcm))):
			lost[j] = true
		case slices.ContainsFunc(pcm, func(v int16) bool { return v != botLevel(j) }):
			t.Fatalf("frame %d reached the decoder as %v, want it whole or silent", j, pcm[:4])
		}
	}
	if len(lost) != res.Line.BotLost {
		t.Errorf("%d frames silenced, the line counts %d lost", len(lost), res.Line.BotLost)
	}
	if rate := float64(len(lost)) / frames; math.Abs(rate-0.10) > 0.06 {
		t.Errorf("%d of %d bot frames lost, want about 10 %%", len(lost), frames)
	}
	// Every echoed sample is one bot frame's level, attenuated, or
	// silence; never a lost frame's.
	amp := math.Pow(10, echoDB/20)
	heardBack := map[int]bool{}
	for _, v := range samples {
		if v == 0 {
			continue
		}
		j := int(math.Round((float64(v)/amp - 1000) / 8))
		if j < 0 || j >= frames || math.Abs(float64(v)-amp*float64(botLevel(j))) > 1 {
			t.Fatalf("an echoed sample %d is no bot frame's", v)
		}
		heardBack[j] = true
	}
	for j := range heardBack {
		if lost[j] {
			t.Errorf("frame %d was lost, yet came back as echo", j)
		}
	}
	if len(heardBack) < frames/2 {
		t.Errorf("only %d bot frames came back as echo", len(heardBack))
	}
}

// TestLoadOnALossyLine: a load merges the override into the line, gives
// each call its own seed, groups failures whatever their seed, and sums
// the line's counts.
func TestLoadOnALossyLine(t *testing.T) {
	addr := startPeer(t, func(ctx context.Context, c *audiosocket.Conn) {
		for {
			if _, err := c.ReadFrame(); err != nil {
				return
			}
		}
	})
	sc := parse(t, `
name: lossy-load
line: {dtx: false, loss: 5%}
steps:
  - silence: 400ms
  - hangup: true
`)
	o, err := ParseLine("loss=10%,seed=100")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := LoadTest(context.Background(), sc, LoadOptions{Call: Options{Addr: addr, Line: o}, Calls: 3, Concurrency: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("report:\n%s", rep)
	// The peer sends no audio: every call fails the pacing check.
	if rep.Failed != 3 || len(rep.Failures) != 1 || rep.Failures[0].Reason != "pacing: the bot sent no audio" {
		t.Fatalf("failed %d, failures %+v: want 3 under one reason", rep.Failed, rep.Failures)
	}
	if ex := rep.Failures[0].Example; !regexp.MustCompile(`\(line seed 10[012]\)$`).MatchString(ex) {
		t.Errorf("example %q, want it with its call's seed, 100 + the call's number", ex)
	}
	st := rep.LineStats
	if rep.Line.Loss != 10 || st.Seed != 100 || st.CallerFrames < 3*15 || st.CallerLost == 0 || st.BotFrames != 0 {
		t.Errorf("line %s, counts %+v", rep.Line, st)
	}
	if want := "line loss=10%: caller frames lost " + share(st.CallerLost, st.CallerFrames) + ", bot frames lost 0 of 0, jitter max 0.0 ms; seed 100 + the call's number (from 0)\n"; !strings.Contains(rep.String(), want) {
		t.Errorf("the report lacks %q", want)
	}
}
