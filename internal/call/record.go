package call

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/tirevoice/assistant/internal/metrics"
)

// Store keeps finished calls: in memory on embedded defaults, in
// PostgreSQL in production. Implementations are safe for concurrent use.
type Store interface {
	// SaveCall stores rec with its turns. It is idempotent by call
	// (Record.Key) and turn number: saving the same call again (a
	// checkpoint, then the final record) replaces it and never duplicates
	// a turn. A record never replaces another call's: a call whose ID an
	// earlier call already used is kept beside it.
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
	ID          string // the AudioSocket UUID
	Caller      string // the caller's number, from the dialplan's registration; "" if unknown
	Called      string // the number dialled
	Environment string // ENVIRONMENT of the instance that took the call
	Instance    string // INSTANCE_ID of the instance that took the call
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
	// Underruns counts silence frames sent in the middle of a bot utterance
	// because its audio was not ready in time.
	Underruns int
	// LateFrames counts playout ticks skipped because the process or the
	// send to Asterisk stalled: the bot's audio went out late rather than
	// with silence in it, so these are not underruns.
	LateFrames int
	// MaxLate is the worst of those stalls: how far behind its schedule
	// the bot's audio was. 0 with no late frames.
	MaxLate time.Duration
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

// Key names one call among all calls ever taken: its ID, the instance
// that took it and when it started. A UUID alone is not enough: Asterisk
// (or a broken or hostile peer) may send one again, and the second call
// must not overwrite the first one's record; while one call's checkpoints
// and final record share a key and replace each other.
func (r *Record) Key() string {
	return r.ID + "|" + r.Instance + "|" + r.Started.UTC().Format(time.RFC3339Nano)
}

// DerivedID is the id under which a call is stored when an earlier call
// already holds its UUID: a name-based (version 5) UUID in the namespace
// of the call's UUID, from the instance that took it and its start at
// microsecond precision (what PostgreSQL keeps), so that every save of
// that call finds the same id. An id that is not a UUID (only tests make
// one) is folded into the name instead.
func DerivedID(id, instance string, started time.Time) string {
	name := instance + "\n" + started.Truncate(time.Microsecond).UTC().Format(time.RFC3339Nano)
	space, err := uuid.Parse(id)
	if err != nil {
		space, name = uuid.NameSpaceOID, id+"\n"+name
	}
	return uuid.NewSHA1(space, []byte(name)).String()
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

// interruptedReason is the Reason of a checkpoint: what the record says
// if the process dies before the call ends.
const interruptedReason = "the call-processor stopped during the call"

// checkpointer hands a call's checkpoints to Deps.Checkpoint from a
// goroutine of its own: the supervisor only posts the latest snapshot,
// which replaces one not yet written, so it never waits for the disk, and
// the audio goroutines never see it.
type checkpointer struct {
	save func(*Record)
	ss   *session

	mu       sync.Mutex
	pending  *Record
	wake     chan struct{}
	done     chan struct{}
	stopped  chan struct{}
	stopOnce sync.Once
}

// startCheckpoints starts the call's checkpointer. It returns nil without
// Deps.Checkpoint; a nil *checkpointer does nothing.
func (ss *session) startCheckpoints() *checkpointer {
	save := ss.svc.deps.Checkpoint
	if save == nil {
		return nil
	}
	c := &checkpointer{save: save, ss: ss,
		wake: make(chan struct{}, 1), done: make(chan struct{}), stopped: make(chan struct{})}
	go c.run()
	return c
}

// checkpoint posts the record as it stands now; it never blocks. It runs
// on the supervisor, the only writer of the record's turns.
func (ss *session) checkpoint() {
	c := ss.checkpoints
	if c == nil {
		return
	}
	rec := ss.snapshot()
	c.mu.Lock()
	c.pending = rec
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// snapshot is a copy of the record so far, as it is to be stored if the
// process dies now: outcome interrupted, ended now. The caller's number
// is added by the checkpointer, which may wait for the registration.
func (ss *session) snapshot() *Record {
	ss.mu.Lock() // the player writes BotFramesAfterBargeIn and the latencies
	rec := ss.rec
	rec.Turns = slices.Clone(ss.rec.Turns)
	for i := range rec.Turns {
		rec.Turns[i].TurnLatency = ss.latencies[rec.Turns[i].N]
		ss.keepPlayed(&rec.Turns[i])
	}
	if !ss.greetingAt.IsZero() {
		rec.GreetingLatency = ss.greetingAt.Sub(ss.started)
	}
	ss.mu.Unlock()
	rec.Underruns = int(ss.underruns.Load())
	rec.LateFrames = int(ss.lateFrames.Load())
	rec.MaxLate = time.Duration(ss.maxLate.Load())
	rec.Ended = time.Now()
	rec.Outcome = metrics.OutcomeInterrupted
	rec.Disposition = DispositionHangup // AudioSocket returns to the dialplan when the process dies
	rec.Reason = interruptedReason
	rec.Failure = ""
	return &rec
}

func (c *checkpointer) run() {
	defer close(c.stopped)
	for {
		select {
		case <-c.done:
			return
		case <-c.wake:
			c.mu.Lock()
			rec := c.pending
			c.pending = nil
			c.mu.Unlock()
			if rec == nil {
				continue
			}
			r := c.ss.presence.registration()
			rec.Caller, rec.Called = r.Caller, r.Called
			c.save(rec)
		}
	}
}

// stop ends the checkpointer, after the write under way if any; a
// snapshot not yet written is dropped. The final record goes out after
// it, so that no checkpoint can follow it. It is idempotent.
func (c *checkpointer) stop() {
	if c == nil {
		return
	}
	c.stopOnce.Do(func() { close(c.done) })
	<-c.stopped
}
