package api

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/tirevoice/assistant/internal/call"
)

// requireToken lets a request through only with the API bearer token.
// Without a configured token the protected endpoints are switched off.
func requireToken(token string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if token == "" {
			writeError(w, http.StatusForbidden, "api_disabled", "the HTTP API is disabled: set API_TOKEN")
			return
		}
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="call-processor"`)
			writeError(w, http.StatusUnauthorized, "unauthorized", "a valid bearer token is required")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// apiError is the body of every error answer.
type apiError struct {
	Status  int    `json:"status"`
	Error   string `json:"error"`
	Message string `json:"message"`
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, apiError{Status: status, Error: code, Message: msg})
}

// CallSummary is a finished call as the call list shows it, without its
// turns. Durations are in milliseconds. Numbers are shown in full: the API
// is behind the token.
type CallSummary struct {
	ID                string    `json:"id"`
	Caller            string    `json:"caller"`
	Called            string    `json:"called"`
	Environment       string    `json:"environment"`
	Started           time.Time `json:"started"`
	Ended             time.Time `json:"ended"`
	DurationMS        float64   `json:"duration_ms"`
	RateHz            int       `json:"rate_hz"`
	Outcome           string    `json:"outcome"`
	Disposition       string    `json:"disposition"`
	Reason            string    `json:"reason"`
	Failure           string    `json:"failure,omitempty"`
	GreetingLatencyMS float64   `json:"greeting_latency_ms"`
	BargeIns          int       `json:"barge_ins"`
	NoInputs          int       `json:"no_inputs"`
	DTMF              string    `json:"dtmf"`
	// Playout faults: silence in the middle of an utterance (underruns),
	// and ticks skipped because the audio went out late.
	Underruns  int     `json:"underruns"`
	LateFrames int     `json:"late_frames"`
	MaxLateMS  float64 `json:"max_late_ms"`
}

// CallView is a call as the API shows it: its summary and its turns.
type CallView struct {
	CallSummary
	Turns []TurnView `json:"turns"`
}

// TurnView is one turn of a call.
type TurnView struct {
	N              int        `json:"n"`
	CallerText     string     `json:"caller_text"`
	BotText        []string   `json:"bot_text"`
	Action         string     `json:"action"`
	Interrupted    bool       `json:"interrupted"`
	Failure        string     `json:"failure,omitempty"`
	Tools          []ToolView `json:"tools"`
	STTLatencyMS   float64    `json:"stt_latency_ms"`
	ReplyLatencyMS float64    `json:"reply_latency_ms"`
	TTSLatencyMS   float64    `json:"tts_latency_ms"`
	TurnLatencyMS  float64    `json:"turn_latency_ms"`
}

// ToolView is one tool call of a turn.
type ToolView struct {
	Name       string  `json:"name"`
	Args       string  `json:"args"`
	Result     string  `json:"result"`
	Error      string  `json:"error,omitempty"`
	DurationMS float64 `json:"duration_ms"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// SummaryOf turns a call record, without its turns, into its API form.
func SummaryOf(r *call.Record) CallSummary {
	return CallSummary{
		ID: r.ID, Caller: r.Caller, Called: r.Called, Environment: r.Environment,
		Started: r.Started, Ended: r.Ended, DurationMS: ms(r.Duration()), RateHz: r.Rate,
		Outcome: r.Outcome, Disposition: string(r.Disposition), Reason: r.Reason, Failure: r.Failure,
		GreetingLatencyMS: ms(r.GreetingLatency), BargeIns: r.BargeIns, NoInputs: r.NoInputs, DTMF: r.DTMF,
		Underruns: r.Underruns, LateFrames: r.LateFrames, MaxLateMS: ms(r.MaxLate),
	}
}

// ViewOf turns a call record into its API form.
func ViewOf(r *call.Record) CallView {
	v := CallView{CallSummary: SummaryOf(r), Turns: []TurnView{}}
	for _, t := range r.Turns {
		tv := TurnView{
			N: t.N, CallerText: t.CallerText, BotText: append([]string{}, t.BotText...), Action: t.Action, Interrupted: t.Interrupted,
			Failure: t.Failure, Tools: []ToolView{}, STTLatencyMS: ms(t.STTLatency), ReplyLatencyMS: ms(t.ReplyLatency),
			TTSLatencyMS: ms(t.TTSLatency), TurnLatencyMS: ms(t.TurnLatency),
		}
		for _, c := range t.Tools {
			tv.Tools = append(tv.Tools, ToolView{Name: c.Name, Args: c.Args, Result: c.Result, Error: c.Error, DurationMS: ms(c.Duration)})
		}
		v.Turns = append(v.Turns, tv)
	}
	return v
}

func handleGetCall(d Deps) http.Handler {
	if d.Calls == nil {
		return notConfigured("the call store")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := parseCallID(r.PathValue("uuid"))
		if !ok {
			writeError(w, http.StatusBadRequest, "bad_uuid", "the call id must be a UUID")
			return
		}
		rec, err := d.Calls.Call(r.Context(), id)
		switch {
		case errors.Is(err, call.ErrNotFound):
			writeError(w, http.StatusNotFound, "not_found", "no finished call with this id")
			return
		case err != nil:
			storeFailed(w, r, d.Logger, "reading a call", err)
			return
		}
		writeJSON(w, http.StatusOK, ViewOf(rec))
	})
}

