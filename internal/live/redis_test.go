package live

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tirevoice/assistant/internal/redistest"
)

func TestRedis(t *testing.T) {
	testStore(t, func(t *testing.T) Store {
		c, prefix := redistest.New(t)
		return NewRedis(c, RedisOptions{Prefix: prefix})
	})
}

// TestRedisKeys checks the key layout and the TTLs Redis reports, which
// are the contract with anyone reading Redis directly.
func TestRedisKeys(t *testing.T) {
	ctx := context.Background()
	c, prefix := redistest.New(t)
	ttl := TTLs{Registration: 50 * time.Minute, Session: 90 * time.Second, Next: 40 * time.Minute}
	s := NewRedis(c, RedisOptions{Prefix: prefix, TTLs: ttl})

	if err := s.Register(ctx, Registration{ID: "c1", Caller: "+79161234567", Called: "100", At: t0}); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, session("c1", 0)); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, session("c2", time.Second)); err != nil {
		t.Fatal(err)
	}
	wantTTL(t, c, prefix+"reg:c1", ttl.Registration)
	wantTTL(t, c, prefix+"session:c1", ttl.Session)
	wantTTL(t, c, prefix+"sessions", ttl.Session)
	if h := c.HGetAll(ctx, prefix+"reg:c1").Val(); h["caller"] != "+79161234567" || h["at"] != "2026-03-01T10:00:00Z" {
		t.Errorf("reg:c1 = %v", h)
	}
	if h := c.HGetAll(ctx, prefix+"session:c1").Val(); h["state"] != StateListening || h["turn"] != "2" || h["instance"] != "proc-1" {
		t.Errorf("session:c1 = %v", h)
	}
	if score := c.ZScore(ctx, prefix+"sessions", "c2").Val(); score != float64(t0.Add(time.Second).UnixMicro()) {
		t.Errorf("score of c2 = %v, want its start in unix microseconds", score)
	}

	// Every Update renews the session's TTL.
	c.PExpire(ctx, prefix+"session:c1", time.Second)
	c.PExpire(ctx, prefix+"sessions", time.Second)
	if err := s.Update(ctx, session("c1", 0)); err != nil {
		t.Fatal(err)
	}
	wantTTL(t, c, prefix+"session:c1", ttl.Session)
	wantTTL(t, c, prefix+"sessions", ttl.Session)

	if err := s.End(ctx, "c1", Next{Action: ActionHangup, Reason: "goodbye"}); err != nil {
		t.Fatal(err)
	}
	wantTTL(t, c, prefix+"next:c1", ttl.Next)
	if n := c.Exists(ctx, prefix+"session:c1").Val(); n != 0 {
		t.Error("session:c1 still exists after End")
	}
	if err := c.ZScore(ctx, prefix+"sessions", "c1").Err(); !errors.Is(err, redis.Nil) {
		t.Errorf("c1 still in sessions after End (err %v)", err)
	}
}

func TestRedisDefaults(t *testing.T) {
	s := NewRedis(nil, RedisOptions{TTLs: TTLs{Session: time.Minute}})
	want := TTLs{Registration: DefaultRegistrationTTL, Session: time.Minute, Next: DefaultNextTTL}
	if s.prefix != DefaultPrefix || s.ttl != want {
		t.Errorf("prefix %q, TTLs %+v; want %q, %+v", s.prefix, s.ttl, DefaultPrefix, want)
	}
}

// TestRedisExpiredSession simulates a session whose hash expired (its
// instance died): Sessions leaves it out and removes it from the set.
func TestRedisExpiredSession(t *testing.T) {
	ctx := context.Background()
	c, prefix := redistest.New(t)
	s := NewRedis(c, RedisOptions{Prefix: prefix})
	for _, ss := range []Session{session("dead", 0), session("alive", time.Second)} {
		if err := s.Update(ctx, ss); err != nil {
			t.Fatal(err)
		}
	}
	c.Del(ctx, prefix+"session:dead")
	got, err := s.Sessions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ids := sessionIDs(got); ids != "alive" {
		t.Errorf("Sessions = %q, want %q", ids, "alive")
	}
	members := c.ZRange(ctx, prefix+"sessions", 0, -1).Val()
	if len(members) != 1 || members[0] != "alive" {
		t.Errorf("sorted set = %v, want [alive]", members)
	}
}

