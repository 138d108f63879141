package rules

import (
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/tirevoice/assistant/internal/dialog"
	"github.com/tirevoice/assistant/internal/russian"
	"github.com/tirevoice/assistant/internal/store"
	"github.com/tirevoice/assistant/internal/tools/shop"
)

// maxOffered is how many stations or times the bot reads out.
const maxOffered = 3

// station is a fitting station as find_stations reports it.
type station struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Address string `json:"address"`
}

// bookingSlots is a fitting booking being put together.
type bookingSlots struct {
	city     string    // as find_stations takes it
	stations []station // find_stations' answer for city; nil before it
	station  *station
	date     time.Time // midnight, local; zero until said
	slots    []clock   // free times at station on date; nil before free_slots
	want     *clock    // the time the caller asked for, not yet checked
	offered  []clock   // the times read out
	time     *clock    // the free time the caller chose
}

// bookingEntities reports whether u says anything a booking takes.
func (c *conversation) bookingEntities(u utterance) bool {
	_, hasCity := parseCity(u, false)
	_, hasDate := parseDate(u, c.r.now())
	_, hasClock := parseClock(u, false)
	return hasCity || hasDate || hasClock
}

// booking takes what u says about a booking (city, date, time) and goes
// on with the booking.
func (c *conversation) booking(t *turn, u utterance) dialog.Outcome {
	c.task = taskBooking
	c.takeBooking(u, false)
	return c.advanceBooking(t)
}

// takeBooking merges the city, date and time in u into the booking. A new
// city forgets the stations, a new date the free times.
func (c *conversation) takeBooking(u utterance, looseCity bool) {
	b := &c.book
	if ct, ok := parseCity(u, looseCity); ok && ct.name != b.city {
		*b = bookingSlots{city: ct.name, date: b.date, want: b.want}
	}
	if d, ok := parseDate(u, c.r.now()); ok && !d.Equal(b.date) {
		b.date, b.slots, b.time, b.offered = d, nil, nil, nil
	}
	if cl, ok := parseClock(u, false); ok {
		b.want, b.time = &cl, nil
	}
}

// answerBooking handles the answer to a booking question.
func (c *conversation) answerBooking(t *turn, u utterance, p pending) (dialog.Outcome, bool) {
	b := &c.book
	c.task = taskBooking
	switch p {
	case askCity:
		if _, ok := parseCity(u, true); ok {
			c.takeBooking(u, true)
			return c.advanceBooking(t), true
		}
	case askStation:
		if _, ok := parseCity(u, false); ok {
			break // another city: route takes it
		}
		if i := chooseStation(u, b.stations); i >= 0 {
			b.station = &b.stations[i]
			c.takeBooking(u, false)
			return c.advanceBooking(t), true
		}
	case askDate:
		if _, ok := parseDate(u, c.r.now()); ok {
			c.takeBooking(u, false)
			return c.advanceBooking(t), true
		}
		if cl, ok := parseClock(u, false); ok {
			b.want = &cl
			return c.ask(t, askDate, askDateText), true
		}
	case askTime:
		if _, ok := parseDate(u, c.r.now()); ok {
			c.takeBooking(u, false)
			return c.advanceBooking(t), true
		}
		if cl, ok := parseClock(u, true); ok {
			b.want, b.time = &cl, nil
			return c.advanceBooking(t), true
		}
		if i := parseChoice(u, len(b.offered)); i >= 0 && !isNo(u) || anyOption(u) && len(b.offered) > 0 {
			i = max(i, 0)
			chosen := b.offered[i]
			b.time = &chosen
			return c.advanceBooking(t), true
		}
	case askName:
		if len(u.f) <= 4 && !u.question() && !kbTopic(u) {
			if n := parseName(u); n != "" {
				c.name = n
				return c.advanceBooking(t), true
			}
		}
	case askPhone:
		if ph := parsePhone(u); ph != "" {
			c.phone, c.phoneConfirmed = ph, false
			return c.advanceBooking(t), true
		}
		if byCallerPhone(u) && t.caller.Phone() != "" {
			c.phone, c.phoneConfirmed = "", false
			return c.advanceBooking(t), true
		}
	case askPhoneConfirm:
		switch ph := parsePhone(u); {
		case ph != "":
			c.phone, c.phoneConfirmed = ph, false // another number: read back in turn
			return c.advanceBooking(t), true
		case isYes(u):
			c.phoneConfirmed = true
			return c.advanceBooking(t), true
		case isNo(u):
			c.phone, c.phoneConfirmed = "", false
			return c.ask(t, askPhone, sayOK, askPhoneText), true
		}
	}
	return dialog.Outcome{}, false
}

