package speechcodec

import "unicode/utf8"

// escape introduces a rune carried as its own UTF-8 bytes. 0x98 is the one
// code Windows-1251 leaves undefined, so it never stands for a character.
const escape = 0x98

// cp1251High maps the bytes 0x80..0xBF of Windows-1251 to runes (0x98,
// undefined there, is our escape). 0xC0..0xFF are А..я, U+0410..U+044F, and
// need no table. Never written.
var cp1251High = [64]rune{
	0x0402, 0x0403, 0x201A, 0x0453, 0x201E, 0x2026, 0x2020, 0x2021,
	0x20AC, 0x2030, 0x0409, 0x2039, 0x040A, 0x040C, 0x040B, 0x040F,
	0x0452, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	utf8.RuneError, 0x2122, 0x0459, 0x203A, 0x045A, 0x045C, 0x045B, 0x045F,
	0x00A0, 0x040E, 0x045E, 0x0408, 0x00A4, 0x0490, 0x00A6, 0x00A7,
	0x0401, 0x00A9, 0x0404, 0x00AB, 0x00AC, 0x00AD, 0x00AE, 0x0407,
	0x00B0, 0x00B1, 0x0406, 0x0456, 0x0491, 0x00B5, 0x00B6, 0x00B7,
	0x0451, 0x2116, 0x0454, 0x00BB, 0x0458, 0x0405, 0x0455, 0x0457,
}

// maxPayload is the longest byte form of a text of MaxText bytes: a two-byte
// UTF-8 rune outside Windows-1251 takes three bytes (escape and itself).
const maxPayload = MaxText * 3 / 2

// appendText appends the byte form of valid UTF-8 text s to dst: ASCII as
// is, Windows-1251 letters and signs as their one byte, anything else as the
// escape byte followed by the rune's UTF-8.
func appendText(dst []byte, s string) []byte {
	for _, r := range s {
		if b, ok := cp1251Byte(r); ok {
			dst = append(dst, b)
			continue
		}
		dst = append(dst, escape)
		dst = utf8.AppendRune(dst, r)
	}
	return dst
}

// textLen is len(appendText(nil, s)).
func textLen(s string) int {
	n := 0
	for _, r := range s {
		if _, ok := cp1251Byte(r); ok {
			n++
		} else {
			n += 1 + utf8.RuneLen(r)
		}
	}
	return n
}

func cp1251Byte(r rune) (byte, bool) {
	switch {
	case r < 0x80:
		return byte(r), true
	case r >= 0x0410 && r <= 0x044F:
		return byte(r - 0x0410 + 0xC0), true
	}
	for i, c := range cp1251High {
		if c == r && i != escape-0x80 {
			return byte(0x80 + i), true
		}
	}
	return 0, false
}

// appendDecodedText appends the UTF-8 text that byte form b stands for and
// reports whether b was a well-formed byte form (every escape followed by one
// valid rune that has no single-byte form of its own).
func appendDecodedText(dst []byte, b []byte) ([]byte, bool) {
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c < 0x80:
			dst = append(dst, c)
		case c >= 0xC0:
			dst = utf8.AppendRune(dst, rune(c-0xC0)+0x0410)
		case c != escape:
			dst = utf8.AppendRune(dst, cp1251High[c-0x80])
		default:
			r, n := utf8.DecodeRune(b[i+1:])
			if r == utf8.RuneError && n <= 1 {
				return dst, false
			}
			if _, ok := cp1251Byte(r); ok {
				return dst, false
			}
			dst = append(dst, b[i+1:i+1+n]...)
			i += n
		}
	}
	return dst, true
}
