package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tirevoice/assistant/internal/api"
	"github.com/tirevoice/assistant/internal/call"
	"github.com/tirevoice/assistant/internal/kb"
	"github.com/tirevoice/assistant/internal/live"
	"github.com/tirevoice/assistant/internal/memstore"
	"github.com/tirevoice/assistant/internal/operators"
)

// These targets send arbitrary request bodies, paths and queries to the
// real handler over fresh in-memory stores, through an httptest recorder
// (no network: thousands of requests a second). Whatever a client sends,
// the server answers 2xx, 3xx or 4xx, never 5xx (the stores never fail
// here), never panics, and every JSON error body is the API's
// {status, error, message}.

const fuzzToken = "fuzz-token"

// fuzzCallID is registered in every fuzz server's live store and has
// ended with a "what next" answer.
const fuzzCallID = "6ba7b810-9dad-11d1-80b4-00c04fd430c8"

// fuzzServer is one server over fresh stores.
type fuzzServer struct {
	h     http.Handler
	live  *live.Memory
	kb    *kb.MemoryStore
	ops   *operators.Memory
	calls *memstore.Calls
}

// fuzzCallStarted is when the oldest of the stored calls started; the
// others follow an hour apart.
var fuzzCallStarted = time.Date(2026, 1, 13, 10, 0, 0, 0, time.UTC)

func newFuzzServer(t *testing.T) *fuzzServer {
	ctx := context.Background()
	s := &fuzzServer{
		live: live.NewMemory(live.MemoryOptions{}),
		kb: kb.NewMemoryStore([]kb.Article{
			{ID: 1, Slug: "pickup", Title: "Самовывоз", Body: "Забрать заказ можно в любом пункте.", Answer: "Заказ можно забрать в любом пункте выдачи.", Tags: []string{"самовывоз"}},
			{ID: 2, Slug: "warranty", Title: "Гарантия", Body: "Гарантия на шины пять лет.", Answer: "Гарантия на шины пять лет.", Tags: []string{"гарантия", "возврат"}},
		}),
		ops: operators.NewMemory(
			operators.Operator{ID: 1, Name: "Ольга", Extension: "101", Skills: []string{"tires"}, Active: true},
			operators.Operator{ID: 2, Name: "Павел", Extension: "102", Active: false},
		),
		calls: memstore.NewCalls(50),
	}
	if err := s.live.Register(ctx, live.Registration{ID: fuzzCallID, Caller: "+79161234567", At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := s.live.End(ctx, fuzzCallID, live.Next{Action: live.ActionOperator, Reason: "caller asked\nfor a human", Operator: "101"}); err != nil {
		t.Fatal(err)
	}
	outcomes := []string{"completed", "operator", "caller_hangup", "no_input", "error"}
	for i := range 6 {
		rec := &call.Record{
			ID:          uuid.NewSHA1(uuid.Nil, []byte{byte(i)}).String(),
			Caller:      []string{"+79161234567", "", "84951234567"}[i%3],
			Started:     fuzzCallStarted.Add(time.Duration(i) * time.Hour),
			Outcome:     outcomes[i%len(outcomes)],
			Disposition: []call.Disposition{call.DispositionHangup, call.DispositionOperator}[i%2],
		}
		rec.Ended = rec.Started.Add(time.Minute)
		if err := s.calls.SaveCall(ctx, rec); err != nil {
			t.Fatal(err)
		}
	}
	s.h = api.NewServer(api.Deps{
		Gatherer:  prometheus.NewRegistry(),
		APIToken:  fuzzToken,
		Calls:     s.calls,
		KB:        s.kb,
		Operators: s.ops,
		Live:      s.live,
	})
	return s
}

// answer is the server's response.
type answer struct {
	query  string // the query the server saw: a fragment is not sent
	code   int
	header http.Header
	body   []byte
}

// do sends one request from loopback (the dialplan's network) with the
// token. It returns false when target is not a request a client could
// send at all.
func (s *fuzzServer) do(t *testing.T, method, target, ctype string, body []byte) (answer, bool) {
	req, err := http.NewRequest(method, "http://call-processor"+target, bytes.NewReader(body))
	if err != nil {
		return answer{}, false
	}
	req.RemoteAddr = "127.0.0.1:40000"
	req.Header.Set("Authorization", "Bearer "+fuzzToken)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	w := httptest.NewRecorder()
	s.h.ServeHTTP(w, req)
	a := answer{query: req.URL.RawQuery, code: w.Code, header: w.Result().Header, body: w.Body.Bytes()}
	if a.code >= 500 {
		t.Fatalf("%s %s: %d: %s", method, target, a.code, a.body)
	}
	if a.code >= 400 && strings.HasPrefix(a.header.Get("Content-Type"), "application/json") {
		var e struct {
			Status  int    `json:"status"`
			Error   string `json:"error"`
			Message string `json:"message"`
		}
		if err := strictJSON(a.body, &e); err != nil || e.Status != a.code || e.Error == "" || e.Message == "" {
			t.Fatalf("%s %s: error answer %d is not {status, error, message}: %s", method, target, a.code, a.body)
		}
	}
	return a, true
}

// get sends GET target and decodes a 200 answer into v, strictly. It
// returns false when the server refused the request with 400, or it
// could not be sent at all, and fails t on any other status.
func (s *fuzzServer) get(t *testing.T, target string, v any) (answer, bool) {
	a, ok := s.do(t, http.MethodGet, target, "", nil)
	if !ok || a.code == http.StatusBadRequest {
		return a, false
	}
	if a.code != http.StatusOK {
		t.Fatalf("GET %s: status %d: %s", target, a.code, a.body)
	}
	if err := strictJSON(a.body, v); err != nil {
		t.Fatalf("GET %s: 200 with %s: %v", target, a.body, err)
	}
	return a, true
}

// readBack fails t unless GET target answers 200 with wrote, what a
// write answered.
func readBack[V any](t *testing.T, s *fuzzServer, target string, wrote V) {
	r, _ := s.do(t, http.MethodGet, target, "", nil)
	var back V
	if err := strictJSON(r.body, &back); r.code != http.StatusOK || err != nil || !reflect.DeepEqual(back, wrote) {
		t.Fatalf("wrote %+v, read back %d %s", wrote, r.code, r.body)
	}
}

// strictJSON decodes one JSON value into v, refusing unknown fields.
func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return io.ErrUnexpectedEOF
	}
	return nil
}