// advanceBooking asks for the next missing piece (city, station, date,
// time, name, phone), fetching stations and free times on the way, and
// books when nothing is missing.
func (c *conversation) advanceBooking(t *turn) dialog.Outcome {
	b := &c.book
	switch {
	case b.station == nil && b.city == "":
		return c.ask(t, askCity, askCityText)
	case b.station == nil && b.stations == nil:
		return c.findStations(t)
	case b.station == nil:
		return c.ask(t, askStation, askStationText)
	case b.date.IsZero():
		return c.ask(t, askDate, askDateText)
	case b.slots == nil:
		return c.freeSlots(t)
	case b.time == nil && b.want != nil:
		want := *b.want
		b.want = nil
		if slices.Contains(b.slots, want) {
			b.time = &want
			return c.advanceBooking(t)
		}
		b.offered = nearest(b.slots, want, maxOffered)
		return c.ask(t, askTime, fmt.Sprintf("В %s свободного времени нет.", speakClock(want)),
			"Ближайшее свободное время: "+speakClocks(b.offered)+".", askTimeText)
	case b.time == nil:
		b.offered = b.slots[:min(len(b.slots), maxOffered)]
		return c.ask(t, askTime, capitalize(russian.SpokenDate(b.date, c.r.now()))+" свободно в "+speakClocks(b.offered)+".", askTimeText)
	case c.name == "":
		return c.ask(t, askName, askNameText)
	case c.phone == "" && t.caller.Phone() == "":
		return c.ask(t, askPhone, askPhoneText)
	}
	return c.bookSlot(t)
}

// findStations runs find_stations for the city and reads them; one station
// is taken without asking.
func (c *conversation) findStations(t *turn) dialog.Outcome {
	b := &c.book
	res, err := c.call(t, "find_stations", map[string]any{"city": clip(b.city, 60)})
	if err != nil {
		return c.failed(t, res)
	}
	var data struct {
		Stations []station `json:"stations"`
	}
	decode(res.Data, &data)
	var ok []station
	for _, s := range data.Stations {
		if validStationID(s.ID) {
			ok = append(ok, s)
		}
	}
	t.speak(res.Say)
	switch len(ok) {
	case 0:
		b.city = ""
		return c.ask(t, askCity, askCityText)
	case 1:
		b.stations, b.station = ok, &ok[0]
		return c.advanceBooking(t)
	}
	b.stations = ok
	return c.ask(t, askStation, askStationText)
}

// freeSlots runs free_slots for the station and date. A closed or full day
// asks for another day.
func (c *conversation) freeSlots(t *turn) dialog.Outcome {
	b := &c.book
	res, err := c.call(t, "free_slots", map[string]any{"station_id": b.station.ID, "date": b.date.Format(time.DateOnly)})
	if err != nil {
		return c.failed(t, res)
	}
	slots, closed := decodeSlots(res.Data)
	if closed || len(slots) == 0 {
		t.speak(res.Say)
		b.date, b.slots = time.Time{}, nil
		return c.ask(t, askDate, askOtherDateText)
	}
	b.slots = slots
	return c.advanceBooking(t)
}

func decodeSlots(data any) (slots []clock, closed bool) {
	var d struct {
		Slots  []string `json:"slots"`
		Closed bool     `json:"closed"`
	}
	decode(data, &d)
	slots = []clock{}
	for _, s := range d.Slots {
		var h, m int
		if n, err := fmt.Sscanf(s, "%d:%d", &h, &m); err == nil && n == 2 && h >= 0 && h < 24 && m >= 0 && m < 60 {
			slots = append(slots, clock{h, m})
		}
	}
	return slots, d.Closed
}

