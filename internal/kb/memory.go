package kb

import (
	"cmp"
	"context"
	"errors"
	"math"
	"slices"
)

// Searcher finds the articles a caller's question is about.
type Searcher interface {
	// Search returns at most limit hits for query, best first, each with a
	// positive Score; articles the implementation judges unrelated are left
	// out, so a query about nothing in the base returns no hits and a nil
	// error. Scores compare hits of one query and one implementation only.
	// A limit below 1 is ErrInvalidLimit. A cancelled ctx is its error.
	// Implementations are safe for concurrent use.
	Search(ctx context.Context, query string, limit int) ([]Hit, error)
}

// Hit is an article found by a search.
type Hit struct {
	Article
	Score float64 // relevance, higher is better; see Searcher
}

// ErrInvalidLimit is returned by Search for a limit below 1.
var ErrInvalidLimit = errors.New("kb: search limit must be at least 1")

// Ranking parameters of Memory (BM25F).
const (
	k1 = 1.2 // term-frequency saturation

	// DefaultMinScore is Memory's default threshold: hits scoring below it
	// are left out. It is tuned on the fixture set (37 articles): a query
	// word found once in the body of one to four articles scores 2 to 3.2,
	// in the title of up to ten articles about 2.5 or more; a word found in
	// most articles ("шина", "заказ") scores under 1.5, so a query made of
	// such words alone finds nothing, and neither does a word-salad query
	// that happens to touch one article's body in passing. The expected
	// articles of testdata/queries.json score 3 or more.
	DefaultMinScore = 2.0
)

// field is one indexed part of an article, with its weight and length
// normalisation.
type field struct {
	weight float64
	b      float64 // 0: length ignored, 1: fully normalised by length
}

// The fields Memory indexes: title, tags, body. A word in the title counts
// three times one in the body, a tag twice; the body, being long, is
// normalised most by its length.
const (
	titleWeight, titleB = 3.0, 0.3
	tagsWeight, tagsB   = 2.0, 0.3
	bodyWeight, bodyB   = 1.0, 0.75
)

const numFields = 3

// posting is one term's frequency in each field of one article.
type posting struct {
	doc int // index in Memory.docs
	tf  [numFields]float64
}

// Memory is an in-memory Searcher over a fixed set of articles: Russian
// analysis (see Analyze) and BM25F ranking over title, tags and body. It
// is immutable after NewMemory and safe for concurrent use.
type Memory struct {
	docs     []Article
	lens     [][numFields]float64 // terms per field, per doc
	avgLen   [numFields]float64
	postings map[string][]posting
	fields   [numFields]field
	minScore float64
	an       *analyzer
}

var _ Searcher = (*Memory)(nil)

// Option configures a Memory.
type Option func(*Memory)

// WithMinScore sets the score below which hits are left out
// (DefaultMinScore when not given; 0 keeps every article that shares a
// term with the query).
func WithMinScore(s float64) Option {
	return func(m *Memory) { m.minScore = s }
}

// NewMemory indexes articles. It keeps its own copy of them; the hits it
// returns are copies too.
func NewMemory(articles []Article, opts ...Option) *Memory {
	m := &Memory{
		docs:     make([]Article, len(articles)),
		lens:     make([][numFields]float64, len(articles)),
		postings: map[string][]posting{},
		fields:   [numFields]field{{titleWeight, titleB}, {tagsWeight, tagsB}, {bodyWeight, bodyB}},
		minScore: DefaultMinScore,
		an:       defaultAnalyzer(),
	}
	for _, o := range opts {
		o(m)
	}
	for i, a := range articles {
		a.Tags = slices.Clone(a.Tags)
		m.docs[i] = a
	}
	var terms []string
	for d, a := range m.docs {
		tf := map[string]*posting{}
		texts := [numFields][]string{{a.Title}, a.Tags, {a.Body}}
		for f, parts := range texts {
			for _, t := range parts {
				terms = m.an.terms(t, terms[:0])
				m.lens[d][f] += float64(len(terms))
				for _, term := range terms {
					p := tf[term]
					if p == nil {
						p = &posting{doc: d}
						tf[term] = p
					}
					p.tf[f]++
				}
			}
			m.avgLen[f] += m.lens[d][f]
		}
		for term, p := range tf {
			m.postings[term] = append(m.postings[term], *p)
		}
	}
	for f := range m.avgLen {
		if n := len(m.docs); n > 0 {
			m.avgLen[f] /= float64(n)
		}
		if m.avgLen[f] == 0 {
			m.avgLen[f] = 1
		}
	}
	return m
}

// Len returns the number of articles indexed.
func (m *Memory) Len() int { return len(m.docs) }

// Search implements Searcher. Each distinct term of the query adds its
// BM25F score to every article that has it; a term repeated in the query
// counts once.
func (m *Memory) Search(ctx context.Context, query string, limit int) ([]Hit, error) {
	if limit < 1 {
		return nil, ErrInvalidLimit
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	terms := m.an.terms(query, nil)
	slices.Sort(terms)
	terms = slices.Compact(terms)

	scores := make([]float64, len(m.docs))
	n := float64(len(m.docs))
	for _, term := range terms {
		ps := m.postings[term]
		if len(ps) == 0 {
			continue
		}
		df := float64(len(ps))
		idf := math.Log(1 + (n-df+0.5)/(df+0.5))
		for _, p := range ps {
			var w float64 // length-normalised, field-weighted frequency
			for f, fd := range m.fields {
				if p.tf[f] == 0 {
					continue
				}
				norm := 1 - fd.b + fd.b*m.lens[p.doc][f]/m.avgLen[f]
				w += fd.weight * p.tf[f] / norm
			}
			scores[p.doc] += idf * w * (k1 + 1) / (w + k1)
		}
	}

	var hits []Hit
	for d, s := range scores {
		if s > 0 && s >= m.minScore {
			hits = append(hits, Hit{Article: m.docs[d], Score: s})
		}
	}
	slices.SortFunc(hits, func(a, b Hit) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	if len(hits) > limit {
		hits = hits[:limit]
	}
	for i := range hits {
		hits[i].Tags = slices.Clone(hits[i].Tags) // the caller's to keep
	}
	return hits, nil
}
