package spool

import (
	"testing"
	"time"
)

func TestBackoffSteps(t *testing.T) {
	b := backoff{min: 500 * time.Millisecond, max: 30 * time.Second}
	if b.failing() {
		t.Error("a new backoff is failing")
	}
	steps := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second,
		8 * time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second}
	for round := range 2 {
		for i, step := range steps {
			for range 50 { // jitter: any draw stays within [step/2, step]
				probe := b
				if d := probe.next(); d < step/2 || d > step {
					t.Fatalf("round %d, delay %d = %v, want within [%v, %v]", round, i, d, step/2, step)
				}
			}
			b.next()
		}
		if !b.failing() {
			t.Error("not failing after failures")
		}
		b.reset()
	}
}
