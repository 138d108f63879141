// Package kb is the shop's knowledge base: short Russian articles about
// delivery, payment, warranty, returns, storage, fitting and the rules of
// the road for tires, each with an answer phrased for the ear, and a
// Searcher that finds the article a caller's question is about.
//
// The articles are embedded in the binary (articles/*.md) and loaded with
// Load. Memory searches them in process; a PostgreSQL full-text index of
// the same articles is the other Searcher. Both are held to the same
// query set (testdata/queries.json). Tool exposes a Searcher to the
// language model and the rule engine as the "search_kb" tool.
package kb

import (
	"bufio"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxAnswerRunes bounds Article.Answer: about ten seconds of speech.
const MaxAnswerRunes = 220

// Article is one knowledge-base entry.
type Article struct {
	ID     int      // stable, positive, unique; kept across edits (a database key)
	Slug   string   // stable, unique, lower-case latin words joined by "-": "tire-storage"
	Title  string   // the question or topic, in Russian
	Body   string   // the full text, plain Russian paragraphs, for the model and the operator
	Answer string   // one or two short sentences read aloud: one line, at most MaxAnswerRunes, no URLs or lists
	Tags   []string // lower-case Russian keywords, at least one
}

// ErrInvalidArticle is wrapped by every error Load returns for a file that
// breaks the format or the rules of Article.
var ErrInvalidArticle = errors.New("kb: invalid article")

//go:embed articles/*.md
var articleFS embed.FS

// Load parses the embedded articles, ordered by ID. It fails if any file
// breaks the format or the rules of Article, or if two articles share an
// ID or a slug; the error names the file. Each call returns fresh slices
// the caller may keep and modify.
func Load() ([]Article, error) {
	return loadFS(articleFS, "articles")
}

// loadFS reads every *.md file in dir of fsys.
func loadFS(fsys fs.FS, dir string) ([]Article, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.md"))
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%w: no articles in %s", ErrInvalidArticle, dir)
	}
	var out []Article
	byID := map[int]string{}
	bySlug := map[string]string{}
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		a, err := parse(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if prev, dup := byID[a.ID]; dup {
			return nil, fmt.Errorf("%s: %w: id %d already used by %s", name, ErrInvalidArticle, a.ID, prev)
		}
		if prev, dup := bySlug[a.Slug]; dup {
			return nil, fmt.Errorf("%s: %w: slug %q already used by %s", name, ErrInvalidArticle, a.Slug, prev)
		}
		byID[a.ID], bySlug[a.Slug] = name, name
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b Article) int { return a.ID - b.ID })
	return out, nil
}

var (
	slugRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	// Things a voice cannot read out: links, list markers, table rules,
	// markup.
	unspeakableRE = regexp.MustCompile(`(?i)https?:|www\.|[|*#_<>\[\]{}]|^\s*[-•]`)
)

// parse reads one article:
//
//	---
//	id: 7
//	slug: tire-storage
//	title: Сезонное хранение шин
//	tags: хранение, шинный отель
//	answer: Хранение комплекта стоит от 2500 рублей за сезон.
//	---
//	Body paragraphs...
//
// Keys may come in any order; each is required once; values are one line.
func parse(data []byte) (Article, error) {
	if !utf8.Valid(data) {
		return Article{}, fmt.Errorf("%w: not UTF-8", ErrInvalidArticle)
	}
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	rest, ok := strings.CutPrefix(text, "---\n")
	if !ok {
		return Article{}, fmt.Errorf("%w: no front matter (want a first line \"---\")", ErrInvalidArticle)
	}
	head, body, ok := strings.Cut(rest, "\n---\n")
	if !ok {
		return Article{}, fmt.Errorf("%w: front matter not closed by \"---\"", ErrInvalidArticle)
	}
	fields := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(head))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			return Article{}, fmt.Errorf("%w: front matter line %d: want \"key: value\"", ErrInvalidArticle, n)
		}
		k = strings.TrimSpace(k)
		switch k {
		case "id", "slug", "title", "tags", "answer":
		default:
			return Article{}, fmt.Errorf("%w: unknown key %q", ErrInvalidArticle, k)
		}
		if _, dup := fields[k]; dup {
			return Article{}, fmt.Errorf("%w: key %q twice", ErrInvalidArticle, k)
		}
		fields[k] = strings.TrimSpace(v)
	}
	for _, k := range []string{"id", "slug", "title", "tags", "answer"} {
		if fields[k] == "" {
			return Article{}, fmt.Errorf("%w: %s is missing or empty", ErrInvalidArticle, k)
		}
	}
	a := Article{
		Slug:   fields["slug"],
		Title:  fields["title"],
		Answer: fields["answer"],
		Body:   strings.TrimSpace(body),
	}
	id, err := strconv.Atoi(fields["id"])
	if err != nil || id <= 0 {
		return Article{}, fmt.Errorf("%w: id %q is not a positive integer", ErrInvalidArticle, fields["id"])
	}
	a.ID = id
	for _, t := range strings.Split(fields["tags"], ",") {
		t = strings.TrimSpace(t)
		if t == "" {
			return Article{}, fmt.Errorf("%w: empty tag in %q", ErrInvalidArticle, fields["tags"])
		}
		if t != strings.ToLower(t) {
			return Article{}, fmt.Errorf("%w: tag %q is not lower-case", ErrInvalidArticle, t)
		}
		a.Tags = append(a.Tags, t)
	}
	if err := a.validate(); err != nil {
		return Article{}, err
	}
	return a, nil
}

// validate checks the rules of Article that do not span articles.
func (a Article) validate() error {
	switch {
	case !slugRE.MatchString(a.Slug):
		return fmt.Errorf("%w: slug %q: want lower-case latin words joined by \"-\"", ErrInvalidArticle, a.Slug)
	case a.Title == "":
		return fmt.Errorf("%w: %s: empty title", ErrInvalidArticle, a.Slug)
	case a.Body == "":
		return fmt.Errorf("%w: %s: empty body", ErrInvalidArticle, a.Slug)
	case a.Answer == "":
		return fmt.Errorf("%w: %s: empty answer", ErrInvalidArticle, a.Slug)
	case utf8.RuneCountInString(a.Answer) > MaxAnswerRunes:
		return fmt.Errorf("%w: %s: answer is %d characters, want at most %d", ErrInvalidArticle, a.Slug, utf8.RuneCountInString(a.Answer), MaxAnswerRunes)
	case unspeakableRE.MatchString(a.Answer):
		return fmt.Errorf("%w: %s: answer has a link, list or markup, which a voice cannot read", ErrInvalidArticle, a.Slug)
	case len(a.Tags) == 0:
		return fmt.Errorf("%w: %s: no tags", ErrInvalidArticle, a.Slug)
	}
	return nil
}
