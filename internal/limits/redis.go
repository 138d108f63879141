package limits

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultPrefix starts the keys of a Redis limiter when none is given.
const DefaultPrefix = "tirevoice:"

// Time to live of the counters: long enough to outlast their window on
// every instance's clock, short enough that old windows go away.
const (
	minuteKeyTTL = 120 * time.Second
	dayKeyTTL    = 48 * time.Hour
)

// Redis is a Limiter whose counts live in Redis, shared by every instance
// that uses the same prefix, with the windows of the package
// documentation. Its keys, under the prefix:
//
//	llm:rpm:<unix minute>   requests allowed in that UTC minute (TTL 120 s)
//	llm:tpd:<YYYY-MM-DD>    tokens spent on that UTC day (TTL 48 h)
//
// The window is chosen by the limiter's clock, so every instance should
// keep time with NTP. Allow reads the day's tokens and counts the request
// in one script, so with Redis Cluster the prefix needs a hash tag
// ("{tirevoice}:").
type Redis struct {
	c      redis.UniversalClient
	cfg    Config
	prefix string
	now    func() time.Time
}

var _ Limiter = (*Redis)(nil)

// NewRedis returns a Limiter on client, which stays the caller's to close.
// prefix "" means DefaultPrefix; now is the clock (time.Now when nil).
func NewRedis(client redis.UniversalClient, cfg Config, prefix string, now func() time.Time) *Redis {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if now == nil {
		now = time.Now
	}
	return &Redis{c: client, cfg: cfg, prefix: prefix, now: now}
}

// allow counts a request unless a limit is reached, atomically, so that a
// refused request is never counted.
//
//	KEYS[1] the minute's requests, KEYS[2] the day's tokens
//	ARGV[1] requests per minute, ARGV[2] tokens per day (0 = unlimited),
//	ARGV[3] the TTL of KEYS[1] in seconds
//
// It returns 0 when allowed, 1 over the requests, 2 over the tokens.
var allow = redis.NewScript(`
local rpm, tpd = tonumber(ARGV[1]), tonumber(ARGV[2])
if tpd > 0 and tonumber(redis.call('GET', KEYS[2]) or '0') >= tpd then
	return 2
end
if rpm > 0 then
	if tonumber(redis.call('GET', KEYS[1]) or '0') >= rpm then
		return 1
	end
	redis.call('INCR', KEYS[1])
	redis.call('EXPIRE', KEYS[1], ARGV[3])
end
return 0
`)

// Allow implements Limiter.
func (l *Redis) Allow(ctx context.Context) error {
	rpm, tpd := max(l.cfg.RequestsPerMinute, 0), max(l.cfg.TokensPerDay, 0)
	if rpm == 0 && tpd == 0 {
		return nil
	}
	t := l.now().UTC()
	minute, day := t.Unix()/60, midnight(t)
	keys := []string{l.minuteKey(minute), l.dayKey(day)}
	res, err := allow.Run(ctx, l.c, keys, rpm, tpd, int(minuteKeyTTL/time.Second)).Int()
	if err != nil {
		return fmt.Errorf("limits: redis: %w", err)
	}
	switch res {
	case 1:
		return &Exceeded{Limit: LimitRequestsPerMinute, Max: rpm, Until: time.Unix((minute+1)*60, 0).UTC()}
	case 2:
		return &Exceeded{Limit: LimitTokensPerDay, Max: tpd, Until: day.AddDate(0, 0, 1)}
	}
	return nil
}

// Used implements Limiter. It records nothing when tokens per day are
// unlimited.
func (l *Redis) Used(ctx context.Context, tokens int) error {
	if tokens <= 0 || l.cfg.TokensPerDay <= 0 {
		return nil
	}
	key := l.dayKey(midnight(l.now().UTC()))
	_, err := l.c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.IncrBy(ctx, key, int64(tokens))
		p.Expire(ctx, key, dayKeyTTL)
		return nil
	})
	if err != nil {
		return fmt.Errorf("limits: redis: %w", err)
	}
	return nil
}

func (l *Redis) minuteKey(minute int64) string {
	return l.prefix + "llm:rpm:" + strconv.FormatInt(minute, 10)
}

func (l *Redis) dayKey(day time.Time) string {
	return l.prefix + "llm:tpd:" + day.Format(time.DateOnly)
}

// Shared is a Limiter that counts in a shared primary (Redis) and, while
// the primary fails, in a fallback of its own process (a *Local): the
// limits then hold per instance instead of across instances, and the
// caller never sees the failure. It calls onError once per failure of
// the primary and logs one warning when the primary goes down and one
// line when it answers again. A request cancelled by its caller says
// nothing about the primary and is neither counted nor logged.
type Shared struct {
	primary, fallback Limiter
	log               *slog.Logger
	onError           func()

	mu   sync.Mutex // orders the state changes and their log lines
	down bool
}

var _ Limiter = (*Shared)(nil)

// NewShared returns a Limiter over primary and fallback. log may be nil;
// onError (may be nil) is called from the goroutine of the failed request.
func NewShared(primary, fallback Limiter, log *slog.Logger, onError func()) *Shared {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if onError == nil {
		onError = func() {}
	}
	return &Shared{primary: primary, fallback: fallback, log: log, onError: onError}
}

// Healthy reports whether the primary answered the last request that
// reached it (true until the first failure).
func (s *Shared) Healthy() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.down
}

// Allow implements Limiter. It returns only nil or a reached limit (of
// the primary, or of the fallback while the primary fails).
func (s *Shared) Allow(ctx context.Context) error {
	err := s.primary.Allow(ctx)
	if err == nil || errors.Is(err, ErrLimited) {
		s.record(ctx, nil)
		return err
	}
	s.record(ctx, err)
	return s.fallback.Allow(ctx)
}

// Used implements Limiter. While the primary fails the tokens are counted
// by the fallback.
func (s *Shared) Used(ctx context.Context, tokens int) error {
	err := s.primary.Used(ctx, tokens)
	s.record(ctx, err)
	if err != nil {
		return s.fallback.Used(ctx, tokens)
	}
	return nil
}

// record notes the outcome of one request to the primary.
func (s *Shared) record(ctx context.Context, err error) {
	if err != nil && errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return // the caller gave up; the primary may be fine
	}
	if err != nil {
		s.onError()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case err != nil && !s.down:
		s.down = true
		s.log.Warn("shared LLM limits unavailable; this instance counts on its own", "err", err)
	case err == nil && s.down:
		s.down = false
		s.log.Info("shared LLM limits available again")
	}
}
