package claude

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/anthropics/anthropic-sdk-go"

	"github.com/tirevoice/assistant/internal/dialog"
	"github.com/tirevoice/assistant/internal/limits"
	"github.com/tirevoice/assistant/internal/tools"
)

// unintelligible stands for the caller's words when speech recognition
// could not make them out; the system prompt tells the model about it.
const unintelligible = "[неразборчиво]"

// errModelTimeout is the cause of a turn's context when TurnTimeout runs out.
var errModelTimeout = errors.New("claude: turn timeout")

// Conversation is one call's dialog with the model. It keeps the call's
// message history: the caller's words, what the bot actually said, and the
// tool calls with their results. Respond is called for one turn at a time.
type Conversation struct {
	r        *Responder
	fallback dialog.Conversation
	caller   *tools.Caller // who is on the line, for the tools; shared with the fallback
	log      *slog.Logger
	history  []anthropic.MessageParam
	limited  bool // a usage limit was reached: the fallback has the rest of the call
}

var _ dialog.Conversation = (*Conversation)(nil)

// Respond implements dialog.Conversation.
//
// The reply is streamed: each complete sentence (or long clause) goes to
// say as soon as the model has written it. Tool calls run through the
// registry; invalid arguments go back to the model as an error result so
// that it can correct itself. A tool asking to transfer or end the call
// ends the turn with that Outcome after the model's last words (or the
// tool's own phrase when the model says nothing more).
//
// The fallback conversation answers the turn instead when:
//   - a usage limit is reached (then also every later turn of the call);
//   - a request fails with 429, 529 or 5xx (or an overloaded/rate-limit
//     error event in the stream) twice, the retry being made only while
//     nothing has been said in the turn (a retry would repeat speech);
//   - a request fails otherwise, or TurnTimeout runs out, or the model
//     says nothing at all.
//
// Its result is returned as the turn's: the error is non-nil only when the
// fallback fails too. When ctx is cancelled (barge-in, hang-up) Respond
// stops at once and returns context.Cause(ctx); the history keeps only the
// pieces that say accepted.
func (c *Conversation) Respond(ctx context.Context, req dialog.Request, say dialog.Say) (dialog.Outcome, error) {
	c.caller.NextTurn()
	ctx = tools.WithCaller(ctx, c.caller)
	if c.limited {
		return c.fallback.Respond(ctx, req, say)
	}
	text := strings.TrimSpace(req.Text)
	if req.Unintelligible || text == "" {
		text = unintelligible
	}
	t := &turn{c: c, req: req, say: say, log: c.log.With("turn", req.Turn)}
	out, err := t.run(ctx, text)
	c.history = append(c.history, t.messages()...)
	return out, err
}

// turn is the state of one Respond.
type turn struct {
	c       *Conversation
	req     dialog.Request
	say     dialog.Say
	log     *slog.Logger
	user    anthropic.MessageParam   // the caller's words
	rounds  []anthropic.MessageParam // complete tool rounds: assistant tool_use, user tool_result
	said    []string                 // pieces said since the last complete round
	spoke   bool                     // anything was said in this turn
	retried bool                     // the turn's one retry is spent
	action  *tools.Result            // a tool asked to transfer or hang up
}

// messages is what the turn adds to the history: only what was said and
// the tool rounds that completed.
func (t *turn) messages() []anthropic.MessageParam {
	msgs := append([]anthropic.MessageParam{t.user}, t.rounds...)
	if len(t.said) > 0 {
		msgs = append(msgs, anthropic.NewAssistantMessage(anthropic.NewTextBlock(strings.Join(t.said, " "))))
	}
	return msgs
}

// speak says one piece and remembers it as said.
func (t *turn) speak(ctx context.Context, piece string) error {
	if err := t.say(ctx, piece); err != nil {
		return err
	}
	t.said = append(t.said, piece)
	t.spoke = true
	return nil
}

