package storemock

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tirevoice/assistant/internal/store"
)

// shopZone is the calendar that AsOf and order dates follow.
var shopZone = mustZone("Europe/Moscow")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err) // time/tzdata is linked in: cannot happen
	}
	return loc
}

// state is the mock's in-memory data. Every method is safe for concurrent
// use; a write (order, booking, replace) holds the lock across its check and
// its change, so two bookings of one slot cannot both succeed.
type state struct {
	now func() time.Time

	mu          sync.RWMutex
	data        Dataset
	tires       map[string]int // id -> index in data.Tires
	orders      map[string]int
	stations    map[string]int
	zones       map[string]*time.Location // station id -> zone
	taken       map[slotKey]bool
	nextOrder   int // numeric id of the next order
	nextBooking int
}

func newState(d Dataset, now func() time.Time) *state {
	s := &state{now: now}
	s.replace(d)
	return s
}

// replace swaps in d (already validated), moved to today.
func (s *state) replace(d Dataset) Counts {
	d = d.rebased(s.now().In(shopZone).Format(time.DateOnly))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.data = d
	s.tires = make(map[string]int, len(d.Tires))
	for i, t := range d.Tires {
		s.tires[t.ID] = i
	}
	s.orders = make(map[string]int, len(d.Orders))
	s.nextOrder = 100001
	for i, o := range d.Orders {
		s.orders[o.ID] = i
		if n, err := strconv.Atoi(o.ID); err == nil && n >= s.nextOrder {
			s.nextOrder = n + 1
		}
	}
	s.stations = make(map[string]int, len(d.Stations))
	s.zones = make(map[string]*time.Location, len(d.Stations))
	for i, st := range d.Stations {
		s.stations[st.ID] = i
		s.zones[st.ID], _ = time.LoadLocation(st.Timezone) // Validate checked it
	}
	s.taken = make(map[slotKey]bool, len(d.Bookings))
	s.nextBooking = 1
	for _, b := range d.Bookings {
		s.taken[slotKey{b.StationID, b.Start.Unix()}] = true
		if n, err := strconv.Atoi(strings.TrimPrefix(b.ID, "B")); err == nil && n >= s.nextBooking {
			s.nextBooking = n + 1
		}
	}
	return d.Counts()
}

// exportJSON encodes the whole data set.
func (s *state) exportJSON() ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return json.Marshal(s.data)
}

// tireQuery is a validated search.
type tireQuery struct {
	store.TireQuery
	brand string // lower case
}

func (s *state) searchTires(q tireQuery) store.TireSearch {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var found []store.Tire
	for _, t := range s.data.Tires {
		if (q.Width != 0 && t.Width != q.Width) ||
			(q.Profile != 0 && t.Profile != q.Profile) ||
			(q.Rim != 0 && t.Rim != q.Rim) ||
			(q.Season != "" && t.Season != q.Season) ||
			(q.brand != "" && strings.ToLower(t.Brand) != q.brand) ||
			(q.Studded != nil && t.Studded != *q.Studded) ||
			(q.MaxPrice != 0 && t.Price > q.MaxPrice) ||
			(q.InStock && t.Stock == 0) {
			continue
		}
		found = append(found, t)
	}
	slices.SortStableFunc(found, func(a, b store.Tire) int {
		return cmp.Or(cmp.Compare(a.Price, b.Price), cmp.Compare(a.ID, b.ID))
	})
	out := store.TireSearch{Items: found, Total: len(found)}
	if len(found) > q.Limit {
		out.Items = found[:q.Limit]
	}
	if out.Items == nil {
		out.Items = []store.Tire{}
	}
	return out
}

func (s *state) tire(id string) (store.Tire, *store.APIError) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	i, ok := s.tires[id]
	if !ok {
		return store.Tire{}, notFound("tire %q", id)
	}
	return s.data.Tires[i], nil
}

func (s *state) order(id string) (store.Order, *store.APIError) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	i, ok := s.orders[id]
	if !ok {
		return store.Order{}, notFound("order %q", id)
	}
	return s.data.Orders[i], nil
}

