// Package redistest gives tests a real Redis: a client, a key prefix of
// their own and a cleanup, like httptest gives them a server. Tests that
// use it need a Redis; they fail (never skip) when there is none, with the
// command that starts one.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tirevoice/assistant/internal/faultproxy"
)

// DefaultURL is the Redis of tests when TEST_REDIS_URL is not set.
const DefaultURL = "redis://127.0.0.1:6379/0"

// URL returns the Redis of tests: TEST_REDIS_URL or DefaultURL.
func URL() string {
	if u := os.Getenv("TEST_REDIS_URL"); u != "" {
		return u
	}
	return DefaultURL
}

const howToStart = "start one with `redis-server --port 6379 --save '' --appendonly no` " +
	"(or `docker run --rm -p 6379:6379 redis:7`), or point TEST_REDIS_URL at one " +
	"(redis://host:port/db); tests delete only the keys they create"

// New returns a client to URL(), checked with a PING, and a key prefix
// unique to this test ("test:<name>:<random>:"). When the test ends, every
// key under the prefix is deleted and the client closed. It fails the test
// if Redis cannot be reached.
func New(t testing.TB) (client *redis.Client, prefix string) {
	t.Helper()
	u := URL()
	opts, err := redis.ParseURL(u)
	if err != nil {
		t.Fatalf("redistest: TEST_REDIS_URL %q: %v", u, err)
	}
	opts.DialTimeout = 2 * time.Second
	c := redis.NewClient(opts)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		t.Fatalf("redistest: Redis at %s is not reachable: %v; %s", u, err, howToStart)
	}
	prefix = "test:" + keySafe.ReplaceAllString(t.Name(), "_") + ":" + random() + ":"
	t.Cleanup(func() {
		defer c.Close()
		if err := deleteKeys(context.Background(), c, prefix); err != nil {
			t.Errorf("redistest: deleting the keys under %q: %v", prefix, err)
		}
	})
	return c, prefix
}

// Proxy starts a faultproxy in front of the Redis of URL() (TCP only),
// closed when the test ends: Cut takes Redis away from the clients that
// reach it through the proxy (Through), Restore gives it back.
func Proxy(t testing.TB) *faultproxy.Proxy {
	t.Helper()
	u, err := url.Parse(URL())
	if err != nil {
		t.Fatalf("redistest: TEST_REDIS_URL %q: %v", URL(), err)
	}
	p, err := faultproxy.Start(u.Host)
	if err != nil {
		t.Fatalf("redistest: proxy to %s: %v", u.Host, err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// Through returns a client to the Redis of URL() reached at addr instead
// (a faultproxy in front of it), with the short timeouts of production
// (live.Dial): dial 1 s, one dial attempt, read and write 500 ms, one retry.
// It is closed when the test ends.
func Through(t testing.TB, addr string) *redis.Client {
	t.Helper()
	u, err := url.Parse(URL())
	if err != nil {
		t.Fatalf("redistest: TEST_REDIS_URL %q: %v", URL(), err)
	}
	u.Host = addr
	opts, err := redis.ParseURL(u.String())
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	opts.DialTimeout = time.Second
	opts.DialerRetries = 1
	opts.ReadTimeout = 500 * time.Millisecond
	opts.WriteTimeout = 500 * time.Millisecond
	opts.PoolTimeout = time.Second
	opts.MaxRetries = 1
	opts.ContextTimeoutEnabled = true
	c := redis.NewClient(opts)
	t.Cleanup(func() { c.Close() })
	return c
}

// keySafe matches what a prefix leaves out of a test's name: glob
// characters (the cleanup matches the prefix with SCAN), hash-tag braces
// and spaces.
var keySafe = regexp.MustCompile(`[^A-Za-z0-9_/.-]`)

func random() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func deleteKeys(ctx context.Context, c *redis.Client, prefix string) error {
	iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		return err
	}
	if len(keys) == 0 {
		return nil
	}
	return c.Del(ctx, keys...).Err()
}
