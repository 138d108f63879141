package memstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tirevoice/assistant/internal/call"
)

func TestCallsKeepsTheNewest(t *testing.T) {
	ctx := context.Background()
	s := NewCalls(2)
	for _, id := range []string{"a", "b", "c"} {
		if err := s.SaveCall(ctx, &call.Record{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Call(ctx, "a"); !errors.Is(err, call.ErrNotFound) {
		t.Errorf("oldest call still there: %v", err)
	}
	for _, id := range []string{"b", "c"} {
		if rec, err := s.Call(ctx, id); err != nil || rec.ID != id {
			t.Errorf("call %s: %v %v", id, rec, err)
		}
	}
	// Saving again replaces, without forgetting another call.
	if err := s.SaveCall(ctx, &call.Record{ID: "c", Outcome: "completed"}); err != nil {
		t.Fatal(err)
	}
	if rec, _ := s.Call(ctx, "c"); rec.Outcome != "completed" {
		t.Errorf("replaced call = %+v", rec)
	}
	if _, err := s.Call(ctx, "b"); err != nil {
		t.Errorf("call b lost on replace: %v", err)
	}
}

func TestListCallsFiltersAndPages(t *testing.T) {
	ctx := context.Background()
	s := NewCalls(10)
	t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	for i, outcome := range []string{"completed", "operator", "completed", "no_input"} {
		rec := &call.Record{ID: string(rune('a' + i)), Started: t0.Add(time.Duration(i) * time.Minute), Outcome: outcome,
			Turns: []call.Turn{{N: 1, CallerText: "x"}}}
		if err := s.SaveCall(ctx, rec); err != nil {
			t.Fatal(err)
		}
	}
	page, err := s.ListCalls(ctx, call.ListFilter{Outcome: "completed"})
	if err != nil || page.Total != 2 || len(page.Calls) != 2 || page.Calls[0].ID != "c" || page.Calls[1].ID != "a" {
		t.Fatalf("completed calls: %+v %v", page, err)
	}
	if page.Calls[0].Turns != nil {
		t.Error("a listed call carries its turns")
	}
	page, _ = s.ListCalls(ctx, call.ListFilter{Limit: 2, Offset: 1})
	if page.Total != 4 || len(page.Calls) != 2 || page.Calls[0].ID != "c" || page.Calls[1].ID != "b" {
		t.Errorf("second page: %+v", page)
	}
	page, _ = s.ListCalls(ctx, call.ListFilter{Since: t0.Add(time.Minute), Until: t0.Add(3 * time.Minute)})
	if page.Total != 2 || page.Calls[0].ID != "c" {
		t.Errorf("time window: %+v", page)
	}
	if page, _ = s.ListCalls(ctx, call.ListFilter{Offset: 10}); page.Total != 4 || len(page.Calls) != 0 {
		t.Errorf("past the end: %+v", page)
	}
}

// TestReusedUUIDKeepsBothCalls: the checkpoint and the final record of one
// call replace each other; a later call that arrived with the same UUID is
// kept beside the first, under its derived id, and never replaces it.
func TestReusedUUIDKeepsBothCalls(t *testing.T) {
	ctx := context.Background()
	s := NewCalls(10)
	const id = "0b2f5a1e-6c1d-4f7e-9a3b-1c2d3e4f5a6b"
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	first := &call.Record{ID: id, Instance: "a", Started: t0, Outcome: "interrupted"}
	second := &call.Record{ID: id, Instance: "a", Started: t0.Add(time.Minute), Outcome: "completed"}
	for _, rec := range []*call.Record{first, {ID: id, Instance: "a", Started: t0, Outcome: "operator"}, second, second} {
		if err := s.SaveCall(ctx, rec); err != nil {
			t.Fatal(err)
		}
	}
	if rec, err := s.Call(ctx, id); err != nil || rec.Outcome != "operator" {
		t.Errorf("first call = %+v, %v; want its final record (operator)", rec, err)
	}
	derived := call.DerivedID(id, "a", second.Started)
	if rec, err := s.Call(ctx, derived); err != nil || rec.Outcome != "completed" {
		t.Errorf("second call under %s = %+v, %v; want completed", derived, rec, err)
	}
	if page, _ := s.ListCalls(ctx, call.ListFilter{}); page.Total != 2 {
		t.Errorf("%d calls kept, want 2", page.Total)
	}
}
