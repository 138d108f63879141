package spool_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tirevoice/assistant/internal/call"
	"github.com/tirevoice/assistant/internal/memstore"
	"github.com/tirevoice/assistant/internal/spool"
)

// Personal data every test record carries; no log line may show it.
const (
	callerNumber = "+79161234567"
	callerSaid   = "мой номер заказа 4815162342"
)

// record returns a finished call with id; outcome tells versions apart.
func record(id, outcome string) *call.Record {
	t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	return &call.Record{
		ID: id, Caller: callerNumber, Called: "+74950000000", Rate: 8000,
		Started: t0, Ended: t0.Add(time.Minute), Outcome: outcome,
		Turns: []call.Turn{{N: 1, CallerText: callerSaid, BotText: []string{"Сейчас проверю."},
			Tools: []call.ToolCall{{Name: "order_status", Args: `{"order":"4815162342"}`, Duration: time.Millisecond}}}},
	}
}

var (
	errDown    = errors.New("test sink: database down")
	errInvalid = errors.New("test sink: invalid record")
	errStuck   = errors.New("test sink: statement timeout")
)

// sink is a real call.Store (memstore) behind a switch: while it is down,
// every save fails with errDown. It refuses the calls in refuse for good,
// fails those in stuck (a transient error, as if the database choked on
// them), counts attempts and saves per call, and can hold saves at a gate.
type sink struct {
	store *memstore.Calls

	mu          sync.Mutex
	up          bool
	refuse      map[string]bool // call ids refused with a Permanent error
	stuck       map[string]bool // call ids that fail with errStuck even while up
	attempts    int
	downAttempt int
	saves       map[string]int // successful saves per call id
	order       []string       // call ids in the order saved
	saved       []*call.Record // the records saved, in order
	busy        int            // saves under way
	maxBusy     int
	gate        chan struct{} // when set, each save waits for it to close
	entered     chan struct{} // when set, closed by the next save to start
}

var _ spool.Sink = (*sink)(nil)

func newSink(up bool) *sink {
	return &sink{store: memstore.NewCalls(100000), up: up, refuse: map[string]bool{}, stuck: map[string]bool{}, saves: map[string]int{}}
}

func (k *sink) SaveCall(ctx context.Context, rec *call.Record) error {
	k.mu.Lock()
	k.attempts++
	k.busy++
	k.maxBusy = max(k.maxBusy, k.busy)
	gate, entered := k.gate, k.entered
	k.entered = nil
	k.mu.Unlock()
	defer func() {
		k.mu.Lock()
		k.busy--
		k.mu.Unlock()
	}()
	if entered != nil {
		close(entered)
	}
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}

	k.mu.Lock()
	defer k.mu.Unlock()
	switch {
	case !k.up:
		k.downAttempt++
		if k.downAttempt > 1000 {
			// Hammered: answer slowly, so that a hot retry loop fails the
			// test's bounds instead of spinning a synctest bubble forever.
			k.mu.Unlock()
			<-ctx.Done()
			k.mu.Lock()
		}
		return errDown
	case k.stuck[rec.ID]:
		return errStuck
	case k.refuse[rec.ID]:
		return spool.Permanent(fmt.Errorf("%w: call %s", errInvalid, rec.ID))
	}
	if err := k.store.SaveCall(ctx, rec); err != nil {
		return err
	}
	k.saves[rec.ID]++
	k.order = append(k.order, rec.ID)
	k.saved = append(k.saved, rec)
	return nil
}

func (k *sink) setUp(up bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.up = up
}

func (k *sink) attemptCount() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.attempts
}

func (k *sink) setStuck(id string, stuck bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.stuck[id] = stuck
}

func (k *sink) mostAtOnce() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.maxBusy
}

// savedOnce fails t unless exactly the calls ids were saved, each once.
func (k *sink) savedOnce(t *testing.T, ids ...string) {
	t.Helper()
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, id := range ids {
		if n := k.saves[id]; n != 1 {
			t.Errorf("call %s saved %d times, want once", id, n)
		}
	}
	if len(k.saves) != len(ids) {
		t.Errorf("saved %d calls, want %d", len(k.saves), len(ids))
	}
}

