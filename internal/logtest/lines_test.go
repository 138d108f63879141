package logtest_test

import (
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tirevoice/assistant/internal/logtest"
)

// TestLinesFind: Find returns the first line that matches, waiting for one
// that a goroutine logs later; lines that are not JSON stay in the raw text.
func TestLinesFind(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var lines logtest.Lines
		log := slog.New(slog.NewJSONHandler(&lines, nil))
		log.Info("started", "addr", "127.0.0.1:1")
		fmt.Fprintln(&lines, "panic: not JSON")
		go func() {
			time.Sleep(time.Second)
			log.Info("call ended", "outcome", "dropped")
			log.Info("call ended", "outcome", "completed")
		}()

		if got := lines.Find(t, "started", nil); got["addr"] != "127.0.0.1:1" {
			t.Errorf("started line %v", got)
		}
		start := time.Now()
		got := lines.Find(t, "call ended", func(l map[string]any) bool { return l["outcome"] == "completed" })
		if got["outcome"] != "completed" || time.Since(start) != time.Second {
			t.Errorf("Find = %v after %v, want the completed call after 1s", got, time.Since(start))
		}
		if got := lines.Find(t, "", nil); got["msg"] != "started" {
			t.Errorf(`Find("") = %v, want the first line`, got)
		}
		if !strings.Contains(lines.String(), "panic: not JSON\n") {
			t.Errorf("raw log lacks the non-JSON line:\n%s", lines.String())
		}
	})
}

// TestLinesFindTimesOut: with no matching line, Find fails the test after
// Wait (DefaultWait when zero) and shows the log.
func TestLinesFindTimesOut(t *testing.T) {
	tests := []struct {
		name string
		wait time.Duration
		want time.Duration
	}{
		{"default", 0, logtest.DefaultWait},
		{"set", 3 * time.Second, 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				lines := &logtest.Lines{Wait: tt.wait}
				slog.New(slog.NewJSONHandler(lines, nil)).Info("started")
				ft := &fatalTB{TB: t}
				start := time.Now()
				done := make(chan struct{})
				go func() {
					defer close(done)
					lines.Find(ft, "stopped", nil)
				}()
				<-done
				if took := time.Since(start); took != tt.want {
					t.Errorf("Find gave up after %v, want %v", took, tt.want)
				}
				if !strings.Contains(ft.msg, `no log line "stopped"`) || !strings.Contains(ft.msg, `"msg":"started"`) {
					t.Errorf("failure message %q", ft.msg)
				}
			})
		})
	}
}

// fatalTB records a Fatalf and ends its goroutine, as testing.T does, so
// that a test can watch Find fail without failing itself.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Helper() {}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
