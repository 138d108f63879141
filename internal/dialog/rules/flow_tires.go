package rules

import (
	"strings"

	"github.com/tirevoice/assistant/internal/dialog"
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
		ts.size = s
	} else {
		ts.size.merge(s)
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
	t.speak(res.Say)
	var data struct {
		Found int `json:"found"`
	}
	if decode(res.Data, &data) && data.Found == 0 {
		// Nothing in stock: the slots stay, so "а летние?" searches again.
		if strings.Contains(strings.ToLower(res.Say), "оператор") {
			c.pending, c.question = askOperator, res.Say
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
	q := "Уточните, пожалуйста, " + joinRu(missing) + "."
	if s.width == 0 && s.profile == 0 {
		q += " Например: двести пять пятьдесят пять."
	}
	return q
}

// joinRu joins items as Russian lists them: "a, b и c".
func joinRu(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " и " + items[len(items)-1]
}
