package storemock

import "errors"

// Errors of loading a data set.
var (
	// ErrBadJSON: the data set is not JSON of the Dataset shape (syntax,
	// wrong types, unknown fields, trailing data).
	ErrBadJSON = errors.New("bad data set JSON")
	// ErrInvalidData: the data set is well-formed but inconsistent.
	ErrInvalidData = errors.New("invalid data set")
)
