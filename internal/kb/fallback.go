package kb

import (
	"context"
	"log/slog"
	"time"
)

// Defaults of FallbackConfig.
const (
	DefaultPrimaryTimeout = 300 * time.Millisecond
	DefaultLocalReserve   = 50 * time.Millisecond
)

// FallbackConfig configures a Fallback. Zero values take the defaults.
type FallbackConfig struct {
	// Timeout bounds one search of the primary: a database that hangs
	// costs a caller's question this much, then the local articles
	// answer. Default DefaultPrimaryTimeout.
	Timeout time.Duration
	// Reserve is kept for the local search before the deadline of the
	// search's context (the turn's): the primary gets at most what is left
	// after it. Default DefaultLocalReserve; the local search takes well
	// under a millisecond.
	Reserve time.Duration
	Logger  *slog.Logger // default: discard
	OnError func()       // called once per primary search that failed; may be nil
}

// Fallback is a Searcher that asks a primary (the editable base in
// PostgreSQL) and, when the primary fails or does not answer within its
// deadline, a local one (the articles shipped with the binary), so that a
// caller's question is answered while the database is down or stalled.
type Fallback struct {
	primary, local Searcher
	cfg            FallbackConfig
}

var _ Searcher = (*Fallback)(nil)

// NewFallback returns a Fallback over primary and local.
func NewFallback(primary, local Searcher, cfg FallbackConfig) *Fallback {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultPrimaryTimeout
	}
	if cfg.Reserve <= 0 {
		cfg.Reserve = DefaultLocalReserve
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.OnError == nil {
		cfg.OnError = func() {}
	}
	return &Fallback{primary: primary, local: local, cfg: cfg}
}

// Search implements Searcher. The primary gets Timeout, or less when ctx
// ends sooner (less Reserve); if it fails, the local searcher answers. Only
// ctx's own end makes Search fail (and an invalid limit).
func (f *Fallback) Search(ctx context.Context, query string, limit int) ([]Hit, error) {
	if limit < 1 {
		return nil, ErrInvalidLimit
	}
	if budget := f.budget(ctx); budget > 0 {
		pctx, cancel := context.WithTimeout(ctx, budget)
		hits, err := f.primary.Search(pctx, query, limit)
		cancel()
		if err == nil {
			return hits, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err() // the caller gave up: says nothing about the primary
		}
		f.cfg.OnError()
		f.cfg.Logger.Warn("knowledge base search fell back to the shipped articles", "err", err, "timeout", budget.String())
	}
	return f.local.Search(ctx, query, limit)
}

// budget is the primary's share of the time ctx has left.
func (f *Fallback) budget(ctx context.Context) time.Duration {
	d := f.cfg.Timeout
	if deadline, ok := ctx.Deadline(); ok {
		d = min(d, time.Until(deadline)-f.cfg.Reserve)
	}
	return d
}
