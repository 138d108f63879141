package api

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tirevoice/assistant/internal/call"
)

func TestGetCall(t *testing.T) {
	e := newEnv(t, envOptions{})
	id := uuid.New().String()
	start := time.Date(2026, 1, 13, 10, 0, 0, 0, time.UTC)
	err := e.calls.SaveCall(context.Background(), &call.Record{
		ID: id, Caller: testCaller, Called: "84951234567", Environment: "staging",
		Outcome: "operator", Disposition: call.DispositionOperator, Reason: "caller pressed 0",
		Started: start, Ended: start.Add(42 * time.Second), Rate: 8000,
		Underruns: 2, LateFrames: 29, MaxLate: 126500 * time.Microsecond,
		Turns: []call.Turn{
			{N: 1, CallerText: "оператор", Tools: []call.ToolCall{{Name: "transfer_to_operator", Args: "{}", Duration: 3 * time.Millisecond}}},
			{N: 2, CallerText: "спасибо", BotText: []string{"Соединяю."}, TurnLatency: 450 * time.Millisecond},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		bad        bool
		want       int
		errCode    string
	}{
		{"found", id, false, 200, ""},
		{"upper case", strings.ToUpper(id), false, 200, ""},
		{"unknown call", uuid.New().String(), false, 404, "not_found"},
		{"not a uuid", "1;drop", true, 400, "bad_uuid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(t, request{method: "GET", path: "/api/v1/calls/" + tt.path, token: testToken, bad: tt.bad})
			expect(t, r, tt.want, tt.errCode)
			if r.code != http.StatusOK {
				return
			}
			v := r.json(t)
			turns := v["turns"].([]any)
			tools := turns[0].(map[string]any)["tools"].([]any)
			switch {
			case v["id"] != id, v["caller"] != testCaller, v["called"] != "84951234567", v["environment"] != "staging",
				v["disposition"] != "operator", v["duration_ms"] != 42000.0, len(turns) != 2,
				tools[0].(map[string]any)["name"] != "transfer_to_operator",
				turns[1].(map[string]any)["turn_latency_ms"] != 450.0,
				v["underruns"] != 2.0, v["late_frames"] != 29.0, v["max_late_ms"] != 126.5:
				t.Errorf("call view = %s", r.body)
			}
		})
	}
}

func TestListCalls(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	base := time.Date(2026, 1, 13, 10, 0, 0, 0, time.UTC)
	// Ten calls a minute apart: even ones from testCaller handed to an
	// operator, odd ones completed by the bot from another number.
	ids := make([]string, 10)
	for i := range ids {
		ids[i] = fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
		rec := &call.Record{ID: ids[i], Caller: "+74950000000", Outcome: "completed", Disposition: call.DispositionHangup,
			Started: base.Add(time.Duration(i) * time.Minute), Ended: base.Add(time.Duration(i)*time.Minute + 30*time.Second)}
		if i%2 == 0 {
			rec.Caller, rec.Outcome, rec.Disposition = testCaller, "operator", call.DispositionOperator
		}
		if err := e.calls.SaveCall(ctx, rec); err != nil {
			t.Fatal(err)
		}
	}
	at := func(minute int) string {
		return url.QueryEscape(base.Add(time.Duration(minute) * time.Minute).Format(time.RFC3339))
	}

	tests := []struct {
		name, query   string
		total         int
		ids           []int // indexes into ids, in answer order
		limit, offset int
	}{
		{"all, newest first", "", 10, []int{9, 8, 7, 6, 5, 4, 3, 2, 1, 0}, 50, 0},
		{"page", "?limit=3&offset=2", 10, []int{7, 6, 5}, 3, 2},
		{"past the end", "?offset=20", 10, nil, 50, 20},
		{"since", "?since=" + at(7), 3, []int{9, 8, 7}, 50, 0},
		{"until", "?until=" + at(2), 2, []int{1, 0}, 50, 0},
		{"since and until, other offset", "?since=" + at(2) + "&until=" + url.QueryEscape(base.Add(5*time.Minute).In(time.FixedZone("MSK", 3*3600)).Format(time.RFC3339)), 3, []int{4, 3, 2}, 50, 0},
		{"outcome", "?outcome=completed", 5, []int{9, 7, 5, 3, 1}, 50, 0},
		{"disposition", "?disposition=operator&limit=2", 5, []int{8, 6}, 2, 0},
		{"caller", "?caller=" + url.QueryEscape(testCaller) + "&offset=3", 5, []int{2, 0}, 50, 3},
		{"no match", "?outcome=no_input", 0, nil, 50, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(t, request{method: "GET", path: "/api/v1/calls" + tt.query, token: testToken})
			expect(t, r, http.StatusOK, "")
			v := r.json(t)
			var got []string
			for _, c := range v["calls"].([]any) {
				c := c.(map[string]any)
				got = append(got, c["id"].(string))
				if _, hasTurns := c["turns"]; hasTurns {
					t.Error("the list shows turns")
				}
			}
			var want []string
			for _, i := range tt.ids {
				want = append(want, ids[i])
			}
			if fmt.Sprint(got) != fmt.Sprint(want) || v["total"] != float64(tt.total) || v["limit"] != float64(tt.limit) || v["offset"] != float64(tt.offset) {
				t.Errorf("got %v total %v limit %v offset %v\nwant %v total %d limit %d offset %d",
					got, v["total"], v["limit"], v["offset"], want, tt.total, tt.limit, tt.offset)
			}
		})
	}

	bad := []struct {
		name, query, param string
		specBad            bool // the spec itself refuses it
	}{
		{"since not a time", "?since=yesterday", "since", true},
		{"until without zone", "?until=2026-01-13T10:00:00", "until", true},
		{"until before since", "?since=" + at(5) + "&until=" + at(2), "until", false},
		{"outcome with capitals", "?outcome=Completed", "outcome", true},
		{"disposition", "?disposition=voicemail", "disposition", true},
		{"caller with spaces", "?caller=8+916+123", "caller", true},
		{"limit zero", "?limit=0", "limit", true},
		{"limit too high", "?limit=501", "limit", true},
		{"limit not a number", "?limit=ten", "limit", true},
		{"offset negative", "?offset=-1", "offset", true},
		{"unknown parameter", "?phone=1", "phone", false},
		{"parameter twice", "?limit=1&limit=2", "limit", false},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(t, request{method: "GET", path: "/api/v1/calls" + tt.query, token: testToken, bad: tt.specBad})
			expect(t, r, http.StatusBadRequest, "bad_request")
			if msg := r.json(t)["message"].(string); !strings.Contains(msg, tt.param) {
				t.Errorf("message %q does not name %s", msg, tt.param)
			}
		})
	}
}
