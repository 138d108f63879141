package main

import (
	"fmt"
	"math"

	"github.com/tirevoice/assistant/internal/store"
)

// size is a tire size with its usual load index.
type size struct {
	width, profile, rim, load int
	common                    bool // a size many cars use: the catalogue has many options
}

var sizes = []size{
	{175, 70, 13, 82, true},
	{185, 65, 15, 88, true},
	{195, 65, 15, 91, true},
	{205, 55, 16, 91, true},
	{215, 60, 16, 95, true},
	{225, 45, 17, 94, true},
	{235, 55, 18, 104, true},
	{265, 65, 17, 112, true},
	{155, 80, 13, 79, false},
	{155, 70, 13, 75, false},
	{165, 70, 14, 81, false},
	{175, 65, 14, 82, false},
	{185, 60, 14, 82, false},
	{185, 70, 14, 88, false},
	{185, 60, 15, 88, false},
	{195, 55, 15, 85, false},
	{195, 60, 15, 88, false},
	{195, 55, 16, 91, false},
	{205, 60, 16, 96, false},
	{215, 65, 16, 98, false},
	{215, 70, 16, 100, false},
	{245, 70, 16, 111, false},
	{205, 50, 17, 93, false},
	{215, 55, 17, 98, false},
	{225, 50, 17, 98, false},
	{225, 55, 17, 101, false},
	{225, 65, 17, 106, false},
	{225, 45, 18, 95, false},
	{225, 60, 18, 104, false},
	{235, 60, 18, 107, false},
	{265, 60, 18, 114, false},
	{235, 50, 19, 99, false},
	{245, 45, 19, 102, false},
	{255, 50, 19, 107, false},
	{255, 45, 20, 105, false},
	{275, 40, 20, 106, false},
	{315, 35, 20, 110, false},
	{275, 45, 21, 110, false},
	{285, 40, 21, 109, false},
	{275, 40, 22, 107, false},
	{285, 45, 22, 114, false},
}

// line is one tire model of a brand.
type line struct {
	model   string
	season  store.Season
	studded bool
}

type brand struct {
	name   string
	factor float64 // price relative to the market
	lines  []line
}

var (
	summer = store.SeasonSummer
	winter = store.SeasonWinter
	allSea = store.SeasonAllSeason
)

var brands = []brand{
	{"Nokian", 1.25, []line{{"Hakkapeliitta 10p", winter, true}, {"Hakkapeliitta R5", winter, false}, {"Nordman 8", winter, true}, {"Hakka Green 3", summer, false}, {"Nordman SX3", summer, false}, {"Seasonproof 1", allSea, false}}},
	{"Michelin", 1.4, []line{{"X-Ice North 4", winter, true}, {"X-Ice Snow", winter, false}, {"Pilot Sport 5", summer, false}, {"Primacy 4+", summer, false}, {"CrossClimate 2", allSea, false}}},
	{"Continental", 1.3, []line{{"IceContact 3", winter, true}, {"VikingContact 7", winter, false}, {"PremiumContact 7", summer, false}, {"EcoContact 6", summer, false}, {"AllSeasonContact 2", allSea, false}}},
	{"Bridgestone", 1.25, []line{{"Blizzak Spike-02", winter, true}, {"Blizzak Ice", winter, false}, {"Turanza 6", summer, false}, {"Alenza 001", summer, false}, {"Weather Control A005", allSea, false}}},
	{"Pirelli", 1.3, []line{{"Ice Zero 2", winter, true}, {"Ice Zero FR", winter, false}, {"Cinturato P7", summer, false}, {"P Zero", summer, false}, {"Cinturato All Season SF2", allSea, false}}},
	{"Yokohama", 1.05, []line{{"iceGuard Stud iG65", winter, true}, {"iceGuard iG60", winter, false}, {"BluEarth-GT AE51", summer, false}, {"Advan Sport V105", summer, false}, {"Geolandar A/T G015", allSea, false}}},
	{"Hankook", 1.0, []line{{"Winter i*Pike RS2 W429", winter, true}, {"Winter i*cept IZ2 W616", winter, false}, {"Ventus Prime 4 K135", summer, false}, {"Kinergy 4S2 H750", allSea, false}}},
	{"Kumho", 0.85, []line{{"WinterCraft Ice Wi32", winter, true}, {"WinterCraft Wi51", winter, false}, {"Ecsta HS52", summer, false}, {"Solus 4S HA32", allSea, false}}},
	{"Cordiant", 0.75, []line{{"Snow Cross 2", winter, true}, {"Winter Drive 2", winter, false}, {"Comfort 2", summer, false}, {"Sport 3", summer, false}, {"All Season", allSea, false}}},
	{"Gislaved", 0.9, []line{{"Nord*Frost 200", winter, true}, {"Soft*Frost 200", winter, false}, {"Ultra*Speed 2", summer, false}, {"PremiumControl", summer, false}}},
	{"Ikon", 0.95, []line{{"Autograph Ice 9", winter, true}, {"Character Ice 8", winter, true}, {"Autograph Snow 3", winter, false}, {"Autograph Eco 3", summer, false}, {"Character Aqua", summer, false}}},
	{"Toyo", 1.05, []line{{"Observe Ice-Freezer", winter, true}, {"Observe GSi-6", winter, false}, {"Proxes Sport 2", summer, false}, {"Celsius", allSea, false}}},
}

