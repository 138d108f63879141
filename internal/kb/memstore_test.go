package kb

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
)

// newArticle is a valid article that no shipped one resembles: a word
// ("аквапланирование") that only it holds, in its title, tags and body.
func newArticle(slug string) Article {
	return Article{
		Slug:   slug,
		Title:  "Аквапланирование на мокрой дороге",
		Body:   "Аквапланирование начинается, когда шина не успевает отводить воду.",
		Answer: "Аквапланирование опасно на изношенных шинах: проверьте глубину протектора.",
		Tags:   []string{"аквапланирование", "дождь"},
	}
}

func TestMemoryStoreSeed(t *testing.T) {
	ctx := context.Background()
	arts := mustLoad(t)
	s := NewMemoryStore(arts)
	got, err := s.Articles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(arts) {
		t.Fatalf("%d articles, want %d", len(got), len(arts))
	}
	for i := range got {
		if got[i].ID != arts[i].ID || got[i].Slug != arts[i].Slug {
			t.Errorf("article %d = %d %s, want %d %s", i, got[i].ID, got[i].Slug, arts[i].ID, arts[i].Slug)
		}
	}
	a, err := s.Article(ctx, arts[3].ID)
	if err != nil || a.Slug != arts[3].Slug {
		t.Errorf("Article(%d) = %s, %v; want %s", arts[3].ID, a.Slug, err, arts[3].Slug)
	}
	if _, err := s.Article(ctx, 9999); !errors.Is(err, ErrArticleNotFound) {
		t.Errorf("Article(9999): %v, want ErrArticleNotFound", err)
	}

	// The store keeps its own copy of the seed, and hands out copies.
	arts[0].Tags[0] = "изменено"
	a, _ = s.Article(ctx, arts[0].ID)
	if a.Tags[0] == "изменено" {
		t.Error("the store shares the seed's tags")
	}
	a.Tags[0] = "изменено"
	got, _ = s.Articles(ctx)
	if got[0].Tags[0] == "изменено" {
		t.Error("the store shares an answer's tags")
	}
}

