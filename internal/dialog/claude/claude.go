// Package claude is a dialog.Responder backed by Anthropic Claude (the
// Messages API, streamed, with the shop's tools).
//
// Each turn streams the model's reply and speaks it sentence by sentence
// while the model still writes; tool calls go through the tool registry
// (validated there) and their results back to the model, for a bounded
// number of rounds. Whenever the model cannot answer a turn (over the usage
// limits, an API error after the one safe retry, the turn's time budget
// spent, an empty reply) the rule-based engine's conversation answers that
// turn from the same caller text, so the caller never hears silence.
package claude

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/anthropics/anthropic-sdk-go/option"

	"github.com/tirevoice/assistant/internal/dialog"
	"github.com/tirevoice/assistant/internal/limits"
	"github.com/tirevoice/assistant/internal/tools"
)

// The system prompt: who the assistant is and how it speaks.
//
//go:embed prompt_ru.txt
var systemPrompt string

// DefaultRetryBackoff is the wait before the retry of a failed request
// when Config.RetryBackoff is zero. It is the one default here: every
// setting an operator may change (CLAUDE_*) takes its default from the
// config package alone, and Config requires it.
const DefaultRetryBackoff = 250 * time.Millisecond

// maxClause is the longest piece (in runes) handed to speech synthesis
// before a long sentence is cut at a comma or a dash.
const maxClause = 120

// Config configures the Responder. The settings the configuration holds
// (CLAUDE_MODEL, CLAUDE_MAX_TOKENS, CLAUDE_TURN_TIMEOUT,
// CLAUDE_MAX_TOOL_ROUNDS) have their defaults there, in package config,
// and nowhere else: here they are required.
type Config struct {
	APIKey        string        // Anthropic API key; required; never logged
	Model         string        // model id; required (CLAUDE_MODEL)
	MaxTokens     int           // output tokens per model request; required, at least 1 (CLAUDE_MAX_TOKENS)
	TurnTimeout   time.Duration // the model part of a turn: every request and tool call; required (CLAUDE_TURN_TIMEOUT)
	BaseURL       string        // API base URL; "" for the SDK's (https://api.anthropic.com/)
	MaxToolRounds int           // tool rounds per turn before the model must answer in words; 0 for none (CLAUDE_MAX_TOOL_ROUNDS)
	RetryBackoff  time.Duration // wait before the one retry of a failed request; 0 for DefaultRetryBackoff
}

// LogValue keeps the API key out of logs.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("model", c.Model),
		slog.Int("max_tokens", c.MaxTokens),
		slog.Duration("turn_timeout", c.TurnTimeout),
		slog.String("base_url", c.BaseURL),
		slog.Int("max_tool_rounds", c.MaxToolRounds),
		slog.Duration("retry_backoff", c.RetryBackoff),
		slog.Bool("api_key_set", c.APIKey != ""),
	)
}

// String keeps the API key out of fmt output.
func (c Config) String() string { return c.LogValue().String() }

func (c Config) withDefaults() Config {
	if c.RetryBackoff == 0 {
		c.RetryBackoff = DefaultRetryBackoff
	}
	return c
}

func (c Config) validate() error {
	var errs []error
	if c.APIKey == "" {
		errs = append(errs, errors.New("claude: no API key"))
	}
	if c.Model == "" {
		errs = append(errs, errors.New("claude: no model"))
	}
	if c.MaxTokens < 1 {
		errs = append(errs, fmt.Errorf("claude: max tokens %d, want at least 1", c.MaxTokens))
	}
	if c.TurnTimeout <= 0 {
		errs = append(errs, fmt.Errorf("claude: turn timeout %v, want a positive duration", c.TurnTimeout))
	}
	if c.RetryBackoff < 0 {
		errs = append(errs, errors.New("claude: negative retry backoff"))
	}
	if c.MaxToolRounds < 0 {
		errs = append(errs, fmt.Errorf("claude: max tool rounds %d, want at least 0", c.MaxToolRounds))
	}
	return errors.Join(errs...)
}

// Responder begins Claude conversations. It is safe for concurrent use;
// each call has its own Conversation.
type Responder struct {
	cfg      Config
	client   anthropic.Client
	http     *http.Client
	reg      *tools.Registry
	tools    []anthropic.ToolUnionParam
	system   []anthropic.TextBlockParam
	fallback dialog.Responder
	lim      limits.Limiter
	log      *slog.Logger
}

