package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	processorconfig "github.com/tirevoice/assistant/internal/config"
	"github.com/tirevoice/assistant/internal/httpjson/httpjsontest"
	"github.com/tirevoice/assistant/internal/logtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// start runs the program on 127.0.0.1:0 and returns its address; the
// program is stopped, and checked to return nil, at the end of the test.
func start(t *testing.T, env map[string]string) (string, *logtest.Lines) {
	t.Helper()
	all := map[string]string{"STORE_API_ADDR": "127.0.0.1:0", "LOG_LEVEL": "debug"}
	for k, v := range env {
		all[k] = v
	}
	logs := &logtest.Lines{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, envOf(all), logs, logs) }()
	started := logs.Find(t, "store-api-mock started", nil)
	t.Cleanup(func() {
		cancel() // as SIGTERM does
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("run did not return after cancel")
		}
		logs.Find(t, "store-api-mock stopped", nil)
		http.DefaultClient.CloseIdleConnections()
	})
	return started["addr"].(string), logs
}

func TestRunServesAndStops(t *testing.T) {
	addr, logs := start(t, map[string]string{"STORE_API_TOKEN": "tok", "STORE_API_ADMIN_TOKEN": "admin"})
	resp, err := http.Get("http://" + addr + "/health")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"UP"`) {
		t.Fatalf("/health: %d %s", resp.StatusCode, body)
	}
	req, _ := http.NewRequest("GET", "http://"+addr+"/api/v1/orders?phone=%2B79161234567", nil)
	req.Header.Set("Authorization", "Bearer tok")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("orders: %d", resp.StatusCode)
	}
	line := logs.Find(t, "request", nil)
	if line["path"] != "/health" {
		t.Errorf("request log %v", line)
	}
	if strings.Contains(logs.String(), "79161234567") {
		t.Error("a phone number reached the log")
	}
	started := logs.Find(t, "store-api-mock started", nil)
	if started["data"] != "embedded" || started["tires"].(float64) < 200 {
		t.Errorf("start-up line %v", started)
	}

	var out strings.Builder
	if err := run(context.Background(), []string{"healthcheck"}, envOf(map[string]string{"STORE_API_ADDR": addr}), &out, io.Discard); err != nil {
		t.Fatalf("healthcheck: %v", err)
	}
	_, port, _ := net.SplitHostPort(addr)
	if err := run(context.Background(), []string{"healthcheck"}, envOf(map[string]string{"STORE_API_ADDR": ":" + port}), io.Discard, io.Discard); err != nil {
		t.Fatalf("healthcheck on :port: %v", err)
	}
}

func TestHealthcheckFailsWithNoServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	if err := run(context.Background(), []string{"healthcheck"}, envOf(map[string]string{"STORE_API_ADDR": addr}), io.Discard, io.Discard); err == nil {
		t.Fatal("healthcheck passed with no server")
	}
}

func TestFixturesFromFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "data.json")
	data := `{"tires":[{"id":"X1","brand":"Nokian","model":"Hakkapeliitta 10p","width":205,"profile":55,"rim":16,"season":"winter","studded":true,"load_index":94,"speed_index":"T","price":9990,"stock":4}]}`
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr, logs := start(t, map[string]string{"STORE_API_FIXTURES": path, "STORE_API_TOKEN_FILE": tokenFile})
	if l := logs.Find(t, "store-api-mock started", nil); l["tires"].(float64) != 1 || l["data"] != path {
		t.Errorf("start-up line %v", l)
	}
	req, _ := http.NewRequest("GET", "http://"+addr+"/api/v1/tires/X1", nil)
	req.Header.Set("Authorization", "Bearer from-file")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("tire from the file: %d", resp.StatusCode)
	}
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	badData := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(badData, []byte(`{"tires":[{"id":"a"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"unknown command", []string{"frobnicate"}, nil, "unknown command"},
		{"log level", nil, map[string]string{"LOG_LEVEL": "loud"}, "LOG_LEVEL"},
		{"address", nil, map[string]string{"STORE_API_ADDR": "8081"}, "STORE_API_ADDR"},
		{"address in use or invalid", nil, map[string]string{"STORE_API_ADDR": "127.0.0.1:99999"}, "STORE_API_ADDR"},
		{"same tokens", nil, map[string]string{"STORE_API_TOKEN": "a", "STORE_API_ADMIN_TOKEN": "a"}, "must differ"},
		{"token and token file", nil, map[string]string{"STORE_API_TOKEN": "a", "STORE_API_TOKEN_FILE": empty}, "both set"},
		{"missing token file", nil, map[string]string{"STORE_API_ADMIN_TOKEN_FILE": filepath.Join(dir, "none")}, "STORE_API_ADMIN_TOKEN_FILE"},
		{"empty token file", nil, map[string]string{"STORE_API_TOKEN_FILE": empty}, "empty"},
		{"missing fixtures", nil, map[string]string{"STORE_API_FIXTURES": filepath.Join(dir, "none.json")}, "STORE_API_FIXTURES"},
		{"invalid fixtures", nil, map[string]string{"STORE_API_FIXTURES": badData}, "invalid data set"},
		{"read timeout", nil, map[string]string{"HTTP_READ_TIMEOUT": "soon"}, "HTTP_READ_TIMEOUT"},
		{"zero idle timeout", nil, map[string]string{"HTTP_IDLE_TIMEOUT": "0s"}, "HTTP_IDLE_TIMEOUT"},
		{"read timeout below header timeout", nil, map[string]string{"HTTP_READ_HEADER_TIMEOUT": "20s"}, "HTTP_READ_TIMEOUT"},
		{"header bytes", nil, map[string]string{"HTTP_MAX_HEADER_BYTES": "lots"}, "HTTP_MAX_HEADER_BYTES"},
		{"no connections", nil, map[string]string{"HTTP_MAX_CONNS": "0"}, "HTTP_MAX_CONNS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"STORE_API_ADDR": "127.0.0.1:0"}
			for k, v := range tt.env {
				env[k] = v
			}
			err := run(context.Background(), tt.args, envOf(env), io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error about %q", err, tt.want)
			}
		})
	}
}