// basePrice is a mid-market price of one tire by rim, rubles.
var basePrice = map[int]float64{13: 4700, 14: 5300, 15: 6000, 16: 7600, 17: 9800, 18: 12800, 19: 16000, 20: 19500, 21: 23500, 22: 26000}

// seasonCycle is the seasons of the options of one size, in turn: a Russian
// shop stocks mostly winter and summer tires.
var seasonCycle = []line{{"", winter, true}, {"", summer, false}, {"", winter, false}, {"", summer, false}, {"", allSea, false}}

func genTires(r *rng) []store.Tire {
	var out []store.Tire
	for _, sz := range sizes {
		n := 3
		if sz.common {
			n = 14
		}
		seen := map[string]bool{}
		for i := 0; i < n; i++ {
			want := seasonCycle[(i+sz.rim)%len(seasonCycle)]
			var b brand
			var l line
			for try := 0; ; try++ {
				b = pick(r, brands)
				var fits []line
				for _, cand := range b.lines {
					if cand.season == want.season && (cand.studded == want.studded || try > 20) {
						fits = append(fits, cand)
					}
				}
				if len(fits) == 0 {
					continue
				}
				l = pick(r, fits)
				if !seen[b.name+l.model] || try > 50 {
					break
				}
			}
			seen[b.name+l.model] = true
			out = append(out, tire(r, len(out)+1, sz, b, l))
		}
	}
	return out
}

func tire(r *rng, n int, sz size, b brand, l line) store.Tire {
	p := basePrice[sz.rim] * b.factor * (1 + float64(sz.width-205)/400) * (0.9 + float64(r.intn(21))/100)
	if l.studded {
		p *= 1.08
	}
	price := int(math.Round(p/100))*100 - 10 // 7 490 ₽, as shops write it
	price = max(3590, min(price, 34990))
	stock := 0
	if r.intn(100) >= 12 {
		stock = pick(r, []int{2, 4, 4, 6, 8, 8, 12, 16, 20, 24, 32, 40})
	}
	return store.Tire{
		ID:         fmt.Sprintf("T%04d", n),
		Brand:      b.name,
		Model:      l.model,
		Width:      sz.width,
		Profile:    sz.profile,
		Rim:        sz.rim,
		Season:     l.season,
		Studded:    l.studded,
		LoadIndex:  sz.load,
		SpeedIndex: speedIndex(r, sz, l),
		Price:      price,
		Stock:      stock,
	}
}

func speedIndex(r *rng, sz size, l line) string {
	switch {
	case l.season == winter && l.studded:
		return "T"
	case l.season == winter:
		return pick(r, []string{"R", "T"})
	case l.season == allSea:
		return pick(r, []string{"H", "V"})
	case sz.rim <= 14:
		return "T"
	case sz.rim <= 16:
		return pick(r, []string{"H", "V"})
	}
	return pick(r, []string{"V", "W", "Y"})
}
