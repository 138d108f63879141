// Package tools is the registry of actions the bot can take against the
// shop (search tires, order status, fitting stations and slots, booking,
// the knowledge base, transfer, end the call). The language model and the
// rule-based engine use the same registry, so both go through the same
// argument validation: whatever a model sends is untrusted input.
package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/tirevoice/assistant/internal/dialog"
	"github.com/tirevoice/assistant/internal/routing"
)

// Tool is one action.
type Tool struct {
	Name        string          // snake_case, unique, e.g. "search_tires"
	Description string          // what it does and when to use it, for the language model
	Schema      json.RawMessage // JSON Schema of the arguments object
	// Run performs the action with arguments that passed Schema. It returns
	// a Result even with an error when it has something to say about it
	// (an unavailable store becomes an apology and an offer of an operator).
	Run func(ctx context.Context, args json.RawMessage) (Result, error)
	// Activity is what the caller waits for while the tool runs, for the
	// call's filler phrase; empty is dialog.ActivityLookup.
	Activity dialog.Activity
}

// Result is what a tool found, for the ear and for the model.
type Result struct {
	// Say is the answer phrased for the ear, in Russian: numbers and sizes
	// as they are spoken, at most three options read out. The rule engine
	// speaks it as is; the language model may use it.
	Say string
	// Data is the structured result for the language model; it is
	// marshalled to JSON as the tool result.
	Data any
	// Action asks the call to end or go to an operator after the reply.
	Action dialog.Action
	Reason string        // why, when Action is not Continue
	Topic  routing.Topic // what a Transfer is about; empty is general
}

// Errors of Registry.Call.
var (
	ErrUnknownTool = errors.New("tools: unknown tool")
	ErrInvalidArgs = errors.New("tools: invalid arguments")
)

// Registry holds the tools. It is safe for concurrent use.
type Registry struct {
	tools   []Tool
	byName  map[string]int
	schemas []*jsonschema.Schema
}

// NewRegistry compiles each tool's schema. Names must be unique.
func NewRegistry(tools ...Tool) (*Registry, error) {
	r := &Registry{byName: map[string]int{}}
	c := jsonschema.NewCompiler()
	for i, t := range tools {
		if _, dup := r.byName[t.Name]; dup {
			return nil, fmt.Errorf("tools: %q registered twice", t.Name)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(t.Schema))
		if err != nil {
			return nil, fmt.Errorf("tools: %s: schema: %w", t.Name, err)
		}
		url := "tool://" + t.Name
		if err := c.AddResource(url, doc); err != nil {
			return nil, fmt.Errorf("tools: %s: schema: %w", t.Name, err)
		}
		s, err := c.Compile(url)
		if err != nil {
			return nil, fmt.Errorf("tools: %s: schema: %w", t.Name, err)
		}
		r.byName[t.Name] = i
		r.tools = append(r.tools, t)
		r.schemas = append(r.schemas, s)
	}
	return r, nil
}

// Tools lists the tools in registration order.
func (r *Registry) Tools() []Tool { return r.tools }

// Activity is what the caller waits for while the tool name runs
// (Tool.Activity); dialog.ActivityLookup for a tool that names none or is
// not registered.
func (r *Registry) Activity(name string) dialog.Activity {
	if r == nil {
		return dialog.ActivityLookup
	}
	if i, ok := r.byName[name]; ok && r.tools[i].Activity != "" {
		return r.tools[i].Activity
	}
	return dialog.ActivityLookup
}

// Call validates args against the tool's schema and runs it. Invalid
// arguments never reach the tool: the error wraps ErrInvalidArgs and says
// what is wrong, for the model to correct. The call is added to the Trace
// in ctx, if any.
func (r *Registry) Call(ctx context.Context, name string, args json.RawMessage) (Result, error) {
	start := time.Now()
	res, err := r.call(ctx, name, args)
	if tr := traceFrom(ctx); tr != nil {
		tr.add(Call{Name: name, Args: append(json.RawMessage(nil), args...), Result: res, Err: err, Duration: time.Since(start)})
	}
	return res, err
}

func (r *Registry) call(ctx context.Context, name string, args json.RawMessage) (Result, error) {
	i, ok := r.byName[name]
	if !ok {
		return Result{}, fmt.Errorf("%w %q", ErrUnknownTool, name)
	}
	if len(bytes.TrimSpace(args)) == 0 {
		args = json.RawMessage("{}")
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(args))
	if err != nil {
		return Result{}, fmt.Errorf("%w: %s: not JSON: %v", ErrInvalidArgs, name, err)
	}
	if err := r.schemas[i].Validate(v); err != nil {
		return Result{}, fmt.Errorf("%w: %s: %v", ErrInvalidArgs, name, err)
	}
	return r.tools[i].Run(ctx, args)
}

// Call is one tool call as the call record keeps it.
type Call struct {
	Name     string
	Args     json.RawMessage
	Result   Result
	Err      error
	Duration time.Duration
}

// Trace collects the tool calls of one turn.
type Trace struct {
	mu    sync.Mutex
	calls []Call
}

// Calls returns the calls so far, in order.
func (t *Trace) Calls() []Call {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Call(nil), t.calls...)
}

func (t *Trace) add(c Call) {
	t.mu.Lock()
	t.calls = append(t.calls, c)
	t.mu.Unlock()
}

type traceKey struct{}

// WithTrace returns a context whose tool calls are added to t.
func WithTrace(ctx context.Context, t *Trace) context.Context {
	return context.WithValue(ctx, traceKey{}, t)
}

func traceFrom(ctx context.Context) *Trace {
	t, _ := ctx.Value(traceKey{}).(*Trace)
	return t
}
