package limits

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/tirevoice/assistant/internal/logtest"
	"github.com/tirevoice/assistant/internal/redistest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// instances returns n Redis limiters with separate clients on one prefix,
// as n processor instances would have, and a client to look at the keys.
func instances(t *testing.T, n int, cfg Config, now func() time.Time) ([]*Redis, *redis.Client, string) {
	t.Helper()
	c, prefix := redistest.New(t)
	out := []*Redis{}
	for range n {
		ci, _ := redistest.New(t)
		out = append(out, NewRedis(ci, cfg, prefix, now))
	}
	return out, c, prefix
}

// wantLimit checks that err is nil (limit "") or an *Exceeded of limit
// ending at until.
func wantLimit(t *testing.T, what string, err error, limit Limit, until string) {
	t.Helper()
	if limit == "" {
		if err != nil {
			t.Errorf("%s: %v, want allowed", what, err)
		}
		return
	}
	var ex *Exceeded
	if !errors.As(err, &ex) || !errors.Is(err, ErrLimited) {
		t.Errorf("%s: err = %v, want an *Exceeded", what, err)
		return
	}
	if ex.Limit != limit || !ex.Until.Equal(at(until)) {
		t.Errorf("%s: %s until %s, want %s until %s", what, ex.Limit, ex.Until, limit, until)
	}
}

func TestRedisRequestsShared(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: at("2026-03-01T10:00:05Z")}
	l, c, prefix := instances(t, 2, Config{RequestsPerMinute: 3}, clk.now)
	a, b := l[0], l[1]

	wantLimit(t, "A 1", a.Allow(ctx), "", "")
	wantLimit(t, "A 2", a.Allow(ctx), "", "")
	clk.set(at("2026-03-01T10:00:59Z"))
	wantLimit(t, "B 1", b.Allow(ctx), "", "")
	for range 3 {
		wantLimit(t, "A 4th", a.Allow(ctx), LimitRequestsPerMinute, "2026-03-01T10:01:00Z")
		wantLimit(t, "B 4th", b.Allow(ctx), LimitRequestsPerMinute, "2026-03-01T10:01:00Z")
	}
	// Refused requests were not counted.
	key := prefix + "llm:rpm:" + strconv.FormatInt(at("2026-03-01T10:00:00Z").Unix()/60, 10)
	if n, err := c.Get(ctx, key).Int(); err != nil || n != 3 {
		t.Errorf("%s = %d, %v; want 3", key, n, err)
	}
	if ttl := c.TTL(ctx, key).Val(); ttl <= 0 || ttl > minuteKeyTTL {
		t.Errorf("TTL of %s = %v, want at most %v", key, ttl, minuteKeyTTL)
	}

	clk.set(at("2026-03-01T10:01:00Z")) // a new minute
	wantLimit(t, "B next minute", b.Allow(ctx), "", "")
	wantLimit(t, "A next minute", a.Allow(ctx), "", "")
	wantLimit(t, "A next minute", a.Allow(ctx), "", "")
	wantLimit(t, "B next minute, 4th", b.Allow(ctx), LimitRequestsPerMinute, "2026-03-01T10:02:00Z")
}

