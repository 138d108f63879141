package kb

import (
	"context"
	"fmt"
	"slices"
	"sync"
)

// MemoryStore is the editable knowledge base of embedded defaults: the
// articles in memory, searched through a Memory index that every write
// rebuilds (the base is a few dozen articles, and edits are rare). It is
// safe for concurrent use; what it returns is the caller's to keep and
// modify.
type MemoryStore struct {
	opts []Option

	mu       sync.RWMutex
	articles []Article // by ID
	index    *Memory   // immutable; replaced, never changed, on each write
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore holds a copy of articles, with their own IDs, as Load
// returns them: valid, with unique IDs and slugs (of two articles with one
// ID, the later is kept). New articles get the highest ID plus one. opts
// configure the search index.
func NewMemoryStore(articles []Article, opts ...Option) *MemoryStore {
	s := &MemoryStore{opts: opts}
	for _, a := range articles {
		a.Tags = slices.Clone(a.Tags)
		if i, found := s.find(a.ID); found {
			s.articles[i] = a
		} else {
			s.articles = slices.Insert(s.articles, i, a)
		}
	}
	s.index = NewMemory(s.articles, opts...)
	return s
}

// find returns the position of the article with id in s.articles, or where
// it would go.
func (s *MemoryStore) find(id int) (int, bool) {
	return slices.BinarySearchFunc(s.articles, id, func(a Article, id int) int { return a.ID - id })
}

// Search implements Searcher over the articles as they are now.
func (s *MemoryStore) Search(ctx context.Context, query string, limit int) ([]Hit, error) {
	s.mu.RLock()
	index := s.index
	s.mu.RUnlock()
	return index.Search(ctx, query, limit)
}

// Articles implements Store.
func (s *MemoryStore) Articles(ctx context.Context) ([]Article, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Article, len(s.articles))
	for i, a := range s.articles {
		out[i] = cloneArticle(a)
	}
	return out, nil
}

// Article implements Store.
func (s *MemoryStore) Article(ctx context.Context, id int) (Article, error) {
	if err := ctx.Err(); err != nil {
		return Article{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	i, found := s.find(id)
	if !found {
		return Article{}, fmt.Errorf("%w: %d", ErrArticleNotFound, id)
	}
	return cloneArticle(s.articles[i]), nil
}

// CreateArticle implements Store.
func (s *MemoryStore) CreateArticle(ctx context.Context, a Article) (Article, error) {
	if err := ctx.Err(); err != nil {
		return Article{}, err
	}
	if err := Validate(a); err != nil {
		return Article{}, err
	}
	a = cloneArticle(a)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.slugUsed(a.Slug, 0) {
		return Article{}, fmt.Errorf("%w: %q", ErrSlugTaken, a.Slug)
	}
	a.ID = 1
	if n := len(s.articles); n > 0 {
		a.ID = s.articles[n-1].ID + 1
	}
	s.articles = append(s.articles, a)
	s.index = NewMemory(s.articles, s.opts...)
	return cloneArticle(a), nil
}

// UpdateArticle implements Store.
func (s *MemoryStore) UpdateArticle(ctx context.Context, a Article) (Article, error) {
	if err := ctx.Err(); err != nil {
		return Article{}, err
	}
	if err := Validate(a); err != nil {
		return Article{}, err
	}
	a = cloneArticle(a)
	s.mu.Lock()
	defer s.mu.Unlock()
	i, found := s.find(a.ID)
	if !found {
		return Article{}, fmt.Errorf("%w: %d", ErrArticleNotFound, a.ID)
	}
	if s.slugUsed(a.Slug, a.ID) {
		return Article{}, fmt.Errorf("%w: %q", ErrSlugTaken, a.Slug)
	}
	s.articles[i] = a
	s.index = NewMemory(s.articles, s.opts...)
	return cloneArticle(a), nil
}

// slugUsed reports whether an article other than the one with id has slug.
// The caller holds s.mu.
func (s *MemoryStore) slugUsed(slug string, id int) bool {
	return slices.ContainsFunc(s.articles, func(a Article) bool { return a.Slug == slug && a.ID != id })
}

func cloneArticle(a Article) Article {
	a.Tags = slices.Clone(a.Tags)
	return a
}
