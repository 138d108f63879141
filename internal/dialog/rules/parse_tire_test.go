package rules

import "testing"

func TestParseSeason(t *testing.T) {
	tests := []struct{ in, want string }{
		{"зимние", seasonWinter}, {"Зимнюю резину", seasonWinter}, {"зимней", seasonWinter}, {"зима", seasonWinter},
		{"на зиму", seasonWinter}, {"зимних шин", seasonWinter}, {"зимники", seasonWinter}, {"ЗИМНИЕ!", seasonWinter},
		{"летние", seasonSummer}, {"летнюю", seasonSummer}, {"на лето", seasonSummer}, {"летней резины", seasonSummer},
		{"всесезонные", seasonAllSeason}, {"всесезонка", seasonAllSeason}, {"всесезонку", seasonAllSeason},
		{"все сезонные", seasonAllSeason}, {"круглогодичные", seasonAllSeason},
		{"не летние, а зимние", seasonWinter},
		{"сколько лет гарантия", ""}, {"шины 205 55 16", ""}, {"летать", ""},
	}
	for _, tt := range tests {
		if got := parseSeason(newUtterance(tt.in)); got != tt.want {
			t.Errorf("parseSeason(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseStudded(t *testing.T) {
	tests := []struct {
		in   string
		want *bool
	}{
		{"шипованные", ptr(true)}, {"с шипами", ptr(true)}, {"шипы", ptr(true)}, {"Шипованную резину", ptr(true)},
		{"шиповка", ptr(true)}, {"ошипованные", ptr(true)},
		{"нешипованные", ptr(false)}, {"не шипованные", ptr(false)}, {"без шипов", ptr(false)}, {"липучка", ptr(false)},
		{"липучку", ptr(false)}, {"фрикционные", ptr(false)}, {"фрикционку", ptr(false)},
		{"зимние шины", nil}, {"шины", nil},
	}
	for _, tt := range tests {
		got := parseStudded(newUtterance(tt.in))
		if (got == nil) != (tt.want == nil) || got != nil && *got != *tt.want {
			t.Errorf("parseStudded(%q) = %v, want %v", tt.in, fmtBool(got), fmtBool(tt.want))
		}
	}
}

func fmtBool(b *bool) string {
	if b == nil {
		return "nil"
	}
	if *b {
		return "true"
	}
	return "false"
}

func TestParseBrand(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Nokian", "Nokian"}, {"нокиан", "Nokian"}, {"нокианы", "Nokian"}, {"нокиановские", "Nokian"}, {"Хакка", "Nokian"},
		{"Michelin", "Michelin"}, {"мишлен", "Michelin"}, {"мишлены", "Michelin"},
		{"Continental", "Continental"}, {"континенталь", "Continental"}, {"континентали", "Continental"},
		{"Bridgestone", "Bridgestone"}, {"бриджстоун", "Bridgestone"},
		{"Pirelli", "Pirelli"}, {"пирелли", "Pirelli"},
		{"Yokohama", "Yokohama"}, {"йокогаму", "Yokohama"}, {"йокохама", "Yokohama"},
		{"Hankook", "Hankook"}, {"ханкук", "Hankook"},
		{"Kumho", "Kumho"}, {"кумхо", "Kumho"},
		{"Cordiant", "Cordiant"}, {"кордиант", "Cordiant"}, {"кордианты", "Cordiant"},
		{"Gislaved", "Gislaved"}, {"гиславед", "Gislaved"},
		{"Ikon", "Ikon"}, {"айкон", "Ikon"}, {"айконы", "Ikon"},
		{"Toyo", "Toyo"}, {"тойо", "Toyo"},
		{"у меня тойота", ""}, {"зимние шины", ""},
		{"не мишлен, а нокиан", "Nokian"},
	}
	for _, tt := range tests {
		if got := parseBrand(newUtterance(tt.in)); got != tt.want {
			t.Errorf("parseBrand(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseMaxPrice(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"до десяти тысяч", 10000},
		{"не дороже 8000", 8000},
		{"не дороже восьми тысяч рублей", 8000},
		{"дешевле 7 тысяч", 7000},
		{"не больше 6000 за штуку", 6000},
		{"в пределах девяти тысяч", 9000},
		{"максимум 9500", 9500},
		{"до 12 500", 12500},
		{"дороже 8000", 0},
		{"до 16", 0},
		{"205 55 16", 0},
		{"до пятницы", 0},
	}
	for _, tt := range tests {
		if got := parseMaxPrice(newUtterance(tt.in)); got != tt.want {
			t.Errorf("parseMaxPrice(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}
