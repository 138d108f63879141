package api

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

const specPath = "../../api/call-processor.openapi.yaml"

// loadSpec loads the OpenAPI description and fails the test if it is not
// valid OpenAPI 3.0.
func loadSpec(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromFile(specPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the spec itself is invalid: %v", err)
	}
	return doc
}

// routeList records the patterns addRoutes registers.
type routeList []string

func (l *routeList) Handle(pattern string, _ http.Handler) { *l = append(*l, pattern) }

// TestSpecCoversRoutes: every route in routes.go is in the spec, and every
// operation in the spec is a route.
func TestSpecCoversRoutes(t *testing.T) {
	doc := loadSpec(t)
	var routes routeList
	addRoutes(&routes, Deps{Logger: slog.New(slog.DiscardHandler)})
	var inSpec []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			inSpec = append(inSpec, method+" "+path)
		}
	}
	slices.Sort(routes)
	slices.Sort(inSpec)
	if !slices.Equal(routes, inSpec) {
		t.Errorf("routes.go and the spec differ:\nroutes: %s\nspec:   %s", strings.Join(routes, ", "), strings.Join(inSpec, ", "))
	}
}

// TestSpecSecurity: the bearer token guards every operation but health,
// metrics and the dialplan's two, as DESIGN.md ("Security and personal
// data") says.
func TestSpecSecurity(t *testing.T) {
	doc := loadSpec(t)
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