// TestRedisTwoInstances: two processor instances, each with its own
// client, on the same prefix see each other's calls.
func TestRedisTwoInstances(t *testing.T) {
	ctx := context.Background()
	c1, prefix := redistest.New(t)
	c2, _ := redistest.New(t)
	a := NewRedis(c1, RedisOptions{Prefix: prefix})
	b := NewRedis(c2, RedisOptions{Prefix: prefix})

	if err := a.Register(ctx, Registration{ID: "c1", Caller: "+7916"}); err != nil {
		t.Fatal(err)
	}
	if r, err := b.Registration(ctx, "c1"); err != nil || r.Caller != "+7916" {
		t.Errorf("B reads A's registration: %+v, %v", r, err)
	}
	sa, sb := session("on-a", 0), session("on-b", time.Second)
	sa.Instance, sb.Instance = "a", "b"
	if err := a.Update(ctx, sa); err != nil {
		t.Fatal(err)
	}
	if err := b.Update(ctx, sb); err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]*Redis{"A": a, "B": b} {
		got, err := s.Sessions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ids := sessionIDs(got); ids != "on-a on-b" {
			t.Errorf("%s sees %q, want %q", name, ids, "on-a on-b")
		}
	}
	if err := a.End(ctx, "on-a", Next{Action: ActionOperator, Reason: "asked"}); err != nil {
		t.Fatal(err)
	}
	if n, err := b.Next(ctx, "on-a"); err != nil || n.Action != ActionOperator {
		t.Errorf("B reads the answer A stored: %+v, %v", n, err)
	}
	if got, _ := b.Sessions(ctx); sessionIDs(got) != "on-b" {
		t.Errorf("B sees %q after A ended its call", sessionIDs(got))
	}
}

func TestRedisDown(t *testing.T) {
	ctx := context.Background()
	p := redistest.Proxy(t)
	s := NewRedis(redistest.Through(t, p.Addr()), RedisOptions{})
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	p.Cut()
	if err := s.Ping(ctx); err == nil {
		t.Error("Ping succeeds with Redis cut off")
	}
	if _, err := s.Session(ctx, "x"); err == nil || errors.Is(err, ErrNotFound) {
		t.Errorf("Session with Redis cut off: err = %v, want a failure", err)
	}
}

