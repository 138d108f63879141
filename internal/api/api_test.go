package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tirevoice/assistant/internal/call"
	"github.com/tirevoice/assistant/internal/kb"
	"github.com/tirevoice/assistant/internal/live"
	"github.com/tirevoice/assistant/internal/logging"
	"github.com/tirevoice/assistant/internal/logtest"
	"github.com/tirevoice/assistant/internal/memstore"
	"github.com/tirevoice/assistant/internal/openapitest"
	"github.com/tirevoice/assistant/internal/operators"
)

const (
	testToken = "s3cret-token"
	// testCaller is the caller number the tests use; it must never reach
	// a log line in full.
	testCaller = "+79161234567"
)

// env is one call-processor HTTP server on loopback over real in-memory
// stores, and a client that holds every exchange to the OpenAPI spec.
type env struct {
	url      string
	calls    *memstore.Calls
	kb       *kb.MemoryStore
	ops      *operators.Memory
	live     *live.Memory
	draining *atomic.Bool
	logs     *logtest.Buffer
	client   *openapitest.Client // holds every exchange to the spec
}

// envOptions changes the defaults of newEnv: the test token, loopback-only
// dialplan, the shipped articles and two operators.
type envOptions struct {
	noToken bool
	nets    []netip.Prefix
	checks  []Check
	edit    func(*Deps) // last word on the dependencies
}

func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	articles, err := kb.Load()
	if err != nil {
		t.Fatal(err)
	}
	var draining atomic.Bool
	e := &env{
		calls:    memstore.NewCalls(50),
		kb:       kb.NewMemoryStore(articles),
		ops:      operators.NewMemory(testOperators()...),
		live:     live.NewMemory(live.MemoryOptions{}),
		draining: &draining,
		logs:     &logtest.Buffer{},
	}
	d := Deps{
		Logger:       logging.New(e.logs, "debug"),
		Gatherer:     prometheus.NewRegistry(),
		Checks:       o.checks,
		Draining:     &draining,
		Calls:        e.calls,
		APIToken:     testToken,
		KB:           e.kb,
		Operators:    e.ops,
		Live:         e.live,
		DialplanNets: o.nets,
	}
	if o.noToken {
		d.APIToken = ""
	}
	if o.edit != nil {
		o.edit(&d)
	}
	srv := httptest.NewServer(NewServer(d))
	t.Cleanup(srv.Close)
	e.url = srv.URL

	e.client = openapitest.NewClient(t, openapitest.Load(t, specPath), srv.URL)
	t.Cleanup(func() {
		logs := e.logs.String()
		for _, secret := range []string{testToken, testCaller, "79161234567"} {
			if strings.Contains(logs, secret) {
				t.Errorf("the log holds %q:\n%s", secret, logs)
			}
		}
	})
	return e
}

func testOperators() []operators.Operator {
	return []operators.Operator{
		{ID: 1, Name: "Ольга", Extension: "101", Skills: []string{"tires", "orders"}, Active: true},
		{ID: 2, Name: "Павел", Extension: "102", Skills: []string{"fitting"}, Active: false},
	}
}

// request is one exchange with the server.
type request struct {
	method, path string
	token        string // sent as a bearer token when not empty
	body         string
	contentType  string            // application/json when a body has none
	header       map[string]string // more headers
	bad          bool              // the request itself breaks the spec
	offSpec      bool              // the route is not in the spec (unknown route, wrong method)
}

// response is the server's answer.
type response struct {
	code   int
	header http.Header
	body   []byte
}

// json decodes the body as a JSON object.
func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %.300s", err, r.body)
	}
	return m
}

