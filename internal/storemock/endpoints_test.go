package storemock

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tirevoice/assistant/internal/store"
)

func TestSearchTires(t *testing.T) {
	s := startServer(t)
	tests := []struct {
		name  string
		query string
		check func(t *testing.T, r store.TireSearch)
	}{
		{"common size, winter", "width=205&profile=55&rim=16&season=winter", func(t *testing.T, r store.TireSearch) {
			if r.Total < 3 {
				t.Errorf("total %d", r.Total)
			}
			for _, x := range r.Items {
				if x.Size() != "205/55 R16" || x.Season != store.SeasonWinter {
					t.Errorf("%+v", x)
				}
			}
		}},
		{"cheapest first", "width=195&profile=65&rim=15", func(t *testing.T, r store.TireSearch) {
			for i := 1; i < len(r.Items); i++ {
				if r.Items[i].Price < r.Items[i-1].Price {
					t.Fatalf("not sorted by price: %d after %d", r.Items[i].Price, r.Items[i-1].Price)
				}
			}
		}},
		{"brand any case", "brand=nOkIaN", func(t *testing.T, r store.TireSearch) {
			if r.Total == 0 {
				t.Fatal("no Nokian")
			}
			for _, x := range r.Items {
				if x.Brand != "Nokian" {
					t.Errorf("%+v", x)
				}
			}
		}},
		{"studded", "season=winter&studded=true&limit=100", func(t *testing.T, r store.TireSearch) {
			for _, x := range r.Items {
				if !x.Studded {
					t.Errorf("%+v", x)
				}
			}
		}},
		{"not studded", "season=winter&studded=false&limit=100", func(t *testing.T, r store.TireSearch) {
			for _, x := range r.Items {
				if x.Studded {
					t.Errorf("%+v", x)
				}
			}
		}},
		{"max price", "max_price=5000&limit=100", func(t *testing.T, r store.TireSearch) {
			if r.Total == 0 {
				t.Fatal("nothing under 5000")
			}
			for _, x := range r.Items {
				if x.Price > 5000 {
					t.Errorf("%+v", x)
				}
			}
		}},
		{"in stock", "in_stock=true&limit=100", func(t *testing.T, r store.TireSearch) {
			for _, x := range r.Items {
				if x.Stock == 0 {
					t.Errorf("%+v", x)
				}
			}
		}},
		{"limit", "limit=3", func(t *testing.T, r store.TireSearch) {
			if len(r.Items) != 3 || r.Total < 200 {
				t.Errorf("%d items of %d", len(r.Items), r.Total)
			}
		}},
		{"default limit", "", func(t *testing.T, r store.TireSearch) {
			if len(r.Items) != defaultLimit {
				t.Errorf("%d items", len(r.Items))
			}
		}},
		{"no match is an empty list", "width=315&profile=80&rim=13", func(t *testing.T, r store.TireSearch) {
			if r.Items == nil || len(r.Items) != 0 || r.Total != 0 {
				t.Errorf("%+v", r)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r store.TireSearch
			s.get(t, "/api/v1/tires/search?"+tt.query, &r)
			tt.check(t, r)
		})
	}
}

func TestSearchTiresBadQuery(t *testing.T) {
	s := startServer(t)
	tests := []struct{ name, query, msg string }{
		{"width not a number", "width=abc", "width"},
		{"width too small", "width=50", "100 to 400"},
		{"profile too big", "profile=120", "profile"},
		{"rim as R16", "rim=R16", "rim"},
		{"unknown season", "season=spring", "season"},
		{"empty season", "season=", "season"},
		{"studded not a bool", "studded=yes", "studded"},
		{"negative price", "max_price=-1", "max_price"},
		{"limit zero", "limit=0", "limit"},
		{"limit too big", "limit=101", "limit"},
		{"empty brand", "brand=", "brand"},
		{"unknown parameter", "diameter=16", `unknown query parameter "diameter"`},
		{"repeated parameter", "width=205&width=215", "given 2 times"},
		{"bad escape", "width=%zz", "query"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := s.do(t, "GET", "/api/v1/tires/search?"+tt.query, testToken, nil)
			checkError(t, code, body, 400, "bad_request", tt.msg)
		})
	}
}

