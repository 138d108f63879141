package claude

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

	"go.uber.org/goleak"

	"github.com/tirevoice/assistant/internal/dialog"
	"github.com/tirevoice/assistant/internal/limits"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// releasing returns a recorder whose first piece lets the fake API go on
// past its barrier.
func releasing(h *harness) *sayRecorder {
	return &sayRecorder{onSay: func(string) { h.api.release() }}
}

// Fixture phrases.
var (
	textReply = []string{
		"Да, зимние шины 205/55 R16 есть в наличии.",
		"Могу предложить Nokian Hakkapeliitta 10 и Michelin X-Ice North 4.",
		"Назвать цены?",
	}
	searchAnswer = []string{
		"Есть два варианта: Nokian Hakkapeliitta 10 за девять тысяч рублей и Michelin X-Ice North 4 за одиннадцать тысяч.",
		"Какой вам интереснее?",
	}
)

// message is a message of a recorded request.
type message struct {
	Role    string           `json:"role"`
	Content []map[string]any `json:"content"`
}

func messagesOf(t *testing.T, req recorded) []message {
	t.Helper()
	raw, err := json.Marshal(req.body["messages"])
	if err != nil {
		t.Fatal(err)
	}
	var msgs []message
	if err := json.Unmarshal(raw, &msgs); err != nil {
		t.Fatalf("messages: %v in %s", err, raw)
	}
	return msgs
}

// brief renders messages compactly: "user: text | assistant: text, tool_use(name)".
func brief(msgs []message) []string {
	var out []string
	for _, m := range msgs {
		var parts []string
		for _, b := range m.Content {
			switch b["type"] {
			case "text":
				parts = append(parts, fmt.Sprint(b["text"]))
			case "tool_use":
				parts = append(parts, fmt.Sprintf("tool_use(%v)", b["name"]))
			case "tool_result":
				parts = append(parts, fmt.Sprintf("tool_result(%v)", b["tool_use_id"]))
			}
		}
		out = append(out, m.Role+": "+strings.Join(parts, ", "))
	}
	return out
}

func jsonEqual(t *testing.T, got any, want string) {
	t.Helper()
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	if raw, ok := got.(json.RawMessage); ok {
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatalf("not JSON: %s", raw)
		}
	}
	if !reflect.DeepEqual(got, w) {
		gb, _ := json.Marshal(got)
		t.Errorf("JSON %s, want %s", gb, want)
	}
}

func TestTextReplyIsSpokenSentenceBySentence(t *testing.T) {
	h := newHarness(t, []response{stream("text_reply.sse")})
	// The fake stops after the first sentence until it is said: a reply
	// spoken only at the end of the stream would never get there.
	rec := releasing(h)
	out, err := h.respond(t.Context(), "Есть зимние шины 205/55 R16?", rec.say)
	if err != nil || out.Action != dialog.Continue {
		t.Fatalf("Respond = %+v, %v", out, err)
	}
	if got := rec.said(); !slices.Equal(got, textReply) {
		t.Errorf("said %q\nwant %q", got, textReply)
	}
	if n := len(h.fb.calls()); n != 0 {
		t.Errorf("fallback answered %d times", n)
	}

	reqs := h.api.recorded()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	body := reqs[0].body
	if d := configured(t); body["model"] != d.Model || body["max_tokens"] != float64(d.MaxTokens) || body["stream"] != true {
		t.Errorf("model %v, max_tokens %v, stream %v", body["model"], body["max_tokens"], body["stream"])
	}
	if _, ok := body["tool_choice"]; ok {
		t.Errorf("tool_choice %v on a first request", body["tool_choice"])
	}
	system, _ := body["system"].([]any)
	if len(system) != 1 || !strings.Contains(fmt.Sprint(system[0].(map[string]any)["text"]), "шин") {
		t.Errorf("system = %v", body["system"])
	}
	toolList, _ := body["tools"].([]any)
	if len(toolList) != 2 {
		t.Fatalf("tools = %v", body["tools"])
	}
	search := toolList[0].(map[string]any)
	if search["name"] != "search_tires" || search["description"] != "Ищет шины в наличии по размеру и сезону." {
		t.Errorf("tool = %v", search)
	}
	jsonEqual(t, search["input_schema"], `{"type":"object","properties":{
		"width":{"type":"integer","minimum":135,"maximum":355},
		"profile":{"type":"integer","minimum":25,"maximum":85},
		"diameter":{"type":"integer","minimum":12,"maximum":24},
		"season":{"type":"string","enum":["summer","winter","all_season"]}},
		"required":["width","profile","diameter","season"],"additionalProperties":false}`)
	if got, want := brief(messagesOf(t, reqs[0])), []string{"user: Есть зимние шины 205/55 R16?"}; !slices.Equal(got, want) {
		t.Errorf("messages %q, want %q", got, want)
	}
	// message_start: 1214 input + 2048 cache read; message_delta: 41 output.
	if got := h.lim.used(); !slices.Equal(got, []int{1214 + 2048 + 41}) {
		t.Errorf("tokens used %v", got)
	}
}

