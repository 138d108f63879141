package redistest

import (
	"context"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestNewCleansUp(t *testing.T) {
	ctx := context.Background()
	other, _ := New(t)
	var prefix string
	t.Run("user", func(t *testing.T) {
		c, p := New(t)
		prefix = p
		if err := c.Set(ctx, p+"k", "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
		if err := c.HSet(ctx, p+"h", "f", "v").Err(); err != nil {
			t.Fatal(err)
		}
	})
	n, err := other.Exists(ctx, prefix+"k", prefix+"h").Result()
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d keys under %q left after the test", n, prefix)
	}
}

func TestPrefixesDiffer(t *testing.T) {
	_, a := New(t)
	_, b := New(t)
	if a == b {
		t.Errorf("two calls gave the same prefix %q", a)
	}
}

func TestThroughProxy(t *testing.T) {
	ctx := context.Background()
	p := Proxy(t)
	c := Through(t, p.Addr())
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("ping through the proxy: %v", err)
	}
	p.Cut()
	if err := c.Ping(ctx).Err(); err == nil {
		t.Error("ping works while the proxy is cut")
	}
	p.Restore()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Errorf("ping after Restore: %v", err)
	}
}
