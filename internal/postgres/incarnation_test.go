package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/tirevoice/assistant/internal/call"
	"github.com/tirevoice/assistant/internal/postgres/pgtest"
)

// TestSaveCallSameUUIDTwoCalls: a checkpoint and the final record of one
// call replace each other; a second call that arrived with the same UUID
// (another start, or another instance) is stored beside the first under
// its derived id, and no save of either, in any order, replaces the other.
func TestSaveCallSameUUIDTwoCalls(t *testing.T) {
	t.Parallel()
	db, dsn := pgtest.Migrated(t)
	calls := db.Calls()
	ctx := context.Background()
	id := callID(1)

	first := record(id, t0)
	first.Instance = "proc-1"
	checkpoint := record(id, t0)
	checkpoint.Instance = "proc-1"
	checkpoint.Outcome, checkpoint.Turns = "interrupted", checkpoint.Turns[:1]
	// The same start, as the spool's JSON carries it: nanoseconds and
	// another zone; the database keeps microseconds.
	checkpoint.Started = t0.UTC()

	again := record(id, t0.Add(time.Hour)) // the UUID sent again an hour later
	again.Instance = "proc-1"
	again.Outcome = "completed"
	elsewhere := record(id, t0) // at the same instant, by another instance
	elsewhere.Instance = "proc-2"
	elsewhere.Outcome = "no_input"

	saves := []struct {
		name string
		save func() error
	}{
		{"checkpoint", func() error { return calls.SaveCall(ctx, checkpoint) }},
		{"final", func() error { return calls.SaveCall(ctx, first) }},
		{"the UUID again", func() error { return calls.SaveCall(ctx, again) }},
		{"the UUID again, retried", func() error { return calls.SaveCall(ctx, again) }},
		{"the UUID on another instance", func() error { return calls.SaveCall(ctx, elsewhere) }},
		{"final, retried late", func() error { return calls.SaveCall(ctx, first) }},
	}
	for _, s := range saves {
		if err := s.save(); err != nil {
			t.Fatalf("SaveCall (%s): %v", s.name, err)
		}
	}
	if n := queryInt(t, dsn, `SELECT count(*) FROM calls WHERE call_uuid = $1`, id); n != 3 {
		t.Fatalf("%d calls stored for the UUID, want 3", n)
	}
	got, err := calls.Call(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	assertSameRecord(t, got, first)

	for _, rec := range []struct {
		instance string
		started  time.Time
		outcome  string
	}{
		{"proc-1", t0.Add(time.Hour), "completed"},
		{"proc-2", t0, "no_input"},
	} {
		derived := call.DerivedID(id, rec.instance, rec.started)
		got, err := calls.Call(ctx, derived)
		if err != nil {
			t.Fatalf("the call of %s at %v under %s: %v", rec.instance, rec.started, derived, err)
		}
		if got.ID != derived || got.Instance != rec.instance || got.Outcome != rec.outcome || len(got.Turns) != 2 {
			t.Errorf("the call under %s: %s %s %s, %d turns", derived, got.ID, got.Instance, got.Outcome, len(got.Turns))
		}
	}
	if n := queryInt(t, dsn, `SELECT count(*) FROM call_turns t JOIN calls c ON c.id = t.call_id WHERE c.call_uuid = $1`, id); n != 6 {
		t.Errorf("%d turn rows for the UUID's three calls, want 6", n)
	}
}

// TestSaveCallSameUUIDAtOnce: two instances saving two calls with one UUID
// at the same moment store both: one under the UUID, one under its
// derived id.
func TestSaveCallSameUUIDAtOnce(t *testing.T) {
	t.Parallel()
	db, dsn := pgtest.Migrated(t)
	calls := db.Calls()
	for i := range 20 {
		id := callID(100 + i)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for j, instance := range []string{"proc-1", "proc-2"} {
			rec := record(id, t0)
			rec.Instance = instance
			wg.Go(func() { errs[j] = calls.SaveCall(context.Background(), rec) })
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatalf("round %d: %v", i, err)
			}
		}
		if n := queryInt(t, dsn, `SELECT count(*) FROM calls WHERE call_uuid = $1`, id); n != 2 {
			t.Fatalf("round %d: %d calls stored, want 2", i, n)
		}
	}
}
