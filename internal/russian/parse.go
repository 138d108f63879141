package russian

import (
	"strconv"
	"strings"
	"unicode"
)

// Fields splits text the way the parsers of this package read it:
// lower-cased, "ё" read as "е", cut into runs of letters and runs of
// digits; everything else (spaces, punctuation, "/", "-") separates.
// "205/55R16" gives "205", "55", "r", "16"; "Двести пять!" gives
// "двести", "пять".
func Fields(text string) []string {
	text = strings.ReplaceAll(strings.ToLower(text), "ё", "е")
	var out []string
	start, kind := -1, 0 // kind: 0 other, 1 letters, 2 digits
	for i, r := range text {
		k := 0
		switch {
		case r == '\uFFFD':
			// invalid UTF-8 separates like punctuation
		case unicode.IsLetter(r):
			k = 1
		case r >= '0' && r <= '9':
			k = 2
		}
		if k == kind {
			continue
		}
		if kind != 0 {
			out = append(out, text[start:i])
		}
		start, kind = i, k
	}
	if kind != 0 {
		out = append(out, text[start:])
	}
	return out
}

// Number is a number read from the start of a list of Fields.
type Number struct {
	Value   int
	Words   int    // how many fields it took, >= 1
	Ordinal bool   // "шестнадцатый", "двадцать первого", "16-й"
	Digits  string // the digits as written ("007"), when it was written in digits alone
}

// maxNumber bounds what ScanNumber reads: a caller never says more, and
// the bound keeps every sum far from overflow.
const maxNumber = 999_999_999_999

// ScanNumber reads the longest number at the start of fields (as Fields
// returns them): digits ("205", "5 тысяч", "16-й"), words in any case
// ("двести пять", "десяти тысяч", "двадцать одна", "сто тысяч двенадцать")
// or an ordinal ("шестнадцатый", "семнадцатом", "двадцать первого"),
// which ends the number. Words follow the grammar of a numeral, so a run
// of several numbers splits where the grammar breaks: "двести пять
// пятьдесят пять" starts with 205 (two words), and the next call reads 55.
// "ноль" is a number by itself. Numbers above 999 999 999 999 are not read.
// It reports false when fields does not start with a number.
func ScanNumber(fields []string) (Number, bool) {
	var (
		total    int // completed scales ("сто тысяч" -> 100000)
		triad    int // the part below the last scale
		seen     class
		lastMult = maxNumber + 1 // the next scale word must be smaller
		n        Number
	)
	for i, f := range fields {
		if isDigits(f) {
			if seen != 0 || len(f) > 12 {
				break
			}
			v, _ := strconv.Atoi(f)
			if total > 0 && v >= lastMult {
				break
			}
			triad, seen = v, classDigits
			n.Words = i + 1
			if i == 0 {
				n.Digits = f
			}
			continue
		}
		if seen == classDigits && n.Words == i && ordinalSuffix[f] {
			n.Ordinal, n.Words = true, i+1
			break
		}
		e, ok := cardinals[f]
		ordinal := false
		if !ok {
			e, ok = ordinalWord(f)
			ordinal = true
		}
		if !ok || !e.c.canFollow(seen) {
			break
		}
		switch e.c {
		case classZero:
			if i > 0 {
				return finish(n, total, triad)
			}
			return Number{Value: 0, Words: 1, Ordinal: ordinal}, true
		case classScale:
			if ordinal || e.v >= lastMult {
				return finish(n, total, triad)
			}
			m := triad
			if seen == 0 {
				m = 1 // "тысяча двести"
			}
			if m > maxNumber/e.v {
				return finish(n, total, triad)
			}
			total += m * e.v
			triad, seen, lastMult = 0, 0, e.v
		default:
			triad += e.v
			seen |= e.c
		}
		n.Words = i + 1
		n.Digits = ""
		if ordinal {
			n.Ordinal = true
			break
		}
	}
	return finish(n, total, triad)
}

func finish(n Number, total, triad int) (Number, bool) {
	if n.Words == 0 {
		return Number{}, false
	}
	n.Value = total + triad
	return n, true
}

