package store

import (
	"sync"
	"time"
)

// BreakerState is the state of the client's circuit breaker.
type BreakerState int

// The breaker's states. Closed lets every request through; Open refuses
// them all with ErrUnavailable until the cool-down has passed; HalfOpen lets
// one trial request through, whose success closes the breaker and whose
// failure opens it again for another cool-down.
const (
	BreakerClosed BreakerState = iota
	BreakerOpen
	BreakerHalfOpen
)

func (s BreakerState) String() string {
	switch s {
	case BreakerClosed:
		return "closed"
	case BreakerOpen:
		return "open"
	case BreakerHalfOpen:
		return "half-open"
	}
	return "unknown"
}

// outcome is what one request tells the breaker about the store.
type outcome int

const (
	outcomeSuccess outcome = iota // the store answered (any 2xx..4xx but 429)
	outcomeFailure                // network error, timeout, 5xx, 429
	outcomeNeutral                // the caller gave up; says nothing about the store
)

// breaker counts consecutive failures. It is safe for concurrent use.
type breaker struct {
	threshold int           // consecutive failures that open it
	cooldown  time.Duration // open → half-open
	now       func() time.Time

	mu       sync.Mutex
	state    BreakerState
	failures int
	openedAt time.Time
	trial    bool // a half-open trial request is in flight
}

// allow reports whether a request may go out now. A true answer in the
// half-open state makes that request the trial: its record decides.
func (b *breaker) allow() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case BreakerOpen:
		if b.now().Sub(b.openedAt) < b.cooldown {
			return false
		}
		b.state, b.trial = BreakerHalfOpen, true
		return true
	case BreakerHalfOpen:
		if b.trial {
			return false
		}
		b.trial = true
		return true
	}
	return true
}

// record takes the outcome of a request that allow let through.
func (b *breaker) record(o outcome) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch o {
	case outcomeSuccess:
		b.state, b.failures, b.trial = BreakerClosed, 0, false
	case outcomeFailure:
		b.failures++
		if b.state == BreakerHalfOpen || b.failures >= b.threshold {
			b.state, b.openedAt, b.trial = BreakerOpen, b.now(), false
		}
	case outcomeNeutral:
		if b.state == BreakerHalfOpen {
			b.trial = false
		}
	}
}

// State reports the state; an open breaker whose cool-down has passed
// reports HalfOpen, as the next request will find it.
func (b *breaker) State() BreakerState {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state == BreakerOpen && b.now().Sub(b.openedAt) >= b.cooldown {
		return BreakerHalfOpen
	}
	return b.state
}
