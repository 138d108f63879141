package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	texttospeechpb "cloud.google.com/go/texttospeech/apiv1/texttospeechpb"
	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tirevoice/assistant/internal/callsim"
	"github.com/tirevoice/assistant/internal/stt/google/speechtest"
	"github.com/tirevoice/assistant/internal/tts/google/ttstest"
)

// TestTireSearchWithGoogle runs the tire-search scenario with the Google
// speech providers, the real client libraries talking to local fake gRPC
// servers that speak the mock speech codec.
func TestTireSearchWithGoogle(t *testing.T) {
	speech := speechtest.Start(t)
	voice := ttstest.Start(t)
	p := startProcessor(t, map[string]string{
		"STT_PROVIDER": "google", "TTS_PROVIDER": "google",
		"GOOGLE_STT_ENDPOINT": speech.Addr, "GOOGLE_TTS_ENDPOINT": voice.Addr,
		"GOOGLE_ENDPOINTS_INSECURE": "true",
	})
	playFile(t, p, "../../scenarios/tire-search.yaml")
	if len(speech.Calls()) == 0 || len(voice.Calls()) == 0 {
		t.Fatalf("the fakes saw %d recognition and %d synthesis calls", len(speech.Calls()), len(voice.Calls()))
	}
}

// TestSpeechFaultsAreHeardAsApologies breaks each speech provider in the
// middle of a call: the caller hears the cached apology well within the
// no-input limit, and the call record names the provider.
func TestSpeechFaultsAreHeardAsApologies(t *testing.T) {
	for _, tt := range []struct {
		name, provider string
		env            func(speech *speechtest.Server, voice *ttstest.Server) map[string]string
	}{
		{"stt", "google-stt", func(speech *speechtest.Server, _ *ttstest.Server) map[string]string {
			speech.Handler = func(*speechtest.Call) error { return status.Error(codes.Unavailable, "recogniser down") }
			return map[string]string{"STT_PROVIDER": "google", "GOOGLE_STT_ENDPOINT": speech.Addr, "GOOGLE_ENDPOINTS_INSECURE": "true"}
		}},
		{"tts", "google-tts", func(_ *speechtest.Server, voice *ttstest.Server) map[string]string {
			// The prompts are synthesised at start-up; everything after
			// that fails.
			var mu sync.Mutex
			started := false
			voice.Handler = func(ctx context.Context, req *texttospeechpb.SynthesizeSpeechRequest) (*texttospeechpb.SynthesizeSpeechResponse, error) {
				mu.Lock()
				defer mu.Unlock()
				if started {
					return nil, status.Error(codes.Unavailable, "synthesiser down")
				}
				if strings.Contains(req.GetInput().GetText(), "Мне пока нечего повторить") {
					started = true // the last prompt
				}
				return ttstest.Codec(ctx, req)
			}
			return map[string]string{"TTS_PROVIDER": "google", "GOOGLE_TTS_ENDPOINT": voice.Addr, "GOOGLE_ENDPOINTS_INSECURE": "true"}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			speech, voice := speechtest.Start(t), ttstest.Start(t)
			p := startProcessor(t, tt.env(speech, voice))
			sc, err := callsim.Parse([]byte(`
steps:
  - expect: "Чем могу помочь"
  - say: "Какие у вас часы работы?"
  - expect: "техническая заминка"
    timeout: 8s
  - hangup: true
`))
			if err != nil {
				t.Fatal(err)
			}
			res, err := callsim.Run(context.Background(), sc, callsim.Options{Addr: p.audiosocket})
			if err != nil || !res.Passed {
				t.Fatalf("no apology: %v %+v", err, res)
			}
			line := p.logs.Find(t, "call ended", nil)
			rec := getCall(t, p, line["call_id"].(string))
			if !strings.Contains(string(rec), `"failure":"`+tt.provider+`"`) {
				t.Errorf("call record does not name %s: %s", tt.provider, rec)
			}
		})
	}
}

// getCall reads a finished call from p's API, waiting (as a client of the
// API would, by polling) while the record is still being written.
func getCall(t *testing.T, p *processor, id string) []byte {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		req, _ := http.NewRequest(http.MethodGet, "http://"+p.http+"/api/v1/calls/"+id, nil)
		req.Header.Set("Authorization", "Bearer "+apiToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusOK:
			return b
		case resp.StatusCode != http.StatusNotFound || time.Now().After(deadline):
			t.Fatalf("GET call %s: %d %s", id, resp.StatusCode, b)
		}
		time.Sleep(50 * time.Millisecond) // polling the API
	}
}

// fakeClaude is a scripted model behind a local Anthropic Messages API: it
// asks the store for a size it hears, reads the tool's answer back, and
// otherwise greets. It streams like the real API.
type fakeClaude struct {
	mu       sync.Mutex
	requests int
	apiKeys  []string
}

