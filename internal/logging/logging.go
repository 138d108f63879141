// Package logging builds the service's structured JSON logger and keeps
// personal data out of it: phone numbers are masked wherever they appear in
// an attribute that holds one.
package logging

import (
	"io"
	"log/slog"
	"strings"
)

// phoneKeys are attribute keys whose values are phone numbers.
var phoneKeys = map[string]bool{"caller": true, "called": true, "phone": true, "number": true}

// New returns a JSON logger at level ("debug", "info", "warn", "error") that
// masks phone numbers.
func New(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{
		Level: l,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if phoneKeys[a.Key] && a.Value.Kind() == slog.KindString {
				return slog.String(a.Key, MaskPhone(a.Value.String()))
			}
			return a
		},
	}))
}

// MaskPhone keeps the country prefix and the last two digits of a number and
// hides the rest: "+79161234567" -> "+7********67". Short values are hidden
// whole; an empty value stays empty, and a masked one stays as it is, so
// that masking twice (by a caller and by the logger) is harmless.
func MaskPhone(s string) string {
	if strings.Contains(s, "*") {
		return s // already masked: masking it again would hide the digits it keeps
	}
	digits := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			digits++
		}
	}
	if digits == 0 {
		return s
	}
	if digits < 6 {
		return strings.Repeat("*", len(s))
	}
	var b strings.Builder
	seen := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			b.WriteRune(r)
			continue
		}
		seen++
		if seen == 1 || seen > digits-2 {
			b.WriteRune(r)
		} else {
			b.WriteByte('*')
		}
	}
	return b.String()
}