func TestTire(t *testing.T) {
	s := startServer(t)
	var x store.Tire
	s.get(t, "/api/v1/tires/T0001", &x)
	if x.ID != "T0001" || x.Brand == "" || x.Price <= 0 {
		t.Errorf("%+v", x)
	}
	code, body := s.do(t, "GET", "/api/v1/tires/T9999", testToken, nil)
	checkError(t, code, body, 404, "not_found", `tire "T9999"`)
	code, body = s.do(t, "GET", "/api/v1/tires/T0001?x=1", testToken, nil)
	checkError(t, code, body, 400, "bad_request", "unknown query parameter")
}

func TestOrders(t *testing.T) {
	s := startServer(t)
	t.Run("by id", func(t *testing.T) {
		var o store.Order
		s.get(t, "/api/v1/orders/100001", &o)
		if o.ID != "100001" || len(o.Items) == 0 || o.Total == 0 || !o.Status.Valid() {
			t.Errorf("%+v", o)
		}
	})
	t.Run("unknown id", func(t *testing.T) {
		code, body := s.do(t, "GET", "/api/v1/orders/999", testToken, nil)
		checkError(t, code, body, 404, "not_found", `order "999"`)
	})
	var want []store.Order
	s.get(t, "/api/v1/orders?phone=%2B79161234567", &struct{ Items *[]store.Order }{&want})
	if len(want) < 2 {
		t.Fatalf("+79161234567 has %d orders", len(want))
	}
	for i := 1; i < len(want); i++ {
		if want[i].CreatedAt.After(want[i-1].CreatedAt) {
			t.Errorf("not newest first")
		}
	}
	for _, phone := range []string{"+79161234567", "89161234567", "8 (916) 123-45-67", "+7 916 123 45 67", "79161234567", "9161234567"} {
		t.Run("phone "+phone, func(t *testing.T) {
			var got struct{ Items []store.Order }
			s.get(t, "/api/v1/orders?phone="+url.QueryEscape(phone), &got)
			if len(got.Items) != len(want) {
				t.Errorf("%d orders, want %d", len(got.Items), len(want))
			}
		})
	}
	t.Run("phone without orders", func(t *testing.T) {
		code, body := s.do(t, "GET", "/api/v1/orders?phone=%2B79990000000", testToken, nil)
		if code != 200 || strings.TrimSpace(string(body)) != `{"items":[]}` {
			t.Errorf("%d %s", code, body)
		}
	})
	for _, tt := range []struct{ name, query, msg string }{
		{"no phone", "", "phone is required"},
		{"letters", "phone=abc", "phone"},
		{"too short", "phone=12345", "phone"},
		{"+7 with 9 digits", "phone=%2B7916123456", "phone"},
		{"unknown parameter", "phone=89161234567&status=new", "unknown query parameter"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, body := s.do(t, "GET", "/api/v1/orders?"+tt.query, testToken, nil)
			checkError(t, code, body, 400, "bad_request", tt.msg)
		})
	}
}

