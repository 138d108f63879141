package logging

import (
	"sync/atomic"
	"time"
)

// Suppressed is the attribute key under which a line let through by a
// Limiter reports how many lines like it were held back before it.
const Suppressed = "suppressed"

// Limiter lets a kind of log line through at most once per interval and
// counts the lines it holds back, so that a peer who repeats the same fault
// thousands of times a second costs one line a second, and that line says
// how many were dropped. Count the events themselves in a metric: the
// limiter only thins out the log.
//
// It is safe for concurrent use. Allow takes no lock and does not allocate,
// so it may sit on a path that runs for every frame of a flood; build the
// line's attributes only after Allow said yes.
type Limiter struct {
	interval time.Duration
	start    time.Time    // monotonic reference for next
	next     atomic.Int64 // nanoseconds after start before which lines are held back
	held     atomic.Int64 // lines held back since the last one let through
}

// NewLimiter returns a Limiter that lets one line through per interval; the
// first line always goes through.
func NewLimiter(interval time.Duration) *Limiter {
	return &Limiter{interval: interval, start: time.Now()}
}

// Allow reports whether a line may be written now. When it may, held is the
// number of lines held back since the previous one let through, for the line
// to report under the Suppressed key; the count then starts again from zero.
func (l *Limiter) Allow() (ok bool, held int64) {
	now := int64(time.Since(l.start))
	next := l.next.Load()
	if now < next || !l.next.CompareAndSwap(next, now+int64(l.interval)) {
		// Too soon, or another goroutine let its line through just now.
		l.held.Add(1)
		return false, 0
	}
	return true, l.held.Swap(0)
}

// Held is the number of lines held back since the last one let through: at
// the end of whatever the limiter watched, what no line has reported yet.
func (l *Limiter) Held() int64 { return l.held.Load() }
