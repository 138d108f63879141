package call_test

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tirevoice/assistant/internal/audio"
	"github.com/tirevoice/assistant/internal/audiosocket"
	"github.com/tirevoice/assistant/internal/call"
	"github.com/tirevoice/assistant/internal/live"
	"github.com/tirevoice/assistant/internal/metrics"
)

// TestCheckpointsThenFinalRecord: while a call runs its record is
// checkpointed (at the start, then after turns), each checkpoint saying
// what the record would be if the process died then; the final record
// comes after the last checkpoint and belongs to the same call.
func TestCheckpointsThenFinalRecord(t *testing.T) {
	var (
		mu          sync.Mutex
		checkpoints []*call.Record
		order       []string
	)
	tc := startCall(t, func(d *call.Deps) {
		d.Instance = "proc-1"
		d.Checkpoint = func(rec *call.Record) {
			mu.Lock()
			defer mu.Unlock()
			checkpoints = append(checkpoints, rec)
			order = append(order, "checkpoint")
		}
		recorder := d.Recorder
		d.Recorder = func(ctx context.Context, rec *call.Record) {
			mu.Lock()
			order = append(order, "final")
			mu.Unlock()
			recorder(ctx, rec)
		}
	})
	tc.play(t, `
steps:
  - expect: "Чем могу помочь"
  - say: "Нужны летние шины"
  - expect: "^Вы сказали: Нужны летние шины$"
  - say: "А зимние есть"
  - expect: "^Вы сказали: А зимние есть$"
  - say: "До свидания"
  - expect: "До свидания"
  - expect_hangup: true
`)
	final := tc.record(t)
	mu.Lock()
	defer mu.Unlock()
	if len(order) < 3 || order[len(order)-1] != "final" {
		t.Fatalf("checkpoints and final record in the order %v; want checkpoints, then the final record last", order)
	}
	if n := len(checkpoints[0].Turns); n != 0 {
		t.Errorf("the first checkpoint has %d turns, want the call's start with none", n)
	}
	turns := 0
	for i, cp := range checkpoints {
		if cp.Outcome != metrics.OutcomeInterrupted || cp.Reason == "" || cp.Disposition != call.DispositionHangup {
			t.Errorf("checkpoint %d: outcome %q, reason %q, disposition %q", i, cp.Outcome, cp.Reason, cp.Disposition)
		}
		if cp.Key() != final.Key() || cp.Instance != "proc-1" {
			t.Errorf("checkpoint %d is of call %q, the final record of %q", i, cp.Key(), final.Key())
		}
		if len(cp.Turns) < turns {
			t.Errorf("checkpoint %d has %d turns, an earlier one had %d", i, len(cp.Turns), turns)
		}
		turns = len(cp.Turns)
		for j, tn := range cp.Turns {
			if tn.CallerText != final.Turns[j].CallerText {
				t.Errorf("checkpoint %d, turn %d: caller said %q, the final record says %q", i, j, tn.CallerText, final.Turns[j].CallerText)
			}
		}
		if cp.Ended.Before(cp.Started) || cp.Ended.After(final.Ended) {
			t.Errorf("checkpoint %d ends at %v: the call ran from %v to %v", i, cp.Ended, cp.Started, final.Ended)
		}
	}
	if turns == 0 {
		t.Error("no checkpoint after a turn")
	}
	if final.Outcome != metrics.OutcomeCompleted || final.Instance != "proc-1" {
		t.Errorf("final record: outcome %q, instance %q", final.Outcome, final.Instance)
	}
}

// dialWith connects call id and sends one frame of silence, so the server
// learns the caller's rate.
func dialWith(t *testing.T, addr string, id uuid.UUID) *audiosocket.Client {
	t.Helper()
	c, err := audiosocket.Dial(context.Background(), addr, id)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.SendAudio(audio.Rate8k, make(audio.PCM16, audio.Rate8k.FrameSamples())); err != nil {
		t.Fatal(err)
	}
	return c
}

