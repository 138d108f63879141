package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/tirevoice/assistant/internal/kb"
	"github.com/tirevoice/assistant/internal/postgres"
	"github.com/tirevoice/assistant/internal/postgres/pgtest"
)

func article(slug string) kb.Article {
	return kb.Article{
		Slug:   slug,
		Title:  "Хранение колёс",
		Body:   "Храним шины и колёса в шинном отеле до следующего сезона.",
		Answer: "Хранение комплекта стоит от 2500 рублей за сезон.",
		Tags:   []string{"хранение", "шинный отель"},
	}
}

func TestKBCRUD(t *testing.T) {
	t.Parallel()
	db, _ := pgtest.Migrated(t)
	s := db.KB()
	ctx := context.Background()

	if as, err := s.Articles(ctx); err != nil || len(as) != 0 {
		t.Fatalf("empty base: Articles = %v, %v", as, err)
	}
	a := article("tire-storage")
	a.ID = 99 // ignored
	created, err := s.CreateArticle(ctx, a)
	if err != nil {
		t.Fatalf("CreateArticle: %v", err)
	}
	if created.ID <= 0 || created.ID == 99 {
		t.Errorf("created with ID %d, want a new positive one", created.ID)
	}
	a.ID = created.ID
	if !reflect.DeepEqual(created, a) {
		t.Errorf("CreateArticle returned %+v, want %+v", created, a)
	}
	got, err := s.Article(ctx, created.ID)
	if err != nil || !reflect.DeepEqual(got, a) {
		t.Errorf("Article = %+v, %v; want %+v", got, err, a)
	}

	if _, err := s.CreateArticle(ctx, article("tire-storage")); !errors.Is(err, kb.ErrSlugTaken) {
		t.Errorf("second article with one slug: %v, want ErrSlugTaken", err)
	}
	other, err := s.CreateArticle(ctx, article("tire-hotel"))
	if err != nil {
		t.Fatal(err)
	}

	a.Title, a.Tags = "Сезонное хранение шин", []string{"хранение", "склад"}
	updated, err := s.UpdateArticle(ctx, a)
	if err != nil || !reflect.DeepEqual(updated, a) {
		t.Errorf("UpdateArticle = %+v, %v; want %+v", updated, err, a)
	}
	if got, _ := s.Article(ctx, a.ID); !reflect.DeepEqual(got, a) {
		t.Errorf("after update: %+v", got)
	}
	other.Slug = "tire-storage"
	if _, err := s.UpdateArticle(ctx, other); !errors.Is(err, kb.ErrSlugTaken) {
		t.Errorf("update to another article's slug: %v, want ErrSlugTaken", err)
	}
	ghost := article("ghost")
	ghost.ID = 12345
	if _, err := s.UpdateArticle(ctx, ghost); !errors.Is(err, kb.ErrArticleNotFound) {
		t.Errorf("update of an unknown ID: %v, want ErrArticleNotFound", err)
	}
	for _, id := range []int{12345, 0, -1, 1 << 40} {
		if _, err := s.Article(ctx, id); !errors.Is(err, kb.ErrArticleNotFound) {
			t.Errorf("Article(%d): %v, want ErrArticleNotFound", id, err)
		}
	}

	invalid := []struct {
		name string
		edit func(*kb.Article)
	}{
		{"bad slug", func(a *kb.Article) { a.Slug = "Tire Storage" }},
		{"no title", func(a *kb.Article) { a.Title = "" }},
		{"no tags", func(a *kb.Article) { a.Tags = nil }},
		{"link in the answer", func(a *kb.Article) { a.Answer = "Смотрите https://example.com" }},
		{"NUL in the body", func(a *kb.Article) { a.Body = "до\x00после" }},
	}
	for _, tc := range invalid {
		b := article("invalid")
		b.ID = a.ID
		tc.edit(&b)
		if _, err := s.CreateArticle(ctx, b); !errors.Is(err, kb.ErrInvalidArticle) {
			t.Errorf("%s: CreateArticle: %v, want ErrInvalidArticle", tc.name, err)
		}
		if _, err := s.UpdateArticle(ctx, b); !errors.Is(err, kb.ErrInvalidArticle) {
			t.Errorf("%s: UpdateArticle: %v, want ErrInvalidArticle", tc.name, err)
		}
	}

	all, err := s.Articles(ctx)
	if err != nil || len(all) != 2 || all[0].ID != a.ID || all[1].ID != other.ID {
		t.Errorf("Articles = %v, %v; want the two, by ID", all, err)
	}
}

