package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Config configures a Client. Zero fields take the defaults in the comments.
type Config struct {
	BaseURL string // Store API root, e.g. "http://127.0.0.1:8081"; required
	Token   string // bearer token; required

	Timeout     time.Duration // per attempt, whole answer read; default 3 s
	MaxAttempts int           // for GET only, the first included; default 3 (POST is sent once)
	Backoff     time.Duration // before the first retry, doubled before each next; default 100 ms

	FailureThreshold int           // consecutive failures that open the breaker; default 5
	Cooldown         time.Duration // open breaker → half-open; default 10 s

	HTTPClient *http.Client     // default: a client of its own with no overall timeout
	Now        func() time.Time // the breaker's clock; default time.Now
}

// maxAnswer bounds what the client reads of one answer: 4 MiB.
const maxAnswer = 4 << 20

// Client calls the Store API. It is safe for concurrent use.
//
// GET requests are retried on network errors, timeouts, 5xx and 429, with
// a doubling backoff, up to MaxAttempts; POST requests are never retried,
// since the store may have acted on one that timed out. All requests pass
// one circuit breaker: after FailureThreshold consecutive failures it
// refuses requests at once with ErrUnavailable for Cooldown, then lets one
// trial through.
type Client struct {
	base    *url.URL
	token   string
	cfg     Config
	http    *http.Client
	breaker *breaker
}

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("store: base URL %q: want http(s)://host[:port]", cfg.BaseURL)
	}
	if cfg.Token == "" {
		return nil, errors.New("store: no token")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 3 * time.Second
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 3
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 100 * time.Millisecond
	}
	if cfg.FailureThreshold <= 0 {
		cfg.FailureThreshold = 5
	}
	if cfg.Cooldown <= 0 {
		cfg.Cooldown = 10 * time.Second
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Client{
		base:    u,
		token:   cfg.Token,
		cfg:     cfg,
		http:    cfg.HTTPClient,
		breaker: &breaker{threshold: cfg.FailureThreshold, cooldown: cfg.Cooldown, now: cfg.Now},
	}, nil
}

// Breaker reports the state of the circuit breaker.
func (c *Client) Breaker() BreakerState { return c.breaker.State() }

// Ping checks that the store answers /health: once, no retries, through the
// breaker (so an open breaker makes Ping fail at once). For readiness probes.
func (c *Client) Ping(ctx context.Context) error {
	return c.do(ctx, http.MethodGet, "/health", nil, nil, nil, 1)
}

// SearchTires finds tires matching q, cheapest first.
func (c *Client) SearchTires(ctx context.Context, q TireQuery) (TireSearch, error) {
	v := url.Values{}
	setInt := func(k string, n int) {
		if n != 0 {
			v.Set(k, strconv.Itoa(n))
		}
	}
	setInt("width", q.Width)
	setInt("profile", q.Profile)
	setInt("rim", q.Rim)
	setInt("max_price", q.MaxPrice)
	setInt("limit", q.Limit)
	if q.Season != "" {
		v.Set("season", string(q.Season))
	}
	if q.Brand != "" {
		v.Set("brand", q.Brand)
	}
	if q.Studded != nil {
		v.Set("studded", strconv.FormatBool(*q.Studded))
	}
	if q.InStock {
		v.Set("in_stock", "true")
	}
	var out TireSearch
	err := c.get(ctx, "/api/v1/tires/search", v, &out)
	return out, err
}

// Tire returns one tire by id.
func (c *Client) Tire(ctx context.Context, id string) (Tire, error) {
	var out Tire
	if err := needID("tire", id); err != nil {
		return out, err
	}
	err := c.get(ctx, "/api/v1/tires/"+url.PathEscape(id), nil, &out)
	return out, err
}

// Order returns one order by id.
func (c *Client) Order(ctx context.Context, id string) (Order, error) {
	var out Order
	if err := needID("order", id); err != nil {
		return out, err
	}
	err := c.get(ctx, "/api/v1/orders/"+url.PathEscape(id), nil, &out)
	return out, err
}

// OrdersByPhone returns the orders placed from phone (any common form, see
// NormalizePhone), newest first; none is an empty slice, not an error.
func (c *Client) OrdersByPhone(ctx context.Context, phone string) ([]Order, error) {
	var out struct {
		Items []Order `json:"items"`
	}
	err := c.get(ctx, "/api/v1/orders", url.Values{"phone": {phone}}, &out)
	return out.Items, err
}

// CreateOrder places an order. It is sent once, never retried: on
// ErrUnavailable the order may or may not exist, so look it up by phone
// before trying again. Too few tires in stock is ErrOutOfStock.
func (c *Client) CreateOrder(ctx context.Context, req OrderRequest) (Order, error) {
	var out Order
	err := c.post(ctx, "/api/v1/orders", req, &out)
	return out, err
}

