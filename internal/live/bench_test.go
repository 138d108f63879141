package live

import (
	"context"
	"testing"
	"time"

	"github.com/tirevoice/assistant/internal/redistest"
)

// BenchmarkRedisUpdate is one session update, as a call posts on each
// change of state.
func BenchmarkRedisUpdate(b *testing.B) {
	client, prefix := redistest.New(b)
	s := NewRedis(client, RedisOptions{Prefix: prefix})
	ctx := context.Background()
	sess := Session{ID: "9f0c2f9e-2c1e-4a43-9d55-1b7f3d9a0e21", Caller: "+79161234567", State: StateListening, Instance: "a", Started: time.Now()}
	for b.Loop() {
		sess.LastActivity = time.Now()
		if err := s.Update(ctx, sess); err != nil {
			b.Fatal(err)
		}
	}
}