// ordersByPhone returns phone's orders, newest first.
func (s *state) ordersByPhone(phone string) []store.Order {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []store.Order{}
	for _, o := range s.data.Orders {
		if o.Phone == phone {
			out = append(out, o)
		}
	}
	slices.SortStableFunc(out, func(a, b store.Order) int { return b.CreatedAt.Compare(a.CreatedAt) })
	return out
}

// createOrder places req (fields validated, phone normalised) and takes
// the tires from stock.
func (s *state) createOrder(req store.OrderRequest) (store.Order, *store.APIError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.tires[req.TireID]
	if !ok {
		return store.Order{}, notFound("tire %q", req.TireID)
	}
	t := &s.data.Tires[i]
	if req.StationID != "" {
		if _, ok := s.stations[req.StationID]; !ok {
			return store.Order{}, notFound("station %q", req.StationID)
		}
	}
	if t.Stock < req.Quantity {
		return store.Order{}, &store.APIError{Status: http.StatusConflict, Code: store.CodeInsufficientStock,
			Message: fmt.Sprintf("tire %s: %d in stock, %d ordered", t.ID, t.Stock, req.Quantity)}
	}
	t.Stock -= req.Quantity
	now := s.now().In(shopZone).Truncate(time.Second)
	o := store.Order{
		ID:     strconv.Itoa(s.nextOrder),
		Phone:  req.Phone,
		Name:   req.Name,
		Status: store.OrderNew,
		Items: []store.OrderItem{{
			TireID:      t.ID,
			Description: t.Brand + " " + t.Model + " " + t.Size(),
			Quantity:    req.Quantity,
			Price:       t.Price,
		}},
		Total:     req.Quantity * t.Price,
		Delivery:  store.Delivery{Method: store.DeliveryPickup, StationID: req.StationID},
		CreatedAt: now,
		UpdatedAt: now,
	}
	if req.Address != "" {
		o.Delivery = store.Delivery{Method: store.DeliveryCourier, Address: req.Address}
	}
	s.nextOrder++
	s.orders[o.ID] = len(s.data.Orders)
	s.data.Orders = append(s.data.Orders, o)
	return o, nil
}

// stationsIn returns the stations in city (matched by cityKey), or all of
// them for "".
func (s *state) stationsIn(city string) []store.Station {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []store.Station{}
	want := cityKey(city)
	for _, st := range s.data.Stations {
		if city == "" || cityKey(st.City) == want {
			out = append(out, st)
		}
	}
	return out
}

// dayGrid is one station's slot grid for one local date.
type dayGrid struct {
	closed      bool
	open, close time.Time
	step        time.Duration
}

// grid returns st's slot grid on the local date day (midnight in zone).
func grid(st store.Station, day time.Time) dayGrid {
	h := st.Hours[(int(day.Weekday())+6)%7] // Monday first
	if h.Closed {
		return dayGrid{closed: true}
	}
	o, _ := clockMinutes(h.Open) // Validate checked them
	c, _ := clockMinutes(h.Close)
	return dayGrid{
		open:  day.Add(time.Duration(o) * time.Minute),
		close: day.Add(time.Duration(c) * time.Minute),
		step:  time.Duration(st.SlotMinutes) * time.Minute,
	}
}

// slots returns a station's free slots on date (YYYY-MM-DD, station local):
// every slot of its grid that starts after now and is not booked.
func (s *state) slots(stationID, date string) (store.StationSlots, *store.APIError) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	i, ok := s.stations[stationID]
	if !ok {
		return store.StationSlots{}, notFound("station %q", stationID)
	}
	zone := s.zones[stationID]
	day, err := time.ParseInLocation(time.DateOnly, date, zone)
	if err != nil {
		return store.StationSlots{}, badRequest("date %q: want YYYY-MM-DD", date)
	}
	out := store.StationSlots{StationID: stationID, Date: date, Slots: []store.Slot{}}
	g := grid(s.data.Stations[i], day)
	if g.closed {
		out.Closed = true
		return out, nil
	}
	now := s.now()
	for t := g.open; !t.Add(g.step).After(g.close); t = t.Add(g.step) {
		if !t.After(now) || s.taken[slotKey{stationID, t.Unix()}] {
			continue
		}
		out.Slots = append(out.Slots, store.Slot{Start: t, End: t.Add(g.step)})
	}
	return out, nil
}