// greeted reads c until the bot is audible (true) or the server ends the
// call without a word (false).
func greeted(t *testing.T, c *audiosocket.Client) bool {
	t.Helper()
	c.NetConn().SetReadDeadline(time.Now().Add(10 * time.Second))
	defer c.NetConn().SetReadDeadline(time.Time{})
	for {
		f, err := c.ReadFrame()
		switch {
		case errors.Is(err, io.EOF):
			return false
		case err != nil:
			t.Fatalf("reading the call: %v", err)
		case f.Kind == audiosocket.KindHangup:
			return false
		case f.Kind.IsAudio() && audio.Energy(audio.AppendFromS16LE(nil, f.Payload)) > 1e4:
			return true
		}
	}
}

// TestSecondConnectionWithALiveUUIDIsRefused: a second connection with the
// UUID of a call in progress is hung up without a word and counted; the
// call in progress goes on and leaves the only record.
func TestSecondConnectionWithALiveUUIDIsRefused(t *testing.T) {
	tc := startCall(t, nil)
	id := uuid.New()
	first := dialWith(t, tc.addr, id)
	if !greeted(t, first) {
		t.Fatal("the first call was not greeted")
	}
	second := dialWith(t, tc.addr, id)
	if greeted(t, second) {
		t.Fatal("a second connection with the UUID of a live call was greeted")
	}
	if n := testutil.ToFloat64(tc.metrics.ProtocolErrors.WithLabelValues("duplicate_uuid")); n != 1 {
		t.Errorf(`protocol_errors_total{reason="duplicate_uuid"} = %v, want 1`, n)
	}
	// The first call still runs: it hears the rest of its greeting.
	if err := first.SendAudio(audio.Rate8k, make(audio.PCM16, audio.Rate8k.FrameSamples())); err != nil {
		t.Fatal(err)
	}
	first.Close()
	if rec := tc.record(t); rec.ID != id.String() || rec.Outcome != metrics.OutcomeCallerHangup {
		t.Errorf("record of call %s, outcome %q; want the first call's, caller_hangup", rec.ID, rec.Outcome)
	}
	total := 0.0
	for _, o := range []string{metrics.OutcomeCompleted, metrics.OutcomeOperator, metrics.OutcomeCallerHangup,
		metrics.OutcomeNoInput, metrics.OutcomeMaxDuration, metrics.OutcomeShutdown, metrics.OutcomeError} {
		total += testutil.ToFloat64(tc.metrics.Calls.WithLabelValues(o))
	}
	if total != 1 {
		t.Errorf("%v calls counted, want the first one only", total)
	}
	// Once the first call is over, its UUID may be used again.
	again := dialWith(t, tc.addr, id)
	if !greeted(t, again) {
		t.Error("a call with the UUID of a finished call was refused")
	}
	again.Close()
	tc.record(t)
}

// TestConnectionWithAUUIDLiveElsewhere: with a shared live store, a call
// whose UUID another instance holds live is refused; a session that
// instance stopped renewing long ago (it died) does not count.
func TestConnectionWithAUUIDLiveElsewhere(t *testing.T) {
	store := live.NewMemory(live.MemoryOptions{TTLs: live.TTLs{Session: time.Hour}})
	tc := startCall(t, func(d *call.Deps) {
		d.Live, d.Instance = store, "proc-1"
	})
	ctx := context.Background()
	held, ghost := uuid.New(), uuid.New()
	now := time.Now()
	for _, s := range []live.Session{
		{ID: held.String(), Instance: "proc-2", State: live.StateListening, Started: now.Add(-time.Minute), LastActivity: now},
		{ID: ghost.String(), Instance: "proc-3", State: live.StateListening, Started: now.Add(-time.Hour), LastActivity: now.Add(-10 * time.Minute)},
	} {
		if err := store.Update(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	if greeted(t, dialWith(t, tc.addr, held)) {
		t.Error("a call live on another instance was taken again")
	}
	if n := testutil.ToFloat64(tc.metrics.ProtocolErrors.WithLabelValues("duplicate_uuid")); n != 1 {
		t.Errorf(`protocol_errors_total{reason="duplicate_uuid"} = %v, want 1`, n)
	}
	c := dialWith(t, tc.addr, ghost)
	if !greeted(t, c) {
		t.Error("a call was refused for the stale session of a dead instance")
	}
	c.Close()
	tc.record(t)
}