func TestRedisTokensShared(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: at("2026-03-01T09:00:00Z")}
	l, c, prefix := instances(t, 2, Config{RequestsPerMinute: 100, TokensPerDay: 1000}, clk.now)
	a, b := l[0], l[1]

	wantLimit(t, "A", a.Allow(ctx), "", "")
	if err := a.Used(ctx, 600); err != nil {
		t.Fatal(err)
	}
	wantLimit(t, "B at 600 tokens", b.Allow(ctx), "", "")
	if err := b.Used(ctx, 400); err != nil {
		t.Fatal(err)
	}
	clk.set(at("2026-03-01T23:59:59Z"))
	for range 3 {
		wantLimit(t, "A at 1000 tokens", a.Allow(ctx), LimitTokensPerDay, "2026-03-02T00:00:00Z")
		wantLimit(t, "B at 1000 tokens", b.Allow(ctx), LimitTokensPerDay, "2026-03-02T00:00:00Z")
	}
	// A request allowed before may still spend.
	if err := a.Used(ctx, 50); err != nil {
		t.Fatal(err)
	}
	key := prefix + "llm:tpd:2026-03-01"
	if n, err := c.Get(ctx, key).Int(); err != nil || n != 1050 {
		t.Errorf("%s = %d, %v; want 1050", key, n, err)
	}
	if ttl := c.TTL(ctx, key).Val(); ttl <= dayKeyTTL-time.Minute || ttl > dayKeyTTL {
		t.Errorf("TTL of %s = %v, want %v", key, ttl, dayKeyTTL)
	}
	// Refused for tokens, the requests were not counted in their minute.
	if n := c.Exists(ctx, prefix+"llm:rpm:"+strconv.FormatInt(clk.now().Unix()/60, 10)).Val(); n != 0 {
		t.Errorf("a minute of refused requests has a counter")
	}

	// 02:00 in Moscow is still the 1st in UTC; 03:00 is the 2nd.
	clk.set(at("2026-03-02T02:00:00+03:00"))
	wantLimit(t, "B, Moscow 02:00", b.Allow(ctx), LimitTokensPerDay, "2026-03-02T00:00:00Z")
	clk.set(at("2026-03-02T03:00:00+03:00"))
	wantLimit(t, "B, next UTC day", b.Allow(ctx), "", "")
	wantLimit(t, "A, next UTC day", a.Allow(ctx), "", "")
}

func TestRedisUnlimited(t *testing.T) {
	ctx := context.Background()
	l, c, prefix := instances(t, 1, Config{}, nil)
	for range 10 {
		wantLimit(t, "unlimited", l[0].Allow(ctx), "", "")
	}
	if err := l[0].Used(ctx, 1<<30); err != nil {
		t.Fatal(err)
	}
	if keys := c.Keys(ctx, prefix+"*").Val(); len(keys) != 0 {
		t.Errorf("an unlimited limiter wrote %v", keys)
	}
}

func TestRedisDown(t *testing.T) {
	ctx := context.Background()
	_, prefix := redistest.New(t)
	p := redistest.Proxy(t)
	l := NewRedis(redistest.Through(t, p.Addr()), Config{RequestsPerMinute: 1, TokensPerDay: 1}, prefix, nil)
	p.Cut()
	if err := l.Allow(ctx); err == nil || errors.Is(err, ErrLimited) {
		t.Errorf("Allow with Redis cut off: err = %v, want a failure", err)
	}
	if err := l.Used(ctx, 1); err == nil {
		t.Error("Used with Redis cut off succeeds")
	}
}

// fakeLimiter is a Limiter with function fields.
type fakeLimiter struct {
	AllowFn func(context.Context) error
	UsedFn  func(context.Context, int) error
}

func (f fakeLimiter) Allow(ctx context.Context) error       { return f.AllowFn(ctx) }
func (f fakeLimiter) Used(ctx context.Context, n int) error { return f.UsedFn(ctx, n) }

