package russian

import (
	"strings"
)

// Gender is a noun's grammatical gender, which a numeral agrees with:
// "одна шина", "один заказ", "одно место"; "две шины", "два заказа".
type Gender int

// The genders.
const (
	Masculine Gender = iota
	Feminine
	Neuter
)

// Case is a grammatical case. The generation functions of this package
// take the cases the bot's phrases need: the nominative (the subject, a
// bare number), the accusative (after "в" of a time, "на" of a day, "за"
// of a price, "в" of a direction), the genitive (after "с", "до", "от",
// "нет") and, for place names only, the prepositional ("в Москве").
type Case int

// The cases.
const (
	Nominative Case = iota
	Genitive
	Accusative
	Prepositional // place names (CityCase); numerals and nouns do not take it
)

// Genitive forms of the numerals; the nominative ones are unitWords,
// tenWords and hundredWords.
var (
	unitGenitive = [...]string{"ноля", "одного", "двух", "трёх", "четырёх", "пяти", "шести", "семи", "восьми", "девяти",
		"десяти", "одиннадцати", "двенадцати", "тринадцати", "четырнадцати", "пятнадцати", "шестнадцати",
		"семнадцати", "восемнадцати", "девятнадцати"}
	tenGenitive     = [...]string{"", "", "двадцати", "тридцати", "сорока", "пятидесяти", "шестидесяти", "семидесяти", "восьмидесяти", "девяноста"}
	hundredGenitive = [...]string{"", "ста", "двухсот", "трёхсот", "четырёхсот", "пятисот", "шестисот", "семисот", "восьмисот", "девятисот"}
)

// Noun is a countable noun in the forms a number takes: One after 1, 21,
// 101 ("шина"), Few after 2-4, 22-24 ("шины"), Many after 0, 5-20, 25-30
// ("шин"), all in the nominative. The genitive singular is the Few form
// ("двух шин", but "одной шины", "двадцати одного рубля"), as it is for
// every noun the bot counts.
type Noun struct {
	One, Few, Many string
	Gender         Gender
}

// Form is the noun that goes with the number n in case c: Form(5,
// Nominative) = "шин", Form(1, Accusative) = "шину", Form(2, Genitive) =
// "шин", Form(21, Genitive) = "шины".
func (w Noun) Form(n int, c Case) string {
	u := abs(n)
	one := u%10 == 1 && u%100 != 11
	switch c {
	case Genitive:
		if one {
			return w.Few
		}
		return w.Many
	case Accusative:
		if one && w.Gender == Feminine {
			return feminineAccusative(w.One)
		}
	}
	return pluralU(u, w.One, w.Few, w.Many)
}

// feminineAccusative turns a feminine singular noun or adjective of the
// first declension into the accusative: "шина" -> "шину", "станция" ->
// "станцию", "Москва" -> "Москву", "белая" -> "белую".
func feminineAccusative(w string) string {
	switch {
	case strings.HasSuffix(w, "ая"):
		return strings.TrimSuffix(w, "ая") + "ую"
	case strings.HasSuffix(w, "яя"):
		return strings.TrimSuffix(w, "яя") + "юю"
	case strings.HasSuffix(w, "а"):
		return strings.TrimSuffix(w, "а") + "у"
	case strings.HasSuffix(w, "я"):
		return strings.TrimSuffix(w, "я") + "ю"
	}
	return w
}

// Count is n in digits with the noun that agrees with it, for a number
// speech synthesis reads in the nominative: Count(1, tire) = "1 шина",
// Count(2, tire) = "2 шины", Count(5, tire) = "5 шин", Count(12500,
// ruble) = "12 500 рублей".
func Count(n int, w Noun) string {
	return Group(n) + " " + w.Form(n, Nominative)
}

// CountWords is n in words with the noun, both in case c, for the places
// where digits would leave the case to speech synthesis: CountWords(2,
// station, Nominative) = "две станции", CountWords(1, tire, Accusative)
// = "одну шину", CountWords(6000, ruble, Genitive) = "шести тысяч
// рублей", CountWords(21, ruble, Genitive) = "двадцати одного рубля".
func CountWords(n int, w Noun, c Case) string {
	return Cardinal(n, w.Gender, c) + " " + w.Form(n, c)
}

