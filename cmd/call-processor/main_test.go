package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.uber.org/goleak"

	"github.com/tirevoice/assistant/internal/callsim"
	"github.com/tirevoice/assistant/internal/logtest"
	"github.com/tirevoice/assistant/internal/storemock"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// processor is call-processor running in this test process on port 0,
// with a Store API mock of its own.
type processor struct {
	http, audiosocket string
	store             *httptest.Server
	logs              *logtest.Lines
	stop              context.CancelFunc
	done              chan error
}

// apiToken is the processor's API token in these tests.
const apiToken = "test-api-token"

func startStore(t *testing.T) *httptest.Server {
	t.Helper()
	data, err := storemock.Fixtures()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(storemock.NewServer(storemock.Deps{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Token:  "test-store-token", AdminToken: "test-store-admin", Data: data,
	}))
	t.Cleanup(srv.Close)
	return srv
}

func startProcessor(t *testing.T, env map[string]string) *processor {
	t.Helper()
	store := startStore(t)
	base := map[string]string{
		"HTTP_ADDR":        "127.0.0.1:0",
		"AUDIOSOCKET_ADDR": "127.0.0.1:0",
		"ENVIRONMENT":      "test",
		"DRAIN_TIMEOUT":    "2s",
		"LOG_LEVEL":        "debug",
		"API_TOKEN":        apiToken,
		"STORE_API_URL":    store.URL,
		"STORE_API_TOKEN":  "test-store-token",
	}
	for k, v := range env {
		base[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &processor{logs: &logtest.Lines{Wait: 20 * time.Second}, stop: cancel, done: make(chan error, 1), store: store}
	go func() { p.done <- run(ctx, nil, func(k string) string { return base[k] }, p.logs, p.logs) }()
	started := p.logs.Find(t, "call-processor started", nil)
	p.http, p.audiosocket = started["http_addr"].(string), started["audiosocket_addr"].(string)
	t.Cleanup(func() {
		p.shutdown(t)
		if t.Failed() {
			t.Logf("processor log:\n%s", p.logs.String())
		}
	})
	waitReady(t, "http://"+p.http+"/health/ready")
	return p
}

func (p *processor) shutdown(t *testing.T) {
	t.Helper()
	p.stop()
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("run returned %v", err)
		}
		p.done <- nil // a second shutdown returns at once
	case <-time.After(30 * time.Second):
		t.Fatal("processor did not stop")
	}
}

func waitReady(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready: %v", url, err)
		}
		time.Sleep(20 * time.Millisecond) // polling an external endpoint, as a balancer would
	}
}

func metricValue(t *testing.T, httpAddr, series string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + httpAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), series+" "); ok {
			var f float64
			fmt.Sscan(v, &f)
			return f
		}
	}
	return 0
}

// TestScenarios plays every scenario file in scenarios/ against the whole
// program, as the README and CI do.
func TestScenarios(t *testing.T) {
	p := startProcessor(t, nil)
	files, err := filepath.Glob("../../scenarios/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	for _, f := range files {
		// One call at a time: under the race detector on two cores, many
		// concurrent calls starve the real-time audio path (see the issue
		// notes); load is the load tool's job, not this test's.
		t.Run(strings.TrimSuffix(filepath.Base(f), ".yaml"), func(t *testing.T) { playFile(t, p, f) })
	}
}