var _ dialog.Responder = (*Responder)(nil)

// New returns a Responder. reg holds the tools the model may call (nil:
// none); fallback answers the turns the model cannot (required); lim
// counts requests and tokens (nil: unlimited); logger may be nil.
//
// The client reads nothing from the environment (no ANTHROPIC_* variables,
// no profiles): everything comes from cfg. The SDK's own retries are off;
// the Responder retries at most once per turn (see Conversation).
func New(cfg Config, reg *tools.Registry, fallback dialog.Responder, lim limits.Limiter, logger *slog.Logger) (*Responder, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if fallback == nil {
		return nil, errors.New("claude: no fallback responder")
	}
	if lim == nil {
		lim = limits.Unlimited{}
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	r := &Responder{
		cfg:      cfg,
		reg:      reg,
		fallback: fallback,
		lim:      lim,
		log:      logger.With("responder", "claude"),
		system: []anthropic.TextBlockParam{{
			Text: systemPrompt,
			// Tools and system prompt are the same for every request: cache them.
			CacheControl: anthropic.NewCacheControlEphemeralParam(),
		}},
	}
	if reg != nil {
		for _, t := range reg.Tools() {
			p, err := toolParam(t)
			if err != nil {
				return nil, err
			}
			r.tools = append(r.tools, p)
		}
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	r.http = &http.Client{Transport: transport}
	opts := []option.RequestOption{
		option.WithoutEnvironmentDefaults(),
		option.WithHTTPClient(r.http),
		option.WithAPIKey(cfg.APIKey),
		option.WithMaxRetries(0),
	}
	if cfg.BaseURL != "" {
		opts = append(opts, option.WithBaseURL(cfg.BaseURL))
	}
	r.client = anthropic.NewClient(opts...)
	return r, nil
}

// Name implements dialog.Responder.
func (r *Responder) Name() string { return "claude" }

// Begin implements dialog.Responder. It begins the fallback's conversation
// of the call too, which answers the turns the model cannot; it keeps its
// own state and hears only those turns.
// The conversation holds the call's tools.Caller, made from the number the
// dialplan registered: every tool call of the model, and every turn the
// fallback answers, acts for it, so the shop tools decide what the caller
// may hear from who is on the line, whatever the model passes or says.
func (r *Responder) Begin(call dialog.Call) dialog.Conversation {
	return &Conversation{
		r:        r,
		fallback: r.fallback.Begin(call),
		caller:   tools.NewCaller(call.Caller),
		log:      r.log.With("call", call.ID),
	}
}

// Close releases idle connections to the API. Conversations still running
// go on working; Close may be called more than once.
func (r *Responder) Close() error {
	r.http.CloseIdleConnections()
	return nil
}

// toolParam describes a registry tool to the model: its JSON Schema is the
// tool's input_schema, as is.
func toolParam(t tools.Tool) (anthropic.ToolUnionParam, error) {
	var schema map[string]any
	if err := json.Unmarshal(t.Schema, &schema); err != nil {
		return anthropic.ToolUnionParam{}, fmt.Errorf("claude: tool %s: schema: %w", t.Name, err)
	}
	if typ, ok := schema["type"]; ok && typ != "object" {
		return anthropic.ToolUnionParam{}, fmt.Errorf("claude: tool %s: schema type %v, want object", t.Name, typ)
	}
	in := anthropic.ToolInputSchemaParam{Properties: schema["properties"]}
	if req, ok := schema["required"].([]any); ok {
		for _, v := range req {
			if s, ok := v.(string); ok {
				in.Required = append(in.Required, s)
			}
		}
	}
	for k, v := range schema {
		switch k {
		case "type", "properties", "required", "$schema", "$id":
		default:
			if in.ExtraFields == nil {
				in.ExtraFields = map[string]any{}
			}
			in.ExtraFields[k] = v
		}
	}
	p := anthropic.ToolParam{Name: t.Name, InputSchema: in}
	if t.Description != "" {
		p.Description = anthropic.String(t.Description)
	}
	return anthropic.ToolUnionParam{OfTool: &p}, nil
}
