package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tirevoice/assistant/internal/store"
)

// fuzzAnswer is what the fake Store API answers every request with while
// one fuzz input runs.
type fuzzAnswer struct {
	mode   int // fuzzNormal, ...
	status int
	body   []byte
}

// How the fake answers, bits 4-5 of the fuzz input's op.
const (
	fuzzNormal   = iota // the status and the body
	fuzzRedirect        // the same with a Location header (to itself)
	fuzzRaw             // the body is the whole HTTP response, raw on the socket
	fuzzShort           // the status and a body shorter than its Content-Length
)

// fuzzStore is the fake Store API of the fuzz target: it answers every
// request with the current input and counts the requests.
type fuzzStore struct {
	mu   sync.Mutex
	ans  fuzzAnswer
	hits int
}

func (s *fuzzStore) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	a := s.ans
	s.hits++
	s.mu.Unlock()
	switch a.mode {
	case fuzzRaw:
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(err) // an httptest server over TCP can always hijack
		}
		defer conn.Close()
		_, _ = buf.Write(a.body)
		_ = buf.Flush()
		return
	case fuzzRedirect:
		w.Header().Set("Location", r.URL.String())
	case fuzzShort:
		w.Header().Set("Content-Length", strconv.Itoa(len(a.body)+10))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
}

func (s *fuzzStore) set(a fuzzAnswer) {
	s.mu.Lock()
	s.ans, s.hits = a, 0
	s.mu.Unlock()
}

func (s *fuzzStore) requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits
}

// fuzzMethods are the client's methods, with arguments it accepts; get
// says whether the method is a GET that may be retried.
var fuzzMethods = []struct {
	name string
	get  bool
	call func(ctx context.Context, c *store.Client) (any, error)
}{
	{"Ping", false, func(ctx context.Context, c *store.Client) (any, error) { return nil, c.Ping(ctx) }},
	{"SearchTires", true, func(ctx context.Context, c *store.Client) (any, error) {
		studded := true
		return c.SearchTires(ctx, store.TireQuery{Width: 205, Profile: 55, Rim: 16, Season: store.SeasonWinter, Studded: &studded, InStock: true, Limit: 3})
	}},
	{"Tire", true, func(ctx context.Context, c *store.Client) (any, error) { return c.Tire(ctx, "nokian-hakka-10") }},
	{"Order", true, func(ctx context.Context, c *store.Client) (any, error) { return c.Order(ctx, "100001") }},
	{"OrdersByPhone", true, func(ctx context.Context, c *store.Client) (any, error) { return c.OrdersByPhone(ctx, "+79161234567") }},
	{"CreateOrder", false, func(ctx context.Context, c *store.Client) (any, error) {
		return c.CreateOrder(ctx, store.OrderRequest{TireID: "nokian-hakka-10", Quantity: 4, Phone: "+79161234567", Name: "Иван"})
	}},
	{"Stations", true, func(ctx context.Context, c *store.Client) (any, error) { return c.Stations(ctx, "Казань") }},
	{"Slots", true, func(ctx context.Context, c *store.Client) (any, error) { return c.Slots(ctx, "kzn-1", "2026-01-13") }},
	{"Book", false, func(ctx context.Context, c *store.Client) (any, error) {
		return c.Book(ctx, store.BookingRequest{StationID: "kzn-1", Start: "2026-01-13T10:00", Phone: "+79161234567", Name: "Иван"})
	}},
}

// sentinels are the errors a Client method's error wraps exactly one of
// (ErrOutOfStock is also ErrConflict).
var sentinels = []error{store.ErrUnavailable, store.ErrNotFound, store.ErrConflict, store.ErrInvalid, store.ErrUnauthorized}

// wantSentinel is the sentinel of a plain answer with a final status
// (errors.go): nil for 2xx, which may still be ErrUnavailable when the
// body is not the expected JSON.
func wantSentinel(status int) error {
	switch {
	case status >= 200 && status < 300:
		return nil
	case status == http.StatusNotFound:
		return store.ErrNotFound
	case status == http.StatusConflict:
		return store.ErrConflict
	case status == http.StatusBadRequest, status == http.StatusUnprocessableEntity, status == http.StatusRequestEntityTooLarge:
		return store.ErrInvalid
	case status == http.StatusUnauthorized, status == http.StatusForbidden:
		return store.ErrUnauthorized
	}
	// 5xx, 429, and an answer that is no answer: an unfollowed redirect,
	// a status the API does not use.
	return store.ErrUnavailable
}

