package claude

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/anthropics/anthropic-sdk-go/shared"

	"github.com/tirevoice/assistant/internal/dialog/sentences"
)

// errIncomplete is a stream that ended without message_stop and without
// an error event: the connection was cut.
var errIncomplete = errors.New("claude: stream ended before message_stop")

// reply is what one streamed request produced besides speech.
type reply struct {
	stop   anthropic.StopReason
	uses   []toolUse // complete tool_use blocks, in order
	tokens int       // input and output tokens the request spent
}

// toolUse is one tool call of the model.
type toolUse struct {
	id, name string
	input    json.RawMessage // as the model wrote it; may be invalid
}

// historyInput is the input as the history sends it back to the API, which
// accepts only an object: anything else (a reply cut at max_tokens) is
// sent as {}, while the tool result tells the model what was wrong.
func (u toolUse) historyInput() any {
	in := bytes.TrimSpace(u.input)
	if len(in) > 0 && in[0] == '{' && json.Valid(in) {
		return json.RawMessage(in)
	}
	return map[string]any{}
}

// stream makes one streamed Messages request. Text is cut into pieces and
// spoken as each piece completes; tool_use blocks are assembled from their
// input_json_delta pieces. The request's token usage goes to the limiter
// whatever happens. On error, rep holds what was complete before it.
func (t *turn) stream(ctx context.Context, params anthropic.MessageNewParams) (rep reply, err error) {
	s := t.c.r.client.Messages.NewStreaming(ctx, params)
	defer s.Close()
	var u usage
	defer func() {
		rep.tokens = u.total()
		t.record(ctx, rep.tokens)
	}()

	// block is a content block being streamed: text or a tool call.
	type block struct {
		text  *sentences.Splitter
		use   *toolUse
		input strings.Builder
	}
	blocks := map[int64]*block{}
	stopped := false
	for s.Next() {
		ev := s.Current()
		switch ev.Type {
		case "message_start":
			u.start(ev.Message.Usage)
		case "content_block_start":
			switch ev.ContentBlock.Type {
			case "text":
				b := &block{text: sentences.New(maxClause)}
				blocks[ev.Index] = b
				if err := t.speakAll(ctx, b.text.Write(ev.ContentBlock.Text)); err != nil {
					return rep, err
				}
			case "tool_use":
				blocks[ev.Index] = &block{use: &toolUse{id: ev.ContentBlock.ID, name: ev.ContentBlock.Name}}
			}
		case "content_block_delta":
			b := blocks[ev.Index]
			switch {
			case b == nil:
			case ev.Delta.Type == "text_delta" && b.text != nil:
				if err := t.speakAll(ctx, b.text.Write(ev.Delta.Text)); err != nil {
					return rep, err
				}
			case ev.Delta.Type == "input_json_delta" && b.use != nil:
				b.input.WriteString(ev.Delta.PartialJSON)
			}
		case "content_block_stop":
			b := blocks[ev.Index]
			delete(blocks, ev.Index)
			switch {
			case b == nil:
			case b.text != nil:
				if rest := b.text.Flush(); rest != "" {
					if err := t.speak(ctx, rest); err != nil {
						return rep, err
					}
				}
			case b.use != nil:
				b.use.input = json.RawMessage(b.input.String())
				rep.uses = append(rep.uses, *b.use)
			}
		case "message_delta":
			rep.stop = ev.Delta.StopReason
			u.delta(ev.Usage)
		case "message_stop":
			stopped = true
		}
	}
	if err := s.Err(); err != nil {
		return rep, err
	}
	if !stopped {
		return rep, errIncomplete
	}
	return rep, nil
}

func (t *turn) speakAll(ctx context.Context, pieces []string) error {
	for _, p := range pieces {
		if err := t.speak(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

// record adds a request's tokens to the limiter, even after a barge-in.
func (t *turn) record(ctx context.Context, tokens int) {
	if tokens <= 0 {
		return
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if err := t.c.r.lim.Used(rctx, tokens); err != nil {
		t.log.Warn("LLM token usage not recorded", "tokens", tokens, "err", err)
	}
}

// usage adds up a streamed request's tokens: message_start tells the
// input, message_delta the cumulative totals.
type usage struct{ input, cacheWrite, cacheRead, output int64 }

func (u *usage) start(v anthropic.Usage) {
	u.input = max(u.input, v.InputTokens)
	u.cacheWrite = max(u.cacheWrite, v.CacheCreationInputTokens)
	u.cacheRead = max(u.cacheRead, v.CacheReadInputTokens)
	u.output = max(u.output, v.OutputTokens)
}

func (u *usage) delta(v anthropic.MessageDeltaUsage) {
	u.input = max(u.input, v.InputTokens)
	u.cacheWrite = max(u.cacheWrite, v.CacheCreationInputTokens)
	u.cacheRead = max(u.cacheRead, v.CacheReadInputTokens)
	u.output = max(u.output, v.OutputTokens)
}

func (u usage) total() int { return int(u.input + u.cacheWrite + u.cacheRead + u.output) }

// retryable reports an error that another try may not have: rate limited
// (429), overloaded (529), a server error (5xx), the same as an error
// event inside a stream, or a stream cut short.
func retryable(err error) bool {
	var e *anthropic.Error
	if errors.As(err, &e) {
		switch e.Type() {
		case shared.ErrorTypeOverloadedError, shared.ErrorTypeRateLimitError, shared.ErrorTypeAPIError:
			return true
		}
		return e.StatusCode == 429 || e.StatusCode >= 500
	}
	return errors.Is(err, errIncomplete)
}

// errAttrs describes a model error for the log: the HTTP status and the
// API's error type and request id when the API answered. Nothing in it
// carries the API key (the SDK's error text has no headers).
func errAttrs(err error) []any {
	var e *anthropic.Error
	if !errors.As(err, &e) {
		return []any{"err", err}
	}
	attrs := []any{"status", e.StatusCode, "type", string(e.Type())}
	if e.StatusCode < 400 {
		attrs = append(attrs, "in_stream", true) // an error event after a 200
	}
	if e.RequestID != "" {
		attrs = append(attrs, "request_id", e.RequestID)
	}
	if raw := strings.TrimSpace(e.RawJSON()); raw != "" {
		attrs = append(attrs, "body", raw)
	}
	return attrs
}
