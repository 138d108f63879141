package store_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tirevoice/assistant/internal/store"
	"github.com/tirevoice/assistant/internal/storemock"
)

const token = "test-token"

// mockNow is the fixtures' as_of day, Monday 2026-01-12, 08:00 in Moscow:
// tomorrow's msk-1 bookings are 11:00, 12:00 and 13:00.
var mockNow = time.Date(2026, 1, 12, 8, 0, 0, 0, time.FixedZone("MSK", 3*3600))

// flaky wraps the mock: the first fail requests get status instead of
// reaching it; it counts every request.
type flaky struct {
	next   http.Handler
	fail   atomic.Int32
	status int
	hits   atomic.Int32
}

func (f *flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.hits.Add(1)
	if f.fail.Add(-1) >= 0 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(f.status)
		w.Write([]byte(`{"status":503,"error":"unavailable","message":"try later"}`))
		return
	}
	f.next.ServeHTTP(w, r)
}

// startMock runs the Store API mock on loopback behind a flaky wrapper
// that lets everything through until told otherwise.
func startMock(t *testing.T) (*httptest.Server, *flaky) {
	t.Helper()
	d, err := storemock.Fixtures()
	if err != nil {
		t.Fatal(err)
	}
	f := &flaky{status: http.StatusServiceUnavailable, next: storemock.NewServer(storemock.Deps{
		Token: token, AdminToken: "admin-" + token, Data: d,
		Now: func() time.Time { return mockNow },
	})}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return srv, f
}

// fakeClock is the breaker's clock in tests.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newClient(t *testing.T, url string, change func(*store.Config)) *store.Client {
	t.Helper()
	cfg := store.Config{BaseURL: url, Token: token, Backoff: time.Millisecond, Timeout: 5 * time.Second}
	if change != nil {
		change(&cfg)
	}
	c, err := store.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNewRefusesBadConfig(t *testing.T) {
	for _, cfg := range []store.Config{
		{BaseURL: "", Token: "x"},
		{BaseURL: "localhost:8081", Token: "x"},
		{BaseURL: "ftp://localhost", Token: "x"},
		{BaseURL: "http://localhost:8081"},
	} {
		if _, err := store.New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
}

func TestClientMethods(t *testing.T) {
	srv, _ := startMock(t)
	c := newClient(t, srv.URL+"/", nil) // a trailing slash is fine
	ctx := context.Background()
	yes := true
	tests := []struct {
		name    string
		call    func() error
		wantErr error
	}{
		{"ping", func() error { return c.Ping(ctx) }, nil},
		{"search", func() error {
			r, err := c.SearchTires(ctx, store.TireQuery{Width: 205, Profile: 55, Rim: 16, Season: store.SeasonWinter, Studded: &yes, Limit: 3})
			if err == nil && (len(r.Items) == 0 || r.Items[0].Size() != "205/55 R16" || !r.Items[0].Studded) {
				t.Errorf("%+v", r)
			}
			return err
		}, nil},
		{"search every filter", func() error {
			r, err := c.SearchTires(ctx, store.TireQuery{Brand: "michelin", MaxPrice: 30000, InStock: true, Season: store.SeasonSummer})
			for _, x := range r.Items {
				if x.Brand != "Michelin" || x.Price > 30000 || x.Stock == 0 {
					t.Errorf("%+v", x)
				}
			}
			return err
		}, nil},
		{"search, bad value", func() error { _, err := c.SearchTires(ctx, store.TireQuery{Width: 5}); return err }, store.ErrInvalid},
		{"tire", func() error {
			x, err := c.Tire(ctx, "T0001")
			if err == nil && x.ID != "T0001" {
				t.Errorf("%+v", x)
			}
			return err
		}, nil},
		{"tire, unknown", func() error { _, err := c.Tire(ctx, "T9999"); return err }, store.ErrNotFound},
		{"tire, empty id", func() error { _, err := c.Tire(ctx, " "); return err }, store.ErrInvalid},
		{"tire, id that needs escaping", func() error { _, err := c.Tire(ctx, "a/b?c"); return err }, store.ErrNotFound},
		{"order", func() error {
			o, err := c.Order(ctx, "100001")
			if err == nil && o.ID != "100001" {
				t.Errorf("%+v", o)
			}
			return err
		}, nil},
		{"order, unknown", func() error { _, err := c.Order(ctx, "1"); return err }, store.ErrNotFound},
		{"orders by phone", func() error {
			os, err := c.OrdersByPhone(ctx, "8 (916) 123-45-67")
			if err == nil && len(os) < 2 {
				t.Errorf("%d orders", len(os))
			}
			return err
		}, nil},
		{"orders by phone, none", func() error {
			os, err := c.OrdersByPhone(ctx, "+79990000000")
			if err == nil && (os == nil || len(os) != 0) {
				t.Errorf("%#v", os)
			}
			return err
		}, nil},
		{"orders by phone, not a phone", func() error { _, err := c.OrdersByPhone(ctx, "hello"); return err }, store.ErrInvalid},
		{"create order", func() error {
			o, err := c.CreateOrder(ctx, store.OrderRequest{TireID: "T0001", Quantity: 4, Phone: "89161112233", Name: "Иван", StationID: "msk-2"})
			if err == nil && (o.Status != store.OrderNew || o.Phone != "+79161112233" || o.Delivery.StationID != "msk-2") {
				t.Errorf("%+v", o)
			}
			return err
		}, nil},
		{"create order, too many", func() error {
			if _, err := c.CreateOrder(ctx, store.OrderRequest{TireID: "T0001", Quantity: 20, Phone: "89161112233", Name: "Иван"}); err != nil {
				t.Fatal(err) // 36 in stock: 20 fit once, not twice
			}
			_, err := c.CreateOrder(ctx, store.OrderRequest{TireID: "T0001", Quantity: 20, Phone: "89161112233", Name: "Иван"})
			if !errors.Is(err, store.ErrConflict) {
				t.Errorf("out of stock is not ErrConflict: %v", err)
			}
			return err
		}, store.ErrOutOfStock},
		{"stations", func() error {
			s, err := c.Stations(ctx, "")
			if err == nil && len(s) != 10 {
				t.Errorf("%d stations", len(s))
			}
			return err
		}, nil},
		{"stations in a city", func() error {
			s, err := c.Stations(ctx, "москва")
			if err == nil && len(s) != 3 {
				t.Errorf("%d stations", len(s))
			}
			return err
		}, nil},
		{"slots", func() error {
			s, err := c.Slots(ctx, "msk-1", "2026-01-13")
			if err == nil && (len(s.Slots) != 9 || s.Slots[2].Start.Hour() != 14) {
				t.Errorf("%+v", s)
			}
			return err
		}, nil},
		{"slots, unknown station", func() error { _, err := c.Slots(ctx, "zzz", "2026-01-13"); return err }, store.ErrNotFound},
		{"slots, bad date", func() error { _, err := c.Slots(ctx, "msk-1", "завтра"); return err }, store.ErrInvalid},
		{"book", func() error {
			b, err := c.Book(ctx, store.BookingRequest{StationID: "msk-1", Start: "2026-01-13T14:00", Phone: "+79161112233", Name: "Иван", Note: "Kia Rio"})
			if err == nil && (b.ID == "" || b.Start.Hour() != 14) {
				t.Errorf("%+v", b)
			}
			return err
		}, nil},
		{"book, taken", func() error {
			_, err := c.Book(ctx, store.BookingRequest{StationID: "msk-1", Start: "2026-01-13T11:00", Phone: "+79161112233", Name: "Иван"})
			var apiErr *store.APIError
			if !errors.As(err, &apiErr) || apiErr.Code != store.CodeSlotTaken {
				t.Errorf("not slot_taken: %v", err)
			}
			return err
		}, store.ErrConflict},
		{"book, in the past", func() error {
			_, err := c.Book(ctx, store.BookingRequest{StationID: "msk-1", Start: "2026-01-10T11:00", Phone: "+79161112233", Name: "Иван"})
			return err
		}, store.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if (tt.wantErr == nil && err != nil) || !errors.Is(err, tt.wantErr) {
				t.Fatalf("got %v, want %v", err, tt.wantErr)
			}
		})
	}
	if got := c.Breaker(); got != store.BreakerClosed {
		t.Errorf("breaker %v after answers that were not failures", got)
	}
}

