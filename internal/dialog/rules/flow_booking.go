package rules

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tirevoice/assistant/internal/dialog"
	"github.com/tirevoice/assistant/internal/russian"
	"github.com/tirevoice/assistant/internal/store"
	"github.com/tirevoice/assistant/internal/tools"
	"github.com/tirevoice/assistant/internal/tools/shop"
)

// maxOffered is how many stations or times the bot reads out, and how
// many stations of a city it looks at for the nearest free time.
const maxOffered = 3

// station is a fitting station as find_stations reports it.
type station = store.Station

// bookingSlots is a fitting booking being put together. The day the
// caller asked for stays with the booking to its end, whatever else
// changes (the city, the station, the time).
type bookingSlots struct {
	city     string    // as find_stations takes it
	stations []station // find_stations' answer for city; nil before it
	station  *station
	named    bool      // the caller chose the station (or it is the city's only one): it need not be said
	hint     utterance // what the caller said before the stations were known, to find a station they named
	date     time.Time // midnight, local; zero until said
	slots    []clock   // free times at station on date; nil before free_slots
	want     *clock    // the time the caller asked for, not yet checked
	offered  []clock   // the times read out
	time     *clock    // the free time the caller chose
	told     bool      // the day and the station were said back
}

// bookingEntities reports whether u says anything a booking takes.
func (c *conversation) bookingEntities(u utterance) bool {
	_, hasCity := parseCity(u, false)
	_, hasDate := parseDate(u, c.r.now())
	_, hasClock := parseClock(u, false)
	return hasCity || hasDate || hasClock
}

// booking takes what u says about a booking (city, station, date, time)
// and goes on with the booking.
func (c *conversation) booking(t *turn, u utterance) dialog.Outcome {
	c.task = taskBooking
	c.takeBooking(u, false)
	return c.advanceBooking(t)
}

// takeBooking merges the city, station, date and time in u into the
// booking. A new city forgets the stations, a new station or date the free
// times; the date and the wanted time stay across a new city.
func (c *conversation) takeBooking(u utterance, looseCity bool) {
	b := &c.book
	if ct, ok := parseCity(u, looseCity); ok {
		c.city = ct.name
		if ct.name != b.city {
			*b = bookingSlots{city: ct.name, date: b.date, want: b.want}
		}
	}
	if b.stations == nil {
		b.hint = u
	} else if i := stationByName(u, b.stations); i >= 0 && (b.station == nil || b.station.ID != b.stations[i].ID) {
		b.station, b.named, b.slots, b.time, b.offered, b.told = &b.stations[i], true, nil, nil, nil, false
	}
	if d, ok := parseDate(u, c.r.now()); ok && !d.Equal(b.date) {
		b.date, b.slots, b.time, b.offered, b.told = d, nil, nil, nil, false
		if !b.named {
			b.station = nil // the nearest free time of the new day may be elsewhere
		}
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
	case askDate, askTime:
		if _, ok := parseCity(u, false); ok || hoursQuestion(u) {
			break // another city, or a question of the hours: route takes it
		}
		_, hasDate := parseDate(u, c.r.now())
		if hasDate || stationByName(u, b.stations) >= 0 {
			c.takeBooking(u, false)
			return c.advanceBooking(t), true
		}
		if p == askDate {
			if cl, ok := parseClock(u, false); ok {
				b.want = &cl
				return c.ask(t, askDate, askDateText), true
			}
			break
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
			return c.ask(t, askPhone, sayOK, c.phoneQuestion()), true
		}
	}
	return dialog.Outcome{}, false
}