// do sends rq and returns the answer, after checking the request's
// validity against the spec (it must match rq.bad) and validating the
// answer: its status documented for the operation, its headers and body
// matching the schema (openapitest.Client.Do); an error answer of /api/
// must be the API's {status, error, message}.
func (e *env) do(t *testing.T, rq request) response {
	t.Helper()
	req, err := http.NewRequest(rq.method, e.url+rq.path, strings.NewReader(rq.body))
	if err != nil {
		t.Fatal(err)
	}
	if rq.token != "" {
		req.Header.Set("Authorization", "Bearer "+rq.token)
	}
	if rq.body != "" {
		ct := rq.contentType
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	for k, v := range rq.header {
		req.Header.Set(k, v)
	}

	a := e.client.Do(t, req, openapitest.Expect{Bad: rq.bad, OffSpec: rq.offSpec})
	out := response{code: a.Status, header: a.Header, body: a.Body}
	if out.code >= 400 && strings.HasPrefix(rq.path, "/api/") && strings.HasPrefix(out.header.Get("Content-Type"), "application/json") {
		var e apiError
		if err := json.Unmarshal(out.body, &e); err != nil || e.Status != out.code || e.Error == "" || e.Message == "" {
			t.Errorf("error answer %d is not {status, error, message}: %s", out.code, out.body)
		}
	}
	return out
}

// expect fails the test unless r has status code and, when code names one,
// the JSON error code.
func expect(t *testing.T, r response, code int, errCode string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("status %d, want %d: %.500s", r.code, code, r.body)
	}
	if errCode != "" {
		if got := r.json(t)["error"]; got != errCode {
			t.Errorf("error %q, want %q: %s", got, errCode, r.body)
		}
	}
}

func TestHealthAndMetrics(t *testing.T) {
	up := Check{Name: "up", Required: true, Probe: func(context.Context) error { return nil }}
	optionalDown := Check{Name: "optional", Probe: func(context.Context) error { return errors.New("gone") }}
	requiredDown := Check{Name: "required", Required: true, Probe: func(context.Context) error { return errors.New("gone") }}

	e := newEnv(t, envOptions{checks: []Check{up, optionalDown}})
	r := e.do(t, request{method: "GET", path: "/health/ready"})
	expect(t, r, http.StatusOK, "")
	body := r.json(t)
	deps := body["dependencies"].(map[string]any)
	if body["status"] != "UP" || deps["optional"].(map[string]any)["status"] != "DOWN" || deps["up"].(map[string]any)["status"] != "UP" {
		t.Errorf("optional dependency down: %s", r.body)
	}
	expect(t, e.do(t, request{method: "GET", path: "/health"}), http.StatusOK, "")
	m := e.do(t, request{method: "GET", path: "/metrics"})
	expect(t, m, http.StatusOK, "")
	if !strings.HasPrefix(m.header.Get("Content-Type"), "text/plain") {
		t.Errorf("metrics Content-Type %q", m.header.Get("Content-Type"))
	}

	e = newEnv(t, envOptions{checks: []Check{up, requiredDown}})
	expect(t, e.do(t, request{method: "GET", path: "/health/ready"}), http.StatusServiceUnavailable, "")
	e.draining.Store(true)
	r = e.do(t, request{method: "GET", path: "/health/ready"})
	expect(t, r, http.StatusTooManyRequests, "")
	if r.json(t)["status"] != "DRAINING" {
		t.Errorf("draining: %s", r.body)
	}
	expect(t, e.do(t, request{method: "GET", path: "/health"}), http.StatusOK, "")
}

// protectedRoutes are a request to every route behind the token.
var protectedRoutes = []request{
	{method: "GET", path: "/api/v1/calls"},
	{method: "GET", path: "/api/v1/calls/6ba7b810-9dad-11d1-80b4-00c04fd430c8"},
	{method: "GET", path: "/api/v1/live"},
	{method: "GET", path: "/api/v1/live/6ba7b810-9dad-11d1-80b4-00c04fd430c8"},
	{method: "GET", path: "/api/v1/kb/articles"},
	{method: "GET", path: "/api/v1/kb/articles/1"},
	{method: "POST", path: "/api/v1/kb/articles", body: `{"slug":"x","title":"x","body":"x","answer":"x","tags":["x"]}`},
	{method: "PUT", path: "/api/v1/kb/articles/1", body: `{"slug":"x","title":"x","body":"x","answer":"x","tags":["x"]}`},
	{method: "GET", path: "/api/v1/kb/search?q=x"},
	{method: "GET", path: "/api/v1/operators"},
	{method: "GET", path: "/api/v1/operators/1"},
	{method: "POST", path: "/api/v1/operators", body: `{"name":"x","extension":"1"}`},
	{method: "PUT", path: "/api/v1/operators/1", body: `{"name":"x","extension":"1"}`},
}

