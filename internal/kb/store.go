package kb

import (
	"context"
	"errors"
)

// Store holds the knowledge base where it can be edited: in memory on
// embedded defaults (seeded from the shipped articles), in PostgreSQL in
// production. It searches like a Searcher. Implementations are safe for
// concurrent use.
type Store interface {
	Searcher
	// Articles returns every article, by ID.
	Articles(ctx context.Context) ([]Article, error)
	// Article returns the article with id, or ErrArticleNotFound.
	Article(ctx context.Context, id int) (Article, error)
	// CreateArticle validates a and stores it with a new ID (a.ID is
	// ignored) and returns it as stored. A slug in use is ErrSlugTaken.
	CreateArticle(ctx context.Context, a Article) (Article, error)
	// UpdateArticle validates a and replaces the article with a.ID.
	// An unknown ID is ErrArticleNotFound, a slug of another article is
	// ErrSlugTaken.
	UpdateArticle(ctx context.Context, a Article) (Article, error)
}

// Errors of Store. Validation errors wrap ErrInvalidArticle.
var (
	ErrArticleNotFound = errors.New("kb: no such article")
	ErrSlugTaken       = errors.New("kb: slug already in use")
)

// Validate checks a against the rules of Article, except ID, which the
// store assigns. The error wraps ErrInvalidArticle.
func Validate(a Article) error { return a.validate() }
