package russian

import "testing"

var (
	tire    = Noun{"шина", "шины", "шин", Feminine}
	ruble   = Noun{"рубль", "рубля", "рублей", Masculine}
	station = Noun{"станция", "станции", "станций", Feminine}
	place   = Noun{"место", "места", "мест", Neuter}
)

func TestCount(t *testing.T) {
	tests := []struct {
		n    int
		noun Noun
		want string
	}{
		{1, tire, "1 шина"}, {2, tire, "2 шины"}, {4, tire, "4 шины"}, {5, tire, "5 шин"},
		{11, tire, "11 шин"}, {12, tire, "12 шин"}, {14, tire, "14 шин"}, {21, tire, "21 шина"},
		{22, tire, "22 шины"}, {25, tire, "25 шин"}, {101, tire, "101 шина"}, {111, tire, "111 шин"},
		{0, tire, "0 шин"},
		{1, ruble, "1 рубль"}, {3, ruble, "3 рубля"}, {5400, ruble, "5 400 рублей"}, {12501, ruble, "12 501 рубль"},
		{1000000, ruble, "1 000 000 рублей"},
	}
	for _, tt := range tests {
		if got := Count(tt.n, tt.noun); got != tt.want {
			t.Errorf("Count(%d, %s) = %q, want %q", tt.n, tt.noun.One, got, tt.want)
		}
	}
}

func TestCountWords(t *testing.T) {
	tests := []struct {
		name string
		n    int
		noun Noun
		c    Case
		want string
	}{
		{"feminine one", 1, station, Nominative, "одна станция"},
		{"feminine two", 2, station, Nominative, "две станции"},
		{"feminine five", 5, station, Nominative, "пять станций"},
		{"feminine accusative one", 1, tire, Accusative, "одну шину"},
		{"feminine accusative twenty-one", 21, tire, Accusative, "двадцать одну шину"},
		{"feminine accusative four", 4, tire, Accusative, "четыре шины"},
		{"feminine genitive one", 1, tire, Genitive, "одной шины"},
		{"feminine genitive two", 2, tire, Genitive, "двух шин"},
		{"masculine one", 1, ruble, Nominative, "один рубль"},
		{"masculine two", 2, ruble, Nominative, "два рубля"},
		{"masculine genitive twenty-one", 21, ruble, Genitive, "двадцати одного рубля"},
		{"neuter one", 1, place, Nominative, "одно место"},
		{"neuter two", 2, place, Nominative, "два места"},
		{"neuter genitive", 3, place, Genitive, "трёх мест"},
		{"price in the genitive", 6000, ruble, Genitive, "шести тысяч рублей"},
		{"thousand in the genitive", 1000, ruble, Genitive, "тысячи рублей"},
		{"thousand in the accusative", 1000, ruble, Accusative, "тысячу рублей"},
		{"twenty-one thousand in the genitive", 21000, ruble, Genitive, "двадцати одной тысячи рублей"},
		{"hundreds in the genitive", 7490, ruble, Genitive, "семи тысяч четырёхсот девяноста рублей"},
		{"million in the genitive", 2500000, ruble, Genitive, "двух миллионов пятисот тысяч рублей"},
		{"eleven in the genitive", 11, tire, Genitive, "одиннадцати шин"},
		{"zero", 0, tire, Genitive, "ноля шин"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CountWords(tt.n, tt.noun, tt.c); got != tt.want {
				t.Errorf("CountWords(%d, %s, %d) = %q, want %q", tt.n, tt.noun.One, tt.c, got, tt.want)
			}
		})
	}
}

// TestCardinalNominativeIsWords: the masculine nominative is Words.
func TestCardinalNominativeIsWords(t *testing.T) {
	for _, n := range []int{0, 1, 2, 21, 1000, 2000, 21000, 100001, 1001000, -15} {
		if got, want := Cardinal(n, Masculine, Nominative), Words(n); got != want {
			t.Errorf("Cardinal(%d) = %q, Words = %q", n, got, want)
		}
	}
}

func TestPluralAdjective(t *testing.T) {
	tests := []struct {
		adj  string
		c    Case
		want string
	}{
		{"зимние", Genitive, "зимних"},
		{"летние", Genitive, "летних"},
		{"всесезонные", Genitive, "всесезонных"},
		{"шипованные", Genitive, "шипованных"},
		{"нешипованные", Genitive, "нешипованных"},
		{"зимние", Nominative, "зимние"},
		{"зимние", Accusative, "зимние"},
		{"Nokian", Genitive, "Nokian"},
	}
	for _, tt := range tests {
		if got := PluralAdjective(tt.adj, tt.c); got != tt.want {
			t.Errorf("PluralAdjective(%q, %d) = %q, want %q", tt.adj, tt.c, got, tt.want)
		}
	}
}

func TestUnabbreviate(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ул. Профсоюзная, 56", "улица Профсоюзная, 56"},
		{"Лиговский пр., 240", "Лиговский проспект, 240"},
		{"Варшавское шоссе, 118, стр. 2", "Варшавское шоссе, 118, строение 2"},
		{"Пятницкое ш., 21", "Пятницкое шоссе, 21"},
		{"Улица Ленина, 1", "Улица Ленина, 1"},
	}
	for _, tt := range tests {
		if got := Unabbreviate(tt.in); got != tt.want {
			t.Errorf("Unabbreviate(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
