package kb

import (
	"context"
	"testing"
)

// BenchmarkSearch runs each query of testdata/queries.json in turn over
// the fixture set, as search_kb does (limit 3).
func BenchmarkSearch(b *testing.B) {
	m := NewMemory(mustLoad(b))
	qs := loadQueries(b)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := m.Search(ctx, qs[i%len(qs)].Query, 3); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkNewMemory indexes the fixture set.
func BenchmarkNewMemory(b *testing.B) {
	arts := mustLoad(b)
	b.ReportAllocs()
	for b.Loop() {
		NewMemory(arts)
	}
}

// BenchmarkLoad parses the embedded articles.
func BenchmarkLoad(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(); err != nil {
			b.Fatal(err)
		}
	}
}