// kbRows is every column of kb_articles, generated ones and timestamps
// included, as text.
func kbRows(t *testing.T, dsn string) []string {
	t.Helper()
	rows, err := connect(t, dsn).Query(context.Background(), `SELECT kb_articles::text FROM kb_articles ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSeedKB(t *testing.T) {
	t.Parallel()
	db, dsn := pgtest.Migrated(t)
	s := db.KB()
	ctx := context.Background()
	shipped, err := kb.Load()
	if err != nil {
		t.Fatal(err)
	}

	// An article created before seeding holds ID 1, which a shipped
	// article has in its file.
	mine, err := s.CreateArticle(ctx, article("my-own"))
	if err != nil || mine.ID != 1 {
		t.Fatalf("CreateArticle = %d, %v; want ID 1", mine.ID, err)
	}
	if err := s.SeedKB(ctx, shipped); err != nil {
		t.Fatalf("SeedKB: %v", err)
	}
	first := kbRows(t, dsn)
	if err := s.SeedKB(ctx, shipped); err != nil {
		t.Fatalf("SeedKB again: %v", err)
	}
	if second := kbRows(t, dsn); !reflect.DeepEqual(first, second) {
		t.Errorf("seeding twice changed the rows:\n%s\nthen\n%s", strings.Join(first, "\n"), strings.Join(second, "\n"))
	}

	stored, err := s.Articles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != len(shipped)+1 {
		t.Fatalf("%d articles, want %d shipped and mine", len(stored), len(shipped))
	}
	bySlug := map[string]kb.Article{}
	for _, a := range stored {
		bySlug[a.Slug] = a
	}
	if got := bySlug["my-own"]; got.ID != 1 {
		t.Errorf("my article moved to ID %d", got.ID)
	}
	for _, want := range shipped {
		got := bySlug[want.Slug]
		if want.ID == 1 {
			if got.ID == 1 || got.ID <= 0 {
				t.Errorf("%s: ID %d, want a new one (1 was taken)", want.Slug, got.ID)
			}
			want.ID = got.ID
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: stored %+v, want %+v", want.Slug, got, want)
		}
	}
	// New articles get IDs the seed did not use.
	if _, err := s.CreateArticle(ctx, article("after-seed")); err != nil {
		t.Errorf("CreateArticle after the seed: %v", err)
	}

	// A changed article is updated in place, by slug.
	changed := shipped[1]
	changed.Answer = "Доставляем во все регионы."
	if err := s.SeedKB(ctx, []kb.Article{changed}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Article(ctx, changed.ID); err != nil || got.Answer != changed.Answer {
		t.Errorf("after seeding a changed article: %+v, %v", got, err)
	}

	dup := []kb.Article{article("twice"), article("twice")}
	if err := s.SeedKB(ctx, dup); !errors.Is(err, kb.ErrInvalidArticle) {
		t.Errorf("seeding a slug twice: %v, want ErrInvalidArticle", err)
	}
	bad := article("")
	if err := s.SeedKB(ctx, []kb.Article{bad}); !errors.Is(err, kb.ErrInvalidArticle) {
		t.Errorf("seeding an invalid article: %v, want ErrInvalidArticle", err)
	}
}

// seeded returns a store holding the shipped articles.
func seeded(t *testing.T) *postgres.KB {
	t.Helper()
	db, _ := pgtest.Migrated(t)
	articles, err := kb.Load()
	if err != nil {
		t.Fatal(err)
	}
	if err := db.KB().SeedKB(context.Background(), articles); err != nil {
		t.Fatal(err)
	}
	return db.KB()
}

// The PostgreSQL search is held to the same question set as kb.Memory:
// the expected article is the first hit.
func TestSearchRanking(t *testing.T) {
	t.Parallel()
	s := seeded(t)
	data, err := os.ReadFile("../kb/testdata/queries.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct{ Query, Slug string }
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 10 {
		t.Fatalf("%d questions in queries.json, want at least 10", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.Query, func(t *testing.T) {
			hits, err := s.Search(context.Background(), tc.Query, 5)
			if err != nil {
				t.Fatalf("Search: %v", err)
			}
			if len(hits) == 0 || hits[0].Slug != tc.Slug {
				t.Errorf("first hit %s, want %s", describe(hits), tc.Slug)
			}
			for i, h := range hits {
				if h.Score <= 0 || (i > 0 && h.Score > hits[i-1].Score) {
					t.Errorf("hits not best first with positive scores: %s", describe(hits))
				}
			}
		})
	}
}

func describe(hits []kb.Hit) string {
	var b strings.Builder
	for _, h := range hits {
		fmt.Fprintf(&b, "%s(%.3f) ", h.Slug, h.Score)
	}
	return b.String()
}

func TestSearchNothingRelated(t *testing.T) {
	t.Parallel()
	s := seeded(t)
	for _, q := range []string{
		"какая погода на марсе",
		"сколько стоит билет в кино",
		"как приготовить борщ",
		"хочу поговорить о политике",
		"какой сегодня день",
		"шины заказ", // in most articles: says nothing of the topic
		"подскажите пожалуйста",
		"",
		"?!",
	} {
		hits, err := s.Search(context.Background(), q, 5)
		if err != nil || len(hits) != 0 {
			t.Errorf("Search(%q) = %s, %v; want no hits", q, describe(hits), err)
		}
	}
}

func TestSearchLimitAndErrors(t *testing.T) {
	t.Parallel()
	s := seeded(t)
	ctx := context.Background()
	for _, limit := range []int{0, -1} {
		if _, err := s.Search(ctx, "гарантия", limit); !errors.Is(err, kb.ErrInvalidLimit) {
			t.Errorf("limit %d: %v, want ErrInvalidLimit", limit, err)
		}
	}
	hits, err := s.Search(ctx, "сколько стоит доставка в Новосибирск", 2)
	if err != nil || len(hits) != 2 {
		t.Errorf("limit 2: %s, %v", describe(hits), err)
	}
	if _, err := s.Search(cancelled(), "гарантия", 1); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v, want context.Canceled", err)
	}
	// Text the lexer treats specially is only text.
	for _, q := range []string{`'шины' & !грыжа | "порез"`, `a\'b`, `шин:*`, strings.Repeat("шины ", 500)} {
		if _, err := s.Search(ctx, q, 3); err != nil {
			t.Errorf("Search(%.40q): %v", q, err)
		}
	}
}

// "ё" and "е" are one letter to the search, in articles and in questions.
func TestSearchFoldsYo(t *testing.T) {
	t.Parallel()
	db, _ := pgtest.Migrated(t)
	s := db.KB()
	ctx := context.Background()
	withYo := article("with-yo")
	withYo.Title, withYo.Tags, withYo.Body = "Ёлочные игрушки", []string{"ёлка"}, "Ёлочные игрушки и гирлянды."
	withE := article("with-e")
	withE.Title, withE.Tags, withE.Body = "Зеленые насаждения", []string{"зелень"}, "Зеленые насаждения у входа."
	for _, a := range []kb.Article{withYo, withE} {
		if _, err := s.CreateArticle(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	for q, want := range map[string]string{
		"елочные игрушки":    "with-yo",
		"ЕЛОЧНЫЕ":            "with-yo",
		"зелёные":            "with-e",
		"Зелёные насаждения": "with-e",
	} {
		hits, err := s.WithMinScore(0).Search(ctx, q, 5)
		if err != nil || len(hits) != 1 || hits[0].Slug != want {
			t.Errorf("Search(%q) = %s, %v; want %s alone", q, describe(hits), err, want)
		}
	}
}
