// Package sentences cuts a streamed Russian reply into pieces that can be
// spoken one by one: whole sentences, or long clauses of a long sentence,
// so that speech synthesis starts while the language model still writes.
//
// The cut points depend only on the text, never on how it was chunked:
// writing a reply delta by delta gives the same pieces as writing it at
// once. A piece is emitted as soon as the text seen so far decides it,
// which is usually the space after its last character. Each rune is
// scanned about once, however small the deltas.
//
// A sentence ends at . ! ? or … (a run of them, then any closing quotes or
// brackets) followed by white space or the end of the reply, except:
//   - after a Russian abbreviation, in any case, joined or spaced ("т.е.",
//     "т. е."): see the abbreviations table. Of these, т.д., т.п., др., руб.
//     and коп. still end a sentence when the next word starts with a capital
//     letter ("шины, диски и т.д. Что ещё?"), which takes one more word of
//     look-ahead;
//   - after an initial ("А. С. Пушкин");
//   - inside numbers ("5.5", "3.000", "10.30"), which have no space after
//     the dot anyway.
//
// A sentence longer than the clause limit is cut after the last comma,
// semicolon, colon or dash (followed by a space) within the limit; when
// there is none, after the first one past it. Numbers such as "2,5" or
// "10:30" are never cut, nor is a word (a hyphen inside a word is not a
// dash). Pieces are trimmed of surrounding white space and never empty.
package sentences

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Splitter cuts one stream of text. It is not safe for concurrent use.
type Splitter struct {
	maxClause int
	buf       []rune // text not yet emitted; buf[0] is the start of the next piece
	partial   []byte // an incomplete UTF-8 sequence at the end of the last delta

	// Where the scan of buf stopped for want of text, so that each rune is
	// looked at about once however small the deltas: pos is the index to
	// resume at, lastClause the end of the last clause cut found before it.
	pos, lastClause int
}

// New returns a Splitter that cuts sentences longer than maxClause runes at
// clause boundaries (120 suits a telephone voice); maxClause <= 0 cuts
// whole sentences only.
func New(maxClause int) *Splitter {
	return &Splitter{maxClause: maxClause}
}

// Write adds the next delta of the text and returns the pieces that it
// completes, in order (often none). A delta may end inside a UTF-8
// sequence; invalid bytes become U+FFFD, as in []rune(text).
func (s *Splitter) Write(delta string) []string {
	s.decode(delta, false)
	return s.drain(false)
}

// Flush ends the text and returns what is left of it as one piece,
// trimmed; "" when nothing is left. The Splitter is then empty and may be
// used for a new text.
func (s *Splitter) Flush() string {
	s.decode("", true)
	pieces := s.drain(true)
	s.buf = s.buf[:0]
	s.pos, s.lastClause = 0, 0
	return strings.Join(pieces, " ")
}

// decode appends the runes of delta to buf, keeping an incomplete UTF-8
// sequence at its end for the next delta unless final.
func (s *Splitter) decode(delta string, final bool) {
	b := append(s.partial, delta...)
	for len(b) > 0 {
		if !final && !utf8.FullRune(b) {
			break
		}
		c, size := utf8.DecodeRune(b)
		s.buf = append(s.buf, c)
		b = b[size:]
	}
	s.partial = append(s.partial[:0], b...)
}

// drain emits every piece that the buffer decides. The buffer never
// starts with white space, so the clause limit counts the piece's own runes.
func (s *Splitter) drain(final bool) []string {
	var out []string
	s.trimLeft(0)
	for len(s.buf) > 0 {
		end, ok := s.next(final)
		if !ok {
			break
		}
		if p := strings.TrimSpace(string(s.buf[:end])); p != "" {
			out = append(out, p)
		}
		s.pos, s.lastClause = 0, 0
		s.trimLeft(end)
	}
	return out
}

// trimLeft drops the first n runes of buf and the white space after them.
func (s *Splitter) trimLeft(n int) {
	for n < len(s.buf) && unicode.IsSpace(s.buf[n]) {
		n++
	}
	if n == 0 {
		return
	}
	s.buf = append(s.buf[:0], s.buf[n:]...)
	// Only white space was scanned past, if anything: no cut was found in it.
	s.pos = max(s.pos-n, 0)
}

// decision is what a candidate cut point turns out to be.
type decision int

const (
	no      decision = iota // not a cut point
	yes                     // a cut point
	unknown                 // decided by text not seen yet
)

// next returns the end (exclusive) of the piece that starts at buf[0], or
// ok == false when the text seen so far does not decide it. With final
// the text is complete.
func (s *Splitter) next(final bool) (end int, ok bool) {
	r := s.buf
	n := len(r)
	i := s.pos
	for ; i < n; i++ {
		if s.maxClause > 0 && i >= s.maxClause && s.lastClause > 0 {
			return s.lastClause, true
		}
		switch {
		case isTerminal(r[i]):
			e, d := sentenceEnd(r, i, final)
			switch d {
			case unknown:
				s.pos = i
				return 0, false
			case yes:
				if s.maxClause > 0 && e > s.maxClause && s.lastClause > 0 {
					return s.lastClause, true
				}
				return e, true
			}
			i = e - 1
		case isClauseMark(r, i):
			e := i + 1
			if e == n {
				if !final {
					s.pos = i
					return 0, false
				}
				continue // the end of the text ends the piece below
			}
			if !unicode.IsSpace(r[e]) {
				continue // "2,5", "10:30"
			}
			if s.maxClause <= 0 {
				continue
			}
			if e <= s.maxClause {
				s.lastClause = e
				continue
			}
			return e, true // no cut within the limit: the first one past it
		}
	}
	if final {
		return n, true
	}
	s.pos = i
	return 0, false
}

