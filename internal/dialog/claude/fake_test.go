package claude

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tirevoice/assistant/internal/config"
	"github.com/tirevoice/assistant/internal/dialog"
	"github.com/tirevoice/assistant/internal/limits"
	"github.com/tirevoice/assistant/internal/logging"
	"github.com/tirevoice/assistant/internal/logtest"
	"github.com/tirevoice/assistant/internal/tools"
)

// The fake Messages API. It answers each request with the next scripted
// response: an HTTP error with a JSON body, or a server-sent event stream
// from testdata written event by event, flushed after each. Two SSE
// comment lines, which a real client ignores, steer it:
//
//	: barrier   wait until the test releases the barrier (the first say)
//	: hold      wait until the client goes away (barge-in, timeout)

// response is one scripted answer of the fake.
type response struct {
	status int    // 200 for a stream
	file   string // testdata file: .sse for a stream, .json for an error body
	// build, when set, writes the stream from the request instead of a
	// file: a model whose reply depends on what it was sent.
	build func(body map[string]any) string
}

func stream(file string) response { return response{status: http.StatusOK, file: file} }

func apiError(status int, file string) response { return response{status: status, file: file} }

// recorded is one request the fake received.
type recorded struct {
	apiKey string
	body   map[string]any
}

type fakeAPI struct {
	t       *testing.T
	srv     *httptest.Server
	barrier chan struct{} // closed by the test
	held    chan struct{} // closed when the stream reaches ": hold"

	mu       sync.Mutex
	script   []response
	requests []recorded
}

func newFakeAPI(t *testing.T, script ...response) *fakeAPI {
	f := &fakeAPI{t: t, script: script, barrier: make(chan struct{}), held: make(chan struct{})}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) release() {
	f.mu.Lock()
	defer f.mu.Unlock()
	select {
	case <-f.barrier:
	default:
		close(f.barrier)
	}
}

func (f *fakeAPI) recorded() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.requests...)
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(r.Body)
	var body map[string]any
	if err == nil {
		err = json.Unmarshal(raw, &body)
	}
	if err != nil || r.URL.Path != "/v1/messages" || r.Method != http.MethodPost {
		f.t.Errorf("fake API: unexpected request %s %s: %v", r.Method, r.URL.Path, err)
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.requests = append(f.requests, recorded{apiKey: r.Header.Get("X-Api-Key"), body: body})
	if len(f.script) == 0 {
		f.mu.Unlock()
		f.t.Errorf("fake API: request %d not scripted", len(f.requests))
		http.Error(w, `{"type":"error","error":{"type":"api_error","message":"not scripted"}}`, http.StatusInternalServerError)
		return
	}
	resp := f.script[0]
	f.script = f.script[1:]
	f.mu.Unlock()

	var data []byte
	if resp.build != nil {
		data = []byte(resp.build(body))
	} else if data, err = os.ReadFile(filepath.Join("testdata", resp.file)); err != nil {
		f.t.Errorf("fake API: %v", err)
		return
	}
	w.Header().Set("Request-Id", "req_011CTestFakeRequest01")
	if resp.status != http.StatusOK {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(resp.status)
		w.Write(data)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	fl := w.(http.Flusher)
	fl.Flush()
	for _, ev := range strings.SplitAfter(string(data), "\n\n") {
		switch strings.TrimSpace(ev) {
		case "":
			continue
		case ": barrier":
			select {
			case <-f.barrier:
			case <-r.Context().Done():
				return
			case <-time.After(5 * time.Second): // a guard, not synchronisation
				f.t.Errorf("fake API: nothing was said before the stream ended")
			}
			continue
		case ": hold":
			f.mu.Lock()
			select {
			case <-f.held:
			default:
				close(f.held)
			}
			f.mu.Unlock()
			<-r.Context().Done()
			return
		}
		if _, err := io.WriteString(w, ev); err != nil {
			return
		}
		fl.Flush()
	}
}

// sayRecorder is the session's side of Say.
type sayRecorder struct {
	mu     sync.Mutex
	pieces []string
	onSay  func(piece string) // called after a piece is recorded
}

func (s *sayRecorder) say(ctx context.Context, text string) error {
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	s.mu.Lock()
	s.pieces = append(s.pieces, text)
	hook := s.onSay
	s.mu.Unlock()
	if hook != nil {
		hook(text)
	}
	return nil
}

func (s *sayRecorder) said() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.pieces...)
}

// fallback is a rule engine double.
type fallback struct {
	mu      sync.Mutex
	begun   []dialog.Call
	answers []dialog.Request
	outcome dialog.Outcome
	err     error
}

const fallbackPhrase = "Сейчас я не могу ответить подробно. Назовите, пожалуйста, размер шин."

func (f *fallback) Name() string { return "rules" }

func (f *fallback) Begin(call dialog.Call) dialog.Conversation {
	f.mu.Lock()
	f.begun = append(f.begun, call)
	f.mu.Unlock()
	return f
}

func (f *fallback) Respond(ctx context.Context, req dialog.Request, say dialog.Say) (dialog.Outcome, error) {
	f.mu.Lock()
	f.answers = append(f.answers, req)
	f.mu.Unlock()
	if f.err != nil {
		return dialog.Outcome{}, f.err
	}
	return f.outcome, say(ctx, fallbackPhrase)
}

func (f *fallback) calls() []dialog.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]dialog.Request(nil), f.answers...)
}

// testTools is a small registry: a tire search and a transfer.
type testTools struct {
	mu       sync.Mutex
	searches []json.RawMessage
	reg      *tools.Registry
}

const searchSay = "Есть два варианта: Нокиан Хаккапелита десять за девять тысяч рублей и Мишлен Икс Айс Норт четыре за одиннадцать тысяч."

