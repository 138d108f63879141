// Package storemocktest runs the Store API mock on loopback for the tests
// of the packages that talk to the Store API (the shop's tools, the dialog
// engines over them, call-processor), as httptest runs a server: the
// shipped fixtures, two fixed tokens, closed when the test ends.
package storemocktest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/tirevoice/assistant/internal/store"
	"github.com/tirevoice/assistant/internal/storemock"
)

// The mock's bearer tokens.
const (
	Token      = "test-token" // the shop endpoints'
	AdminToken = "test-admin" // /api/v1/admin/*
)

// Start serves the shipped fixtures (storemock.Fixtures, moved to today)
// on loopback until the test ends.
func Start(t testing.TB) *httptest.Server {
	t.Helper()
	data, err := storemock.Fixtures()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(storemock.NewServer(storemock.Deps{Token: Token, AdminToken: AdminToken, Data: data}))
	t.Cleanup(srv.Close)
	return srv
}

// Client returns a real Store API client of srv with Token: cfg gives
// the rest (timeouts, retries, the breaker), its BaseURL and Token are
// set here.
func Client(t testing.TB, srv *httptest.Server, cfg store.Config) *store.Client {
	t.Helper()
	cfg.BaseURL, cfg.Token = srv.URL, Token
	c, err := store.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Bookings returns the mock's bookings as id -> phone, read through its
// admin API.
func Bookings(t testing.TB, srv *httptest.Server) map[string]string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/admin/data", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+AdminToken)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var d storemock.Dataset
	if err := json.Unmarshal(body, &d); err != nil {
		t.Fatalf("admin data: %d %s", resp.StatusCode, body)
	}
	phones := make(map[string]string, len(d.Bookings))
	for _, b := range d.Bookings {
		phones[b.ID] = b.Phone
	}
	return phones
}
