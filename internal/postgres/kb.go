package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/jackc/pgx/v5"

	"github.com/tirevoice/assistant/internal/kb"
)

// KB keeps the knowledge base in the kb_articles table and searches it
// with PostgreSQL's Russian full-text search. It is safe for concurrent
// use.
type KB struct {
	db       *DB
	minScore float64
}

var (
	_ kb.Store    = (*KB)(nil)
	_ kb.Searcher = (*KB)(nil)
)

// NewKB returns the knowledge-base store over db.
func NewKB(db *DB) *KB { return &KB{db: db, minScore: DefaultMinScore} }

const articleColumns = `id, slug, title, body, answer, tags`

func scanArticle(row pgx.CollectableRow) (kb.Article, error) {
	var a kb.Article
	err := row.Scan(&a.ID, &a.Slug, &a.Title, &a.Body, &a.Answer, &a.Tags)
	return a, err
}

// Articles implements kb.Store.
func (s *KB) Articles(ctx context.Context) ([]kb.Article, error) {
	rows, _ := s.db.pool.Query(ctx, `SELECT `+articleColumns+` FROM kb_articles ORDER BY id`)
	as, err := pgx.CollectRows(rows, scanArticle)
	if err != nil {
		return nil, fmt.Errorf("postgres: articles: %w", err)
	}
	return as, nil
}

// Article implements kb.Store.
func (s *KB) Article(ctx context.Context, id int) (kb.Article, error) {
	if !validID(id) {
		return kb.Article{}, kb.ErrArticleNotFound
	}
	rows, _ := s.db.pool.Query(ctx, `SELECT `+articleColumns+` FROM kb_articles WHERE id = $1`, id)
	a, err := pgx.CollectExactlyOneRow(rows, scanArticle)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return kb.Article{}, kb.ErrArticleNotFound
	case err != nil:
		return kb.Article{}, fmt.Errorf("postgres: article %d: %w", id, err)
	}
	return a, nil
}

// CreateArticle implements kb.Store.
func (s *KB) CreateArticle(ctx context.Context, a kb.Article) (kb.Article, error) {
	if err := kb.Validate(a); err != nil {
		return kb.Article{}, err
	}
	rows, _ := s.db.pool.Query(ctx, `
		INSERT INTO kb_articles (slug, title, body, answer, tags)
		VALUES ($1, $2, $3, $4, $5)
		RETURNING `+articleColumns,
		a.Slug, a.Title, a.Body, a.Answer, a.Tags)
	stored, err := pgx.CollectExactlyOneRow(rows, scanArticle)
	switch {
	case isUniqueViolation(err, "kb_articles_slug_key"):
		return kb.Article{}, fmt.Errorf("%w: %q", kb.ErrSlugTaken, a.Slug)
	case isInvalidData(err): // text PostgreSQL cannot hold (a NUL byte, say)
		return kb.Article{}, fmt.Errorf("%w: %s: %w", kb.ErrInvalidArticle, a.Slug, err)
	case err != nil:
		return kb.Article{}, fmt.Errorf("postgres: create article: %w", err)
	}
	return stored, nil
}

// UpdateArticle implements kb.Store.
func (s *KB) UpdateArticle(ctx context.Context, a kb.Article) (kb.Article, error) {
	if err := kb.Validate(a); err != nil {
		return kb.Article{}, err
	}
	if !validID(a.ID) {
		return kb.Article{}, kb.ErrArticleNotFound
	}
	rows, _ := s.db.pool.Query(ctx, `
		UPDATE kb_articles
		SET slug = $2, title = $3, body = $4, answer = $5, tags = $6, updated_at = now()
		WHERE id = $1
		RETURNING `+articleColumns,
		a.ID, a.Slug, a.Title, a.Body, a.Answer, a.Tags)
	stored, err := pgx.CollectExactlyOneRow(rows, scanArticle)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return kb.Article{}, kb.ErrArticleNotFound
	case isUniqueViolation(err, "kb_articles_slug_key"):
		return kb.Article{}, fmt.Errorf("%w: %q", kb.ErrSlugTaken, a.Slug)
	case isInvalidData(err): // text PostgreSQL cannot hold (a NUL byte, say)
		return kb.Article{}, fmt.Errorf("%w: %s: %w", kb.ErrInvalidArticle, a.Slug, err)
	case err != nil:
		return kb.Article{}, fmt.Errorf("postgres: update article %d: %w", a.ID, err)
	}
	return stored, nil
}

