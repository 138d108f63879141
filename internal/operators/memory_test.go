package operators

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
)

func TestMemorySeed(t *testing.T) {
	ctx := context.Background()
	seed := []Operator{
		{ID: 5, Name: "Ольга", Extension: "105", Skills: []string{"tires"}, Active: true},
		{Name: "Очередь шин", Extension: "tires", Active: true},
		{ID: 2, Name: "Павел", Extension: "102", Skills: []string{"orders"}},
	}
	m := NewMemory(seed...)
	all, err := m.Operators(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range all {
		got = append(got, fmt.Sprintf("%d:%s", o.ID, o.Extension))
	}
	if fmt.Sprint(got) != "[2:102 5:105 6:tires]" {
		t.Errorf("operators = %v, want [2:102 5:105 6:tires]: own IDs kept, the unnumbered one after them", got)
	}
	active, err := m.Operators(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(active) != 2 || active[0].ID != 5 || active[1].ID != 6 {
		t.Errorf("active operators = %v, want 5 and 6", active)
	}

	seed[0].Skills[0] = "changed"
	o, err := m.Operator(ctx, 5)
	if err != nil {
		t.Fatal(err)
	}
	if o.Skills[0] != "tires" {
		t.Error("the store shares the seed's skills")
	}
	o.Skills[0] = "changed"
	if again, _ := m.Operator(ctx, 5); again.Skills[0] != "tires" {
		t.Error("the store shares an answer's skills")
	}
	if _, err := m.Operator(ctx, 99); !errors.Is(err, ErrNotFound) {
		t.Errorf("Operator(99): %v, want ErrNotFound", err)
	}
	if empty, _ := NewMemory().Operators(ctx, false); empty == nil || len(empty) != 0 {
		t.Errorf("empty store lists %#v, want an empty slice", empty)
	}
}

func TestMemoryCreateUpdate(t *testing.T) {
	ctx := context.Background()
	m := NewMemory(Operator{ID: 3, Name: "Ольга", Extension: "103", Active: true})

	in := Operator{ID: 1, Name: "Иван", Extension: "104", Skills: []string{"fitting"}}
	created, err := m.CreateOperator(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if created.ID != 4 {
		t.Errorf("created ID %d, want 4 (the given ID is ignored)", created.ID)
	}
	in.Skills[0] = "changed"
	if o, _ := m.Operator(ctx, 4); o.Skills[0] != "fitting" {
		t.Error("the store shares the created operator's skills")
	}

	created.Active = true
	created.Skills = []string{"fitting", "tires"}
	updated, err := m.UpdateOperator(ctx, created)
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := m.Operator(ctx, 4); !o.Active || len(o.Skills) != 2 || updated.ID != 4 {
		t.Errorf("after update: %+v", o)
	}

	tests := []struct {
		name string
		op   Operator
		want error
	}{
		{"create, no name", Operator{Extension: "105"}, ErrInvalid},
		{"create, bad extension", Operator{Name: "Анна", Extension: "1 05"}, ErrInvalid},
		{"update, unknown", Operator{ID: 42, Name: "Анна", Extension: "105"}, ErrNotFound},
		{"update, bad skill", Operator{ID: 3, Name: "Ольга", Extension: "103", Skills: []string{"Шины"}}, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.op.ID == 0 {
				_, err = m.CreateOperator(ctx, tt.op)
			} else {
				_, err = m.UpdateOperator(ctx, tt.op)
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
	if all, _ := m.Operators(ctx, false); len(all) != 2 {
		t.Errorf("%d operators, want 2", len(all))
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := m.Operators(cancelled, false); !errors.Is(err, context.Canceled) {
		t.Errorf("Operators with a cancelled context: %v", err)
	}
}

// TestMemoryConcurrent is for the race detector: every creation gets its
// own ID while others read.
func TestMemoryConcurrent(t *testing.T) {
	ctx := context.Background()
	m := NewMemory()
	const writers = 8
	ids := make(chan int, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			o, err := m.CreateOperator(ctx, Operator{Name: "Оператор", Extension: fmt.Sprint(100 + i), Active: true})
			if err != nil {
				t.Error(err)
				return
			}
			ids <- o.ID
		})
		wg.Go(func() {
			if _, err := m.Operators(ctx, true); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	close(ids)
	seen := map[int]bool{}
	for id := range ids {
		if seen[id] || id < 1 || id > writers {
			t.Errorf("ID %d: given twice or out of 1..%d", id, writers)
		}
		seen[id] = true
	}
}
