package tools

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/tirevoice/assistant/internal/dialog"
)

func TestRegistryValidatesArguments(t *testing.T) {
	ran := 0
	r, err := NewRegistry(Tool{
		Name:   "order_status",
		Schema: json.RawMessage(`{"type":"object","properties":{"order_id":{"type":"string","pattern":"^[0-9]{4,10}$"}},"required":["order_id"],"additionalProperties":false}`),
		Run: func(context.Context, json.RawMessage) (Result, error) {
			ran++
			return Result{Say: "ok"}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		tool    string
		args    string
		wantErr error
	}{
		{"valid", "order_status", `{"order_id":"100001"}`, nil},
		{"missing field", "order_status", `{}`, ErrInvalidArgs},
		{"wrong type", "order_status", `{"order_id":100001}`, ErrInvalidArgs},
		{"injection in a field", "order_status", `{"order_id":"1; DROP TABLE"}`, ErrInvalidArgs},
		{"extra field", "order_status", `{"order_id":"100001","admin":true}`, ErrInvalidArgs},
		{"not JSON", "order_status", `{"order_id":`, ErrInvalidArgs},
		{"unknown tool", "delete_everything", `{}`, ErrUnknownTool},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := ran
			tr := &Trace{}
			_, err := r.Call(WithTrace(context.Background(), tr), tt.tool, json.RawMessage(tt.args))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if (tt.wantErr == nil) != (ran == before+1) {
				t.Errorf("tool ran %d times for %s", ran-before, tt.name)
			}
			if calls := tr.Calls(); len(calls) != 1 || calls[0].Name != tt.tool {
				t.Errorf("trace = %+v", calls)
			}
		})
	}
}

func TestDuplicateToolRefused(t *testing.T) {
	tool := Tool{Name: "x", Schema: json.RawMessage(`{"type":"object"}`), Run: func(context.Context, json.RawMessage) (Result, error) { return Result{}, nil }}
	if _, err := NewRegistry(tool, tool); err == nil {
		t.Fatal("duplicate tool accepted")
	}
}

// TestActivity: a tool's activity is what it declares, else a lookup.
func TestActivity(t *testing.T) {
	run := func(context.Context, json.RawMessage) (Result, error) { return Result{}, nil }
	r, err := NewRegistry(
		Tool{Name: "search_tires", Schema: json.RawMessage(`{"type":"object"}`), Run: run, Activity: dialog.ActivityTires},
		Tool{Name: "search_kb", Schema: json.RawMessage(`{"type":"object"}`), Run: run},
	)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]dialog.Activity{
		"search_tires": dialog.ActivityTires, "search_kb": dialog.ActivityLookup, "nope": dialog.ActivityLookup,
	} {
		if got := r.Activity(name); got != want {
			t.Errorf("Activity(%q) = %q, want %q", name, got, want)
		}
	}
}