// fuzzContentTypes are what a fuzz input's content type byte picks.
var fuzzContentTypes = []string{
	"application/json",
	"application/x-www-form-urlencoded",
	"",
	"application/json; charset=utf-8",
	"application/x-www-form-urlencoded; charset=utf-8",
	"text/plain",
	"multipart/form-data; boundary=x",
	"application/json; =",
}

func contentType(b byte) string { return fuzzContentTypes[int(b)%len(fuzzContentTypes)] }

// FuzzRegisterCall posts an arbitrary body, as a form or JSON, to the
// dialplan's registration. Invariants: 201, 400, 413 or 415, never 5xx; a
// registration that is accepted is stored as sent (a withheld number as
// ""), and posting it again as a form gives the same registration.
func FuzzRegisterCall(f *testing.F) {
	f.Add(byte(1), []byte("uuid="+fuzzCallID+"&caller=%2B79161234567&called=100"))
	f.Add(byte(1), []byte("uuid=6BA7B810-9DAD-11D1-80B4-00C04FD430C8&caller=anonymous"))
	f.Add(byte(0), []byte(`{"uuid":"`+fuzzCallID+`","caller":"+79161234567","called":"100"}`))
	f.Add(byte(2), []byte(`{"uuid":"`+fuzzCallID+`"}`))
	f.Add(byte(1), []byte("uuid=x&uuid=y&other=1;%zz"))
	f.Add(byte(0), []byte(`{"uuid":"`+fuzzCallID+`","extra":1} {}`))
	f.Fuzz(func(t *testing.T, ct byte, body []byte) {
		s := newFuzzServer(t)
		a, _ := s.do(t, http.MethodPost, "/api/v1/calls", contentType(ct), body)
		switch a.code {
		case http.StatusCreated:
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType:
			return
		default:
			t.Fatalf("status %d: %s", a.code, a.body)
		}
		var reg api.Registered
		if err := strictJSON(a.body, &reg); err != nil || reg.Status != "registered" {
			t.Fatalf("201 with %s: %v", a.body, err)
		}
		if id, err := uuid.Parse(reg.ID); err != nil || id.String() != reg.ID {
			t.Fatalf("registered id %q is not a canonical UUID", reg.ID)
		}
		got, err := s.live.Registration(context.Background(), reg.ID)
		if err != nil {
			t.Fatalf("registered %s, not in the store: %v", reg.ID, err)
		}
		var sent api.RegisterRequest
		if mt := contentType(ct); strings.HasPrefix(mt, "application/x-www-form-urlencoded") {
			form, err := url.ParseQuery(string(body))
			if err != nil {
				t.Fatalf("a form that does not parse was accepted: %q", body)
			}
			sent = api.RegisterRequest{UUID: form.Get("uuid"), Caller: form.Get("caller"), Called: form.Get("called")}
		} else if err := json.Unmarshal(body, &sent); err != nil {
			t.Fatalf("a JSON body that does not parse was accepted: %q", body)
		}
		withheld := func(n string) string {
			if strings.EqualFold(n, "anonymous") {
				return ""
			}
			return n
		}
		if !strings.EqualFold(sent.UUID, got.ID) || withheld(sent.Caller) != got.Caller || withheld(sent.Called) != got.Called {
			t.Fatalf("sent %+v, stored %+v", sent, got)
		}

		again := url.Values{"uuid": {got.ID}, "caller": {got.Caller}, "called": {got.Called}}
		if b, _ := s.do(t, http.MethodPost, "/api/v1/calls", "application/x-www-form-urlencoded", []byte(again.Encode())); b.code != http.StatusCreated {
			t.Fatalf("the stored registration %+v posted again: %d %s", got, b.code, b.body)
		}
		if back, err := s.live.Registration(context.Background(), got.ID); err != nil || back.Caller != got.Caller || back.Called != got.Called {
			t.Fatalf("registered %+v again, stored %+v (%v)", got, back, err)
		}
	})
}

