package spool_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tirevoice/assistant/internal/spool"
)

func TestSavedOnceWhenTheSinkRecovers(t *testing.T) {
	e := newEnv(t, false)
	s := e.open(t, spool.Config{})
	start(t, s)
	ids := []string{"c1", "c2", "c3", "c4", "c5"}
	put(t, s, ids...)
	waitFor(t, "a failed attempt", func() bool { return e.sink.attemptCount() >= 2 })

	if n := s.Len(); n != len(ids) {
		t.Errorf("Len = %d while the sink is down, want %d", n, len(ids))
	}
	if got := e.records(t); len(got) != len(ids) {
		t.Errorf("files while the sink is down: %v", got)
	}
	e.wantMetrics(t, len(ids), 0, 0)

	e.sink.setUp(true)
	waitFor(t, "every record written", e.writtenAtLeast(len(ids)))
	e.sink.savedOnce(t, ids...)
	if got := e.records(t); len(got) != 0 {
		t.Errorf("files left after writing: %v", got)
	}
	if n := s.Len(); n != 0 {
		t.Errorf("Len = %d after writing", n)
	}
	e.wantMetrics(t, 0, len(ids), 0)
	for _, id := range ids {
		if rec, err := e.sink.store.Call(context.Background(), id); err != nil || rec.Turns[0].CallerText != callerSaid {
			t.Errorf("call %s in the store: %+v, %v", id, rec, err)
		}
	}
}

func TestRestartSavesLeftovers(t *testing.T) {
	first := newEnv(t, false)
	s := first.open(t, spool.Config{})
	put(t, s, "a", "b", "c")
	files := first.records(t)
	for i, id := range []string{"a", "b", "c"} {
		if !strings.HasSuffix(files[i], "-"+id+".json") {
			t.Fatalf("files do not sort oldest first: %v", files)
		}
	}
	// The first process dies here: nothing was written, nothing closed.

	next := first.restarted(t)
	s = next.open(t, spool.Config{})
	if n := s.Len(); n != 3 {
		t.Fatalf("Len after restart = %d, want 3", n)
	}
	next.wantMetrics(t, 3, 0, 0)
	put(t, s, "d") // after the leftovers
	start(t, s)
	waitFor(t, "leftovers written", next.writtenAtLeast(4))
	next.sink.savedOnce(t, "a", "b", "c", "d")
	if got := next.sink.savedOrder(); !slices.Equal(got, []string{"a", "b", "c", "d"}) {
		t.Errorf("saved in order %v, want oldest first", got)
	}
	if got := next.records(t); len(got) != 0 {
		t.Errorf("files left: %v", got)
	}
}

