package store

import (
	"errors"
	"testing"
)

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"E.164", "+79161234567", "+79161234567"},
		{"trunk 8", "89161234567", "+79161234567"},
		{"country code without plus", "79161234567", "+79161234567"},
		{"ten digits", "9161234567", "+79161234567"},
		{"formatted", "+7 (916) 123-45-67", "+79161234567"},
		{"formatted with 8", "8 916 123 45 67", "+79161234567"},
		{"dots and spaces around", " 8.916.123.45.67 ", "+79161234567"},
		{"Moscow landline", "8 (495) 123-45-01", "+74951234501"},
		{"other country", "+375 29 123-45-67", "+375291234567"},
		{"bad: letters", "8916abc4567", ""},
		{"bad: short", "12345", ""},
		{"bad: +7 with 9 digits", "+7916123456", ""},
		{"bad: ten digits not mobile", "4951234501", ""},
		{"bad: empty", "", ""},
		{"bad: plus only", "+", ""},
		{"bad: 16 digits", "+1234567890123456", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizePhone(tt.in)
			if tt.want == "" {
				if !errors.Is(err, ErrInvalid) {
					t.Errorf("NormalizePhone(%q) = %q, %v; want ErrInvalid", tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("NormalizePhone(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}