// CallList is one page of the call list.
type CallList struct {
	Calls  []CallSummary `json:"calls"` // newest first
	Total  int           `json:"total"` // calls matching the filters, over all pages
	Limit  int           `json:"limit"`
	Offset int           `json:"offset"`
}

// outcomeRE is the shape of an outcome (metrics.Outcome*); the list does
// not pin the set, which may grow.
var outcomeRE = regexp.MustCompile(`^[a-z][a-z_]{0,39}$`)

// maxOffset bounds the offset of the call list.
const maxOffset = 1_000_000

// handleListCalls lists finished calls, newest first, filtered and paged.
func handleListCalls(d Deps) http.Handler {
	if d.Calls == nil {
		return notConfigured("the call store")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q, ok := queryParams(w, r, "since", "until", "outcome", "disposition", "caller", "limit", "offset")
		if !ok {
			return
		}
		f, err := listFilter(q)
		if err != nil {
			badRequest(w, "%v", err)
			return
		}
		page, err := d.Calls.ListCalls(r.Context(), f)
		if err != nil {
			storeFailed(w, r, d.Logger, "listing calls", err)
			return
		}
		out := CallList{Calls: make([]CallSummary, 0, len(page.Calls)), Total: page.Total, Limit: f.Limit, Offset: f.Offset}
		for _, rec := range page.Calls {
			out.Calls = append(out.Calls, SummaryOf(rec))
		}
		writeJSON(w, http.StatusOK, out)
	})
}

// listFilter reads the call list's query; an error names the parameter.
func listFilter(q url.Values) (call.ListFilter, error) {
	var f call.ListFilter
	var err error
	for _, p := range []struct {
		name string
		t    *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if s := q.Get(p.name); s != "" {
			if *p.t, err = time.Parse(time.RFC3339, s); err != nil {
				return f, fmt.Errorf("%s: want an RFC 3339 time such as 2026-01-13T10:00:00+03:00", p.name)
			}
		}
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		return f, errors.New("until: must be after since")
	}
	if f.Outcome = q.Get("outcome"); f.Outcome != "" && !outcomeRE.MatchString(f.Outcome) {
		return f, errors.New("outcome: want a lower-case word such as completed or operator")
	}
	switch disp := call.Disposition(q.Get("disposition")); disp {
	case "", call.DispositionHangup, call.DispositionOperator:
		f.Disposition = disp
	default:
		return f, fmt.Errorf("disposition: want %s or %s", call.DispositionHangup, call.DispositionOperator)
	}
	if f.Caller = q.Get("caller"); f.Caller != "" && !phoneRE.MatchString(f.Caller) {
		return f, errors.New("caller: want digits with an optional leading +, at most 20")
	}
	if f.Limit, err = intParam(q, "limit", call.DefaultListLimit, 1, call.MaxListLimit); err != nil {
		return f, err
	}
	if f.Offset, err = intParam(q, "offset", 0, 0, maxOffset); err != nil {
		return f, err
	}
	return f, nil
}
