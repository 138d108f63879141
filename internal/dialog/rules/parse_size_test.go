package rules

import "testing"

func TestParseSize(t *testing.T) {
	tests := []struct {
		in    string
		loose bool
		known size
		want  size
	}{
		// Whole sizes, read in any context.
		{"205/55 R16", false, size{}, size{205, 55, 16}},
		{"205/55R16", false, size{}, size{205, 55, 16}},
		{"205/55r16", false, size{}, size{205, 55, 16}},
		{"205 55 16", false, size{}, size{205, 55, 16}},
		{"205/55/16", false, size{}, size{205, 55, 16}},
		{"205-55-16", false, size{}, size{205, 55, 16}},
		{"205 на 55 на 16", false, size{}, size{205, 55, 16}},
		{"205 55 р16", false, size{}, size{205, 55, 16}},
		{"205 55 R 16", false, size{}, size{205, 55, 16}},
		{"205x55 R16", false, size{}, size{205, 55, 16}},
		{"205/55 Р16", false, size{}, size{205, 55, 16}},
		{"Двести пять пятьдесят пять эр шестнадцать", false, size{}, size{205, 55, 16}},
		{"двести пять на пятьдесят пять радиус шестнадцать", false, size{}, size{205, 55, 16}},
		{"двести пять, пятьдесят пять, шестнадцать.", false, size{}, size{205, 55, 16}},
		{"сто девяносто пять шестьдесят пять пятнадцать", false, size{}, size{195, 65, 15}},
		{"нужны зимние шины 225/45 R17 нокиан", false, size{}, size{225, 45, 17}},
		{"R17 225/45", false, size{}, size{225, 45, 17}},
		{"315/35 R22", false, size{}, size{315, 35, 22}},
		{"175 70 13", false, size{}, size{175, 70, 13}},
		{"205/55", false, size{}, size{205, 55, 0}},
		{"205 55", false, size{}, size{205, 55, 0}},
		// A rim with its marker.
		{"радиус 17", false, size{}, size{0, 0, 17}},
		{"на шестнадцатый радиус", false, size{}, size{0, 0, 16}},
		{"семнадцатом радиусе", false, size{}, size{0, 0, 17}},
		{"17 радиус", false, size{}, size{0, 0, 17}},
		{"16 дюймов", false, size{}, size{0, 0, 16}},
		{"r15", false, size{}, size{0, 0, 15}},
		// Not sizes without context.
		{"мне шины на 16", false, size{}, size{}},
		{"на шестнадцатый", false, size{}, size{}},
		{"заказ 100012", false, size{}, size{}},
		{"до 10000 рублей", false, size{}, size{}},
		{"в 14:00", false, size{}, size{}},
		{"двести пять пятьдесят пять", false, size{}, size{205, 55, 0}}, // numbers alone
		{"шины двести пять пятьдесят пять", false, size{}, size{}},
		{"206 55 16", false, size{}, size{}},
		{"205 57 16", false, size{}, size{}},
		{"205 55 30", false, size{}, size{205, 55, 0}},
		// Bare parts when loose.
		{"мне шины на 16", true, size{}, size{0, 0, 16}},
		{"на шестнадцатый", true, size{}, size{0, 0, 16}},
		{"шестнадцатые диски", true, size{}, size{0, 0, 16}},
		{"двести пять пятьдесят пять", true, size{0, 0, 16}, size{205, 55, 0}},
		{"205 на 55", true, size{0, 0, 16}, size{205, 55, 0}},
		{"205", true, size{}, size{205, 0, 0}},
		{"205", true, size{0, 0, 16}, size{205, 0, 0}},
		{"55 16", true, size{205, 0, 0}, size{0, 55, 16}},
		{"пятьдесят пять", true, size{205, 0, 16}, size{0, 55, 0}},
		{"16", true, size{205, 55, 0}, size{0, 0, 16}},
		{"четыре штуки на 15", true, size{}, size{0, 0, 15}},
		{"до десяти тысяч", true, size{}, size{}},
	}
	for _, tt := range tests {
		if got := parseSize(newUtterance(tt.in), tt.loose, tt.known); got != tt.want {
			t.Errorf("parseSize(%q, loose=%v, known=%v) = %v, want %v", tt.in, tt.loose, tt.known, got, tt.want)
		}
	}
}
