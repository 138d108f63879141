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
	// Busy, when set, is told what the responder is doing while the
	// caller waits in silence (a tool call, the model writing), that is
	// before the first piece of the reply, so that the call can play a
	// short filler chosen by it (Activity.Filler) when that piece is late.
	// It is called on Respond's goroutine, possibly several times before
	// the first piece (the latest activity counts), never after it, and
	// must not block.
	Busy func(Activity)
}

// Activity is what a responder is busy with while the caller waits.
type Activity string

// The activities. A tool declares its own (tools.Tool.Activity).
const (
	ActivityThinking Activity = "thinking" // the model is writing
	ActivityLookup   Activity = "lookup"   // a tool with no activity of its own
	ActivityTires    Activity = "tires"    // searching the stock
	ActivityOrder    Activity = "order"    // looking up an order
	ActivityStations Activity = "stations" // fitting stations and their hours
	ActivitySlots    Activity = "slots"    // free fitting times
	ActivityBooking  Activity = "booking"  // making a booking
)

// Filler is a short phrase that tells a waiting caller what is being
// done ("Секунду, проверяю наличие."), for the call's "no dead air"
// rule; each ends with a full stop, so it is a whole piece of speech.
func (a Activity) Filler() string {
	switch a {
	case ActivityTires:
		return "Секунду, проверяю наличие."
	case ActivityOrder:
		return "Секунду, смотрю заказ."
	case ActivityStations, ActivitySlots:
		return "Секунду, смотрю расписание."
	case ActivityBooking:
		return "Секунду, записываю."
	}
	return "Секунду."
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
	// Keypad reports that the call takes digits typed on the phone's
	// keypad, ended by '#', as the answer to a question whose Outcome
	// has Keypad set; the responder then says so in the question.
	Keypad bool
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
	// Question is the question the reply ends with, which the caller is
	// expected to answer ("На какой день вас записать?"), as it was said;
	// "" when the reply asks nothing in particular. The call's no-input
	// re-prompt repeats it.
	Question string
	// Keypad reports that Question asks for a number (an order number, a
	// phone number, four digits) that the caller may also type on the
	// keypad, ended by '#': digits typed now are the answer, sent as a
	// Request whose Text is the digits.
	Keypad bool
}
