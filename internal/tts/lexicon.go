package tts

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tirevoice/assistant/internal/audio"
)

// Lexicon is a pronunciation lexicon: the Cyrillic readings of the Latin
// words a Russian voice would read letter by letter or in English (tire
// brands and models, abbreviations). Apply rewrites a text with it before
// synthesis. A Lexicon is read-only once made and safe for concurrent use.
type Lexicon struct {
	words map[string]string // lower-case Latin word -> reading
}

// NewLexicon returns a lexicon of readings, keyed by Latin words in any
// case ("Michelin": "Мишлен"). A key may join words with "*", "/" or
// "-" as catalogues write them ("i*cept", "a/t").
func NewLexicon(readings map[string]string) *Lexicon {
	l := &Lexicon{words: make(map[string]string, len(readings))}
	for k, v := range readings {
		l.words[strings.ToLower(k)] = v
	}
	return l
}

// Reading is the lexicon's own reading of word (in any case), without the
// rules Apply falls back on.
func (l *Lexicon) Reading(word string) (string, bool) {
	r, ok := l.words[strings.ToLower(word)]
	return r, ok
}

// Apply returns text with every Latin word replaced by its reading. A word
// is a run of Latin letters and digits, possibly joined by "*", "/" or "-"
// ("Nord*Frost", "X-Ice", "A/T"). It is looked up whole, then part by
// part: at the joiners, between letters and digits ("H750", "iG65") and
// at the humps of camel case ("EcoContact", "iceGuard"). A part the
// lexicon does not know is spelled out letter by letter when it is a code
// (up to three letters, or capitals only, or letters run into digits:
// "GT", "SX3", "W429"); any other unknown word is left as it is, for the
// voice to read as it can. Digits stay digits, which a voice reads well.
// Cyrillic text and punctuation pass unchanged.
func (l *Lexicon) Apply(text string) string {
	if !hasLatin(text) {
		return text
	}
	var b strings.Builder
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRuneInString(text[i:])
		if !isLatin(r) && !isDigit(r) {
			b.WriteString(text[i : i+n])
			i += n
			continue
		}
		j := wordEnd(text, i)
		w := text[i:j]
		if hasLatin(w) {
			b.WriteString(l.word(w))
		} else {
			b.WriteString(w)
		}
		i = j
	}
	return b.String()
}

// wordEnd is the end of the word that starts at i: letters and digits,
// and a joiner between two of them.
func wordEnd(s string, i int) int {
	j := i
	for j < len(s) {
		r, n := utf8.DecodeRuneInString(s[j:])
		switch {
		case isLatin(r) || isDigit(r):
			j += n
		case (r == '*' || r == '/' || r == '-') && j+n < len(s):
			next, _ := utf8.DecodeRuneInString(s[j+n:])
			if !isLatin(next) && !isDigit(next) {
				return j
			}
			j += n
		default:
			return j
		}
	}
	return j
}

// word reads one word: whole, or part by part between its joiners. "-"
// stays between the parts' readings (a voice pauses briefly at it); "*"
// and "/" are typography.
func (l *Lexicon) word(w string) string {
	if r, ok := l.Reading(w); ok {
		return r
	}
	var b strings.Builder
	start := 0
	for i := 0; i <= len(w); i++ {
		if i < len(w) && w[i] != '*' && w[i] != '/' && w[i] != '-' {
			continue
		}
		b.WriteString(l.part(w[start:i]))
		switch {
		case i == len(w):
		case w[i] == '-':
			b.WriteByte('-')
		default:
			b.WriteByte(' ')
		}
		start = i + 1
	}
	return b.String()
}

// part reads a word with no joiner: whole, or as its runs of letters and
// digits, each run of letters whole or by its camel-case humps.
func (l *Lexicon) part(p string) string {
	if r, ok := l.Reading(p); ok {
		return r
	}
	runs := splitRuns(p)
	code := len(runs) > 1 // letters run into digits: a code
	var out []string
	for _, run := range runs {
		if isDigit(firstRune(run)) {
			out = append(out, run)
			continue
		}
		out = append(out, l.letters(run, code))
	}
	return strings.Join(out, " ")
}

