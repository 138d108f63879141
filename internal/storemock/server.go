// Package storemock is a stand-in for the tire shop's Store API: an HTTP
// server over in-memory data that speaks api/store-openapi.yaml, seeded
// with generated fixtures (fixtures/dataset.json, made by ./gen). routes.go
// lists its whole HTTP surface.
package storemock

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/tirevoice/assistant/internal/httpjson"
	"github.com/tirevoice/assistant/internal/store"
)

// Deps are what the server needs. Data must have passed Validate (it has,
// when it comes from Fixtures or ParseDataset).
type Deps struct {
	Logger     *slog.Logger
	Token      string // bearer token of the shop endpoints (the admin token works too)
	AdminToken string // bearer token of /api/v1/admin/*
	Data       Dataset
	// Now is the clock for "today", the past and new records; default time.Now.
	Now func() time.Time
	// MaxBody bounds a request body of the shop endpoints; default 64 KiB.
	// Admin data may be 16 times as large.
	MaxBody int64
}

// NewServer returns the Store API mock's handler. Its state starts as
// d.Data moved to today, and POST /api/v1/admin/reset returns to that.
func NewServer(d Deps) http.Handler {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.MaxBody <= 0 {
		d.MaxBody = 64 << 10
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if err := d.Data.Validate(); err != nil {
		panic(fmt.Sprintf("storemock.NewServer: %v", err)) // a programming error: see Deps.Data
	}
	s := newState(d.Data, d.Now)
	mux := http.NewServeMux()
	addRoutes(mux, d, s)
	return logRequests(d.Logger, jsonFallback(mux))
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
			writeError(w, apiError(http.StatusNotFound, "not_found", "no route %s %s", r.Method, r.URL.Path))
		case http.StatusMethodNotAllowed:
			w.Header().Set("Allow", allow)
			writeError(w, apiError(http.StatusMethodNotAllowed, "method_not_allowed", "%s %s: allowed: %s", r.Method, r.URL.Path, allow))
		default:
			mux.ServeHTTP(w, r)
		}
	})
}

// statusRecorder remembers the status a handler wrote, for the log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// logRequests logs each request at debug (5xx at error) with its path but
// not its query, which may hold a phone number; a panic in a handler
// becomes a JSON 500.
func logRequests(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				log.Error("handler panic", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(p))
				if rec.status == 0 {
					writeError(rec, &store.APIError{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error"})
				}
			}
			level := slog.LevelDebug
			if rec.status >= 500 {
				level = slog.LevelError
			}
			log.Log(r.Context(), level, "request", "method", r.Method, "path", r.URL.Path,
				"status", rec.status, "duration_ms", float64(time.Since(start).Microseconds())/1000)
		}()
		next.ServeHTTP(rec, r)
	})
}
