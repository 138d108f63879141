package callsim

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// writerFunc hands every write to a function.
type writerFunc func([]byte)

func (f writerFunc) Write(b []byte) (int, error) { f(b); return len(b), nil }

// TestDTMFStepEndsWithTheCall: a run cancelled while it presses a long
// string of digits returns, rather than waiting for digits the sender will
// never send.
func TestDTMFStepEndsWithTheCall(t *testing.T) {
	addr := startProcessor(t)
	sc := parse(t, `
steps:
  - expect: "Здравствуйте"
  - dtmf: "1234567891234567891234567891234567891234567891234567891234567890"
`)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := writerFunc(func(b []byte) {
		if strings.Contains(string(b), "caller presses 3") {
			cancel()
		}
	})
	done := make(chan error, 1)
	go func() {
		_, err := Run(ctx, sc, Options{Addr: addr, Out: out})
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Logf("Run: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return after its context was cancelled mid-DTMF")
	}
}
