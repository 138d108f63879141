package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tirevoice/assistant/internal/call"
	"github.com/tirevoice/assistant/internal/postgres"
	"github.com/tirevoice/assistant/internal/postgres/pgtest"
)

// callID returns the n-th UUID of a test.
func callID(n int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", n) }

// t0 has nanoseconds the database cannot hold, on purpose.
var t0 = time.Date(2026, 3, 14, 9, 26, 53, 589793238, time.FixedZone("MSK", 3*3600))

// record returns a full call record with two turns, the first with two
// tool calls (one with arguments that are not JSON), the second a "#"
// repeat with no speech and no tools.
func record(id string, started time.Time) *call.Record {
	return &call.Record{
		ID:                    id,
		Caller:                "+79161234567",
		Called:                "74951234567",
		Environment:           "test",
		Rate:                  16000,
		Started:               started,
		Ended:                 started.Add(95*time.Second + 123456789),
		Outcome:               "transferred",
		Disposition:           call.DispositionOperator,
		Reason:                "caller pressed 0",
		Failure:               "",
		GreetingLatency:       187654321,
		BargeIns:              2,
		NoInputs:              1,
		DTMF:                  "#0",
		Underruns:             3,
		BotFramesAfterBargeIn: 1,
		LateFrames:            29,
		MaxLate:               126543210,
		Turns: []call.Turn{
			{
				N:            1,
				CallerText:   "мне нужны зимние шины 205/55 R16",
				BotText:      []string{"Сейчас посмотрю.", "Есть четыре модели."},
				Action:       "continue",
				Interrupted:  true,
				SpeechEnd:    started.Add(4*time.Second + 321),
				STTLatency:   412345678,
				ReplyLatency: 812345001,
				TTSLatency:   98765432,
				TurnLatency:  1323456789,
				Tools: []call.ToolCall{
					{Name: "search_tires", Args: `{"width": 205, "profile": 55, "rim": 16, "season": "winter"}`, Result: "четыре модели", Duration: 45678912},
					{Name: "search_kb", Args: `{"query": "шины` /* cut off by the model */, Error: "arguments are not JSON", Duration: 1000},
				},
			},
			{
				N:          2,
				CallerText: "#",
				BotText:    []string{"Есть четыре модели."},
				Action:     "transfer",
			},
		},
	}
}

// normalize returns what rec should look like after a round trip through
// the database: times and durations at microsecond precision, times in
// UTC, valid JSON arguments in one canonical form (jsonb does not keep
// spacing or key order), empty slices nil.
func normalize(t *testing.T, rec *call.Record) *call.Record {
	t.Helper()
	r := *rec
	r.Started = r.Started.Truncate(time.Microsecond).UTC()
	r.Ended = r.Ended.Truncate(time.Microsecond).UTC()
	r.GreetingLatency = r.GreetingLatency.Round(time.Microsecond)
	r.MaxLate = r.MaxLate.Round(time.Microsecond)
	r.Turns = nil
	for _, tn := range rec.Turns {
		tn.BotText = slices.Clone(tn.BotText)
		if len(tn.BotText) == 0 {
			tn.BotText = nil
		}
		if !tn.SpeechEnd.IsZero() {
			tn.SpeechEnd = tn.SpeechEnd.Truncate(time.Microsecond).UTC()
		}
		tn.STTLatency = tn.STTLatency.Round(time.Microsecond)
		tn.ReplyLatency = tn.ReplyLatency.Round(time.Microsecond)
		tn.TTSLatency = tn.TTSLatency.Round(time.Microsecond)
		tn.TurnLatency = tn.TurnLatency.Round(time.Microsecond)
		var tools []call.ToolCall
		for _, tc := range tn.Tools {
			tc.Duration = tc.Duration.Round(time.Microsecond)
			var v any
			if json.Unmarshal([]byte(tc.Args), &v) == nil {
				b, err := json.Marshal(v)
				if err != nil {
					t.Fatal(err)
				}
				tc.Args = string(b)
			}
			tools = append(tools, tc)
		}
		tn.Tools = tools
		r.Turns = append(r.Turns, tn)
	}
	return &r
}

func assertSameRecord(t *testing.T, got, want *call.Record) {
	t.Helper()
	g, w := normalize(t, got), normalize(t, want)
	if reflect.DeepEqual(g, w) {
		return
	}
	gj, _ := json.MarshalIndent(g, "", "  ")
	wj, _ := json.MarshalIndent(w, "", "  ")
	t.Errorf("record after a round trip:\n%s\nwant:\n%s", gj, wj)
}

func rowCounts(t *testing.T, dsn, id string) (calls, turns, tools int) {
	t.Helper()
	return queryInt(t, dsn, `SELECT count(*) FROM calls WHERE id = $1`, id),
		queryInt(t, dsn, `SELECT count(*) FROM call_turns WHERE call_id = $1`, id),
		queryInt(t, dsn, `SELECT count(*) FROM call_tool_calls WHERE call_id = $1`, id)
}

func TestSaveCallRoundTripAndIdempotence(t *testing.T) {
	t.Parallel()
	db, dsn := pgtest.Migrated(t)
	calls := db.Calls()
	ctx := context.Background()
	rec := record(callID(1), t0)

	for range 2 {
		if err := calls.SaveCall(ctx, rec); err != nil {
			t.Fatalf("SaveCall: %v", err)
		}
	}
	if c, tu, to := rowCounts(t, dsn, rec.ID); c != 1 || tu != 2 || to != 2 {
		t.Errorf("after saving twice: %d call rows, %d turn rows, %d tool rows; want 1, 2, 2", c, tu, to)
	}
	got, err := calls.Call(ctx, rec.ID)
	if err != nil {
		t.Fatalf("Call: %v", err)
	}
	assertSameRecord(t, got, rec)
	// The arguments that were not JSON come back as they were sent.
	if a := got.Turns[0].Tools[1].Args; a != rec.Turns[0].Tools[1].Args {
		t.Errorf("invalid arguments came back as %q, want %q", a, rec.Turns[0].Tools[1].Args)
	}
	if n := queryInt(t, dsn, `SELECT count(*) FROM call_tool_calls WHERE args_invalid AND jsonb_typeof(args) = 'string'`); n != 1 {
		t.Errorf("%d tool calls stored as a JSON string, want 1", n)
	}

	// Saving a changed record replaces it: fewer turns, other tools.
	changed := record(rec.ID, t0)
	changed.Outcome = "completed"
	changed.Turns = changed.Turns[:1]
	changed.Turns[0].Tools = changed.Turns[0].Tools[1:]
	changed.Turns[0].BotText = nil
	if err := calls.SaveCall(ctx, changed); err != nil {
		t.Fatalf("SaveCall of the changed record: %v", err)
	}
	if c, tu, to := rowCounts(t, dsn, rec.ID); c != 1 || tu != 1 || to != 1 {
		t.Errorf("after saving the changed record: %d, %d, %d rows; want 1, 1, 1", c, tu, to)
	}
	got, err = calls.Call(ctx, rec.ID)
	if err != nil {
		t.Fatalf("Call: %v", err)
	}
	assertSameRecord(t, got, changed)

	// A call with no turns.
	bare := &call.Record{ID: strings.ToUpper(callID(2)), Started: t0, Ended: t0.Add(time.Second)}
	if err := calls.SaveCall(ctx, bare); err != nil {
		t.Fatalf("SaveCall of a bare record: %v", err)
	}
	got, err = calls.Call(ctx, callID(2))
	if err != nil {
		t.Fatalf("Call: %v", err)
	}
	bare.ID = callID(2) // stored in the canonical lower case
	assertSameRecord(t, got, bare)
}

func TestCallNotFound(t *testing.T) {
	t.Parallel()
	db, _ := pgtest.Migrated(t)
	for _, id := range []string{callID(404), "not-a-uuid", ""} {
		if _, err := db.Calls().Call(context.Background(), id); !errors.Is(err, call.ErrNotFound) {
			t.Errorf("Call(%q): %v, want call.ErrNotFound", id, err)
		}
	}
}

func TestToolArgumentsNeverFailTheRecord(t *testing.T) {
	t.Parallel()
	db, dsn := pgtest.Migrated(t)
	calls := db.Calls()
	ctx := context.Background()
	tests := []struct {
		name    string
		args    string
		want    string // after the round trip
		invalid bool   // stored as a JSON string
	}{
		{"object", `{"order":"A-1001"}`, `{"order":"A-1001"}`, false},
		{"array", `[1, 2.50, "три"]`, `[1,2.5,"три"]`, false},
		{"empty", ``, ``, true},
		{"truncated", `{"order": "A-10`, `{"order": "A-10`, true},
		{"prose", `order A-1001, please`, `order A-1001, please`, true},
		{"NUL escape", `{"q":"a\u0000b"}`, `{"q":"a\u0000b"}`, true},
		{"lone surrogate", `{"q":"\ud800"}`, `{"q":"\ud800"}`, true},
		{"lone low surrogate", `["\udc00x"]`, `["\udc00x"]`, true},
		{"surrogate pair", `{"q":"\ud83d\ude97"}`, `{"q":"🚗"}`, false},
		{"raw NUL", "{\"q\":\"a\x00b\"}", "{\"q\":\"a\uFFFDb\"}", true},
		{"not UTF-8", "{\"q\":\"\xff\"}", "{\"q\":\"\uFFFD\"}", true},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &call.Record{ID: callID(100 + i), Started: t0, Ended: t0, Turns: []call.Turn{
				{N: 1, Tools: []call.ToolCall{{Name: "lookup_order", Args: tc.args}}},
			}}
			if err := calls.SaveCall(ctx, rec); err != nil {
				t.Fatalf("SaveCall: %v", err)
			}
			got, err := calls.Call(ctx, rec.ID)
			if err != nil {
				t.Fatalf("Call: %v", err)
			}
			args := got.Turns[0].Tools[0].Args
			if tc.invalid {
				if args != tc.want {
					t.Errorf("args came back as %q, want %q", args, tc.want)
				}
			} else if !jsonEqual(args, tc.want) {
				t.Errorf("args came back as %s, want %s", args, tc.want)
			}
			stored := queryInt(t, dsn, `SELECT count(*) FROM call_tool_calls
				WHERE call_id = $1 AND args_invalid = $2 AND (jsonb_typeof(args) = 'string') = $2`, rec.ID, tc.invalid)
			if stored != 1 {
				t.Errorf("not stored with args_invalid = %v as a JSON string or document", tc.invalid)
			}
		})
	}
}

