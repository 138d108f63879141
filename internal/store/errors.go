package store

import (
	"errors"
	"fmt"
	"net/http"
)

// Errors that callers tell apart with errors.Is. Every error a Client method
// returns wraps exactly one of them, or the caller's own context error.
var (
	// ErrUnavailable: the store did not answer in time, answered 5xx or 429
	// or an answer the client cannot use, or the circuit breaker is open.
	// Worth an apology and a later try.
	ErrUnavailable = errors.New("store unavailable")
	// ErrNotFound: no tire, order or station with that id.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the request clashes with the current state (the slot is
	// taken, not enough tires in stock).
	ErrConflict = errors.New("conflict")
	// ErrOutOfStock is the ErrConflict of an order for more tires than the
	// warehouse holds. An error that is ErrOutOfStock is also ErrConflict.
	ErrOutOfStock = errors.New("not enough tires in stock")
	// ErrInvalid: the store refused the request's values (400 or 422), or
	// the client refused them before sending.
	ErrInvalid = errors.New("invalid request")
	// ErrUnauthorized: the token is missing or wrong (401, 403); a
	// configuration problem, not the caller's.
	ErrUnauthorized = errors.New("unauthorized")
)

// APIError is an error answer of the Store API. Its Is reports the
// sentinel error of its status, so errors.Is(err, ErrNotFound) works.
type APIError struct {
	Status  int    `json:"status"`  // HTTP status code
	Code    string `json:"error"`   // machine-readable: "not_found", "slot_taken", ...
	Message string `json:"message"` // human-readable, English
}

// Codes of the API's error answers that a caller may act on.
const (
	CodeSlotTaken         = "slot_taken"
	CodeInsufficientStock = "insufficient_stock"
)

func (e *APIError) Error() string {
	return fmt.Sprintf("store: %d %s: %s", e.Status, e.Code, e.Message)
}

// Is maps the status to a sentinel error, each status to exactly one, so
// errors.Is(err, ErrNotFound) works. A status the API does not answer
// with (a redirect the HTTP client did not follow, 405, 418, ...) is an
// answer the client cannot use, like a 2xx with a body it cannot read:
// ErrUnavailable.
func (e *APIError) Is(target error) bool {
	if target == ErrOutOfStock {
		return e.Status == http.StatusConflict && e.Code == CodeInsufficientStock
	}
	return target == e.sentinel()
}

func (e *APIError) sentinel() error {
	switch e.Status {
	case http.StatusNotFound:
		return ErrNotFound
	case http.StatusConflict:
		return ErrConflict
	case http.StatusBadRequest, http.StatusUnprocessableEntity, http.StatusRequestEntityTooLarge:
		return ErrInvalid
	case http.StatusUnauthorized, http.StatusForbidden:
		return ErrUnauthorized
	}
	return ErrUnavailable // 5xx, 429 and any status the API does not use
}
