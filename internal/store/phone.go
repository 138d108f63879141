package store

import (
	"fmt"
	"strings"
)

// NormalizePhone returns s as E.164. It accepts the forms callers and
// operators write: "+7 (916) 123-45-67", "8 916 123 45 67", "79161234567",
// "9161234567" (a Russian mobile number without the trunk prefix), and any
// other "+" number of 8 to 15 digits. Spaces, dashes, dots and brackets are
// ignored. The error wraps ErrInvalid.
func NormalizePhone(s string) (string, error) {
	s = strings.TrimSpace(s)
	plus := strings.HasPrefix(s, "+")
	if plus {
		s = s[1:]
	}
	var digits strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits.WriteRune(r)
		case r == ' ' || r == '-' || r == '(' || r == ')' || r == '.' || r == '\u00a0':
		default:
			return "", fmt.Errorf("%w: phone %q has a character %q", ErrInvalid, s, r)
		}
	}
	d := digits.String()
	switch {
	case plus && len(d) >= 8 && len(d) <= 15 && d[0] != '0':
		if d[0] == '7' && len(d) != 11 {
			break
		}
		return "+" + d, nil
	case !plus && len(d) == 11 && (d[0] == '8' || d[0] == '7'):
		return "+7" + d[1:], nil
	case !plus && len(d) == 10 && d[0] == '9':
		return "+7" + d, nil
	}
	return "", fmt.Errorf("%w: %q is not a phone number (want +79161234567 or 89161234567)", ErrInvalid, s)
}
