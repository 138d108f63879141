// Package logging builds the service's structured JSON logger and keeps
// personal data out of it: phone numbers are masked wherever they appear,
// in an attribute that holds one and inside any text (a transcript of a
// caller dictating a number, an error that quotes a request).
package logging

import (
	"io"
	"log/slog"
	"regexp"
	"strings"
)

// phoneKeys are attribute keys whose values are phone numbers; they are
// masked whole, however short (an extension is personal data too).
var phoneKeys = map[string]bool{"caller": true, "called": true, "phone": true, "number": true}

// New returns a JSON logger at level ("debug", "info", "warn", "error") that
// masks phone numbers: the values of phoneKeys whole, and every phone-like
// run of digits (MaskNumbers) in the message, string values and errors.
func New(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l, ReplaceAttr: replaceAttr}))
}

// replaceAttr masks numbers in a. It runs for every attribute of every
// record (never on the audio path: nothing logs per frame), so the common
// case, a value with few digits, costs one pass over the string and no
// allocation.
func replaceAttr(_ []string, a slog.Attr) slog.Attr {
	switch a.Value.Kind() {
	case slog.KindString:
		s := a.Value.String()
		if phoneKeys[a.Key] {
			return slog.String(a.Key, MaskPhone(s))
		}
		if m := MaskNumbers(s); m != s {
			return slog.String(a.Key, m)
		}
	case slog.KindAny:
		// An error is written as its text, which may quote a number (a
		// request URL with ?phone=...).
		if err, ok := a.Value.Any().(error); ok && err != nil {
			s := err.Error()
			if m := MaskNumbers(s); m != s {
				return slog.String(a.Key, m)
			}
		}
	}
	return a
}

// MaskPhone keeps the country prefix and the last two digits of a number and
// hides the rest: "+79161234567" -> "+7********67". Short values are hidden
// whole; an empty value stays empty, and a masked one stays as it is, so
// that masking twice (by a caller and by the logger) is harmless.
func MaskPhone(s string) string {
	if strings.Contains(s, "*") {
		return s // already masked: masking it again would hide the digits it keeps
	}
	digits := countDigits(s)
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

// PhoneDigits is the fewest digits a phone-like run has: a Russian number
// without its country prefix ("916 123 45 67") has ten.
const PhoneDigits = 10

// maxGap is the most separator characters between two digits of one
// number: ") " and " (" in "+7 (916) 123-45-67" are two.
const maxGap = 3

// uuidRE is a UUID (a call ID): its digits are not a phone number.
var uuidRE = regexp.MustCompile(`(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// MaskNumbers masks, with MaskPhone, every phone-like run in s: at least
// PhoneDigits digits, optionally after a "+", that only whitespace,
// dashes and brackets separate, at most maxGap of them between two digits
// ("8 916 123 45 67", "+7 (916) 123-45-67", "89161234567",
// "...?phone=%2B79161234567"). A string with fewer than PhoneDigits digits
// is returned as it is, without allocating.
//
// What is not a phone number stays readable: UUIDs; digits run into a
// Latin letter or "_" on either side, which are part of a name
// ("TestX1234567890", a hex digest); a bare run of more than
// maxPhoneDigits digits (a sequence number, nanoseconds); and whatever
// dots and slashes separate (addresses "192.168.100.200", tire sizes
// "205/55 R16").
func MaskNumbers(s string) string {
	if countDigits(s) < PhoneDigits {
		return s
	}
	var keep [][]int // UUID spans
	if strings.Count(s, "-") >= 4 {
		keep = uuidRE.FindAllStringIndex(s, -1)
	}
	var b strings.Builder
	done := 0 // s[:done] is in b
	for i := 0; i < len(s); {
		if len(keep) > 0 && i >= keep[0][0] {
			i = keep[0][1]
			keep = keep[1:]
			continue
		}
		if !isDigit(s[i]) {
			i++
			continue
		}
		start, end, digits := i, i+1, 1
		if start > 0 && s[start-1] == '+' {
			start--
		}
		// Extend over separators while a digit follows within maxGap,
		// stopping at a UUID.
		limit := len(s)
		if len(keep) > 0 {
			limit = keep[0][0]
		}
		for j := end; j < limit; {
			k := j
			for k < limit && k-j < maxGap && isSeparator(s[k]) {
				k++
			}
			if k >= limit || !isDigit(s[k]) {
				break
			}
			digits++
			end, j = k+1, k+1
		}
		if digits >= PhoneDigits && !inName(s, start, end) && !(digits > maxPhoneDigits && end-start == digits) {
			b.WriteString(s[done:start])
			b.WriteString(MaskPhone(s[start:end]))
			done = end
		}
		i = end
	}
	if done == 0 {
		return s
	}
	b.WriteString(s[done:])
	return b.String()
}

// maxPhoneDigits is the most digits an E.164 number has.
const maxPhoneDigits = 15

// inName reports whether the run s[start:end] is part of a name: a Latin
// letter or "_" touches it. The "B" of a URL-encoded plus ("%2B") does not
// count: what follows it is a number in a query.
func inName(s string, start, end int) bool {
	if start > 0 && isNameByte(s[start-1]) && !hasSuffixFold(s[:start], "%2b") {
		return true
	}
	return end < len(s) && isNameByte(s[end])
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
}

func countDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			n++
		}
	}
	return n
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isSeparator(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '-', '(', ')':
		return true
	}
	return false
}
