package storemock

import (
	"cmp"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tirevoice/assistant/internal/store"
)

func handleHealth() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "UP"})
	})
}

// intParam parses q[name] as an integer in lo..hi; absent is 0.
func intParam(q map[string][]string, name string, lo, hi int) (int, *store.APIError) {
	vs := q[name]
	if len(vs) == 0 {
		return 0, nil
	}
	n, err := strconv.Atoi(vs[0])
	if err != nil || n < lo || n > hi {
		return 0, badRequest("%s %q: want a whole number from %d to %d", name, vs[0], lo, hi)
	}
	return n, nil
}

// boolParam parses q[name] as true or false; absent is nil.
func boolParam(q map[string][]string, name string) (*bool, *store.APIError) {
	vs := q[name]
	if len(vs) == 0 {
		return nil, nil
	}
	switch vs[0] {
	case "true":
		b := true
		return &b, nil
	case "false":
		b := false
		return &b, nil
	}
	return nil, badRequest("%s %q: want true or false", name, vs[0])
}

// Limits of the search parameters; api/store-openapi.yaml states the same.
const (
	defaultLimit = 20
	maxLimit     = 100
)

func parseTireQuery(r *http.Request) (tireQuery, *store.APIError) {
	var q tireQuery
	v, e := queryParams(r, "width", "profile", "rim", "season", "brand", "studded", "max_price", "in_stock", "limit")
	if e != nil {
		return q, e
	}
	for _, p := range []struct {
		name   string
		lo, hi int
		dst    *int
	}{
		{"width", 100, 400, &q.Width},
		{"profile", 20, 95, &q.Profile},
		{"rim", 10, 26, &q.Rim},
		{"max_price", 1, 10_000_000, &q.MaxPrice},
		{"limit", 1, maxLimit, &q.Limit},
	} {
		if *p.dst, e = intParam(v, p.name, p.lo, p.hi); e != nil {
			return q, e
		}
	}
	if q.Limit == 0 {
		q.Limit = defaultLimit
	}
	if v.Has("season") {
		q.Season = store.Season(v.Get("season"))
		if !q.Season.Valid() {
			return q, badRequest("season %q: want summer, winter or all_season", q.Season)
		}
	}
	if v.Has("brand") {
		q.brand = strings.ToLower(strings.TrimSpace(v.Get("brand")))
		if q.brand == "" || utf8.RuneCountInString(q.brand) > 50 {
			return q, badRequest("brand: want 1 to 50 characters")
		}
		q.Brand = v.Get("brand")
	}
	if q.Studded, e = boolParam(v, "studded"); e != nil {
		return q, e
	}
	inStock, e := boolParam(v, "in_stock")
	if e != nil {
		return q, e
	}
	q.InStock = inStock != nil && *inStock
	return q, nil
}

// handleSearchTires: GET /api/v1/tires/search, cheapest first.
func handleSearchTires(s *state) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q, e := parseTireQuery(r)
		if e != nil {
			writeError(w, e)
			return
		}
		writeJSON(w, http.StatusOK, s.searchTires(q))
	})
}

// noQuery refuses any query parameter on an endpoint that takes none.
func noQuery(w http.ResponseWriter, r *http.Request) bool {
	if _, e := queryParams(r); e != nil {
		writeError(w, e)
		return false
	}
	return true
}

// requiredParam is the query parameter name of an endpoint that takes it
// alone and requires it; when it is missing the error is a 400 saying
// missing.
func requiredParam(r *http.Request, name, missing string) (string, *store.APIError) {
	v, e := queryParams(r, name)
	if e != nil {
		return "", e
	}
	if !v.Has(name) {
		return "", badRequest("%s", missing)
	}
	return v.Get(name), nil
}

// reply answers v with status, or the error e instead if it is not nil.
func reply(w http.ResponseWriter, status int, v any, e *store.APIError) {
	if e != nil {
		writeError(w, e)
		return
	}
	writeJSON(w, status, v)
}

// handleByID answers GET of one record, GET .../{id} with no query, with
// what find returns for the id.
func handleByID[T any](find func(id string) (T, *store.APIError)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !noQuery(w, r) {
			return
		}
		v, e := find(r.PathValue("id"))
		reply(w, http.StatusOK, v, e)
	})
}

// handleTire: GET /api/v1/tires/{id}.
func handleTire(s *state) http.Handler { return handleByID(s.tire) }

// handleOrder: GET /api/v1/orders/{id}.
func handleOrder(s *state) http.Handler { return handleByID(s.order) }

// handleOrdersByPhone: GET /api/v1/orders?phone=, newest first; a phone
// with no orders is an empty list.
func handleOrdersByPhone(s *state) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, e := requiredParam(r, "phone", "phone is required")
		if e != nil {
			writeError(w, e)
			return
		}
		phone, err := store.NormalizePhone(v)
		if err != nil {
			writeError(w, badRequest("phone: want a phone number such as +79161234567 or 8 916 123-45-67"))
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"items": s.ordersByPhone(phone)})
	})
}

// Limits of the POST bodies; api/store-openapi.yaml states the same.
const (
	maxQuantity = 20
	maxName     = 100 // characters
	maxAddress  = 300 // characters
	maxNote     = 500 // characters
)

// checkText reports a required (or optional) text field over max characters.
func checkText(name, v string, required bool, max int) *store.APIError {
	least := 0
	if required {
		least = 1
	}
	if utf8.RuneCountInString(strings.TrimSpace(v)) < least || utf8.RuneCountInString(v) > max {
		return badRequest("%s: want %d to %d characters", name, least, max)
	}
	return nil
}