// sentenceEnd looks at the terminal punctuation at r[i] and returns the end
// of its run (with closing quotes and brackets) and whether a sentence ends
// there.
func sentenceEnd(r []rune, i int, final bool) (int, decision) {
	n := len(r)
	e := i
	onlyDots := true
	for e < n && isTerminal(r[e]) {
		if r[e] != '.' {
			onlyDots = false
		}
		e++
	}
	dots := e - i
	for e < n && isCloser(r[e]) {
		e++
	}
	if e == n {
		if final {
			return e, yes
		}
		return e, unknown
	}
	if !unicode.IsSpace(r[e]) {
		return e, no // "5.5", "т.е", "...!" inside a token
	}
	if !onlyDots || dots > 1 {
		return e, yes // ! ? … and "..." are never abbreviations
	}
	switch abbreviationBefore(r, i) {
	case hard:
		return e, no
	case soft:
		m := e
		for m < n && unicode.IsSpace(r[m]) {
			m++
		}
		if m == n {
			if final {
				return e, yes
			}
			return e, unknown
		}
		if unicode.IsUpper(r[m]) {
			return e, yes
		}
		return e, no
	}
	return e, yes
}

type abbrevKind int

const (
	none abbrevKind = iota
	hard            // never ends a sentence
	soft            // ends a sentence before a capital letter
)

// abbreviations, lower case, with their dots. "т." is there for the
// spaced forms "т. е.", "т. д.".
var abbreviations = map[string]abbrevKind{
	"т.е.": hard, "т.к.": hard, "т.д.": soft, "т.п.": soft, "др.": soft,
	"г.": hard, "гг.": hard, "ул.": hard, "д.": hard, "кв.": hard,
	"руб.": soft, "коп.": soft, "тыс.": hard, "млн.": hard, "см.": hard,
	"мм.": hard, "кг.": hard, "мин.": hard, "сек.": hard, "ч.": hard,
	"им.": hard, "проф.": hard, "рис.": hard, "напр.": hard, "пр.": hard,
	"т.": hard, "млрд.": hard, "стр.": hard, "тел.": hard, "пос.": hard,
}

// abbreviationBefore classifies the token that ends with the dot at r[i].
func abbreviationBefore(r []rune, i int) abbrevKind {
	tok, start := tokenBefore(r, i)
	if tok == "" {
		return none
	}
	if isInitials(tok) {
		return hard
	}
	low := strings.ToLower(tok)
	// "т. д.", "т. е.": the spaced forms of the two-letter abbreviations.
	j := start - 1
	for j >= 0 && unicode.IsSpace(r[j]) {
		j--
	}
	if prev, _ := tokenBefore(r, j); strings.ToLower(prev) == "т." {
		if k, ok := abbreviations["т."+low]; ok {
			return k
		}
	}
	return abbreviations[low]
}

// tokenBefore returns the token that ends at r[i] (inclusive), without
// opening quotes or brackets, and the index where the token starts.
func tokenBefore(r []rune, i int) (string, int) {
	if i < 0 || i >= len(r) {
		return "", 0
	}
	k := i
	for k > 0 && !unicode.IsSpace(r[k-1]) {
		k--
	}
	start := k
	for k <= i && isOpener(r[k]) {
		k++
	}
	return string(r[k : i+1]), start
}

// isInitials reports a token such as "А." or "А.С.": capital letters, each
// followed by a dot.
func isInitials(tok string) bool {
	rs := []rune(tok)
	if len(rs) < 2 || len(rs)%2 != 0 {
		return false
	}
	for j := 0; j < len(rs); j += 2 {
		if !unicode.IsUpper(rs[j]) || rs[j+1] != '.' {
			return false
		}
	}
	return true
}

func isTerminal(c rune) bool {
	return c == '.' || c == '!' || c == '?' || c == '…'
}

func isCloser(c rune) bool {
	switch c {
	case '»', '"', '”', '’', '\'', ')', ']', '}':
		return true
	}
	return false
}

func isOpener(c rune) bool {
	switch c {
	case '«', '"', '“', '„', '‘', '\'', '(', '[', '{':
		return true
	}
	return false
}

// isClauseMark reports a comma, semicolon or colon at r[i], or a dash that
// stands between spaces ("шины есть — летние"), not a hyphen in a word or
// a range ("из-за", "5-7").
func isClauseMark(r []rune, i int) bool {
	switch r[i] {
	case ',', ';', ':':
		return true
	case '—', '–', '-':
		return i > 0 && unicode.IsSpace(r[i-1])
	}
	return false
}