// Cardinal spells n in words agreeing with a noun of gender g in case c:
// Cardinal(2, Feminine, Nominative) = "две", Cardinal(1, Feminine,
// Accusative) = "одну", Cardinal(21, Masculine, Genitive) = "двадцати
// одного", Cardinal(6000, Masculine, Genitive) = "шести тысяч",
// Cardinal(1000, Masculine, Genitive) = "тысячи". Words(n) is
// Cardinal(n, Masculine, Nominative).
func Cardinal(n int, g Gender, c Case) string {
	if n == 0 {
		if c == Genitive {
			return unitGenitive[0]
		}
		return unitWords[0]
	}
	var w []string
	u := abs(n)
	if n < 0 {
		w = append(w, "минус")
	}
	leading := true
	for _, s := range scales {
		k := u / s.value
		if k == 0 {
			continue
		}
		sg := Masculine
		if s.feminine {
			sg = Feminine
		}
		// A leading one is not said: "тысяча", "тысячи", "миллион"; but
		// "двадцать одна тысяча", "миллион одна тысяча".
		if k > 1 || !leading {
			w = appendTriadCase(w, k, sg, c)
		}
		leading = false
		noun := Noun{s.one, s.few, s.many, sg}
		w = append(w, noun.Form(int(k%1000), c))
		u %= s.value
	}
	if u > 0 {
		w = appendTriadCase(w, u, g, c)
	}
	return strings.Join(w, " ")
}

// appendTriadCase appends the words of 1 <= n <= 999 in gender g and case c.
func appendTriadCase(w []string, n uint64, g Gender, c Case) []string {
	hundreds, tens, units := hundredWords[:], tenWords[:], unitWords[:]
	if c == Genitive {
		hundreds, tens, units = hundredGenitive[:], tenGenitive[:], unitGenitive[:]
	}
	if h := n / 100; h > 0 {
		w = append(w, hundreds[h])
	}
	n %= 100
	if n >= 20 {
		w = append(w, tens[n/10])
		n %= 10
	}
	switch {
	case n == 0:
	case n == 1 || n == 2 && g == Feminine && c != Genitive:
		w = append(w, oneOrTwo(n, g, c))
	default:
		w = append(w, units[n])
	}
	return w
}

// oneOrTwo are the numerals that agree in gender: "один", "одна",
// "одно", "одну", "одного", "одной"; "две".
func oneOrTwo(n uint64, g Gender, c Case) string {
	if n == 2 {
		return "две"
	}
	switch {
	case c == Genitive && g == Feminine:
		return "одной"
	case c == Genitive:
		return "одного"
	case g == Feminine && c == Accusative:
		return "одну"
	case g == Feminine:
		return "одна"
	case g == Neuter:
		return "одно"
	}
	return "один"
}

// PluralAdjective puts a plural adjective given in the nominative
// ("зимние", "шипованные") into case c: the genitive after a negation or
// a count is "зимних", "шипованных" ("зимних шин нет в наличии").
// The accusative of things is the nominative. Other words come back as
// they are.
func PluralAdjective(adj string, c Case) string {
	if c != Genitive {
		return adj
	}
	switch {
	case strings.HasSuffix(adj, "ие"):
		return strings.TrimSuffix(adj, "ие") + "их"
	case strings.HasSuffix(adj, "ые"):
		return strings.TrimSuffix(adj, "ые") + "ых"
	}
	return adj
}

// Capitalize upper-cases the first letter of s, for a phrase that starts
// a sentence.
func Capitalize(s string) string {
	for i, r := range s {
		return strings.ToUpper(string(r)) + s[i+len(string(r)):]
	}
	return s
}

// addressAbbreviations are the abbreviations of Russian addresses, which
// a voice may read letter by letter. Read-only.
var addressAbbreviations = map[string]string{
	"ул.": "улица", "пр.": "проспект", "просп.": "проспект", "пр-т": "проспект", "ш.": "шоссе",
	"стр.": "строение", "д.": "дом", "корп.": "корпус", "к.": "корпус", "пер.": "переулок",
	"пл.": "площадь", "наб.": "набережная", "б-р": "бульвар", "бул.": "бульвар", "мкр.": "микрорайон",
	"пр-д": "проезд", "г.": "город",
}

// Unabbreviate spells out the abbreviations of an address: "ул.
// Профсоюзная, 56" -> "улица Профсоюзная, 56", "Лиговский пр., 240" ->
// "Лиговский проспект, 240", "118, стр. 2" -> "118, строение 2".
func Unabbreviate(address string) string {
	words := strings.Fields(address)
	for i, w := range words {
		core, comma := strings.CutSuffix(w, ",")
		if full, ok := addressAbbreviations[strings.ToLower(core)]; ok {
			words[i] = full
			if comma {
				words[i] += ","
			}
		}
	}
	return strings.Join(words, " ")
}