// playFile runs one scenario file against p and fails the test if it fails.
func playFile(t *testing.T, p *processor, path string) *callsim.Result {
	t.Helper()
	sc, err := callsim.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	res, err := callsim.Run(context.Background(), sc, callsim.Options{
		Addr: p.audiosocket, Out: &out, API: "http://" + p.http, APIToken: apiToken,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("transcript:\n%s", out.String())
	if !res.Passed {
		t.Fatalf("%s failed: %s", sc.Name, res.Failure)
	}
	return res
}

// TestStoreDown plays the store-down scenario against a processor whose
// Store API cannot be reached.
func TestStoreDown(t *testing.T) {
	dead := startStore(t)
	dead.Close()
	p := startProcessor(t, map[string]string{"STORE_API_URL": dead.URL})
	playFile(t, p, "../../scenarios/faults/store-down.yaml")
}

func TestHealthAndReadiness(t *testing.T) {
	p := startProcessor(t, nil)
	for _, path := range []string{"/health", "/health/ready", "/metrics"} {
		resp, err := http.Get("http://" + p.http + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %d %s", path, resp.StatusCode, body)
		}
		if path == "/metrics" && !strings.Contains(string(body), "callproc_active_calls") {
			t.Errorf("/metrics lacks callproc_active_calls")
		}
	}
}

// TestHostileInputs sends each kind of broken or hostile peer from
// DESIGN.md and checks that the connection is torn down, logged and counted
// while the service stays up.
func TestHostileInputs(t *testing.T) {
	p := startProcessor(t, map[string]string{"AUDIOSOCKET_UUID_TIMEOUT": "200ms", "AUDIOSOCKET_IDLE_TIMEOUT": "1s"})
	id := uuid.New()
	uuidFrame := append([]byte{0x01, 0x00, 0x10}, id[:]...)
	tests := []struct {
		name   string
		send   []byte
		reason string
	}{
		{"oversize length", append(append([]byte{}, uuidFrame...), 0x10, 0xff, 0xff), "oversize"},
		{"unknown kind", append(append([]byte{}, uuidFrame...), 0x42, 0x00, 0x01, 0x00), "unknown_kind"},
		{"first message not a UUID", []byte{0x10, 0x00, 0x02, 0x00, 0x00}, "first_not_uuid"},
		{"half a frame", append(append([]byte{}, uuidFrame...), 0x10, 0x01, 0x40, 0x00, 0x00), "idle_timeout"},
		{"zero length audio", append(append([]byte{}, uuidFrame...), 0x10, 0x00, 0x00), "zero_length"},
		{"nothing at all", nil, "uuid_timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			series := fmt.Sprintf(`callproc_audiosocket_protocol_errors_total{reason=%q}`, tt.reason)
			before := metricValue(t, p.http, series)
			c, err := net.Dial("tcp", p.audiosocket)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := c.Write(tt.send); err != nil {
				t.Fatal(err)
			}
			// The processor must close the connection.
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			if _, err := io.Copy(io.Discard, c); err != nil && !isReset(err) {
				t.Fatalf("connection not closed by the processor: %v", err)
			}
			line := p.logs.Find(t, "", func(l map[string]any) bool { return l["reason"] == tt.reason })
			if line == nil {
				t.Fatal("no log line")
			}
			deadline := time.Now().Add(5 * time.Second)
			for metricValue(t, p.http, series) != before+1 {
				if time.Now().After(deadline) {
					t.Fatalf("%s = %v, want %v", series, metricValue(t, p.http, series), before+1)
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
	// The service still takes calls.
	sc, err := callsim.Parse([]byte("steps:\n  - expect: \"Чем могу помочь\"\n  - hangup: true\n"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := callsim.Run(context.Background(), sc, callsim.Options{Addr: p.audiosocket})
	if err != nil || !res.Passed {
		t.Fatalf("call after hostile inputs: %v %+v", err, res)
	}
}

func isReset(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, os.ErrDeadlineExceeded)
}

// TestDrainOnShutdown: a call in progress when the process is told to stop
// is allowed to finish; readiness answers 429 meanwhile; new calls are refused.
func TestDrainOnShutdown(t *testing.T) {
	p := startProcessor(t, map[string]string{"DRAIN_TIMEOUT": "30s"})
	sc, err := callsim.Parse([]byte(`
steps:
  - expect: "Чем могу помочь"
  - silence: 1s
  - say: "Сколько стоит хранение колёс?"
  - expect: "хранение комплекта шин"
  - say: "До свидания"
  - expect_hangup: true
`))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan *callsim.Result, 1)
	go func() {
		res, err := callsim.Run(context.Background(), sc, callsim.Options{Addr: p.audiosocket})
		if err != nil {
			res = &callsim.Result{Failure: err.Error()}
		}
		done <- res
	}()
	p.logs.Find(t, "audiosocket: call started", nil)
	p.stop()
	p.logs.Find(t, "draining", nil)
	resp, err := http.Get("http://" + p.http + "/health/ready")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusTooManyRequests {
			t.Errorf("readiness while draining = %d, want 429", resp.StatusCode)
		}
	}
	res := <-done
	if !res.Passed {
		t.Fatalf("the call in progress did not finish: %s", res.Failure)
	}
	p.logs.Find(t, "call ended", func(l map[string]any) bool { return l["outcome"] == "completed" })
}