func TestDial(t *testing.T) {
	tests := []struct {
		name     string
		url      string
		wantRead time.Duration
		wantErr  bool
	}{
		{"defaults", "redis://127.0.0.1:6379/0", 500 * time.Millisecond, false},
		{"url wins", "redis://127.0.0.1:6379/0?read_timeout=2s", 2 * time.Second, false},
		{"bad", "http://example.com", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Dial(tt.url, 0)
			if tt.wantErr {
				if err == nil {
					c.Close()
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			o := c.Options()
			if o.ReadTimeout != tt.wantRead || o.DialTimeout != time.Second ||
				o.WriteTimeout != 500*time.Millisecond || o.PoolTimeout != time.Second ||
				o.DialerRetries != 1 || o.MaxRetries != 1 || !o.ContextTimeoutEnabled {
				t.Errorf("options: read %v, dial %v, write %v, pool %v, dialer retries %d, retries %d, context %v",
					o.ReadTimeout, o.DialTimeout, o.WriteTimeout, o.PoolTimeout, o.DialerRetries, o.MaxRetries, o.ContextTimeoutEnabled)
			}
		})
	}
	// The test Redis through Dial.
	c, err := Dial(redistest.URL(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := NewRedis(c, RedisOptions{}).Ping(context.Background()); err != nil {
		t.Errorf("Ping through Dial: %v", err)
	}
}

// dialThrough is Dial to the test Redis through the proxy at addr.
func dialThrough(t *testing.T, addr string, callTimeout time.Duration) *redis.Client {
	t.Helper()
	u, err := url.Parse(redistest.URL())
	if err != nil {
		t.Fatal(err)
	}
	u.Host = addr
	c, err := Dial(u.String(), callTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestRedisStalls: with Redis hung (connections open, nothing answered),
// every operation fails within the client's call timeout, on a pooled
// connection and on new ones alike, whatever the deadline of the caller's
// context; a Fallback answers from its own memory within that time.
func TestRedisStalls(t *testing.T) {
	ctx := context.Background()
	_, prefix := redistest.New(t)
	p := redistest.Proxy(t)
	const timeout = 200 * time.Millisecond
	s := NewRedis(dialThrough(t, p.Addr(), timeout), RedisOptions{Prefix: prefix})
	if err := s.Update(ctx, session("c1", 0)); err != nil { // a pooled connection
		t.Fatal(err)
	}
	p.Stall()
	t.Cleanup(p.Restore) // before the proxy closes and the client with it

	// Bound: the timeout, and scheduling slack under the race detector.
	const bound = timeout + 500*time.Millisecond
	ops := []struct {
		name string
		op   func() error
	}{
		{"registration", func() error { _, err := s.Registration(ctx, "c1"); return err }},
		{"update (transaction)", func() error { return s.Update(ctx, session("c2", 0)) }},
		{"sessions (pipeline)", func() error { _, err := s.Sessions(ctx); return err }},
		{"end", func() error { return s.End(ctx, "c1", Next{Action: ActionHangup}) }},
		{"clear instance (script)", func() error { _, err := s.ClearInstance(ctx, "proc-1"); return err }},
	}
	for _, o := range ops {
		start := time.Now()
		err := o.op()
		if took := time.Since(start); err == nil || errors.Is(err, ErrNotFound) || took > bound {
			t.Errorf("%s with Redis stalled: %v after %v, want a failure within %v", o.name, err, took, bound)
		}
	}

	f := NewFallback(s, NewMemory(MemoryOptions{}), nil, nil)
	f.local.Register(ctx, Registration{ID: "c3", Caller: "+79161234567"})
	start := time.Now()
	r, err := f.Registration(ctx, "c3")
	if took := time.Since(start); err != nil || r.Caller != "+79161234567" || took > bound {
		t.Errorf("Fallback.Registration with Redis stalled: %+v, %v after %v", r, err, took)
	}
	if f.Healthy() {
		t.Error("Fallback still healthy after a stalled operation")
	}
}

// TestClearInstance: the sessions of one instance go, the others' stay;
// in Redis the hash keys go too.
func TestClearInstance(t *testing.T) {
	ctx := context.Background()
	c, prefix := redistest.New(t)
	stores := []struct {
		name  string
		store interface {
			Store
			ClearInstance(context.Context, string) (int, error)
		}
	}{
		{"memory", NewMemory(MemoryOptions{})},
		{"redis", NewRedis(c, RedisOptions{Prefix: prefix + "r:"})},
		{"fallback", NewFallback(NewRedis(c, RedisOptions{Prefix: prefix + "f:"}), NewMemory(MemoryOptions{}), nil, nil)},
	}
	for _, tt := range stores {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.store
			mine, other := session("a", 0), session("b", time.Second)
			other.Instance = "proc-2"
			for _, ss := range []Session{mine, other, session("c", 2*time.Second)} {
				if err := s.Update(ctx, ss); err != nil {
					t.Fatal(err)
				}
			}
			n, err := s.ClearInstance(ctx, "proc-1")
			if err != nil || n != 2 {
				t.Fatalf("ClearInstance = %d, %v; want 2", n, err)
			}
			if got, err := s.Sessions(ctx); err != nil || sessionIDs(got) != "b" {
				t.Errorf("Sessions after ClearInstance = %q, %v; want %q", sessionIDs(got), err, "b")
			}
			if n, err := s.ClearInstance(ctx, "proc-1"); err != nil || n != 0 {
				t.Errorf("second ClearInstance = %d, %v; want 0", n, err)
			}
		})
	}
	if n := c.Exists(ctx, prefix+"r:session:a", prefix+"r:session:c").Val(); n != 0 {
		t.Errorf("%d session hashes of the cleared instance left in Redis", n)
	}
}

// wantTTL checks that key's TTL is set, at most want and within a second
// of it.
func wantTTL(t *testing.T, c *redis.Client, key string, want time.Duration) {
	t.Helper()
	got, err := c.PTTL(context.Background(), key).Result()
	if err != nil {
		t.Fatal(err)
	}
	if got > want || got < want-time.Second {
		t.Errorf("TTL of %s = %v, want %v", key, got, want)
	}
}