// FuzzNext asks the dialplan's "what next" with an arbitrary call id and
// query. Invariants: never 5xx; a plain-text answer is one line (?field=)
// or three, each ending in a newline and free of control characters, the
// first of three an action the dialplan knows; the ended call answers 200
// with its stored answer.
func FuzzNext(f *testing.F) {
	f.Add(fuzzCallID, "")
	f.Add(strings.ToUpper(fuzzCallID), "field=reason")
	f.Add(fuzzCallID, "field=action&field=reason")
	f.Add("00000000-0000-0000-0000-000000000001", "field=operator")
	f.Add("not-a-uuid", "field=x")
	f.Add("..", "%zz")
	f.Fuzz(func(t *testing.T, id, query string) {
		s := newFuzzServer(t)
		a, ok := s.do(t, http.MethodGet, "/api/v1/calls/"+url.PathEscape(id)+"/next?"+query, "", nil)
		if !ok || !strings.HasPrefix(a.header.Get("Content-Type"), "text/plain") {
			return // the router's own answers: redirects, 404 in JSON
		}
		switch a.code {
		case http.StatusOK, http.StatusBadRequest, http.StatusNotFound:
		default:
			t.Fatalf("status %d: %q", a.code, a.body)
		}
		body := string(a.body)
		if !strings.HasSuffix(body, "\n") {
			t.Fatalf("answer %q does not end in a newline", body)
		}
		lines := strings.Split(strings.TrimSuffix(body, "\n"), "\n")
		for _, l := range lines {
			if strings.ContainsFunc(l, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				t.Fatalf("line %q has a control character", l)
			}
		}
		switch {
		case len(lines) == 4 && (lines[0] == live.ActionHangup || lines[0] == live.ActionOperator):
		case len(lines) == 1:
		default:
			t.Fatalf("answer %q", body)
		}
		q, err := url.ParseQuery(a.query)
		if a.code == http.StatusOK && (err != nil || len(q) > 1 || len(q["field"]) > 1) {
			t.Fatalf("200 for query %q", query)
		}
		canon, uerr := uuid.Parse(id)
		if uerr == nil && len(id) == 36 && canon.String() == fuzzCallID && err == nil && len(q) == 0 && a.code != http.StatusOK {
			t.Fatalf("the ended call answered %d: %q", a.code, body)
		}
	})
}

