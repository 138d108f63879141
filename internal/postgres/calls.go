package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/tirevoice/assistant/internal/call"
)

// Calls keeps finished calls, their turns and tool calls in the calls,
// call_turns and call_tool_calls tables. It is safe for concurrent use.
type Calls struct {
	db *DB
}

var _ call.Store = (*Calls)(nil)

// NewCalls returns the call store over db.
func NewCalls(db *DB) *Calls { return &Calls{db: db} }

// SaveCall implements call.Store. It writes the call, its turns and their
// tool calls in one transaction, as upserts keyed by the call and the turn
// number: saving a record of the same call again (a checkpoint, then the
// final record, or a save retried) replaces the stored one (turns it no
// longer has are deleted, each turn's tool calls are replaced) and never
// duplicates a row.
//
// The same call is the same UUID, instance and start (call.Record.Key,
// the start at the database's microsecond precision). A record of another
// call with a UUID already stored, one that Asterisk sent again, is kept
// beside the earlier call, under an id derived from its UUID, instance and
// start (call.DerivedID): the same id on every save of that call, so its
// own saves still replace each other, and the earlier record is never
// overwritten. Saves of one UUID take turns (a transaction-scoped
// advisory lock), so that two such calls saved at once by two instances
// cannot both take the UUID.
//
// A record the database can never take wraps ErrInvalidRecord: a call ID
// that is not a UUID in its 36-character form, two turns with one number,
// a count out of range, or a value PostgreSQL refuses (SQLSTATE classes 22
// and 23, such as text that is not UTF-8). Any other error (an outage, a
// cancelled ctx) may pass when retried. Tool arguments that are not valid
// JSON never fail the record: they are stored as a JSON string.
func (c *Calls) SaveCall(ctx context.Context, rec *call.Record) error {
	if rec == nil {
		return fmt.Errorf("%w: nil record", ErrInvalidRecord)
	}
	id, err := parseCallID(rec.ID)
	if err != nil {
		return fmt.Errorf("%w: call ID %q is not a UUID", ErrInvalidRecord, rec.ID)
	}
	if err := checkRecord(rec); err != nil {
		return fmt.Errorf("%w: call %s: %w", ErrInvalidRecord, id, err)
	}

	err = pgx.BeginFunc(ctx, c.db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, saveLockSpace, saveLockKey(id)); err != nil {
			return err
		}
		row, err := rowID(ctx, tx, id, rec)
		if err != nil {
			return err
		}
		return tx.SendBatch(ctx, saveBatch(row, id, rec)).Close()
	})
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errNoRowID), isInvalidData(err):
		return fmt.Errorf("%w: call %s: %w", ErrInvalidRecord, id, err)
	default:
		return fmt.Errorf("postgres: save call %s: %w", id, err)
	}
}

// saveLockSpace is the first key of the advisory locks SaveCall takes
// ("call" in ASCII); the second is saveLockKey of the UUID. Two-key
// advisory locks do not conflict with golang-migrate's one-key lock.
const saveLockSpace int32 = 0x63616c6c

// saveLockKey folds a UUID into the second key of its save lock. Two UUIDs
// that fold alike only make their saves take turns.
func saveLockKey(id string) int32 {
	u := uuid.MustParse(id)
	var k uint32
	for i := 0; i < len(u); i += 4 {
		k ^= uint32(u[i])<<24 | uint32(u[i+1])<<16 | uint32(u[i+2])<<8 | uint32(u[i+3])
	}
	return int32(k)
}

// errNoRowID: both the UUID and the derived id hold other calls, which
// would take a SHA-1 collision.
var errNoRowID = errors.New("the call's UUID and its derived id both hold other calls")

// rowID returns the id under which rec's call (UUID id) is stored: id
// itself when it is free or holds this same call, else call.DerivedID. The
// caller holds the UUID's save lock.
func rowID(ctx context.Context, tx pgx.Tx, id string, rec *call.Record) (string, error) {
	started := rec.Started.Truncate(time.Microsecond) // as timestamptz keeps it
	for _, candidate := range []string{id, call.DerivedID(id, rec.Instance, rec.Started)} {
		var (
			instance string
			at       time.Time
		)
		err := tx.QueryRow(ctx, `SELECT instance, started FROM calls WHERE id = $1`, candidate).Scan(&instance, &at)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return candidate, nil
		case err != nil:
			return "", err
		case instance == rec.Instance && at.Equal(started):
			return candidate, nil
		}
	}
	return "", errNoRowID
}

