package russian

import (
	"slices"
	"testing"
)

func TestFields(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"205/55R16", []string{"205", "55", "r", "16"}},
		{"Двести пять, ЁЛКИ!", []string{"двести", "пять", "елки"}},
		{"в 14:00", []string{"в", "14", "00"}},
		{"16-й", []string{"16", "й"}},
		{"  ", nil},
		{"a\xffb", []string{"a", "b"}},
	}
	for _, tt := range tests {
		if got := Fields(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("Fields(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseNumber(t *testing.T) {
	tests := []struct {
		in     string
		want   int
		wantOK bool
	}{
		{"205", 205, true},
		{"100012", 100012, true},
		{"5 400", 5400, true},
		{"12 500", 12500, true},
		{"ноль", 0, true},
		{"Двести пять", 205, true},
		{"двести пять.", 205, true},
		{"ПЯТЬДЕСЯТ ПЯТЬ", 55, true},
		{"шестнадцать", 16, true},
		{"сто тысяч один", 100001, true},
		{"сто тысяч двенадцать", 100012, true},
		{"двадцать одна", 21, true},
		{"двадцать один", 21, true},
		{"тысяча двести", 1200, true},
		{"две тысячи пятьсот", 2500, true},
		{"десяти тысяч", 10000, true},
		{"восьми тысяч", 8000, true},
		{"пятисот", 500, true},
		{"8 тысяч", 8000, true},
		{"10 тыс", 10000, true},
		{"5 тысяч 400", 5400, true},
		{"шестнадцатый", 16, true},
		{"семнадцатом", 17, true},
		{"семнадцатый", 17, true},
		{"пятнадцатого", 15, true},
		{"двадцать первого", 21, true},
		{"двадцать второй", 22, true},
		{"первая", 1, true},
		{"вторую", 2, true},
		{"третья", 3, true},
		{"третьем", 3, true},
		{"четвёртый", 4, true},
		{"16-й", 16, true},
		{"один миллион двести тысяч", 1200000, true},
		{"три миллиарда", 3000000000, true},
		{"999999999999", 999999999999, true},
		// Not one number.
		{"", 0, false},
		{"шины", 0, false},
		{"двести пять пятьдесят пять", 0, false},
		{"пять двести", 0, false},
		{"двадцать тридцать", 0, false},
		{"пятнадцать пять", 0, false},
		{"ноль пять", 0, false},
		{"пятница", 0, false},
		{"вторник", 0, false},
		{"четверг", 0, false},
		{"четверть", 0, false},
		{"сотня", 0, false},
		{"1000000000000", 0, false},
		{"205 55", 0, false},
		{"тысяча тысяч", 0, false},
		{"шестнадцатый радиус", 0, false},
	}
	for _, tt := range tests {
		got, ok := ParseNumber(tt.in)
		if ok != tt.wantOK || got != tt.want {
			t.Errorf("ParseNumber(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestScanNumberSplitsARun(t *testing.T) {
	tests := []struct {
		in   string
		want []int
	}{
		{"двести пять пятьдесят пять эр шестнадцать", []int{205, 55, -1, 16}},
		{"двести пять на пятьдесят пять радиус шестнадцать", []int{205, -1, 55, -1, 16}},
		{"205 55 16", []int{205, 55, 16}},
		{"сто девяносто пять шестьдесят пять пятнадцать", []int{195, 65, 15}},
		{"один ноль ноль ноль один два", []int{1, 0, 0, 0, 1, 2}},
		{"в десять тридцать", []int{-1, 10, 30}},
		{"до десяти тысяч рублей", []int{-1, 10000, -1}},
		{"99999999999999999999 тысяч", []int{-1, 1000}},
	}
	for _, tt := range tests {
		f := Fields(tt.in)
		var got []int
		for len(f) > 0 {
			n, ok := ScanNumber(f)
			if !ok {
				got = append(got, -1)
				f = f[1:]
				continue
			}
			got = append(got, n.Value)
			f = f[n.Words:]
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%q read as %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestScanNumberDetails(t *testing.T) {
	n, ok := ScanNumber(Fields("007 привет"))
	if !ok || n.Value != 7 || n.Digits != "007" || n.Words != 1 || n.Ordinal {
		t.Errorf("007: %+v %v", n, ok)
	}
	n, ok = ScanNumber(Fields("на шестнадцатый радиус")[1:])
	if !ok || n.Value != 16 || !n.Ordinal || n.Words != 1 {
		t.Errorf("шестнадцатый: %+v %v", n, ok)
	}
	n, ok = ScanNumber(Fields("5 тысяч"))
	if !ok || n.Value != 5000 || n.Digits != "" || n.Words != 2 {
		t.Errorf("5 тысяч: %+v %v", n, ok)
	}
}

func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"двести пять", "сто тысяч один", "5 400", "16-й", "999999999999 миллиардов", "тысяча миллион"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if v, ok := ParseNumber(s); ok && (v < 0 || v > maxNumber) {
			t.Errorf("ParseNumber(%q) = %d", s, v)
		}
		fields := Fields(s)
		for len(fields) > 0 {
			n, ok := ScanNumber(fields)
			if !ok {
				fields = fields[1:]
				continue
			}
			if n.Words < 1 || n.Words > len(fields) || n.Value < 0 || n.Value > maxNumber {
				t.Fatalf("ScanNumber(%q) = %+v", fields, n)
			}
			fields = fields[n.Words:]
		}
	})
}
