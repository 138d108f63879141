package live

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultPrefix starts every key of a Redis store by default.
const DefaultPrefix = "tirevoice:"

// RedisOptions configures a Redis store.
type RedisOptions struct {
	// Prefix starts every key; default DefaultPrefix. With Redis Cluster,
	// give it a hash tag ("{tirevoice}:") so that the keys End changes in
	// one transaction share a slot.
	Prefix string
	TTLs
}

// Redis is the Store shared by every processor instance. Its keys, under
// the prefix:
//
//	reg:<id>      hash caller, called, at                  TTL Registration, set by Register
//	session:<id>  hash caller, called, state, instance,    TTL Session, renewed by every Update
//	              started, last_activity, turn
//	next:<id>     hash action, reason, operator, topic     TTL Next, set by End
//	sessions      sorted set of live call ids, scored by   TTL Session, renewed by every Update
//	              start time (unix microseconds)
//
// Times are RFC 3339 in UTC with nanoseconds. A member of sessions whose
// hash has expired (its instance died) is removed by the next Sessions.
type Redis struct {
	c      redis.UniversalClient
	prefix string
	ttl    TTLs
}

var _ Store = (*Redis)(nil)

// NewRedis returns a Store on client, which stays the caller's to close.
func NewRedis(client redis.UniversalClient, opts RedisOptions) *Redis {
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
	}
	return &Redis{c: client, prefix: opts.Prefix, ttl: opts.TTLs.withDefaults()}
}

// DefaultCallTimeout is Dial's deadline of one command when it is given
// none.
const DefaultCallTimeout = 200 * time.Millisecond

// Dial returns a client for a redis:// (or rediss://, unix://) URL on
// which every command, pipeline and transaction has a deadline of
// callTimeout (DefaultCallTimeout if 0), retries included, or its
// context's deadline when that comes sooner: a Redis that is down or hangs
// fails a call's request within that time instead of stalling it, and the
// caller carries on with its fallback. This holds for every user of the
// client, the LLM limits too. The connection settings are short as well:
// dial 1 s, one dial attempt, read and write 500 ms, pool wait 1 s, one
// retry; a timeout, max_retries or pool_timeout given in the URL wins
// there (never over callTimeout). It does not connect; see Redis.Ping.
func Dial(url string, callTimeout time.Duration) (*redis.Client, error) {
	o, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("live: redis URL: %w", err)
	}
	if callTimeout <= 0 {
		callTimeout = DefaultCallTimeout
	}
	if o.DialTimeout == 0 {
		o.DialTimeout = time.Second
	}
	if o.ReadTimeout == 0 {
		o.ReadTimeout = 500 * time.Millisecond
	}
	if o.WriteTimeout == 0 {
		o.WriteTimeout = 500 * time.Millisecond
	}
	if o.PoolTimeout == 0 {
		o.PoolTimeout = time.Second
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = 1
	}
	o.DialerRetries = 1
	o.ContextTimeoutEnabled = true
	c := redis.NewClient(o)
	c.AddHook(deadlineHook(callTimeout))
	return c, nil
}

// deadlineHook gives every command and pipeline a deadline. The client
// honours it in dialling, waiting for a pooled connection, writing,
// reading and between retries (ContextTimeoutEnabled).
type deadlineHook time.Duration

func (h deadlineHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h deadlineHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		ctx, cancel := context.WithTimeout(ctx, time.Duration(h))
		defer cancel()
		return next(ctx, cmd)
	}
}

func (h deadlineHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		ctx, cancel := context.WithTimeout(ctx, time.Duration(h))
		defer cancel()
		return next(ctx, cmds)
	}
}

// Ping checks that Redis answers.
func (s *Redis) Ping(ctx context.Context) error {
	if err := s.c.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("live: redis: %w", err)
	}
	return nil
}

