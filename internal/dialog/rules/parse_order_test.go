package rules

import "testing"

func TestParseOrderID(t *testing.T) {
	tests := []struct {
		in        string
		expecting bool
		want      string
	}{
		{"заказ 100012", false, "100012"},
		{"Где мой заказ №100012?", false, "100012"},
		{"номер сто тысяч двенадцать", false, "100012"},
		{"номер заказа сто тысяч двенадцать", false, "100012"},
		{"статус заказа один ноль ноль ноль один два", false, "100012"},
		{"заказ 100 012", false, "100012"},
		{"сто тысяч двенадцать", true, "100012"},
		{"100012", true, "100012"},
		{"мой номер 100012", false, "100012"},
		{"100012", false, ""},
		{"заказ 12", false, ""},
		{"заказ 89161234567", false, ""},
		{"хочу заказать шины", false, ""},
	}
	for _, tt := range tests {
		if got := parseOrderID(newUtterance(tt.in), tt.expecting); got != tt.want {
			t.Errorf("parseOrderID(%q, %v) = %q, want %q", tt.in, tt.expecting, got, tt.want)
		}
	}
}

func TestParsePhone(t *testing.T) {
	tests := []struct{ in, want string }{
		{"8 916 555 44 33", "+79165554433"},
		{"+7 (916) 555-44-33", "+79165554433"},
		{"89165554433", "+79165554433"},
		{"9165554433", "+79165554433"},
		{"восемь девятьсот шестнадцать пятьсот пятьдесят пять сорок четыре тридцать три", "+79165554433"},
		{"100012", ""},
		{"пять пять пять", ""},
	}
	for _, tt := range tests {
		if got := parsePhone(newUtterance(tt.in)); got != tt.want {
			t.Errorf("parsePhone(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestByCallerPhone(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"по моему номеру", true}, {"по телефону", true}, {"по номеру телефона", true}, {"посмотрите по этому номеру", true},
		{"с которого звоню", true}, {"заказ 100012", false}, {"не помню", false},
	}
	for _, tt := range tests {
		if got := byCallerPhone(newUtterance(tt.in)); got != tt.want {
			t.Errorf("byCallerPhone(%q) = %v", tt.in, got)
		}
	}
}