func TestMemoryStoreSeedOrder(t *testing.T) {
	a, b := newArticle("b"), newArticle("a")
	a.ID, b.ID = 7, 3
	got, err := NewMemoryStore([]Article{a, b}).Articles(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != 3 || got[1].ID != 7 {
		t.Errorf("articles = %v, want IDs 3, 7", got)
	}
	if empty, _ := NewMemoryStore(nil).CreateArticle(context.Background(), newArticle("first")); empty.ID != 1 {
		t.Errorf("first article of an empty store has ID %d, want 1", empty.ID)
	}
}

func TestMemoryStoreCreate(t *testing.T) {
	ctx := context.Background()
	arts := mustLoad(t)
	s := NewMemoryStore(arts)
	maxID := arts[len(arts)-1].ID

	if hits, _ := s.Search(ctx, "аквапланирование", 3); len(hits) != 0 {
		t.Fatalf("the shipped base already answers the test query: %s", describe(hits))
	}
	in := newArticle("aquaplaning")
	in.ID = 1 // ignored
	got, err := s.CreateArticle(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != maxID+1 || got.Slug != "aquaplaning" {
		t.Errorf("created %d %s, want ID %d", got.ID, got.Slug, maxID+1)
	}
	in.Tags[0] = "изменено"
	if a, _ := s.Article(ctx, got.ID); a.Tags[0] != "аквапланирование" {
		t.Errorf("the store shares the created article's tags: %v", a.Tags)
	}
	hits, err := s.Search(ctx, "что такое аквапланирование", 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) == 0 || hits[0].ID != got.ID {
		t.Errorf("search after create: %s, want %s first", describe(hits), got.Slug)
	}
	second, err := s.CreateArticle(ctx, newArticle("aquaplaning-2"))
	if err != nil || second.ID != maxID+2 {
		t.Errorf("second article: %d, %v; want ID %d", second.ID, err, maxID+2)
	}

	tests := []struct {
		name string
		edit func(*Article)
		want error
	}{
		{"slug taken", func(a *Article) { a.Slug = arts[0].Slug }, ErrSlugTaken},
		{"bad slug", func(a *Article) { a.Slug = "Не латиница" }, ErrInvalidArticle},
		{"no tags", func(a *Article) { a.Tags = nil }, ErrInvalidArticle},
		{"link in the answer", func(a *Article) { a.Answer = "Смотрите https://example.com" }, ErrInvalidArticle},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newArticle("aquaplaning-3")
			tt.edit(&a)
			if _, err := s.CreateArticle(ctx, a); !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
	if all, _ := s.Articles(ctx); len(all) != len(arts)+2 {
		t.Errorf("%d articles after two creations and failed ones, want %d", len(all), len(arts)+2)
	}
}

func TestMemoryStoreUpdate(t *testing.T) {
	ctx := context.Background()
	arts := mustLoad(t)
	s := NewMemoryStore(arts)
	target := arts[0]

	up := newArticle(target.Slug) // same slug, new content
	up.ID = target.ID
	got, err := s.UpdateArticle(ctx, up)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != target.ID || got.Title != up.Title {
		t.Errorf("updated = %d %q", got.ID, got.Title)
	}
	hits, err := s.Search(ctx, "аквапланирование", 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) == 0 || hits[0].ID != target.ID {
		t.Errorf("search after update: %s, want %s first", describe(hits), target.Slug)
	}
	if all, _ := s.Articles(ctx); len(all) != len(arts) {
		t.Errorf("%d articles after an update, want %d", len(all), len(arts))
	}

	tests := []struct {
		name string
		edit func(*Article)
		want error
	}{
		{"unknown id", func(a *Article) { a.ID = 9999 }, ErrArticleNotFound},
		{"slug of another", func(a *Article) { a.Slug = arts[1].Slug }, ErrSlugTaken},
		{"empty body", func(a *Article) { a.Body = "" }, ErrInvalidArticle},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := up
			tt.edit(&a)
			if _, err := s.UpdateArticle(ctx, a); !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestMemoryStoreCancelled(t *testing.T) {
	s := NewMemoryStore(mustLoad(t))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Articles(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Articles: %v", err)
	}
	if _, err := s.CreateArticle(ctx, newArticle("x")); !errors.Is(err, context.Canceled) {
		t.Errorf("CreateArticle: %v", err)
	}
	if _, err := s.Search(ctx, "хранение", 1); !errors.Is(err, context.Canceled) {
		t.Errorf("Search: %v", err)
	}
	if _, err := s.Search(context.Background(), "хранение", 0); !errors.Is(err, ErrInvalidLimit) {
		t.Errorf("Search with limit 0: %v", err)
	}
}

// TestMemoryStoreConcurrent is for the race detector: writers and readers
// at once, and every creation gets its own ID.
func TestMemoryStoreConcurrent(t *testing.T) {
	ctx := context.Background()
	arts := mustLoad(t)
	s := NewMemoryStore(arts)
	const writers = 8
	ids := make(chan int, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			a, err := s.CreateArticle(ctx, newArticle(fmt.Sprintf("concurrent-%d", i)))
			if err != nil {
				t.Error(err)
				return
			}
			ids <- a.ID
		})
		wg.Go(func() {
			if _, err := s.Search(ctx, "аквапланирование", 5); err != nil {
				t.Error(err)
			}
			if _, err := s.Articles(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	close(ids)
	seen := map[int]bool{}
	for id := range ids {
		if seen[id] {
			t.Errorf("ID %d given twice", id)
		}
		seen[id] = true
	}
	if all, _ := s.Articles(ctx); len(all) != len(arts)+writers {
		t.Errorf("%d articles, want %d", len(all), len(arts)+writers)
	}
}
