package storemock

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tirevoice/assistant/internal/store"
)

// TestConcurrentBookings: many clients booking one slot at once; exactly
// one wins and the rest get 409 (run with -race).
func TestConcurrentBookings(t *testing.T) {
	s := startServer(t)
	const n = 40
	codes := make([]int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			body := fmt.Sprintf(`{"station_id":"spb-2","start":"2026-01-14T12:00","phone":"+7916000%04d","name":"Клиент %d"}`, i, i)
			codes[i], _, errs[i] = s.send("POST", "/api/v1/bookings", testToken, body)
		})
	}
	close(start)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	count := map[int]int{}
	for _, c := range codes {
		count[c]++
	}
	if count[201] != 1 || count[409] != n-1 {
		t.Fatalf("answers %v, want one 201 and %d 409", count, n-1)
	}
}

// TestConcurrentOrders: orders racing for the last tires never oversell.
func TestConcurrentOrders(t *testing.T) {
	s := startServer(t)
	var tire store.Tire
	s.get(t, "/api/v1/tires/T0001", &tire)
	n := tire.Stock + 10
	var wg sync.WaitGroup
	codes := make([]int, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			codes[i], _, errs[i] = s.send("POST", "/api/v1/orders", testToken, `{"tire_id":"T0001","quantity":1,"phone":"+79160000000","name":"Клиент"}`)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	created := 0
	for _, c := range codes {
		if c == 201 {
			created++
		}
	}
	var after store.Tire
	s.get(t, "/api/v1/tires/T0001", &after)
	if created != tire.Stock || after.Stock != 0 {
		t.Fatalf("%d orders created of %d in stock; %d left", created, tire.Stock, after.Stock)
	}
}

func TestAdminExportReplaceRoundTrip(t *testing.T) {
	s := startServer(t)
	code, exported := s.do(t, "GET", "/api/v1/admin/data", testAdminToken, nil)
	if code != 200 {
		t.Fatalf("export %d", code)
	}
	var d Dataset
	if err := json.Unmarshal(exported, &d); err != nil {
		t.Fatal(err)
	}
	if d.AsOf != "2026-01-12" || len(d.Tires) < 200 || len(d.Orders) != 50 || len(d.Stations) != 10 || len(d.Bookings) == 0 {
		t.Fatalf("export %+v", d.Counts())
	}

	// Replace with a small data set of our own.
	small := Dataset{Tires: d.Tires[:2], Orders: []store.Order{}, Stations: d.Stations[:1], Bookings: []store.Booking{}}
	code, body := s.do(t, "PUT", "/api/v1/admin/data", testAdminToken, small)
	var c Counts
	if err := json.Unmarshal(body, &c); err != nil || code != 200 || c != (Counts{Tires: 2, Stations: 1}) {
		t.Fatalf("replace: %d %s", code, body)
	}
	var all store.TireSearch
	s.get(t, "/api/v1/tires/search", &all)
	if all.Total != 2 {
		t.Errorf("after replace, %d tires", all.Total)
	}
	code, body = s.do(t, "GET", "/api/v1/orders/100001", testToken, nil)
	checkError(t, code, body, 404, "not_found", "order")

	// Put the export back: the export of that is the same bytes.
	if code, body := s.do(t, "PUT", "/api/v1/admin/data", testAdminToken, exported); code != 200 {
		t.Fatalf("replace with the export: %d %s", code, body)
	}
	_, again := s.do(t, "GET", "/api/v1/admin/data", testAdminToken, nil)
	if !bytes.Equal(exported, again) {
		t.Error("export → replace → export changed the data")
	}
}

func TestAdminReset(t *testing.T) {
	s := startServer(t)
	if code, body := s.do(t, "PUT", "/api/v1/admin/data", testAdminToken, `{"tires":[]}`); code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	code, body := s.do(t, "POST", "/api/v1/bookings", testToken, `{"station_id":"msk-1","start":"2026-01-13T15:00","phone":"+79161234567","name":"Иван"}`)
	checkError(t, code, body, 404, "not_found", "station")
	code, body = s.do(t, "POST", "/api/v1/admin/reset", testAdminToken, nil)
	var c Counts
	if err := json.Unmarshal(body, &c); err != nil || code != 200 || c.Tires < 200 || c.Orders != 50 {
		t.Fatalf("reset: %d %s", code, body)
	}
	var tire store.Tire
	s.get(t, "/api/v1/tires/T0001", &tire)
}

func TestAdminReplaceRefusesBadData(t *testing.T) {
	s := startServer(t)
	tests := []struct {
		name, body string
		want       int
		code, msg  string
	}{
		{"unknown field", `{"tyres":[]}`, 400, "bad_request", `unknown field "tyres"`},
		{"bad season", `{"tires":[{"id":"a","brand":"b","model":"m","width":205,"profile":55,"rim":16,"season":"spring","price":1}]}`, 422, "invalid_data", "season"},
		{"booking at unknown station", `{"bookings":[{"id":"B1","station_id":"x","start":"2026-01-13T10:00:00+03:00","end":"2026-01-13T11:00:00+03:00","phone":"+79161234567","name":"a","created_at":"2026-01-12T10:00:00+03:00"}]}`, 422, "invalid_data", "station"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := s.do(t, "PUT", "/api/v1/admin/data", testAdminToken, tt.body)
			checkError(t, code, body, tt.want, tt.code, tt.msg)
		})
	}
	var tire store.Tire
	s.get(t, "/api/v1/tires/T0001", &tire) // the old data stayed
}