// FuzzListCalls lists the finished calls with an arbitrary query.
// Invariants: 200 or 400, never 5xx; a page is within the limits it
// reports, newest first, and every call on it matches every filter of the
// query.
func FuzzListCalls(f *testing.F) {
	f.Add("")
	f.Add("outcome=completed&limit=2&offset=1")
	f.Add("since=2026-01-13T11:00:00Z&until=2026-01-13T14:00:00%2B01:00")
	f.Add("disposition=operator&caller=%2B79161234567")
	f.Add("limit=0&offset=-1")
	f.Add("since=2026-01-13T12:00:00Z&until=2026-01-13T12:00:00Z")
	f.Add("caller=&outcome=&limit=500")
	f.Add("x=1&limit=1&limit=2")
	f.Fuzz(func(t *testing.T, query string) {
		s := newFuzzServer(t)
		var page api.CallList
		a, ok := s.get(t, "/api/v1/calls?"+query, &page)
		if !ok {
			return
		}
		if page.Limit < 1 || page.Limit > call.MaxListLimit || page.Offset < 0 || len(page.Calls) > page.Limit || page.Total < len(page.Calls) {
			t.Fatalf("page of %d calls, total %d, limit %d, offset %d", len(page.Calls), page.Total, page.Limit, page.Offset)
		}
		q, err := url.ParseQuery(a.query)
		if err != nil {
			t.Fatalf("200 for a query that does not parse: %q", a.query)
		}
		since, _ := time.Parse(time.RFC3339, q.Get("since"))
		until, _ := time.Parse(time.RFC3339, q.Get("until"))
		for i, c := range page.Calls {
			switch {
			case q.Get("outcome") != "" && c.Outcome != q.Get("outcome"),
				q.Get("disposition") != "" && c.Disposition != q.Get("disposition"),
				q.Get("caller") != "" && c.Caller != q.Get("caller"),
				!since.IsZero() && c.Started.Before(since),
				!until.IsZero() && !c.Started.Before(until):
				t.Fatalf("query %q listed %+v", a.query, c)
			}
			if i > 0 && c.Started.After(page.Calls[i-1].Started) {
				t.Fatalf("call %d started after the one before it", i)
			}
		}
	})
}

// FuzzArticleWrite creates (POST) or replaces (PUT, id from the input) a
// knowledge-base article from an arbitrary body. Invariants: never 5xx;
// a write that succeeds answers the article as sent, which reads back
// the same and is in the list.
func FuzzArticleWrite(f *testing.F) {
	good := `{"slug":"winter-tires","title":"Зимние шины","body":"Шипы и липучки.","answer":"Есть шипованные и нешипованные.","tags":["зима"]}`
	f.Add(false, "", byte(0), []byte(good))
	f.Add(true, "2", byte(0), []byte(good))
	f.Add(true, "9", byte(0), []byte(good))
	f.Add(false, "", byte(0), []byte(`{"slug":"pickup","title":"t","body":"b","answer":"a","tags":["x"]}`))
	f.Add(true, "1", byte(3), []byte(`{"slug":"Bad Slug","title":"","body":"","answer":"http://x","tags":[]}`))
	f.Add(false, "", byte(5), []byte(good))
	f.Add(true, "-1", byte(0), []byte(`{"slug":"a","id":3}`))
	f.Fuzz(func(t *testing.T, put bool, id string, ct byte, body []byte) {
		s := newFuzzServer(t)
		method, target, created := http.MethodPost, "/api/v1/kb/articles", http.StatusCreated
		if put {
			method, target, created = http.MethodPut, "/api/v1/kb/articles/"+url.PathEscape(id), http.StatusOK
		}
		a, ok := s.do(t, method, target, contentType(ct), body)
		if !ok || a.code != created || !strings.HasPrefix(a.header.Get("Content-Type"), "application/json") {
			return
		}
		var got api.ArticleView
		if err := strictJSON(a.body, &got); err != nil {
			t.Fatalf("%d with %s: %v", a.code, a.body, err)
		}
		var sent api.ArticleInput
		if err := json.Unmarshal(body, &sent); err != nil {
			t.Fatalf("a body that does not parse was accepted: %q", body)
		}
		if sent.Tags == nil {
			sent.Tags = []string{}
		}
		if want := (api.ArticleView{ID: got.ID, Slug: sent.Slug, Title: sent.Title, Body: sent.Body, Answer: sent.Answer, Tags: sent.Tags}); !reflect.DeepEqual(got, want) {
			t.Fatalf("sent %+v, the answer is %+v", sent, got)
		}
		if err := kb.Validate(kb.Article{ID: got.ID, Slug: got.Slug, Title: got.Title, Body: got.Body, Answer: got.Answer, Tags: got.Tags}); err != nil {
			t.Fatalf("stored an invalid article: %v", err)
		}
		readBack(t, s, "/api/v1/kb/articles/"+strconv.Itoa(got.ID), got)
		l, _ := s.do(t, http.MethodGet, "/api/v1/kb/articles", "", nil)
		var list api.ArticleList
		if err := strictJSON(l.body, &list); err != nil || !slices.ContainsFunc(list.Articles, func(v api.ArticleView) bool { return reflect.DeepEqual(v, got) }) {
			t.Fatalf("wrote %+v, the list is %s", got, l.body)
		}
	})
}

