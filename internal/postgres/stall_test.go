package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/tirevoice/assistant/internal/kb"
	"github.com/tirevoice/assistant/internal/postgres"
	"github.com/tirevoice/assistant/internal/postgres/pgtest"
)

// stalledDB returns the knowledge base of a migrated, seeded database
// reached through a proxy that holds every byte from the moment the
// function returns: a database that hangs rather than goes away. The pool
// has a connection open already, as a running processor's has.
func stalledDB(t *testing.T) (*postgres.KB, []kb.Article) {
	t.Helper()
	db, dsn := pgtest.Migrated(t)
	shipped, err := kb.Load()
	if err != nil {
		t.Fatal(err)
	}
	if err := db.KB().SeedKB(context.Background(), shipped); err != nil {
		t.Fatal(err)
	}
	proxy, proxied := pgtest.Proxy(t, dsn)
	through, err := postgres.Open(context.Background(), proxied)
	if err != nil {
		t.Fatal(err)
	}
	// Cleanups run last in, first out: the stall ends before the pool
	// closes, which waits for its connections.
	t.Cleanup(through.Close)
	t.Cleanup(proxy.Restore)
	if _, err := through.KB().Search(context.Background(), "хранение шин", 3); err != nil {
		t.Fatalf("search before the stall: %v", err)
	}
	proxy.Stall()
	return through.KB(), shipped
}

// TestSearchWhileTheDatabaseStalls: a search on a hung database returns at
// its context's deadline, on a pooled connection and on a new one alike,
// and the fallback answers from the shipped articles within its timeout.
func TestSearchWhileTheDatabaseStalls(t *testing.T) {
	t.Parallel()
	store, shipped := stalledDB(t)
	const timeout = 300 * time.Millisecond
	// The second search finds the pooled connection closed by the first
	// one's deadline and dials a new one through the stall.
	for i := range 2 {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		start := time.Now()
		_, err := store.Search(ctx, "хранение шин", 3)
		cancel()
		if took := time.Since(start); err == nil || took > timeout+time.Second {
			t.Fatalf("search %d on a stalled database: %v after %v, want an error at about %v", i+1, err, took, timeout)
		}
	}

	f := kb.NewFallback(store, kb.NewMemory(shipped), kb.FallbackConfig{Timeout: timeout})
	start := time.Now()
	hits, err := f.Search(context.Background(), "Сколько стоит хранение колёс?", 3)
	took := time.Since(start)
	if err != nil || len(hits) == 0 || hits[0].Slug != "tire-storage" {
		t.Fatalf("fallback search = %v, %v; want the shipped tire-storage article", hits, err)
	}
	if took < timeout || took > timeout+time.Second {
		t.Errorf("fallback answered after %v, want just over %v", took, timeout)
	}
}
