// Package dialog defines the bot's side of the conversation: a Responder
// begins a Conversation per call, which hears each caller utterance and
// speaks its reply piece by piece.
package dialog

import (
	"context"

	"github.com/tirevoice/assistant/internal/routing"
)

// Request is one caller turn.
type Request struct {
	CallID string
	Turn   int    // 1 for the first caller utterance
	Text   string // the transcript; empty when nothing intelligible was said
	// Unintelligible reports speech that could not be understood.
	Unintelligible bool
}

// Say hands one piece of the reply (a sentence or a long clause) to the
// speaker. It returns once the piece is queued for synthesis, so a Responder
// may go on thinking while the caller already hears the first piece. It
// fails when the turn was cancelled (barge-in, hang-up).
type Say func(ctx context.Context, text string) error

// Responder is a dialog back-end (the rule engine, a language model).
type Responder interface {
	// Begin starts the conversation of one call.
	Begin(call Call) Conversation
	// Name is the responder's label in metrics and call records.
	Name() string
}

// Call is what a Responder knows of a call when it begins.
type Call struct {
	ID     string // the call's UUID
	Caller string // the caller's number (E.164) when the dialplan registered it, else ""
}

// Conversation answers the utterances of one call, in order, one at a
// time; it keeps what the call has said so far (slots, history).
type Conversation interface {
	// Respond answers req through say and tells what the call does next.
	Respond(ctx context.Context, req Request, say Say) (Outcome, error)
}

// Action is what the call does after the bot's reply.
type Action int

const (
	Continue Action = iota // listen for the caller again
	Hangup                 // the conversation is over; end the call
	Transfer               // hand the caller to a human operator
)

func (a Action) String() string {
	switch a {
	case Continue:
		return "continue"
	case Hangup:
		return "hangup"
	case Transfer:
		return "transfer"
	}
	return "unknown"
}

// Outcome is the Responder's decision after a turn.
type Outcome struct {
	Action Action
	Reason string // why, for the call record and the dialplan ("caller asked for a human")
	// Topic is what a Transfer is about, for the choice of the operators
	// queue; empty is routing.TopicGeneral.
	Topic routing.Topic
	// Fallback is set when the responder's own back-end failed in this
	// turn and a fallback answered the caller instead: what failed, for
	// the call record and the provider error metrics ("model timed out").
	Fallback string
}
