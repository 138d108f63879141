package limits

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// clock is a fake clock that tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestLocal(t *testing.T) {
	ctx := context.Background()
	type step struct {
		at      string // RFC 3339
		used    int    // tokens to record before asking
		want    Limit  // "" when the request is allowed
		wantEnd string // the window end of a refusal
	}
	tests := []struct {
		name  string
		cfg   Config
		steps []step
	}{
		{
			name: "unlimited",
			cfg:  Config{},
			steps: []step{
				{at: "2026-03-01T10:00:00Z", used: 1 << 30},
				{at: "2026-03-01T10:00:00Z"},
				{at: "2026-03-01T10:00:00Z"},
			},
		},
		{
			name: "requests per minute, fixed window",
			cfg:  Config{RequestsPerMinute: 2},
			steps: []step{
				{at: "2026-03-01T10:00:05Z"},
				{at: "2026-03-01T10:00:59Z"},
				{at: "2026-03-01T10:00:59Z", want: LimitRequestsPerMinute, wantEnd: "2026-03-01T10:01:00Z"},
				{at: "2026-03-01T10:00:59Z", want: LimitRequestsPerMinute, wantEnd: "2026-03-01T10:01:00Z"},
				{at: "2026-03-01T10:01:00Z"}, // a new minute; refusals were not counted
				{at: "2026-03-01T10:01:30Z"},
				{at: "2026-03-01T10:01:31Z", want: LimitRequestsPerMinute, wantEnd: "2026-03-01T10:02:00Z"},
			},
		},
		{
			name: "tokens per day, UTC",
			cfg:  Config{TokensPerDay: 1000},
			steps: []step{
				{at: "2026-03-01T00:00:00Z"},
				{at: "2026-03-01T12:00:00Z", used: 999},
				{at: "2026-03-01T23:00:00Z", used: 1, want: LimitTokensPerDay, wantEnd: "2026-03-02T00:00:00Z"},
				// 02:00 in Moscow is still the 1st in UTC.
				{at: "2026-03-02T02:00:00+03:00", want: LimitTokensPerDay, wantEnd: "2026-03-02T00:00:00Z"},
				{at: "2026-03-02T00:00:00Z"},
				{at: "2026-03-02T00:00:01Z", used: 5000, want: LimitTokensPerDay, wantEnd: "2026-03-03T00:00:00Z"},
			},
		},
		{
			name: "tokens are checked before requests",
			cfg:  Config{RequestsPerMinute: 1, TokensPerDay: 10},
			steps: []step{
				{at: "2026-03-01T10:00:00Z", used: 10, want: LimitTokensPerDay, wantEnd: "2026-03-02T00:00:00Z"},
				{at: "2026-03-02T10:00:00Z"},
				{at: "2026-03-02T10:00:00Z", want: LimitRequestsPerMinute, wantEnd: "2026-03-02T10:01:00Z"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &clock{}
			l := NewLocal(tt.cfg, c.now)
			for i, s := range tt.steps {
				c.set(at(s.at))
				if err := l.Used(ctx, s.used); err != nil {
					t.Fatalf("step %d: Used: %v", i, err)
				}
				err := l.Allow(ctx)
				if s.want == "" {
					if err != nil {
						t.Fatalf("step %d at %s: Allow = %v, want nil", i, s.at, err)
					}
					continue
				}
				var ex *Exceeded
				if !errors.Is(err, ErrLimited) || !errors.As(err, &ex) {
					t.Fatalf("step %d at %s: Allow = %v, want %s", i, s.at, err, s.want)
				}
				if ex.Limit != s.want || !ex.Until.Equal(at(s.wantEnd)) {
					t.Errorf("step %d: %+v, want %s until %s", i, ex, s.want, s.wantEnd)
				}
			}
		})
	}
}

func TestLocalConcurrent(t *testing.T) {
	c := &clock{t: at("2026-03-01T10:00:00Z")}
	l := NewLocal(Config{RequestsPerMinute: 50}, c.now)
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := 0
	for range 200 {
		wg.Go(func() {
			if l.Allow(context.Background()) == nil {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if allowed != 50 {
		t.Fatalf("allowed %d of 200, want 50", allowed)
	}
}

func TestExceededMessage(t *testing.T) {
	err := error(&Exceeded{Limit: LimitTokensPerDay, Max: 100, Until: at("2026-03-02T00:00:00Z")})
	if got, want := err.Error(), "limits: tokens_per_day limit of 100 reached until 2026-03-02T00:00:00Z"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
}

func TestUnlimited(t *testing.T) {
	var l Limiter = Unlimited{}
	if l.Allow(context.Background()) != nil || l.Used(context.Background(), 1e9) != nil {
		t.Fatal("Unlimited limited")
	}
}
