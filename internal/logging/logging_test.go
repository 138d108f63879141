package logging

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestMaskPhone(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"e164", "+79161234567", "+7********67"},
		{"national", "89161234567", "8********67"},
		{"formatted", "+7 (916) 123-45-67", "+7 (***) ***-**-67"},
		{"short extension", "1234", "****"},
		{"empty", "", ""},
		{"anonymous", "anonymous", "anonymous"},
		{"already masked", "+7********67", "+7********67"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MaskPhone(tt.in); got != tt.want {
				t.Errorf("MaskPhone(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestLoggerMasksPhoneAttributes(t *testing.T) {
	var buf bytes.Buffer
	log := New(&buf, "info")
	log.Info("call started", "caller", "+79161234567", "called", "+74951112233", "call_id", "abc")
	out := buf.String()
	for _, leaked := range []string{"9161234567", "4951112233"} {
		if strings.Contains(out, leaked) {
			t.Fatalf("log line leaks a number: %s", out)
		}
	}
	if !strings.Contains(out, `"call_id":"abc"`) {
		t.Fatalf("log line lost an ordinary attribute: %s", out)
	}
}

func TestMaskNumbers(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"dictated", "Хочу узнать статус заказа, мой телефон 8 916 123 45 67.", "Хочу узнать статус заказа, мой телефон 8 *** *** ** 67."},
		{"e164 in text", "номер +79161234567, спасибо", "номер +7********67, спасибо"},
		{"brackets and dashes", "+7 (916) 123-45-67", "+7 (***) ***-**-67"},
		{"url-encoded in an error", `Get "http://store/api/v1/orders?phone=%2B79161234567": refused`, `Get "http://store/api/v1/orders?phone=%2B7********67": refused`},
		{"two numbers", "89031234567 или 84951112233", "8********67 или 8********33"},
		{"ten digits", "9161234567", "9*******67"},
		{"nine digits stay", "заказ 123456789", "заказ 123456789"},
		{"tire size", "шины 205/55 R16 94T, 4 штуки по 9990", "шины 205/55 R16 94T, 4 штуки по 9990"},
		{"address", "dial tcp 192.168.100.200:5432", "dial tcp 192.168.100.200:5432"},
		{"uuid", "call 12345678-1234-4234-8234-123456789012 ended", "call 12345678-1234-4234-8234-123456789012 ended"},
		{"uuid then number", "12345678-1234-4234-8234-123456789012 89161234567", "12345678-1234-4234-8234-123456789012 8********67"},
		{"number then uuid", "89161234567 12345678-1234-4234-8234-123456789012", "8********67 12345678-1234-4234-8234-123456789012"},
		{"wide gap splits", "8916     1234567", "8916     1234567"},
		{"cyrillic does not make a name", "телефон89161234567", "телефон8********67"},
		{"part of a name", "/tmp/TestFixtures1234567875/001/data.json", "/tmp/TestFixtures1234567875/001/data.json"},
		{"hex digest", "sha 9f1234567890ab", "sha 9f1234567890ab"},
		{"lower-case encoded plus", "phone=%2b79161234567", "phone=%2b7********67"},
		{"sequence number", "00000000000000000042-12345678-1234-4234-8234-123456789012.json", "00000000000000000042-12345678-1234-4234-8234-123456789012.json"},
		{"nanoseconds", "took 1733112345678901234", "took 1733112345678901234"},
		{"two dictated numbers in a row", "8 916 123 45 67 8 903 555 12 34", "8 *** *** ** ** * *** *** ** 34"},
		{"already masked", "+7********67", "+7********67"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MaskNumbers(tt.in); got != tt.want {
				t.Errorf("MaskNumbers(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestLoggerMasksNumbersInText: a transcript, an error and the message
// itself are masked at every level, debug included.
func TestLoggerMasksNumbersInText(t *testing.T) {
	var buf bytes.Buffer
	log := New(&buf, "debug")
	log.Debug("caller said", "turn", 2, "text", "мой телефон 8 916 123 45 67")
	log.Warn("store failed", "err", errors.New(`Get "http://s/orders?phone=%2B79031234567": EOF`))
	log.Info("booked for +7 (903) 555-12-34", "call_id", "12345678-1234-4234-8234-123456789012")
	out := buf.String()
	for _, leaked := range []string{"916 123 45", "9031234567", "555-12"} {
		if strings.Contains(out, leaked) {
			t.Errorf("log leaks %q:\n%s", leaked, out)
		}
	}
	for _, kept := range []string{`"turn":2`, `8 *** *** ** 67`, `"call_id":"12345678-1234-4234-8234-123456789012"`, `"msg":"booked for +7 (***) ***-**-34"`} {
		if !strings.Contains(out, kept) {
			t.Errorf("log lacks %s:\n%s", kept, out)
		}
	}
}

// BenchmarkMaskNumbers: the price of masking on an ordinary value (no
// number) and on a transcript with one.
func BenchmarkMaskNumbers(b *testing.B) {
	for _, s := range []string{"audiosocket: call started", "Хочу узнать статус заказа, мой телефон 8 916 123 45 67."} {
		b.Run(fmt.Sprintf("%d_bytes", len(s)), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				MaskNumbers(s)
			}
		})
	}
}
