package kb_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tirevoice/assistant/internal/kb"
)

// searcherFunc is a kb.Searcher made of a function.
type searcherFunc func(ctx context.Context, query string, limit int) ([]kb.Hit, error)

func (f searcherFunc) Search(ctx context.Context, query string, limit int) ([]kb.Hit, error) {
	return f(ctx, query, limit)
}

// stalled is a primary that never answers: it returns only when its
// context ends, as a database behind a hung connection does.
var stalled = searcherFunc(func(ctx context.Context, _ string, _ int) ([]kb.Hit, error) {
	<-ctx.Done()
	return nil, ctx.Err()
})

func hitsOf(slug string) []kb.Hit { return []kb.Hit{{Article: kb.Article{Slug: slug}, Score: 1}} }

func TestFallback(t *testing.T) {
	local := searcherFunc(func(context.Context, string, int) ([]kb.Hit, error) { return hitsOf("local"), nil })
	tests := []struct {
		name     string
		primary  kb.Searcher
		deadline time.Duration // of the caller's context; 0 for none
		want     string        // slug of the answer
		took     time.Duration
		errors   int32
	}{
		{"primary answers", searcherFunc(func(context.Context, string, int) ([]kb.Hit, error) { return hitsOf("primary"), nil }), 0, "primary", 0, 0},
		{"primary fails", searcherFunc(func(context.Context, string, int) ([]kb.Hit, error) { return nil, errors.New("connection refused") }), 0, "local", 0, 1},
		{"primary stalls", stalled, 0, "local", 300 * time.Millisecond, 1},
		{"primary stalls near the turn's deadline", stalled, 200 * time.Millisecond, "local", 150 * time.Millisecond, 1},
		{"no time left for the primary", stalled, 40 * time.Millisecond, "local", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var errs atomic.Int32
				f := kb.NewFallback(tt.primary, local, kb.FallbackConfig{
					Timeout: 300 * time.Millisecond, Reserve: 50 * time.Millisecond,
					OnError: func() { errs.Add(1) },
				})
				ctx := context.Background()
				if tt.deadline > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tt.deadline)
					defer cancel()
				}
				start := time.Now()
				hits, err := f.Search(ctx, "хранение шин", 3)
				if err != nil || len(hits) != 1 || hits[0].Slug != tt.want {
					t.Fatalf("Search = %v, %v; want the %s answer", hits, err, tt.want)
				}
				if took := time.Since(start); took != tt.took {
					t.Errorf("took %v, want %v", took, tt.took)
				}
				if n := errs.Load(); n != tt.errors {
					t.Errorf("%d primary errors counted, want %d", n, tt.errors)
				}
			})
		})
	}
}

// TestFallbackCallerGivesUp: a search cancelled by its caller fails with
// the caller's error and counts nothing against the primary.
func TestFallbackCallerGivesUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var errs atomic.Int32
		f := kb.NewFallback(stalled, stalled, kb.FallbackConfig{OnError: func() { errs.Add(1) }})
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		if _, err := f.Search(ctx, "хранение шин", 3); !errors.Is(err, context.Canceled) {
			t.Errorf("Search after the caller gave up: %v", err)
		}
		if errs.Load() != 0 {
			t.Error("a search the caller cancelled was counted as a primary error")
		}
		if _, err := f.Search(context.Background(), "хранение шин", 0); !errors.Is(err, kb.ErrInvalidLimit) {
			t.Errorf("limit 0: %v", err)
		}
	})
}
