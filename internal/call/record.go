package call

import (
	"context"
	"errors"
	"slices"
	"time"
)

// Store keeps finished calls: in memory on embedded defaults, in
// PostgreSQL in production. Implementations are safe for concurrent use.
type Store interface {
	// SaveCall stores rec with its turns. It is idempotent by call ID and
	// turn number: saving the same call again replaces it and never
	// duplicates a turn.
	SaveCall(ctx context.Context, rec *Record) error
	// Call returns the call with id and its turns, or ErrNotFound.
	Call(ctx context.Context, id string) (*Record, error)
	// ListCalls returns the calls that match f, newest first (by Started,
	// then ID), without their turns, and how many match in all.
	ListCalls(ctx context.Context, f ListFilter) (CallPage, error)
}

// ListFilter selects calls. Zero fields do not filter.
type ListFilter struct {
	Since, Until time.Time // Started in [Since, Until)
	Outcome      string
	Disposition  Disposition
	Caller       string // exact caller number
	Limit        int    // at most this many (1..MaxListLimit; 0 means DefaultListLimit)
	Offset       int    // skip this many first
}

// Page sizes of ListCalls.
const (
	DefaultListLimit = 50
	MaxListLimit     = 500
)

// CallPage is one page of a call list.
type CallPage struct {
	Calls []*Record // without Turns
	Total int       // calls matching the filter, over all pages
}

// ErrNotFound is returned for an unknown call.
var ErrNotFound = errors.New("call: not found")

// Disposition is where the call went when the bot let go of it; the
// dialplan's "what next" answer is built from it.
type Disposition string

const (
	DispositionHangup   Disposition = "hangup"   // end the call
	DispositionOperator Disposition = "operator" // queue to a human operator
)

// Record is everything a finished call leaves behind: the business record
// written to storage and the figures of its end-of-call log line.
type Record struct {
	ID          string
	Caller      string // the caller's number, from the dialplan's registration; "" if unknown
	Called      string // the number dialled
	Environment string // ENVIRONMENT of the instance that took the call
	Rate        int    // caller's sample rate, Hz
	Started     time.Time
	Ended       time.Time
	Outcome     string // metrics.Outcome*
	Disposition Disposition
	Reason      string // why the call ended ("caller pressed 0", "no input")
	Failure     string // the error that ended it, if any

	GreetingLatency time.Duration // UUID frame to the greeting's first frame
	Turns           []Turn
	BargeIns        int
	NoInputs        int
	DTMF            string // digits in the order pressed
	Underruns       int
	// BotFramesAfterBargeIn is the largest number of bot audio frames sent
	// after the barge-in detector fired, over all barge-ins: the contract is
	// at most one.
	BotFramesAfterBargeIn int
}

// Turn is one caller utterance and the bot's answer to it.
type Turn struct {
	N           int
	CallerText  string
	BotText     []string // the pieces spoken, in order
	Action      string   // continue, hangup, transfer
	Interrupted bool     // the caller barged in
	Failure     string   // provider that failed, if any; the turn may still have been answered by a fallback (the rule engine for the LLM)
	Tools       []ToolCall

	SpeechEnd    time.Time     // caller's end of speech, after endpointing
	STTLatency   time.Duration // end of speech to the final transcript
	ReplyLatency time.Duration // transcript to the first piece of the reply
	TTSLatency   time.Duration // first piece to its audio
	TurnLatency  time.Duration // end of speech to the bot's first frame; 0 if never played
}

// ToolCall is one shop tool the bot used in a turn.
type ToolCall struct {
	Name     string
	Args     string // JSON, as the responder sent it
	Result   string // what the tool said, for the ear
	Error    string // empty on success
	Duration time.Duration
}

// Duration is how long the call lasted.
func (r *Record) Duration() time.Duration { return r.Ended.Sub(r.Started) }

// LatencyPercentile returns the p-th percentile (0..100) of the turn
// latencies of the turns that played audio, or 0 when there were none.
func (r *Record) LatencyPercentile(p float64) time.Duration {
	var ls []time.Duration
	for _, t := range r.Turns {
		if t.TurnLatency > 0 {
			ls = append(ls, t.TurnLatency)
		}
	}
	if len(ls) == 0 {
		return 0
	}
	slices.Sort(ls)
	i := int(p / 100 * float64(len(ls)-1))
	return ls[i]
}
