package logging

import (
	"bytes"
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
