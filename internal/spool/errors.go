package spool

import (
	"errors"
	"fmt"
)

// ErrFull is returned by Put, wrapped with the figures, when keeping the
// record would take the spool past Config.MaxRecords or Config.MaxBytes.
// The record is lost; the records already waiting are not touched.
var ErrFull = errors.New("spool: full")

// errCorrupt: a spool file that does not hold a record of a known format.
var errCorrupt = errors.New("spool: not a call record file")

// Permanent marks err as final: the sink will never accept the record, so
// retrying is pointless. The spool sets such a record aside in Dir/failed
// instead of retrying it. Permanent(nil) is nil. The result wraps err, so
// errors.Is and errors.As still see through it.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err, or an error it wraps, was made by
// Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// fullError builds the error Put returns at the bound.
func fullError(waiting int, bytes int64, cfg Config) error {
	return fmt.Errorf("%w: %d records, %d bytes waiting (at most %d records, %d bytes)",
		ErrFull, waiting, bytes, cfg.MaxRecords, cfg.MaxBytes)
}