func TestSharedOutage(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: at("2026-03-01T10:00:00Z")}
	cfg := Config{RequestsPerMinute: 2, TokensPerDay: 1000}
	_, prefix := redistest.New(t)
	p := redistest.Proxy(t)
	primary := NewRedis(redistest.Through(t, p.Addr()), cfg, prefix, clk.now)
	logs := &logtest.Buffer{}
	var errs atomic.Int64
	s := NewShared(primary, NewLocal(cfg, clk.now), slog.New(slog.NewTextHandler(logs, nil)), func() { errs.Add(1) })

	wantLimit(t, "1st, shared", s.Allow(ctx), "", "")
	wantLimit(t, "2nd, shared", s.Allow(ctx), "", "")
	wantLimit(t, "3rd, shared", s.Allow(ctx), LimitRequestsPerMinute, "2026-03-01T10:01:00Z")
	if !s.Healthy() || errs.Load() != 0 {
		t.Fatalf("a reached limit is not a failure: healthy %v, errors %d", s.Healthy(), errs.Load())
	}

	p.Cut()
	// The local counts start from nothing: two more this minute.
	wantLimit(t, "1st, local", s.Allow(ctx), "", "")
	wantLimit(t, "2nd, local", s.Allow(ctx), "", "")
	wantLimit(t, "3rd, local", s.Allow(ctx), LimitRequestsPerMinute, "2026-03-01T10:01:00Z")
	if err := s.Used(ctx, 1000); err != nil {
		t.Errorf("Used with Redis down: %v", err)
	}
	clk.set(at("2026-03-01T10:05:00Z"))
	wantLimit(t, "local tokens", s.Allow(ctx), LimitTokensPerDay, "2026-03-02T00:00:00Z")
	if s.Healthy() {
		t.Error("healthy with Redis down")
	}
	if n := errs.Load(); n != 5 {
		t.Errorf("onError called %d times for 5 failed requests", n)
	}
	if n := strings.Count(logs.String(), "level=WARN "); n != 1 {
		t.Errorf("%d warnings for one outage, want 1:\n%s", n, logs.String())
	}

	p.Restore()
	// Redis has not seen the local tokens: a new request is allowed.
	wantLimit(t, "shared again", s.Allow(ctx), "", "")
	if !s.Healthy() {
		t.Error("not healthy after Redis answered")
	}
	if n := strings.Count(logs.String(), "level=INFO "); n != 1 {
		t.Errorf("%d lines for the recovery, want 1:\n%s", n, logs.String())
	}
}

func TestSharedErrors(t *testing.T) {
	down := errors.New("connection refused")
	tests := []struct {
		name        string
		primary     error // of Allow; of Used too unless it is a limit
		fallback    error
		ctx         func() context.Context
		want        error // of Allow
		wantFall    bool  // the fallback was asked
		wantHealthy bool
		wantErrors  int64
	}{
		{"primary allows", nil, nil, context.Background, nil, false, true, 0},
		{"primary limited", &Exceeded{Limit: LimitRequestsPerMinute}, nil, context.Background, ErrLimited, false, true, 0},
		{"primary down", down, nil, context.Background, nil, true, false, 2},
		{"primary down, fallback limited", down, &Exceeded{Limit: LimitTokensPerDay}, context.Background, ErrLimited, true, false, 2},
		{"cancelled", context.Canceled, nil, func() context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx
		}, nil, true, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var asked bool
			var errs atomic.Int64
			primary := fakeLimiter{
				AllowFn: func(context.Context) error { return tt.primary },
				UsedFn: func(context.Context, int) error {
					if errors.Is(tt.primary, ErrLimited) {
						return nil // Used never fails for a limit
					}
					return tt.primary
				},
			}
			fallback := fakeLimiter{
				AllowFn: func(context.Context) error { asked = true; return tt.fallback },
				UsedFn:  func(context.Context, int) error { asked = true; return nil },
			}
			s := NewShared(primary, fallback, nil, func() { errs.Add(1) })
			ctx := tt.ctx()
			if err := s.Allow(ctx); !errors.Is(err, tt.want) {
				t.Errorf("Allow = %v, want %v", err, tt.want)
			}
			if err := s.Used(ctx, 10); err != nil {
				t.Errorf("Used = %v", err)
			}
			if asked != tt.wantFall || s.Healthy() != tt.wantHealthy || errs.Load() != tt.wantErrors {
				t.Errorf("fallback asked %v, healthy %v, errors %d; want %v, %v, %d",
					asked, s.Healthy(), errs.Load(), tt.wantFall, tt.wantHealthy, tt.wantErrors)
			}
		})
	}
}
