package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tirevoice/assistant/internal/kb"
)

// articleJSON is a valid article body with slug, edited by edit.
func articleJSON(t *testing.T, slug string, edit func(map[string]any)) string {
	t.Helper()
	a := map[string]any{
		"slug":   slug,
		"title":  "Аквапланирование на мокрой дороге",
		"body":   "Аквапланирование начинается, когда шина не успевает отводить воду.",
		"answer": "Аквапланирование опасно на изношенных шинах: проверьте глубину протектора.",
		"tags":   []string{"аквапланирование", "дождь"},
	}
	if edit != nil {
		edit(a)
	}
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestArticles(t *testing.T) {
	e := newEnv(t, envOptions{})
	shipped, err := kb.Load()
	if err != nil {
		t.Fatal(err)
	}
	first, last := shipped[0], shipped[len(shipped)-1]

	r := e.do(t, request{method: "GET", path: "/api/v1/kb/articles", token: testToken})
	expect(t, r, http.StatusOK, "")
	if got := r.json(t)["articles"].([]any); len(got) != len(shipped) || got[0].(map[string]any)["slug"] != first.Slug {
		t.Errorf("%d articles, want %d with %s first", len(got), len(shipped), first.Slug)
	}

	r = e.do(t, request{method: "GET", path: fmt.Sprintf("/api/v1/kb/articles/%d", first.ID), token: testToken})
	expect(t, r, http.StatusOK, "")
	if v := r.json(t); v["slug"] != first.Slug || v["answer"] != first.Answer || len(v["tags"].([]any)) != len(first.Tags) {
		t.Errorf("article = %s", r.body)
	}
	expect(t, e.do(t, request{method: "GET", path: "/api/v1/kb/articles/9999", token: testToken}), http.StatusNotFound, "not_found")
	expect(t, e.do(t, request{method: "GET", path: "/api/v1/kb/articles/abc", token: testToken, bad: true}), http.StatusBadRequest, "bad_request")
	expect(t, e.do(t, request{method: "GET", path: "/api/v1/kb/articles/0", token: testToken, bad: true}), http.StatusBadRequest, "bad_request")

	// Create, then find it by its Location and by search.
	r = e.do(t, request{method: "POST", path: "/api/v1/kb/articles", token: testToken, body: articleJSON(t, "aquaplaning", nil)})
	expect(t, r, http.StatusCreated, "")
	created := r.json(t)
	wantLoc := fmt.Sprintf("/api/v1/kb/articles/%d", last.ID+1)
	if loc := r.header.Get("Location"); loc != wantLoc || created["id"] != float64(last.ID+1) {
		t.Errorf("Location %q, id %v; want %s", loc, created["id"], wantLoc)
	}
	r = e.do(t, request{method: "GET", path: wantLoc, token: testToken})
	expect(t, r, http.StatusOK, "")
	if r.json(t)["slug"] != "aquaplaning" {
		t.Errorf("created article = %s", r.body)
	}
	r = e.do(t, request{method: "GET", path: "/api/v1/kb/search?q=" + url.QueryEscape("что такое аквапланирование") + "&limit=3", token: testToken})
	expect(t, r, http.StatusOK, "")
	hits := r.json(t)["hits"].([]any)
	if len(hits) == 0 || hits[0].(map[string]any)["slug"] != "aquaplaning" || hits[0].(map[string]any)["score"].(float64) <= 0 {
		t.Errorf("search after create: %s", r.body)
	}

	// Update it; the search follows.
	r = e.do(t, request{method: "PUT", path: wantLoc, token: testToken, body: articleJSON(t, "aquaplaning", func(a map[string]any) {
		a["title"], a["tags"] = "Гидропланирование", []string{"гидропланирование"}
		a["body"] = "Гидропланирование, или аквапланирование, начинается на мокрой дороге."
	})})
	expect(t, r, http.StatusOK, "")
	if v := r.json(t); v["title"] != "Гидропланирование" || v["id"] != float64(last.ID+1) {
		t.Errorf("updated = %s", r.body)
	}
	if a, _ := e.kb.Article(context.Background(), last.ID+1); a.Title != "Гидропланирование" {
		t.Errorf("the store holds %q", a.Title)
	}
	r = e.do(t, request{method: "GET", path: "/api/v1/kb/search?q=" + url.QueryEscape("гидропланирование"), token: testToken})
	expect(t, r, http.StatusOK, "")
	if hits := r.json(t)["hits"].([]any); len(hits) == 0 || hits[0].(map[string]any)["slug"] != "aquaplaning" {
		t.Errorf("search after update: %s", r.body)
	}

	tests := []struct {
		name, method, path, body string
		contentType              string
		bad                      bool
		want                     int
		errCode                  string
	}{
		{"create, slug taken", "POST", "/api/v1/kb/articles", articleJSON(t, first.Slug, nil), "", false, 409, "slug_taken"},
		{"create, bad slug", "POST", "/api/v1/kb/articles", articleJSON(t, "Aqua Planing", nil), "", false, 422, "invalid_article"},
		{"create, link in the answer", "POST", "/api/v1/kb/articles", articleJSON(t, "x", func(a map[string]any) { a["answer"] = "Смотрите https://example.com" }), "", false, 422, "invalid_article"},
		{"create, answer too long", "POST", "/api/v1/kb/articles", articleJSON(t, "x", func(a map[string]any) { a["answer"] = strings.Repeat("а", kb.MaxAnswerRunes+1) }), "", false, 422, "invalid_article"},
		{"create, no tags", "POST", "/api/v1/kb/articles", articleJSON(t, "x", func(a map[string]any) { a["tags"] = []string{} }), "", false, 422, "invalid_article"},
		{"create, tags missing", "POST", "/api/v1/kb/articles", articleJSON(t, "x", func(a map[string]any) { delete(a, "tags") }), "", true, 422, "invalid_article"},
		{"create, id given", "POST", "/api/v1/kb/articles", articleJSON(t, "x", func(a map[string]any) { a["id"] = 1 }), "", true, 400, "bad_request"},
		{"create, unknown field", "POST", "/api/v1/kb/articles", articleJSON(t, "x", func(a map[string]any) { a["author"] = "me" }), "", true, 400, "bad_request"},
		{"create, tags not a list", "POST", "/api/v1/kb/articles", articleJSON(t, "x", func(a map[string]any) { a["tags"] = "шины" }), "", true, 400, "bad_request"},
		// kin-openapi reads the first JSON value only.
		{"create, two values", "POST", "/api/v1/kb/articles", articleJSON(t, "x", nil) + "{}", "", false, 400, "bad_request"},
		{"create, not json", "POST", "/api/v1/kb/articles", "slug=x", "application/json", true, 400, "bad_request"},
		{"create, form", "POST", "/api/v1/kb/articles", "slug=x", "application/x-www-form-urlencoded", true, 415, "unsupported_media_type"},
		{"create, too large", "POST", "/api/v1/kb/articles", articleJSON(t, "x", func(a map[string]any) { a["body"] = strings.Repeat("б", maxBody/2) }), "", false, 413, "payload_too_large"},
		{"update, unknown id", "PUT", "/api/v1/kb/articles/9999", articleJSON(t, "x", nil), "", false, 404, "not_found"},
		{"update, bad id", "PUT", "/api/v1/kb/articles/x", articleJSON(t, "x", nil), "", true, 400, "bad_request"},
		{"update, slug of another", "PUT", fmt.Sprintf("/api/v1/kb/articles/%d", first.ID), articleJSON(t, last.Slug, nil), "", false, 409, "slug_taken"},
		{"update, empty body", "PUT", fmt.Sprintf("/api/v1/kb/articles/%d", first.ID), articleJSON(t, first.Slug, func(a map[string]any) { a["body"] = "" }), "", false, 422, "invalid_article"},
		{"update, unknown field", "PUT", fmt.Sprintf("/api/v1/kb/articles/%d", first.ID), articleJSON(t, first.Slug, func(a map[string]any) { a["id"] = first.ID }), "", true, 400, "bad_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(t, request{method: tt.method, path: tt.path, token: testToken, body: tt.body, contentType: tt.contentType, bad: tt.bad})
			expect(t, r, tt.want, tt.errCode)
		})
	}
	if all, _ := e.kb.Articles(context.Background()); len(all) != len(shipped)+1 {
		t.Errorf("%d articles after one creation and refused ones, want %d", len(all), len(shipped)+1)
	}
	if a, _ := e.kb.Article(context.Background(), first.ID); a.Slug != first.Slug || a.Body != first.Body {
		t.Errorf("a refused update changed the article: %+v", a)
	}
}

