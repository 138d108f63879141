package kb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
)

// queryCase is one line of testdata/queries.json: a caller's question and
// the article that must come first. Every Searcher is held to this file.
type queryCase struct {
	Query string `json:"query"`
	Slug  string `json:"slug"`
}

func loadQueries(t testing.TB) []queryCase {
	t.Helper()
	data, err := os.ReadFile("testdata/queries.json")
	if err != nil {
		t.Fatal(err)
	}
	var qs []queryCase
	if err := json.Unmarshal(data, &qs); err != nil {
		t.Fatal(err)
	}
	return qs
}

func newTestMemory(t testing.TB) *Memory {
	t.Helper()
	return NewMemory(mustLoad(t))
}

func TestQueriesRankExpectedFirst(t *testing.T) {
	m := newTestMemory(t)
	qs := loadQueries(t)
	if len(qs) < 10 {
		t.Fatalf("%d query pairs, want at least 10", len(qs))
	}
	slugs := map[string]bool{}
	for _, a := range m.docs {
		slugs[a.Slug] = true
	}
	for _, q := range qs {
		t.Run(q.Query, func(t *testing.T) {
			if !slugs[q.Slug] {
				t.Fatalf("no article %q", q.Slug)
			}
			hits, err := m.Search(context.Background(), q.Query, 3)
			if err != nil {
				t.Fatal(err)
			}
			if len(hits) == 0 || hits[0].Slug != q.Slug {
				t.Errorf("got %s, want %s first", describe(hits), q.Slug)
				return
			}
			t.Logf("%s", describe(hits))
		})
	}
}

func describe(hits []Hit) string {
	if len(hits) == 0 {
		return "no hits"
	}
	s := ""
	for i, h := range hits {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s %.2f", h.Slug, h.Score)
	}
	return s
}

func TestNoHits(t *testing.T) {
	m := newTestMemory(t)
	for _, q := range []string{
		"",
		"   ",
		"абырвалг",
		"фывапролдж ячсмить",
		"qwerty zxcvb",
		"а что если бы",       // stop words only
		"расскажите анекдот",  // nothing the shop knows about
		"какая завтра погода", // ditto
		"сколько будет дважды два",
	} {
		hits, err := m.Search(context.Background(), q, 5)
		if err != nil {
			t.Fatalf("%q: %v", q, err)
		}
		if len(hits) != 0 {
			t.Errorf("%q: got %s, want no hits", q, describe(hits))
		}
	}
}

