package spool_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tirevoice/assistant/internal/call"
	"github.com/tirevoice/assistant/internal/spool"
)

// checkpoint returns the record of call id so far, after turns turns, as
// a session checkpoints it.
func checkpoint(id string, turns int) *call.Record {
	rec := record(id, "interrupted")
	rec.Instance = "proc-1"
	rec.Turns = nil
	for n := 1; n <= turns; n++ {
		rec.Turns = append(rec.Turns, call.Turn{N: n, CallerText: callerSaid})
	}
	return rec
}

// final returns the final record of the call checkpointed by checkpoint.
func final(id string) *call.Record {
	rec := checkpoint(id, 3)
	rec.Outcome = "completed"
	return rec
}

func flush(t *testing.T, s *spool.Spool) {
	t.Helper()
	if n, err := s.Flush(context.Background()); n != 0 || err != nil {
		t.Fatalf("Flush = %d, %v", n, err)
	}
}

// TestCheckpointThenFinal: a call's checkpoints are kept on disk, one file
// per call, and are not written to the sink; its final record replaces the
// checkpoint and is written once.
func TestCheckpointThenFinal(t *testing.T) {
	e := newEnv(t, true)
	s := e.open(t, spool.Config{})
	for turns := 1; turns <= 2; turns++ {
		if err := s.Checkpoint(checkpoint("c1", turns)); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.records(t); len(got) != 1 {
		t.Errorf("files after two checkpoints of one call: %v, want one", got)
	}
	if n := s.Len(); n != 0 {
		t.Errorf("Len = %d with a call in progress, want 0: a checkpoint does not wait for the sink", n)
	}
	flush(t, s)
	if n := e.sink.attemptCount(); n != 0 {
		t.Errorf("%d saves of a call in progress", n)
	}

	if err := s.Put(final("c1")); err != nil {
		t.Fatal(err)
	}
	if got := e.records(t); len(got) != 1 {
		t.Errorf("files after the final record: %v, want one", got)
	}
	// A late checkpoint of a finished call changes nothing.
	if err := s.Checkpoint(checkpoint("c1", 2)); err != nil {
		t.Fatal(err)
	}
	flush(t, s)
	e.sink.savedOnce(t, "c1")
	if got := e.sink.savedRecords(); got[0].Outcome != "completed" {
		t.Errorf("saved outcome %q, want the final record's", got[0].Outcome)
	}
	if got := e.records(t); len(got) != 0 {
		t.Errorf("files left: %v", got)
	}
	e.wantMetrics(t, 0, 1, 0)
}

// TestCheckpointSurvivesAKill: the process dies (nothing flushed, nothing
// closed) with two calls in progress and one finished; the next Open
// queues the in-progress calls' last checkpoints as their records,
// reports them as recovered, and writes all three.
func TestCheckpointSurvivesAKill(t *testing.T) {
	first := newEnv(t, false)
	s := first.open(t, spool.Config{})
	for _, c := range []struct {
		id    string
		turns int
	}{{"a", 1}, {"a", 2}, {"b", 1}, {"done", 1}} {
		if err := s.Checkpoint(checkpoint(c.id, c.turns)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Put(final("done")); err != nil {
		t.Fatal(err)
	}
	// SIGKILL here.

	next := first.restarted(t)
	s = next.open(t, spool.Config{})
	if n, r := s.Len(), s.Recovered(); n != 3 || r != 2 {
		t.Fatalf("after the restart: %d waiting, %d recovered; want 3 and 2", n, r)
	}
	next.wantMetrics(t, 3, 0, 0)
	flush(t, s)
	next.sink.savedOnce(t, "a", "b", "done")
	for _, rec := range next.sink.savedRecords() {
		want, turns := "interrupted", 1
		switch rec.ID {
		case "a":
			turns = 2
		case "done":
			want, turns = "completed", 3
		}
		if rec.Outcome != want || len(rec.Turns) != turns {
			t.Errorf("call %s written with outcome %q and %d turns, want %q and %d", rec.ID, rec.Outcome, len(rec.Turns), want, turns)
		}
	}
}

// TestKillBetweenFinalAndCheckpointRemoval: a crash after the final record
// was made durable but before the checkpoint file was removed leaves both;
// the next Open keeps the final record only.
func TestKillBetweenFinalAndCheckpointRemoval(t *testing.T) {
	first := newEnv(t, false)
	s := first.open(t, spool.Config{})
	if err := s.Checkpoint(checkpoint("c1", 2)); err != nil {
		t.Fatal(err)
	}
	cp := first.records(t)[0]
	data, err := os.ReadFile(filepath.Join(first.dir, cp))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(final("c1")); err != nil {
		t.Fatal(err)
	}
	// The removal of the checkpoint "did not survive" the crash.
	if err := os.WriteFile(filepath.Join(first.dir, cp), data, 0o600); err != nil {
		t.Fatal(err)
	}

	next := first.restarted(t)
	s = next.open(t, spool.Config{})
	if n, r := s.Len(), s.Recovered(); n != 1 || r != 0 {
		t.Fatalf("after the restart: %d waiting, %d recovered; want 1 and 0", n, r)
	}
	flush(t, s)
	next.sink.savedOnce(t, "c1")
	if got := next.sink.savedRecords(); got[0].Outcome != "completed" {
		t.Errorf("saved outcome %q, want the final record's", got[0].Outcome)
	}
}

// TestSameIDTwoCalls: two calls with one id (a UUID sent again) are two
// records: neither one's checkpoint nor its final record replaces the
// other's, here or after a restart.
func TestSameIDTwoCalls(t *testing.T) {
	first := newEnv(t, false)
	s := first.open(t, spool.Config{})
	earlier, later := final("dup"), checkpoint("dup", 1)
	later.Started = earlier.Started.Add(time.Hour)
	if err := s.Put(earlier); err != nil {
		t.Fatal(err)
	}
	if err := s.Checkpoint(later); err != nil {
		t.Fatal(err)
	}
	if got := first.records(t); len(got) != 2 {
		t.Fatalf("files: %v, want the earlier call's record and the later one's checkpoint", got)
	}

	next := first.restarted(t)
	s = next.open(t, spool.Config{})
	if n, r := s.Len(), s.Recovered(); n != 2 || r != 1 {
		t.Fatalf("after the restart: %d waiting, %d recovered; want 2 and 1", n, r)
	}
	flush(t, s)
	got := next.sink.savedRecords()
	if len(got) != 2 || got[0].Outcome != "completed" || got[1].Outcome != "interrupted" || !got[1].Started.Equal(later.Started) {
		t.Errorf("saved %d records: %+v", len(got), got)
	}
}

// TestCheckpointBounds: checkpoints count against MaxBytes, not
// MaxRecords; one over the bound is not kept, the previous one stays, and
// nothing is counted as lost.
func TestCheckpointBounds(t *testing.T) {
	e := newEnv(t, false)
	s := e.open(t, spool.Config{MaxRecords: 1, MaxBytes: 2000})
	if err := s.Checkpoint(checkpoint("a", 1)); err != nil {
		t.Fatal(err)
	}
	if err := s.Checkpoint(checkpoint("b", 1)); err != nil {
		t.Fatalf("a second call's checkpoint with MaxRecords 1: %v", err)
	}
	if err := s.Checkpoint(checkpoint("b", 20)); err == nil {
		t.Fatal("a checkpoint past MaxBytes was kept")
	}
	if got := e.records(t); len(got) != 2 {
		t.Errorf("files: %v, want the two first checkpoints", got)
	}
	e.wantMetrics(t, 0, 0, 0)
	// The final record takes its checkpoint's place in the bound.
	if err := s.Put(final("a")); err != nil {
		t.Fatalf("final record replacing its checkpoint: %v", err)
	}
	if got := e.records(t); len(got) != 2 {
		t.Errorf("files: %v, want a's record and b's checkpoint", got)
	}
}
