package logtest

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"
)

// DefaultWait is how long Lines.Find waits when Lines.Wait is zero.
const DefaultWait = 10 * time.Second

// Lines is the io.Writer of a program's JSON log (slog.JSONHandler, one
// record a Write) that a test reads while the program runs: it keeps every
// line that parses as a JSON object, and the raw text, and lets the test
// wait for a line. Set Wait before the first Find; the zero value is ready
// to use.
type Lines struct {
	Wait time.Duration // how long Find waits for its line; zero: DefaultWait

	mu      sync.Mutex
	raw     strings.Builder
	lines   []map[string]any
	changed chan struct{} // closed by the next Write; nil while no one waits
}

// Write takes in p, one or more newline-separated JSON records; a line that
// is not a JSON object is kept in the raw text only. It never fails.
func (l *Lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.raw.Write(p)
	for _, line := range strings.Split(strings.TrimSpace(string(p)), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil {
			l.lines = append(l.lines, m)
		}
	}
	if l.changed != nil {
		close(l.changed)
		l.changed = nil
	}
	return len(p), nil
}

// Find returns the first line whose "msg" is msg (any line if msg is "")
// and for which match, unless nil, holds. It waits for such a line up to
// l.Wait, then fails t with the whole log. It must be called from the
// test's goroutine (or a Cleanup).
func (l *Lines) Find(t testing.TB, msg string, match func(map[string]any) bool) map[string]any {
	t.Helper()
	wait := l.Wait
	if wait <= 0 {
		wait = DefaultWait
	}
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		l.mu.Lock()
		for _, line := range l.lines {
			if (msg == "" || line["msg"] == msg) && (match == nil || match(line)) {
				l.mu.Unlock()
				return line
			}
		}
		if l.changed == nil {
			l.changed = make(chan struct{})
		}
		changed := l.changed
		l.mu.Unlock()
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("no log line %q after %v; log:\n%s", msg, wait, l.String())
			return nil
		}
	}
}

// String returns everything written so far.
func (l *Lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.raw.String()
}