// ParseNumber reads text that is one number and nothing else: digits
// ("205", "100012", "5 400" grouped by thousands), words in any case
// ("Двести пять", "сто тысяч один", "двадцать одна", "десяти тысяч"),
// digits with a scale word ("8 тысяч") or an ordinal ("шестнадцатый" and
// "семнадцатом" give 16 and 17, "16-й" gives 16). Punctuation around the
// words does not matter.
func ParseNumber(text string) (int, bool) {
	f := Fields(text)
	if v, ok := groupedDigits(f); ok {
		return v, true
	}
	n, ok := ScanNumber(f)
	if !ok || n.Words != len(f) {
		return 0, false
	}
	return n.Value, true
}

// groupedDigits reads "12 500" (digits grouped by thousands).
func groupedDigits(f []string) (int, bool) {
	if len(f) < 2 || len(f) > 4 || len(f[0]) > 3 || !isDigits(f[0]) || f[0][0] == '0' {
		return 0, false
	}
	s := f[0]
	for _, g := range f[1:] {
		if len(g) != 3 || !isDigits(g) {
			return 0, false
		}
		s += g
	}
	v, err := strconv.Atoi(s)
	return v, err == nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// class is the place a number word takes in a numeral, as a bit set of
// what a triad (the part below a thousand) already holds.
type class uint8

const (
	classUnit    class = 1 << iota // 1..9
	classTeen                      // 10..19
	classTen                       // 20..90
	classHundred                   // 100..900
	classDigits                    // a number in digits
	classScale                     // тысяча, миллион, миллиард
	classZero                      // ноль, alone
)

// canFollow reports whether a word of class c may come after a triad that
// holds seen: the places only go down ("двести пять", never "пять двести").
func (c class) canFollow(seen class) bool {
	switch c {
	case classHundred:
		return seen == 0
	case classTen, classTeen:
		return seen&^classHundred == 0
	case classUnit:
		return seen&(classUnit|classTeen|classDigits) == 0
	case classScale:
		return seen != classZero
	case classZero:
		return seen == 0
	}
	return false
}

type entry struct {
	v int
	c class
}

// cardinals holds every case form of the number words, "ё" read as "е".
// Read-only.
var cardinals = buildCardinals()

func buildCardinals() map[string]entry {
	m := map[string]entry{}
	add := func(v int, c class, forms ...string) {
		for _, f := range forms {
			m[f] = entry{v, c}
		}
	}
	add(0, classZero, "ноль", "нуль", "ноля", "нуля", "нолю", "нулю", "нолем", "нулем")
	add(1, classUnit, "один", "одна", "одно", "одного", "одной", "одному", "одним", "одном", "одну")
	add(2, classUnit, "два", "две", "двух", "двум", "двумя")
	add(3, classUnit, "три", "трех", "трем", "тремя")
	add(4, classUnit, "четыре", "четырех", "четырем", "четырьмя")
	add(5, classUnit, "пять", "пяти", "пятью")
	add(6, classUnit, "шесть", "шести", "шестью")
	add(7, classUnit, "семь", "семи", "семью")
	add(8, classUnit, "восемь", "восьми", "восемью", "восьмью")
	add(9, classUnit, "девять", "девяти", "девятью")
	for v, stem := range map[int]string{10: "десят", 11: "одиннадцат", 12: "двенадцат", 13: "тринадцат",
		14: "четырнадцат", 15: "пятнадцат", 16: "шестнадцат", 17: "семнадцат", 18: "восемнадцат", 19: "девятнадцат"} {
		add(v, classTeen, stem+"ь", stem+"и", stem+"ью")
	}
	add(20, classTen, "двадцать", "двадцати", "двадцатью")
	add(30, classTen, "тридцать", "тридцати", "тридцатью")
	add(40, classTen, "сорок", "сорока")
	add(50, classTen, "пятьдесят", "пятидесяти", "пятьюдесятью")
	add(60, classTen, "шестьдесят", "шестидесяти", "шестьюдесятью")
	add(70, classTen, "семьдесят", "семидесяти", "семьюдесятью")
	add(80, classTen, "восемьдесят", "восьмидесяти", "восемьюдесятью")
	add(90, classTen, "девяносто", "девяноста")
	add(100, classHundred, "сто", "ста")
	add(200, classHundred, "двести", "двухсот", "двумстам", "двумястами", "двухстах")
	add(300, classHundred, "триста", "трехсот", "тремстам", "тремястами", "трехстах")
	add(400, classHundred, "четыреста", "четырехсот", "четыремстам", "четырьмястами", "четырехстах")
	for v, p := range map[int][2]string{500: {"пят", "пятью"}, 600: {"шест", "шестью"}, 700: {"сем", "семью"},
		800: {"восьм", "восемью"}, 900: {"девят", "девятью"}} {
		nom := map[int]string{500: "пятьсот", 600: "шестьсот", 700: "семьсот", 800: "восемьсот", 900: "девятьсот"}[v]
		add(v, classHundred, nom, p[0]+"исот", p[0]+"истам", p[1]+"стами", p[0]+"истах")
	}
	add(1000, classScale, "тысяча", "тысячи", "тысяч", "тысячу", "тысячей", "тысячею", "тысяче", "тысячам", "тысячами", "тысячах", "тыс")
	add(1_000_000, classScale, "миллион", "миллиона", "миллионов", "миллиону", "миллионом", "миллионе", "миллионам", "миллионами", "миллионах", "млн")
	add(1_000_000_000, classScale, "миллиард", "миллиарда", "миллиардов", "миллиарду", "миллиардом", "миллиарде", "миллиардам", "миллиардами", "миллиардах", "млрд")
	return m
}

// ordinalStems are the stems of the ordinal numerals ("шестнадцат-ый").
// Read-only.
var ordinalStems = map[string]entry{
	"перв": {1, classUnit}, "втор": {2, classUnit}, "трет": {3, classUnit}, "четверт": {4, classUnit},
	"пят": {5, classUnit}, "шест": {6, classUnit}, "седьм": {7, classUnit}, "восьм": {8, classUnit}, "девят": {9, classUnit},
	"десят": {10, classTeen}, "одиннадцат": {11, classTeen}, "двенадцат": {12, classTeen}, "тринадцат": {13, classTeen},
	"четырнадцат": {14, classTeen}, "пятнадцат": {15, classTeen}, "шестнадцат": {16, classTeen},
	"семнадцат": {17, classTeen}, "восемнадцат": {18, classTeen}, "девятнадцат": {19, classTeen},
	"двадцат": {20, classTen}, "тридцат": {30, classTen}, "сороков": {40, classTen}, "пятидесят": {50, classTen},
	"шестидесят": {60, classTen}, "семидесят": {70, classTen}, "восьмидесят": {80, classTen}, "девяност": {90, classTen},
	"сот": {100, classHundred}, "двухсот": {200, classHundred}, "трехсот": {300, classHundred},
	"четырехсот": {400, classHundred}, "пятисот": {500, classHundred}, "шестисот": {600, classHundred},
	"семисот": {700, classHundred}, "восьмисот": {800, classHundred}, "девятисот": {900, classHundred},
}

// ordinalEndings are the adjective endings of an ordinal in every gender,
// number and case; the "ь" forms are those of "третий".
var ordinalEndings = [...]string{
	"ьего", "ьему", "ьими",
	"ого", "его", "ому", "ему", "ыми", "ими", "ьем", "ьим", "ьей", "ьих",
	"ый", "ий", "ой", "ая", "яя", "ое", "ее", "ые", "ие", "ом", "ем", "ым", "им", "ую", "юю", "ых", "их", "ей",
	"ья", "ье", "ьи", "ью",
}

func ordinalWord(f string) (entry, bool) {
	for _, end := range ordinalEndings {
		if stem, ok := strings.CutSuffix(f, end); ok {
			if e, ok := ordinalStems[stem]; ok {
				return e, true
			}
		}
	}
	return entry{}, false
}

// ordinalSuffix are the endings written after digits: "16-й", "5-го".
// Read-only.
var ordinalSuffix = map[string]bool{
	"й": true, "го": true, "ый": true, "ий": true, "ого": true, "ом": true,
	"ая": true, "ое": true, "ую": true, "ым": true, "ей": true, "ья": true,
}
