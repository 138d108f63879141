package api

import "net/http"

// addRoutes is the whole HTTP surface of call-processor.
func addRoutes(mux *http.ServeMux, d Deps) {
	mux.Handle("GET /health", handleHealth())
	mux.Handle("GET /health/ready", handleReady(d))
	mux.Handle("GET /metrics", handleMetrics(d))

	mux.Handle("GET /api/v1/calls/{uuid}", requireToken(d.APIToken, handleGetCall(d)))
	mux.Handle("/api/", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no such endpoint")
	}))
}