func jsonEqual(a, b string) bool {
	var va, vb any
	return json.Unmarshal([]byte(a), &va) == nil && json.Unmarshal([]byte(b), &vb) == nil && reflect.DeepEqual(va, vb)
}

func TestSaveCallInvalidRecord(t *testing.T) {
	t.Parallel()
	db, dsn := pgtest.Migrated(t)
	calls := db.Calls()
	tests := []struct {
		name string
		edit func(*call.Record)
	}{
		{"not a UUID", func(r *call.Record) { r.ID = "call-1" }},
		{"empty ID", func(r *call.Record) { r.ID = "" }},
		{"UUID without dashes", func(r *call.Record) { r.ID = strings.ReplaceAll(r.ID, "-", "") }},
		{"UUID in braces", func(r *call.Record) { r.ID = "{" + r.ID + "}" }},
		{"two turns numbered 1", func(r *call.Record) { r.Turns[1].N = 1 }},
		{"negative turn number", func(r *call.Record) { r.Turns[0].N = -1 }},
		{"negative count", func(r *call.Record) { r.BargeIns = -1 }},
		{"count beyond int4", func(r *call.Record) { r.Underruns = 1 << 40 }},
		{"late frames beyond int4", func(r *call.Record) { r.LateFrames = 1 << 40 }},
		{"negative late frames", func(r *call.Record) { r.LateFrames = -1 }},
		{"negative lateness", func(r *call.Record) { r.MaxLate = -time.Millisecond }},
		{"caller not UTF-8", func(r *call.Record) { r.Caller = "\xff\xfe" }},
		{"NUL in a transcript", func(r *call.Record) { r.Turns[0].CallerText = "a\x00b" }},
		{"NUL in a tool name", func(r *call.Record) { r.Turns[0].Tools[0].Name = "x\x00" }},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := record(callID(200+i), t0)
			tc.edit(rec)
			err := calls.SaveCall(context.Background(), rec)
			if !errors.Is(err, postgres.ErrInvalidRecord) {
				t.Fatalf("SaveCall: %v, want ErrInvalidRecord", err)
			}
			t.Log(err)
			if c, tu, to := rowCounts(t, dsn, callID(200+i)); c+tu+to != 0 {
				t.Errorf("an invalid record left %d, %d, %d rows", c, tu, to)
			}
		})
	}
	if err := calls.SaveCall(context.Background(), nil); !errors.Is(err, postgres.ErrInvalidRecord) {
		t.Errorf("SaveCall(nil): %v, want ErrInvalidRecord", err)
	}
}

