package rules

import (
	"encoding/json"
	"strings"

	"github.com/tirevoice/assistant/internal/dialog"
	"github.com/tirevoice/assistant/internal/russian"
)

// tireSlots is what the caller wants in a tire search so far.
type tireSlots struct {
	size        size
	season      string // "" unknown
	seasonAsked bool   // "На какой сезон?" was asked once
	anySeason   bool   // "всё равно", "любые"
	brand       string
	studded     *bool
	maxPrice    int // rubles per tire, 0 for none
	// recap: the size was put together from parts said in several turns,
	// or a part of it was corrected ("а на семнадцать?"), so the answer
	// says back which size it is for.
	recap bool
}

// tireEntities reports whether u says anything a tire search takes: a
// size (bare parts too when loose), a season, studs, a brand or, when
// loose, a price ceiling. A word for tires counts too.
func (c *conversation) tireEntities(u utterance, loose bool) bool {
	known := c.tire.size
	if known.complete() {
		known = size{}
	}
	return tireNoun(u) || !parseSize(u, loose, known).empty() || parseSeason(u) != "" ||
		parseStudded(u) != nil || parseBrand(u) != "" || loose && (parseMaxPrice(u) > 0 || dropsBrand(u) || dropsPrice(u))
}

// dropsBrand reports "any brand": "а без бренда?", "другой бренд".
func dropsBrand(u utterance) bool {
	return u.hasPhrase("без бренда", "любой бренд", "любого бренда", "любой фирмы", "любая фирма", "любого производителя",
		"другой бренд", "другие бренды", "другой фирмы", "другого производителя", "какой бренд", "какая фирма")
}

// dropsPrice reports "any price": "без ограничений по цене", "подороже".
func dropsPrice(u utterance) bool {
	return u.hasPhrase("без ограничений", "любой цене", "любая цена", "любой цены", "цена не важна", "цена неважна") ||
		u.has("подороже", "дороже") && !u.has("не")
}

// tires takes what u says about tires into the slots, then asks for what
// is missing or searches.
func (c *conversation) tires(t *turn, u utterance, p pending) dialog.Outcome {
	c.task = taskTires
	ts := &c.tire
	known := ts.size
	if known.complete() {
		known = size{} // a new part replaces the old one: "а на 17?"
	}
	s := parseSize(u, true, known)
	if s.complete() {
		ts.size, ts.recap = s, false
	} else if !s.empty() {
		ts.size.merge(s)
		ts.recap = true
	}
	if season := parseSeason(u); season != "" {
		ts.season, ts.anySeason = season, false
	} else if p == askSeason && (anyOption(u) || u.hasPhrase("не знаю")) || u.hasPhrase("любой сезон", "любого сезона") {
		ts.anySeason = true
	}
	if st := parseStudded(u); st != nil {
		ts.studded = st
	}
	switch b := parseBrand(u); {
	case b != "":
		ts.brand = b
	case dropsBrand(u):
		ts.brand = ""
	}
	switch pr := parseMaxPrice(u); {
	case pr > 0:
		ts.maxPrice = pr
	case dropsPrice(u):
		ts.maxPrice = 0
	}
	return c.searchTires(t, p)
}

// searchTires asks for a missing size part or the season (once), or runs
// search_tires and speaks its answer.
func (c *conversation) searchTires(t *turn, p pending) dialog.Outcome {
	ts := &c.tire
	if !ts.size.complete() {
		return c.ask(t, askSize, sizeQuestion(ts.size))
	}
	if ts.studded != nil && ts.season == "" {
		ts.season = seasonWinter // studs and friction tires are winter tires
	}
	if ts.season == "" && !ts.anySeason {
		if !ts.seasonAsked {
			ts.seasonAsked = true
			return c.ask(t, askSeason, askSeasonText)
		}
		if p == askSeason {
			ts.anySeason = true // asked once: search without it
		}
	}
	args := map[string]any{"width": ts.size.width, "profile": ts.size.profile, "rim": ts.size.rim}
	if ts.season != "" {
		args["season"] = ts.season
	}
	if ts.brand != "" {
		args["brand"] = ts.brand
	}
	if ts.studded != nil {
		args["studded"] = *ts.studded
	}
	if ts.maxPrice > 0 {
		args["max_price"] = ts.maxPrice
	}
	res, err := c.call(t, "search_tires", args)
	if err != nil {
		return c.failed(t, res)
	}
	// The answer first; the size it is for after it, when the caller did
	// not say it whole in this turn.
	said := sentences(res.Say)
	if ts.recap && len(said) > 0 {
		said = append(said[:1], append([]string{"Это на размер " + russian.TireSize(ts.size.width, ts.size.profile, ts.size.rim) + "."}, said[1:]...)...)
		ts.recap = false
	}
	t.speak(said...)
	var data struct {
		Found int             `json:"found"`
		Above json.RawMessage `json:"cheapest_above_limit"`
	}
	if decode(res.Data, &data) && data.Found == 0 {
		c.letDown = true
		if len(data.Above) > 0 {
			return c.followUp(t, res.Say) // the limit said back, the cheapest above it offered
		}
		// Nothing in stock: the slots stay, so "а летние?" searches again.
		if strings.Contains(strings.ToLower(res.Say), "оператор") {
			c.pending, c.question = askOperator, lastSentence(res.Say)
		}
		return dialog.Outcome{Action: dialog.Continue}
	}
	return c.followUp(t, res.Say)
}

// sizeQuestion asks for the parts of s that are missing.
func sizeQuestion(s size) string {
	if s.empty() {
		return askSizeText
	}
	var missing []string
	if s.width == 0 {
		missing = append(missing, "ширину")
	}
	if s.profile == 0 {
		missing = append(missing, "профиль")
	}
	if s.rim == 0 {
		missing = append(missing, "радиус")
	}
	q := "Уточните, пожалуйста, " + russian.Join(missing) + "."
	if s.width == 0 && s.profile == 0 {
		q += " Например: двести пять пятьдесят пять."
	}
	return q
}