func TestSearchKB(t *testing.T) {
	e := newEnv(t, envOptions{})
	tests := []struct {
		name, query string
		bad         bool
		want        int
		first       string // slug of the first hit; "" for none
		maxHits     int
	}{
		{"storage", "?q=" + url.QueryEscape("сколько стоит хранение колёс"), false, 200, "tire-storage", 5},
		{"limit", "?q=" + url.QueryEscape("доставка") + "&limit=1", false, 200, "", 1},
		{"nothing related", "?q=" + url.QueryEscape("рецепт борща"), false, 200, "", 0},
		{"no q", "", true, 400, "", 0},
		{"empty q", "?q=", true, 400, "", 0},
		{"q too long", "?q=" + strings.Repeat("a", maxQueryRunes+1), true, 400, "", 0},
		{"limit zero", "?q=x&limit=0", true, 400, "", 0},
		{"limit too high", "?q=x&limit=51", true, 400, "", 0},
		{"unknown parameter", "?q=x&lang=ru", false, 400, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(t, request{method: "GET", path: "/api/v1/kb/search" + tt.query, token: testToken, bad: tt.bad})
			if tt.want != http.StatusOK {
				expect(t, r, tt.want, "bad_request")
				return
			}
			expect(t, r, http.StatusOK, "")
			hits := r.json(t)["hits"].([]any)
			if len(hits) > tt.maxHits {
				t.Errorf("%d hits, want at most %d", len(hits), tt.maxHits)
			}
			if tt.first != "" && (len(hits) == 0 || hits[0].(map[string]any)["slug"] != tt.first) {
				t.Errorf("hits = %s, want %s first", r.body, tt.first)
			}
		})
	}
}
