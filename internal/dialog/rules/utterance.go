package rules

import (
	"strings"
	"unicode/utf8"

	"github.com/tirevoice/assistant/internal/russian"
)

// utterance is one caller turn prepared for the parsers: the recogniser's
// text as russian.Fields reads it (lower case, "ё" as "е", letters and
// digits only), so punctuation and case never matter.
type utterance struct {
	raw string
	f   []string
}

func newUtterance(text string) utterance {
	return utterance{raw: text, f: russian.Fields(text)}
}

// has reports whether any field is one of words.
func (u utterance) has(words ...string) bool {
	for _, f := range u.f {
		for _, w := range words {
			if f == w {
				return true
			}
		}
	}
	return false
}

// hasPrefix reports whether any field starts with one of stems.
func (u utterance) hasPrefix(stems ...string) bool {
	return u.indexPrefix(stems...) >= 0
}

// indexPrefix is the index of the first field starting with one of stems,
// or -1.
func (u utterance) indexPrefix(stems ...string) int {
	for i, f := range u.f {
		for _, s := range stems {
			if strings.HasPrefix(f, s) {
				return i
			}
		}
	}
	return -1
}

// hasPhrase reports whether one of phrases (space-separated words, already
// folded) occurs as consecutive fields.
func (u utterance) hasPhrase(phrases ...string) bool {
	for _, p := range phrases {
		if indexSeq(u.f, strings.Fields(p)) >= 0 {
			return true
		}
	}
	return false
}

func indexSeq(f, seq []string) int {
	if len(seq) == 0 {
		return -1
	}
outer:
	for i := 0; i+len(seq) <= len(f); i++ {
		for j, w := range seq {
			if f[i+j] != w {
				continue outer
			}
		}
		return i
	}
	return -1
}

// only reports whether every field is in words: the utterance says
// nothing else ("да, пожалуйста" is only yes-words).
func (u utterance) only(words map[string]bool) bool {
	for _, f := range u.f {
		if !words[f] {
			return false
		}
	}
	return len(u.f) > 0
}

// question reports whether the caller asks something: a question mark
// from the recogniser or a question word.
func (u utterance) question() bool {
	if strings.Contains(u.raw, "?") {
		return true
	}
	return u.has("как", "какой", "какая", "какие", "каких", "какое", "сколько", "скольки", "почему", "зачем",
		"когда", "где", "куда", "ли", "можно", "нужно", "надо", "что", "чем", "подскажите", "скажите",
		"расскажите", "объясните", "интересует", "почем", "правда")
}

// words is a set of words.
func words(ws ...string) map[string]bool {
	m := make(map[string]bool, len(ws))
	for _, w := range ws {
		m[w] = true
	}
	return m
}

// numbers are the numbers of u in order, with the index of their first field.
type number struct {
	russian.Number
	at int
}

func (u utterance) numbers() []number {
	var out []number
	for i := 0; i < len(u.f); {
		n, ok := russian.ScanNumber(u.f[i:])
		if !ok {
			i++
			continue
		}
		out = append(out, number{n, i})
		i += n.Words
	}
	return out
}

// clip cuts s to at most n runes.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n])
}
