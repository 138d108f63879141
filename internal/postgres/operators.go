package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/tirevoice/assistant/internal/operators"
)

// Operators keeps the operators in the operators table. It is safe for
// concurrent use.
type Operators struct {
	db *DB
}

var _ operators.Store = (*Operators)(nil)

// NewOperators returns the operator store over db.
func NewOperators(db *DB) *Operators { return &Operators{db: db} }

const operatorColumns = `id, name, extension, skills, active`

func scanOperator(row pgx.CollectableRow) (operators.Operator, error) {
	var o operators.Operator
	err := row.Scan(&o.ID, &o.Name, &o.Extension, &o.Skills, &o.Active)
	if len(o.Skills) == 0 {
		o.Skills = nil
	}
	return o, err
}

// Operators implements operators.Store.
func (s *Operators) Operators(ctx context.Context, activeOnly bool) ([]operators.Operator, error) {
	q := `SELECT ` + operatorColumns + ` FROM operators ORDER BY id`
	if activeOnly {
		q = `SELECT ` + operatorColumns + ` FROM operators WHERE active ORDER BY id`
	}
	rows, _ := s.db.pool.Query(ctx, q)
	ops, err := pgx.CollectRows(rows, scanOperator)
	if err != nil {
		return nil, fmt.Errorf("postgres: operators: %w", err)
	}
	return ops, nil
}

// Operator implements operators.Store.
func (s *Operators) Operator(ctx context.Context, id int) (operators.Operator, error) {
	if !validID(id) {
		return operators.Operator{}, operators.ErrNotFound
	}
	rows, _ := s.db.pool.Query(ctx, `SELECT `+operatorColumns+` FROM operators WHERE id = $1`, id)
	o, err := pgx.CollectExactlyOneRow(rows, scanOperator)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return operators.Operator{}, operators.ErrNotFound
	case err != nil:
		return operators.Operator{}, fmt.Errorf("postgres: operator %d: %w", id, err)
	}
	return o, nil
}

// CreateOperator implements operators.Store. An extension in use is
// ErrExtensionTaken.
func (s *Operators) CreateOperator(ctx context.Context, o operators.Operator) (operators.Operator, error) {
	if err := operators.Validate(o); err != nil {
		return operators.Operator{}, err
	}
	rows, _ := s.db.pool.Query(ctx, `
		INSERT INTO operators (name, extension, skills, active)
		VALUES ($1, $2, $3, $4)
		RETURNING `+operatorColumns,
		o.Name, o.Extension, nonNil(o.Skills), o.Active)
	stored, err := pgx.CollectExactlyOneRow(rows, scanOperator)
	switch {
	case isUniqueViolation(err, "operators_extension_key"):
		return operators.Operator{}, fmt.Errorf("%w: %q", ErrExtensionTaken, o.Extension)
	case isInvalidData(err): // text PostgreSQL cannot hold (a NUL byte, say)
		return operators.Operator{}, fmt.Errorf("%w: %w", operators.ErrInvalid, err)
	case err != nil:
		return operators.Operator{}, fmt.Errorf("postgres: create operator: %w", err)
	}
	return stored, nil
}

// UpdateOperator implements operators.Store. An extension of another
// operator is ErrExtensionTaken.
func (s *Operators) UpdateOperator(ctx context.Context, o operators.Operator) (operators.Operator, error) {
	if err := operators.Validate(o); err != nil {
		return operators.Operator{}, err
	}
	if !validID(o.ID) {
		return operators.Operator{}, operators.ErrNotFound
	}
	rows, _ := s.db.pool.Query(ctx, `
		UPDATE operators
		SET name = $2, extension = $3, skills = $4, active = $5, updated_at = now()
		WHERE id = $1
		RETURNING `+operatorColumns,
		o.ID, o.Name, o.Extension, nonNil(o.Skills), o.Active)
	stored, err := pgx.CollectExactlyOneRow(rows, scanOperator)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return operators.Operator{}, operators.ErrNotFound
	case isUniqueViolation(err, "operators_extension_key"):
		return operators.Operator{}, fmt.Errorf("%w: %q", ErrExtensionTaken, o.Extension)
	case isInvalidData(err): // text PostgreSQL cannot hold (a NUL byte, say)
		return operators.Operator{}, fmt.Errorf("%w: %w", operators.ErrInvalid, err)
	case err != nil:
		return operators.Operator{}, fmt.Errorf("postgres: update operator %d: %w", o.ID, err)
	}
	return stored, nil
}

// SeedOperators upserts ops by extension, in one transaction: a new
// extension is inserted with a new ID, a known one keeps its ID and takes
// the other fields (and is not written when they are the same). Running it
// twice leaves the same rows. Operators not in the list are left alone.
func (s *Operators) SeedOperators(ctx context.Context, ops []operators.Operator) error {
	seen := make(map[string]bool, len(ops))
	for _, o := range ops {
		if err := operators.Validate(o); err != nil {
			return fmt.Errorf("postgres: seed operators: %w", err)
		}
		if seen[o.Extension] {
			return fmt.Errorf("postgres: seed operators: %w: extension %q given twice", operators.ErrInvalid, o.Extension)
		}
		seen[o.Extension] = true
	}
	b := &pgx.Batch{}
	for _, o := range ops {
		b.Queue(`
			INSERT INTO operators (name, extension, skills, active)
			VALUES ($1, $2, $3, $4)
			ON CONFLICT (extension) DO UPDATE SET
				name = excluded.name, skills = excluded.skills, active = excluded.active,
				updated_at = now()
			WHERE (operators.name, operators.skills, operators.active)
				IS DISTINCT FROM (excluded.name, excluded.skills, excluded.active)`,
			o.Name, o.Extension, nonNil(o.Skills), o.Active)
	}
	err := pgx.BeginFunc(ctx, s.db.pool, func(tx pgx.Tx) error {
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return fmt.Errorf("postgres: seed operators: %w", err)
	}
	return nil
}
