package storemock

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tirevoice/assistant/internal/openapitest"
)

const specPath = "../../api/store-openapi.yaml"

// TestSpecCoversRoutes: every route in routes.go is in the spec, and every
// operation in the spec is a route.
func TestSpecCoversRoutes(t *testing.T) {
	var routes openapitest.Routes
	addRoutes(&routes, Deps{}, nil)
	openapitest.CheckRoutes(t, openapitest.Load(t, specPath), routes)
}

// TestServerFollowsSpec sends real requests to the server and validates
// each request (unless it is meant to be bad) and each answer — status
// code documented, body matching its schema — against the spec.
func TestServerFollowsSpec(t *testing.T) {
	s := startServer(t)
	client := openapitest.NewClient(t, openapitest.Load(t, specPath), s.URL)
	const (
		shop  = testToken
		admin = testAdminToken
	)
	fixtures, err := Fixtures()
	if err != nil {
		t.Fatal(err)
	}
	soldOut := ""
	for _, x := range fixtures.Tires {
		if x.Stock == 0 {
			soldOut = x.ID
			break
		}
	}
	booking := `{"station_id":"msk-1","start":"2026-01-13T15:00","phone":"8 916 123-45-67","name":"Иван","note":"Kia Rio, 185/65 R15"}`
	tests := []struct {
		name, method, path, token, body string
		want                            int
		badRequest                      bool // the request itself breaks the spec
	}{
		{"health", "GET", "/health", "", "", 200, false},
		{"search", "GET", "/api/v1/tires/search?width=205&profile=55&rim=16&season=winter&studded=true&limit=5", shop, "", 200, false},
		{"search every filter", "GET", "/api/v1/tires/search?brand=Nokian&max_price=20000&in_stock=true&season=all_season", shop, "", 200, false},
		{"search, no match", "GET", "/api/v1/tires/search?width=315&rim=13", shop, "", 200, false},
		{"search, bad width", "GET", "/api/v1/tires/search?width=abc", shop, "", 400, true},
		{"search, no token", "GET", "/api/v1/tires/search", "", "", 401, true},
		{"tire", "GET", "/api/v1/tires/T0001", shop, "", 200, false},
		{"tire, unknown", "GET", "/api/v1/tires/T9999", shop, "", 404, false},
		{"orders by phone", "GET", "/api/v1/orders?phone=89161234567", shop, "", 200, false},
		{"orders, no phone", "GET", "/api/v1/orders", shop, "", 400, true},
		{"order", "GET", "/api/v1/orders/100001", shop, "", 200, false},
		{"order, unknown", "GET", "/api/v1/orders/1", shop, "", 404, false},
		{"create order", "POST", "/api/v1/orders", shop, `{"tire_id":"T0001","quantity":4,"phone":"+79161234567","name":"Иван","station_id":"msk-1"}`, 201, false},
		{"create order, delivery", "POST", "/api/v1/orders", shop, `{"tire_id":"T0001","quantity":1,"phone":"+79161234567","name":"Иван","address":"Москва, ул. Тверская, 1"}`, 201, false},
		{"create order, unknown tire", "POST", "/api/v1/orders", shop, `{"tire_id":"T9999","quantity":1,"phone":"+79161234567","name":"Иван"}`, 404, false},
		{"create order, sold out", "POST", "/api/v1/orders", shop, `{"tire_id":"` + soldOut + `","quantity":1,"phone":"+79161234567","name":"Иван"}`, 409, false},
		{"create order, unknown field", "POST", "/api/v1/orders", shop, `{"tire":"T0001"}`, 400, true},
		{"stations", "GET", "/api/v1/stations", shop, "", 200, false},
		{"stations in a city", "GET", "/api/v1/stations?city=%D0%BC%D0%BE%D1%81%D0%BA%D0%B2%D0%B0", shop, "", 200, false},
		{"slots", "GET", "/api/v1/stations/msk-1/slots?date=2026-01-13", shop, "", 200, false},
		{"slots, closed day", "GET", "/api/v1/stations/kzn-2/slots?date=2026-01-18", shop, "", 200, false},
		{"slots, unknown station", "GET", "/api/v1/stations/zzz/slots?date=2026-01-13", shop, "", 404, false},
		{"slots, bad date", "GET", "/api/v1/stations/msk-1/slots?date=tomorrow", shop, "", 400, true},
		{"book", "POST", "/api/v1/bookings", shop, booking, 201, false},
		{"book, taken", "POST", "/api/v1/bookings", shop, booking, 409, false},
		{"book, past", "POST", "/api/v1/bookings", shop, `{"station_id":"msk-1","start":"2026-01-11T15:00","phone":"+79161234567","name":"Иван"}`, 422, false},
		{"book, unknown station", "POST", "/api/v1/bookings", shop, `{"station_id":"zzz","start":"2026-01-13T15:00","phone":"+79161234567","name":"Иван"}`, 404, false},
		{"book, too large", "POST", "/api/v1/bookings", shop, `{"station_id":"msk-1","start":"2026-01-13T16:00","phone":"+79161234567","name":"Иван","note":"` + strings.Repeat("x", 70000) + `"}`, 413, true},
		{"export", "GET", "/api/v1/admin/data", admin, "", 200, false},
		{"export, shop token", "GET", "/api/v1/admin/data", shop, "", 403, false},
		{"replace", "PUT", "/api/v1/admin/data", admin, `{"as_of":"2026-01-12","tires":[],"orders":[],"stations":[],"bookings":[]}`, 200, false},
		{"replace, inconsistent", "PUT", "/api/v1/admin/data", admin, `{"tires":[{"id":"a","brand":"b","model":"m","width":205,"profile":55,"rim":16,"season":"winter","studded":false,"load_index":91,"speed_index":"T","price":0,"stock":1}]}`, 422, true},
		{"reset", "POST", "/api/v1/admin/reset", admin, "", 200, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, s.URL+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			if tt.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			a := client.Do(t, req, openapitest.Expect{Bad: tt.badRequest})
			if a.Status != tt.want {
				t.Errorf("status %d, want %d: %s", a.Status, tt.want, a.Body)
			}
		})
	}
}