// An outage is not a bad record: the caller keeps the record and retries.
func TestSaveCallOutageIsNotInvalidRecord(t *testing.T) {
	t.Parallel()
	db, err := postgres.Open(context.Background(), pgtest.ClosedDSN(t, "postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Calls().SaveCall(context.Background(), record(callID(1), t0))
	if err == nil || errors.Is(err, postgres.ErrInvalidRecord) {
		t.Errorf("SaveCall with the database down: %v, want an error that is not ErrInvalidRecord", err)
	}
}

func TestCallsCancelledContext(t *testing.T) {
	t.Parallel()
	db, _ := pgtest.Migrated(t)
	calls := db.Calls()
	ctx := cancelled()
	if err := calls.SaveCall(ctx, record(callID(1), t0)); !errors.Is(err, context.Canceled) || errors.Is(err, postgres.ErrInvalidRecord) {
		t.Errorf("SaveCall: %v, want context.Canceled", err)
	}
	if _, err := calls.Call(ctx, callID(1)); !errors.Is(err, context.Canceled) {
		t.Errorf("Call: %v, want context.Canceled", err)
	}
	if _, err := calls.ListCalls(ctx, call.ListFilter{}); !errors.Is(err, context.Canceled) {
		t.Errorf("ListCalls: %v, want context.Canceled", err)
	}
	if _, err := calls.DeleteCallsBefore(ctx, t0); !errors.Is(err, context.Canceled) {
		t.Errorf("DeleteCallsBefore: %v, want context.Canceled", err)
	}
}

func TestListCalls(t *testing.T) {
	t.Parallel()
	db, _ := pgtest.Migrated(t)
	calls := db.Calls()
	ctx := context.Background()

	// Eight calls a minute apart (calls 7 and 8 start together, so ID
	// breaks the tie), from two callers, with two outcomes and both
	// dispositions.
	base := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	for i := 1; i <= 8; i++ {
		r := record(callID(i), base.Add(time.Duration(min(i, 7))*time.Minute))
		r.Caller = "+7900000000" + fmt.Sprint(i%2)
		r.Outcome = []string{"completed", "transferred"}[i%3/2]
		r.Disposition = []call.Disposition{call.DispositionHangup, call.DispositionOperator}[i%2]
		if err := calls.SaveCall(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(ns ...int) []string {
		var out []string
		for _, n := range ns {
			out = append(out, callID(n))
		}
		return out
	}
	tests := []struct {
		name      string
		f         call.ListFilter
		want      []string
		wantTotal int
	}{
		{"all, newest first, ID breaks ties", call.ListFilter{}, ids(8, 7, 6, 5, 4, 3, 2, 1), 8},
		{"since", call.ListFilter{Since: base.Add(6 * time.Minute)}, ids(8, 7, 6), 3},
		{"until is exclusive", call.ListFilter{Until: base.Add(3 * time.Minute)}, ids(2, 1), 2},
		{"window", call.ListFilter{Since: base.Add(2 * time.Minute), Until: base.Add(5 * time.Minute)}, ids(4, 3, 2), 3},
		{"outcome", call.ListFilter{Outcome: "transferred"}, ids(8, 5, 2), 3},
		{"disposition", call.ListFilter{Disposition: call.DispositionOperator}, ids(7, 5, 3, 1), 4},
		{"caller", call.ListFilter{Caller: "+79000000000"}, ids(8, 6, 4, 2), 4},
		{"caller and outcome", call.ListFilter{Caller: "+79000000000", Outcome: "transferred"}, ids(8, 2), 2},
		{"unknown caller", call.ListFilter{Caller: "+1"}, nil, 0},
		{"limit", call.ListFilter{Limit: 3}, ids(8, 7, 6), 8},
		{"offset", call.ListFilter{Limit: 3, Offset: 6}, ids(2, 1), 8},
		{"offset past the end", call.ListFilter{Offset: 8}, nil, 8},
		{"negative offset", call.ListFilter{Limit: 1, Offset: -5}, ids(8), 8},
		{"limit above the maximum", call.ListFilter{Limit: call.MaxListLimit + 1}, ids(8, 7, 6, 5, 4, 3, 2, 1), 8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			page, err := calls.ListCalls(ctx, tc.f)
			if err != nil {
				t.Fatalf("ListCalls: %v", err)
			}
			if page.Calls == nil {
				t.Error("Calls is nil, want an empty slice")
			}
			var got []string
			for _, r := range page.Calls {
				got = append(got, r.ID)
				if r.Turns != nil {
					t.Errorf("call %s listed with its turns", r.ID)
				}
			}
			if !slices.Equal(got, tc.want) || page.Total != tc.wantTotal {
				t.Errorf("got %v (total %d), want %v (total %d)", got, page.Total, tc.want, tc.wantTotal)
			}
		})
	}

	// Paging through everything gives every call once.
	var all []string
	for off := 0; ; off += 3 {
		page, err := calls.ListCalls(ctx, call.ListFilter{Limit: 3, Offset: off})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Calls) == 0 {
			break
		}
		for _, r := range page.Calls {
			all = append(all, r.ID)
		}
	}
	if want := ids(8, 7, 6, 5, 4, 3, 2, 1); !slices.Equal(all, want) {
		t.Errorf("paging gave %v, want %v", all, want)
	}

	// A listed call has the fields of the record but its turns.
	page, err := calls.ListCalls(ctx, call.ListFilter{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := record(callID(8), base.Add(7*time.Minute))
	want.Caller, want.Outcome, want.Disposition = "+79000000000", "transferred", call.DispositionHangup
	want.Turns = nil
	assertSameRecord(t, page.Calls[0], want)
}

func TestDeleteCallsBefore(t *testing.T) {
	t.Parallel()
	db, dsn := pgtest.Migrated(t)
	calls := db.Calls()
	ctx := context.Background()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 1; i <= 5; i++ {
		r := record(callID(i), base.Add(time.Duration(i)*time.Hour))
		r.Ended = r.Started.Add(10 * time.Minute)
		if err := calls.SaveCall(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	// Calls 1 and 2 ended at 1:10 and 2:10; call 3 ends at 3:10, not before.
	n, err := calls.DeleteCallsBefore(ctx, base.Add(3*time.Hour+10*time.Minute))
	if err != nil || n != 2 {
		t.Fatalf("DeleteCallsBefore = %d, %v; want 2", n, err)
	}
	for i := 1; i <= 5; i++ {
		_, err := calls.Call(ctx, callID(i))
		if deleted := errors.Is(err, call.ErrNotFound); deleted != (i <= 2) {
			t.Errorf("call %d: Call error %v after the retention run", i, err)
		}
	}
	if n := queryInt(t, dsn, `SELECT count(*) FROM call_turns`); n != 3*2 {
		t.Errorf("%d turns left, want 6", n)
	}
	if n := queryInt(t, dsn, `SELECT count(*) FROM call_tool_calls`); n != 3*2 {
		t.Errorf("%d tool calls left, want 6", n)
	}
	if n, err := calls.DeleteCallsBefore(ctx, base); err != nil || n != 0 {
		t.Errorf("nothing to delete: %d, %v", n, err)
	}
}
