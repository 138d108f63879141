package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tirevoice/assistant/internal/api"
	"github.com/tirevoice/assistant/internal/call"
	"github.com/tirevoice/assistant/internal/config"
	"github.com/tirevoice/assistant/internal/kb"
	"github.com/tirevoice/assistant/internal/limits"
	"github.com/tirevoice/assistant/internal/live"
	"github.com/tirevoice/assistant/internal/memstore"
	"github.com/tirevoice/assistant/internal/metrics"
	"github.com/tirevoice/assistant/internal/operators"
	"github.com/tirevoice/assistant/internal/postgres"
	"github.com/tirevoice/assistant/internal/spool"
)

// backends are where the processor keeps things: call records, the
// knowledge base and the operators (PostgreSQL, or memory on embedded
// defaults), and live state and LLM limits (Redis, or per process).
type backends struct {
	calls     call.Store // the read side, for the API
	record    func(ctx context.Context, rec *call.Record)
	kb        kb.Store
	searcher  kb.Searcher // the bot's knowledge-base search
	operators operators.Store
	live      live.Store
	limiter   limits.Limiter
	checks    []api.Check
	storage   string // for the start-up log
	state     string

	// checkpoint keeps the record of a call in progress where the next
	// start finds it if the process dies; nil without a spool.
	checkpoint func(rec *call.Record)

	run   []func(ctx context.Context) // background work until shutdown
	close []func(ctx context.Context) // at shutdown, in order
}

// recentCalls is how many finished calls the in-memory store keeps.
const recentCalls = 1000

func openBackends(ctx context.Context, cfg config.Config, log *slog.Logger, m *metrics.Metrics) (_ *backends, err error) {
	// b is not the named result: `return nil, err` would set that to nil
	// before the deferred shutdown runs.
	b := &backends{}
	defer func() {
		if err != nil {
			b.shutdown(context.Background())
		}
	}()
	if err := b.openDatabase(ctx, cfg, log, m); err != nil {
		return nil, err
	}
	if err := b.openRedis(ctx, cfg, log, m); err != nil {
		return nil, err
	}
	return b, nil
}

func (b *backends) openDatabase(ctx context.Context, cfg config.Config, log *slog.Logger, m *metrics.Metrics) error {
	d := cfg.Database
	if d.URL == "" {
		calls := memstore.NewCalls(recentCalls)
		articles, err := kb.Load()
		if err != nil {
			return err
		}
		store := kb.NewMemoryStore(articles)
		b.calls, b.kb, b.searcher, b.operators = calls, store, store, operators.NewMemory()
		b.record = func(ctx context.Context, rec *call.Record) {
			if err := calls.SaveCall(ctx, rec); err != nil {
				log.Error("call record not saved", "call_id", rec.ID, "err", err)
			}
		}
		b.storage = fmt.Sprintf("in memory: the last %d calls, the shipped knowledge base (no DATABASE_URL)", recentCalls)
		return nil
	}
	if d.MigrateOnStart {
		version, err := migrate(ctx, d.URL, cfg.Environment)
		if err != nil {
			return fmt.Errorf("DATABASE_MIGRATE_ON_START: migrating DATABASE_URL: %w", err)
		}
		log.Info("database migrated", "version", version)
	}
	db, err := postgres.Open(ctx, d.URL)
	if err != nil {
		return fmt.Errorf("DATABASE_URL: %w", err)
	}
	b.close = append(b.close, func(context.Context) { db.Close() })
	b.calls, b.kb, b.operators = db.Calls(), db.KB(), db.Operators()
	shipped, err := kb.Load()
	if err != nil {
		return err
	}
	b.searcher = kb.NewFallback(db.KB(), kb.NewMemory(shipped), kb.FallbackConfig{
		Timeout: d.CallTimeout, Logger: log,
		OnError: func() { m.DependencyError.WithLabelValues("database").Inc() },
	})
	b.checks = append(b.checks, api.Check{Name: "database", Required: cfg.Requires("database"), Probe: db.Ping})

	sp, err := spool.Open(spool.Config{
		Dir: d.SpoolDir, MaxRecords: d.SpoolMaxRecords, MaxBytes: int64(d.SpoolMaxBytes), RetryMax: d.SpoolRetryMax, Logger: log,
		Waiting: m.RecordsWaiting, Written: m.RecordsWritten, Failed: m.RecordsFailed,
	}, recordSink{db.Calls()})
	if err != nil {
		return fmt.Errorf("RECORD_SPOOL_DIR: %w", err)
	}
	b.record = func(_ context.Context, rec *call.Record) {
		_ = sp.Put(rec) // a lost record is logged and counted by the spool
	}
	b.checkpoint = func(rec *call.Record) {
		_ = sp.Checkpoint(rec) // logged by the spool; the previous checkpoint stays
	}
	// Calls an earlier run was holding when it died count as finished now,
	// when their records are found.
	m.Calls.WithLabelValues(metrics.OutcomeInterrupted).Add(float64(sp.Recovered()))
	b.run = append(b.run, sp.Run)
	// Flush before the pool closes (close runs in order).
	b.close = append([]func(context.Context){func(ctx context.Context) {
		fctx, cancel := context.WithTimeout(ctx, d.SpoolFlush)
		defer cancel()
		if left, err := sp.Flush(fctx); left > 0 {
			log.Warn("call records left in the spool for the next start", "records", left, "dir", d.SpoolDir, "err", err)
		}
	}}, b.close...)
	if d.Retention > 0 {
		b.run = append(b.run, func(ctx context.Context) { retain(ctx, db.Calls(), d.Retention, d.RetentionEvery, log) })
	}
	if sp.Len() > 0 {
		log.Info("call records waiting in the spool from an earlier run", "records", sp.Len(), "interrupted_calls", sp.Recovered())
	}
	b.storage = "postgresql, records spooled in " + d.SpoolDir
	return b.seedKB(ctx, log)
}