func newTestTools(t *testing.T) *testTools {
	tt := &testTools{}
	reg, err := tools.NewRegistry(
		tools.Tool{
			Name:        "search_tires",
			Description: "Ищет шины в наличии по размеру и сезону.",
			Schema: json.RawMessage(`{"type":"object","properties":{` +
				`"width":{"type":"integer","minimum":135,"maximum":355},` +
				`"profile":{"type":"integer","minimum":25,"maximum":85},` +
				`"diameter":{"type":"integer","minimum":12,"maximum":24},` +
				`"season":{"type":"string","enum":["summer","winter","all_season"]}},` +
				`"required":["width","profile","diameter","season"],"additionalProperties":false}`),
			Run: func(_ context.Context, args json.RawMessage) (tools.Result, error) {
				tt.mu.Lock()
				tt.searches = append(tt.searches, append(json.RawMessage(nil), args...))
				tt.mu.Unlock()
				return tools.Result{
					Say: searchSay,
					Data: []map[string]any{
						{"model": "Nokian Hakkapeliitta 10", "price_rub": 9000, "in_stock": 8},
						{"model": "Michelin X-Ice North 4", "price_rub": 11000, "in_stock": 4},
					},
				}, nil
			},
		},
		tools.Tool{
			Name:        "transfer_to_operator",
			Description: "Переводит звонок на оператора.",
			Schema:      json.RawMessage(`{"type":"object","properties":{"reason":{"type":"string"}},"required":["reason"]}`),
			Run: func(context.Context, json.RawMessage) (tools.Result, error) {
				return tools.Result{Say: "Соединяю с оператором.", Action: dialog.Transfer, Reason: "caller asked for a human"}, nil
			},
		},
	)
	if err != nil {
		t.Fatal(err)
	}
	tt.reg = reg
	return tt
}

func (tt *testTools) searchCalls() []json.RawMessage {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	return append([]json.RawMessage(nil), tt.searches...)
}

// usageLimiter counts like limits.Local and remembers the tokens used.
type usageLimiter struct {
	limits.Limiter
	mu     sync.Mutex
	tokens []int
}

func (u *usageLimiter) Used(ctx context.Context, n int) error {
	u.mu.Lock()
	u.tokens = append(u.tokens, n)
	u.mu.Unlock()
	return u.Limiter.Used(ctx, n)
}

func (u *usageLimiter) used() []int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]int(nil), u.tokens...)
}

// harness wires a Responder to a fake API.
type harness struct {
	api    *fakeAPI
	tools  *testTools
	reg    *tools.Registry  // the model's tools; default tools.reg
	fb     *fallback        // the fallback double
	rules  dialog.Responder // a real fallback instead of fb, if set
	lim    *usageLimiter
	logs   *logtest.Buffer
	caller string // the registered number
	r      *Responder
	conv   dialog.Conversation
}

type harnessOption func(*Config, *harness)

func withTurnTimeout(d time.Duration) harnessOption {
	return func(c *Config, _ *harness) { c.TurnTimeout = d }
}

func withLimits(cfg limits.Config) harnessOption {
	return func(_ *Config, h *harness) { h.lim.Limiter = limits.NewLocal(cfg, nil) }
}

// withTools gives the model reg's tools and fb as the fallback.
func withTools(reg *tools.Registry, fb dialog.Responder) harnessOption {
	return func(_ *Config, h *harness) { h.reg, h.rules = reg, fb }
}

// withCaller registers the call from number ("" withheld).
func withCaller(number string) harnessOption {
	return func(_ *Config, h *harness) { h.caller = number }
}

const testKey = "test-key"

// configured is the configuration's Claude settings with no variable set:
// the package config holds their defaults, the one place they are.
func configured(t testing.TB) config.Claude {
	t.Helper()
	c, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	return c.Claude
}

func newHarness(t *testing.T, script []response, opts ...harnessOption) *harness {
	t.Helper()
	h := &harness{
		api:    newFakeAPI(t, script...),
		tools:  newTestTools(t),
		fb:     &fallback{},
		lim:    &usageLimiter{Limiter: limits.Unlimited{}},
		logs:   &logtest.Buffer{},
		caller: "+79161234567",
	}
	h.reg = h.tools.reg
	d := configured(t)
	cfg := Config{
		APIKey:        testKey,
		Model:         d.Model,
		MaxTokens:     d.MaxTokens,
		TurnTimeout:   d.TurnTimeout,
		MaxToolRounds: d.MaxToolRounds,
		BaseURL:       h.api.srv.URL,
		RetryBackoff:  time.Millisecond,
	}
	for _, o := range opts {
		o(&cfg, h)
	}
	logger := logging.New(h.logs, "debug") // production's, which masks phone numbers
	logger.Info("claude configured", "config", cfg)
	var fb dialog.Responder = h.fb
	if h.rules != nil {
		fb = h.rules
	}
	r, err := New(cfg, h.reg, fb, h.lim, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	h.r = r
	h.conv = r.Begin(dialog.Call{ID: "3f1c2a9e-7b4d-4e21-9c55-0a6b1d2e3f40", Caller: h.caller})
	t.Cleanup(func() {
		if strings.Contains(h.logs.String(), testKey) {
			t.Errorf("the API key is in the logs:\n%s", h.logs.String())
		}
		for i, req := range h.api.recorded() {
			if req.apiKey != testKey {
				t.Errorf("request %d: x-api-key %q, want %q", i+1, req.apiKey, testKey)
			}
		}
	})
	return h
}

func (h *harness) respond(ctx context.Context, text string, say dialog.Say) (dialog.Outcome, error) {
	return h.conv.Respond(ctx, dialog.Request{CallID: "3f1c2a9e-7b4d-4e21-9c55-0a6b1d2e3f40", Turn: 1, Text: text}, say)
}
