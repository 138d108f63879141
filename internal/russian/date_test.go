package russian

import (
	"testing"
	"time"
)

var (
	msk   = time.FixedZone("MSK", 3*3600)
	today = time.Date(2025, 11, 25, 23, 30, 0, 0, msk) // a Tuesday, late evening
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 10, 0, 0, 0, msk) }

func TestSpokenDate(t *testing.T) {
	tests := []struct {
		d    time.Time
		want string
	}{
		{day(2025, 11, 25), "сегодня"},
		{day(2025, 11, 26), "завтра, двадцать шестого ноября"},
		{day(2025, 11, 27), "послезавтра, двадцать седьмого ноября"},
		{day(2025, 11, 24), "вчера"},
		{day(2025, 11, 28), "в пятницу, двадцать восьмого ноября"},
		{day(2025, 11, 29), "в субботу, двадцать девятого ноября"},
		{day(2025, 11, 30), "в воскресенье, тридцатого ноября"},
		{day(2025, 12, 2), "во вторник, второго декабря"},
		{day(2025, 12, 3), "в среду, третьего декабря"},
		{day(2026, 1, 5), "в понедельник, пятого января"},
		{day(2026, 11, 26), "в четверг, двадцать шестого ноября 2026 года"},
		{day(2024, 11, 29), "в пятницу, двадцать девятого ноября 2024 года"},
	}
	for _, tt := range tests {
		if got := SpokenDate(tt.d, today); got != tt.want {
			t.Errorf("SpokenDate(%s) = %q, want %q", tt.d.Format(time.DateOnly), got, tt.want)
		}
	}
}

func TestSpokenDay(t *testing.T) {
	tests := []struct {
		d    time.Time
		want string
	}{
		{day(2025, 11, 25), "сегодня"},
		{day(2025, 11, 26), "завтра"},
		{day(2025, 11, 27), "послезавтра"},
		{day(2025, 11, 29), "в субботу"},
		{day(2025, 12, 1), "в понедельник"},
		{day(2025, 12, 2), "во вторник, второго декабря"},
		{day(2025, 11, 24), "вчера"},
	}
	for _, tt := range tests {
		if got := SpokenDay(tt.d, today); got != tt.want {
			t.Errorf("SpokenDay(%s) = %q, want %q", tt.d.Format(time.DateOnly), got, tt.want)
		}
	}
}

func TestOnDate(t *testing.T) {
	tests := []struct {
		d    time.Time
		want string
	}{
		{day(2025, 11, 25), "на сегодня"},
		{day(2025, 11, 26), "на завтра, двадцать шестое ноября"},
		{day(2025, 11, 27), "на послезавтра, двадцать седьмое ноября"},
		{day(2025, 11, 28), "на пятницу, двадцать восьмое ноября"},
		{day(2025, 12, 3), "на среду, третье декабря"},
		{day(2025, 12, 1), "на понедельник, первое декабря"},
		{day(2025, 12, 21), "на воскресенье, двадцать первое декабря"},
		{day(2026, 11, 26), "на четверг, двадцать шестое ноября 2026 года"},
	}
	for _, tt := range tests {
		if got := OnDate(tt.d, today); got != tt.want {
			t.Errorf("OnDate(%s) = %q, want %q", tt.d.Format(time.DateOnly), got, tt.want)
		}
	}
}

func TestDayOfMonth(t *testing.T) {
	tests := []struct {
		n    int
		c    Case
		want string
	}{
		{1, Nominative, "первое"}, {2, Genitive, "второго"}, {3, Nominative, "третье"}, {3, Genitive, "третьего"},
		{4, Genitive, "четвёртого"}, {7, Nominative, "седьмое"}, {8, Genitive, "восьмого"}, {11, Nominative, "одиннадцатое"},
		{20, Genitive, "двадцатого"}, {23, Accusative, "двадцать третье"}, {23, Genitive, "двадцать третьего"},
		{30, Nominative, "тридцатое"}, {31, Genitive, "тридцать первого"}, {0, Nominative, "0"}, {32, Genitive, "32"},
	}
	for _, tt := range tests {
		if got := DayOfMonth(tt.n, tt.c); got != tt.want {
			t.Errorf("DayOfMonth(%d, %d) = %q, want %q", tt.n, tt.c, got, tt.want)
		}
	}
}

func TestClockWords(t *testing.T) {
	tests := []struct {
		h, m int
		c    Case
		want string
	}{
		{10, 0, Accusative, "десять"},
		{9, 30, Accusative, "девять тридцать"},
		{9, 5, Accusative, "девять ноль пять"},
		{10, 21, Accusative, "десять двадцать одна"},
		{21, 0, Genitive, "двадцати одного"},
		{9, 30, Genitive, "девяти тридцати"},
		{22, 0, Genitive, "двадцати двух"},
		{0, 0, Nominative, "ноль"},
		{24, 0, Nominative, "24:00"},
	}
	for _, tt := range tests {
		if got := ClockWords(tt.h, tt.m, tt.c); got != tt.want {
			t.Errorf("ClockWords(%d, %d, %d) = %q, want %q", tt.h, tt.m, tt.c, got, tt.want)
		}
	}
	if got := ClockRange(9, 0, 21, 0); got != "с девяти до двадцати одного" {
		t.Errorf("ClockRange = %q", got)
	}
}

func TestJoin(t *testing.T) {
	for _, tt := range []struct {
		items []string
		want  string
	}{
		{nil, ""}, {[]string{"a"}, "a"}, {[]string{"a", "b"}, "a и b"}, {[]string{"a", "b", "c"}, "a, b и c"},
	} {
		if got := Join(tt.items); got != tt.want {
			t.Errorf("Join(%q) = %q", tt.items, got)
		}
	}
}
