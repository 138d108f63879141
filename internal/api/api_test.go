package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tirevoice/assistant/internal/call"
	"github.com/tirevoice/assistant/internal/memstore"
)

func newTestServer(t *testing.T, token string, checks ...Check) (*httptest.Server, *memstore.Calls, *atomic.Bool) {
	t.Helper()
	calls := memstore.NewCalls(10)
	var draining atomic.Bool
	srv := httptest.NewServer(NewServer(Deps{
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		Gatherer: prometheus.NewRegistry(),
		Checks:   checks,
		Draining: &draining,
		Calls:    calls,
		APIToken: token,
	}))
	t.Cleanup(srv.Close)
	return srv, calls, &draining
}

func get(t *testing.T, url, token string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

func TestReadiness(t *testing.T) {
	up := Check{Name: "up", Required: true, Probe: func(context.Context) error { return nil }}
	optionalDown := Check{Name: "optional", Probe: func(context.Context) error { return errors.New("gone") }}
	requiredDown := Check{Name: "required", Required: true, Probe: func(context.Context) error { return errors.New("gone") }}

	srv, _, _ := newTestServer(t, "", up, optionalDown)
	code, body := get(t, srv.URL+"/health/ready", "")
	if code != http.StatusOK || body["status"] != "UP" {
		t.Errorf("optional dependency down: %d %v", code, body)
	}
	deps := body["dependencies"].(map[string]any)
	if deps["optional"].(map[string]any)["status"] != "DOWN" || deps["up"].(map[string]any)["status"] != "UP" {
		t.Errorf("dependencies = %v", deps)
	}

	srv, _, draining := newTestServer(t, "", up, requiredDown)
	if code, _ := get(t, srv.URL+"/health/ready", ""); code != http.StatusServiceUnavailable {
		t.Errorf("required dependency down: %d, want 503", code)
	}
	draining.Store(true)
	if code, body := get(t, srv.URL+"/health/ready", ""); code != http.StatusTooManyRequests || body["status"] != "DRAINING" {
		t.Errorf("draining: %d %v, want 429", code, body)
	}
	if code, _ := get(t, srv.URL+"/health", ""); code != http.StatusOK {
		t.Errorf("/health while draining: %d", code)
	}
}

func TestGetCall(t *testing.T) {
	srv, calls, _ := newTestServer(t, "secret")
	id := uuid.New().String()
	err := calls.SaveCall(context.Background(), &call.Record{
		ID: id, Outcome: "operator", Disposition: call.DispositionOperator, Started: time.Now(), Ended: time.Now(),
		Turns: []call.Turn{{N: 1, CallerText: "оператор", Tools: []call.ToolCall{{Name: "transfer_to_operator", Args: "{}"}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, token string
		want              int
	}{
		{"found", "/api/v1/calls/" + id, "secret", http.StatusOK},
		{"no token", "/api/v1/calls/" + id, "", http.StatusUnauthorized},
		{"wrong token", "/api/v1/calls/" + id, "guess", http.StatusUnauthorized},
		{"unknown call", "/api/v1/calls/" + uuid.New().String(), "secret", http.StatusNotFound},
		{"not a uuid", "/api/v1/calls/1;drop", "secret", http.StatusBadRequest},
		{"unknown endpoint", "/api/v1/nothing", "secret", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := get(t, srv.URL+tt.path, tt.token)
			if code != tt.want {
				t.Fatalf("%s: %d %v, want %d", tt.path, code, body, tt.want)
			}
			if code != http.StatusOK && body["message"] == nil {
				t.Errorf("error without a message: %v", body)
			}
			if code == http.StatusOK {
				turns := body["turns"].([]any)
				tools := turns[0].(map[string]any)["tools"].([]any)
				if body["disposition"] != "operator" || tools[0].(map[string]any)["name"] != "transfer_to_operator" {
					t.Errorf("call view = %v", body)
				}
			}
		})
	}

	off, _, _ := newTestServer(t, "")
	if code, _ := get(t, off.URL+"/api/v1/calls/"+id, "anything"); code != http.StatusForbidden {
		t.Errorf("API without a token configured: %d, want 403", code)
	}
}
