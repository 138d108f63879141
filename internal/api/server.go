// Package api is call-processor's HTTP surface: health, readiness and
// metrics; the dialplan's endpoints (register a call, what next); and,
// behind the bearer token, finished calls, live calls, the knowledge base
// and the operators. routes.go lists all of it;
// api/call-processor.openapi.yaml describes it, and a test holds the server
// to that description.
package api

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tirevoice/assistant/internal/call"
	"github.com/tirevoice/assistant/internal/httpjson"
	"github.com/tirevoice/assistant/internal/kb"
	"github.com/tirevoice/assistant/internal/live"
	"github.com/tirevoice/assistant/internal/operators"
)

// Check is one dependency that readiness reports on.
type Check struct {
	Name     string
	Required bool // a required dependency that is down makes the instance unready
	Probe    func(ctx context.Context) error
}

// Deps are what the HTTP surface needs.
type Deps struct {
	Logger   *slog.Logger // default: discard
	Gatherer prometheus.Gatherer
	Checks   []Check
	Draining *atomic.Bool // set while the instance drains before shutdown
	// ProbeTimeout bounds each readiness probe (default 2 s).
	ProbeTimeout time.Duration
	APIToken     string // bearer token of /api/v1; empty switches it off

	// The stores behind the API. A nil one makes its endpoints answer 503
	// not_configured.
	Calls     call.Store
	KB        kb.Store
	Operators operators.Store
	Live      live.Store
	// DialplanNets are the networks allowed to call the dialplan endpoints
	// (the Asterisk hosts), matched against the connection's own remote
	// address; empty means loopback only.
	DialplanNets []netip.Prefix
}

// NewServer returns the HTTP handler.
func NewServer(d Deps) http.Handler {
	if d.ProbeTimeout == 0 {
		d.ProbeTimeout = 2 * time.Second
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	addRoutes(mux, d)
	return jsonFallback(mux)
}

// router is the part of *http.ServeMux that addRoutes uses, so that a test
// can list the routes.
type router interface {
	Handle(pattern string, h http.Handler)
}

// jsonFallback answers what mux itself would answer (unknown route, wrong
// method) with the API's JSON error body instead of plain text.
func jsonFallback(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch status, allow := httpjson.Unmatched(mux, r); status {
		case http.StatusNotFound:
			writeError(w, http.StatusNotFound, "not_found", "no such endpoint")
		case http.StatusMethodNotAllowed:
			w.Header().Set("Allow", allow)
			writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", fmt.Sprintf("%s %s: allowed: %s", r.Method, r.URL.Path, allow))
		default:
			mux.ServeHTTP(w, r)
		}
	})
}

func handleHealth() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "UP"})
	})
}

// DependencyStatus is one line of the readiness answer.
type DependencyStatus struct {
	Status    string  `json:"status"` // UP or DOWN
	Required  bool    `json:"required"`
	LatencyMS float64 `json:"latency_ms"`
	Error     string  `json:"error,omitempty"`
}

// Readiness is the body of /health/ready.
type Readiness struct {
	Status       string                      `json:"status"` // UP, DOWN or DRAINING
	Dependencies map[string]DependencyStatus `json:"dependencies"`
}

// handleReady probes every dependency in parallel: 200 when all required
// ones are UP, 503 when one is DOWN, 429 while draining so that balancers
// stop sending calls.
func handleReady(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		out := Readiness{Status: "UP", Dependencies: map[string]DependencyStatus{}}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, c := range d.Checks {
			wg.Go(func() {
				ctx, cancel := context.WithTimeout(r.Context(), d.ProbeTimeout)
				defer cancel()
				start := time.Now()
				err := c.Probe(ctx)
				st := DependencyStatus{Status: "UP", Required: c.Required, LatencyMS: float64(time.Since(start).Microseconds()) / 1000}
				if err != nil {
					st.Status, st.Error = "DOWN", err.Error()
				}
				mu.Lock()
				out.Dependencies[c.Name] = st
				if err != nil && c.Required {
					out.Status = "DOWN"
				}
				mu.Unlock()
			})
		}
		wg.Wait()
		code := http.StatusOK
		switch {
		case d.Draining != nil && d.Draining.Load():
			out.Status, code = "DRAINING", http.StatusTooManyRequests
		case out.Status == "DOWN":
			code = http.StatusServiceUnavailable
		}
		writeJSON(w, code, out)
	})
}

func handleMetrics(d Deps) http.Handler {
	return promhttp.HandlerFor(d.Gatherer, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(d.Logger.Handler(), slog.LevelWarn)})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v) // the client went away; nothing to do
}