func TestWrongToken(t *testing.T) {
	srv, _ := startMock(t)
	c := newClient(t, srv.URL, func(c *store.Config) { c.Token = "wrong" })
	if _, err := c.Tire(context.Background(), "T0001"); !errors.Is(err, store.ErrUnauthorized) {
		t.Fatalf("got %v, want ErrUnauthorized", err)
	}
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name     string
		fail     int32
		status   int
		call     func(c *store.Client) error
		wantHits int32
		wantErr  error
	}{
		{"GET retried after a 503, then succeeds", 2, 503, func(c *store.Client) error { _, err := c.Tire(context.Background(), "T0001"); return err }, 3, nil},
		{"GET retried after a 429", 1, 429, func(c *store.Client) error { _, err := c.Stations(context.Background(), ""); return err }, 2, nil},
		{"GET gives up after MaxAttempts", 10, 502, func(c *store.Client) error { _, err := c.Tire(context.Background(), "T0001"); return err }, 3, store.ErrUnavailable},
		{"GET not retried on a 404", 0, 503, func(c *store.Client) error { _, err := c.Tire(context.Background(), "nope"); return err }, 1, store.ErrNotFound},
		{"GET not retried on a 400", 0, 503, func(c *store.Client) error { _, err := c.OrdersByPhone(context.Background(), "x"); return err }, 1, store.ErrInvalid},
		{"POST order not retried", 1, 503, func(c *store.Client) error {
			_, err := c.CreateOrder(context.Background(), store.OrderRequest{TireID: "T0001", Quantity: 1, Phone: "+79161112233", Name: "Иван"})
			return err
		}, 1, store.ErrUnavailable},
		{"POST booking not retried", 1, 500, func(c *store.Client) error {
			_, err := c.Book(context.Background(), store.BookingRequest{StationID: "msk-1", Start: "2026-01-13T15:00", Phone: "+79161112233", Name: "Иван"})
			return err
		}, 1, store.ErrUnavailable},
		{"Ping not retried", 1, 503, func(c *store.Client) error { return c.Ping(context.Background()) }, 1, store.ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, f := startMock(t)
			f.fail.Store(tt.fail)
			f.status = tt.status
			c := newClient(t, srv.URL, nil)
			err := tt.call(c)
			if (tt.wantErr == nil && err != nil) || !errors.Is(err, tt.wantErr) {
				t.Fatalf("got %v, want %v", err, tt.wantErr)
			}
			if got := f.hits.Load(); got != tt.wantHits {
				t.Errorf("%d requests reached the server, want %d", got, tt.wantHits)
			}
		})
	}
}

