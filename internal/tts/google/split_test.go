package google

import (
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestSplit(t *testing.T) {
	for _, tc := range []struct {
		name  string
		text  string
		limit int
		want  []string
	}{
		{"short", "  Добрый день.  ", 100, []string{"Добрый день."}},
		{"blank", " \n\t", 100, nil},
		{"sentence end", "Да. Шины есть, размер верный. Ещё что-то", 60, []string{"Да. Шины есть, размер верный.", "Ещё что-то"}},
		{"last sentence end that fits", "Один! Два? Три… Четыре", 30, []string{"Один! Два? Три…", "Четыре"}},
		{"mark inside a word is no end", "R16.5 шины", 8, []string{"R16.5", "шины"}},
		{"clause end", "Шины есть, диски есть; доставка завтра", 40, []string{"Шины есть, диски есть;", "доставка завтра"}},
		{"space", "Зимние шины в наличии", 25, []string{"Зимние шины в", "наличии"}},
		{"mark at the limit", "Ага. Ещё", 7, []string{"Ага.", "Ещё"}},
		{"no space: cut between letters", "Шиномонтаж", 7, []string{"Шин", "омо", "нта", "ж"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := split(tc.text, tc.limit); !slices.Equal(got, tc.want) {
				t.Errorf("split(%q, %d) = %q, want %q", tc.text, tc.limit, got, tc.want)
			}
		})
	}
}

func FuzzSplit(f *testing.F) {
	f.Add("Да. Шины есть, размер верный. Ещё что-то", 12)
	f.Add("Шиномонтаж", 4)
	f.Fuzz(func(t *testing.T, text string, limit int) {
		if !utf8.ValidString(text) || limit < utf8.UTFMax || limit > 1<<16 {
			t.Skip()
		}
		noSpace := func(s string) string {
			return strings.Map(func(r rune) rune {
				if unicode.IsSpace(r) {
					return -1
				}
				return r
			}, s)
		}
		pieces := split(text, limit)
		for _, p := range pieces {
			if p == "" || len(p) > limit || !utf8.ValidString(p) || strings.TrimSpace(p) != p {
				t.Fatalf("piece %q (limit %d)", p, limit)
			}
		}
		if noSpace(strings.Join(pieces, "")) != noSpace(text) {
			t.Fatalf("pieces %q do not make up %q", pieces, text)
		}
	})
}