func TestToolCall(t *testing.T) {
	h := newHarness(t, []response{
		stream("tool_search.sse"), stream("tool_search_answer.sse"), stream("text_reply.sse"),
	})
	rec := releasing(h)
	out, err := h.respond(t.Context(), "Нужны зимние шины 205/55 R16.", rec.say)
	if err != nil || out.Action != dialog.Continue {
		t.Fatalf("Respond = %+v, %v", out, err)
	}
	want := append([]string{"Сейчас проверю наличие."}, searchAnswer...)
	if got := rec.said(); !slices.Equal(got, want) {
		t.Errorf("said %q\nwant %q", got, want)
	}
	calls := h.tools.searchCalls()
	if len(calls) != 1 {
		t.Fatalf("search_tires ran %d times", len(calls))
	}
	jsonEqual(t, calls[0], `{"width":205,"profile":55,"diameter":16,"season":"winter"}`)

	reqs := h.api.recorded()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	msgs := messagesOf(t, reqs[1])
	wantBrief := []string{
		"user: Нужны зимние шины 205/55 R16.",
		"assistant: Сейчас проверю наличие., tool_use(search_tires)",
		"user: tool_result(toolu_01D7FLrfh4GYq7yT1ULFeyMV)",
	}
	if got := brief(msgs); !slices.Equal(got, wantBrief) {
		t.Fatalf("second request messages %q\nwant %q", got, wantBrief)
	}
	use := msgs[1].Content[1]
	if use["id"] != "toolu_01D7FLrfh4GYq7yT1ULFeyMV" {
		t.Errorf("tool_use = %v", use)
	}
	jsonEqual(t, use["input"], `{"width":205,"profile":55,"diameter":16,"season":"winter"}`)
	result := msgs[2].Content[0]
	if result["is_error"] == true {
		t.Errorf("tool_result is an error: %v", result)
	}
	var content struct {
		Say  string           `json:"say"`
		Data []map[string]any `json:"data"`
	}
	if err := json.Unmarshal([]byte(toolResultText(t, result)), &content); err != nil {
		t.Fatal(err)
	}
	if content.Say != searchSay || len(content.Data) != 2 || content.Data[0]["model"] != "Nokian Hakkapeliitta 10" {
		t.Errorf("tool_result content = %+v", content)
	}

	// The next turn carries the whole call so far.
	rec2 := releasing(h)
	if _, err := h.respond(t.Context(), "А цены какие?", rec2.say); err != nil {
		t.Fatal(err)
	}
	reqs = h.api.recorded()
	wantBrief = append(wantBrief, "assistant: "+strings.Join(searchAnswer, " "), "user: А цены какие?")
	if got := brief(messagesOf(t, reqs[2])); !slices.Equal(got, wantBrief) {
		t.Errorf("third request messages %q\nwant %q", got, wantBrief)
	}
}