func TestBreaker(t *testing.T) {
	srv, f := startMock(t)
	clock := &fakeClock{now: time.Unix(1_000_000, 0)}
	c := newClient(t, srv.URL, func(c *store.Config) {
		c.MaxAttempts, c.FailureThreshold, c.Cooldown, c.Now = 1, 3, time.Minute, clock.Now
	})
	ctx := context.Background()
	get := func() error { _, err := c.Tire(ctx, "T0001"); return err }
	f.fail.Store(1000)

	for i := range 3 {
		if c.Breaker() != store.BreakerClosed {
			t.Fatalf("breaker %v after %d failures", c.Breaker(), i)
		}
		if err := get(); !errors.Is(err, store.ErrUnavailable) {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	if c.Breaker() != store.BreakerOpen {
		t.Fatalf("breaker %v after 3 failures, want open", c.Breaker())
	}
	hits := f.hits.Load()
	if err := get(); !errors.Is(err, store.ErrUnavailable) || !strings.Contains(err.Error(), "breaker open") {
		t.Fatalf("open breaker: %v", err)
	}
	if err := c.Ping(ctx); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("Ping with an open breaker: %v", err)
	}
	if f.hits.Load() != hits {
		t.Fatal("an open breaker let a request through")
	}

	// After the cool-down one trial goes; its failure opens the breaker again.
	clock.Advance(time.Minute)
	if c.Breaker() != store.BreakerHalfOpen {
		t.Fatalf("breaker %v after the cool-down, want half-open", c.Breaker())
	}
	if err := get(); !errors.Is(err, store.ErrUnavailable) || f.hits.Load() != hits+1 {
		t.Fatalf("half-open trial: %v, %d requests", err, f.hits.Load()-hits)
	}
	if c.Breaker() != store.BreakerOpen {
		t.Fatalf("breaker %v after a failed trial, want open", c.Breaker())
	}

	// The store recovers: the next trial closes the breaker.
	f.fail.Store(0)
	clock.Advance(59 * time.Second)
	if err := get(); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("before the second cool-down ended: %v", err)
	}
	clock.Advance(time.Second)
	if err := get(); err != nil {
		t.Fatalf("trial after recovery: %v", err)
	}
	if c.Breaker() != store.BreakerClosed {
		t.Fatalf("breaker %v after a good trial, want closed", c.Breaker())
	}
}

// blocking answers nothing until the client gives up or the test ends.
func blocking(t *testing.T) *httptest.Server {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	return srv
}

func TestTimeout(t *testing.T) {
	srv := blocking(t)
	c := newClient(t, srv.URL, func(c *store.Config) { c.Timeout, c.MaxAttempts = 100*time.Millisecond, 2 })
	start := time.Now()
	_, err := c.Tire(context.Background(), "T0001")
	if !errors.Is(err, store.ErrUnavailable) || !strings.Contains(err.Error(), "no answer within 100ms") {
		t.Fatalf("got %v, want ErrUnavailable after the timeout", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("two 100 ms attempts took %v", d)
	}
}

func TestCallerCancelIsNotAStoreFailure(t *testing.T) {
	srv := blocking(t)
	c := newClient(t, srv.URL, func(c *store.Config) { c.FailureThreshold = 1 })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := c.Tire(ctx, "T0001"); done <- err }()
	cancel()
	err := <-done
	if !errors.Is(err, context.Canceled) || errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("got %v, want context.Canceled only", err)
	}
	if c.Breaker() != store.BreakerClosed {
		t.Errorf("breaker %v after the caller's own cancel", c.Breaker())
	}
}

func TestServerClosed(t *testing.T) {
	srv, _ := startMock(t)
	c := newClient(t, srv.URL, func(c *store.Config) { c.Backoff = 10 * time.Millisecond })
	if err := c.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	start := time.Now()
	_, err := c.SearchTires(context.Background(), store.TireQuery{})
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("got %v, want ErrUnavailable", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %v to notice a closed server", d)
	}
	if err := c.Ping(context.Background()); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Ping: %v", err)
	}
}

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