// Register implements Store.
func (s *Redis) Register(ctx context.Context, r Registration) error {
	key := s.key("reg:", r.ID)
	_, err := s.c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, key, "caller", r.Caller, "called", r.Called, "at", formatTime(r.At))
		p.PExpire(ctx, key, s.ttl.Registration)
		return nil
	})
	return s.fail("register", err)
}

// Registration implements Store.
func (s *Redis) Registration(ctx context.Context, id string) (Registration, error) {
	h, err := s.c.HGetAll(ctx, s.key("reg:", id)).Result()
	if err != nil {
		return Registration{}, s.fail("registration", err)
	}
	if len(h) == 0 {
		return Registration{}, ErrNotFound
	}
	at, err := parseTime(h["at"])
	if err != nil {
		return Registration{}, fmt.Errorf("live: registration %s: %w", id, err)
	}
	return Registration{ID: id, Caller: h["caller"], Called: h["called"], At: at}, nil
}

// Update implements Store. It renews the TTL of the session and of the
// set of live calls.
func (s *Redis) Update(ctx context.Context, ss Session) error {
	key, set := s.key("session:", ss.ID), s.prefix+"sessions"
	_, err := s.c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, key,
			"caller", ss.Caller,
			"called", ss.Called,
			"state", ss.State,
			"instance", ss.Instance,
			"started", formatTime(ss.Started),
			"last_activity", formatTime(ss.LastActivity),
			"turn", ss.Turn)
		p.PExpire(ctx, key, s.ttl.Session)
		p.ZAdd(ctx, set, redis.Z{Score: float64(ss.Started.UnixMicro()), Member: ss.ID})
		// The set outlives every member's hash: each Update renews both
		// to the same TTL.
		p.PExpire(ctx, set, s.ttl.Session)
		return nil
	})
	return s.fail("update", err)
}

// End implements Store, in one transaction.
func (s *Redis) End(ctx context.Context, id string, next Next) error {
	key := s.key("next:", id)
	_, err := s.c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, s.key("session:", id))
		p.ZRem(ctx, s.prefix+"sessions", id)
		p.HSet(ctx, key, "action", next.Action, "reason", next.Reason, "operator", next.Operator, "topic", next.Topic)
		p.PExpire(ctx, key, s.ttl.Next)
		return nil
	})
	return s.fail("end", err)
}

// Session implements Store.
func (s *Redis) Session(ctx context.Context, id string) (Session, error) {
	h, err := s.c.HGetAll(ctx, s.key("session:", id)).Result()
	if err != nil {
		return Session{}, s.fail("session", err)
	}
	if len(h) == 0 {
		return Session{}, ErrNotFound
	}
	return parseSession(id, h)
}

// Sessions implements Store: the members of the sorted set in score order
// (ties by id), less those whose hash has expired, which it removes.
func (s *Redis) Sessions(ctx context.Context) ([]Session, error) {
	set := s.prefix + "sessions"
	ids, err := s.c.ZRange(ctx, set, 0, -1).Result()
	if err != nil {
		return nil, s.fail("sessions", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	_, err = s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.HGetAll(ctx, s.key("session:", id))
		}
		return nil
	})
	if err != nil {
		return nil, s.fail("sessions", err)
	}
	out := make([]Session, 0, len(ids))
	keys, gone := []string{set}, []any(nil)
	for i, id := range ids {
		h := cmds[i].Val()
		if len(h) == 0 {
			keys, gone = append(keys, s.key("session:", id)), append(gone, id)
			continue
		}
		ss, err := parseSession(id, h)
		if err != nil {
			return nil, err
		}
		out = append(out, ss)
	}
	if len(gone) > 0 {
		// The script checks again, so that a call updated since the read
		// above keeps its place.
		if err := removeExpired.Run(ctx, s.c, keys, gone...).Err(); err != nil {
			return nil, s.fail("sessions cleanup", err)
		}
	}
	return out, nil
}

