package call_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/tirevoice/assistant/internal/call"
	"github.com/tirevoice/assistant/internal/callsim"
	"github.com/tirevoice/assistant/internal/metrics"
)

func playOn(t *testing.T, addr, yaml string) *callsim.Result {
	t.Helper()
	sc, err := callsim.Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	// The bot's frames must never stop, silent caller or not: at most
	// 200 ms between two of them (Asterisk's AudioSocket() gives up
	// after 2 s of nothing either way).
	res, err := callsim.Run(context.Background(), sc, callsim.Options{Addr: addr, Out: &out, MaxGap: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("transcript:\n%s", out.String())
	if !res.Passed {
		t.Fatalf("scenario failed: %s", res.Failure)
	}
	return res
}

func recordOf(t *testing.T, records <-chan *call.Record) *call.Record {
	t.Helper()
	select {
	case rec := <-records:
		return rec
	case <-time.After(15 * time.Second):
		t.Fatal("no call record")
		return nil
	}
}

// TestCallerSilentOnTheWire: a caller whose line sends no frames at all
// for 10 s, and later for a minute, mid-call (a hold, silence suppression,
// a stall) keeps the call: the bot plays on without a gap, re-prompts
// CALL_NO_INPUT_TIMEOUT after its turn and every timeout after that, and
// hears the caller when the frames come back. Over real TCP with the
// production dead-peer limit. (The old 5 s idle timeout ended this call as
// "connection failed" before the first re-prompt.) The no-input rules let
// the call wait a minute, as a shop with long holds would set them.
func TestCallerSilentOnTheWire(t *testing.T) {
	if testing.Short() {
		t.Skip("70 s of silence")
	}
	cfg := defaultCallConfig(t)
	cfg.NoInputPrompts = 10
	tc := startCallWithDeadPeer(t, func(d *call.Deps) { d.Config = cfg }, 0) // the production dead-peer limit
	res := playOn(t, tc.addr, `
steps:
  - expect: "Чем могу помочь"
  - pause: 10s
  - expect: "Вы меня слышите.*чем я могу помочь"
  - say: "Нужны летние шины"
  - expect: "^Вы сказали: Нужны летние шины$"
  - pause: 60s
  - expect: "Вы меня слышите.*чем я могу помочь"
  - say: "А зимние есть?"
  - expect: "Вы сказали: А зимние есть"
    timeout: 30s
  - hangup: true
`)
	rec := recordOf(t, tc.records)
	// One re-prompt in the 10 s, and in the minute one every timeout plus
	// the prompt's own length (about 3 s): five.
	if rec.Outcome != metrics.OutcomeCallerHangup || rec.NoInputs < 1+4 || rec.NoInputs > 1+6 {
		t.Errorf("outcome %q with %d no-inputs, want caller_hangup after 1+5 re-prompts", rec.Outcome, rec.NoInputs)
	}
	if len(rec.Turns) != 2 || rec.Turns[0].CallerText != "Нужны летние шины" || rec.Turns[1].CallerText != "А зимние есть?" {
		t.Errorf("turns = %+v", rec.Turns)
	}
	checkReprompt(t, res, cfg.NoInputTimeout)
}

// checkReprompt finds the re-prompt in what the bot said: the first
// stretch of its speech after a pause of more than half the no-input
// timeout, which must be the timeout, give or take.
func checkReprompt(t *testing.T, res *callsim.Result, noInput time.Duration) {
	t.Helper()
	for i := 1; i < len(res.BotSpeech); i++ {
		gap := res.BotSpeech[i].Start - res.BotSpeech[i-1].End
		if gap < noInput/2 {
			continue
		}
		t.Logf("re-prompt %v after the bot's turn ended (CALL_NO_INPUT_TIMEOUT %v); bot frames at most %v apart",
			gap.Round(time.Millisecond), noInput, res.Pacing.MaxGap)
		if gap < noInput-100*time.Millisecond || gap > noInput+700*time.Millisecond {
			t.Errorf("re-prompt %v after the bot's turn, want %v", gap, noInput)
		}
		return
	}
	t.Errorf("no re-prompt in the bot's speech %v", res.BotSpeech)
}

// TestEndpointWithoutFrames: on a line with silence suppression the
// caller's frames stop the moment they stop talking. The turn must end
// CALL_ENDPOINT_SILENCE later by the clock, not when the next frame comes
// (which, on such a line, is the caller's next word). Before, the turn
// never ended: the bot waited in silence until the line timed out.
func TestEndpointWithoutFrames(t *testing.T) {
	tc := startCallWithDeadPeer(t, nil, 0) // the production dead-peer limit
	addr, records := tc.addr, tc.records
	cfg := defaultCallConfig(t)
	res := playOn(t, addr, `
line: {dtx: true}
steps:
  - expect: "Чем могу помочь"
  - say: "Нужны летние шины"
  - expect: "^Вы сказали: Нужны летние шины$"
    timeout: 4s
  - say: "А зимние есть?"
  - expect: "^Вы сказали: А зимние есть\\?$"
    timeout: 4s
  - hangup: true
`)
	if len(res.Turns) != 2 {
		t.Fatalf("answered turns = %+v, want 2", res.Turns)
	}
	for _, turn := range res.Turns {
		// From the end of speech: the endpointing silence, then the echo
		// responder's answer, which takes a few milliseconds. The
		// simulator counts from the end of its last frame, the processor
		// from that frame's arrival: a frame apart.
		t.Logf("%q answered %v after the caller's frames stopped", turn.Caller, turn.Latency.Round(time.Millisecond))
		if turn.Latency < cfg.EndpointSilence-50*time.Millisecond || turn.Latency > cfg.EndpointSilence+700*time.Millisecond {
			t.Errorf("%q answered %v after the caller's last frame, want about CALL_ENDPOINT_SILENCE %v", turn.Caller, turn.Latency, cfg.EndpointSilence)
		}
	}
	rec := recordOf(t, records)
	if len(rec.Turns) != 2 || rec.NoInputs != 0 {
		t.Errorf("turns %+v, no-inputs %d; want 2 turns, no re-prompt", rec.Turns, rec.NoInputs)
	}
}