func TestCreateOrder(t *testing.T) {
	s := startServer(t)
	var tire store.Tire
	s.get(t, "/api/v1/tires/T0001", &tire)
	if tire.Stock < 2 {
		t.Fatalf("T0001 stock %d", tire.Stock)
	}
	var outOfStock store.TireSearch
	s.get(t, "/api/v1/tires/search?limit=100&width=205&profile=55&rim=16", &outOfStock)
	zero, low := "", store.Tire{}
	for _, x := range outOfStock.Items {
		if x.Stock == 0 {
			zero = x.ID
		}
		if x.Stock > 0 && x.Stock < maxQuantity {
			low = x
		}
	}
	if zero == "" || low.ID == "" {
		t.Fatal("fixtures lack a 205/55 R16 tire out of stock or with few in stock")
	}
	tests := []struct {
		name string
		req  any
		want int
		code string
		msg  string
	}{
		{"pickup", store.OrderRequest{TireID: "T0001", Quantity: 2, Phone: "8 916 765-43-21", Name: "Пётр", StationID: "msk-1"}, 201, "", ""},
		{"delivery", store.OrderRequest{TireID: "T0001", Quantity: 1, Phone: "+79167654321", Name: "Пётр", Address: "Москва, ул. Тверская, 1"}, 201, "", ""},
		{"unknown tire", store.OrderRequest{TireID: "T9999", Quantity: 4, Phone: "+79167654321", Name: "Пётр"}, 404, "not_found", "tire"},
		{"unknown station", store.OrderRequest{TireID: "T0001", Quantity: 1, Phone: "+79167654321", Name: "Пётр", StationID: "zzz"}, 404, "not_found", "station"},
		{"more than in stock", store.OrderRequest{TireID: low.ID, Quantity: low.Stock + 1, Phone: "+79167654321", Name: "Пётр"}, 409, store.CodeInsufficientStock, "in stock"},
		{"none in stock", store.OrderRequest{TireID: zero, Quantity: 1, Phone: "+79167654321", Name: "Пётр"}, 409, store.CodeInsufficientStock, "0 in stock"},
		{"no tire", store.OrderRequest{Quantity: 1, Phone: "+79167654321", Name: "Пётр"}, 400, "bad_request", "tire_id"},
		{"zero quantity", store.OrderRequest{TireID: "T0001", Phone: "+79167654321", Name: "Пётр"}, 400, "bad_request", "quantity"},
		{"too many", store.OrderRequest{TireID: "T0001", Quantity: 21, Phone: "+79167654321", Name: "Пётр"}, 400, "bad_request", "quantity"},
		{"bad phone", store.OrderRequest{TireID: "T0001", Quantity: 1, Phone: "12", Name: "Пётр"}, 400, "bad_request", "phone"},
		{"no name", store.OrderRequest{TireID: "T0001", Quantity: 1, Phone: "+79167654321", Name: "  "}, 400, "bad_request", "name"},
		{"station and address", store.OrderRequest{TireID: "T0001", Quantity: 1, Phone: "+79167654321", Name: "Пётр", StationID: "msk-1", Address: "x"}, 400, "bad_request", "not both"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := s.do(t, "POST", "/api/v1/orders", testToken, tt.req)
			if tt.want != 201 {
				checkError(t, code, body, tt.want, tt.code, tt.msg)
				return
			}
			var o store.Order
			if err := json.Unmarshal(body, &o); err != nil || code != 201 {
				t.Fatalf("%d %s", code, body)
			}
			req := tt.req.(store.OrderRequest)
			if o.Status != store.OrderNew || o.Phone != "+79167654321" || o.Total != req.Quantity*tire.Price || o.Items[0].TireID != "T0001" {
				t.Errorf("%+v", o)
			}
			var again store.Order
			s.get(t, "/api/v1/orders/"+o.ID, &again)
			if again.ID != o.ID {
				t.Errorf("new order not found by id")
			}
		})
	}
	var after store.Tire
	s.get(t, "/api/v1/tires/T0001", &after)
	if after.Stock != tire.Stock-3 {
		t.Errorf("stock %d after ordering 3 of %d", after.Stock, tire.Stock)
	}
	var mine struct{ Items []store.Order }
	s.get(t, "/api/v1/orders?phone=89167654321", &mine)
	if len(mine.Items) != 2 {
		t.Errorf("%d orders by the new phone", len(mine.Items))
	}
}

