package live

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"
)

// Default TTLs.
const (
	DefaultRegistrationTTL = time.Hour
	DefaultSessionTTL      = 2 * time.Minute
	DefaultNextTTL         = time.Hour
)

// TTLs are how long each kind of entry lives. A zero (or negative) field
// takes its default. Every instance sharing a store must use the same TTLs.
type TTLs struct {
	Registration time.Duration // from Register; default 1 h
	Session      time.Duration // from the last Update; default 2 min
	Next         time.Duration // from End; default 1 h
}

func (t TTLs) withDefaults() TTLs {
	if t.Registration <= 0 {
		t.Registration = DefaultRegistrationTTL
	}
	if t.Session <= 0 {
		t.Session = DefaultSessionTTL
	}
	if t.Next <= 0 {
		t.Next = DefaultNextTTL
	}
	return t
}

// MemoryOptions configures a Memory.
type MemoryOptions struct {
	TTLs
	Now func() time.Time // the clock; time.Now when nil
}

// Memory is a Store for one process. Entries expire like Redis keys with
// the same TTLs: an entry whose TTL has run out is never returned, and it
// is dropped from memory by the next write after at most one more
// shortest TTL, so the memory held is bounded by the calls of the last TTL.
// No method ever fails.
type Memory struct {
	ttl TTLs
	now func() time.Time

	mu       sync.Mutex
	regs     map[string]entry[Registration]
	sessions map[string]entry[Session]
	nexts    map[string]entry[Next]
	sweepAt  time.Time // when the next write drops expired entries
}

// entry is a value and the instant it expires.
type entry[T any] struct {
	v       T
	expires time.Time
}

// live reports whether e has not expired at now: an entry lives for
// exactly its TTL.
func (e entry[T]) live(now time.Time) bool { return now.Before(e.expires) }

var _ Store = (*Memory)(nil)

// NewMemory returns an empty Memory.
func NewMemory(opts MemoryOptions) *Memory {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Memory{
		ttl:      opts.TTLs.withDefaults(),
		now:      opts.Now,
		regs:     map[string]entry[Registration]{},
		sessions: map[string]entry[Session]{},
		nexts:    map[string]entry[Next]{},
	}
}

// Register implements Store.
func (m *Memory) Register(_ context.Context, r Registration) error {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep(now)
	m.regs[r.ID] = entry[Registration]{r, now.Add(m.ttl.Registration)}
	return nil
}

// Registration implements Store.
func (m *Memory) Registration(_ context.Context, id string) (Registration, error) {
	return get(m, m.regs, id)
}

// Update implements Store.
func (m *Memory) Update(_ context.Context, s Session) error {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep(now)
	m.sessions[s.ID] = entry[Session]{s, now.Add(m.ttl.Session)}
	return nil
}

// End implements Store.
func (m *Memory) End(_ context.Context, id string, next Next) error {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep(now)
	delete(m.sessions, id)
	m.nexts[id] = entry[Next]{next, now.Add(m.ttl.Next)}
	return nil
}

// Session implements Store.
func (m *Memory) Session(_ context.Context, id string) (Session, error) {
	return get(m, m.sessions, id)
}

// Sessions implements Store. Sessions that started at the same instant are
// ordered by ID, as Redis orders the members of a sorted set with equal
// scores.
func (m *Memory) Sessions(context.Context) ([]Session, error) {
	now := m.now()
	m.mu.Lock()
	out := make([]Session, 0, len(m.sessions))
	for id, e := range m.sessions {
		if !e.live(now) {
			delete(m.sessions, id)
			continue
		}
		out = append(out, e.v)
	}
	m.mu.Unlock()
	sortSessions(out)
	return out, nil
}

// ClearInstance removes the sessions held by instance and returns how
// many it removed (see Redis.ClearInstance).
func (m *Memory) ClearInstance(_ context.Context, instance string) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for id, e := range m.sessions {
		if e.v.Instance == instance {
			delete(m.sessions, id)
			n++
		}
	}
	return n, nil
}

// Next implements Store.
func (m *Memory) Next(_ context.Context, id string) (Next, error) {
	return get(m, m.nexts, id)
}

// get returns the live entry id of entries, dropping it once expired.
func get[T any](m *Memory, entries map[string]entry[T], id string) (T, error) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := entries[id]
	if ok && !e.live(now) {
		delete(entries, id)
		ok = false
	}
	if !ok {
		var zero T
		return zero, ErrNotFound
	}
	return e.v, nil
}

// sweep drops every expired entry, at most once per shortest TTL, so that
// a write costs O(1) amortised and nothing outlives its TTL by more than
// that. m.mu is held.
func (m *Memory) sweep(now time.Time) {
	if now.Before(m.sweepAt) {
		return
	}
	m.sweepAt = now.Add(min(m.ttl.Registration, m.ttl.Session, m.ttl.Next))
	dropExpired(m.regs, now)
	dropExpired(m.sessions, now)
	dropExpired(m.nexts, now)
}

func dropExpired[T any](entries map[string]entry[T], now time.Time) {
	for id, e := range entries {
		if !e.live(now) {
			delete(entries, id)
		}
	}
}

// len returns the number of entries held, expired or not (for tests).
func (m *Memory) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.regs) + len(m.sessions) + len(m.nexts)
}

// sortSessions orders sessions oldest first, then by ID.
func sortSessions(s []Session) {
	slices.SortFunc(s, func(a, b Session) int {
		return cmp.Or(a.Started.Compare(b.Started), cmp.Compare(a.ID, b.ID))
	})
}