// maxBookingAhead is how far ahead a slot may be booked.
const maxBookingAhead = 60 * 24 * time.Hour

// book books req (fields validated, phone normalised): 404 for an unknown
// station, 422 for a start that is not a free-able slot of the grid (past,
// off the grid, outside hours, too far ahead), 409 when it is taken.
func (s *state) book(req store.BookingRequest) (store.Booking, *store.APIError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.stations[req.StationID]
	if !ok {
		return store.Booking{}, notFound("station %q", req.StationID)
	}
	st, zone := s.data.Stations[i], s.zones[req.StationID]
	start, err := parseStart(req.Start, zone)
	if err != nil {
		return store.Booking{}, badRequest("start %q: want RFC 3339 (2025-06-10T10:00:00+03:00) or station local time (2025-06-10T10:00)", req.Start)
	}
	now := s.now()
	y, m, d := start.Date()
	g := grid(st, time.Date(y, m, d, 0, 0, 0, 0, zone))
	switch {
	case !start.After(now):
		return store.Booking{}, unprocessable("slot %s is in the past", start.Format(time.RFC3339))
	case start.Sub(now) > maxBookingAhead:
		return store.Booking{}, unprocessable("slot %s is more than 60 days ahead", start.Format(time.RFC3339))
	case g.closed:
		return store.Booking{}, unprocessable("station %s is closed on %s", st.ID, start.Weekday())
	case start.Before(g.open) || start.Add(g.step).After(g.close):
		return store.Booking{}, unprocessable("slot %s is outside the working hours %s-%s", start.Format("15:04"), g.open.Format("15:04"), g.close.Format("15:04"))
	case start.Sub(g.open)%g.step != 0:
		return store.Booking{}, unprocessable("slot %s is not on the station's %d-minute grid from %s", start.Format("15:04"), st.SlotMinutes, g.open.Format("15:04"))
	}
	key := slotKey{st.ID, start.Unix()}
	if s.taken[key] {
		return store.Booking{}, &store.APIError{Status: http.StatusConflict, Code: store.CodeSlotTaken,
			Message: fmt.Sprintf("station %s is booked at %s", st.ID, start.Format(time.RFC3339))}
	}
	b := store.Booking{
		ID:        fmt.Sprintf("B%04d", s.nextBooking),
		StationID: st.ID,
		Start:     start,
		End:       start.Add(g.step),
		Phone:     req.Phone,
		Name:      req.Name,
		Note:      req.Note,
		CreatedAt: now.In(zone).Truncate(time.Second),
	}
	s.nextBooking++
	s.taken[key] = true
	s.data.Bookings = append(s.data.Bookings, b)
	return b, nil
}

// parseStart reads RFC 3339, or a local time in zone without an offset.
func parseStart(v string, zone *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.In(zone), nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04"} {
		if t, err := time.ParseInLocation(layout, v, zone); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("bad time %q", v)
}

// cityKey folds a city name for comparison: lower case, ё as е, hyphens and
// repeated spaces as one space, and the usual short and Latin names mapped
// to the Russian one.
func cityKey(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.ReplaceAll(s, "ё", "е")
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '-' || r == '.' || r == '_' }), " ")
	if c, ok := cityAliases[s]; ok {
		return c
	}
	return s
}

// cityAliases maps folded other names to the folded Russian name.
var cityAliases = map[string]string{
	"moscow": "москва", "moskva": "москва", "мск": "москва",
	"спб": "санкт петербург", "питер": "санкт петербург", "петербург": "санкт петербург",
	"saint petersburg": "санкт петербург", "st petersburg": "санкт петербург", "sankt peterburg": "санкт петербург",
	"kazan": "казань", "kazan'": "казань",
	"екб": "екатеринбург", "yekaterinburg": "екатеринбург", "ekaterinburg": "екатеринбург",
	"нск": "новосибирск", "novosibirsk": "новосибирск",
}
