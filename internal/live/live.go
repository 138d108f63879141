// Package live is the state of the calls in progress that every processor
// instance and the dialplan may read: who is calling, what each call is
// doing, and, once the processor lets go of a call, what the dialplan should
// do next (DESIGN.md, "Call flow" and "Scaling out").
//
// Redis holds it in production, shared by all instances; Memory holds it
// for one process on embedded defaults; Fallback uses Redis and carries on
// with its own memory while Redis is down.
package live

import (
	"context"
	"errors"
	"time"
)

// Registration is what the dialplan tells the processor before it connects
// a call over AudioSocket, which carries no caller ID.
type Registration struct {
	ID     string // the call's UUID, as AudioSocket will send it
	Caller string // the caller's number
	Called string // the number dialled
	At     time.Time
}

// States of a live call.
const (
	StateGreeting  = "greeting"
	StateListening = "listening"
	StateThinking  = "thinking"
	StateSpeaking  = "speaking"
	StateEnded     = "ended"
)

// Session is a call in progress.
type Session struct {
	ID           string
	Caller       string
	Called       string
	State        string // one of the State constants
	Instance     string // the processor instance that holds the call
	Started      time.Time
	LastActivity time.Time
	Turn         int // turns completed so far
}

// Actions of Next.
const (
	ActionHangup   = "hangup"
	ActionOperator = "operator"
)

// Next is the dialplan's answer once the processor has let go of a call.
type Next struct {
	Action   string // ActionHangup or ActionOperator
	Reason   string // why, in a few words ("caller pressed 0")
	Operator string // the operators queue (or an operator's extension) for ActionOperator; empty: the dialplan's default
	Topic    string // what the call is about, for ActionOperator (routing.Topics); shown to the operator
}

// Store is the live state. Implementations are safe for concurrent use.
// Every entry expires on its own (a crashed instance leaves nothing behind
// for long): registrations and "what next" answers after a TTL, sessions
// after a TTL renewed by every Update.
type Store interface {
	// Register records a call about to be connected.
	Register(ctx context.Context, r Registration) error
	// Registration returns the registration of call id, or ErrNotFound.
	Registration(ctx context.Context, id string) (Registration, error)
	// Update creates or replaces the session and renews its TTL.
	Update(ctx context.Context, s Session) error
	// End removes the session from the live calls and stores the
	// dialplan's answer for it.
	End(ctx context.Context, id string, next Next) error
	// Session returns the live session id, or ErrNotFound.
	Session(ctx context.Context, id string) (Session, error)
	// Sessions returns every live session, oldest first.
	Sessions(ctx context.Context) ([]Session, error)
	// Next returns the dialplan's answer for call id, or ErrNotFound while
	// the call is live or unknown.
	Next(ctx context.Context, id string) (Next, error)
}

// ErrNotFound is returned for an unknown call.
var ErrNotFound = errors.New("live: not found")