func (f *fakeClaude) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Messages []struct {
			Role    string          `json:"role"`
			Content json.RawMessage `json:"content"`
		} `json:"messages"`
	}
	if r.URL.Path != "/v1/messages" || json.NewDecoder(r.Body).Decode(&req) != nil || len(req.Messages) == 0 {
		http.Error(w, `{"type":"error","error":{"type":"invalid_request_error","message":"bad request"}}`, http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.requests++
	f.apiKeys = append(f.apiKeys, r.Header.Get("X-Api-Key"))
	f.mu.Unlock()

	last := string(req.Messages[len(req.Messages)-1].Content)
	w.Header().Set("Content-Type", "text/event-stream")
	ev := func(name string, data any) {
		b, _ := json.Marshal(data)
		fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, b)
		w.(http.Flusher).Flush()
	}
	ev("message_start", map[string]any{"type": "message_start", "message": map[string]any{
		"id": "msg_test", "type": "message", "role": "assistant", "model": "claude-test", "content": []any{},
		"stop_reason": nil, "stop_sequence": nil, "usage": map[string]any{"input_tokens": 50, "output_tokens": 1},
	}})
	text := func(s string) {
		ev("content_block_start", map[string]any{"type": "content_block_start", "index": 0, "content_block": map[string]any{"type": "text", "text": ""}})
		for _, piece := range strings.SplitAfter(s, " ") {
			ev("content_block_delta", map[string]any{"type": "content_block_delta", "index": 0, "delta": map[string]any{"type": "text_delta", "text": piece}})
		}
		ev("content_block_stop", map[string]any{"type": "content_block_stop", "index": 0})
	}
	stop := "end_turn"
	switch {
	case strings.Contains(last, `"tool_result"`):
		// Read the tool's spoken answer back.
		var blocks []struct {
			Content json.RawMessage `json:"content"`
		}
		_ = json.Unmarshal(req.Messages[len(req.Messages)-1].Content, &blocks)
		say := "Вот что я нашла."
		for _, b := range blocks {
			var s string
			if json.Unmarshal(b.Content, &s) != nil {
				var parts []struct{ Text string }
				_ = json.Unmarshal(b.Content, &parts)
				for _, p := range parts {
					s += p.Text
				}
			}
			var result struct{ Say string }
			if json.Unmarshal([]byte(s), &result) == nil && result.Say != "" {
				say = result.Say
			}
		}
		text(say)
	case strings.Contains(last, "205/55"):
		ev("content_block_start", map[string]any{"type": "content_block_start", "index": 0, "content_block": map[string]any{
			"type": "tool_use", "id": "toolu_test", "name": "search_tires", "input": map[string]any{}}})
		for _, piece := range []string{`{"width": 205, "prof`, `ile": 55, "rim": 16, `, `"season": "winter"}`} {
			ev("content_block_delta", map[string]any{"type": "content_block_delta", "index": 0, "delta": map[string]any{"type": "input_json_delta", "partial_json": piece}})
		}
		ev("content_block_stop", map[string]any{"type": "content_block_stop", "index": 0})
		stop = "tool_use"
	case strings.Contains(strings.ToLower(last), "до свидания"):
		ev("content_block_start", map[string]any{"type": "content_block_start", "index": 0, "content_block": map[string]any{
			"type": "tool_use", "id": "toolu_bye", "name": "end_call", "input": map[string]any{}}})
		ev("content_block_delta", map[string]any{"type": "content_block_delta", "index": 0, "delta": map[string]any{"type": "input_json_delta", "partial_json": `{"reason": "caller said goodbye"}`}})
		ev("content_block_stop", map[string]any{"type": "content_block_stop", "index": 0})
		stop = "tool_use"
	default:
		text("Слушаю вас. Какие шины вам нужны?")
	}
	ev("message_delta", map[string]any{"type": "message_delta", "delta": map[string]any{"stop_reason": stop, "stop_sequence": nil}, "usage": map[string]any{"output_tokens": 20}})
	ev("message_stop", map[string]any{"type": "message_stop"})
}

// TestTireSearchWithClaude runs the tire-search scenario with the Claude
// responder: the real SDK against a local fake of the Messages API, with
// the search_tires tool call going to the Store API mock.
func TestTireSearchWithClaude(t *testing.T) {
	fake := &fakeClaude{}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	p := startProcessor(t, map[string]string{
		"RESPONDER": "claude", "ANTHROPIC_API_KEY": "test-secret-key", "CLAUDE_BASE_URL": srv.URL,
	})
	playFile(t, p, "../../scenarios/tire-search.yaml")
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if fake.requests < 2 {
		t.Fatalf("the model was asked %d times, want a tool round trip", fake.requests)
	}
	for _, k := range fake.apiKeys {
		if k != "test-secret-key" {
			t.Fatalf("x-api-key = %q", k)
		}
	}
	if strings.Contains(p.logs.String(), "test-secret-key") {
		t.Error("the API key reached the log")
	}
}

// TestModelOutageIsAnsweredByTheRuleEngine: when the model fails, the
// caller still gets an answer (from the rule engine), and the call record
// and the metrics say that the model failed.
func TestModelOutageIsAnsweredByTheRuleEngine(t *testing.T) {
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(529)
		fmt.Fprint(w, `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`)
	}))
	t.Cleanup(down.Close)
	p := startProcessor(t, map[string]string{
		"RESPONDER": "claude", "ANTHROPIC_API_KEY": "test-secret-key", "CLAUDE_BASE_URL": down.URL,
	})
	sc := mustParse(t, oneQuestion)
	id := uuid.New()
	res, err := callsim.Run(context.Background(), sc, callsim.Options{Addr: p.audiosocket, ID: id})
	if err != nil || !res.Passed {
		t.Fatalf("call with the model down: %v %+v", err, res)
	}
	var view struct {
		Turns []struct{ Failure string }
	}
	if err := json.Unmarshal(getCall(t, p, id.String()), &view); err != nil || len(view.Turns) != 1 || view.Turns[0].Failure != "claude" {
		t.Errorf("the record says %+v (%v), want turn 1 failed by claude", view, err)
	}
	if n := metricValue(t, p.http, `callproc_provider_errors_total{provider="claude"}`); n != 1 {
		t.Errorf(`callproc_provider_errors_total{provider="claude"} = %v, want 1`, n)
	}
}