// FuzzClient answers every request of one client method with an arbitrary
// status and body, or an arbitrary raw HTTP response. Input: op (bits 0-3
// the method, bits 4-5 how the fake answers), the status (100..999) and
// the body. Invariants: no panic; an error wraps exactly one of the
// package's sentinels, the one of the status for a plain answer; a GET is
// tried again on 5xx and 429 and a POST never; what a method returns
// encodes to JSON that decodes to the same.
func FuzzClient(f *testing.F) {
	fake := &fuzzStore{}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	// One HTTP client for every exec: each new client would open a new
	// connection.
	hc := &http.Client{Transport: srv.Client().Transport}

	f.Add(byte(1), uint16(100), []byte(`{"items":[{"id":"t1","brand":"Nokian","price":5400,"studded":true}],"total":1}`))
	f.Add(byte(3), uint16(100), []byte(`{"id":"100001","status":"shipped","total":21600,"delivery":{"expected_date":"2026-01-15"},"created_at":"2026-01-10T10:00:00+03:00"}`))
	f.Add(byte(7), uint16(100), []byte(`{"station_id":"kzn-1","date":"2026-01-13","slots":[{"start":"2026-01-13T10:00:00+03:00","end":"2026-01-13T11:00:00+03:00"}]}`))
	f.Add(byte(2), uint16(304), []byte(`{"status":404,"error":"not_found","message":"no tire"}`))
	f.Add(byte(5), uint16(309), []byte(`{"status":409,"error":"insufficient_stock","message":"only 2"}`))
	f.Add(byte(8), uint16(322), []byte(`{"status":422,"error":"invalid","message":"in the past"}`))
	f.Add(byte(4), uint16(403), []byte(`<html>bad gateway</html>`))
	f.Add(byte(6), uint16(329), []byte{})
	f.Add(byte(0), uint16(318), []byte(`{"error":""}`))
	f.Add(byte(1), uint16(200), []byte{})
	f.Add(byte(0x10|2), uint16(202), []byte{})
	f.Add(byte(0x20|3), uint16(100), []byte("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n{\"id\""))
	f.Add(byte(0x20|4), uint16(100), []byte("HTTP/1.1 007 Bond\r\nContent-Length: 2\r\n\r\n{}"))
	f.Add(byte(0x20), uint16(100), []byte("garbage\r\n\r\n"))
	f.Add(byte(0x30|1), uint16(100), []byte(`{"items":[`))
	f.Fuzz(func(t *testing.T, op byte, status uint16, body []byte) {
		m := fuzzMethods[int(op&0x0f)%len(fuzzMethods)]
		a := fuzzAnswer{mode: int(op>>4) & 3, status: 100 + int(status)%900, body: body}
		fake.set(a)
		c, err := store.New(store.Config{BaseURL: srv.URL, Token: "fuzz", Timeout: 5 * time.Second, MaxAttempts: 2, Backoff: time.Microsecond, HTTPClient: hc})
		if err != nil {
			t.Fatal(err)
		}
		out, err := m.call(context.Background(), c)
		desc := fmt.Sprintf("%s answered %+v", m.name, a)

		if err != nil {
			var matched []error
			for _, s := range sentinels {
				if errors.Is(err, s) {
					matched = append(matched, s)
				}
			}
			if len(matched) != 1 {
				t.Fatalf("%s: error %q wraps %d sentinels: %v", desc, err, len(matched), matched)
			}
			if errors.Is(err, store.ErrOutOfStock) && !errors.Is(err, store.ErrConflict) {
				t.Fatalf("%s: out of stock but not a conflict: %v", desc, err)
			}
		}
		// Informational statuses other than 101 precede the final 200.
		final := a.status
		if final < 200 && final != http.StatusSwitchingProtocols {
			final = http.StatusOK
		}
		if a.mode == fuzzNormal {
			want := wantSentinel(final)
			switch {
			case want == nil && err != nil && !errors.Is(err, store.ErrUnavailable),
				want != nil && !errors.Is(err, want):
				t.Fatalf("%s: error %v, want %v", desc, err, want)
			}
			tries := 1
			if m.get && (final >= 500 || final == http.StatusTooManyRequests) {
				tries = 2
			}
			if n := fake.requests(); n != tries {
				t.Fatalf("%s: %d requests, want %d", desc, n, tries)
			}
		}
		if !m.get && fake.requests() > 1 && (a.mode == fuzzNormal || a.mode == fuzzShort) {
			t.Fatalf("%s: a request that may not be repeated was sent %d times", desc, fake.requests())
		}

		if err == nil && out != nil {
			// Encoding what was decoded is a fixed point: the same bytes
			// after another decode (times compare as instants, not by zone).
			once, merr := json.Marshal(out)
			if merr != nil {
				t.Fatalf("%s: decoded %+v does not encode: %v", desc, out, merr)
			}
			back := reflect.New(reflect.TypeOf(out))
			if uerr := json.Unmarshal(once, back.Interface()); uerr != nil {
				t.Fatalf("%s: decoded %+v, encoded %s, which does not decode: %v", desc, out, once, uerr)
			}
			if twice, _ := json.Marshal(back.Elem().Interface()); !bytes.Equal(once, twice) {
				t.Fatalf("%s: decoded %+v, encoded %s, then %s", desc, out, once, twice)
			}
		}
	})
}
