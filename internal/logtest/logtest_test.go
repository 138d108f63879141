package logtest_test

import (
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/tirevoice/assistant/internal/logtest"
)

// TestConcurrentWrites: lines that goroutines log at the same time all
// arrive whole, and the test may read meanwhile (go test -race checks the
// locking).
func TestConcurrentWrites(t *testing.T) {
	var buf logtest.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	const writers, lines = 8, 50
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range lines {
				log.Info("line", "writer", w, "i", i)
				_ = buf.String()
			}
		})
	}
	wg.Wait()
	got := buf.String()
	if n := strings.Count(got, "msg=line "); n != writers*lines {
		t.Errorf("%d lines, want %d", n, writers*lines)
	}
	for w := range writers {
		if want := fmt.Sprintf("writer=%d i=%d\n", w, lines-1); !strings.Contains(got, want) {
			t.Errorf("no %q in the log", want)
		}
	}
}