// FuzzSearchKB searches the knowledge base with an arbitrary query.
// Invariants: 200 or 400, never 5xx; at most limit hits, best first, each
// an article of the store with a finite positive score.
func FuzzSearchKB(f *testing.F) {
	f.Add("q=гарантия")
	f.Add("q=самовывоз+заказ&limit=1")
	f.Add("q=%FF%FE&limit=50")
	f.Add("q=&limit=0")
	f.Add("q=" + strings.Repeat("а", 501))
	f.Fuzz(func(t *testing.T, query string) {
		s := newFuzzServer(t)
		var res api.SearchResult
		a, ok := s.get(t, "/api/v1/kb/search?"+query, &res)
		if !ok {
			return
		}
		limit := 5
		if q, err := url.ParseQuery(a.query); err == nil && q.Get("limit") != "" {
			limit, _ = strconv.Atoi(q.Get("limit"))
		}
		if len(res.Hits) > limit {
			t.Fatalf("%d hits, limit %d", len(res.Hits), limit)
		}
		for i, h := range res.Hits {
			if !(h.Score > 0) || h.Score > 1e300 || i > 0 && h.Score > res.Hits[i-1].Score {
				t.Fatalf("hit %d of %d has score %v", i, len(res.Hits), h.Score)
			}
			if _, err := s.kb.Article(context.Background(), h.ID); err != nil {
				t.Fatalf("hit %d is article %d, not in the store", i, h.ID)
			}
		}
	})
}

// FuzzOperatorWrite creates (POST) or replaces (PUT, id from the input) an
// operator from an arbitrary body, then lists the operators with an
// arbitrary "active" filter. Invariants: never 5xx; a write that succeeds
// answers the operator as sent, which reads back the same; the list
// answers 200 or 400 and, filtered on active, holds only active operators.
func FuzzOperatorWrite(f *testing.F) {
	good := `{"name":"Ирина","extension":"103","skills":["orders"],"active":true}`
	f.Add(false, "", byte(0), []byte(good), "true")
	f.Add(true, "2", byte(0), []byte(good), "false")
	f.Add(true, "7", byte(0), []byte(good), "1")
	f.Add(false, "", byte(0), []byte(`{"name":" ","extension":"1 2","skills":["Bad"]}`), "yes")
	f.Add(false, "", byte(5), []byte(good), "")
	f.Add(true, "0x1", byte(0), []byte(`{"name":"a","extension":"1","id":4}`), "T")
	f.Fuzz(func(t *testing.T, put bool, id string, ct byte, body []byte, active string) {
		s := newFuzzServer(t)
		method, target, created := http.MethodPost, "/api/v1/operators", http.StatusCreated
		if put {
			method, target, created = http.MethodPut, "/api/v1/operators/"+url.PathEscape(id), http.StatusOK
		}
		a, ok := s.do(t, method, target, contentType(ct), body)
		if ok && a.code == created && strings.HasPrefix(a.header.Get("Content-Type"), "application/json") {
			var got api.OperatorView
			if err := strictJSON(a.body, &got); err != nil {
				t.Fatalf("%d with %s: %v", a.code, a.body, err)
			}
			var sent api.OperatorInput
			if err := json.Unmarshal(body, &sent); err != nil {
				t.Fatalf("a body that does not parse was accepted: %q", body)
			}
			if sent.Skills == nil {
				sent.Skills = []string{}
			}
			if want := (api.OperatorView{ID: got.ID, Name: sent.Name, Extension: sent.Extension, Skills: sent.Skills, Active: sent.Active}); !reflect.DeepEqual(got, want) {
				t.Fatalf("sent %+v, the answer is %+v", sent, got)
			}
			readBack(t, s, "/api/v1/operators/"+strconv.Itoa(got.ID), got)
		}

		l, ok := s.do(t, http.MethodGet, "/api/v1/operators?active="+url.QueryEscape(active), "", nil)
		if !ok {
			return
		}
		activeOnly, perr := strconv.ParseBool(active)
		switch {
		case active != "" && perr != nil && l.code == http.StatusBadRequest:
			return
		case (active == "" || perr == nil) && l.code == http.StatusOK:
		default:
			t.Fatalf("active=%q: %d %s", active, l.code, l.body)
		}
		var list api.OperatorList
		if err := strictJSON(l.body, &list); err != nil {
			t.Fatalf("200 with %s: %v", l.body, err)
		}
		for _, o := range list.Operators {
			if activeOnly && !o.Active {
				t.Fatalf("active=%q listed %+v", active, o)
			}
		}
	})
}
