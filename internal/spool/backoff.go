package spool

import (
	"math/rand/v2"
	"time"
)

// backoff gives the delays between save attempts while the sink fails:
// min, doubling each time up to max, with "equal jitter" (each delay is
// drawn from [step/2, step]) so that instances restarted together do not
// retry in step. The zero step means no failure yet.
type backoff struct {
	min, max time.Duration
	step     time.Duration
}

// next returns the delay before the next attempt and lengthens the step.
func (b *backoff) next() time.Duration {
	if b.step == 0 {
		b.step = b.min
	} else {
		b.step = min(2*b.step, b.max)
	}
	half := b.step / 2
	return half + rand.N(b.step-half+1)
}

// reset starts over at min after a success.
func (b *backoff) reset() { b.step = 0 }

// failing reports whether the last attempt failed.
func (b *backoff) failing() bool { return b.step != 0 }