func TestThreshold(t *testing.T) {
	arts := mustLoad(t)
	const q = "шины" // in nearly every article: matches, but weakly
	all, err := NewMemory(arts, WithMinScore(0)).Search(context.Background(), q, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) < len(arts)/2 {
		t.Fatalf("threshold 0: %d hits for %q, want most articles", len(all), q)
	}
	for _, h := range all {
		if h.Score <= 0 {
			t.Errorf("%s: score %v, want > 0", h.Slug, h.Score)
		}
	}
	def, err := NewMemory(arts).Search(context.Background(), q, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range def {
		if h.Score < DefaultMinScore {
			t.Errorf("%s: score %v below DefaultMinScore", h.Slug, h.Score)
		}
	}
}

func TestSearchLimit(t *testing.T) {
	m := newTestMemory(t)
	ctx := context.Background()
	const q = "сколько стоит шиномонтаж и хранение шин"
	all, err := m.Search(ctx, q, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) < 4 {
		t.Fatalf("%d hits for %q, want at least 4 to test limits", len(all), q)
	}
	for i := 1; i < len(all); i++ {
		if all[i].Score > all[i-1].Score {
			t.Fatalf("not ordered by score: %s", describe(all))
		}
	}
	for _, limit := range []int{1, 2, 3, len(all), len(all) + 5} {
		hits, err := m.Search(ctx, q, limit)
		if err != nil {
			t.Fatal(err)
		}
		want := all[:min(limit, len(all))]
		if len(hits) != len(want) {
			t.Fatalf("limit %d: %d hits, want %d", limit, len(hits), len(want))
		}
		for i := range hits {
			if hits[i].ID != want[i].ID || hits[i].Score != want[i].Score {
				t.Errorf("limit %d: hit %d is %s, want %s", limit, i, hits[i].Slug, want[i].Slug)
			}
		}
	}
	for _, limit := range []int{0, -1} {
		if _, err := m.Search(ctx, q, limit); !errors.Is(err, ErrInvalidLimit) {
			t.Errorf("limit %d: err = %v, want ErrInvalidLimit", limit, err)
		}
	}
}

func TestSearchCancelled(t *testing.T) {
	m := newTestMemory(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.Search(ctx, "хранение шин", 3); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestHitsAreCopies(t *testing.T) {
	arts := mustLoad(t)
	m := NewMemory(arts)
	arts[0].Title, arts[0].Tags[0] = "испорчено", "испорчено" // the caller's slice, after indexing
	hits, err := m.Search(context.Background(), "хранение шин", 1)
	if err != nil || len(hits) != 1 {
		t.Fatal(hits, err)
	}
	hits[0].Tags[0] = "испорчено"
	again, _ := m.Search(context.Background(), "хранение шин", 1)
	if slices.Contains(again[0].Tags, "испорчено") {
		t.Error("a hit shares Tags with the index")
	}
	for _, a := range m.docs {
		if a.Title == "испорчено" || slices.Contains(a.Tags, "испорчено") {
			t.Errorf("%s: the index shares memory with NewMemory's argument", a.Slug)
		}
	}
}

func TestEmptyMemory(t *testing.T) {
	hits, err := NewMemory(nil).Search(context.Background(), "хранение шин", 3)
	if err != nil || len(hits) != 0 {
		t.Fatalf("Search on an empty index = %v, %v", hits, err)
	}
}

// TestConcurrentSearch runs the query set from many goroutines; with -race
// it shows Search shares nothing mutable.
func TestConcurrentSearch(t *testing.T) {
	m := newTestMemory(t)
	qs := loadQueries(t)
	want := map[string]string{}
	for _, q := range qs {
		want[q.Query] = q.Slug
	}
	const workers = 8
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				q := qs[(w*7+i)%len(qs)]
				hits, err := m.Search(context.Background(), q.Query, 3)
				if err == nil && (len(hits) == 0 || hits[0].Slug != want[q.Query]) {
					err = fmt.Errorf("%q: got %s", q.Query, describe(hits))
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestAnalyze(t *testing.T) {
	tests := []struct {
		name string
		a, b string // must give the same terms
	}{
		{"inflection", "шипованные шины", "шипованных шин"},
		{"studs", "шипы", "шипованный"},
		{"yo", "колёса", "колеса"},
		{"case", "ХРАНЕНИЕ", "хранение"},
		{"fitting synonyms", "переобуть", "шиномонтаж"},
		{"storage synonyms", "хранить", "шинный отель"},
		{"delivery synonyms", "привезти", "доставка"},
		{"payment synonyms", "заплатить", "оплата"},
		{"returns synonyms", "вернуть", "возврат"},
		{"pressure synonyms", "подкачать", "давление"},
		{"spoken rim", "семнадцатом", "17"},
		{"city", "в Питере", "Санкт-Петербург"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := Analyze(tt.a), Analyze(tt.b)
			slices.Sort(a)
			slices.Sort(b)
			// "шинный отель" and "Санкт-Петербург" are two words for one
			// term each side may repeat; compare the sets.
			a, b = slices.Compact(a), slices.Compact(b)
			if !slices.Equal(a, b) && !(len(a) == 1 && slices.Contains(b, a[0])) {
				t.Errorf("Analyze(%q) = %q, Analyze(%q) = %q", tt.a, a, tt.b, b)
			}
		})
	}
	if got := Analyze("Подскажите, пожалуйста, а можно ли"); len(got) != 0 {
		t.Errorf("fillers gave terms %q", got)
	}
	if got := Analyze("205/55 R16 91V"); !slices.Equal(got, []string{"205", "55", "r", "16", "91", "v"}) {
		t.Errorf("size gave %q", got)
	}
}
