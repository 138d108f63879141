package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tirevoice/assistant/internal/kb"
	"github.com/tirevoice/assistant/internal/postgres/pgtest"
)

// BenchmarkSaveCall writes a call with two turns and a tool call, each
// time a new one: the work of one finished call.
func BenchmarkSaveCall(b *testing.B) {
	db, _ := pgtest.Migrated(b)
	ctx := context.Background()
	start := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	for b.Loop() {
		if err := db.Calls().SaveCall(ctx, record(uuid.NewString(), start)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkKBSearch is one knowledge-base question over the shipped
// articles.
func BenchmarkKBSearch(b *testing.B) {
	db, _ := pgtest.Migrated(b)
	ctx := context.Background()
	articles, err := kb.Load()
	if err != nil {
		b.Fatal(err)
	}
	if err := db.KB().SeedKB(ctx, articles); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		hits, err := db.KB().Search(ctx, "сколько стоит хранение колёс зимой", 3)
		if err != nil || len(hits) == 0 {
			b.Fatal(hits, err)
		}
	}
}
