package postgres_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/tirevoice/assistant/internal/operators"
	"github.com/tirevoice/assistant/internal/postgres"
	"github.com/tirevoice/assistant/internal/postgres/pgtest"
)

func TestOperatorsCRUD(t *testing.T) {
	t.Parallel()
	db, _ := pgtest.Migrated(t)
	s := db.Operators()
	ctx := context.Background()

	if ops, err := s.Operators(ctx, false); err != nil || len(ops) != 0 {
		t.Fatalf("no operators yet: %v, %v", ops, err)
	}
	anna := operators.Operator{Name: "Анна", Extension: "101", Skills: []string{"tires", "orders"}, Active: true}
	boris := operators.Operator{Name: "Борис", Extension: "102", Skills: []string{"fitting"}, Active: false}
	queue := operators.Operator{Name: "Очередь шин", Extension: "tires", Active: true} // no skills
	for _, o := range []*operators.Operator{&anna, &boris, &queue} {
		created, err := s.CreateOperator(ctx, *o)
		if err != nil {
			t.Fatalf("CreateOperator(%s): %v", o.Name, err)
		}
		if created.ID <= 0 {
			t.Errorf("%s created with ID %d", o.Name, created.ID)
		}
		o.ID = created.ID
		if !reflect.DeepEqual(created, *o) {
			t.Errorf("CreateOperator returned %+v, want %+v", created, *o)
		}
	}

	all, err := s.Operators(ctx, false)
	if err != nil || !reflect.DeepEqual(all, []operators.Operator{anna, boris, queue}) {
		t.Errorf("Operators(all) = %+v, %v", all, err)
	}
	active, err := s.Operators(ctx, true)
	if err != nil || !reflect.DeepEqual(active, []operators.Operator{anna, queue}) {
		t.Errorf("Operators(activeOnly) = %+v, %v", active, err)
	}
	if got, err := s.Operator(ctx, boris.ID); err != nil || !reflect.DeepEqual(got, boris) {
		t.Errorf("Operator = %+v, %v; want %+v", got, err, boris)
	}

	boris.Active, boris.Skills = true, []string{"fitting", "tires"}
	if got, err := s.UpdateOperator(ctx, boris); err != nil || !reflect.DeepEqual(got, boris) {
		t.Errorf("UpdateOperator = %+v, %v; want %+v", got, err, boris)
	}
	if active, _ := s.Operators(ctx, true); len(active) != 3 {
		t.Errorf("%d active after activating Boris, want 3", len(active))
	}

	for _, id := range []int{9999, 0, 1 << 40} {
		if _, err := s.Operator(ctx, id); !errors.Is(err, operators.ErrNotFound) {
			t.Errorf("Operator(%d): %v, want ErrNotFound", id, err)
		}
	}
	ghost := anna
	ghost.ID, ghost.Extension = 9999, "999"
	if _, err := s.UpdateOperator(ctx, ghost); !errors.Is(err, operators.ErrNotFound) {
		t.Errorf("UpdateOperator(unknown): %v, want ErrNotFound", err)
	}
	dup := operators.Operator{Name: "Вера", Extension: "101"}
	if _, err := s.CreateOperator(ctx, dup); !errors.Is(err, postgres.ErrExtensionTaken) || !errors.Is(err, operators.ErrInvalid) {
		t.Errorf("CreateOperator with a taken extension: %v, want ErrExtensionTaken", err)
	}
	boris.Extension = "101"
	if _, err := s.UpdateOperator(ctx, boris); !errors.Is(err, postgres.ErrExtensionTaken) {
		t.Errorf("UpdateOperator to a taken extension: %v, want ErrExtensionTaken", err)
	}
	for _, bad := range []operators.Operator{
		{Name: "", Extension: "103"},
		{Name: "Галина", Extension: "10 3"},
		{Name: "Галина", Extension: "103", Skills: []string{"Шины"}},
		{Name: strings.Repeat("я", 101), Extension: "103"},
		{Name: "Гал\x00ина", Extension: "103"},
	} {
		if _, err := s.CreateOperator(ctx, bad); !errors.Is(err, operators.ErrInvalid) {
			t.Errorf("CreateOperator(%+v): %v, want ErrInvalid", bad, err)
		}
		bad.ID = anna.ID
		if _, err := s.UpdateOperator(ctx, bad); !errors.Is(err, operators.ErrInvalid) {
			t.Errorf("UpdateOperator(%+v): %v, want ErrInvalid", bad, err)
		}
	}
	if _, err := s.Operators(cancelled(), false); !errors.Is(err, context.Canceled) {
		t.Errorf("Operators with a cancelled context: %v", err)
	}
}

func TestSeedOperators(t *testing.T) {
	t.Parallel()
	db, dsn := pgtest.Migrated(t)
	s := db.Operators()
	ctx := context.Background()
	seed := []operators.Operator{
		{Name: "Анна", Extension: "101", Skills: []string{"tires"}, Active: true},
		{Name: "Очередь заказов", Extension: "orders", Skills: []string{"orders"}, Active: true},
	}
	snapshot := func() []string {
		rows, err := connect(t, dsn).Query(ctx, `SELECT operators::text FROM operators ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var r string
			if err := rows.Scan(&r); err != nil {
				t.Fatal(err)
			}
			out = append(out, r)
		}
		return out
	}
	if err := s.SeedOperators(ctx, seed); err != nil {
		t.Fatalf("SeedOperators: %v", err)
	}
	first := snapshot()
	if err := s.SeedOperators(ctx, seed); err != nil {
		t.Fatalf("SeedOperators again: %v", err)
	}
	if second := snapshot(); len(first) != 2 || !reflect.DeepEqual(first, second) {
		t.Errorf("seeding twice: %v then %v", first, second)
	}

	seed[0].Active = false
	if err := s.SeedOperators(ctx, seed[:1]); err != nil {
		t.Fatal(err)
	}
	ops, err := s.Operators(ctx, true)
	if err != nil || len(ops) != 1 || ops[0].Extension != "orders" {
		t.Errorf("after deactivating 101 by seed: %+v, %v", ops, err)
	}
	if err := s.SeedOperators(ctx, []operators.Operator{seed[0], seed[0]}); !errors.Is(err, operators.ErrInvalid) {
		t.Errorf("an extension twice: %v, want ErrInvalid", err)
	}
	if err := s.SeedOperators(ctx, []operators.Operator{{Name: "x", Extension: "a b"}}); !errors.Is(err, operators.ErrInvalid) {
		t.Errorf("an invalid operator: %v, want ErrInvalid", err)
	}
}
