package store

import (
	"testing"
	"time"
)

func TestBreakerHalfOpenLetsOneTrial(t *testing.T) {
	b := &breaker{threshold: 1, cooldown: time.Minute, now: func() time.Time { return time.Unix(60, 0) }}
	b.record(outcomeFailure)
	b.openedAt = time.Unix(0, 0) // the cool-down has passed
	if !b.allow() {
		t.Fatal("no trial after the cool-down")
	}
	if b.allow() {
		t.Fatal("a second request while the trial is in flight")
	}
	b.record(outcomeNeutral) // the trial's caller gave up
	if !b.allow() {
		t.Fatal("no new trial after a neutral outcome")
	}
	b.record(outcomeSuccess)
	if b.State() != BreakerClosed || !b.allow() || !b.allow() {
		t.Fatalf("state %v after a good trial", b.State())
	}
}