// advanceBooking asks for the next missing piece (city, day, time, name,
// phone), fetching stations and free times on the way, and books when
// nothing is missing. The station is the one the caller named, or the
// city's only one, or the one with the nearest free time on the day.
func (c *conversation) advanceBooking(t *turn) dialog.Outcome {
	b := &c.book
	switch {
	case b.station == nil && b.city == "":
		return c.ask(t, askCity, c.bookingLead()+askCityText)
	case b.station == nil && b.stations == nil:
		return c.findStations(t)
	case b.date.IsZero():
		return c.ask(t, askDate, "Хорошо, запишу на шиномонтаж "+russian.InCity(b.city)+".", askDateText)
	case b.station == nil:
		return c.nearestStation(t)
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
		return c.ask(t, askTime, c.dayLead(),
			fmt.Sprintf("В %s занято, ближайшее свободное время — в %s.", speakClock(want), speakClocks(b.offered)), askTimeText)
	case b.time == nil:
		b.offered = b.slots[:min(len(b.slots), maxOffered)]
		return c.ask(t, askTime, c.dayLead(), "Свободно в "+speakClocks(b.offered)+".", askTimeText)
	case c.name == "":
		return c.ask(t, askName, c.summary(), c.nameQuestion())
	case c.phone == "" && t.caller.Phone() == "":
		return c.ask(t, askPhone, c.phoneQuestion())
	}
	return c.bookSlot(t)
}

// bookingLead says that a booking is under way, and for which day when
// the caller said it: "Хорошо, запишу на шиномонтаж на завтра, третье
// декабря. ".
func (c *conversation) bookingLead() string {
	if c.book.date.IsZero() {
		return "Хорошо, запишу на шиномонтаж. "
	}
	return "Хорошо, запишу на шиномонтаж " + russian.OnDate(c.book.date, c.r.now()) + ". "
}

// dayLead says back the day of the booking and, when the caller did not
// choose it, the station, once per day and station: "Записываю на
// завтра, третье декабря, на станцию улица Станционная, 38." Later turns
// of the same booking say nothing.
func (c *conversation) dayLead() string {
	b := &c.book
	if b.told {
		return ""
	}
	b.told = true
	s := "Записываю " + russian.OnDate(b.date, c.r.now())
	if !b.named {
		s += ", на станцию " + stationLabel(*b.station)
	}
	return s + "."
}

// summary reads the booking back before it is made: day, time, station.
func (c *conversation) summary() string {
	b := &c.book
	return fmt.Sprintf("Записываю %s в %s, станция %s.", withComma(russian.OnDate(b.date, c.r.now())), speakClock(*b.time), stationLabel(*b.station))
}

// nameQuestion and phoneQuestion ask for what the booking needs.
func (c *conversation) nameQuestion() string { return askNameText }

func (c *conversation) phoneQuestion() string {
	if c.keypad {
		return askPhoneKeypadText
	}
	return askPhoneText
}

// findStations runs find_stations for the city. No station there asks
// for another city; the city's only one is taken; of several, the one
// the caller named, if any; otherwise the day's free times choose.
func (c *conversation) findStations(t *turn) dialog.Outcome {
	b := &c.book
	res, err := c.call(t, "find_stations", map[string]any{"city": clip(b.city, 60)})
	if err != nil {
		return c.failed(t, res)
	}
	ok := decodeStations(res.Data)
	switch len(ok) {
	case 0:
		t.speak(res.Say)
		b.city = ""
		return c.ask(t, askCity, askCityText)
	case 1:
		b.stations, b.station, b.named = ok, &ok[0], false
		return c.advanceBooking(t)
	}
	b.stations = ok
	if i := stationByName(b.hint, ok); i >= 0 {
		b.station, b.named = &b.stations[i], true
	}
	return c.advanceBooking(t)
}

// decodeStations reads find_stations' Data, keeping the stations whose ids
// the tools accept.
func decodeStations(data any) []station {
	var d struct {
		Stations []station `json:"stations"`
	}
	decode(data, &d)
	var ok []station
	for _, s := range d.Stations {
		if validStationID(s.ID) {
			ok = append(ok, s)
		}
	}
	return ok
}

