package storemock

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tirevoice/assistant/internal/store"
)

const (
	testToken      = "test-shop-token"
	testAdminToken = "test-admin-token"
)

// testNow is the fixtures' as_of day, Monday 2026-01-12, 08:00 in Moscow:
// the data set is used as generated, and tomorrow's msk-1 bookings are
// 11:00, 12:00 and 13:00.
var testNow = time.Date(2026, 1, 12, 8, 0, 0, 0, time.FixedZone("MSK", 3*3600))

// testServer is the mock on a loopback port with the fixtures and a fixed clock.
type testServer struct {
	URL string
}

func startServer(t *testing.T) *testServer {
	t.Helper()
	d, err := Fixtures()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(NewServer(Deps{
		Token:      testToken,
		AdminToken: testAdminToken,
		Data:       d,
		Now:        func() time.Time { return testNow },
	}))
	t.Cleanup(srv.Close)
	return &testServer{URL: srv.URL}
}

// do sends a request with token (none if "") and returns the status and body.
func (s *testServer) do(t *testing.T, method, path, token string, body any) (int, []byte) {
	t.Helper()
	code, data, err := s.send(method, path, token, body)
	if err != nil {
		t.Fatal(err)
	}
	return code, data
}

// send is do for goroutines: it reports trouble as an error, and a body
// that is not JSON as one too. A body that is not a string or []byte is
// sent as its JSON.
func (s *testServer) send(method, path, token string, body any) (int, []byte, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, err
	}
	if ct := resp.Header.Get("Content-Type"); method != http.MethodHead && ct != "application/json" {
		return 0, nil, fmt.Errorf("%s %s: Content-Type %q", method, path, ct)
	}
	return resp.StatusCode, data, nil
}

// get is do for a GET with the shop token, decoding a 200 answer into out.
func (s *testServer) get(t *testing.T, path string, out any) {
	t.Helper()
	code, body := s.do(t, http.MethodGet, path, testToken, nil)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, code, body)
	}
	if err := json.Unmarshal(body, out); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

// checkError asserts an error answer: the status, the code, and a message
// containing want.
func checkError(t *testing.T, code int, body []byte, wantStatus int, wantCode, wantMsg string) {
	t.Helper()
	var e store.APIError
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body %q: %v", body, err)
	}
	if code != wantStatus || e.Status != wantStatus || (wantCode != "" && e.Code != wantCode) || !strings.Contains(e.Message, wantMsg) {
		t.Errorf("got %d %+v, want %d %s containing %q", code, e, wantStatus, wantCode, wantMsg)
	}
}

