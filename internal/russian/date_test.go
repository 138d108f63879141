package russian

import (
	"testing"
	"time"
)

func TestSpokenDate(t *testing.T) {
	msk := time.FixedZone("MSK", 3*3600)
	today := time.Date(2025, 11, 25, 23, 30, 0, 0, msk) // a Tuesday, late evening
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 10, 0, 0, 0, msk) }
	tests := []struct {
		d    time.Time
		want string
	}{
		{day(2025, 11, 25), "сегодня"},
		{day(2025, 11, 26), "завтра"},
		{day(2025, 11, 27), "послезавтра"},
		{day(2025, 11, 24), "вчера"},
		{day(2025, 11, 28), "в пятницу, 28 ноября"},
		{day(2025, 11, 29), "в субботу, 29 ноября"},
		{day(2025, 11, 30), "в воскресенье, 30 ноября"},
		{day(2025, 12, 2), "во вторник, 2 декабря"},
		{day(2025, 12, 3), "в среду, 3 декабря"},
		{day(2026, 1, 5), "в понедельник, 5 января"},
		{day(2026, 11, 26), "в четверг, 26 ноября 2026 года"},
		{day(2024, 11, 29), "в пятницу, 29 ноября 2024 года"},
	}
	for _, tt := range tests {
		if got := SpokenDate(tt.d, today); got != tt.want {
			t.Errorf("SpokenDate(%s) = %q, want %q", tt.d.Format(time.DateOnly), got, tt.want)
		}
	}
}

func TestClock(t *testing.T) {
	tests := []struct {
		h, m int
		want string
	}{
		{10, 0, "10:00"}, {9, 5, "9:05"}, {14, 30, "14:30"}, {0, 0, "0:00"},
	}
	for _, tt := range tests {
		if got := Clock(tt.h, tt.m); got != tt.want {
			t.Errorf("Clock(%d, %d) = %q, want %q", tt.h, tt.m, got, tt.want)
		}
	}
}