func toolResultText(t *testing.T, block map[string]any) string {
	t.Helper()
	switch c := block["content"].(type) {
	case string:
		return c
	case []any:
		if len(c) == 1 {
			if m, ok := c[0].(map[string]any); ok && m["type"] == "text" {
				return fmt.Sprint(m["text"])
			}
		}
	}
	t.Fatalf("tool_result content = %v", block["content"])
	return ""
}

func TestInvalidToolArgumentsGoBackToTheModel(t *testing.T) {
	h := newHarness(t, []response{stream("tool_invalid.sse"), stream("ask_size.sse")})
	rec := releasing(h)
	out, err := h.respond(t.Context(), "Мне зимние, двести пятые.", rec.say)
	if err != nil || out.Action != dialog.Continue {
		t.Fatalf("Respond = %+v, %v", out, err)
	}
	if n := len(h.tools.searchCalls()); n != 0 {
		t.Errorf("search_tires ran %d times with invalid arguments", n)
	}
	want := []string{"Уточните, пожалуйста, полный размер шин: ширину, профиль и диаметр."}
	if got := rec.said(); !slices.Equal(got, want) {
		t.Errorf("said %q, want %q", got, want)
	}
	reqs := h.api.recorded()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	msgs := messagesOf(t, reqs[1])
	if len(msgs) != 3 {
		t.Fatalf("messages %q", brief(msgs))
	}
	jsonEqual(t, msgs[1].Content[0]["input"], `{"width":"двести пять","season":"зима"}`)
	result := msgs[2].Content[0]
	if result["is_error"] != true || result["tool_use_id"] != "toolu_01Q2ZbNn5cVxL9yT8sRkWmPa" {
		t.Errorf("tool_result = %v", result)
	}
	if text := toolResultText(t, result); !strings.Contains(text, "invalid arguments") {
		t.Errorf("tool_result text %q does not say what is wrong", text)
	}
}

func TestToolTransfersTheCall(t *testing.T) {
	tests := []struct {
		name   string
		script []response
		said   []string
	}{
		{
			name:   "the model says its last words",
			script: []response{stream("tool_transfer.sse"), stream("transfer_final.sse")},
			said:   []string{"Соединяю вас с оператором, оставайтесь, пожалуйста, на линии."},
		},
		{
			name: "the tool's phrase when the model cannot",
			script: []response{stream("tool_transfer.sse"),
				apiError(529, "error_overloaded.json"), apiError(529, "error_overloaded.json")},
			said: []string{"Соединяю с оператором."},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.script)
			rec := releasing(h)
			out, err := h.respond(t.Context(), "Соедините меня с человеком.", rec.say)
			if err != nil {
				t.Fatal(err)
			}
			if out.Action != dialog.Transfer || out.Reason != "caller asked for a human" {
				t.Errorf("outcome %+v", out)
			}
			if got := rec.said(); !slices.Equal(got, tt.said) {
				t.Errorf("said %q, want %q", got, tt.said)
			}
			if n := len(h.fb.calls()); n != 0 {
				t.Errorf("fallback answered %d times", n)
			}
			reqs := h.api.recorded()
			if len(reqs) < 2 {
				t.Fatalf("%d requests", len(reqs))
			}
			// After the transfer the model may only talk.
			jsonEqual(t, reqs[1].body["tool_choice"], `{"type":"none"}`)
		})
	}
}

