package speechcodec

import "errors"

// Errors returned by the encoder.
var (
	ErrTextTooLong = errors.New("speechcodec: text longer than MaxText bytes")
	ErrInvalidUTF8 = errors.New("speechcodec: text is not valid UTF-8")
)
