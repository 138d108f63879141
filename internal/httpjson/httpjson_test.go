package httpjson_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/tirevoice/assistant/internal/httpjson"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// send makes one real request to srv and returns the answer's status,
// header and body.
func send(t *testing.T, srv *httptest.Server, method, path, contentType, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

func TestUnmatched(t *testing.T) {
	mux := http.NewServeMux()
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.Handle("GET /items/{id}", ok)
	mux.Handle("PUT /items/{id}", ok)
	mux.Handle("GET /dir/", ok)
	// The server answers what Unmatched reports in headers, and serves a
	// matched request as a real server would.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status, allow := httpjson.Unmatched(mux, r)
		if status == 0 {
			mux.ServeHTTP(w, r)
			return
		}
		w.Header().Set("X-Allow", allow)
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	client := srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	tests := []struct {
		name, method, path string
		want               int
		allow              string
	}{
		{"matched", "GET", "/items/1", http.StatusNoContent, ""},
		{"matched, another method", "PUT", "/items/1", http.StatusNoContent, ""},
		{"HEAD goes with GET", "HEAD", "/items/1", http.StatusNoContent, ""},
		{"unknown path", "GET", "/nothing", http.StatusNotFound, ""},
		{"wrong method", "DELETE", "/items/1", http.StatusMethodNotAllowed, "GET, HEAD, PUT"},
		{"wrong method on a subtree", "POST", "/dir/x", http.StatusMethodNotAllowed, "GET, HEAD"},
		// mux redirects /dir to /dir/, and a matched unclean path to its
		// clean form, itself: a pattern matches. An unclean path that no
		// pattern matches is reported as the redirect it gets.
		{"subtree redirect", "GET", "/dir", http.StatusTemporaryRedirect, ""},
		{"unclean path", "GET", "/dir/../items/1", http.StatusTemporaryRedirect, ""},
		{"unclean unknown path", "GET", "/dir/../nothing", http.StatusTemporaryRedirect, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, srv.URL+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want || resp.Header.Get("X-Allow") != tt.allow {
				t.Errorf("%d, allow %q; want %d, allow %q", resp.StatusCode, resp.Header.Get("X-Allow"), tt.want, tt.allow)
			}
		})
	}
}

func TestDecode(t *testing.T) {
	const limit = 64
	type item struct {
		Name  string `json:"name"`
		Count int    `json:"count"`
	}
	// The server answers a refusal with its status and "code: message",
	// and a decoded item with 200 and the item as JSON.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var v item
		if e := httpjson.Decode(w, r, limit, &v); e != nil {
			w.WriteHeader(e.Status)
			_, _ = io.WriteString(w, e.Code+": "+e.Message)
			return
		}
		_ = json.NewEncoder(w).Encode(v)
	}))
	t.Cleanup(srv.Close)

	tests := []struct {
		name, contentType, body string
		want                    int
		answer                  string
	}{
		{"object", "application/json", `{"name":"a","count":2}`, 200, `{"name":"a","count":2}` + "\n"},
		{"with a charset", "application/json; charset=utf-8", `{"name":"a"}`, 200, `{"name":"a","count":0}` + "\n"},
		{"no content type", "", `{"name":"a"}`, 200, `{"name":"a","count":0}` + "\n"},
		{"white space after", "application/json", "{\"name\":\"a\"}\n\n", 200, `{"name":"a","count":0}` + "\n"},
		{"other media type", "text/plain", `{"name":"a"}`, 415,
			`unsupported_media_type: Content-Type "text/plain": want application/json`},
		{"bad content type", ";;", `{"name":"a"}`, 415,
			`unsupported_media_type: Content-Type ";;": want application/json`},
		{"empty", "application/json", "", 400, "bad_request: empty body: want a JSON object"},
		{"unknown field", "application/json", `{"nmae":"a"}`, 400, `bad_request: body: unknown field "nmae"`},
		{"two values", "application/json", `{"name":"a"} {}`, 400, "bad_request: body: data after the JSON value"},
		{"wrong type", "application/json", `{"count":"2"}`, 400,
			"bad_request: body: cannot unmarshal string into Go struct field item.count of type int"},
		{"too large", "application/json", `{"name":"` + strings.Repeat("x", limit) + `"}`, 413,
			"payload_too_large: body over 64 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body := send(t, srv, "POST", "/", tt.contentType, tt.body)
			if status != tt.want || body != tt.answer {
				t.Errorf("%d %q, want %d %q", status, body, tt.want, tt.answer)
			}
		})
	}
}

func TestErrorString(t *testing.T) {
	e := &httpjson.Error{Status: 413, Code: "payload_too_large", Message: "body over 64 bytes"}
	if got, want := e.Error(), "413 payload_too_large: body over 64 bytes"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}