func TestRetryAndFallback(t *testing.T) {
	fallbackSaid := []string{fallbackPhrase}
	tests := []struct {
		name     string
		script   []response
		said     []string
		requests int
		fallback bool
		log      string // in the log, as JSON attributes
	}{
		{
			name:     "overloaded, then success",
			script:   []response{apiError(529, "error_overloaded.json"), stream("text_reply.sse")},
			said:     textReply,
			requests: 2,
			log:      `"status":529,"type":"overloaded_error","request_id":"req_011CTestFakeRequest01"`,
		},
		{
			name:     "overloaded twice",
			script:   []response{apiError(529, "error_overloaded.json"), apiError(529, "error_overloaded.json")},
			said:     fallbackSaid,
			requests: 2,
			fallback: true,
			log:      `"status":529`,
		},
		{
			name:     "rate limited twice",
			script:   []response{apiError(429, "error_rate_limit.json"), apiError(429, "error_rate_limit.json")},
			said:     fallbackSaid,
			requests: 2,
			fallback: true,
			log:      `"status":429,"type":"rate_limit_error"`,
		},
		{
			name:     "rate limited, then success",
			script:   []response{apiError(429, "error_rate_limit.json"), stream("text_reply.sse")},
			said:     textReply,
			requests: 2,
			log:      `"status":429`,
		},
		{
			name:     "server error, then success",
			script:   []response{apiError(500, "error_api.json"), stream("text_reply.sse")},
			said:     textReply,
			requests: 2,
			log:      `"status":500,"type":"api_error"`,
		},
		{
			name:     "overloaded event in the stream, then success",
			script:   []response{stream("stream_overloaded.sse"), stream("text_reply.sse")},
			said:     textReply,
			requests: 2,
			log:      `"type":"overloaded_error","in_stream":true`,
		},
		{
			name:     "a bad request is not retried",
			script:   []response{apiError(400, "error_invalid_request.json")},
			said:     fallbackSaid,
			requests: 1,
			fallback: true,
			log:      `"status":400,"type":"invalid_request_error"`,
		},
		{
			name:     "no retry once speech went out",
			script:   []response{stream("text_then_overloaded.sse")},
			said:     []string{"Сейчас посмотрю.", fallbackPhrase},
			requests: 1,
			fallback: true,
			log:      `"type":"overloaded_error"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.script)
			rec := releasing(h)
			const asked = "Есть зимние шины 205/55 R16?"
			out, err := h.respond(t.Context(), asked, rec.say)
			if err != nil || out.Action != dialog.Continue {
				t.Fatalf("Respond = %+v, %v", out, err)
			}
			if got := rec.said(); !slices.Equal(got, tt.said) {
				t.Errorf("said %q\nwant %q", got, tt.said)
			}
			if n := len(h.api.recorded()); n != tt.requests {
				t.Errorf("%d requests, want %d", n, tt.requests)
			}
			calls := h.fb.calls()
			if tt.fallback != (len(calls) == 1) || (tt.fallback && calls[0].Text != asked) {
				t.Errorf("fallback calls %+v, want fallback %v", calls, tt.fallback)
			}
			if tt.fallback != (out.Fallback != "") {
				t.Errorf("Outcome.Fallback = %q, want it set: %v", out.Fallback, tt.fallback)
			}
			if logs := h.logs.String(); !strings.Contains(logs, tt.log) {
				t.Errorf("log lacks %q:\n%s", tt.log, logs)
			}
		})
	}
}

func TestFallbackFailureIsTheTurnsError(t *testing.T) {
	h := newHarness(t, []response{apiError(529, "error_overloaded.json"), apiError(529, "error_overloaded.json")})
	storeDown := errors.New("store API down")
	h.fb.err = storeDown
	rec := releasing(h)
	if _, err := h.respond(t.Context(), "Где мой заказ?", rec.say); !errors.Is(err, storeDown) {
		t.Fatalf("Respond error %v, want %v", err, storeDown)
	}
}

func TestTurnTimeoutFallsBack(t *testing.T) {
	h := newHarness(t, []response{stream("stall.sse")}, withTurnTimeout(300*time.Millisecond))
	rec := releasing(h)
	start := time.Now()
	out, err := h.respond(t.Context(), "Есть зимние шины?", rec.say)
	if err != nil || out.Action != dialog.Continue {
		t.Fatalf("Respond = %+v, %v", out, err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("Respond took %v with a 300ms turn timeout", took)
	}
	if got := rec.said(); !slices.Equal(got, []string{fallbackPhrase}) {
		t.Errorf("said %q", got)
	}
	if out.Fallback != "model timed out" {
		t.Errorf("Outcome.Fallback = %q", out.Fallback)
	}
	if n := len(h.api.recorded()); n != 1 {
		t.Errorf("%d requests, want 1 (no retry on a timeout)", n)
	}
	if !strings.Contains(h.logs.String(), "timed out") {
		t.Errorf("timeout not logged:\n%s", h.logs.String())
	}
}

func TestUsageLimitSendsTheCallToTheFallback(t *testing.T) {
	tests := []struct {
		name string
		cfg  limits.Config
	}{
		{"requests per minute", limits.Config{RequestsPerMinute: 1}},
		{"tokens per day", limits.Config{TokensPerDay: 1000}}, // the first reply spends 3303
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, []response{stream("text_reply.sse")}, withLimits(tt.cfg))
			rec := releasing(h)
			if _, err := h.respond(t.Context(), "Есть зимние шины 205/55 R16?", rec.say); err != nil {
				t.Fatal(err)
			}
			for turn := 2; turn <= 3; turn++ {
				rec := &sayRecorder{}
				out, err := h.conv.Respond(t.Context(), dialog.Request{Turn: turn, Text: "А летние?"}, rec.say)
				if err != nil || out.Action != dialog.Continue {
					t.Fatalf("turn %d: Respond = %+v, %v", turn, out, err)
				}
				if got := rec.said(); !slices.Equal(got, []string{fallbackPhrase}) {
					t.Errorf("turn %d said %q", turn, got)
				}
				if out.Fallback != "" {
					t.Errorf("turn %d: a usage limit is reported as a model failure: %q", turn, out.Fallback)
				}
			}
			if n := len(h.api.recorded()); n != 1 {
				t.Errorf("%d requests, want 1: over the limit the server is not called", n)
			}
			if n := len(h.fb.calls()); n != 2 {
				t.Errorf("fallback answered %d turns, want 2", n)
			}
			if n := strings.Count(h.logs.String(), "usage limit reached"); n != 1 {
				t.Errorf("limit logged %d times, want once:\n%s", n, h.logs.String())
			}
			if len(h.fb.begun) != 1 {
				t.Errorf("fallback conversations begun: %d", len(h.fb.begun))
			}
		})
	}
}

func TestBargeIn(t *testing.T) {
	h := newHarness(t, []response{stream("barge_in.sse"), stream("text_reply.sse")})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	first := make(chan struct{})
	rec := &sayRecorder{onSay: func(string) {
		select {
		case <-first:
		default:
			close(first)
		}
	}}
	type result struct {
		out dialog.Outcome
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := h.respond(ctx, "Где мой заказ 100234?", rec.say)
		done <- result{out, err}
	}()
	<-first
	<-h.api.held // the stream is mid-sentence and stays open
	cancel()     // the caller speaks
	select {
	case res := <-done:
		if !errors.Is(res.err, context.Canceled) {
			t.Errorf("Respond error %v, want context.Canceled", res.err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Respond did not return after barge-in")
	}
	want := []string{"Ваш заказ номер 100234 уже в пути."}
	if got := rec.said(); !slices.Equal(got, want) {
		t.Errorf("said %q, want %q", got, want)
	}
	if n := len(h.fb.calls()); n != 0 {
		t.Errorf("fallback answered %d times after a barge-in", n)
	}
	// The tokens of the cut request still count (message_start: 1190 + 1).
	if got := h.lim.used(); !slices.Equal(got, []int{1191}) {
		t.Errorf("tokens used %v", got)
	}

	// The history keeps only what the caller heard.
	rec2 := releasing(h)
	if _, err := h.respond(t.Context(), "А во сколько?", rec2.say); err != nil {
		t.Fatal(err)
	}
	reqs := h.api.recorded()
	wantBrief := []string{
		"user: Где мой заказ 100234?",
		"assistant: Ваш заказ номер 100234 уже в пути.",
		"user: А во сколько?",
	}
	if got := brief(messagesOf(t, reqs[1])); !slices.Equal(got, wantBrief) {
		t.Errorf("messages after barge-in %q\nwant %q", got, wantBrief)
	}
}

func TestUnintelligibleCallerIsMarked(t *testing.T) {
	h := newHarness(t, []response{stream("text_reply.sse")})
	rec := releasing(h)
	if _, err := h.conv.Respond(t.Context(), dialog.Request{Turn: 1, Unintelligible: true}, rec.say); err != nil {
		t.Fatal(err)
	}
	if got := brief(messagesOf(t, h.api.recorded()[0])); !slices.Equal(got, []string{"user: " + unintelligible}) {
		t.Errorf("messages %q", got)
	}
}

func TestNew(t *testing.T) {
	fb := &fallback{}
	d := configured(t)
	ok := Config{APIKey: testKey, Model: d.Model, MaxTokens: d.MaxTokens, TurnTimeout: d.TurnTimeout, MaxToolRounds: d.MaxToolRounds}
	with := func(f func(*Config)) Config {
		c := ok
		f(&c)
		return c
	}
	tests := []struct {
		name    string
		cfg     Config
		fb      dialog.Responder
		wantErr string
	}{
		{"no key", with(func(c *Config) { c.APIKey = "" }), fb, "no API key"},
		{"no fallback", ok, nil, "no fallback"},
		{"negative rounds", with(func(c *Config) { c.MaxToolRounds = -1 }), fb, "max tool rounds"},
		// The configuration holds the defaults; a zero here is a caller's mistake.
		{"no model", with(func(c *Config) { c.Model = "" }), fb, "no model"},
		{"no max tokens", with(func(c *Config) { c.MaxTokens = 0 }), fb, "max tokens"},
		{"no turn timeout", with(func(c *Config) { c.TurnTimeout = 0 }), fb, "turn timeout"},
		{"the configuration's settings", ok, fb, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := New(tt.cfg, nil, tt.fb, nil, nil)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("New error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if r.Name() != "claude" || r.cfg.Model != d.Model || r.cfg.MaxTokens != d.MaxTokens ||
				r.cfg.TurnTimeout != d.TurnTimeout || r.cfg.MaxToolRounds != d.MaxToolRounds || r.cfg.RetryBackoff != DefaultRetryBackoff {
				t.Errorf("settings: %+v", r.cfg)
			}
			if s := fmt.Sprint(r.cfg); strings.Contains(s, testKey) {
				t.Errorf("Config prints its key: %s", s)
			}
		})
	}
}

// TestBusyAndQuestion: while nothing is said yet, the turn tells the call
// that the model is writing (for a filler); the question the reply ends
// with is the outcome's, for the re-prompt.
func TestBusyAndQuestion(t *testing.T) {
	h := newHarness(t, []response{stream("text_reply.sse")})
	rec := releasing(h)
	var busy []dialog.Activity
	out, err := h.conv.Respond(t.Context(), dialog.Request{Turn: 1, Text: "Есть зимние 205/55 R16?", Busy: func(a dialog.Activity) { busy = append(busy, a) }}, rec.say)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(busy, []dialog.Activity{dialog.ActivityThinking}) {
		t.Errorf("busy %q, want thinking once", busy)
	}
	if out.Question != "Назвать цены?" || out.Keypad {
		t.Errorf("question %q, keypad %v", out.Question, out.Keypad)
	}
}