func TestStations(t *testing.T) {
	s := startServer(t)
	tests := []struct {
		city string
		want int
	}{
		{"", 10},
		{"Москва", 3},
		{"москва", 3},
		{"  МОСКВА ", 3},
		{"Moscow", 3},
		{"Санкт-Петербург", 2},
		{"санкт петербург", 2},
		{"СПб", 2},
		{"Питер", 2},
		{"Казань", 2},
		{"Екатеринбург", 2},
		{"ЕКБ", 2},
		{"Новосибирск", 1},
		{"Тверь", 0},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("city %q", tt.city), func(t *testing.T) {
			q := ""
			if tt.city != "" {
				q = "?city=" + url.QueryEscape(tt.city)
			}
			var got struct{ Items []store.Station }
			s.get(t, "/api/v1/stations"+q, &got)
			if len(got.Items) != tt.want || got.Items == nil {
				t.Errorf("%d stations, want %d", len(got.Items), tt.want)
			}
		})
	}
	code, body := s.do(t, "GET", "/api/v1/stations?city=", testToken, nil)
	checkError(t, code, body, 400, "bad_request", "city")
	code, body = s.do(t, "GET", "/api/v1/stations?town=x", testToken, nil)
	checkError(t, code, body, 400, "bad_request", "unknown query parameter")
}

func TestSlots(t *testing.T) {
	s := startServer(t)
	starts := func(r store.StationSlots) []string {
		var out []string
		for _, sl := range r.Slots {
			out = append(out, sl.Start.Format("15:04"))
		}
		return out
	}
	tests := []struct {
		name, path string
		check      func(t *testing.T, r store.StationSlots)
	}{
		{"tomorrow at msk-1 skips the booked 11, 12 and 13", "/api/v1/stations/msk-1/slots?date=2026-01-13", func(t *testing.T, r store.StationSlots) {
			got := strings.Join(starts(r), " ")
			if got != "09:00 10:00 14:00 15:00 16:00 17:00 18:00 19:00 20:00" {
				t.Errorf("slots %s", got)
			}
			if r.Slots[0].End.Sub(r.Slots[0].Start) != time.Hour || r.Slots[0].Start.Format("-07:00") != "+03:00" {
				t.Errorf("%+v", r.Slots[0])
			}
		}},
		{"today only after now (08:00)", "/api/v1/stations/msk-2/slots?date=2026-01-12", func(t *testing.T, r store.StationSlots) {
			if s := starts(r); s[0] != "09:00" || len(s) != 13 {
				t.Errorf("slots %v", s)
			}
		}},
		{"30-minute grid", "/api/v1/stations/msk-3/slots?date=2026-01-14", func(t *testing.T, r store.StationSlots) {
			if s := starts(r); len(s) != 24 || s[1] != "09:30" {
				t.Errorf("slots %v", s)
			}
		}},
		{"Sunday hours", "/api/v1/stations/msk-1/slots?date=2026-01-18", func(t *testing.T, r store.StationSlots) {
			if s := starts(r); len(s) != 8 || s[0] != "10:00" || s[7] != "17:00" {
				t.Errorf("slots %v", s)
			}
		}},
		{"closed on Sunday", "/api/v1/stations/kzn-2/slots?date=2026-01-18", func(t *testing.T, r store.StationSlots) {
			if !r.Closed || r.Slots == nil || len(r.Slots) != 0 {
				t.Errorf("%+v", r)
			}
		}},
		{"in the station's zone", "/api/v1/stations/nsk-1/slots?date=2026-01-14", func(t *testing.T, r store.StationSlots) {
			if r.Slots[0].Start.Format(time.RFC3339) != "2026-01-14T09:00:00+07:00" {
				t.Errorf("%+v", r.Slots[0])
			}
		}},
		{"a past date has none", "/api/v1/stations/msk-1/slots?date=2026-01-01", func(t *testing.T, r store.StationSlots) {
			if len(r.Slots) != 0 {
				t.Errorf("%+v", r)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r store.StationSlots
			s.get(t, tt.path, &r)
			tt.check(t, r)
		})
	}
	for _, tt := range []struct {
		name, path string
		want       int
		msg        string
	}{
		{"unknown station", "/api/v1/stations/zzz/slots?date=2026-01-13", 404, `station "zzz"`},
		{"no date", "/api/v1/stations/msk-1/slots", 400, "date is required"},
		{"bad date", "/api/v1/stations/msk-1/slots?date=13.01.2026", 400, "YYYY-MM-DD"},
		{"impossible date", "/api/v1/stations/msk-1/slots?date=2026-02-30", 400, "date"},
		{"unknown parameter", "/api/v1/stations/msk-1/slots?date=2026-01-13&hour=10", 400, "unknown query parameter"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, body := s.do(t, "GET", tt.path, testToken, nil)
			checkError(t, code, body, tt.want, "", tt.msg)
		})
	}
}