// letters reads a run of Latin letters.
func (l *Lexicon) letters(run string, code bool) string {
	if r, ok := l.Reading(run); ok {
		return r
	}
	humps := camelHumps(run)
	if len(humps) > 1 {
		readings := make([]string, 0, len(humps))
		for _, h := range humps {
			r, ok := l.Reading(h)
			if !ok {
				readings = nil
				break
			}
			readings = append(readings, r)
		}
		if readings != nil {
			return strings.Join(readings, " ")
		}
	}
	if code || len(run) <= 3 || run == strings.ToUpper(run) && len(run) <= 5 {
		return spell(run)
	}
	return run
}

// letterNames are the Latin letters as a Russian speaker names them in
// codes ("GT" is "джи-ти", "RS" is "эр-эс", "W" is "дабл-ю").
var letterNames = map[rune]string{
	'a': "а", 'b': "би", 'c': "си", 'd': "ди", 'e': "е", 'f': "эф", 'g': "джи", 'h': "аш", 'i': "ай",
	'j': "джей", 'k': "кей", 'l': "эль", 'm': "эм", 'n': "эн", 'o': "о", 'p': "пи", 'q': "кью", 'r': "эр",
	's': "эс", 't': "ти", 'u': "ю", 'v': "ви", 'w': "дабл-ю", 'x': "икс", 'y': "уай", 'z': "зет",
}

// spell names the letters of a code: "GT" -> "джи-ти".
func spell(run string) string {
	names := make([]string, 0, len(run))
	for _, r := range strings.ToLower(run) {
		names = append(names, letterNames[r])
	}
	return strings.Join(names, "-")
}

// splitRuns cuts a word into runs of letters and runs of digits: "iG65"
// -> "iG", "65"; "4S2" -> "4", "S", "2".
func splitRuns(p string) []string {
	var runs []string
	start := 0
	for i, r := range p {
		if i > start && isDigit(r) != isDigit(firstRune(p[start:])) {
			runs = append(runs, p[start:i])
			start = i
		}
	}
	return append(runs, p[start:])
}

// camelHumps cuts a run of letters where a capital follows a small
// letter: "EcoContact" -> "Eco", "Contact"; "iceGuard" -> "ice", "Guard".
func camelHumps(run string) []string {
	var humps []string
	start := 0
	prevLower := false
	for i, r := range run {
		if unicode.IsUpper(r) && prevLower {
			humps = append(humps, run[start:i])
			start = i
		}
		prevLower = unicode.IsLower(r)
	}
	return append(humps, run[start:])
}

func isLatin(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }
func isDigit(r rune) bool { return r >= '0' && r <= '9' }

func hasLatin(s string) bool {
	for _, r := range s {
		if isLatin(r) {
			return true
		}
	}
	return false
}

func firstRune(s string) rune {
	r, _ := utf8.DecodeRuneInString(s)
	return r
}

// Pronounced is a Synthesizer that passes every text through a Lexicon
// before the Synthesizer it wraps: whichever responder wrote the text, a
// brand is read as the shop says it. It keeps the wrapped provider's
// name and rate.
type Pronounced struct {
	s   Synthesizer
	lex *Lexicon
}

var _ Synthesizer = (*Pronounced)(nil)

// Pronounce wraps s so that it speaks every text with lex's readings.
func Pronounce(s Synthesizer, lex *Lexicon) *Pronounced { return &Pronounced{s: s, lex: lex} }

// Synthesize implements Synthesizer.
func (p *Pronounced) Synthesize(ctx context.Context, text string) (audio.PCM16, error) {
	return p.s.Synthesize(ctx, p.lex.Apply(text))
}

// Rate implements Synthesizer.
func (p *Pronounced) Rate() audio.Rate { return p.s.Rate() }

// Name implements Synthesizer: the wrapped provider's name, for the
// metrics and the call records.
func (p *Pronounced) Name() string { return p.s.Name() }

// String describes the chain, for logs.
func (p *Pronounced) String() string { return "lexicon -> " + p.s.Name() }