// bookSlot runs book_slot, for the caller's own number unless they
// dictated another one, which the tool reads back for a yes first. A
// taken slot (or one the store refuses) is said so and the nearest other
// free times are offered.
func (c *conversation) bookSlot(t *turn) dialog.Outcome {
	b := &c.book
	args := map[string]any{
		"station_id": b.station.ID,
		"start":      b.date.Format(time.DateOnly) + "T" + b.time.String(),
		"name":       c.name,
	}
	if c.phone != "" {
		args["phone"] = c.phone
		if c.phoneConfirmed {
			args["phone_confirmed"] = true
		}
	}
	if note := c.bookingNote(); note != "" {
		args["note"] = note
	}
	res, err := c.call(t, "book_slot", args)
	var need struct {
		Need string `json:"need"`
	}
	decode(res.Data, &need)
	switch {
	case err == nil && need.Need == shop.NeedPhoneConfirmation:
		c.phoneConfirmed = false
		return c.ask(t, askPhoneConfirm, res.Say)
	case err == nil && need.Need == shop.NeedPhone:
		c.phone, c.phoneConfirmed = "", false
		return c.ask(t, askPhone, res.Say)
	case err == nil:
		t.speak(res.Say)
		c.book = bookingSlots{}
		c.task = taskNone
		return c.followUp(t, res.Say)
	case t.err != nil:
		return dialog.Outcome{Action: dialog.Continue}
	case errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrInvalid):
		taken := *b.time
		if res.Say != "" {
			t.speak(res.Say)
		}
		return c.offerOthers(t, taken)
	}
	return c.failed(t, res)
}

// offerOthers fetches the free times again after taken turned out busy
// and offers the nearest ones.
func (c *conversation) offerOthers(t *turn, taken clock) dialog.Outcome {
	b := &c.book
	b.time, b.slots = nil, nil
	res, err := c.call(t, "free_slots", map[string]any{"station_id": b.station.ID, "date": b.date.Format(time.DateOnly)})
	if err != nil {
		return c.failed(t, res)
	}
	slots, _ := decodeSlots(res.Data)
	slots = slices.DeleteFunc(slots, func(s clock) bool { return s == taken })
	if len(slots) == 0 {
		b.date = time.Time{}
		return c.ask(t, askDate, "На этот день свободного времени больше нет.", askOtherDateText)
	}
	b.slots = slots
	b.offered = nearest(slots, taken, maxOffered)
	return c.ask(t, askTime, "Ближайшее свободное время: "+speakClocks(b.offered)+".", askTimeText)
}

// bookingNote tells the station the tire size, when the caller named one.
func (c *conversation) bookingNote() string {
	s := c.tire.size
	if !s.complete() {
		return ""
	}
	return fmt.Sprintf("Шины %d/%d R%d", s.width, s.profile, s.rim)
}

// chooseStation picks a station by ordinal among the ones read out
// ("первая", "вторую"), by "любая", or by a word of its name or address
// ("на Профсоюзной", "Митино"). It returns -1 when unsure.
func chooseStation(u utterance, stations []station) int {
	if len(stations) == 0 {
		return -1
	}
	if i := parseChoice(u, min(len(stations), maxOffered)); i >= 0 {
		return i
	}
	votes := make([]int, len(stations))
	for _, w := range u.f {
		if utf8.RuneCountInString(w) < 4 {
			continue
		}
		match := -1
		for i, s := range stations {
			if stationHasWord(s, w) {
				if match >= 0 {
					match = -2 // in several: says nothing
					break
				}
				match = i
			}
		}
		if match >= 0 {
			votes[match]++
		}
	}
	best, bestVotes, tie := -1, 0, false
	for i, v := range votes {
		switch {
		case v > bestVotes:
			best, bestVotes, tie = i, v, false
		case v == bestVotes && v > 0:
			tie = true
		}
	}
	if best >= 0 && !tie {
		return best
	}
	if anyOption(u) {
		return 0
	}
	return -1
}

// stationHasWord reports whether a word of the station's name or address
// has the same beginning as w (five letters, so "Профсоюзной" finds
// "Профсоюзная").
func stationHasWord(s station, w string) bool {
	for _, f := range russian.Fields(s.Name + " " + s.Address) {
		if utf8.RuneCountInString(f) < 4 {
			continue
		}
		if stemOf(f) == stemOf(w) {
			return true
		}
	}
	return false
}

func stemOf(w string) string { return clip(w, 5) }

// validStationID keeps ids the tools' schemas accept.
func validStationID(id string) bool {
	if id == "" || len(id) > 40 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// nearest picks up to n of slots closest to want, in time order.
func nearest(slots []clock, want clock, n int) []clock {
	out := slices.Clone(slots)
	dist := func(c clock) int {
		d := (c.h*60 + c.m) - (want.h*60 + want.m)
		if d < 0 {
			return -d
		}
		return d
	}
	slices.SortStableFunc(out, func(a, b clock) int { return dist(a) - dist(b) })
	out = out[:min(len(out), n)]
	slices.SortFunc(out, func(a, b clock) int { return (a.h*60 + a.m) - (b.h*60 + b.m) })
	return out
}

func speakClock(c clock) string { return russian.Clock(c.h, c.m) }

func speakClocks(cs []clock) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = speakClock(c)
	}
	return joinRu(s)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return title(s)
}
