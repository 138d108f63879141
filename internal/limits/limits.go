// Package limits enforces the usage limits of the language model: requests
// per minute and tokens per day, shared by every call (and, through a
// shared store, by every instance). Over a limit the call degrades to the
// rule-based engine, never to silence; that is the caller's business: a
// Limiter only answers.
//
// The windows are fixed, so that a store with only INCR and EXPIRE can
// implement them:
//
//   - requests per minute: the UTC minute of the request (unix seconds / 60).
//     Allow refuses when that minute already has RequestsPerMinute allowed
//     requests, otherwise counts one more. A refused request is not counted
//     (a store that counts with INCR takes it back with DECR). A burst of up
//     to twice the limit across a minute boundary is accepted.
//   - tokens per day: the UTC calendar day. Used adds tokens to the day in
//     which it is called; Allow refuses while the day's total has reached
//     TokensPerDay. A request already allowed may still spend tokens and
//     take the total past the limit: the limit stops new requests, it does
//     not cut replies short.
//
// Key layout for a shared store, for instance: "llm:rpm:<unix minute>"
// (INCR, EXPIRE 120 s) and "llm:tpd:<YYYY-MM-DD>" (INCRBY, EXPIRE 48 h).
package limits

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrLimited is wrapped by every error that says a limit is reached; the
// error is an *Exceeded, which tells which.
var ErrLimited = errors.New("limits: limit reached")

// Limiter counts the usage of a language model. Implementations are safe
// for concurrent use.
type Limiter interface {
	// Allow asks whether one more request may start now, and counts it when
	// it may. It returns an error wrapping ErrLimited (an *Exceeded) when a
	// limit is reached, or another error when the count could not be
	// checked (a store is down); the caller decides whether to go ahead.
	Allow(ctx context.Context) error
	// Used adds tokens (input and output, all kinds) spent by a request to
	// today's total. It fails only when the total could not be recorded.
	Used(ctx context.Context, tokens int) error
}

// Limit names one limit.
type Limit string

// The limits.
const (
	LimitRequestsPerMinute Limit = "requests_per_minute"
	LimitTokensPerDay      Limit = "tokens_per_day"
)

// Exceeded is the error of a reached limit. It wraps ErrLimited.
type Exceeded struct {
	Limit Limit
	Max   int       // the configured limit
	Until time.Time // when the current window ends (UTC)
}

func (e *Exceeded) Error() string {
	return fmt.Sprintf("limits: %s limit of %d reached until %s", e.Limit, e.Max, e.Until.UTC().Format(time.RFC3339))
}

// Unwrap makes errors.Is(err, ErrLimited) hold.
func (e *Exceeded) Unwrap() error { return ErrLimited }

// Config holds the limits; zero (or less) means unlimited.
type Config struct {
	RequestsPerMinute int // requests started per UTC minute; 0 = unlimited
	TokensPerDay      int // tokens spent per UTC day; 0 = unlimited
}

// Unlimited is a Limiter that allows everything.
type Unlimited struct{}

var _ Limiter = Unlimited{}

// Allow implements Limiter.
func (Unlimited) Allow(context.Context) error { return nil }

// Used implements Limiter.
func (Unlimited) Used(context.Context, int) error { return nil }

// Local is a Limiter for one process, in memory, with the fixed windows
// described in the package documentation.
type Local struct {
	cfg Config
	now func() time.Time

	mu       sync.Mutex
	minute   int64 // unix minute of requests
	requests int
	day      time.Time // UTC midnight of tokens
	tokens   int
}

var _ Limiter = (*Local)(nil)

// NewLocal returns an in-process Limiter. now is the clock (time.Now when
// nil); tests pass a fake one.
func NewLocal(cfg Config, now func() time.Time) *Local {
	if now == nil {
		now = time.Now
	}
	return &Local{cfg: cfg, now: now}
}

// Allow implements Limiter. It never fails but for a reached limit.
func (l *Local) Allow(context.Context) error {
	t := l.now().UTC()
	l.mu.Lock()
	defer l.mu.Unlock()
	if limit := l.cfg.TokensPerDay; limit > 0 {
		day := midnight(t)
		if l.day.Equal(day) && l.tokens >= limit {
			return &Exceeded{Limit: LimitTokensPerDay, Max: limit, Until: day.AddDate(0, 0, 1)}
		}
	}
	if limit := l.cfg.RequestsPerMinute; limit > 0 {
		minute := t.Unix() / 60
		if minute != l.minute {
			l.minute, l.requests = minute, 0
		}
		if l.requests >= limit {
			return &Exceeded{Limit: LimitRequestsPerMinute, Max: limit, Until: time.Unix((minute+1)*60, 0).UTC()}
		}
		l.requests++
	}
	return nil
}

// Used implements Limiter. It never fails.
func (l *Local) Used(_ context.Context, tokens int) error {
	if tokens <= 0 {
		return nil
	}
	day := midnight(l.now().UTC())
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.day.Equal(day) {
		l.day, l.tokens = day, 0
	}
	l.tokens += tokens
	return nil
}

func midnight(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
