package rules

import "strings"

// Seasons as the search_tires tool takes them.
const (
	seasonSummer    = "summer"
	seasonWinter    = "winter"
	seasonAllSeason = "all_season"
)

// parseSeason reads the season in any inflection: "зимние", "зимнюю",
// "на зиму", "летние", "на лето", "всесезонные", "всесезонка". When the
// caller names several, the last one counts ("не летние, а зимние").
func parseSeason(u utterance) string {
	season := ""
	for i, f := range u.f {
		switch {
		case strings.HasPrefix(f, "зимн") || f == "зима" || f == "зиму" || f == "зимы" || f == "зимой" || f == "зиме":
			season = seasonWinter
		case strings.HasPrefix(f, "летн") || f == "лето" || f == "лета" || f == "летом" || f == "лету" || f == "лете":
			season = seasonSummer
		case strings.HasPrefix(f, "всесезон") || strings.HasPrefix(f, "круглогод") || strings.HasPrefix(f, "всесезонк"):
			season = seasonAllSeason
		case (f == "все" || f == "всех") && i+1 < len(u.f) && strings.HasPrefix(u.f[i+1], "сезон"):
			season = seasonAllSeason
		case f == "круглый" && i+1 < len(u.f) && u.f[i+1] == "год":
			season = seasonAllSeason
		}
	}
	return season
}

// parseStudded reads studs: "шипованные", "с шипами", "шипы" are studded;
// "нешипованные", "без шипов", "липучка", "фрикционные" are not. It
// returns nil when the caller said neither.
func parseStudded(u utterance) *bool {
	for i, f := range u.f {
		prev := ""
		if i > 0 {
			prev = u.f[i-1]
		}
		switch {
		case strings.HasPrefix(f, "нешип") || strings.HasPrefix(f, "липучк") || f == "липучек" ||
			strings.HasPrefix(f, "фрикцион") || f == "велкро" ||
			strings.HasPrefix(f, "шип") && (prev == "не" || prev == "без"):
			return ptr(false)
		}
	}
	if u.hasPrefix("шип", "ошип") {
		return ptr(true)
	}
	return nil
}

func ptr[T any](v T) *T { return &v }

// brand is a tire brand as the shop's catalogue writes it, with the
// beginnings of the ways callers and the recogniser write it.
type brand struct {
	name  string
	stems []string // a field starting with one of these
	exact []string // a field equal to one of these (short names that begin other words)
}

// brands is read-only.
var brands = []brand{
	{"Nokian", []string{"nokian", "нокиан", "нокия", "нокиа", "hakka", "хакка"}, nil},
	{"Michelin", []string{"michelin", "мишлен", "мишелин"}, nil},
	{"Continental", []string{"continental", "континентал"}, []string{"конти"}},
	{"Bridgestone", []string{"bridgestone", "бриджстоун", "бриджстон", "бриджестоун"}, nil},
	{"Pirelli", []string{"pirelli", "пирелли", "пирели"}, nil},
	{"Yokohama", []string{"yokohama", "йокогам", "йокохам", "иокогам"}, nil},
	{"Hankook", []string{"hankook", "ханкук"}, nil},
	{"Kumho", []string{"kumho", "кумхо"}, nil},
	{"Cordiant", []string{"cordiant", "кордиант"}, nil},
	{"Gislaved", []string{"gislaved", "гиславед"}, nil},
	{"Ikon", []string{"ikon", "айкон"}, nil},
	{"Toyo", nil, []string{"toyo", "тойо"}}, // not a prefix: "тойота" is a car
}

// parseBrand reads a brand in Latin or Cyrillic, inflected ("нокианы",
// "нокиановские", "мишлен", "континенталь"). The last one named counts.
func parseBrand(u utterance) string {
	found := ""
	for _, f := range u.f {
		for _, b := range brands {
			if matchStem(f, b.stems) || matchExact(f, b.exact) {
				found = b.name
			}
		}
	}
	return found
}

func matchStem(f string, stems []string) bool {
	for _, s := range stems {
		if strings.HasPrefix(f, s) {
			return true
		}
	}
	return false
}

func matchExact(f string, words []string) bool {
	for _, w := range words {
		if f == w {
			return true
		}
	}
	return false
}

// Bounds of a price ceiling, rubles per tire.
const (
	minPrice = 500
	maxPrice = 1_000_000
)

// parseMaxPrice reads a price ceiling: "до десяти тысяч", "не дороже
// 8000", "дешевле 7 тысяч", "не больше 6000 рублей", "в пределах девяти
// тысяч", "максимум 9000". A number below 500 rubles is no price.
func parseMaxPrice(u utterance) int {
	nums := u.numbers()
	for i, n := range nums {
		// "12 500": digits grouped by thousands, as recognisers write prices.
		if i+1 < len(nums) && len(n.Digits) >= 1 && len(n.Digits) <= 3 && len(nums[i+1].Digits) == 3 && nums[i+1].at == n.at+1 {
			n.Value = n.Value*1000 + nums[i+1].Value
		}
		if n.Value < minPrice || n.Value > maxPrice || n.Ordinal || n.at == 0 {
			continue
		}
		prev := u.f[n.at-1]
		prev2 := ""
		if n.at >= 2 {
			prev2 = u.f[n.at-2]
		}
		switch {
		case prev == "до" || prev == "дешевле" || prev == "максимум" || prev == "бюджет" || prev == "пределах":
		case prev2 == "не" && (prev == "дороже" || prev == "больше" || prev == "более" || prev == "выше"):
		case prev == "чем" && prev2 == "дешевле":
		default:
			continue
		}
		return n.Value
	}
	return 0
}