// handleCreate answers a POST that makes one record: the JSON body,
// decoded strictly (decodeBody, at most maxBody bytes), goes through check,
// which reports its first fault or returns it normalized, to create; 201
// with the record and, if location is not nil, its Location.
func handleCreate[Req, Rec any](maxBody int64, check func(Req) (Req, *store.APIError), create func(Req) (Rec, *store.APIError), location func(Rec) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req Req
		e := decodeBody(w, r, maxBody, &req)
		if e == nil {
			req, e = check(req)
		}
		if e != nil {
			writeError(w, e)
			return
		}
		rec, e := create(req)
		if e == nil && location != nil {
			w.Header().Set("Location", location(rec))
		}
		reply(w, http.StatusCreated, rec, e)
	})
}

// checkOrder reports the first fault of an order body and returns it with
// the phone normalized and the texts trimmed.
func checkOrder(req store.OrderRequest) (store.OrderRequest, *store.APIError) {
	phone, err := store.NormalizePhone(req.Phone)
	switch {
	case req.TireID == "":
		return req, badRequest("tire_id is required")
	case req.Quantity < 1 || req.Quantity > maxQuantity:
		return req, badRequest("quantity %d: want 1 to %d", req.Quantity, maxQuantity)
	case err != nil:
		return req, badRequest("phone %q: want a phone number such as +79161234567", req.Phone)
	case req.StationID != "" && req.Address != "":
		return req, badRequest("give station_id (pickup) or address (delivery), not both")
	}
	if e := cmp.Or(checkText("name", req.Name, true, maxName), checkText("address", req.Address, false, maxAddress)); e != nil {
		return req, e
	}
	req.Phone, req.Name, req.Address = phone, strings.TrimSpace(req.Name), strings.TrimSpace(req.Address)
	return req, nil
}

// handleCreateOrder: POST /api/v1/orders; 201 with the order.
func handleCreateOrder(s *state, maxBody int64) http.Handler {
	return handleCreate(maxBody, checkOrder, s.createOrder, func(o store.Order) string { return "/api/v1/orders/" + o.ID })
}

// handleStations: GET /api/v1/stations[?city=]; an unknown city is an
// empty list.
func handleStations(s *state) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, e := queryParams(r, "city")
		if e != nil {
			writeError(w, e)
			return
		}
		city := v.Get("city")
		if v.Has("city") && strings.TrimSpace(city) == "" {
			writeError(w, badRequest("city: empty; leave it out for every station"))
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"items": s.stationsIn(city)})
	})
}

// handleSlots: GET /api/v1/stations/{id}/slots?date=YYYY-MM-DD.
func handleSlots(s *state) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		date, e := requiredParam(r, "date", "date is required (YYYY-MM-DD)")
		if e != nil {
			writeError(w, e)
			return
		}
		out, e := s.slots(r.PathValue("id"), date)
		reply(w, http.StatusOK, out, e)
	})
}

// checkBooking reports the first fault of a booking body and returns it
// with the phone normalized and the texts trimmed.
func checkBooking(req store.BookingRequest) (store.BookingRequest, *store.APIError) {
	phone, err := store.NormalizePhone(req.Phone)
	switch {
	case req.StationID == "":
		return req, badRequest("station_id is required")
	case req.Start == "":
		return req, badRequest("start is required")
	case err != nil:
		return req, badRequest("phone %q: want a phone number such as +79161234567", req.Phone)
	}
	if e := cmp.Or(checkText("name", req.Name, true, maxName), checkText("note", req.Note, false, maxNote)); e != nil {
		return req, e
	}
	req.Phone, req.Name, req.Note = phone, strings.TrimSpace(req.Name), strings.TrimSpace(req.Note)
	return req, nil
}

// handleBook: POST /api/v1/bookings; 201 with the booking, 409 for a
// taken slot, 422 for one that cannot be booked.
func handleBook(s *state, maxBody int64) http.Handler {
	return handleCreate(maxBody, checkBooking, s.book, nil)
}

// handleExport: GET /api/v1/admin/data, the whole data set.
func handleExport(s *state) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		data, err := s.exportJSON()
		if err != nil {
			writeError(w, apiError(http.StatusInternalServerError, "internal", "export: %v", err))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(data)
	})
}

// handleReplace: PUT /api/v1/admin/data replaces the whole data set; 400
// for a body that is not a data set, 422 for an inconsistent one (and the
// old data stays).
func handleReplace(s *state, log *slog.Logger, maxBody int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var d Dataset
		if e := decodeBody(w, r, maxBody, &d); e != nil {
			writeError(w, e)
			return
		}
		if err := d.Validate(); err != nil {
			writeError(w, apiError(http.StatusUnprocessableEntity, "invalid_data", "%v", err))
			return
		}
		replaceData(w, s, log, "data set replaced", d)
	})
}

// handleReset: POST /api/v1/admin/reset returns to the start-up data set.
func handleReset(s *state, log *slog.Logger, initial Dataset) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !noQuery(w, r) {
			return
		}
		replaceData(w, s, log, "data set reset", initial)
	})
}

// replaceData swaps in d, logs msg with the new counts and answers them.
func replaceData(w http.ResponseWriter, s *state, log *slog.Logger, msg string, d Dataset) {
	c := s.replace(d)
	log.Info(msg, "tires", c.Tires, "orders", c.Orders, "stations", c.Stations, "bookings", c.Bookings)
	writeJSON(w, http.StatusOK, c)
}