// savedRecords returns the records saved, in order.
func (k *sink) savedRecords() []*call.Record {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.saved)
}

// savedOrder returns the call ids in the order saved.
func (k *sink) savedOrder() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.order)
}

// logs keeps what the spool logs and copies it to the test's output.
type logs struct {
	mu  sync.Mutex
	b   strings.Builder
	out io.Writer
}

func (l *logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.Write(p)
	return l.out.Write(p)
}

func (l *logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// env is a spool directory with a sink, a log and metrics.
type env struct {
	dir     string
	sink    *sink
	logs    *logs
	waiting prometheus.Gauge
	written prometheus.Counter
	failed  prometheus.Counter
}

func newEnv(t *testing.T, up bool) *env {
	return &env{
		dir:     filepath.Join(t.TempDir(), "spool"), // Open creates it
		sink:    newSink(up),
		logs:    &logs{out: t.Output()},
		waiting: prometheus.NewGauge(prometheus.GaugeOpts{Name: "waiting"}),
		written: prometheus.NewCounter(prometheus.CounterOpts{Name: "written"}),
		failed:  prometheus.NewCounter(prometheus.CounterOpts{Name: "failed"}),
	}
}

// restarted is the process that starts after e's died: a sink that is
// up, a log and metrics of its own, over e's spool directory.
func (e *env) restarted(t *testing.T) *env {
	next := newEnv(t, true)
	next.dir = e.dir
	return next
}

// open opens the spool of e; cfg gives the bounds, and retries are fast
// unless cfg sets them.
func (e *env) open(t *testing.T, cfg spool.Config) *spool.Spool {
	t.Helper()
	cfg.Dir = e.dir
	cfg.Logger = slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg.Waiting, cfg.Written, cfg.Failed = e.waiting, e.written, e.failed
	if cfg.RetryMin == 0 {
		cfg.RetryMin, cfg.RetryMax = time.Millisecond, 10*time.Millisecond
	}
	s, err := spool.Open(cfg, e.sink)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// metrics returns the waiting, written and failed figures.
func (e *env) metrics() (waiting, written, failed int) {
	return int(testutil.ToFloat64(e.waiting)), int(testutil.ToFloat64(e.written)), int(testutil.ToFloat64(e.failed))
}

// wantMetrics fails t unless the metrics have these values.
func (e *env) wantMetrics(t *testing.T, waiting, written, failed int) {
	t.Helper()
	w, wr, f := e.metrics()
	if w != waiting || wr != written || f != failed {
		t.Errorf("metrics waiting=%d written=%d failed=%d, want %d %d %d", w, wr, f, waiting, written, failed)
	}
}

// records returns the names of the record files waiting in e.dir, sorted.
func (e *env) records(t *testing.T) []string {
	t.Helper()
	return names(t, e.dir, func(n string) bool { return strings.HasSuffix(n, ".json") && !strings.HasPrefix(n, ".") })
}

// failedFiles returns the names in e.dir/failed, sorted.
func (e *env) failedFiles(t *testing.T) []string {
	t.Helper()
	return names(t, filepath.Join(e.dir, "failed"), func(string) bool { return true })
}

func names(t *testing.T, dir string, keep func(string) bool) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var ns []string
	for _, de := range des {
		if de.Type().IsRegular() && keep(de.Name()) {
			ns = append(ns, de.Name())
		}
	}
	return ns
}

// put puts records for ids, failing t on an error.
func put(t *testing.T, s *spool.Spool, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if err := s.Put(record(id, "completed")); err != nil {
			t.Fatalf("Put %s: %v", id, err)
		}
	}
}

// start runs s.Run until the returned stop is called (or the test ends);
// stop returns once Run has returned.
func start(t *testing.T, s *spool.Spool) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Run(ctx)
	}()
	stop = func() {
		cancel()
		<-done
	}
	t.Cleanup(stop)
	return stop
}

// waitFor polls cond until it holds, failing t after a generous deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// writtenAtLeast reports whether the written counter has reached n.
func (e *env) writtenAtLeast(n int) func() bool {
	return func() bool {
		_, w, _ := e.metrics()
		return w >= n
	}
}
