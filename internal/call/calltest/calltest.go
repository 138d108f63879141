// Package calltest runs the call service for tests of the packages that
// talk to it (the call simulator, say): the offline providers and the echo
// responder behind a real AudioSocket server on loopback, as call-processor
// runs it (which, being a main package, cannot be imported).
package calltest

import (
	"context"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tirevoice/assistant/internal/audiosocket"
	"github.com/tirevoice/assistant/internal/call"
	"github.com/tirevoice/assistant/internal/config"
	"github.com/tirevoice/assistant/internal/dialog/echo"
	"github.com/tirevoice/assistant/internal/logtest"
	"github.com/tirevoice/assistant/internal/metrics"
	sttmock "github.com/tirevoice/assistant/internal/stt/mock"
	ttsmock "github.com/tirevoice/assistant/internal/tts/mock"
)

// Start serves calls until the test ends and returns the AudioSocket
// address. greeting replaces the default greeting when not empty (a short
// one keeps the calls short). The service's log is printed if the test
// fails.
func Start(t testing.TB, greeting string) string {
	t.Helper()
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if greeting != "" {
		cfg.Call.Greeting = greeting
	}
	logs := &logtest.Buffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	svc, err := call.NewService(context.Background(), call.Deps{
		Config:      cfg.Call,
		Transcriber: sttmock.Transcriber{},
		Synthesizer: ttsmock.New(),
		Responder:   echo.Responder{},
		Metrics:     metrics.New(prometheus.NewRegistry()),
		Logger:      log,
	})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &audiosocket.Server{Handler: svc, Logger: log, DeadPeerTimeout: 2 * time.Second}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		<-done
		if t.Failed() {
			t.Logf("processor log:\n%s", logs.String())
		}
	})
	return ln.Addr().String()
}
