package live

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tirevoice/assistant/internal/logtest"
	"github.com/tirevoice/assistant/internal/redistest"
)

func TestFallbackHealthy(t *testing.T) {
	testStore(t, func(t *testing.T) Store {
		c, prefix := redistest.New(t)
		return NewFallback(NewRedis(c, RedisOptions{Prefix: prefix}), NewMemory(MemoryOptions{}), nil, nil)
	})
}

// TestFallbackOutage cuts Redis off under a Fallback, as an instance of
// the processor would see it, and brings it back.
func TestFallbackOutage(t *testing.T) {
	ctx := context.Background()
	c, prefix := redistest.New(t)
	p := redistest.Proxy(t)
	primary := NewRedis(redistest.Through(t, p.Addr()), RedisOptions{Prefix: prefix})
	other := NewRedis(c, RedisOptions{Prefix: prefix}) // another instance, always connected
	logs := &logtest.Buffer{}
	var errs atomic.Int64
	f := NewFallback(primary, NewMemory(MemoryOptions{}),
		slog.New(slog.NewTextHandler(logs, nil)), func() { errs.Add(1) })

	if err := f.Update(ctx, session("before", 0)); err != nil {
		t.Fatal(err)
	}
	if !f.Healthy() || errs.Load() != 0 {
		t.Fatalf("healthy %v, errors %d before the outage", f.Healthy(), errs.Load())
	}

	p.Cut()
	// Writes and reads carry on from memory.
	if err := f.Register(ctx, Registration{ID: "during", Caller: "+7916"}); err != nil {
		t.Errorf("Register during the outage: %v", err)
	}
	if err := f.Update(ctx, session("during", time.Second)); err != nil {
		t.Errorf("Update during the outage: %v", err)
	}
	if r, err := f.Registration(ctx, "during"); err != nil || r.Caller != "+7916" {
		t.Errorf("Registration during the outage: %+v, %v", r, err)
	}
	if got, err := f.Sessions(ctx); err != nil || sessionIDs(got) != "before during" {
		t.Errorf("Sessions during the outage = %q, %v; want %q", sessionIDs(got), err, "before during")
	}
	if err := f.End(ctx, "before", Next{Action: ActionOperator, Reason: "caller pressed 0"}); err != nil {
		t.Errorf("End during the outage: %v", err)
	}
	if n, err := f.Next(ctx, "before"); err != nil || n.Action != ActionOperator {
		t.Errorf("Next during the outage: %+v, %v", n, err)
	}
	if _, err := f.Session(ctx, "before"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Session of a call ended during the outage: err = %v, want ErrNotFound", err)
	}
	if _, err := f.Next(ctx, "unknown"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Next of an unknown call during the outage: err = %v, want ErrNotFound", err)
	}
	if f.Healthy() {
		t.Error("Healthy during the outage")
	}
	// Seven operations asked Redis; Session of a call this instance ended
	// did not need to.
	if n := errs.Load(); n != 7 {
		t.Errorf("onError called %d times for 7 failed operations", n)
	}
	if n := strings.Count(logs.String(), "level=WARN "); n != 1 {
		t.Errorf("%d warnings for one outage, want 1:\n%s", n, logs.String())
	}
	if err := f.Ping(ctx); err == nil {
		t.Error("Ping succeeds during the outage")
	}

	p.Restore()
	// What was written during the outage is known locally: the local
	// answer wins over the primary's "not found".
	if n, err := f.Next(ctx, "before"); err != nil || n.Action != ActionOperator {
		t.Errorf("Next after the outage: %+v, %v", n, err)
	}
	if !f.Healthy() {
		t.Error("not healthy after a successful operation")
	}
	if n := strings.Count(logs.String(), "level=INFO "); n != 1 {
		t.Errorf("%d lines for the recovery, want 1:\n%s", n, logs.String())
	}
	if r, err := f.Registration(ctx, "during"); err != nil || r.Caller != "+7916" {
		t.Errorf("Registration after the outage: %+v, %v", r, err)
	}
	// Redis missed the End of "before" and the start of "during": this
	// instance knows better.
	if got, err := f.Sessions(ctx); err != nil || sessionIDs(got) != "during" {
		t.Errorf("Sessions after the outage = %q, %v; want %q", sessionIDs(got), err, "during")
	}
	if _, err := f.Session(ctx, "before"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Session of a call ended during the outage: err = %v, want ErrNotFound", err)
	}
	if got, err := other.Sessions(ctx); err != nil || sessionIDs(got) != "before" {
		t.Errorf("another instance sees %q, %v; want the stale %q", sessionIDs(got), err, "before")
	}
	// The next update of a call reaches Redis again.
	if err := f.Update(ctx, session("during", time.Second)); err != nil {
		t.Fatal(err)
	}
	if got, err := other.Sessions(ctx); err != nil || sessionIDs(got) != "before during" {
		t.Errorf("another instance sees %q, %v after the update", sessionIDs(got), err)
	}
	if n := errs.Load(); n != 8 {
		t.Errorf("onError called %d times, want 8 (7 operations and a Ping)", n)
	}
	if n := strings.Count(logs.String(), "level=WARN "); n != 1 {
		t.Errorf("%d warnings, want 1:\n%s", n, logs.String())
	}
}

