package api

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

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

// CallView is a call as the API shows it. Durations are in milliseconds.
type CallView struct {
	ID                string     `json:"id"`
	Started           time.Time  `json:"started"`
	Ended             time.Time  `json:"ended"`
	DurationMS        float64    `json:"duration_ms"`
	RateHz            int        `json:"rate_hz"`
	Outcome           string     `json:"outcome"`
	Disposition       string     `json:"disposition"`
	Reason            string     `json:"reason"`
	Failure           string     `json:"failure,omitempty"`
	GreetingLatencyMS float64    `json:"greeting_latency_ms"`
	BargeIns          int        `json:"barge_ins"`
	NoInputs          int        `json:"no_inputs"`
	DTMF              string     `json:"dtmf"`
	Turns             []TurnView `json:"turns"`
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

// ViewOf turns a call record into its API form.
func ViewOf(r *call.Record) CallView {
	v := CallView{
		ID: r.ID, Started: r.Started, Ended: r.Ended, DurationMS: ms(r.Duration()), RateHz: r.Rate,
		Outcome: r.Outcome, Disposition: string(r.Disposition), Reason: r.Reason, Failure: r.Failure,
		GreetingLatencyMS: ms(r.GreetingLatency), BargeIns: r.BargeIns, NoInputs: r.NoInputs, DTMF: r.DTMF,
		Turns: []TurnView{},
	}
	for _, t := range r.Turns {
		tv := TurnView{
			N: t.N, CallerText: t.CallerText, BotText: t.BotText, Action: t.Action, Interrupted: t.Interrupted,
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
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := uuid.Parse(r.PathValue("uuid"))
		if err != nil {
			writeError(w, http.StatusBadRequest, "bad_uuid", "the call id must be a UUID")
			return
		}
		rec, err := d.Calls.Call(r.Context(), id.String())
		switch {
		case errors.Is(err, call.ErrNotFound):
			writeError(w, http.StatusNotFound, "not_found", "no finished call with this id")
			return
		case err != nil:
			d.Logger.Error("reading a call", "call_id", id.String(), "err", err)
			writeError(w, http.StatusServiceUnavailable, "storage_unavailable", "the call store did not answer")
			return
		}
		writeJSON(w, http.StatusOK, ViewOf(rec))
	})
}