func TestDatasetValidate(t *testing.T) {
	base, err := Fixtures()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func(d *Dataset)
		msg    string
	}{
		{"as_of", func(d *Dataset) { d.AsOf = "12.01.2026" }, "as_of"},
		{"repeated tire id", func(d *Dataset) { d.Tires[1].ID = d.Tires[0].ID }, "tires[1]: id"},
		{"studded summer tire", func(d *Dataset) { d.Tires[0].Season, d.Tires[0].Studded = store.SeasonSummer, true }, "studded"},
		{"negative stock", func(d *Dataset) { d.Tires[0].Stock = -1 }, "stock"},
		{"tiny tire", func(d *Dataset) { d.Tires[0].Width = 20 }, "implausible"},
		{"six days of hours", func(d *Dataset) { d.Stations[0].Hours = d.Stations[0].Hours[:6] }, "7 days"},
		{"closing before opening", func(d *Dataset) { d.Stations[0].Hours[0].Close = "08:00" }, "open before close"},
		{"bad zone", func(d *Dataset) { d.Stations[0].Timezone = "Mars/Olympus" }, "timezone"},
		{"station phone", func(d *Dataset) { d.Stations[0].Phone = "84951234501" }, "E.164"},
		{"order total", func(d *Dataset) { d.Orders[0].Total++ }, "total"},
		{"order status", func(d *Dataset) { d.Orders[0].Status = "lost" }, "status"},
		{"delivery without address", func(d *Dataset) { d.Orders[0].Delivery = store.Delivery{Method: store.DeliveryCourier} }, "address"},
		{"pickup at unknown station", func(d *Dataset) { d.Orders[0].Delivery = store.Delivery{Method: store.DeliveryPickup, StationID: "x"} }, "pickup station"},
		{"double booking", func(d *Dataset) {
			d.Bookings[1].StationID, d.Bookings[1].Start, d.Bookings[1].End = d.Bookings[0].StationID, d.Bookings[0].Start, d.Bookings[0].End
		}, "already booked"},
		{"booking ends before it starts", func(d *Dataset) { d.Bookings[0].End = d.Bookings[0].Start }, "end"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := base.rebased(base.AsOf) // a deep copy
			tt.change(&d)
			err := d.Validate()
			if !errors.Is(err, ErrInvalidData) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("got %v, want ErrInvalidData about %q", err, tt.msg)
			}
		})
	}
	if _, err := ParseDataset(strings.NewReader(`{"tires":[]} {}`)); !errors.Is(err, ErrBadJSON) {
		t.Errorf("trailing data: %v", err)
	}
}

// TestRebase: loaded later, the fixtures move with the calendar, weekday
// and time of day of bookings kept where the shift is whole weeks.
func TestRebase(t *testing.T) {
	d, err := Fixtures()
	if err != nil {
		t.Fatal(err)
	}
	moved := d.rebased("2026-03-09") // 8 weeks later
	if moved.AsOf != "2026-03-09" {
		t.Fatalf("as_of %s", moved.AsOf)
	}
	b0, m0 := d.Bookings[0], moved.Bookings[0]
	if m0.Start.Sub(b0.Start) != 56*24*time.Hour || m0.Start.Format("15:04 -07:00") != b0.Start.Format("15:04 -07:00") {
		t.Errorf("booking %v moved to %v", b0.Start, m0.Start)
	}
	if moved.Orders[0].CreatedAt.Sub(d.Orders[0].CreatedAt) != 56*24*time.Hour {
		t.Errorf("order date not moved")
	}
	if d.Bookings[0].Start != b0.Start {
		t.Error("rebased changed its receiver")
	}
	same := Dataset{Tires: d.Tires}.rebased("2030-01-01")
	if same.AsOf != "" {
		t.Error("a data set without as_of got one")
	}
}
