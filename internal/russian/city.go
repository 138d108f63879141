package russian

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// InCity says where, for a city named in the nominative: InCity("Москва")
// = "в Москве", InCity("Казань") = "в Казани", InCity("Нижний Новгород")
// = "в Нижнем Новгороде", InCity("Ростов-на-Дону") = "в Ростове-на-Дону",
// InCity("Владимир") = "во Владимире", InCity("Сочи") = "в Сочи".
func InCity(city string) string {
	loc := CityCase(city, Prepositional)
	return inPreposition(loc) + " " + loc
}

// ToCity says where to: ToCity("Москва") = "в Москву", ToCity("Казань")
// = "в Казань", ToCity("Белая Калитва") = "в Белую Калитву".
func ToCity(city string) string {
	acc := CityCase(city, Accusative)
	return inPreposition(acc) + " " + acc
}

// cityExceptions are the city names the rules below get wrong, in the
// prepositional: a vowel that drops ("Орёл" -> "Орле") or a name that does
// not change.
var cityExceptions = map[string]string{
	"орёл": "Орле", "орел": "Орле", "елец": "Ельце",
	// Plural names with no adjective to tell them by.
	"химки": "Химках", "мытищи": "Мытищах", "люберцы": "Люберцах", "чебоксары": "Чебоксарах",
	"березники": "Березниках", "сходня": "Сходне",
}

// CityCase declines a city's name, given in the nominative as the shop
// writes it, into the prepositional (after "в": "Москве") or the accusative
// (after "в" of a direction: "Москву"); other cases come back unchanged.
// Each word of the name declines on its own (adjectives with their
// noun: "Нижнем Новгороде", "Набережных Челнах"); in a hyphenated name
// only the part that is a noun does ("Санкт-Петербурге",
// "Ростове-на-Дону", "Петропавловске-Камчатском"). Names ending in a
// vowel other than "а" and "я" do not decline ("Сочи", "Кемерово").
func CityCase(city string, c Case) string {
	if c != Prepositional && c != Accusative {
		return city
	}
	words := strings.Fields(city)
	plural := false
	for _, w := range words {
		if strings.HasSuffix(w, "ые") || strings.HasSuffix(w, "ие") {
			plural = true // "Набережные Челны", "Великие Луки"
		}
	}
	for i, w := range words {
		words[i] = declineHyphenated(w, c, plural)
	}
	return strings.Join(words, " ")
}

// declineHyphenated declines one word of a city's name that may hold
// hyphens: "Санкт-Петербург" declines its last part, "Ростов-на-Дону"
// the part before "на", "Петропавловск-Камчатский" both.
func declineHyphenated(w string, c Case, plural bool) string {
	parts := strings.Split(w, "-")
	if len(parts) == 1 {
		return declineCityWord(w, c, plural)
	}
	for i, p := range parts {
		if p == "на" && i > 0 {
			parts[i-1] = declineCityWord(parts[i-1], c, plural)
			return strings.Join(parts, "-")
		}
	}
	last := len(parts) - 1
	if adjective(parts[last]) && last > 0 {
		parts[last-1] = declineCityWord(parts[last-1], c, plural)
	}
	parts[last] = declineCityWord(parts[last], c, plural)
	return strings.Join(parts, "-")
}

// adjective reports a masculine or feminine adjective ending.
func adjective(w string) bool {
	for _, end := range []string{"ий", "ый", "ой", "ая", "яя"} {
		if strings.HasSuffix(w, end) {
			return true
		}
	}
	return false
}

// declineCityWord declines one word of a place name.
func declineCityWord(w string, c Case, plural bool) string {
	if utf8.RuneCountInString(w) < 2 || !unicode.Is(unicode.Cyrillic, firstRune(w)) {
		return w
	}
	if c == Accusative {
		if plural {
			return w
		}
		return feminineAccusative(w) // "Москву", "Белую"; the others do not change
	}
	if e, ok := cityExceptions[strings.ToLower(w)]; ok {
		return matchCase(e, w)
	}
	type ending struct{ from, to string }
	var endings []ending
	if plural {
		endings = []ending{{"ые", "ых"}, {"ие", "их"}, {"ы", "ах"}, {"и", "ах"}, {"а", "ах"}}
	} else {
		endings = []ending{
			{"ний", "нем"}, {"ий", "ом"}, {"ый", "ом"}, {"ой", "ом"}, // Нижний, Великий, Старый
			{"ая", "ой"}, {"яя", "ей"}, // Белая, Верхняя
			{"ия", "ии"}, {"ья", "ье"}, {"а", "е"}, {"я", "е"}, // Евпатория; Москва, Уфа
			{"ль", "ле"}, {"ь", "и"}, // Ярославль, Севастополь; Казань, Тверь, Пермь
			{"й", "е"},
		}
	}
	for _, e := range endings {
		if strings.HasSuffix(w, e.from) {
			return strings.TrimSuffix(w, e.from) + e.to
		}
	}
	last, _ := utf8.DecodeLastRuneInString(w)
	if strings.ContainsRune("аеёиоуыэюяАЕЁИОУЫЭЮЯ", last) {
		return w // Сочи, Кемерово, Улан-Удэ
	}
	return w + "е" // Новосибирск, Екатеринбург, Краснодар
}

// inPreposition is "в", or "во" before a cluster that needs it: "во
// Владимире", "во Всеволожске", "во Пскове", "во Ржеве".
func inPreposition(next string) string {
	r := []rune(strings.ToLower(next))
	if len(r) >= 2 && (r[0] == 'в' || r[0] == 'ф') && !strings.ContainsRune("аеёиоуыэюя", r[1]) {
		return "во"
	}
	for _, p := range []string{"пск", "рж", "льв", "мн"} {
		if strings.HasPrefix(string(r), p) {
			return "во"
		}
	}
	return "в"
}

func firstRune(s string) rune {
	r, _ := utf8.DecodeRuneInString(s)
	return r
}

// matchCase capitalises e like w.
func matchCase(e, w string) string {
	if unicode.IsUpper(firstRune(w)) {
		return Capitalize(e)
	}
	return e
}
