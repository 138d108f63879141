package rules

import (
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	// testNow is Tuesday, 25 November 2025.
	tests := []struct{ in, want string }{
		{"сегодня", "2025-11-25"},
		{"на сегодня", "2025-11-25"},
		{"завтра", "2025-11-26"},
		{"Завтра в десять", "2025-11-26"},
		{"послезавтра", "2025-11-27"},
		{"в субботу", "2025-11-29"},
		{"на субботу", "2025-11-29"},
		{"в пятницу", "2025-11-28"},
		{"в среду", "2025-11-26"},
		{"в понедельник", "2025-12-01"},
		{"во вторник", "2025-12-02"},
		{"в воскресенье", "2025-11-30"},
		{"28 ноября", "2025-11-28"},
		{"двадцать восьмого ноября", "2025-11-28"},
		{"3 декабря", "2025-12-03"},
		{"первого марта", "2026-03-01"},
		{"20 ноября", "2026-11-20"},
		{"на 28 число", "2025-11-28"},
		{"на двадцатое число", "2025-12-20"},
		{"31 июня", ""},
		{"в десять", ""},
		{"не знаю", ""},
	}
	for _, tt := range tests {
		got, ok := parseDate(newUtterance(tt.in), testNow)
		if tt.want == "" {
			if ok {
				t.Errorf("parseDate(%q) = %s, want none", tt.in, got.Format(time.DateOnly))
			}
			continue
		}
		if !ok || got.Format(time.DateOnly) != tt.want {
			t.Errorf("parseDate(%q) = %s, %v; want %s", tt.in, got.Format(time.DateOnly), ok, tt.want)
		}
	}
}

func TestParseClock(t *testing.T) {
	tests := []struct {
		in    string
		loose bool
		want  string
	}{
		{"в десять", false, "10:00"},
		{"в 14:00", false, "14:00"},
		{"14:30", false, "14:30"},
		{"на десять утра", false, "10:00"},
		{"в два часа дня", false, "14:00"},
		{"в 2 часа", false, "14:00"},
		{"в семь вечера", false, "19:00"},
		{"в восемь", false, "08:00"},
		{"завтра в 11", false, "11:00"},
		{"в десять тридцать", false, "10:30"},
		{"в пятнадцать ноль ноль", false, "15:00"},
		{"в девять ноль пять", false, "09:05"},
		{"в половине одиннадцатого", false, "10:30"},
		{"в полдень", false, "12:00"},
		{"в час дня", false, "13:00"},
		{"к 12", false, "12:00"},
		{"одиннадцать", true, "11:00"},
		{"давайте 12", true, "12:00"},
		{"одиннадцать", false, ""},
		{"28 ноября", false, ""},
		{"на 28 число", true, ""},
		{"в субботу", false, ""},
		{"шестнадцатый", true, ""},
		{"в 25", false, ""},
	}
	for _, tt := range tests {
		got, ok := parseClock(newUtterance(tt.in), tt.loose)
		if tt.want == "" {
			if ok {
				t.Errorf("parseClock(%q, %v) = %s, want none", tt.in, tt.loose, got)
			}
			continue
		}
		if !ok || got.String() != tt.want {
			t.Errorf("parseClock(%q, %v) = %s, %v; want %s", tt.in, tt.loose, got, ok, tt.want)
		}
	}
}