func TestAuth(t *testing.T) {
	s := startServer(t)
	tests := []struct {
		name   string
		method string
		path   string
		header string // the whole Authorization header
		want   int
		code   string
	}{
		{"health needs no token", "GET", "/health", "", 200, ""},
		{"no token", "GET", "/api/v1/tires/T0001", "", 401, "unauthorized"},
		{"wrong token", "GET", "/api/v1/tires/T0001", "Bearer nope", 401, "unauthorized"},
		{"token prefix", "GET", "/api/v1/tires/T0001", "Bearer test-shop", 401, "unauthorized"},
		{"not bearer", "GET", "/api/v1/tires/T0001", "Basic " + testToken, 401, "unauthorized"},
		{"bearer without token", "GET", "/api/v1/tires/T0001", "Bearer ", 401, "unauthorized"},
		{"shop token", "GET", "/api/v1/tires/T0001", "Bearer " + testToken, 200, ""},
		{"scheme any case", "GET", "/api/v1/tires/T0001", "bearer " + testToken, 200, ""},
		{"admin token on shop endpoint", "GET", "/api/v1/tires/T0001", "Bearer " + testAdminToken, 200, ""},
		{"shop token on admin endpoint", "GET", "/api/v1/admin/data", "Bearer " + testToken, 403, "forbidden"},
		{"no token on admin endpoint", "POST", "/api/v1/admin/reset", "", 401, "unauthorized"},
		{"admin token on admin endpoint", "GET", "/api/v1/admin/data", "Bearer " + testAdminToken, 200, ""},
		{"no token on POST", "POST", "/api/v1/bookings", "", 401, "unauthorized"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, s.URL+tt.path, nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if tt.code == "" {
				if resp.StatusCode != tt.want {
					t.Fatalf("%d %s, want %d", resp.StatusCode, body, tt.want)
				}
				return
			}
			checkError(t, resp.StatusCode, body, tt.want, tt.code, "")
			if tt.want == 401 && resp.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
}

func TestRoutingErrors(t *testing.T) {
	s := startServer(t)
	tests := []struct {
		name, method, path string
		want               int
		code, msg          string
	}{
		{"unknown route", "GET", "/api/v1/nothing", 404, "not_found", "no route"},
		{"unknown route without token", "GET", "/nothing", 404, "not_found", "no route"},
		{"wrong method on a collection", "DELETE", "/api/v1/orders", 405, "method_not_allowed", "GET, HEAD, POST"},
		{"wrong method on an item", "PUT", "/api/v1/tires/T0001", 405, "method_not_allowed", "GET"},
		{"POST on health", "POST", "/health", 405, "method_not_allowed", "GET"},
		{"GET on reset", "GET", "/api/v1/admin/reset", 405, "method_not_allowed", "POST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := s.do(t, tt.method, tt.path, testToken, nil)
			checkError(t, code, body, tt.want, tt.code, tt.msg)
		})
	}
}

func TestBodyErrors(t *testing.T) {
	s := startServer(t)
	valid := `{"station_id":"msk-1","start":"2026-01-13T15:00","phone":"+79161234567","name":"Иван"}`
	tests := []struct {
		name, path, body, contentType string
		want                          int
		code, msg                     string
	}{
		{"empty body", "/api/v1/bookings", "", "application/json", 400, "bad_request", "empty body"},
		{"not JSON", "/api/v1/bookings", "hello", "application/json", 400, "bad_request", "invalid character"},
		{"unknown field", "/api/v1/bookings", `{"station_id":"msk-1","when":"x"}`, "application/json", 400, "bad_request", `unknown field "when"`},
		{"wrong type", "/api/v1/orders", `{"tire_id":"T0001","quantity":"four"}`, "application/json", 400, "bad_request", "quantity"},
		{"two values", "/api/v1/bookings", valid + valid, "application/json", 400, "bad_request", "after the JSON value"},
		{"an array", "/api/v1/orders", `[1,2]`, "application/json", 400, "bad_request", "cannot unmarshal array"},
		{"too large", "/api/v1/orders", `{"name":"` + strings.Repeat("я", 40<<10) + `"}`, "application/json", 413, "payload_too_large", "65536"},
		{"form content type", "/api/v1/orders", `{}`, "application/x-www-form-urlencoded", 415, "unsupported_media_type", "application/json"},
		{"admin data too large", "/api/v1/admin/data", `{"tires":[` + strings.Repeat(`{},`, 400<<10) + `{}]}`, "application/json", 413, "payload_too_large", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method, token := http.MethodPost, testToken
			if strings.Contains(tt.path, "admin") {
				method, token = http.MethodPut, testAdminToken
			}
			req, _ := http.NewRequest(method, s.URL+tt.path, strings.NewReader(tt.body))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", tt.contentType)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			checkError(t, resp.StatusCode, body, tt.want, tt.code, tt.msg)
		})
	}
}

func TestHealth(t *testing.T) {
	s := startServer(t)
	var h map[string]string
	code, body := s.do(t, "GET", "/health", "", nil)
	if err := json.Unmarshal(body, &h); err != nil || code != 200 || h["status"] != "UP" {
		t.Fatalf("%d %s", code, body)
	}
}
