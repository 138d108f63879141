package claude_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tirevoice/assistant/internal/dialog"
	"github.com/tirevoice/assistant/internal/dialog/claude"
	"github.com/tirevoice/assistant/internal/store"
	"github.com/tirevoice/assistant/internal/storemock/storemocktest"
	"github.com/tirevoice/assistant/internal/tools"
	"github.com/tirevoice/assistant/internal/tools/shop"
)

// fakeModel is the Messages API of the fuzz target: it answers every
// request with the current input, a stream (200) or an error, and checks
// that what it is sent is a request the real API would take.
type fakeModel struct {
	mu       sync.Mutex
	status   int
	body     []byte
	requests int
	problems []string
}

func (m *fakeModel) set(status int, body []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.status, m.body, m.requests, m.problems = status, body, 0, nil
}

func (m *fakeModel) result() (requests int, problems []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.requests, m.problems
}

func (m *fakeModel) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(r.Body)
	m.mu.Lock()
	status, body := m.status, m.body
	m.requests++
	if err == nil {
		err = checkRequest(raw)
	}
	if err != nil {
		m.problems = append(m.problems, fmt.Sprintf("request %d: %v", m.requests, err))
	}
	m.mu.Unlock()
	if status != http.StatusOK {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(body)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// block is a content block of a request's message, as the API reads it.
type block struct {
	Type      string          `json:"type"`
	Text      *string         `json:"text"`
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
	ToolUseID string          `json:"tool_use_id"`
}

// checkRequest holds a Messages request to the rules the real API refuses
// a request for (400 invalid_request_error): the first message is the
// user's; no text is empty or only white space; a tool_use's input is an
// object; every tool_use is answered by a tool_result in the next
// message, and every tool_result answers one.
func checkRequest(raw []byte) error {
	var req struct {
		Messages []struct {
			Role    string          `json:"role"`
			Content json.RawMessage `json:"content"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(raw, &req); err != nil {
		return fmt.Errorf("not JSON: %v", err)
	}
	if len(req.Messages) == 0 || req.Messages[0].Role != "user" {
		return fmt.Errorf("messages do not start with the user's: %s", raw)
	}
	var pending map[string]bool // tool_use ids of the previous message
	for i, msg := range req.Messages {
		var blocks []block
		if err := json.Unmarshal(msg.Content, &blocks); err != nil {
			var text string
			if json.Unmarshal(msg.Content, &text) != nil {
				return fmt.Errorf("message %d: content %s", i, msg.Content)
			}
			blocks = []block{{Type: "text", Text: &text}}
		}
		uses := map[string]bool{}
		for _, b := range blocks {
			switch b.Type {
			case "text":
				if b.Text == nil || strings.TrimSpace(*b.Text) == "" {
					return fmt.Errorf("message %d: an empty text block", i)
				}
			case "tool_use":
				if msg.Role != "assistant" {
					return fmt.Errorf("message %d: a %s tool_use", i, msg.Role)
				}
				var in map[string]any
				if json.Unmarshal(b.Input, &in) != nil || in == nil {
					return fmt.Errorf("message %d: tool_use input %s is not an object", i, b.Input)
				}
				uses[b.ID] = true
			case "tool_result":
				if !pending[b.ToolUseID] {
					return fmt.Errorf("message %d: tool_result for %q, which the message before did not use", i, b.ToolUseID)
				}
				delete(pending, b.ToolUseID)
			}
		}
		if len(pending) > 0 {
			return fmt.Errorf("message %d: tool_use %v unanswered", i, pending)
		}
		pending = uses
	}
	if len(pending) > 0 {
		return fmt.Errorf("the last message uses tools %v", pending)
	}
	return nil
}

// fuzzFallback is the rule engine's stand-in: it always answers.
type fuzzFallback struct{}

const fallbackPhrase = "Повторите, пожалуйста."

func (fuzzFallback) Name() string                            { return "rules" }
func (f fuzzFallback) Begin(dialog.Call) dialog.Conversation { return f }
func (fuzzFallback) Respond(ctx context.Context, _ dialog.Request, say dialog.Say) (dialog.Outcome, error) {
	return dialog.Outcome{}, say(ctx, fallbackPhrase)
}

const fuzzToolRounds = 2

// fuzzStatuses are what a fuzz input's status byte picks: mostly a stream.
var fuzzStatuses = []int{200, 200, 200, 200, 400, 429, 500, 529}

// The fuzz input's stream is a script, one event a line, which the fake
// writes out as server-sent events with every string JSON-quoted: a short
// input reaches every kind of event, in any order and with any index, and
// its mutations change what the events say rather than break their JSON
// (the raw op is there for that). A line is an op letter, for the block
// ops the block's index (one digit), then the op's text:
//
//	s  message_start; the text, digits, is the input tokens
//	b  content_block_start of a text block; the text is its first text
//	t  content_block_start of a tool_use block; the text is the tool's name
//	d  text_delta
//	j  input_json_delta: a piece of a tool call's JSON
//	e  content_block_stop
//	m  message_delta; the text is the stop reason
//	x  message_stop
//	p  ping
//	E  an error event; the text is the error's type
//	r  the text as a raw line of the stream
//
// An error answer (a status other than 200) has the script as its body.
func sseScript(script string) []byte {
	var b strings.Builder
	event := func(typ, data string) { fmt.Fprintf(&b, "event: %s\ndata: %s\n\n", typ, data) }
	quote := func(s string) string {
		q, _ := json.Marshal(s)
		return string(q)
	}
	for line := range strings.SplitSeq(script, "\n") {
		if line == "" {
			continue
		}
		op, text := line[0], line[1:]
		index := 0
		if strings.IndexByte("btdje", op) >= 0 && text != "" && text[0] >= '0' && text[0] <= '9' {
			index, text = int(text[0]-'0'), text[1:]
		}
		switch op {
		case 's':
			tokens := "0"
			if _, err := strconv.ParseUint(text, 10, 64); err == nil {
				tokens = text
			}
			event("message_start", `{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude","content":[],"stop_reason":null,"usage":{"input_tokens":`+tokens+`,"output_tokens":1}}}`)
		case 'b':
			event("content_block_start", fmt.Sprintf(`{"type":"content_block_start","index":%d,"content_block":{"type":"text","text":%s}}`, index, quote(text)))
		case 't':
			event("content_block_start", fmt.Sprintf(`{"type":"content_block_start","index":%d,"content_block":{"type":"tool_use","id":"toolu_%d","name":%s,"input":{}}}`, index, index, quote(text)))
		case 'd':
			event("content_block_delta", fmt.Sprintf(`{"type":"content_block_delta","index":%d,"delta":{"type":"text_delta","text":%s}}`, index, quote(text)))
		case 'j':
			event("content_block_delta", fmt.Sprintf(`{"type":"content_block_delta","index":%d,"delta":{"type":"input_json_delta","partial_json":%s}}`, index, quote(text)))
		case 'e':
			event("content_block_stop", fmt.Sprintf(`{"type":"content_block_stop","index":%d}`, index))
		case 'm':
			event("message_delta", fmt.Sprintf(`{"type":"message_delta","delta":{"stop_reason":%s},"usage":{"output_tokens":20}}`, quote(text)))
		case 'x':
			event("message_stop", `{"type":"message_stop"}`)
		case 'p':
			event("ping", `{"type":"ping"}`)
		case 'E':
			event("error", fmt.Sprintf(`{"type":"error","error":{"type":%s,"message":"fuzz"}}`, quote(text)))
		case 'r':
			b.WriteString(text + "\n")
		}
	}
	return []byte(b.String())
}

// FuzzStream answers every request of a conversation with an arbitrary
// server-sent event stream (sseScript) or error body, through the real
// SDK client over loopback, with the shop's tools over the Store API mock
// behind the model. Two turns run, so the second request carries the
// first turn's history. Invariants: no panic; Respond never fails (the
// fallback always answers); the caller always hears something unless the
// call ends; every piece said is trimmed, non-empty UTF-8; every request
// is one the API accepts (checkRequest), however the tool calls' partial
// JSON was cut or broken; at most one retry and fuzzToolRounds tool rounds
// a turn.
func FuzzStream(f *testing.F) {
	for _, seed := range []struct {
		status byte
		script string
	}{
		{0, "s1200\nb0\nd0Да, зимние \nd0шины есть. Что\nd0 ещё?\ne0\nmend_turn\nx"},
		{0, "s1200\nb0\nd0Сейчас проверю.\ne0\nt1search_tires\nj1{\"width\": 205, \"pro\nj1file\": 55, \"rim\": 16}\ne1\nmtool_use\nx"},
		{0, "s9\nt0search_tires\nj0{\"width\": 205, \"profile\"\ne0\nmtool_use\nx"},
		{0, "s1\nt0no_such_tool\nj0[1,2]\ne0\nmtool_use\nx"},
		{0, "s1\nt0transfer_to_operator\nj0{\"reason\":\"просит человека\"}\ne0\nmtool_use\nx"},
		{0, "s1\nb0\nd0Соединяю\np\nEoverloaded_error"},
		{0, "s1\nb0\nd0  \nd7чужой блок\ne0\ne0\nmmax_tokens"},
		{0, "s1\nb0\nrevent: content_block_delta\nrdata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"\\ud800 \xff.\"}}\nr\ne0\nmend_turn\nx"},
		{0, "revent: message_start\nrdata: {\"type\":\"message_start\",\"message\":{\nr\nrdata: [DONE]\nr: comment\nrretry: x"},
		{5, `{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}`},
		{7, `{"type":"error","error":{"type":"overloaded_error"`},
		{4, `{"type":"error","error":{"type":"invalid_request_error","message":"bad"}}`},
	} {
		f.Add(seed.status, seed.script)
	}

	model := &fakeModel{}
	api := httptest.NewServer(model)
	defer api.Close()
	resp, err := claude.New(claude.Config{
		APIKey:        "fuzz-key",
		Model:         "claude-fuzz",
		MaxTokens:     300,
		BaseURL:       api.URL,
		TurnTimeout:   10 * time.Second,
		MaxToolRounds: fuzzToolRounds,
		RetryBackoff:  time.Microsecond,
	}, fuzzRegistry(f), fuzzFallback{}, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		f.Fatal(err)
	}
	defer resp.Close()

	f.Fuzz(func(t *testing.T, status byte, script string) {
		code := fuzzStatuses[int(status)%len(fuzzStatuses)]
		body := []byte(script)
		if code == http.StatusOK {
			body = sseScript(script)
		}
		model.set(code, body)
		conv := resp.Begin(dialog.Call{ID: "fuzz", Caller: "+79161234567"})
		for turn := 1; turn <= 2; turn++ {
			var said []string
			say := func(_ context.Context, piece string) error {
				said = append(said, piece)
				return nil
			}
			out, err := conv.Respond(context.Background(), dialog.Request{CallID: "fuzz", Turn: turn, Text: "Нужны зимние шины"}, say)
			if err != nil {
				t.Fatalf("turn %d: %v", turn, err)
			}
			switch out.Action {
			case dialog.Continue:
				if len(said) == 0 {
					t.Fatalf("turn %d: the caller heard nothing (%+v)", turn, out)
				}
			case dialog.Hangup, dialog.Transfer:
			default:
				t.Fatalf("turn %d: action %v", turn, out.Action)
			}
			for _, p := range said {
				if p == "" || p != strings.TrimSpace(p) || !utf8.ValidString(p) {
					t.Fatalf("turn %d: piece %q", turn, p)
				}
			}
			n, problems := model.result()
			for _, p := range problems {
				t.Errorf("turn %d: %s", turn, p)
			}
			// A round, the final answer, and the one retry.
			if limit := fuzzToolRounds + 2; n > limit {
				t.Fatalf("turn %d: %d requests, want at most %d", turn, n, limit)
			}
			model.set(code, body)
			if out.Action != dialog.Continue {
				return
			}
		}
	})
}

// fuzzRegistry is the shop's tools, as shop.Tools returns them now, over a
// real Store API client of the Store API mock.
func fuzzRegistry(f *testing.F) *tools.Registry {
	client := storemocktest.Client(f, storemocktest.Start(f), store.Config{Timeout: 5 * time.Second, MaxAttempts: 1, FailureThreshold: 1 << 30})
	reg, err := tools.NewRegistry(shop.Tools(client, time.Now)...)
	if err != nil {
		f.Fatal(err)
	}
	return reg
}