// nearestStation looks at the free times of the day at the city's
// stations (the first maxOffered) and takes the one with the time the
// caller asked for, or else the nearest free time. A day with no free
// time anywhere asks for another day.
func (c *conversation) nearestStation(t *turn) dialog.Outcome {
	b := &c.book
	best, bestSlots := -1, []clock(nil)
	var failure *tools.Result // the last failed answer, when none succeeded
	answered := false
	for i := range b.stations[:min(len(b.stations), maxOffered)] {
		res, err := c.call(t, "free_slots", map[string]any{"station_id": b.stations[i].ID, "date": b.date.Format(time.DateOnly)})
		if err != nil {
			if t.err != nil {
				return dialog.Outcome{Action: dialog.Continue}
			}
			failure = &res
			continue // another station may answer
		}
		answered = true
		slots, closed := decodeSlots(res.Data)
		if closed || len(slots) == 0 {
			continue
		}
		if b.want != nil && slices.Contains(slots, *b.want) {
			best, bestSlots = i, slots
			break
		}
		if best < 0 || slots[0].minutes() < bestSlots[0].minutes() {
			best, bestSlots = i, slots
		}
	}
	if !answered && failure != nil {
		return c.failed(t, *failure)
	}
	if best < 0 {
		when := russian.Capitalize(russian.OnDate(b.date, c.r.now()))
		b.date = time.Time{}
		return c.ask(t, askDate, when+" "+russian.InCity(b.city)+" свободного времени нет.", askOtherDateText)
	}
	b.station, b.named, b.slots = &b.stations[best], false, bestSlots
	return c.advanceBooking(t)
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
		b.date, b.slots, b.told = time.Time{}, nil, false
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
		c.letDown = true
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
		b.date, b.told = time.Time{}, false
		return c.ask(t, askDate, "На этот день свободного времени больше нет.", askOtherDateText)
	}
	b.slots = slots
	b.offered = nearest(slots, taken, maxOffered)
	return c.ask(t, askTime, "Ближайшее свободное время — в "+speakClocks(b.offered)+".", askTimeText)
}

// bookingNote tells the station the tire size, when the caller named one.
func (c *conversation) bookingNote() string {
	s := c.tire.size
	if !s.complete() {
		return ""
	}
	return fmt.Sprintf("Шины %d/%d R%d", s.width, s.profile, s.rim)
}

// stationLabel names a station by its street and house, as a caller finds
// it: "улица Станционная, 38", "Варшавское шоссе, 118".
func stationLabel(s station) string {
	parts := strings.SplitN(shop.Address(s), ",", 3)
	return strings.TrimSpace(strings.Join(parts[:min(len(parts), 2)], ","))
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
	if i := stationByName(u, stations); i >= 0 {
		return i
	}
	if anyOption(u) {
		return 0
	}
	return -1
}

// stationByName picks a station by a word of its name or address ("на
// Профсоюзной", "Митино", "на Варшавке"); -1 when no word points at one
// station alone.
func stationByName(u utterance, stations []station) int {
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
	if tie {
		return -1
	}
	return best
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
		d := c.minutes() - want.minutes()
		if d < 0 {
			return -d
		}
		return d
	}
	slices.SortStableFunc(out, func(a, b clock) int { return dist(a) - dist(b) })
	out = out[:min(len(out), n)]
	slices.SortFunc(out, func(a, b clock) int { return a.minutes() - b.minutes() })
	return out
}

// speakClock says a time after "в": "одиннадцать", "девять тридцать".
func speakClock(c clock) string { return russian.ClockWords(c.h, c.m, russian.Accusative) }

func speakClocks(cs []clock) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = speakClock(c)
	}
	return russian.Join(s)
}

// withComma closes a date with an apposition ("на завтра, третье
// декабря") with a comma before what follows it.
func withComma(when string) string {
	if strings.Contains(when, ",") {
		return when + ","
	}
	return when
}
