package tools

import (
	"context"
	"errors"
	"math"
	"sync"

	"github.com/tirevoice/assistant/internal/store"
)

// ErrNoCaller is the error of a tool that acts on personal data when its
// context carries no Caller: without the server's knowledge of who is on
// the line it refuses rather than guess.
var ErrNoCaller = errors.New("tools: no caller in the context")

// Caller is what the server knows of the person on the line, which the
// shop tools trust and no tool argument can change: the number the
// dialplan registered for the call (never one the caller or the model
// says), and what the caller proved during the call. The tools read it
// from the context (WithCaller) and decide with it what may be said.
//
// One Caller lives as long as its call. The conversation that begins the
// call creates it, calls NextTurn at the start of each caller turn and
// attaches it to the context of every tool call; a conversation that
// answers turns for another (the rule engine behind the language model)
// uses the Caller already in the context, so the call has one state
// whichever engine answers. A Caller is safe for concurrent use; a nil
// *Caller is a withheld number that has proved nothing.
type Caller struct {
	phone string // E.164; "" when withheld or not a phone number

	mu           sync.Mutex
	turn         int
	verified     map[string]bool // order ids the caller may hear
	failedProofs int
	readBack     string // a number read back to the caller for confirmation
	readBackTurn int    // the turn in which it was read back
}

// NewCaller returns the Caller of a call from the number the dialplan
// registered ("+79161234567", "89161234567"; "" or "anonymous" when
// withheld). A number that is not a phone number (an internal extension,
// say) counts as withheld.
func NewCaller(registered string) *Caller {
	c := &Caller{verified: map[string]bool{}}
	if p, err := store.NormalizePhone(registered); err == nil {
		c.phone = p
	}
	return c
}

// Phone is the caller's number in E.164, or "" when it is not known.
func (c *Caller) Phone() string {
	if c == nil {
		return ""
	}
	return c.phone
}

// NextTurn marks the start of a caller turn. Only the conversation that
// created the Caller calls it.
func (c *Caller) NextTurn() {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.turn++
	c.mu.Unlock()
}

// Verified reports whether the caller may hear order id: it is on their
// own number or they proved it is theirs in this call.
func (c *Caller) Verified(id string) bool {
	if c == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.verified[id]
}

// MarkVerified lets the caller hear the orders ids for the rest of the call.
func (c *Caller) MarkVerified(ids ...string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		c.verified[id] = true
	}
}

// ProofFailed counts a failed proof of an order's ownership and returns
// how many the call has failed so far. A nil Caller has failed them all.
func (c *Caller) ProofFailed() int {
	if c == nil {
		return math.MaxInt
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failedProofs++
	return c.failedProofs
}

// FailedProofs is how many proofs the call has failed.
func (c *Caller) FailedProofs() int {
	if c == nil {
		return math.MaxInt
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.failedProofs
}

// ReadBack remembers that phone (E.164) is being read back to the caller
// in this turn, for them to confirm in a later one.
func (c *Caller) ReadBack(phone string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.readBack, c.readBackTurn = phone, c.turn
}

// ReadBackBefore reports whether phone was the last number read back to
// the caller, in an earlier turn than this one: the caller has heard it
// and could answer. A confirmation in the turn of the read-back itself
// could only come from the model, never from the caller.
func (c *Caller) ReadBackBefore(phone string) bool {
	if c == nil || phone == "" {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.readBack == phone && c.readBackTurn < c.turn
}

type callerKey struct{}

// WithCaller returns a context whose tool calls act for c.
func WithCaller(ctx context.Context, c *Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFrom returns the Caller in ctx, or nil.
func CallerFrom(ctx context.Context) *Caller {
	c, _ := ctx.Value(callerKey{}).(*Caller)
	return c
}
