package operators

import (
	"context"
	"fmt"
	"slices"
	"sync"
)

// Memory keeps the operators in memory: the Store of embedded defaults. It
// is safe for concurrent use; what it returns is the caller's to keep and
// modify.
type Memory struct {
	mu  sync.RWMutex
	ops []Operator // by ID
}

var _ Store = (*Memory)(nil)

// NewMemory holds a copy of ops. An operator with a positive ID keeps it
// (of two with one ID, the later is kept); the others, and every operator
// created later, get the highest ID plus one. The seed is not validated:
// it comes from the shop's own configuration.
func NewMemory(ops ...Operator) *Memory {
	m := &Memory{}
	var unnumbered []Operator
	for _, o := range ops {
		o.Skills = slices.Clone(o.Skills)
		if o.ID <= 0 {
			unnumbered = append(unnumbered, o)
			continue
		}
		if i, found := m.find(o.ID); found {
			m.ops[i] = o
		} else {
			m.ops = slices.Insert(m.ops, i, o)
		}
	}
	for _, o := range unnumbered {
		o.ID = m.nextID()
		m.ops = append(m.ops, o)
	}
	return m
}

// find returns the position of the operator with id in m.ops, or where it
// would go.
func (m *Memory) find(id int) (int, bool) {
	return slices.BinarySearchFunc(m.ops, id, func(o Operator, id int) int { return o.ID - id })
}

func (m *Memory) nextID() int {
	if n := len(m.ops); n > 0 {
		return m.ops[n-1].ID + 1
	}
	return 1
}

// Operators implements Store.
func (m *Memory) Operators(ctx context.Context, activeOnly bool) ([]Operator, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]Operator, 0, len(m.ops))
	for _, o := range m.ops {
		if o.Active || !activeOnly {
			out = append(out, cloneOperator(o))
		}
	}
	return out, nil
}

// Operator implements Store.
func (m *Memory) Operator(ctx context.Context, id int) (Operator, error) {
	if err := ctx.Err(); err != nil {
		return Operator{}, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	i, found := m.find(id)
	if !found {
		return Operator{}, fmt.Errorf("%w: %d", ErrNotFound, id)
	}
	return cloneOperator(m.ops[i]), nil
}

// CreateOperator implements Store. o.ID is ignored.
func (m *Memory) CreateOperator(ctx context.Context, o Operator) (Operator, error) {
	if err := ctx.Err(); err != nil {
		return Operator{}, err
	}
	if err := Validate(o); err != nil {
		return Operator{}, err
	}
	o = cloneOperator(o)
	m.mu.Lock()
	defer m.mu.Unlock()
	o.ID = m.nextID()
	m.ops = append(m.ops, o)
	return cloneOperator(o), nil
}

// UpdateOperator implements Store.
func (m *Memory) UpdateOperator(ctx context.Context, o Operator) (Operator, error) {
	if err := ctx.Err(); err != nil {
		return Operator{}, err
	}
	if err := Validate(o); err != nil {
		return Operator{}, err
	}
	o = cloneOperator(o)
	m.mu.Lock()
	defer m.mu.Unlock()
	i, found := m.find(o.ID)
	if !found {
		return Operator{}, fmt.Errorf("%w: %d", ErrNotFound, o.ID)
	}
	m.ops[i] = o
	return cloneOperator(o), nil
}

func cloneOperator(o Operator) Operator {
	o.Skills = slices.Clone(o.Skills)
	return o
}
