package rules

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// city is a city the caller named.
type city struct {
	name string // as find_stations takes it: "Москва"
}

// knownCity lists the ways callers name the big cities.
type knownCity struct {
	name  string
	stems []string // a field starting with one of these
	exact []string
}

// knownCities is read-only.
var knownCities = []knownCity{
	{"Москва", []string{"москв"}, []string{"мск"}},
	{"Санкт-Петербург", []string{"петербург", "питер"}, []string{"спб"}},
	{"Казань", []string{"казан"}, nil},
	{"Екатеринбург", []string{"екатеринбург"}, []string{"екб", "екат", "ебург"}},
	{"Новосибирск", []string{"новосибирск", "новосиб"}, []string{"нск"}},
	{"Самара", []string{"самар"}, nil},
	{"Краснодар", []string{"краснодар"}, nil},
	{"Уфа", nil, []string{"уфа", "уфе", "уфу", "уфы"}},
	{"Нижний Новгород", []string{"нижн"}, nil},
	{"Ростов-на-Дону", []string{"ростов"}, nil},
	{"Волгоград", []string{"волгоград"}, nil},
	{"Воронеж", []string{"воронеж"}, nil},
	{"Челябинск", []string{"челябинск"}, nil},
	{"Красноярск", []string{"красноярск"}, nil},
	{"Пермь", nil, []string{"пермь", "перми"}},
	{"Омск", nil, []string{"омск", "омске"}},
	{"Тюмень", []string{"тюмен"}, nil},
	{"Саратов", []string{"саратов"}, nil},
	{"Ярославль", []string{"ярославл"}, nil},
}

// parseCity reads a known city in any case form ("в Москве", "в Питере",
// "СПб", "в Казани"). When loose (the bot asked for the city) it also takes
// an unknown one: the word after "в"/"город", or a lone word, as said.
func parseCity(u utterance, loose bool) (city, bool) {
	for _, f := range u.f {
		for _, c := range knownCities {
			if matchStem(f, c.stems) || matchExact(f, c.exact) {
				return city{c.name}, true
			}
		}
	}
	if !loose {
		return city{}, false
	}
	for i, f := range u.f {
		if (f == "в" || f == "во" || strings.HasPrefix(f, "город")) && i+1 < len(u.f) && cityLike(u.f[i+1]) {
			return city{title(u.f[i+1])}, true
		}
	}
	if len(u.f) == 1 && cityLike(u.f[0]) {
		return city{title(u.f[0])}, true
	}
	return city{}, false
}

func cityLike(w string) bool {
	if n := utf8.RuneCountInString(w); n < 3 || n > 40 {
		return false
	}
	for _, r := range w {
		if !unicode.Is(unicode.Cyrillic, r) {
			return false
		}
	}
	return !notCity[w]
}

// notCity are words that follow "в" but name no city.
var notCity = words("городе", "город", "каком", "какой", "другом", "любом", "этом", "том", "центре", "районе",
	"понедельник", "вторник", "среду", "четверг", "пятницу", "субботу", "воскресенье", "течение", "принципе")

// title capitalises the first letter.
func title(w string) string {
	r, n := utf8.DecodeRuneInString(w)
	return string(unicode.ToUpper(r)) + w[n:]
}
