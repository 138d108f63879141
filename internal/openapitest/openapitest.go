// Package openapitest holds an HTTP server to its OpenAPI 3.0 description
// in tests: it loads the description (failing the test unless it is valid),
// compares its operations with the routes the server registers, and sends
// requests through a Client that validates each request and each answer
// against it. The call-processor API and the Store API mock both use it.
package openapitest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// Load reads the OpenAPI description at path and fails t unless it is
// valid OpenAPI 3.0.
func Load(t testing.TB, path string) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the spec itself is invalid: %v", err)
	}
	return doc
}

// Routes records the patterns registered with Handle: a stand-in for the
// *http.ServeMux a server registers its routes on, so that a test can list
// them.
type Routes []string

// Handle records pattern.
func (r *Routes) Handle(pattern string, _ http.Handler) { *r = append(*r, pattern) }

// CheckRoutes fails t unless routes, as ServeMux patterns ("GET
// /api/v1/items/{id}"), are exactly the operations of doc.
func CheckRoutes(t testing.TB, doc *openapi3.T, routes []string) {
	t.Helper()
	var inSpec []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			inSpec = append(inSpec, method+" "+path)
		}
	}
	routes = slices.Sorted(slices.Values(routes))
	slices.Sort(inSpec)
	if !slices.Equal(routes, inSpec) {
		t.Errorf("routes.go and the spec differ:\nroutes: %s\nspec:   %s", strings.Join(routes, ", "), strings.Join(inSpec, ", "))
	}
}

// Client sends a test's requests to one server and holds each exchange to
// the description.
type Client struct {
	router routers.Router
}

// NewClient returns a Client for the server at url (httptest.Server.URL).
// It sets doc.Servers to that one server.
func NewClient(t testing.TB, doc *openapi3.T, url string) *Client {
	t.Helper()
	doc.Servers = openapi3.Servers{{URL: url}}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &Client{router: router}
}

// Expect is what a test knows about a request it sends.
type Expect struct {
	Bad     bool // the request itself breaks the description
	OffSpec bool // the description has no operation for it (an unknown route, a wrong method)
}

// Answer is a server's answer, its body read.
type Answer struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends req with http.DefaultClient and returns the answer. When the
// description has an operation for req, Do checks that the request is
// valid against it exactly when !e.Bad, and that the answer is: its status
// documented for the operation, its headers and body matching the schema.
// A request without an operation ends the test, unless e.OffSpec says so
// (an operation for an e.OffSpec request is an error). Any bearer token
// meets the description's security: only the server can check its value.
// Defaults the description gives are not written into the request.
func (c *Client) Do(t testing.TB, req *http.Request, e Expect) Answer {
	t.Helper()
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			t.Fatal(err)
		}
		req.Body.Close()
	}
	rewind := func() { // the request's body, to be read again
		req.Body = http.NoBody
		if len(body) > 0 {
			req.Body = io.NopCloser(bytes.NewReader(body))
		}
	}
	what := req.Method + " " + req.URL.RequestURI()

	route, params, routeErr := c.router.FindRoute(req)
	switch {
	case e.OffSpec && routeErr == nil:
		t.Errorf("%s is in the spec; the test says it is not", what)
	case !e.OffSpec && routeErr != nil:
		t.Fatalf("%s: not in the spec: %v", what, routeErr)
	}
	if routeErr == nil {
		rewind()
		in := &openapi3filter.RequestValidationInput{
			Request: req, PathParams: params, Route: route,
			// Defaults would be written into the request we then send.
			Options: &openapi3filter.Options{AuthenticationFunc: bearerPresent, SkipSettingDefaults: true},
		}
		reqErr := openapi3filter.ValidateRequest(context.Background(), in)
		if e.Bad != (reqErr != nil) {
			t.Errorf("%s: request valid against the spec: %v, want %v (%v)", what, reqErr == nil, !e.Bad, reqErr)
		}
	}

	rewind()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if routeErr == nil {
		check := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
			Status:                 resp.StatusCode,
			Header:                 resp.Header,
			Body:                   io.NopCloser(bytes.NewReader(out)),
			Options:                &openapi3filter.Options{IncludeResponseStatus: true},
		}
		if err := openapi3filter.ValidateResponse(context.Background(), check); err != nil {
			t.Errorf("%s: the answer breaks the spec: %v\nbody: %.500s", what, err, out)
		}
	}
	return Answer{Status: resp.StatusCode, Header: resp.Header, Body: out}
}

// bearerPresent stands in for the server's token check: the description
// can say only that a bearer token is needed.
func bearerPresent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	scheme, token, _ := strings.Cut(in.RequestValidationInput.Request.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return errors.New("no bearer token")
	}
	return nil
}
