// Package operators is the shop's list of human operators, to whom the
// assistant hands a caller it cannot help: who they are, where the dialplan
// reaches them, what they know, and whether they take calls now.
package operators

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Operator is one person (or team) who takes calls.
type Operator struct {
	ID        int      // assigned by the store
	Name      string   // shown to supervisors
	Extension string   // a SIP extension ("101") or a queue name ("tires"): what the dialplan dials
	Skills    []string // lower-case topics ("tires", "orders", "fitting")
	Active    bool     // takes calls now
}

// Store keeps the operators: in memory on embedded defaults, in PostgreSQL
// in production. Implementations are safe for concurrent use.
type Store interface {
	// Operators returns every operator by ID; activeOnly leaves out the
	// inactive ones.
	Operators(ctx context.Context, activeOnly bool) ([]Operator, error)
	// Operator returns the operator with id, or ErrNotFound.
	Operator(ctx context.Context, id int) (Operator, error)
	// CreateOperator validates o and stores it with a new ID.
	CreateOperator(ctx context.Context, o Operator) (Operator, error)
	// UpdateOperator validates o and replaces the operator with o.ID, or
	// returns ErrNotFound.
	UpdateOperator(ctx context.Context, o Operator) (Operator, error)
}

// Errors of Store.
var (
	ErrNotFound = errors.New("operators: no such operator")
	ErrInvalid  = errors.New("operators: invalid operator")
)

var (
	extensionRE = regexp.MustCompile(`^[A-Za-z0-9_\-]{1,40}$`)
	skillRE     = regexp.MustCompile(`^[a-z][a-z0-9\-]{0,39}$`)
)

// Validate checks o; the error wraps ErrInvalid.
func Validate(o Operator) error {
	switch {
	case strings.TrimSpace(o.Name) == "":
		return fmt.Errorf("%w: empty name", ErrInvalid)
	case len(o.Name) > 200:
		return fmt.Errorf("%w: name longer than 200 bytes", ErrInvalid)
	case !extensionRE.MatchString(o.Extension):
		return fmt.Errorf("%w: extension %q: want 1 to 40 latin letters, digits, '-' or '_'", ErrInvalid, o.Extension)
	}
	for _, s := range o.Skills {
		if !skillRE.MatchString(s) {
			return fmt.Errorf("%w: skill %q: want a lower-case latin word", ErrInvalid, s)
		}
	}
	return nil
}