func TestBook(t *testing.T) {
	s := startServer(t)
	req := func(station, start string) store.BookingRequest {
		return store.BookingRequest{StationID: station, Start: start, Phone: "8 916 123 45 67", Name: "Иван", Note: "Kia Rio, 185/65 R15"}
	}
	tests := []struct {
		name string
		req  any
		want int
		code string
		msg  string
	}{
		{"local time", req("msk-1", "2026-01-13T15:00"), 201, "", ""},
		{"RFC 3339 in another zone", req("msk-1", "2026-01-13T13:00:00Z"), 201, "", ""}, // 16:00 in Moscow
		{"Novosibirsk local", req("nsk-1", "2026-01-13T09:00:00"), 201, "", ""},
		{"the same slot again", req("msk-1", "2026-01-13T15:00:00+03:00"), 409, store.CodeSlotTaken, "booked"},
		{"a fixture booking", req("msk-1", "2026-01-13T11:00"), 409, store.CodeSlotTaken, "booked"},
		{"in the past", req("msk-1", "2026-01-12T07:00"), 422, "invalid_slot", "past"},
		{"now is the past", req("msk-1", "2026-01-12T08:00"), 422, "invalid_slot", "past"},
		{"before opening", req("msk-1", "2026-01-13T08:00"), 422, "invalid_slot", "outside the working hours"},
		{"the last hour runs past closing", req("msk-1", "2026-01-13T21:00"), 422, "invalid_slot", "outside the working hours"},
		{"off the grid", req("msk-1", "2026-01-13T15:30"), 422, "invalid_slot", "grid"},
		{"closed day", req("kzn-2", "2026-01-18T12:00"), 422, "invalid_slot", "closed"},
		{"too far ahead", req("msk-1", "2026-06-01T12:00"), 422, "invalid_slot", "60 days"},
		{"unknown station", req("zzz", "2026-01-13T15:00"), 404, "not_found", "station"},
		{"bad start", req("msk-1", "завтра в три"), 400, "bad_request", "start"},
		{"no start", req("msk-1", ""), 400, "bad_request", "start is required"},
		{"no station", req("", "2026-01-13T15:00"), 400, "bad_request", "station_id"},
		{"bad phone", store.BookingRequest{StationID: "msk-1", Start: "2026-01-13T17:00", Phone: "x", Name: "Иван"}, 400, "bad_request", "phone"},
		{"no name", store.BookingRequest{StationID: "msk-1", Start: "2026-01-13T17:00", Phone: "+79161234567"}, 400, "bad_request", "name"},
		{"long note", store.BookingRequest{StationID: "msk-1", Start: "2026-01-13T17:00", Phone: "+79161234567", Name: "Иван", Note: strings.Repeat("ш", 501)}, 400, "bad_request", "note"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := s.do(t, "POST", "/api/v1/bookings", testToken, tt.req)
			if tt.want != 201 {
				checkError(t, code, body, tt.want, tt.code, tt.msg)
				return
			}
			var b store.Booking
			if err := json.Unmarshal(body, &b); err != nil || code != 201 {
				t.Fatalf("%d %s", code, body)
			}
			if b.Phone != "+79161234567" || b.End.Sub(b.Start) != time.Hour || b.ID == "" {
				t.Errorf("%+v", b)
			}
		})
	}
	var r store.StationSlots
	s.get(t, "/api/v1/stations/msk-1/slots?date=2026-01-13", &r)
	for _, sl := range r.Slots {
		if h := sl.Start.Hour(); h == 15 || h == 16 {
			t.Errorf("booked slot %v still free", sl.Start)
		}
	}
}