// removeExpired removes from the sorted set KEYS[1] each member ARGV[i]
// whose session hash KEYS[i+1] no longer exists.
var removeExpired = redis.NewScript(`
local n = 0
for i = 1, #ARGV do
	if redis.call('EXISTS', KEYS[i + 1]) == 0 then
		n = n + redis.call('ZREM', KEYS[1], ARGV[i])
	end
end
return n
`)

// clearBatch is how many sessions ClearInstance looks at per round trip.
const clearBatch = 500

// ClearInstance removes the live sessions held by instance and returns how
// many it removed. An instance calls it at start-up, before it takes a
// call: a session under its name then belongs to a previous run that was
// killed (SIGKILL, the OOM killer, a lost node) before it could end its
// calls, and would otherwise show as live until its TTL runs out. The
// dialplan's answers are left alone. A session another instance updates
// meanwhile is kept: the removal checks the owner again, atomically.
func (s *Redis) ClearInstance(ctx context.Context, instance string) (int, error) {
	set := s.prefix + "sessions"
	ids, err := s.c.ZRange(ctx, set, 0, -1).Result()
	if err != nil {
		return 0, s.fail("clear instance", err)
	}
	removed := 0
	for len(ids) > 0 {
		batch := ids[:min(clearBatch, len(ids))]
		ids = ids[len(batch):]
		owners := make([]*redis.StringCmd, len(batch))
		_, err := s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, id := range batch {
				owners[i] = p.HGet(ctx, s.key("session:", id), "instance")
			}
			return nil
		})
		if err != nil && !errors.Is(err, redis.Nil) {
			return removed, s.fail("clear instance", err)
		}
		keys, args := []string{set}, []any{instance}
		for i, id := range batch {
			if owners[i].Val() == instance {
				keys, args = append(keys, s.key("session:", id)), append(args, id)
			}
		}
		if len(args) == 1 {
			continue
		}
		n, err := removeOwned.Run(ctx, s.c, keys, args...).Int()
		if err != nil {
			return removed, s.fail("clear instance", err)
		}
		removed += n
	}
	return removed, nil
}

// removeOwned removes each session hash KEYS[i+1], and its member ARGV[i+1]
// of the sorted set KEYS[1], if the hash is still held by instance ARGV[1].
var removeOwned = redis.NewScript(`
local n = 0
for i = 2, #ARGV do
	if redis.call('HGET', KEYS[i], 'instance') == ARGV[1] then
		redis.call('DEL', KEYS[i])
		redis.call('ZREM', KEYS[1], ARGV[i])
		n = n + 1
	end
end
return n
`)

// Next implements Store.
func (s *Redis) Next(ctx context.Context, id string) (Next, error) {
	h, err := s.c.HGetAll(ctx, s.key("next:", id)).Result()
	if err != nil {
		return Next{}, s.fail("next", err)
	}
	if len(h) == 0 {
		return Next{}, ErrNotFound
	}
	return Next{Action: h["action"], Reason: h["reason"], Operator: h["operator"], Topic: h["topic"]}, nil
}

func (s *Redis) key(kind, id string) string { return s.prefix + kind + id }

func (s *Redis) fail(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("live: redis %s: %w", op, err)
}

func parseSession(id string, h map[string]string) (Session, error) {
	started, err := parseTime(h["started"])
	if err != nil {
		return Session{}, fmt.Errorf("live: session %s: %w", id, err)
	}
	last, err := parseTime(h["last_activity"])
	if err != nil {
		return Session{}, fmt.Errorf("live: session %s: %w", id, err)
	}
	turn, err := strconv.Atoi(h["turn"])
	if err != nil {
		return Session{}, fmt.Errorf("live: session %s: turn: %w", id, err)
	}
	return Session{
		ID:           id,
		Caller:       h["caller"],
		Called:       h["called"],
		State:        h["state"],
		Instance:     h["instance"],
		Started:      started,
		LastActivity: last,
		Turn:         turn,
	}, nil
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func parseTime(s string) (time.Time, error) { return time.Parse(time.RFC3339Nano, s) }
