package api

import (
	"errors"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/tirevoice/assistant/internal/kb"
)

// ArticleView is a knowledge-base article as the API shows it.
type ArticleView struct {
	ID     int      `json:"id"`
	Slug   string   `json:"slug"`
	Title  string   `json:"title"`
	Body   string   `json:"body"`
	Answer string   `json:"answer"` // read aloud: one line, at most kb.MaxAnswerRunes
	Tags   []string `json:"tags"`
}

// ArticleInput is the body of POST and PUT /api/v1/kb/articles: an article
// without its ID, which the store assigns (POST) or the path names (PUT).
type ArticleInput struct {
	Slug   string   `json:"slug"`
	Title  string   `json:"title"`
	Body   string   `json:"body"`
	Answer string   `json:"answer"`
	Tags   []string `json:"tags"`
}

// ArticleList is the answer of GET /api/v1/kb/articles.
type ArticleList struct {
	Articles []ArticleView `json:"articles"` // by ID
}

// HitView is one search result.
type HitView struct {
	ArticleView
	Score float64 `json:"score"` // relevance within this answer, higher is better
}

// SearchResult is the answer of GET /api/v1/kb/search.
type SearchResult struct {
	Hits []HitView `json:"hits"` // best first
}

// Limits of the knowledge-base search; the spec states the same.
const (
	defaultSearchLimit = 5
	maxSearchLimit     = 50
	maxQueryRunes      = 500
)

func articleView(a kb.Article) ArticleView {
	tags := a.Tags
	if tags == nil {
		tags = []string{}
	}
	return ArticleView{ID: a.ID, Slug: a.Slug, Title: a.Title, Body: a.Body, Answer: a.Answer, Tags: tags}
}

func (in ArticleInput) article(id int) kb.Article {
	return kb.Article{ID: id, Slug: in.Slug, Title: in.Title, Body: in.Body, Answer: in.Answer, Tags: in.Tags}
}

// articleFailed answers a failed knowledge-base write or read.
func articleFailed(w http.ResponseWriter, r *http.Request, d Deps, what string, err error) {
	switch {
	case errors.Is(err, kb.ErrArticleNotFound):
		writeError(w, http.StatusNotFound, "not_found", "no article with this id")
	case errors.Is(err, kb.ErrSlugTaken):
		writeError(w, http.StatusConflict, "slug_taken", "another article has this slug")
	case errors.Is(err, kb.ErrInvalidArticle):
		writeError(w, http.StatusUnprocessableEntity, "invalid_article", err.Error())
	default:
		storeFailed(w, r, d.Logger, what, err)
	}
}

func handleArticles(d Deps) http.Handler {
	if d.KB == nil {
		return notConfigured("the knowledge base")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		as, err := d.KB.Articles(r.Context())
		if err != nil {
			storeFailed(w, r, d.Logger, "listing articles", err)
			return
		}
		out := ArticleList{Articles: make([]ArticleView, 0, len(as))}
		for _, a := range as {
			out.Articles = append(out.Articles, articleView(a))
		}
		writeJSON(w, http.StatusOK, out)
	})
}

func handleArticle(d Deps) http.Handler {
	if d.KB == nil {
		return notConfigured("the knowledge base")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(r)
		if !ok {
			badRequest(w, "id: want a positive integer")
			return
		}
		a, err := d.KB.Article(r.Context(), id)
		if err != nil {
			articleFailed(w, r, d, "reading an article", err)
			return
		}
		writeJSON(w, http.StatusOK, articleView(a))
	})
}

// handleCreateArticle adds an article: 201 with its Location.
func handleCreateArticle(d Deps) http.Handler {
	if d.KB == nil {
		return notConfigured("the knowledge base")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in ArticleInput
		if !decodeJSON(w, r, &in) {
			return
		}
		a, err := d.KB.CreateArticle(r.Context(), in.article(0))
		if err != nil {
			articleFailed(w, r, d, "creating an article", err)
			return
		}
		d.Logger.Info("article created", "article_id", a.ID, "slug", a.Slug)
		w.Header().Set("Location", "/api/v1/kb/articles/"+strconv.Itoa(a.ID))
		writeJSON(w, http.StatusCreated, articleView(a))
	})
}

// handleUpdateArticle replaces an article.
func handleUpdateArticle(d Deps) http.Handler {
	if d.KB == nil {
		return notConfigured("the knowledge base")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(r)
		if !ok {
			badRequest(w, "id: want a positive integer")
			return
		}
		var in ArticleInput
		if !decodeJSON(w, r, &in) {
			return
		}
		a, err := d.KB.UpdateArticle(r.Context(), in.article(id))
		if err != nil {
			articleFailed(w, r, d, "updating an article", err)
			return
		}
		d.Logger.Info("article updated", "article_id", a.ID, "slug", a.Slug)
		writeJSON(w, http.StatusOK, articleView(a))
	})
}

// handleSearchKB searches the knowledge base as the assistant does.
func handleSearchKB(d Deps) http.Handler {
	if d.KB == nil {
		return notConfigured("the knowledge base")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q, ok := queryParams(w, r, "q", "limit")
		if !ok {
			return
		}
		query := q.Get("q")
		if query == "" || utf8.RuneCountInString(query) > maxQueryRunes || !utf8.ValidString(query) {
			badRequest(w, "q: want 1 to %d characters", maxQueryRunes)
			return
		}
		limit, err := intParam(q, "limit", defaultSearchLimit, 1, maxSearchLimit)
		if err != nil {
			badRequest(w, "%v", err)
			return
		}
		hits, err := d.KB.Search(r.Context(), query, limit)
		if err != nil {
			storeFailed(w, r, d.Logger, "searching the knowledge base", err)
			return
		}
		out := SearchResult{Hits: make([]HitView, 0, len(hits))}
		for _, h := range hits {
			out.Hits = append(out.Hits, HitView{ArticleView: articleView(h.Article), Score: h.Score})
		}
		writeJSON(w, http.StatusOK, out)
	})
}
