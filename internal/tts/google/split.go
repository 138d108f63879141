package google

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// split cuts text into pieces of at most limit bytes (limit at least
// utf8.UTFMax), trimmed of surrounding space, with no empty piece. Each cut
// is the last sentence end (.!?… followed by a space) that fits; failing
// that the last clause end (,;:— followed by a space), then the last space,
// then the last character boundary.
func split(text string, limit int) []string {
	var out []string
	for {
		text = strings.TrimSpace(text)
		if len(text) <= limit {
			if text != "" {
				out = append(out, text)
			}
			return out
		}
		n := cut(text, limit)
		out = append(out, strings.TrimSpace(text[:n]))
		text = text[n:]
	}
}

// cut is where to end the first piece of s, 0 < cut <= limit < len(s).
func cut(s string, limit int) int {
	sentence, clause, space := 0, 0, 0
	for i, r := range s {
		size := utf8.RuneLen(r)
		if size < 0 {
			size = 1 // utf8.RuneError from invalid input
		}
		end := i + size
		if unicode.IsSpace(r) {
			if i <= limit && i > 0 {
				space = i
			}
			continue
		}
		if end > limit {
			break
		}
		// A mark counts only when a space (or the end) follows it.
		next, _ := utf8.DecodeRuneInString(s[end:])
		if end < len(s) && !unicode.IsSpace(next) {
			continue
		}
		switch r {
		case '.', '!', '?', '…':
			sentence = end
		case ',', ';', ':', '—', '–':
			clause = end
		}
	}
	for _, c := range []int{sentence, clause, space} {
		if c > 0 {
			return c
		}
	}
	n := limit
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	if n == 0 {
		n = limit // not UTF-8 at all; Synthesize never passes that
	}
	return n
}