// saveBatch is the upsert of rec's call under row (its UUID id, or the id
// derived from it), its turns and their tool calls.
func saveBatch(row, id string, rec *call.Record) *pgx.Batch {
	b := &pgx.Batch{}
	b.Queue(`
		INSERT INTO calls (id, call_uuid, instance, caller, called, environment, started, ended, rate_hz,
			outcome, disposition, reason, failure, greeting_latency_ms,
			barge_ins, no_inputs, dtmf, underruns, bot_frames_after_barge_in, late_frames, max_late_ms)
		VALUES ($1, $18, $19, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $20, $21)
		ON CONFLICT (id) DO UPDATE SET
			caller = excluded.caller, called = excluded.called,
			environment = excluded.environment, started = excluded.started,
			ended = excluded.ended, rate_hz = excluded.rate_hz,
			outcome = excluded.outcome, disposition = excluded.disposition,
			reason = excluded.reason, failure = excluded.failure,
			greeting_latency_ms = excluded.greeting_latency_ms,
			barge_ins = excluded.barge_ins, no_inputs = excluded.no_inputs,
			dtmf = excluded.dtmf, underruns = excluded.underruns,
			bot_frames_after_barge_in = excluded.bot_frames_after_barge_in,
			late_frames = excluded.late_frames, max_late_ms = excluded.max_late_ms,
			updated_at = now()`,
		row, rec.Caller, rec.Called, rec.Environment, rec.Started, rec.Ended, rec.Rate,
		rec.Outcome, string(rec.Disposition), rec.Reason, rec.Failure, millis(rec.GreetingLatency),
		rec.BargeIns, rec.NoInputs, rec.DTMF, rec.Underruns, rec.BotFramesAfterBargeIn, id, rec.Instance,
		rec.LateFrames, millis(rec.MaxLate))
	ns := make([]int, len(rec.Turns))
	for i, t := range rec.Turns {
		ns[i] = t.N
	}
	b.Queue(`DELETE FROM call_tool_calls WHERE call_id = $1`, row)
	b.Queue(`DELETE FROM call_turns WHERE call_id = $1 AND n <> ALL ($2)`, row, ns)
	for _, t := range rec.Turns {
		b.Queue(`
			INSERT INTO call_turns (call_id, n, caller_text, bot_text, action, interrupted,
				failure, speech_end, stt_latency_ms, reply_latency_ms, tts_latency_ms, turn_latency_ms)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
			ON CONFLICT (call_id, n) DO UPDATE SET
				caller_text = excluded.caller_text, bot_text = excluded.bot_text,
				action = excluded.action, interrupted = excluded.interrupted,
				failure = excluded.failure, speech_end = excluded.speech_end,
				stt_latency_ms = excluded.stt_latency_ms,
				reply_latency_ms = excluded.reply_latency_ms,
				tts_latency_ms = excluded.tts_latency_ms,
				turn_latency_ms = excluded.turn_latency_ms`,
			row, t.N, t.CallerText, nonNil(t.BotText), t.Action, t.Interrupted,
			t.Failure, nullTime(t.SpeechEnd), millis(t.STTLatency), millis(t.ReplyLatency),
			millis(t.TTSLatency), millis(t.TurnLatency))
		for seq, tc := range t.Tools {
			args, invalid := toolArgs(tc.Args)
			b.Queue(`
				INSERT INTO call_tool_calls (call_id, turn_n, seq, name, args, args_invalid,
					result, error, duration_ms)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
				row, t.N, seq, tc.Name, args, invalid, tc.Result, tc.Error, millis(tc.Duration))
		}
	}
	return b
}

// parseCallID accepts a UUID in its 36-character form (the form the
// dialplan and the AudioSocket UUID frame give) and returns it in lower
// case.
func parseCallID(s string) (string, error) {
	if len(s) != 36 {
		return "", errors.New("not 36 characters")
	}
	u, err := uuid.Parse(s)
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

// checkRecord catches what PostgreSQL would refuse in a way that does not
// say "bad data": a value pgx cannot encode into an integer column is a
// client-side error, and two turns with one number abort the upsert with a
// cardinality error (SQLSTATE 21000).
func checkRecord(rec *call.Record) error {
	counts := []struct {
		name string
		v    int
	}{
		{"rate", rec.Rate}, {"barge-ins", rec.BargeIns}, {"no-inputs", rec.NoInputs},
		{"underruns", rec.Underruns}, {"bot frames after barge-in", rec.BotFramesAfterBargeIn},
		{"late frames", rec.LateFrames},
	}
	for _, c := range counts {
		if c.v < math.MinInt32 || c.v > math.MaxInt32 { // a negative one is the CHECKs' to refuse
			return fmt.Errorf("%s %d out of range", c.name, c.v)
		}
	}
	seen := make(map[int]bool, len(rec.Turns))
	for _, t := range rec.Turns {
		if t.N < math.MinInt32 || t.N > math.MaxInt32 {
			return fmt.Errorf("turn number %d out of range", t.N)
		}
		if seen[t.N] {
			return fmt.Errorf("two turns numbered %d", t.N)
		}
		seen[t.N] = true
	}
	return nil
}

// toolArgs returns the jsonb document for a tool call's arguments: args
// themselves when PostgreSQL takes them as jsonb, otherwise args as a JSON
// string, with invalid set. The language model's output is untrusted, and
// a record must not be lost for it.
func toolArgs(args string) (doc string, invalid bool) {
	if json.Valid([]byte(args)) && utf8.ValidString(args) && jsonbEscapesOK(args) {
		return args, false
	}
	// PostgreSQL text cannot hold NUL, nor jsonb a \u0000 escape.
	s := strings.ToValidUTF8(strings.ReplaceAll(args, "\x00", "\uFFFD"), "\uFFFD")
	b, err := json.Marshal(s)
	if err != nil { // unreachable: a valid UTF-8 string always marshals
		return `""`, true
	}
	return string(b), true
}

// jsonbEscapesOK reports whether the \u escapes of valid JSON text are ones
// jsonb accepts: no \u0000 and no unpaired surrogate.
func jsonbEscapesOK(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			continue
		}
		i++ // valid JSON: a backslash is always followed by one escape
		if s[i] != 'u' {
			continue
		}
		r := hex4(s[i+1 : i+5])
		i += 4
		switch {
		case r == 0:
			return false
		case r >= 0xDC00 && r <= 0xDFFF: // low surrogate with no high one before it
			return false
		case r >= 0xD800 && r <= 0xDBFF:
			if i+6 >= len(s) || s[i+1] != '\\' || s[i+2] != 'u' {
				return false
			}
			if lo := hex4(s[i+3 : i+7]); lo < 0xDC00 || lo > 0xDFFF {
				return false
			}
			i += 6
		}
	}
	return true
}

// hex4 decodes four hexadecimal digits, already checked by json.Valid.
func hex4(s string) rune {
	var r rune
	for _, c := range []byte(s) {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		}
	}
	return r
}

// callColumns are the columns of calls that make a call.Record, in the
// order scanCall reads them.
const callColumns = `id::text, caller, called, environment, instance, started, ended, rate_hz,
	outcome, disposition, reason, failure, greeting_latency_ms,
	barge_ins, no_inputs, dtmf, underruns, bot_frames_after_barge_in, late_frames, max_late_ms`

func scanCall(row pgx.CollectableRow) (*call.Record, error) {
	var (
		r          call.Record
		disp       string
		greetingMS float64
		maxLateMS  float64
	)
	err := row.Scan(&r.ID, &r.Caller, &r.Called, &r.Environment, &r.Instance, &r.Started, &r.Ended, &r.Rate,
		&r.Outcome, &disp, &r.Reason, &r.Failure, &greetingMS,
		&r.BargeIns, &r.NoInputs, &r.DTMF, &r.Underruns, &r.BotFramesAfterBargeIn, &r.LateFrames, &maxLateMS)
	r.Disposition = call.Disposition(disp)
	r.GreetingLatency = duration(greetingMS)
	r.MaxLate = duration(maxLateMS)
	return &r, err
}

// Call implements call.Store. An ID that is not a UUID is ErrNotFound.
func (c *Calls) Call(ctx context.Context, id string) (*call.Record, error) {
	uid, err := parseCallID(id)
	if err != nil {
		return nil, call.ErrNotFound
	}
	var rec *call.Record
	// One snapshot for the call and its turns, in case a save runs now.
	err = pgx.BeginTxFunc(ctx, c.db.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, `SELECT `+callColumns+` FROM calls WHERE id = $1`, uid)
		rec, err = pgx.CollectExactlyOneRow(rows, scanCall)
		if err != nil {
			return err
		}
		rows, _ = tx.Query(ctx, `
			SELECT n, caller_text, bot_text, action, interrupted, failure, speech_end,
				stt_latency_ms, reply_latency_ms, tts_latency_ms, turn_latency_ms
			FROM call_turns WHERE call_id = $1 ORDER BY n`, uid)
		turns, err := pgx.CollectRows(rows, scanTurn)
		if err != nil {
			return err
		}
		rows, _ = tx.Query(ctx, `
			SELECT turn_n, name, args, args_invalid, result, error, duration_ms
			FROM call_tool_calls WHERE call_id = $1 ORDER BY turn_n, seq`, uid)
		byTurn := map[int][]call.ToolCall{}
		var (
			n       int
			tc      call.ToolCall
			invalid bool
			ms      float64
		)
		_, err = pgx.ForEachRow(rows, []any{&n, &tc.Name, &tc.Args, &invalid, &tc.Result, &tc.Error, &ms}, func() error {
			if invalid {
				if err := json.Unmarshal([]byte(tc.Args), &tc.Args); err != nil {
					return fmt.Errorf("tool call arguments of turn %d: %w", n, err)
				}
			}
			tc.Duration = duration(ms)
			byTurn[n] = append(byTurn[n], tc)
			return nil
		})
		if err != nil {
			return err
		}
		for i := range turns {
			turns[i].Tools = byTurn[turns[i].N]
		}
		if len(turns) > 0 {
			rec.Turns = turns
		}
		return nil
	})
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, call.ErrNotFound
	case err != nil:
		return nil, fmt.Errorf("postgres: call %s: %w", uid, err)
	}
	return rec, nil
}

func scanTurn(row pgx.CollectableRow) (call.Turn, error) {
	var (
		t                       call.Turn
		speechEnd               *time.Time
		stt, reply, tts, turnMS float64
	)
	err := row.Scan(&t.N, &t.CallerText, &t.BotText, &t.Action, &t.Interrupted, &t.Failure, &speechEnd,
		&stt, &reply, &tts, &turnMS)
	if len(t.BotText) == 0 {
		t.BotText = nil
	}
	if speechEnd != nil {
		t.SpeechEnd = *speechEnd
	}
	t.STTLatency, t.ReplyLatency, t.TTSLatency, t.TurnLatency = duration(stt), duration(reply), duration(tts), duration(turnMS)
	return t, err
}

// ListCalls implements call.Store. A Limit of 0 or less is
// call.DefaultListLimit, one above call.MaxListLimit is that; a negative
// Offset is 0.
func (c *Calls) ListCalls(ctx context.Context, f call.ListFilter) (call.CallPage, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = call.DefaultListLimit
	}
	limit = min(limit, call.MaxListLimit)
	offset := max(f.Offset, 0)

	var (
		conds []string
		args  []any
	)
	where := func(cond string, v any) {
		args = append(args, v)
		conds = append(conds, fmt.Sprintf(cond, len(args)))
	}
	if !f.Since.IsZero() {
		where("started >= $%d", f.Since)
	}
	if !f.Until.IsZero() {
		where("started < $%d", f.Until)
	}
	if f.Outcome != "" {
		where("outcome = $%d", f.Outcome)
	}
	if f.Disposition != "" {
		where("disposition = $%d", string(f.Disposition))
	}
	if f.Caller != "" {
		where("caller = $%d", f.Caller)
	}
	filter := ""
	if len(conds) > 0 {
		filter = " WHERE " + strings.Join(conds, " AND ")
	}

	page := call.CallPage{Calls: []*call.Record{}}
	// The count and the page from one snapshot, so they agree.
	err := pgx.BeginTxFunc(ctx, c.db.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM calls`+filter, args...).Scan(&page.Total); err != nil {
			return err
		}
		if offset >= page.Total {
			return nil
		}
		rows, _ := tx.Query(ctx, `SELECT `+callColumns+` FROM calls`+filter+
			fmt.Sprintf(` ORDER BY started DESC, id DESC LIMIT %d OFFSET %d`, limit, offset), args...)
		calls, err := pgx.CollectRows(rows, scanCall)
		if err != nil {
			return err
		}
		page.Calls = calls
		return nil
	})
	if err != nil {
		return call.CallPage{}, fmt.Errorf("postgres: list calls: %w", err)
	}
	return page, nil
}

// DeleteCallsBefore deletes the calls that ended before t, with their
// turns and tool calls, and returns how many calls it deleted: the
// retention period of personal data.
func (c *Calls) DeleteCallsBefore(ctx context.Context, t time.Time) (int64, error) {
	tag, err := c.db.pool.Exec(ctx, `DELETE FROM calls WHERE ended < $1`, t)
	if err != nil {
		return 0, fmt.Errorf("postgres: delete calls: %w", err)
	}
	return tag.RowsAffected(), nil
}

// millis is d in milliseconds, rounded to the microsecond: a float64 holds
// that exactly enough that duration gives d back.
func millis(d time.Duration) float64 {
	return float64(d.Round(time.Microsecond).Microseconds()) / 1000
}

// duration is the inverse of millis.
func duration(ms float64) time.Duration {
	return time.Duration(math.Round(ms*1000)) * time.Microsecond
}

// nullTime is t, or NULL for the zero time.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// nonNil returns s, or an empty slice for nil: a NOT NULL array column
// takes '{}', not NULL.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