func TestConfigCommand(t *testing.T) {
	var out strings.Builder
	if err := run(context.Background(), []string{"config"}, envOf(nil), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"STORE_API_ADDR=:8081", "STORE_API_TOKEN=dev-store-token", "STORE_API_ADMIN_TOKEN=dev-store-admin-token", "STORE_API_FIXTURES=", "LOG_LEVEL=info", "HTTP_READ_TIMEOUT=10s", "HTTP_MAX_CONNS=512"} {
		if !strings.Contains(out.String(), v) {
			t.Errorf("config output lacks %s:\n%s", v, out.String())
		}
	}
}

// TestHTTPLimits: the mock cuts a body trickled in by a client without a
// token, and closes a keep-alive connection left idle, within its
// timeouts.
func TestHTTPLimits(t *testing.T) {
	const readTimeout, idle = time.Second, 500 * time.Millisecond
	addr, _ := start(t, map[string]string{
		"HTTP_READ_HEADER_TIMEOUT": readTimeout.String(), "HTTP_READ_TIMEOUT": readTimeout.String(), "HTTP_IDLE_TIMEOUT": idle.String(),
	})
	took, status := httpjsontest.TrickleBody(t, addr, http.MethodPost, "/api/v1/bookings", 1024, 50*time.Millisecond, readTimeout+2*time.Second)
	if took < readTimeout*9/10 || status != http.StatusUnauthorized {
		t.Errorf("trickled body: closed after %v with %d; want 401 after the read timeout %v", took, status, readTimeout)
	}
	if took := httpjsontest.IdleAfterRequest(t, addr, "/health", idle+2*time.Second); took < idle*9/10 {
		t.Errorf("idle connection closed after %v, before HTTP_IDLE_TIMEOUT %v", took, idle)
	}
}

// TestSharedVariables: the variables the mock shares with call-processor
// have the same defaults, as .env.example lists them once.
func TestSharedVariables(t *testing.T) {
	processor := map[string]string{}
	for _, v := range processorconfig.Vars() {
		processor[v.Name] = v.Default
	}
	shared := 0
	for _, v := range vars {
		def, ok := processor[v.name]
		if !ok {
			continue
		}
		shared++
		if def != v.def {
			t.Errorf("%s: default %q here, %q in call-processor", v.name, v.def, def)
		}
	}
	if shared < 8 { // LOG_LEVEL, STORE_API_TOKEN, STORE_API_ADMIN_TOKEN and the HTTP limits
		t.Errorf("only %d variables shared with call-processor", shared)
	}
}
