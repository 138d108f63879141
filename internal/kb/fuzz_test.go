package kb

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse: any input is an Article that validates or an error wrapping
// ErrInvalidArticle, never a panic.
func FuzzParse(f *testing.F) {
	for _, a := range mustLoad(f)[:3] {
		f.Add([]byte("---\nid: 1\nslug: " + a.Slug + "\ntitle: " + a.Title + "\ntags: " + strings.Join(a.Tags, ", ") + "\nanswer: " + a.Answer + "\n---\n" + a.Body))
	}
	f.Add([]byte("---\n---\n"))
	f.Add([]byte("---\nid: 1\r\nslug: a\r\n---\r\nт"))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := parse(data)
		if err != nil {
			return
		}
		if err := a.validate(); err != nil {
			t.Fatalf("parse accepted an invalid article: %v", err)
		}
		if a.ID <= 0 || a.Body == "" || utf8.RuneCountInString(a.Answer) > MaxAnswerRunes {
			t.Fatalf("parse accepted %+v", a)
		}
	})
}

// FuzzAnalyze: any text gives non-empty terms without spaces, never a
// panic, and the same terms twice.
func FuzzAnalyze(f *testing.F) {
	f.Add("Сколько стоит шиномонтаж на семнадцатом радиусе?")
	f.Add("205/55 R16 91V, ёлка, ШИПЫ")
	f.Add("\xff\xfe 日本 ١٢٣")
	f.Fuzz(func(t *testing.T, text string) {
		terms := Analyze(text)
		for _, term := range terms {
			if term == "" || strings.ContainsAny(term, " \t\n") {
				t.Fatalf("Analyze(%q) gave term %q", text, term)
			}
		}
		if again := Analyze(text); strings.Join(again, " ") != strings.Join(terms, " ") {
			t.Fatalf("Analyze(%q) not deterministic", text)
		}
	})
}