func TestAuth(t *testing.T) {
	e := newEnv(t, envOptions{})
	off := newEnv(t, envOptions{noToken: true})
	for _, rq := range protectedRoutes {
		t.Run(rq.method+" "+rq.path, func(t *testing.T) {
			noToken := rq
			noToken.bad = true // the spec requires the bearer scheme
			r := e.do(t, noToken)
			expect(t, r, http.StatusUnauthorized, "unauthorized")
			if r.header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			wrong := rq
			wrong.token = "guess"
			expect(t, e.do(t, wrong), http.StatusUnauthorized, "unauthorized")
			disabled := rq
			disabled.token = "anything"
			expect(t, off.do(t, disabled), http.StatusForbidden, "api_disabled")
		})
	}
	// Health, metrics and the dialplan need no token.
	expect(t, e.do(t, request{method: "GET", path: "/health"}), http.StatusOK, "")
	expect(t, e.do(t, request{method: "GET", path: "/metrics"}), http.StatusOK, "")
	expect(t, off.do(t, request{method: "POST", path: "/api/v1/calls", body: `{"uuid":"6ba7b810-9dad-11d1-80b4-00c04fd430c8"}`}), http.StatusCreated, "")
}

func TestUnknownRouteAndMethod(t *testing.T) {
	e := newEnv(t, envOptions{})
	expect(t, e.do(t, request{method: "GET", path: "/api/v1/nothing", token: testToken, offSpec: true}), http.StatusNotFound, "not_found")
	expect(t, e.do(t, request{method: "GET", path: "/nothing", offSpec: true}), http.StatusNotFound, "not_found")
	r := e.do(t, request{method: "DELETE", path: "/api/v1/operators/1", token: testToken, offSpec: true})
	expect(t, r, http.StatusMethodNotAllowed, "method_not_allowed")
	if allow := r.header.Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "PUT") {
		t.Errorf("Allow: %q", allow)
	}
}

// TestNotConfigured: an instance without a store answers 503 on its
// endpoints rather than failing.
func TestNotConfigured(t *testing.T) {
	e := newEnv(t, envOptions{edit: func(d *Deps) { d.Calls, d.KB, d.Operators, d.Live = nil, nil, nil, nil }})
	for _, rq := range protectedRoutes {
		t.Run(rq.method+" "+rq.path, func(t *testing.T) {
			rq.token = testToken
			expect(t, e.do(t, rq), http.StatusServiceUnavailable, "not_configured")
		})
	}
	expect(t, e.do(t, request{method: "POST", path: "/api/v1/calls", body: `{"uuid":"6ba7b810-9dad-11d1-80b4-00c04fd430c8"}`}),
		http.StatusServiceUnavailable, "not_configured")
	r := e.do(t, request{method: "GET", path: "/api/v1/calls/6ba7b810-9dad-11d1-80b4-00c04fd430c8/next"})
	expect(t, r, http.StatusServiceUnavailable, "")
	if !strings.HasPrefix(string(r.body), "operator\n") {
		t.Errorf("next without live state: %q, want operator first", r.body)
	}
	// Health needs none of them.
	expect(t, e.do(t, request{method: "GET", path: "/health/ready"}), http.StatusOK, "")
}

// errDown is what the broken stores answer.
var errDown = errors.New("database is down")

// The broken stores fail every call, as a store whose database is gone.
type (
	brokenCalls struct{}
	brokenKB    struct{}
	brokenOps   struct{}
	brokenLive  struct{}
)

