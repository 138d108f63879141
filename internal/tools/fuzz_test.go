package tools_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/tirevoice/assistant/internal/dialog"
	"github.com/tirevoice/assistant/internal/store"
	"github.com/tirevoice/assistant/internal/storemock/storemocktest"
	"github.com/tirevoice/assistant/internal/tools"
	"github.com/tirevoice/assistant/internal/tools/shop"
)

// ran is what a tool's Run was given and returned, in the last Call.
type ran struct {
	called bool
	args   json.RawMessage
	res    tools.Result
	err    error
}

// FuzzRegistryCall calls the registry with the shop's tools, whatever
// shop.Tools returns now, over a real Store API client of the Store API
// mock, with arbitrary names and arguments, as a language model may send
// them. Invariants: no panic; an unknown name is ErrUnknownTool and
// arguments that fail the tool's schema are ErrInvalidArgs, and neither
// reaches the tool; arguments that pass are one JSON object, reach the
// tool as sent, and the tool's answer is the call's; the call is traced as
// made; a tool that succeeds says something; its action is one the call
// knows.
func FuzzRegistryCall(f *testing.F) {
	client := storemocktest.Client(f, storemocktest.Start(f), store.Config{Timeout: 5 * time.Second, MaxAttempts: 1, FailureThreshold: 1 << 30})

	// Each tool's Run is wrapped to see what reaches it.
	var last ran
	shopTools := shop.Tools(client, time.Now)
	for i := range shopTools {
		run := shopTools[i].Run
		shopTools[i].Run = func(ctx context.Context, args json.RawMessage) (tools.Result, error) {
			res, err := run(ctx, args)
			last = ran{called: true, args: args, res: res, err: err}
			return res, err
		}
	}
	reg, err := tools.NewRegistry(shopTools...)
	if err != nil {
		f.Fatal(err)
	}
	known := map[string]bool{}
	for _, t := range reg.Tools() {
		known[t.Name] = true
		f.Add(t.Name, []byte(`{}`))
	}
	f.Add("search_tires", []byte(`{"width":205,"profile":55,"rim":16,"season":"winter"}`))
	f.Add("search_tires", []byte(`{"width":205.0,"profile":55,"rim":16,"width":"205"}`))
	f.Add("search_tires", []byte(`{"width":2e2,"profile":55,"rim":16} `))
	f.Add("find_stations", []byte(`{"city":"Казань"}`))
	f.Add("free_slots", []byte(`{"station_id":"kzn-1","date":"2026-13-45"}`))
	f.Add("tire_details", []byte(`{"tire_id":"x"}{}`))
	f.Add("transfer_to_operator", []byte(``))
	f.Add("end_call", []byte(`{"reason":"\ud800"}`))
	f.Add("no_such_tool", []byte(`{}`))
	f.Add("", []byte(`[]`))

	f.Fuzz(func(t *testing.T, name string, args []byte) {
		var trace tools.Trace
		ctx := tools.WithTrace(context.Background(), &trace)
		last = ran{}
		res, err := reg.Call(ctx, name, json.RawMessage(args))

		calls := trace.Calls()
		if len(calls) != 1 || calls[0].Name != name || !bytes.Equal(calls[0].Args, args) || calls[0].Err != err {
			t.Fatalf("traced %+v for one call of %q", calls, name)
		}
		switch {
		case !known[name]:
			if !errors.Is(err, tools.ErrUnknownTool) || last.called {
				t.Fatalf("unknown tool %q: %v, ran %v", name, err, last.called)
			}
			return
		case !last.called:
			if !errors.Is(err, tools.ErrInvalidArgs) || !reflect.DeepEqual(res, tools.Result{}) {
				t.Fatalf("%s(%s) did not run: %+v, %v", name, args, res, err)
			}
			return
		}
		want := args
		if len(bytes.TrimSpace(args)) == 0 {
			want = []byte("{}")
		}
		if !bytes.Equal(last.args, want) {
			t.Fatalf("%s given %q, called with %q", name, last.args, want)
		}
		var obj map[string]any
		if dec := json.NewDecoder(bytes.NewReader(last.args)); dec.Decode(&obj) != nil || obj == nil || dec.More() {
			t.Fatalf("%s ran on %q, which is not one JSON object", name, last.args)
		}
		if err != last.err || !reflect.DeepEqual(res, last.res) {
			t.Fatalf("%s returned %+v, %v; the call returned %+v, %v", name, last.res, last.err, res, err)
		}
		if err == nil && res.Say == "" {
			t.Fatalf("%s(%s) succeeded with nothing to say: %+v", name, args, res)
		}
		switch res.Action {
		case dialog.Continue, dialog.Hangup, dialog.Transfer:
		default:
			t.Fatalf("%s(%s): action %v", name, args, res.Action)
		}
		if res.Action != dialog.Continue && res.Reason == "" {
			t.Fatalf("%s(%s): %v without a reason", name, args, res.Action)
		}
	})
}
