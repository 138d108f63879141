package postgres

import (
	"errors"
	"fmt"

	"github.com/tirevoice/assistant/internal/operators"
)

// Errors of this package. The stores also return the sentinel errors of
// the interfaces they implement (call.ErrNotFound, kb.ErrSlugTaken, ...).
var (
	// ErrInvalidRecord is wrapped by the errors of SaveCall for a record
	// the database can never take (a call ID that is not a UUID, a value a
	// constraint refuses), as opposed to an outage, after which saving
	// again may succeed.
	ErrInvalidRecord = errors.New("postgres: invalid call record")
	// ErrInvalidEnvironment is returned by SetEnvironmentMark for a name
	// other than production, staging, dev or test.
	ErrInvalidEnvironment = errors.New("postgres: invalid environment")
	// ErrEnvironmentMarked is returned by SetEnvironmentMark when the
	// database already belongs to another environment.
	ErrEnvironmentMarked = errors.New("postgres: database is marked for another environment")
	// ErrExtensionTaken is returned by CreateOperator and UpdateOperator
	// for an extension another operator has: the dialplan dials an
	// extension, so it names one operator. It wraps operators.ErrInvalid,
	// the Store's error for an operator it cannot take.
	ErrExtensionTaken = fmt.Errorf("%w: extension already in use", operators.ErrInvalid)
)
