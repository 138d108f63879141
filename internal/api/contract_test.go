package api

import (
	"log/slog"
	"testing"

	"github.com/tirevoice/assistant/internal/openapitest"
)

const specPath = "../../api/call-processor.openapi.yaml"

// TestSpecCoversRoutes: every route in routes.go is in the spec, and every
// operation in the spec is a route.
func TestSpecCoversRoutes(t *testing.T) {
	var routes openapitest.Routes
	addRoutes(&routes, Deps{Logger: slog.New(slog.DiscardHandler)})
	openapitest.CheckRoutes(t, openapitest.Load(t, specPath), routes)
}

// TestSpecSecurity: the bearer token guards every operation but health,
// metrics and the dialplan's two, as DESIGN.md ("Security and personal
// data") says.
func TestSpecSecurity(t *testing.T) {
	doc := openapitest.Load(t, specPath)
	open := map[string]bool{
		"GET /health": true, "GET /health/ready": true, "GET /metrics": true,
		"POST /api/v1/calls": true, "GET /api/v1/calls/{uuid}/next": true,
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			key := method + " " + path
			sec := doc.Security
			if op.Security != nil {
				sec = *op.Security
			}
			if open[key] != (len(sec) == 0) {
				t.Errorf("%s: security %v, want open: %v", key, sec, open[key])
			}
		}
	}
}