// TestFallbackCancelled: a caller that gives up says nothing about Redis.
func TestFallbackCancelled(t *testing.T) {
	c, prefix := redistest.New(t)
	var errs atomic.Int64
	f := NewFallback(NewRedis(c, RedisOptions{Prefix: prefix}), NewMemory(MemoryOptions{}), nil, func() { errs.Add(1) })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := f.Update(ctx, session("c", 0)); err != nil {
		t.Errorf("Update: %v", err)
	}
	if s, err := f.Session(ctx, "c"); err != nil || s.ID != "c" {
		t.Errorf("Session from memory: %+v, %v", s, err)
	}
	if !f.Healthy() || errs.Load() != 0 {
		t.Errorf("healthy %v, errors %d after cancelled requests", f.Healthy(), errs.Load())
	}
}

// TestFallbackPrimaryWins: a session the primary has is the primary's,
// and a session only memory knows (updated during an outage) is added.
func TestFallbackPrimaryWins(t *testing.T) {
	ctx := context.Background()
	local := NewMemory(MemoryOptions{})
	primary := NewMemory(MemoryOptions{})
	f := NewFallback(primary, local, nil, nil)
	old := session("a", time.Second)
	local.Update(ctx, old)
	local.Update(ctx, session("local-only", 2*time.Second))
	fresh := old
	fresh.State = StateSpeaking
	primary.Update(ctx, fresh)
	primary.Update(ctx, session("primary-only", 0))
	got, err := f.Sessions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ids := sessionIDs(got); ids != "primary-only a local-only" {
		t.Errorf("Sessions = %q", ids)
	}
	if s, _ := f.Session(ctx, "a"); s.State != StateSpeaking {
		t.Errorf("Session state %q, want the primary's", s.State)
	}
}

// TestFallbackConcurrent gives the race detector calls on many goroutines.
func TestFallbackConcurrent(t *testing.T) {
	ctx := context.Background()
	c, prefix := redistest.New(t)
	f := NewFallback(NewRedis(c, RedisOptions{Prefix: prefix}), NewMemory(MemoryOptions{}), nil, nil)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			id := string(rune('a' + i))
			f.Register(ctx, Registration{ID: id})
			for turn := range 5 {
				s := session(id, time.Duration(i)*time.Second)
				s.Turn = turn
				f.Update(ctx, s)
				f.Sessions(ctx)
			}
			f.End(ctx, id, Next{Action: ActionHangup})
		})
	}
	wg.Wait()
	if got, err := f.Sessions(ctx); err != nil || len(got) != 0 {
		t.Errorf("Sessions after every call ended = %q, %v", sessionIDs(got), err)
	}
	if !f.Healthy() {
		t.Error("not healthy")
	}
}