// Stations returns the fitting stations in city (Russian or Latin name,
// any case, "СПб" and the like); "" returns all of them.
func (c *Client) Stations(ctx context.Context, city string) ([]Station, error) {
	var out struct {
		Items []Station `json:"items"`
	}
	var v url.Values
	if city != "" {
		v = url.Values{"city": {city}}
	}
	err := c.get(ctx, "/api/v1/stations", v, &out)
	return out.Items, err
}

// Slots returns the free fitting slots of a station on date (YYYY-MM-DD,
// the station's local calendar).
func (c *Client) Slots(ctx context.Context, stationID, date string) (StationSlots, error) {
	var out StationSlots
	if err := needID("station", stationID); err != nil {
		return out, err
	}
	err := c.get(ctx, "/api/v1/stations/"+url.PathEscape(stationID)+"/slots", url.Values{"date": {date}}, &out)
	return out, err
}

// Book books a fitting slot. A taken slot is ErrConflict; a slot in the
// past, off the station's grid or outside its hours is ErrInvalid. Sent
// once, never retried.
func (c *Client) Book(ctx context.Context, req BookingRequest) (Booking, error) {
	var out Booking
	err := c.post(ctx, "/api/v1/bookings", req, &out)
	return out, err
}

func needID(what, id string) error {
	if strings.TrimSpace(id) == "" {
		return fmt.Errorf("%w: empty %s id", ErrInvalid, what)
	}
	return nil
}

func (c *Client) get(ctx context.Context, path string, q url.Values, out any) error {
	return c.do(ctx, http.MethodGet, path, q, nil, out, c.cfg.MaxAttempts)
}

func (c *Client) post(ctx context.Context, path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return c.do(ctx, http.MethodPost, path, nil, body, out, 1)
}

// do sends one request up to attempts times and decodes a 2xx answer into
// out (when out is not nil).
func (c *Client) do(ctx context.Context, method, path string, q url.Values, body []byte, out any, attempts int) error {
	u := *c.base
	u.Path += path
	u.RawQuery = q.Encode()
	var err error
	for i := range attempts {
		if i > 0 {
			t := time.NewTimer(c.cfg.Backoff << (i - 1))
			select {
			case <-ctx.Done():
				t.Stop()
				return fmt.Errorf("store: %s %s: %w", method, path, ctx.Err())
			case <-t.C:
			}
		}
		if !c.breaker.allow() {
			return fmt.Errorf("%w: %s %s: circuit breaker open", ErrUnavailable, method, path)
		}
		var retry bool
		retry, err = c.once(ctx, method, u.String(), path, body, out)
		if !retry {
			return err
		}
	}
	return err
}

// once makes one attempt, feeds its outcome to the breaker and reports
// whether a GET may try again.
func (c *Client) once(ctx context.Context, method, target, path string, body []byte, out any) (retry bool, err error) {
	actx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(actx, method, target, rd)
	if err != nil {
		c.breaker.record(outcomeNeutral)
		return false, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	var data []byte
	if err == nil {
		data, err = io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
		resp.Body.Close()
	}
	if err != nil {
		if ctx.Err() != nil { // the caller gave up, the store may be fine
			c.breaker.record(outcomeNeutral)
			return false, fmt.Errorf("store: %s %s: %w", method, path, ctx.Err())
		}
		c.breaker.record(outcomeFailure)
		if actx.Err() != nil {
			err = fmt.Errorf("no answer within %v", c.cfg.Timeout)
		}
		return true, fmt.Errorf("%w: %s %s: %v", ErrUnavailable, method, path, err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		c.breaker.record(outcomeSuccess)
		if out == nil {
			return false, nil
		}
		if err := json.Unmarshal(data, out); err != nil {
			return false, fmt.Errorf("%w: %s %s: bad answer: %v", ErrUnavailable, method, path, err)
		}
		return false, nil
	}
	apiErr := &APIError{}
	if json.Unmarshal(data, apiErr) != nil || apiErr.Code == "" {
		apiErr = &APIError{Code: strings.ReplaceAll(strings.ToLower(http.StatusText(resp.StatusCode)), " ", "_"), Message: snippet(data)}
	}
	apiErr.Status = resp.StatusCode
	if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
		c.breaker.record(outcomeFailure)
		return true, fmt.Errorf("%s %s: %w", method, path, apiErr)
	}
	c.breaker.record(outcomeSuccess)
	return false, fmt.Errorf("%s %s: %w", method, path, apiErr)
}

// snippet is the start of a non-JSON error body, for the message.
func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = strings.ToValidUTF8(s[:200], "") + "…"
	}
	return s
}
