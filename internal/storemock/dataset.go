package storemock

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // stations name IANA zones; a scratch container has no zoneinfo

	"github.com/tirevoice/assistant/internal/store"
)

//go:generate go run ./gen -o fixtures/dataset.json

//go:embed fixtures/dataset.json
var fixtureJSON []byte

// Dataset is the mock's whole state, as PUT and GET /api/v1/admin/data carry
// it and as the fixture file holds it.
//
// AsOf, when set (YYYY-MM-DD), is the day the data set was written for:
// on loading, every date in it moves by the whole days from AsOf to today
// (Moscow calendar), so that "an order placed yesterday" and "tomorrow's
// bookings" stay so whenever the mock starts, and AsOf becomes today.
// Without AsOf, dates are kept as they are.
type Dataset struct {
	AsOf     string          `json:"as_of,omitempty"`
	Tires    []store.Tire    `json:"tires"`
	Orders   []store.Order   `json:"orders"`
	Stations []store.Station `json:"stations"`
	Bookings []store.Booking `json:"bookings"`
}

// Counts is how many records of each kind a data set holds.
type Counts struct {
	Tires    int `json:"tires"`
	Orders   int `json:"orders"`
	Stations int `json:"stations"`
	Bookings int `json:"bookings"`
}

// Counts reports how many records of each kind d holds.
func (d Dataset) Counts() Counts {
	return Counts{Tires: len(d.Tires), Orders: len(d.Orders), Stations: len(d.Stations), Bookings: len(d.Bookings)}
}

// Fixtures returns the embedded seed data set (fixtures/dataset.json, made
// by ./gen), not yet moved to today.
func Fixtures() (Dataset, error) {
	d, err := ParseDataset(bytes.NewReader(fixtureJSON))
	if err != nil {
		return Dataset{}, fmt.Errorf("embedded fixtures: %w", err)
	}
	return d, nil
}

// ParseDataset reads a JSON data set strictly (unknown fields are errors)
// and validates it. The error wraps ErrBadJSON or ErrInvalidData.
func ParseDataset(r io.Reader) (Dataset, error) {
	var d Dataset
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return Dataset{}, fmt.Errorf("%w: %v", ErrBadJSON, err)
	}
	if dec.More() {
		return Dataset{}, fmt.Errorf("%w: data after the JSON value", ErrBadJSON)
	}
	if err := d.Validate(); err != nil {
		return Dataset{}, err
	}
	return d, nil
}

