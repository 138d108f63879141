package live

import (
	"context"
	"errors"
	"log/slog"
	"sync"
)

// Fallback is a Store that keeps working while its primary (Redis) is down.
// Every write goes to a local Memory and then to the primary; reads ask the
// primary and use the local answer when the primary fails, or when it does
// not know a call that the local memory knows (a call registered, updated
// or ended while the primary was down). A call this instance has ended is
// not live, whatever a primary that missed the End says. Other instances
// see only what reached the primary.
//
// A failure of the primary never reaches the caller: Fallback returns the
// local outcome, calls onError once per failed operation and logs one
// warning when the primary goes down and one line when it answers again.
// A request cancelled by its caller says nothing about the primary and is
// neither counted nor logged.
type Fallback struct {
	primary Store
	local   *Memory
	log     *slog.Logger
	onError func()

	mu   sync.Mutex // orders the state changes and their log lines
	down bool
}

var _ Store = (*Fallback)(nil)

// NewFallback returns a Store over primary and local. log may be nil;
// onError (may be nil) is called on every failure of the primary, from
// the goroutine of the failed operation.
func NewFallback(primary Store, local *Memory, log *slog.Logger, onError func()) *Fallback {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if onError == nil {
		onError = func() {}
	}
	return &Fallback{primary: primary, local: local, log: log, onError: onError}
}

// Healthy reports whether the primary answered the last operation that
// reached it (true until the first failure).
func (f *Fallback) Healthy() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return !f.down
}

// Ping checks the primary when it can be pinged (Redis can) and records
// the outcome like any operation's; it returns the primary's error, so
// that a readiness check can show it.
func (f *Fallback) Ping(ctx context.Context) error {
	p, ok := f.primary.(interface{ Ping(context.Context) error })
	if !ok {
		return nil
	}
	err := p.Ping(ctx)
	f.record(ctx, err)
	return err
}

// Register implements Store. Like every write of Fallback, it never fails.
func (f *Fallback) Register(ctx context.Context, r Registration) error {
	f.local.Register(ctx, r)
	f.record(ctx, f.primary.Register(ctx, r))
	return nil
}

// Registration implements Store.
func (f *Fallback) Registration(ctx context.Context, id string) (Registration, error) {
	return read(ctx, f, id, f.primary.Registration, f.local.Registration)
}

// Update implements Store.
func (f *Fallback) Update(ctx context.Context, s Session) error {
	f.local.Update(ctx, s)
	f.record(ctx, f.primary.Update(ctx, s))
	return nil
}

// End implements Store.
func (f *Fallback) End(ctx context.Context, id string, next Next) error {
	f.local.End(ctx, id, next)
	f.record(ctx, f.primary.End(ctx, id, next))
	return nil
}

// Session implements Store.
func (f *Fallback) Session(ctx context.Context, id string) (Session, error) {
	if f.ended(ctx, id) {
		return Session{}, ErrNotFound
	}
	return read(ctx, f, id, f.primary.Session, f.local.Session)
}

// Sessions implements Store: the primary's sessions and the local ones it
// does not have, oldest first; only the local ones while the primary is
// failing.
func (f *Fallback) Sessions(ctx context.Context) ([]Session, error) {
	local, _ := f.local.Sessions(ctx)
	primary, err := f.primary.Sessions(ctx)
	f.record(ctx, err)
	if err != nil {
		return local, nil
	}
	known := make(map[string]bool, len(primary))
	out := primary[:0]
	for _, s := range primary {
		known[s.ID] = true
		if !f.ended(ctx, s.ID) {
			out = append(out, s)
		}
	}
	n := len(out)
	for _, s := range local {
		if !known[s.ID] {
			out = append(out, s)
		}
	}
	if len(out) > n {
		sortSessions(out)
	}
	return out, nil
}

// ClearInstance removes the sessions held by instance, locally and from
// the primary when it can (Redis can), and returns how many the primary
// removed. Unlike the writes, it reports the primary's failure: at
// start-up that is worth a log line, since the stale sessions stay
// until their TTL.
func (f *Fallback) ClearInstance(ctx context.Context, instance string) (int, error) {
	f.local.ClearInstance(ctx, instance)
	p, ok := f.primary.(interface {
		ClearInstance(context.Context, string) (int, error)
	})
	if !ok {
		return 0, nil
	}
	n, err := p.ClearInstance(ctx, instance)
	f.record(ctx, err)
	return n, err
}

// ended reports whether this instance has ended call id.
func (f *Fallback) ended(ctx context.Context, id string) bool {
	_, err := f.local.Next(ctx, id)
	return err == nil
}

// Next implements Store.
func (f *Fallback) Next(ctx context.Context, id string) (Next, error) {
	return read(ctx, f, id, f.primary.Next, f.local.Next)
}

// read asks primary, then local when the primary fails or does not know id.
func read[T any](ctx context.Context, f *Fallback, id string, primary, local func(context.Context, string) (T, error)) (T, error) {
	v, err := primary(ctx, id)
	if errors.Is(err, ErrNotFound) {
		f.record(ctx, nil)
	} else {
		f.record(ctx, err)
		if err == nil {
			return v, nil
		}
	}
	return local(ctx, id)
}

// record notes the outcome of one operation on the primary.
func (f *Fallback) record(ctx context.Context, err error) {
	if err != nil && errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return // the caller gave up; the primary may be fine
	}
	if err != nil {
		f.onError()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case err != nil && !f.down:
		f.down = true
		f.log.Warn("live store unavailable; this instance carries on with its own memory", "err", err)
	case err == nil && f.down:
		f.down = false
		f.log.Info("live store available again")
	}
}