func (t *turn) run(ctx context.Context, text string) (dialog.Outcome, error) {
	t.user = anthropic.NewUserMessage(anthropic.NewTextBlock(text))
	cfg := t.c.r.cfg
	tctx, cancel := context.WithTimeoutCause(ctx, cfg.TurnTimeout, errModelTimeout)
	defer cancel()

	for round := 0; ; round++ {
		final := round >= cfg.MaxToolRounds || t.action != nil
		rep, err := t.request(tctx, final)
		if err != nil {
			return t.failed(ctx, tctx, err)
		}
		if rep.stop != anthropic.StopReasonToolUse || final || len(rep.uses) == 0 {
			break
		}
		results, err := t.runTools(tctx, rep.uses)
		if err != nil {
			return t.failed(ctx, tctx, err)
		}
		assistant := make([]anthropic.ContentBlockParamUnion, 0, len(rep.uses)+1)
		if len(t.said) > 0 {
			assistant = append(assistant, anthropic.NewTextBlock(strings.Join(t.said, " ")))
		}
		for _, u := range rep.uses {
			assistant = append(assistant, anthropic.NewToolUseBlock(u.id, u.historyInput(), u.name))
		}
		t.rounds = append(t.rounds, anthropic.NewAssistantMessage(assistant...), anthropic.NewUserMessage(results...))
		t.said = nil
	}
	if t.action != nil {
		return t.finishAction(ctx)
	}
	if !t.spoke {
		t.log.Warn("model said nothing; the rule engine answers the turn")
		return t.fallback(ctx)
	}
	out := dialog.Outcome{Action: dialog.Continue}
	if n := len(t.said); n > 0 && strings.HasSuffix(strings.TrimSpace(t.said[n-1]), "?") {
		out.Question = strings.TrimSpace(t.said[n-1]) // for the re-prompt
	}
	return out, nil
}

// busy tells the call what the turn is waiting for (dialog.Request.Busy).
func (t *turn) busy(a dialog.Activity) {
	if t.req.Busy != nil {
		t.req.Busy(a)
	}
}

// failed handles an error of the model part of the turn.
func (t *turn) failed(ctx, tctx context.Context, err error) (dialog.Outcome, error) {
	if ctx.Err() != nil {
		return dialog.Outcome{}, context.Cause(ctx) // barge-in or hang-up: nobody listens
	}
	var why string
	switch {
	case errors.Is(err, limits.ErrLimited):
		t.c.limited = true
		t.log.Warn("LLM usage limit reached; the rule engine answers the rest of the call", "limit", err.Error())
		return t.fallback(ctx) // a limit is not a failure of the model
	case errors.Is(context.Cause(tctx), errModelTimeout):
		why = "model timed out"
		t.log.Warn("model turn timed out; the rule engine answers the turn",
			"timeout", t.c.r.cfg.TurnTimeout, "spoke", t.spoke)
	default:
		why = "model failed: " + err.Error()
		t.log.Warn("model failed; the rule engine answers the turn", append(errAttrs(err), "spoke", t.spoke)...)
	}
	var out dialog.Outcome
	if t.action != nil {
		// The tool has decided; only the model's last words are missing.
		out, err = t.finishAction(ctx)
	} else {
		out, err = t.fallback(ctx)
	}
	out.Fallback = why
	return out, err
}

// finishAction ends a turn in which a tool asked to transfer or hang up.
func (t *turn) finishAction(ctx context.Context) (dialog.Outcome, error) {
	out := dialog.Outcome{Action: t.action.Action, Reason: t.action.Reason, Topic: t.action.Topic}
	if len(t.said) == 0 && t.action.Say != "" {
		if err := t.speak(ctx, t.action.Say); err != nil {
			return out, err
		}
	}
	return out, nil
}

// fallback lets the rule engine answer the turn, and keeps what it says in
// the model's history so that the model knows it on the next turn.
func (t *turn) fallback(ctx context.Context) (dialog.Outcome, error) {
	req := t.req
	if t.spoke {
		req.Busy = nil // the caller is no longer waiting in silence
	}
	return t.c.fallback.Respond(ctx, req, func(sctx context.Context, piece string) error {
		return t.speak(sctx, piece)
	})
}

