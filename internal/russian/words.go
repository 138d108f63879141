// Package russian turns numbers, prices, tire sizes and dates into Russian
// for the ear, and reads numbers back from what a caller said (digits or
// words, in any case form, ordinals included).
//
// Everything here is pure and safe for concurrent use; the tables are
// read-only.
package russian

import (
	"strconv"
	"strings"
)

var (
	unitWords = [...]string{"ноль", "один", "два", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять",
		"десять", "одиннадцать", "двенадцать", "тринадцать", "четырнадцать", "пятнадцать", "шестнадцать",
		"семнадцать", "восемнадцать", "девятнадцать"}
	tenWords     = [...]string{"", "", "двадцать", "тридцать", "сорок", "пятьдесят", "шестьдесят", "семьдесят", "восемьдесят", "девяносто"}
	hundredWords = [...]string{"", "сто", "двести", "триста", "четыреста", "пятьсот", "шестьсот", "семьсот", "восемьсот", "девятьсот"}
)

// scale is a power of a thousand with its noun in the three plural forms.
type scale struct {
	value          uint64
	one, few, many string
	feminine       bool // "одна тысяча", "две тысячи"
}

// scales run from the largest down; math.MaxInt64 is about 9.2 квинтиллиона.
var scales = [...]scale{
	{1e18, "квинтиллион", "квинтиллиона", "квинтиллионов", false},
	{1e15, "квадриллион", "квадриллиона", "квадриллионов", false},
	{1e12, "триллион", "триллиона", "триллионов", false},
	{1e9, "миллиард", "миллиарда", "миллиардов", false},
	{1e6, "миллион", "миллиона", "миллионов", false},
	{1e3, "тысяча", "тысячи", "тысяч", true},
}

// Words spells n in Russian words, masculine, nominative, as a number is
// read out: Words(205) = "двести пять", Words(100001) = "сто тысяч один",
// Words(1000) = "тысяча", Words(2000) = "две тысячи",
// Words(21000) = "двадцать одна тысяча", Words(0) = "ноль". Negative numbers start
// with "минус". Every int is accepted. Cardinal gives the other genders
// and cases.
func Words(n int) string {
	return Cardinal(n, Masculine, Nominative)
}

// abs is |n| as uint64, exact for math.MinInt too.
func abs(n int) uint64 {
	if n < 0 {
		return uint64(-(n + 1)) + 1
	}
	return uint64(n)
}

// Plural picks the noun form that goes with n: one for 1, 21, 101...;
// few for 2-4, 22-24...; many for 0, 5-20, 25-30, 111... So
// Plural(1, "шина", "шины", "шин") = "шина", Plural(2, ...) = "шины",
// Plural(5, ...) = Plural(11, ...) = "шин", Plural(21, ...) = "шина".
// The sign of n does not matter.
func Plural(n int, one, few, many string) string {
	return pluralU(abs(n), one, few, many)
}

func pluralU(n uint64, one, few, many string) string {
	if m := n % 100; m >= 11 && m <= 14 {
		return many
	}
	switch n % 10 {
	case 1:
		return one
	case 2, 3, 4:
		return few
	}
	return many
}

// Rubles is a price for the ear: digits grouped by thousands with a space
// and the right form of "рубль": Rubles(5400) = "5 400 рублей",
// Rubles(1) = "1 рубль", Rubles(22) = "22 рубля".
func Rubles(n int) string {
	return Group(n) + " " + Plural(n, "рубль", "рубля", "рублей")
}

// Group writes n in digits grouped by thousands with a space:
// Group(12500) = "12 500", Group(-1000000) = "-1 000 000".
func Group(n int) string {
	d := strconv.FormatUint(abs(n), 10)
	var b strings.Builder
	if n < 0 {
		b.WriteByte('-')
	}
	for i := range len(d) {
		if i > 0 && (len(d)-i)%3 == 0 {
			b.WriteByte(' ')
		}
		b.WriteByte(d[i])
	}
	return b.String()
}

// TireSize says a tire size the way it is read in a shop: width, profile,
// "эр", rim, all in words: TireSize(205, 55, 16) =
// "двести пять пятьдесят пять эр шестнадцать".
func TireSize(width, profile, rim int) string {
	return Words(width) + " " + Words(profile) + " эр " + Words(rim)
}
