package rules

import (
	"strings"
	"time"

	"github.com/tirevoice/assistant/internal/dialog"
	"github.com/tirevoice/assistant/internal/russian"
)

// stations answers "where are your stations in Kazan?": their addresses,
// then the offer of a booking. Without a city it asks for one.
func (c *conversation) stations(t *turn, u utterance) dialog.Outcome {
	if ct, ok := parseCity(u, false); ok {
		c.city = ct.name
	}
	if c.city == "" {
		return c.ask(t, askStationsCity, askStationsCityText)
	}
	return c.stationsIn(t, c.city)
}

// stationsIn reads the addresses of the stations of city and offers a
// booking there.
func (c *conversation) stationsIn(t *turn, city string) dialog.Outcome {
	c.city = city
	res, err := c.call(t, "find_stations", map[string]any{"city": clip(c.city, 60)})
	if err != nil {
		return c.failed(t, res)
	}
	t.speak(res.Say)
	found := decodeStations(res.Data)
	if len(found) == 0 {
		return c.followUp(t, res.Say)
	}
	if c.book.city != c.city {
		c.book = bookingSlots{city: c.city, date: c.book.date, want: c.book.want}
	}
	c.book.stations = found
	if len(found) == 1 {
		c.book.station, c.book.named = &c.book.stations[0], true // just said
	}
	return c.ask(t, askBookOffer, askBookOfferText)
}

// hours answers "until what time are you open today?": the hours of the
// stations of the caller's city on the day asked (today by default), from
// their schedule for that day. Without a city it asks for one.
func (c *conversation) hours(t *turn, u utterance) dialog.Outcome {
	now := c.r.now()
	c.hoursDay = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	if d, ok := parseDate(u, now); ok {
		c.hoursDay = d
	}
	if ct, ok := parseCity(u, false); ok {
		c.city = ct.name
	}
	if c.city == "" {
		return c.ask(t, askHoursCity, askHoursCityText)
	}
	return c.hoursIn(t, c.city)
}

// hoursIn says the hours of the stations of city on the day asked.
func (c *conversation) hoursIn(t *turn, city string) dialog.Outcome {
	c.city = city
	// Today and tomorrow are the stations' own: near midnight their
	// calendar is not the server's.
	date := c.hoursDay.Format(time.DateOnly)
	switch russian.DaysBetween(c.r.now(), c.hoursDay) {
	case 0:
		date = "today"
	case 1:
		date = "tomorrow"
	}
	res, err := c.call(t, "find_stations", map[string]any{"city": clip(city, 60), "date": date})
	if err != nil {
		return c.failed(t, res)
	}
	t.speak(res.Say)
	return c.resumeOrFollowUp(t, res.Say)
}

// delivery answers "do you deliver?": yes first, then the terms for the
// caller's city from the knowledge base, or the question which city.
func (c *conversation) delivery(t *turn, u utterance) dialog.Outcome {
	if ct, ok := parseCity(u, false); ok {
		c.city = ct.name
	}
	if c.city == "" {
		return c.ask(t, askDeliveryCity, sayDeliveryYes, askDeliveryText)
	}
	return c.deliveryTo(t, c.city)
}

// deliveryTo says yes and the delivery terms for city, from the knowledge
// base's answer (without its own leading "Да", already said).
func (c *conversation) deliveryTo(t *turn, city string) dialog.Outcome {
	c.city = city
	yes := "Да, " + russian.ToCity(city) + " доставляем."
	// The base has an article for Moscow and one for the other cities.
	query := "доставка в регионы, " + city
	if city == "Москва" {
		query = "доставка по Москве"
	}
	res, err := c.call(t, "search_kb", map[string]any{"query": clip(query, maxQueryRunes)})
	var data struct {
		Found bool `json:"found"`
	}
	decode(res.Data, &data)
	if err != nil || !data.Found {
		t.speak(sayDeliveryYes)
		return c.followUp(t, sayDeliveryYes)
	}
	terms := withoutYes(res.Say)
	t.speak(yes, terms)
	return c.resumeOrFollowUp(t, terms)
}

// withoutYes drops a leading sentence that answers yes ("Да, доставляем
// по всей России.") from an answer the engine leads with its own yes.
func withoutYes(answer string) string {
	s := sentences(answer)
	if len(s) > 1 && strings.HasPrefix(s[0], "Да") {
		return strings.Join(s[1:], " ")
	}
	return answer
}
