package logging

import (
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

func TestLimiter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := NewLimiter(time.Second)
		type step struct {
			after    time.Duration // virtual time since the previous step
			ok       bool
			held     int64
			heldNext int64 // Held() after the call
		}
		steps := []step{
			{after: 0, ok: true, held: 0, heldNext: 0}, // the first line goes through
			{after: 0, ok: false, heldNext: 1},
			{after: 500 * time.Millisecond, ok: false, heldNext: 2},
			{after: 499 * time.Millisecond, ok: false, heldNext: 3},
			{after: time.Millisecond, ok: true, held: 3, heldNext: 0}, // a second after the first
			{after: 10 * time.Second, ok: true, held: 0, heldNext: 0}, // quiet: nothing held
			{after: 0, ok: false, heldNext: 1},
		}
		for i, s := range steps {
			time.Sleep(s.after)
			ok, held := l.Allow()
			if ok != s.ok || held != s.held || l.Held() != s.heldNext {
				t.Errorf("step %d: Allow() = %v, %d; Held() = %d; want %v, %d; %d", i, ok, held, l.Held(), s.ok, s.held, s.heldNext)
			}
		}
	})
}

// TestLimiterConcurrent: many goroutines at once let exactly one line
// through and every other one is counted.
func TestLimiterConcurrent(t *testing.T) {
	l := NewLimiter(time.Hour)
	const goroutines, each = 8, 1000
	var wg sync.WaitGroup
	var mu sync.Mutex
	let := 0
	for range goroutines {
		wg.Go(func() {
			for range each {
				if ok, _ := l.Allow(); ok {
					mu.Lock()
					let++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if let != 1 || l.Held() != goroutines*each-1 {
		t.Errorf("%d lines let through, %d held; want 1 and %d", let, l.Held(), goroutines*each-1)
	}
}

func TestLimiterAllowDoesNotAllocate(t *testing.T) {
	l := NewLimiter(time.Second)
	if n := testing.AllocsPerRun(1000, func() { l.Allow() }); n != 0 {
		t.Errorf("Allow allocates %v times per call", n)
	}
}