// request makes one model request (with the turn's one retry) and streams
// its reply.
func (t *turn) request(ctx context.Context, final bool) (reply, error) {
	r := t.c.r
	msgs := slices.Concat(t.c.history, []anthropic.MessageParam{t.user}, t.rounds)
	params := anthropic.MessageNewParams{
		Model:     r.cfg.Model,
		MaxTokens: int64(r.cfg.MaxTokens),
		System:    r.system,
		Tools:     r.tools,
		Messages:  msgs,
	}
	if final && len(r.tools) > 0 {
		params.ToolChoice = anthropic.ToolChoiceUnionParam{OfNone: &anthropic.ToolChoiceNoneParam{}}
	}
	for {
		if err := r.lim.Allow(ctx); err != nil {
			return reply{}, err
		}
		if !t.spoke {
			t.busy(dialog.ActivityThinking)
		}
		start := time.Now()
		rep, err := t.stream(ctx, params)
		if err == nil {
			t.log.Debug("model replied", "stop", rep.stop, "tokens", rep.tokens, "took", time.Since(start))
			switch rep.stop {
			case anthropic.StopReasonMaxTokens:
				t.log.Warn("model reply cut at max tokens", "max_tokens", r.cfg.MaxTokens)
			case anthropic.StopReasonRefusal:
				t.log.Warn("model refused to answer")
			}
			return rep, nil
		}
		if ctx.Err() != nil || t.retried || t.spoke || !retryable(err) {
			return rep, err
		}
		t.retried = true
		t.log.Warn("model request failed; retrying once", errAttrs(err)...)
		timer := time.NewTimer(r.cfg.RetryBackoff)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return rep, context.Cause(ctx)
		}
	}
}

// runTools runs the tool calls of one round in order and returns their
// results for the model. It stops when ctx ends.
func (t *turn) runTools(ctx context.Context, uses []toolUse) ([]anthropic.ContentBlockParamUnion, error) {
	results := make([]anthropic.ContentBlockParamUnion, 0, len(uses))
	for _, u := range uses {
		content, isErr := t.callTool(ctx, u)
		if err := ctx.Err(); err != nil {
			return nil, context.Cause(ctx)
		}
		results = append(results, anthropic.NewToolResultBlock(u.id, content, isErr))
	}
	return results, nil
}

// toolOutput is a tool result as the model reads it.
type toolOutput struct {
	Say    string `json:"say,omitempty"`    // the answer phrased for the ear
	Data   any    `json:"data,omitempty"`   // what the tool found
	Action string `json:"action,omitempty"` // "transfer" or "hangup": the call ends after this reply
	Error  string `json:"error,omitempty"`
}

// callTool runs one tool call and phrases its result for the model.
func (t *turn) callTool(ctx context.Context, u toolUse) (content string, isError bool) {
	if !t.spoke && t.c.r.reg != nil {
		t.busy(t.c.r.reg.Activity(u.name))
	}
	res, err := t.c.r.call(ctx, u.name, u.input)
	if err != nil && (errors.Is(err, tools.ErrInvalidArgs) || errors.Is(err, tools.ErrUnknownTool)) {
		// The validator quotes the value it refused, which may be a
		// caller's phone number: the log gets it masked (the logger masks
		// numbers in errors), the model (which wrote it) as it is.
		t.log.Info("model called a tool wrongly", "tool", u.name, "err", err)
		return err.Error(), true // for the model to correct itself
	}
	out := toolOutput{Say: res.Say, Data: res.Data}
	if res.Action != dialog.Continue {
		out.Action = res.Action.String()
		if t.action == nil {
			t.action = &res
		}
	}
	if err != nil {
		t.log.Warn("tool failed", "tool", u.name, "err", err)
		out.Error = err.Error()
	}
	b, merr := json.Marshal(out)
	if merr != nil {
		t.log.Error("tool result not JSON", "tool", u.name, "err", merr)
		b, _ = json.Marshal(toolOutput{Say: res.Say, Action: out.Action, Error: "result could not be encoded"})
		err = merr
	}
	return string(b), err != nil
}

// call runs a registry tool; without a registry every tool is unknown.
func (r *Responder) call(ctx context.Context, name string, args json.RawMessage) (tools.Result, error) {
	if r.reg == nil {
		return tools.Result{}, tools.ErrUnknownTool
	}
	return r.reg.Call(ctx, name, args)
}