func TestOpenCleansUp(t *testing.T) {
	e := newEnv(t, false)
	s := e.open(t, spool.Config{})
	if err := s.Put(record("a", "first")); err != nil {
		t.Fatal(err)
	}
	older := e.records(t)[0]
	data, err := os.ReadFile(filepath.Join(e.dir, older))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(record("a", "second")); err != nil {
		t.Fatal(err)
	}
	if got := e.records(t); len(got) != 1 || got[0] == older {
		t.Fatalf("files after replacing a waiting record: %v", got)
	}
	// A crash between writing the new file and removing the old one leaves
	// both; a crash inside Put leaves a temporary file.
	for name, data := range map[string][]byte{older: data, ".put-123456": data[:10]} {
		if err := os.WriteFile(filepath.Join(e.dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	e.sink.setUp(true)
	s = e.open(t, spool.Config{})
	if n := s.Len(); n != 1 {
		t.Errorf("Len = %d, want the newer record only", n)
	}
	if n, err := s.Flush(context.Background()); n != 0 || err != nil {
		t.Fatalf("Flush = %d, %v", n, err)
	}
	e.sink.savedOnce(t, "a")
	if rec, _ := e.sink.store.Call(context.Background(), "a"); rec == nil || rec.Outcome != "second" {
		t.Errorf("saved %+v, want the newer record", rec)
	}
	if got := names(t, e.dir, func(string) bool { return true }); len(got) != 0 {
		t.Errorf("files left: %v", got)
	}
	e.wantMetrics(t, 0, 1, 0)
}

func TestReplaceWhileSaving(t *testing.T) {
	e := newEnv(t, true)
	gate, entered := make(chan struct{}), make(chan struct{})
	e.sink.gate, e.sink.entered = gate, entered
	s := e.open(t, spool.Config{})
	start(t, s)
	if err := s.Put(record("a", "first")); err != nil {
		t.Fatal(err)
	}
	<-entered // the first version is being saved
	if err := s.Put(record("a", "second")); err != nil {
		t.Fatal(err)
	}
	if n := s.Len(); n != 1 {
		t.Errorf("Len = %d, want the second version waiting", n)
	}
	close(gate)
	waitFor(t, "the second version written", e.writtenAtLeast(1))
	if rec, _ := e.sink.store.Call(context.Background(), "a"); rec == nil || rec.Outcome != "second" {
		t.Errorf("stored %+v, want the second version", rec)
	}
	if got := e.records(t); len(got) != 0 {
		t.Errorf("files left: %v", got)
	}
	e.wantMetrics(t, 0, 1, 0)
}

// TestStuckRecordDoesNotBlockTheQueue: a record the sink keeps failing on
// (transiently) goes to the back of the queue, and the others are written.
func TestStuckRecordDoesNotBlockTheQueue(t *testing.T) {
	e := newEnv(t, true)
	e.sink.setStuck("stuck", true)
	s := e.open(t, spool.Config{})
	start(t, s)
	put(t, s, "stuck", "a", "b")
	waitFor(t, "a and b written", e.writtenAtLeast(2))
	if n := s.Len(); n != 1 {
		t.Errorf("Len = %d, want the stuck record still waiting", n)
	}
	e.sink.setStuck("stuck", false)
	waitFor(t, "the stuck record written", e.writtenAtLeast(3))
	e.sink.savedOnce(t, "stuck", "a", "b")
	e.wantMetrics(t, 0, 3, 0)
}

func TestFull(t *testing.T) {
	// The size of one record file, to set a byte bound in records.
	probe := newEnv(t, false)
	put(t, probe.open(t, spool.Config{}), "call-0")
	info, err := os.Stat(filepath.Join(probe.dir, probe.records(t)[0]))
	if err != nil {
		t.Fatal(err)
	}
	size := info.Size()

	for _, tc := range []struct {
		name string
		cfg  spool.Config
	}{
		{"records", spool.Config{MaxRecords: 3}},
		{"bytes", spool.Config{MaxBytes: 3*size + size/2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, false)
			s := e.open(t, tc.cfg)
			put(t, s, "call-0", "call-1", "call-2")
			err := s.Put(record("call-3", "completed"))
			if !errors.Is(err, spool.ErrFull) {
				t.Fatalf("Put past the bound = %v, want ErrFull", err)
			}
			if n := s.Len(); n != 3 {
				t.Errorf("Len = %d, want 3", n)
			}
			if got := e.records(t); len(got) != 3 {
				t.Errorf("files: %v", got)
			}
			e.wantMetrics(t, 3, 0, 1)
			log := e.logs.String()
			if !strings.Contains(log, "level=ERROR") || !strings.Contains(log, "call_id=call-3") {
				t.Errorf("the lost record is not logged at ERROR with its call id:\n%s", log)
			}
			// The same call again takes its own place: not a new record.
			if err := s.Put(record("call-1", "updated")); err != nil {
				t.Errorf("replacing a waiting record at the bound: %v", err)
			}

			e.sink.setUp(true)
			if n, err := s.Flush(context.Background()); n != 0 || err != nil {
				t.Fatalf("Flush = %d, %v", n, err)
			}
			e.sink.savedOnce(t, "call-0", "call-1", "call-2")
			if rec, _ := e.sink.store.Call(context.Background(), "call-1"); rec == nil || rec.Outcome != "updated" {
				t.Errorf("call-1 stored as %+v, want the replacement", rec)
			}
			e.wantMetrics(t, 0, 3, 1)
			noPersonalData(t, e.logs.String())
		})
	}
}

func noPersonalData(t *testing.T, log string) {
	t.Helper()
	if strings.Contains(log, callerNumber) || strings.Contains(log, callerSaid) {
		t.Errorf("the log holds the caller's number or words:\n%s", log)
	}
}

func TestPermanentErrorSetsTheRecordAside(t *testing.T) {
	e := newEnv(t, true)
	e.sink.refuse["b"] = true
	s := e.open(t, spool.Config{})
	start(t, s)
	put(t, s, "a", "b", "c")
	waitFor(t, "a and c written, b set aside", func() bool {
		_, w, f := e.metrics()
		return w == 2 && f == 1
	})
	e.sink.savedOnce(t, "a", "c")
	if got := e.records(t); len(got) != 0 {
		t.Errorf("files left: %v", got)
	}
	failed := e.failedFiles(t)
	if len(failed) != 2 || !strings.HasSuffix(failed[0], "-b.json") || failed[1] != failed[0]+".err" {
		t.Fatalf("failed/ holds %v, want b's record and its reason", failed)
	}
	why, err := os.ReadFile(filepath.Join(e.dir, "failed", failed[1]))
	if err != nil || !strings.Contains(string(why), errInvalid.Error()) {
		t.Errorf("reason file: %q, %v", why, err)
	}
	e.wantMetrics(t, 0, 2, 1)
	if !strings.Contains(e.logs.String(), "call_id=b") {
		t.Errorf("the refused record is not logged with its call id")
	}
	noPersonalData(t, e.logs.String())
}

func TestUnreadableFilesAreSetAside(t *testing.T) {
	e := newEnv(t, false)
	s := e.open(t, spool.Config{})
	put(t, s, "good", "spoilt")
	files := e.records(t)
	valid, err := os.ReadFile(filepath.Join(e.dir, files[0]))
	if err != nil {
		t.Fatal(err)
	}
	bad := map[string][]byte{
		"00000000000000000001-garbage.json":   []byte("{not json"),
		"00000000000000000002-truncated.json": valid[:len(valid)/2],
		"00000000000000000003-version.json":   []byte(`{"v":99,"record":{"ID":"x"}}`),
		"00000000000000000004-empty.json":     nil,
		"notes.json":                          valid, // not a name the spool gives
	}
	for name, data := range bad {
		if err := os.WriteFile(filepath.Join(e.dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(e.dir, "README"), []byte("left alone"), 0o600); err != nil {
		t.Fatal(err)
	}

	e.sink.setUp(true)
	s = e.open(t, spool.Config{})
	if n := s.Len(); n != 2 {
		t.Errorf("Len = %d, want the 2 good records", n)
	}
	e.wantMetrics(t, 2, 0, len(bad))
	// One goes bad while it waits: it is set aside when its turn comes.
	if err := os.WriteFile(filepath.Join(e.dir, files[1]), []byte(`{"v":1,"rec`), 0o600); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Flush(context.Background()); n != 0 || err != nil {
		t.Fatalf("Flush = %d, %v", n, err)
	}
	e.sink.savedOnce(t, "good")
	failed := e.failedFiles(t)
	for name := range bad {
		if !slices.Contains(failed, name) || !slices.Contains(failed, name+".err") {
			t.Errorf("%s and its reason not in failed/: %v", name, failed)
		}
	}
	if !slices.Contains(failed, files[1]) {
		t.Errorf("the record spoilt while waiting is not in failed/: %v", failed)
	}
	if got := names(t, e.dir, func(string) bool { return true }); !slices.Equal(got, []string{"README"}) {
		t.Errorf("Dir holds %v, want only the foreign file", got)
	}
	e.wantMetrics(t, 0, 1, len(bad)+1)
}

func TestFlush(t *testing.T) {
	t.Run("sink up", func(t *testing.T) {
		e := newEnv(t, false)
		s := e.open(t, spool.Config{})
		put(t, s, "a", "b", "c", "d", "e")
		e.sink.setUp(true)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if n, err := s.Flush(ctx); n != 0 || err != nil {
			t.Fatalf("Flush = %d, %v", n, err)
		}
		e.sink.savedOnce(t, "a", "b", "c", "d", "e")
		if got := e.records(t); len(got) != 0 {
			t.Errorf("files left: %v", got)
		}
		e.wantMetrics(t, 0, 5, 0)
	})
	t.Run("sink down", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			e := newEnv(t, false)
			s := e.open(t, spool.Config{RetryMin: 500 * time.Millisecond, RetryMax: 30 * time.Second})
			put(t, s, "a", "b", "c")
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			n, err := s.Flush(ctx)
			if n != 3 || !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, errDown) {
				t.Errorf("Flush = %d, %v; want 3 left, the deadline and the sink's error", n, err)
			}
			// 10 s of backoff from 500 ms: 0, 0.5, 1.5, 3.5, 7.5 s at most.
			if a := e.sink.attemptCount(); a < 3 || a > 6 {
				t.Errorf("%d attempts in 10 s, want 3..6", a)
			}
			if got := e.records(t); len(got) != 3 {
				t.Errorf("files kept: %v", got)
			}
			e.wantMetrics(t, 3, 0, 0)
		})
	})
	t.Run("with Run and after it", func(t *testing.T) {
		e := newEnv(t, true)
		gate, entered := make(chan struct{}), make(chan struct{})
		e.sink.gate, e.sink.entered = gate, entered
		s := e.open(t, spool.Config{})
		stop := start(t, s)
		put(t, s, "a", "b", "c", "d")
		<-entered // Run is saving a

		type flushed struct {
			n   int
			err error
		}
		done := make(chan flushed)
		go func() {
			n, err := s.Flush(context.Background())
			done <- flushed{n, err}
		}()
		close(gate)
		if f := <-done; f.n != 0 || f.err != nil {
			t.Errorf("Flush during Run = %d, %v", f.n, f.err)
		}
		stop()
		put(t, s, "e")
		if n, err := s.Flush(context.Background()); n != 0 || err != nil {
			t.Errorf("Flush after Run = %d, %v", n, err)
		}
		e.sink.savedOnce(t, "a", "b", "c", "d", "e")
		if n := e.sink.mostAtOnce(); n != 1 {
			t.Errorf("%d saves at once, want one at a time", n)
		}
		e.wantMetrics(t, 0, 5, 0)
	})
}

