package kb

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
	"unicode"
	"unicode/utf8"
)

func mustLoad(t testing.TB) []Article {
	t.Helper()
	arts, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return arts
}

func TestLoadAll(t *testing.T) {
	arts := mustLoad(t)
	if len(arts) < 24 {
		t.Fatalf("%d articles, want at least 24", len(arts))
	}
	for i, a := range arts {
		if i > 0 && arts[i-1].ID >= a.ID {
			t.Errorf("not ordered by ID: %d then %d", arts[i-1].ID, a.ID)
		}
		if err := a.validate(); err != nil {
			t.Error(err)
		}
	}
}

// TestArticleStyle holds the editorial rules that Load does not enforce:
// a body of 80 to 250 words, an answer of one or two sentences.
func TestArticleStyle(t *testing.T) {
	for _, a := range mustLoad(t) {
		words := len(strings.FieldsFunc(a.Body, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }))
		if words < 80 || words > 250 {
			t.Errorf("%s: body has %d words, want 80..250", a.Slug, words)
		}
		// Decimal commas and abbreviations aside, a sentence ends in ". ",
		// "! " or "? ".
		sentences := 1 + strings.Count(a.Answer, ". ") + strings.Count(a.Answer, "? ") + strings.Count(a.Answer, "! ")
		if sentences > 2 {
			t.Errorf("%s: answer has %d sentences, want 1 or 2", a.Slug, sentences)
		}
		if !strings.ContainsAny(a.Answer[len(a.Answer)-1:], ".?!") {
			t.Errorf("%s: answer does not end a sentence", a.Slug)
		}
		t.Logf("%-22s %3d words, answer %3d chars", a.Slug, words, utf8.RuneCountInString(a.Answer))
	}
}

func TestLoadRejects(t *testing.T) {
	const good = "---\nid: 1\nslug: a-b\ntitle: Т\ntags: т\nanswer: Ответ.\n---\nТекст.\n"
	tests := []struct {
		name  string
		files map[string]string
	}{
		{"no files", map[string]string{}},
		{"no front matter", map[string]string{"a.md": "Текст."}},
		{"unclosed front matter", map[string]string{"a.md": "---\nid: 1\n"}},
		{"missing answer", map[string]string{"a.md": strings.Replace(good, "answer: Ответ.\n", "", 1)}},
		{"empty title", map[string]string{"a.md": strings.Replace(good, "title: Т", "title:", 1)}},
		{"empty body", map[string]string{"a.md": strings.Replace(good, "Текст.\n", "", 1)}},
		{"unknown key", map[string]string{"a.md": strings.Replace(good, "id: 1", "id: 1\nauthor: x", 1)}},
		{"key twice", map[string]string{"a.md": strings.Replace(good, "id: 1", "id: 1\nid: 2", 1)}},
		{"bad id", map[string]string{"a.md": strings.Replace(good, "id: 1", "id: -3", 1)}},
		{"bad slug", map[string]string{"a.md": strings.Replace(good, "a-b", "A B", 1)}},
		{"empty tag", map[string]string{"a.md": strings.Replace(good, "tags: т", "tags: т,,", 1)}},
		{"upper-case tag", map[string]string{"a.md": strings.Replace(good, "tags: т", "tags: Т", 1)}},
		{"answer too long", map[string]string{"a.md": strings.Replace(good, "Ответ.", strings.Repeat("а", MaxAnswerRunes+1), 1)}},
		{"answer with a link", map[string]string{"a.md": strings.Replace(good, "Ответ.", "См. https://example.com", 1)}},
		{"answer with a table", map[string]string{"a.md": strings.Replace(good, "Ответ.", "R16 | 2800", 1)}},
		{"not UTF-8", map[string]string{"a.md": good + "\xff"}},
		{"duplicate slug", map[string]string{"a.md": good, "b.md": strings.Replace(good, "id: 1", "id: 2", 1)}},
		{"duplicate id", map[string]string{"a.md": good, "b.md": strings.Replace(good, "a-b", "c-d", 1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for name, data := range tt.files {
				fsys["articles/"+name] = &fstest.MapFile{Data: []byte(data)}
			}
			_, err := loadFS(fsys, "articles")
			if !errors.Is(err, ErrInvalidArticle) {
				t.Fatalf("err = %v, want ErrInvalidArticle", err)
			}
		})
	}
	t.Run("good", func(t *testing.T) {
		fsys := fstest.MapFS{"articles/a.md": &fstest.MapFile{Data: []byte(good)}}
		arts, err := loadFS(fsys, "articles")
		if err != nil || len(arts) != 1 || arts[0].Slug != "a-b" || arts[0].Body != "Текст." {
			t.Fatalf("loadFS = %+v, %v", arts, err)
		}
	})
}
