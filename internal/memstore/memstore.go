// Package memstore keeps the most recent finished calls in memory: the
// call store of embedded defaults, when no database is configured.
package memstore

import (
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/tirevoice/assistant/internal/call"
)

// Calls holds up to a fixed number of calls, forgetting the oldest.
type Calls struct {
	mu    sync.Mutex
	max   int
	byID  map[string]*call.Record
	order []string // oldest first
}

var _ call.Store = (*Calls)(nil)

// NewCalls keeps at most limit calls (at least 1).
func NewCalls(limit int) *Calls {
	return &Calls{max: max(1, limit), byID: map[string]*call.Record{}}
}

// SaveCall implements call.Store. It keeps a copy of rec. A record of the
// same call (call.Record.Key) replaces the kept one; a record of another
// call that arrived with a UUID already kept goes beside it, under
// call.DerivedID, as in PostgreSQL.
func (c *Calls) SaveCall(_ context.Context, rec *call.Record) error {
	cp := *rec
	cp.Turns = append([]call.Turn(nil), rec.Turns...)
	c.mu.Lock()
	defer c.mu.Unlock()
	if had, ok := c.byID[cp.ID]; ok && had.Key() != cp.Key() {
		cp.ID = call.DerivedID(cp.ID, cp.Instance, cp.Started)
	}
	if _, ok := c.byID[cp.ID]; !ok {
		c.order = append(c.order, cp.ID)
	}
	c.byID[cp.ID] = &cp
	for len(c.order) > c.max {
		delete(c.byID, c.order[0])
		c.order = c.order[1:]
	}
	return nil
}

// Call implements call.Store.
func (c *Calls) Call(_ context.Context, id string) (*call.Record, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	rec, ok := c.byID[id]
	if !ok {
		return nil, call.ErrNotFound
	}
	cp := *rec
	return &cp, nil
}

// ListCalls implements call.Store.
func (c *Calls) ListCalls(_ context.Context, f call.ListFilter) (call.CallPage, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = call.DefaultListLimit
	}
	limit = min(limit, call.MaxListLimit)
	c.mu.Lock()
	var match []*call.Record
	for _, id := range c.order {
		if r := c.byID[id]; matches(r, f) {
			cp := *r
			cp.Turns = nil
			match = append(match, &cp)
		}
	}
	c.mu.Unlock()
	slices.SortFunc(match, func(a, b *call.Record) int {
		if d := b.Started.Compare(a.Started); d != 0 {
			return d
		}
		return strings.Compare(b.ID, a.ID)
	})
	page := call.CallPage{Total: len(match), Calls: []*call.Record{}}
	if f.Offset < len(match) {
		page.Calls = match[max(f.Offset, 0):min(max(f.Offset, 0)+limit, len(match))]
	}
	return page, nil
}

func matches(r *call.Record, f call.ListFilter) bool {
	switch {
	case !f.Since.IsZero() && r.Started.Before(f.Since),
		!f.Until.IsZero() && !r.Started.Before(f.Until),
		f.Outcome != "" && r.Outcome != f.Outcome,
		f.Disposition != "" && r.Disposition != f.Disposition,
		f.Caller != "" && r.Caller != f.Caller:
		return false
	}
	return true
}