// SeedKB upserts articles by slug: a new slug is inserted, with the
// article's own ID when no other article holds it (the shipped articles
// keep the IDs of their files) and a new one otherwise; a known slug keeps
// its ID and takes the other fields, and is not written at all when they
// are the same. Running it twice leaves the same rows. Articles not in the
// list are left alone. It runs in one transaction and fails as a whole on
// an invalid article or a slug given twice.
func (s *KB) SeedKB(ctx context.Context, articles []kb.Article) error {
	seen := make(map[string]bool, len(articles))
	for _, a := range articles {
		if err := kb.Validate(a); err != nil {
			return fmt.Errorf("postgres: seed kb: %w", err)
		}
		if seen[a.Slug] {
			return fmt.Errorf("postgres: seed kb: %w: slug %q given twice", kb.ErrInvalidArticle, a.Slug)
		}
		seen[a.Slug] = true
	}
	maxID := 0
	for _, a := range articles {
		maxID = max(maxID, a.ID)
	}
	b := &pgx.Batch{}
	// The table is locked against other writers (seeds and CreateArticle)
	// until the end, so that no one else takes an ID between the check
	// that it is free and the insert. An article whose ID is taken gets
	// one from the sequence, moved first past every ID of the seed, so
	// that it cannot take the ID of an article later in the list.
	b.Queue(`LOCK TABLE kb_articles IN SHARE ROW EXCLUSIVE MODE`)
	b.Queue(`SELECT setval(pg_get_serial_sequence('kb_articles', 'id'),
		greatest($1, (SELECT max(id) FROM kb_articles), 1))`, maxID)
	for _, a := range articles {
		b.Queue(`
			INSERT INTO kb_articles (id, slug, title, body, answer, tags)
			VALUES (
				CASE WHEN $1 > 0 AND NOT EXISTS (SELECT 1 FROM kb_articles WHERE id = $1)
					THEN $1 ELSE nextval(pg_get_serial_sequence('kb_articles', 'id')) END,
				$2, $3, $4, $5, $6)
			ON CONFLICT (slug) DO UPDATE SET
				title = excluded.title, body = excluded.body, answer = excluded.answer,
				tags = excluded.tags, updated_at = now()
			WHERE (kb_articles.title, kb_articles.body, kb_articles.answer, kb_articles.tags)
				IS DISTINCT FROM (excluded.title, excluded.body, excluded.answer, excluded.tags)`,
			a.ID, a.Slug, a.Title, a.Body, a.Answer, a.Tags)
	}
	// Back to the largest ID in use, for CreateArticle.
	b.Queue(`
		SELECT setval(pg_get_serial_sequence('kb_articles', 'id'), max(id))
		FROM kb_articles HAVING max(id) IS NOT NULL`)
	err := pgx.BeginFunc(ctx, s.db.pool, func(tx pgx.Tx) error {
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return fmt.Errorf("postgres: seed kb: %w", err)
	}
	return nil
}

// DefaultMinScore is the score below which Search leaves a hit out. Like
// kb.DefaultMinScore it is tuned on the shipped articles and the questions
// of kb's testdata/queries.json, on the scale of searchSQL: a word that is
// rare in the base, found in an article's title or tags, scores 0.6 or
// more alone ("грыжа" 1.0, "давление" 0.77, "хранение" 0.66); a word found
// in most articles scores under 0.35 ("шины" 0.06, "шиномонтаж" 0.23,
// "заказ" 0.32), so a question made of such words alone finds nothing, and
// neither does small talk that touches a common word ("какой сегодня
// день"). The expected articles of queries.json score 0.7 or more.
const DefaultMinScore = 0.35

// searchSQL ranks the articles for the terms of a question ($1: each
// term's canonical stem, from kb.Analyze; $2: each term's words as the
// caller said them, joined by spaces; $3: the minimum score; $4: the
// limit).
//
// Each term becomes a tsquery that ORs its alternatives: the lexemes the
// 'russian' configuration gives its words, and the canonical stem, which
// carries kb's synonyms ("питер" finds "петербург", "ранфлет" finds
// "ранфлэт"). The question is the OR of its terms: an article needs only
// some of them, as a caller's question has words no article has. An
// article's score is the sum over the terms it matches of
//
//	idf(term) * ts_rank_cd(weights, search, term, 1|32)
//
// ts_rank_cd weighs where the term is, with PostgreSQL's default weights
// (title and tags A = 1.0, answer B = 0.4, body C = 0.2), and how often it
// is there; normalisation 1 divides that by 1 + log(the article's length)
// and 32 maps it to rank/(rank+1), so repeating a word in an article
// saturates, as in BM25. idf is BM25's inverse document frequency of the
// term among the articles: a word in most articles ("шина") counts little,
// a rare one ("грыжа") much. Without it, ranking the OR query as a whole
// lets "шины", in almost every title, outweigh the one word of the
// question that names its topic.
//
// Lexemes are quoted for the tsquery input syntax (quotes and backslashes
// doubled), so no text of the caller's is read as a tsquery operator.
const searchSQL = `
WITH terms AS (
	SELECT (
		SELECT string_agg('''' || replace(replace(l, '\', '\\'), '''', '''''') || '''', ' | ')::tsquery
		FROM (
			SELECT unnest(tsvector_to_array(to_tsvector('russian', kb_fold(t.words))))
			UNION
			SELECT t.canon
		) AS alts (l)
	) AS q
	FROM unnest($1::text[], $2::text[]) AS t (canon, words)
),
total AS (
	SELECT count(*)::float8 AS n FROM kb_articles
),
weighted AS (
	SELECT terms.q, ln(1 + (total.n - df.n + 0.5) / (df.n + 0.5)) AS idf
	FROM terms
	CROSS JOIN total
	CROSS JOIN LATERAL (SELECT count(*)::float8 AS n FROM kb_articles WHERE search @@ terms.q) AS df
	WHERE df.n > 0
),
scored AS (
	SELECT a.id, sum(w.idf * ts_rank_cd('{0.1, 0.2, 0.4, 1.0}', a.search, w.q, 1 | 32)) AS score
	FROM weighted AS w
	JOIN kb_articles AS a ON a.search @@ w.q
	GROUP BY a.id
)
SELECT a.id, a.slug, a.title, a.body, a.answer, a.tags, s.score
FROM scored AS s
JOIN kb_articles AS a USING (id)
WHERE s.score > 0 AND s.score >= $3
ORDER BY s.score DESC, a.id
LIMIT $4`

// Search implements kb.Searcher: Russian full-text search over title and
// tags, answer and body, with the stop words and synonyms of package kb.
// See searchSQL for the ranking. The hits' Scores are on the scale of
// DefaultMinScore.
func (s *KB) Search(ctx context.Context, query string, limit int) ([]kb.Hit, error) {
	if limit < 1 {
		return nil, kb.ErrInvalidLimit
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	canons, words := questionTerms(query)
	if len(canons) == 0 {
		return nil, nil
	}
	rows, _ := s.db.pool.Query(ctx, searchSQL, canons, words, s.minScore, limit)
	hits, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (kb.Hit, error) {
		var h kb.Hit
		err := row.Scan(&h.ID, &h.Slug, &h.Title, &h.Body, &h.Answer, &h.Tags, &h.Score)
		return h, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: search kb: %w", err)
	}
	if len(hits) == 0 {
		return nil, nil
	}
	return hits, nil
}

// questionTerms splits a question into the terms of searchSQL: its words
// (runs of letters or of digits, as kb.Analyze splits them) grouped by the
// canonical stem kb.Analyze gives each, stop words and fillers ("скажите",
// "сколько") left out. Two words with one canonical stem are one term, as
// in kb.Memory: a question is not about delivery twice as much for saying
// "доставка" and "привезти".
func questionTerms(q string) (canons, words []string) {
	byCanon := map[string][]string{}
	for _, w := range splitWords(q) {
		ts := kb.Analyze(w)
		if len(ts) != 1 { // a stop word
			continue
		}
		if _, ok := byCanon[ts[0]]; !ok {
			canons = append(canons, ts[0])
		}
		if !slices.Contains(byCanon[ts[0]], w) {
			byCanon[ts[0]] = append(byCanon[ts[0]], w)
		}
	}
	for _, c := range canons {
		words = append(words, strings.Join(byCanon[c], " "))
	}
	return canons, words
}

// splitWords returns the runs of letters and the runs of digits of s,
// lower-cased, "ё" read as "е".
func splitWords(s string) []string {
	s = strings.ReplaceAll(strings.ToLower(s), "ё", "е")
	var out []string
	start, kind := -1, 0 // kind: 0 none, 1 letters, 2 digits
	for i, r := range s {
		k := 0
		switch {
		case unicode.IsLetter(r):
			k = 1
		case unicode.IsDigit(r):
			k = 2
		}
		if k == kind {
			continue
		}
		if start >= 0 {
			out = append(out, s[start:i])
			start = -1
		}
		kind = k
		if k != 0 {
			start = i
		}
	}
	if start >= 0 {
		out = append(out, s[start:])
	}
	return out
}