// seedKB gives an empty knowledge base the shipped articles, so that a new
// installation answers questions from its first call.
func (b *backends) seedKB(ctx context.Context, log *slog.Logger) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	have, err := b.kb.Articles(ctx)
	if err != nil {
		log.Warn("knowledge base not readable at start-up", "err", err)
		return nil // the database may come back; calls go on
	}
	if len(have) > 0 {
		return nil
	}
	articles, err := kb.Load()
	if err != nil {
		return err
	}
	if err := b.kb.(*postgres.KB).SeedKB(ctx, articles); err != nil {
		log.Warn("knowledge base not seeded", "err", err)
		return nil
	}
	log.Info("knowledge base was empty: loaded the shipped articles", "articles", len(articles))
	return nil
}

func (b *backends) openRedis(ctx context.Context, cfg config.Config, log *slog.Logger, m *metrics.Metrics) error {
	r := cfg.Redis
	lc := limits.Config{RequestsPerMinute: cfg.Claude.RequestsPerMinute, TokensPerDay: cfg.Claude.TokensPerDay}
	local := limits.NewLocal(lc, time.Now)
	if r.URL == "" {
		b.live, b.limiter = live.NewMemory(live.MemoryOptions{}), local
		b.state = "in memory, this instance only (no REDIS_URL)"
		return nil
	}
	client, err := live.Dial(r.URL, r.CallTimeout)
	if err != nil {
		return fmt.Errorf("REDIS_URL: %w", err)
	}
	b.close = append(b.close, func(context.Context) { client.Close() })
	onError := func() { m.DependencyError.WithLabelValues("redis").Inc() }
	store := live.NewFallback(live.NewRedis(client, live.RedisOptions{Prefix: r.Prefix}), live.NewMemory(live.MemoryOptions{}), log, onError)
	b.live = store
	clearStaleSessions(ctx, store, instanceName(cfg), log)
	b.limiter = limits.NewShared(limits.NewRedis(client, lc, r.Prefix, time.Now), local, log, onError)
	b.checks = append(b.checks, api.Check{Name: "redis", Required: cfg.Requires("redis"), Probe: store.Ping})
	b.state = "redis at " + redisHost(client)
	return nil
}

// clearStaleSessions removes from the live state the sessions this
// instance still holds there: before its first call, they can only be
// those of a previous run killed mid-call, which would otherwise show as
// live calls until their TTL.
func clearStaleSessions(ctx context.Context, store *live.Fallback, instance string, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	n, err := store.ClearInstance(ctx, instance)
	switch {
	case err != nil:
		log.Warn("live sessions of an earlier run not cleared; they expire by themselves", "instance", instance, "err", err)
	case n > 0:
		log.Info("live sessions of an earlier run cleared", "instance", instance, "sessions", n)
	}
}

// redisHost is the server's address, never the URL (it may hold a password).
func redisHost(c *redis.Client) string { return c.Options().Addr }

func (b *backends) shutdown(ctx context.Context) {
	for _, f := range b.close {
		f(ctx)
	}
	b.close = nil
}

// recordSink writes spooled records to PostgreSQL, telling the spool which
// failures no retry will cure.
type recordSink struct{ calls *postgres.Calls }

func (s recordSink) SaveCall(ctx context.Context, rec *call.Record) error {
	err := s.calls.SaveCall(ctx, rec)
	if errors.Is(err, postgres.ErrInvalidRecord) {
		return spool.Permanent(err)
	}
	return err
}

// retain deletes the calls older than keep, every interval, until ctx ends.
func retain(ctx context.Context, calls *postgres.Calls, keep, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		n, err := calls.DeleteCallsBefore(ctx, time.Now().Add(-keep))
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("retention: old calls not deleted", "err", err)
		case n > 0:
			log.Info("retention: old calls deleted", "calls", n, "older_than", keep.String())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// migrate applies the embedded migrations and marks a new database with
// the environment it belongs to (the seeder checks the mark).
func migrate(ctx context.Context, dsn, environment string) (uint, error) {
	version, err := postgres.Migrate(ctx, dsn)
	if err != nil {
		return 0, err
	}
	db, err := postgres.Open(ctx, dsn)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	mark, err := db.EnvironmentMark(ctx)
	if err != nil {
		return 0, err
	}
	if mark == "" {
		if err := db.SetEnvironmentMark(ctx, environment); err != nil {
			return 0, err
		}
	}
	return version, nil
}

// instanceName is INSTANCE_ID, else the host name.
func instanceName(cfg config.Config) string {
	if cfg.Redis.Instance != "" {
		return cfg.Redis.Instance
	}
	host, err := os.Hostname()
	if err != nil {
		return "call-processor"
	}
	return strings.ToLower(host)
}