// TestBackoff: while the sink is down Run tries one record at a time,
// with growing pauses; new records do not cut a pause short; once the
// sink is back, everything is written within the longest pause.
func TestBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, false)
		s := e.open(t, spool.Config{RetryMin: 500 * time.Millisecond, RetryMax: 30 * time.Second})
		start(t, s)
		put(t, s, "a")
		time.Sleep(time.Minute)
		// Attempts at 0 and after 0.5, 1, 2, 4, 8, 16, 30 s, each drawn
		// from [step/2, step]: 7 to 9 in a minute.
		a := e.sink.attemptCount()
		if a < 7 || a > 9 {
			t.Errorf("%d attempts in a minute, want 7..9", a)
		}
		put(t, s, "b")
		synctest.Wait()
		if got := e.sink.attemptCount(); got != a {
			t.Errorf("Put cut the pause short: %d attempts, then %d", a, got)
		}
		e.sink.setUp(true)
		time.Sleep(30 * time.Second)
		synctest.Wait()
		e.sink.savedOnce(t, "a", "b")
		e.wantMetrics(t, 0, 2, 0)
	})
}

func TestConcurrentPuts(t *testing.T) {
	e := newEnv(t, true)
	s := e.open(t, spool.Config{})
	start(t, s)
	const writers, each = 16, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				// Every writer also replaces one shared call, over and over.
				for _, id := range []string{fmt.Sprintf("w%d-%d", w, i), "shared"} {
					if err := s.Put(record(id, "completed")); err != nil {
						errs <- err
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	waitFor(t, "every record written", func() bool { return s.Len() == 0 })
	waitFor(t, "the last file removed", func() bool { return len(e.records(t)) == 0 })

	e.sink.mu.Lock()
	defer e.sink.mu.Unlock()
	for w := range writers {
		for i := range each {
			if n := e.sink.saves[fmt.Sprintf("w%d-%d", w, i)]; n != 1 {
				t.Errorf("call w%d-%d saved %d times", w, i, n)
			}
		}
	}
	if e.sink.saves["shared"] < 1 || e.sink.maxBusy != 1 {
		t.Errorf("shared call saved %d times; %d saves at once", e.sink.saves["shared"], e.sink.maxBusy)
	}
	if w, _, f := e.metrics(); w != 0 || f != 0 {
		t.Errorf("metrics waiting=%d failed=%d", w, f)
	}
}

// TestOddCallIDs: a call id cannot name a path outside Dir, and records
// without an id are each kept (there is nothing to replace by).
func TestOddCallIDs(t *testing.T) {
	e := newEnv(t, false)
	s := e.open(t, spool.Config{})
	ids := []string{"../../escape", "a/b\\c", "", "", strings.Repeat("x", 300)}
	for _, id := range ids {
		if err := s.Put(record(id, "completed")); err != nil {
			t.Fatalf("Put %q: %v", id, err)
		}
	}
	if got := e.records(t); len(got) != len(ids) {
		t.Errorf("files in Dir: %v", got)
	}
	if got := names(t, filepath.Dir(e.dir), func(string) bool { return true }); len(got) != 0 {
		t.Errorf("files outside Dir: %v", got)
	}
	e.sink.setUp(true)
	if n, err := s.Flush(context.Background()); n != 0 || err != nil {
		t.Fatalf("Flush = %d, %v", n, err)
	}
	e.sink.mu.Lock()
	defer e.sink.mu.Unlock()
	if e.sink.saves["../../escape"] != 1 || e.sink.saves[""] != 2 || e.sink.saves[strings.Repeat("x", 300)] != 1 {
		t.Errorf("saves: %v", e.sink.saves)
	}
}

func TestOpenRefuses(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		cfg  spool.Config
		sink spool.Sink
	}{
		{"no dir", spool.Config{}, newSink(true)},
		{"dir is a file", spool.Config{Dir: file}, newSink(true)},
		{"negative bound", spool.Config{Dir: t.TempDir(), MaxRecords: -1}, newSink(true)},
		{"retry min above max", spool.Config{Dir: t.TempDir(), RetryMin: time.Minute, RetryMax: time.Second}, newSink(true)},
		{"no sink", spool.Config{Dir: t.TempDir()}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if s, err := spool.Open(tc.cfg, tc.sink); err == nil {
				t.Errorf("Open = %v, want an error", s)
			}
		})
	}
}

func TestOpenCreatesPrivateDir(t *testing.T) {
	e := newEnv(t, true)
	e.open(t, spool.Config{})
	for _, d := range []string{e.dir, filepath.Join(e.dir, "failed")} {
		info, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if perm := info.Mode().Perm(); perm != 0o700 {
			t.Errorf("%s has mode %v, want 0700", d, perm)
		}
	}
}

func TestPermanent(t *testing.T) {
	base := errors.New("bad record")
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"plain", base, false},
		{"permanent", spool.Permanent(base), true},
		{"wrapped", fmt.Errorf("save: %w", spool.Permanent(base)), true},
		{"joined", errors.Join(errDown, spool.Permanent(base)), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := spool.IsPermanent(tc.err); got != tc.want {
				t.Errorf("IsPermanent(%v) = %v", tc.err, got)
			}
		})
	}
	if spool.Permanent(nil) != nil {
		t.Error("Permanent(nil) is not nil")
	}
	if err := spool.Permanent(base); !errors.Is(err, base) || err.Error() != base.Error() {
		t.Errorf("Permanent hides its error: %v", err)
	}
}
