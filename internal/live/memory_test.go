package live

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestMemory(t *testing.T) {
	testStore(t, func(*testing.T) Store { return NewMemory(MemoryOptions{Now: newClock().now}) })
}

func TestMemoryExpiry(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	m := NewMemory(MemoryOptions{Now: clk.now}) // default TTLs: 1 h, 2 min, 1 h
	m.Register(ctx, Registration{ID: "r"})
	m.Update(ctx, session("s", 0))
	m.Update(ctx, session("kept", time.Second))
	m.End(ctx, "n", Next{Action: ActionHangup})

	clk.advance(DefaultSessionTTL - time.Nanosecond)
	m.Update(ctx, session("kept", time.Second)) // renews its TTL
	if _, err := m.Session(ctx, "s"); err != nil {
		t.Errorf("session just before its TTL: %v", err)
	}
	clk.advance(time.Nanosecond)
	if _, err := m.Session(ctx, "s"); !errors.Is(err, ErrNotFound) {
		t.Errorf("session at its TTL: err = %v, want ErrNotFound", err)
	}
	if got, _ := m.Sessions(ctx); sessionIDs(got) != "kept" {
		t.Errorf("Sessions = %q, want the renewed one only", sessionIDs(got))
	}

	clk.advance(DefaultRegistrationTTL - DefaultSessionTTL - time.Nanosecond)
	if _, err := m.Registration(ctx, "r"); err != nil {
		t.Errorf("registration just before its TTL: %v", err)
	}
	if _, err := m.Next(ctx, "n"); err != nil {
		t.Errorf("next just before its TTL: %v", err)
	}
	clk.advance(time.Nanosecond)
	if _, err := m.Registration(ctx, "r"); !errors.Is(err, ErrNotFound) {
		t.Errorf("registration at its TTL: err = %v, want ErrNotFound", err)
	}
	if _, err := m.Next(ctx, "n"); !errors.Is(err, ErrNotFound) {
		t.Errorf("next at its TTL: err = %v, want ErrNotFound", err)
	}
	if got, _ := m.Sessions(ctx); len(got) != 0 {
		t.Errorf("Sessions = %q, want none", sessionIDs(got))
	}
}

func TestMemoryOptions(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	m := NewMemory(MemoryOptions{
		TTLs: TTLs{Registration: 10 * time.Second, Session: time.Second, Next: 5 * time.Second},
		Now:  clk.now,
	})
	m.Register(ctx, Registration{ID: "c"})
	m.Update(ctx, session("c", 0))
	m.End(ctx, "d", Next{Action: ActionHangup})
	tests := []struct {
		at   time.Duration
		read func() error
		want error
	}{
		{999 * time.Millisecond, func() error { _, err := m.Session(ctx, "c"); return err }, nil},
		{time.Second, func() error { _, err := m.Session(ctx, "c"); return err }, ErrNotFound},
		{5*time.Second - 1, func() error { _, err := m.Next(ctx, "d"); return err }, nil},
		{5 * time.Second, func() error { _, err := m.Next(ctx, "d"); return err }, ErrNotFound},
		{10*time.Second - 1, func() error { _, err := m.Registration(ctx, "c"); return err }, nil},
		{10 * time.Second, func() error { _, err := m.Registration(ctx, "c"); return err }, ErrNotFound},
	}
	start := clk.now()
	for _, tt := range tests {
		clk.advance(start.Add(tt.at).Sub(clk.now()))
		if err := tt.read(); !errors.Is(err, tt.want) {
			t.Errorf("at +%v: err = %v, want %v", tt.at, err, tt.want)
		}
	}
}

// TestMemoryBounded shows that expired entries leave memory even when
// nobody reads them.
func TestMemoryBounded(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	m := NewMemory(MemoryOptions{Now: clk.now})
	for i := range 10_000 {
		id := string(rune('a'+i%26)) + time.Duration(i).String()
		m.Register(ctx, Registration{ID: id})
		m.Update(ctx, session(id, 0))
		m.End(ctx, id, Next{Action: ActionHangup})
		clk.advance(time.Second)
	}
	// 10 000 calls over 10 000 s: at most the last hour's (3 600) of
	// registrations and answers, plus up to one sweep period (2 min) of
	// expired ones, remain.
	if n, limit := m.len(), 2*(3600+120); n > limit {
		t.Errorf("%d entries held, want at most %d", n, limit)
	}
}