func (brokenCalls) SaveCall(context.Context, *call.Record) error { return errDown }
func (brokenCalls) Call(context.Context, string) (*call.Record, error) {
	return nil, errDown
}
func (brokenCalls) ListCalls(context.Context, call.ListFilter) (call.CallPage, error) {
	return call.CallPage{}, errDown
}
func (brokenKB) Search(context.Context, string, int) ([]kb.Hit, error) { return nil, errDown }
func (brokenKB) Articles(context.Context) ([]kb.Article, error)        { return nil, errDown }
func (brokenKB) Article(context.Context, int) (kb.Article, error)      { return kb.Article{}, errDown }
func (brokenKB) CreateArticle(context.Context, kb.Article) (kb.Article, error) {
	return kb.Article{}, errDown
}
func (brokenKB) UpdateArticle(context.Context, kb.Article) (kb.Article, error) {
	return kb.Article{}, errDown
}
func (brokenOps) Operators(context.Context, bool) ([]operators.Operator, error) { return nil, errDown }
func (brokenOps) Operator(context.Context, int) (operators.Operator, error) {
	return operators.Operator{}, errDown
}
func (brokenOps) CreateOperator(context.Context, operators.Operator) (operators.Operator, error) {
	return operators.Operator{}, errDown
}
func (brokenOps) UpdateOperator(context.Context, operators.Operator) (operators.Operator, error) {
	return operators.Operator{}, errDown
}
func (brokenLive) Register(context.Context, live.Registration) error { return errDown }
func (brokenLive) Registration(context.Context, string) (live.Registration, error) {
	return live.Registration{}, errDown
}
func (brokenLive) Update(context.Context, live.Session) error   { return errDown }
func (brokenLive) End(context.Context, string, live.Next) error { return errDown }
func (brokenLive) Session(context.Context, string) (live.Session, error) {
	return live.Session{}, errDown
}
func (brokenLive) Sessions(context.Context) ([]live.Session, error) { return nil, errDown }
func (brokenLive) Next(context.Context, string) (live.Next, error)  { return live.Next{}, errDown }

var (
	_ call.Store      = brokenCalls{}
	_ kb.Store        = brokenKB{}
	_ operators.Store = brokenOps{}
	_ live.Store      = brokenLive{}
)

// TestStorageUnavailable: a store that fails is 503 storage_unavailable and
// an ERROR log line with the store's error.
func TestStorageUnavailable(t *testing.T) {
	e := newEnv(t, envOptions{edit: func(d *Deps) {
		d.Calls, d.KB, d.Operators, d.Live = brokenCalls{}, brokenKB{}, brokenOps{}, brokenLive{}
	}})
	for _, rq := range protectedRoutes {
		t.Run(rq.method+" "+rq.path, func(t *testing.T) {
			rq.token = testToken
			expect(t, e.do(t, rq), http.StatusServiceUnavailable, "storage_unavailable")
		})
	}
	expect(t, e.do(t, request{method: "POST", path: "/api/v1/calls", body: `{"uuid":"6ba7b810-9dad-11d1-80b4-00c04fd430c8","caller":"` + testCaller + `"}`}),
		http.StatusServiceUnavailable, "storage_unavailable")
	r := e.do(t, request{method: "GET", path: "/api/v1/calls/6ba7b810-9dad-11d1-80b4-00c04fd430c8/next"})
	expect(t, r, http.StatusServiceUnavailable, "")
	if string(r.body) != "operator\nlive call state unavailable\n\ngeneral\n" {
		t.Errorf("next with the live state down: %q", r.body)
	}
	logs := e.logs.String()
	if n := strings.Count(logs, `"level":"ERROR"`); n != len(protectedRoutes)+2 {
		t.Errorf("%d ERROR lines, want one per failed request (%d):\n%s", n, len(protectedRoutes)+2, logs)
	}
	if !strings.Contains(logs, errDown.Error()) {
		t.Errorf("the log does not hold the store's error:\n%s", logs)
	}
}