var weekdays = [7]string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// Validate checks that d is consistent: unique ids, known enums, plausible
// sizes and prices, phones in E.164, working hours for seven days, bookings
// at known stations that do not overlap. The error wraps ErrInvalidData and
// names the first bad record.
func (d Dataset) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidData, fmt.Sprintf(format, a...))
	}
	if d.AsOf != "" {
		if _, err := time.Parse(time.DateOnly, d.AsOf); err != nil {
			return bad("as_of %q: want YYYY-MM-DD", d.AsOf)
		}
	}
	tires := map[string]bool{}
	for i, t := range d.Tires {
		switch {
		case t.ID == "" || tires[t.ID]:
			return bad("tires[%d]: id %q empty or repeated", i, t.ID)
		case t.Brand == "" || t.Model == "":
			return bad("tires[%d]: brand and model required", i)
		case t.Width < 100 || t.Width > 400 || t.Profile < 20 || t.Profile > 95 || t.Rim < 10 || t.Rim > 26:
			return bad("tires[%d]: size %s implausible", i, t.Size())
		case !t.Season.Valid():
			return bad("tires[%d]: season %q unknown", i, t.Season)
		case t.Studded && t.Season != store.SeasonWinter:
			return bad("tires[%d]: only winter tires are studded", i)
		case t.Price <= 0 || t.Stock < 0:
			return bad("tires[%d]: price must be > 0 and stock >= 0", i)
		}
		tires[t.ID] = true
	}
	stations := map[string]bool{}
	for i, s := range d.Stations {
		switch {
		case s.ID == "" || stations[s.ID]:
			return bad("stations[%d]: id %q empty or repeated", i, s.ID)
		case s.City == "" || s.Name == "" || s.Address == "":
			return bad("stations[%d]: city, name and address required", i)
		case s.SlotMinutes < 15 || s.SlotMinutes > 240:
			return bad("stations[%d]: slot_minutes %d not in 15..240", i, s.SlotMinutes)
		case len(s.Hours) != 7:
			return bad("stations[%d]: hours must have 7 days, Monday first", i)
		}
		if p, err := store.NormalizePhone(s.Phone); err != nil || p != s.Phone {
			return bad("stations[%d]: phone %q not E.164", i, s.Phone)
		}
		if _, err := time.LoadLocation(s.Timezone); err != nil || s.Timezone == "" {
			return bad("stations[%d]: timezone %q unknown", i, s.Timezone)
		}
		for j, h := range s.Hours {
			if h.Day != weekdays[j] {
				return bad("stations[%d].hours[%d]: day %q, want %q", i, j, h.Day, weekdays[j])
			}
			if h.Closed {
				if h.Open != "" || h.Close != "" {
					return bad("stations[%d].hours[%d]: a closed day has no open/close", i, j)
				}
				continue
			}
			o, err1 := clockMinutes(h.Open)
			c, err2 := clockMinutes(h.Close)
			if err1 != nil || err2 != nil || o >= c {
				return bad("stations[%d].hours[%d]: open %q close %q: want HH:MM, open before close", i, j, h.Open, h.Close)
			}
		}
		stations[s.ID] = true
	}
	orders := map[string]bool{}
	for i, o := range d.Orders {
		switch {
		case o.ID == "" || orders[o.ID]:
			return bad("orders[%d]: id %q empty or repeated", i, o.ID)
		case !o.Status.Valid():
			return bad("orders[%d]: status %q unknown", i, o.Status)
		case len(o.Items) == 0:
			return bad("orders[%d]: no items", i)
		case o.CreatedAt.IsZero() || o.UpdatedAt.Before(o.CreatedAt):
			return bad("orders[%d]: created_at required, updated_at not before it", i)
		}
		if p, err := store.NormalizePhone(o.Phone); err != nil || p != o.Phone {
			return bad("orders[%d]: phone %q not E.164", i, o.Phone)
		}
		sum := 0
		for j, it := range o.Items {
			if it.TireID == "" || it.Quantity <= 0 || it.Price <= 0 {
				return bad("orders[%d].items[%d]: tire_id, quantity > 0 and price > 0 required", i, j)
			}
			sum += it.Quantity * it.Price
		}
		if sum != o.Total {
			return bad("orders[%d]: total %d, items sum to %d", i, o.Total, sum)
		}
		switch o.Delivery.Method {
		case store.DeliveryCourier:
			if o.Delivery.Address == "" {
				return bad("orders[%d]: delivery needs an address", i)
			}
		case store.DeliveryPickup:
			if o.Delivery.StationID != "" && !stations[o.Delivery.StationID] {
				return bad("orders[%d]: pickup station %q unknown", i, o.Delivery.StationID)
			}
		default:
			return bad("orders[%d]: delivery method %q unknown", i, o.Delivery.Method)
		}
		if e := o.Delivery.ExpectedDate; e != "" {
			if _, err := time.Parse(time.DateOnly, e); err != nil {
				return bad("orders[%d]: expected_date %q: want YYYY-MM-DD", i, e)
			}
		}
		orders[o.ID] = true
	}
	bookings := map[string]bool{}
	slots := map[slotKey]bool{}
	for i, b := range d.Bookings {
		key := slotKey{b.StationID, b.Start.Unix()}
		switch {
		case b.ID == "" || bookings[b.ID]:
			return bad("bookings[%d]: id %q empty or repeated", i, b.ID)
		case !stations[b.StationID]:
			return bad("bookings[%d]: station %q unknown", i, b.StationID)
		case !b.End.After(b.Start):
			return bad("bookings[%d]: end must be after start", i)
		case slots[key]:
			return bad("bookings[%d]: station %s already booked at %s", i, b.StationID, b.Start.Format(time.RFC3339))
		case b.Name == "":
			return bad("bookings[%d]: name required", i)
		}
		if p, err := store.NormalizePhone(b.Phone); err != nil || p != b.Phone {
			return bad("bookings[%d]: phone %q not E.164", i, b.Phone)
		}
		bookings[b.ID], slots[key] = true, true
	}
	return nil
}

// slotKey identifies a station's slot by its start instant (Unix seconds).
type slotKey struct {
	station string
	start   int64
}

// clockMinutes parses "HH:MM" into minutes after midnight (0..1440).
func clockMinutes(s string) (int, error) {
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || len(h) != 2 || len(m) != 2 || err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh*60+mm > 24*60 {
		return 0, errors.New("want HH:MM")
	}
	return hh*60 + mm, nil
}

// rebased returns a copy of d whose dates have moved by the whole days from
// d.AsOf to today, and whose AsOf is today. A d without AsOf is returned
// with its dates as they are. Slices are copied (never nil), so the result
// shares nothing writable with d.
func (d Dataset) rebased(today string) Dataset {
	out := Dataset{
		AsOf:     d.AsOf,
		Tires:    append([]store.Tire{}, d.Tires...),
		Orders:   make([]store.Order, len(d.Orders)),
		Stations: make([]store.Station, len(d.Stations)),
		Bookings: append([]store.Booking{}, d.Bookings...),
	}
	for i, s := range d.Stations {
		s.Hours = append([]store.DayHours(nil), s.Hours...)
		out.Stations[i] = s
	}
	days := 0
	if d.AsOf != "" {
		from, _ := time.Parse(time.DateOnly, d.AsOf) // Validate checked it
		to, _ := time.Parse(time.DateOnly, today)
		days = int(to.Sub(from).Hours() / 24)
		out.AsOf = today
	}
	for i, o := range d.Orders {
		o.Items = append([]store.OrderItem(nil), o.Items...)
		o.CreatedAt = o.CreatedAt.AddDate(0, 0, days)
		o.UpdatedAt = o.UpdatedAt.AddDate(0, 0, days)
		if e, err := time.Parse(time.DateOnly, o.Delivery.ExpectedDate); err == nil {
			o.Delivery.ExpectedDate = e.AddDate(0, 0, days).Format(time.DateOnly)
		}
		out.Orders[i] = o
	}
	for i := range out.Bookings {
		b := &out.Bookings[i]
		b.Start, b.End, b.CreatedAt = b.Start.AddDate(0, 0, days), b.End.AddDate(0, 0, days), b.CreatedAt.AddDate(0, 0, days)
	}
	return out
}
