package audiosocket

import (
	"errors"
	"fmt"
	"io"
)

// Protocol violations. The Reader and Frame.Unmarshal return them wrapped
// with detail; match them with errors.Is.
var (
	// ErrZeroLength: a frame other than hangup declared a zero-length payload,
	// which Asterisk itself treats as invalid.
	ErrZeroLength = errors.New("audiosocket: zero-length payload")
	// ErrFrameTooLarge: the declared payload length is above the reader's
	// maximum (or above 65535 when writing). The payload is not read.
	ErrFrameTooLarge = errors.New("audiosocket: payload too large")
	// ErrUnknownKind: the kind byte is not one Asterisk defines.
	ErrUnknownKind = errors.New("audiosocket: unknown kind")
	// ErrBadUUID: a UUID payload that is not 16 bytes, or is the nil UUID.
	ErrBadUUID = errors.New("audiosocket: bad UUID payload")
	// ErrBadDTMF: a DTMF payload that is not exactly one of 0-9 * # A-D.
	ErrBadDTMF = errors.New("audiosocket: bad DTMF payload")
	// ErrBadHangup: a hangup frame with a payload.
	ErrBadHangup = errors.New("audiosocket: hangup frame with payload")
	// ErrOddAudio: an audio payload with an odd number of bytes, which cannot
	// be 16-bit samples.
	ErrOddAudio = errors.New("audiosocket: odd audio payload length")
	// ErrFirstNotUUID: the first message of a connection was not a UUID frame.
	ErrFirstNotUUID = errors.New("audiosocket: first message is not a UUID")
	// ErrTruncated: the stream ended inside a frame. It matches
	// io.ErrUnexpectedEOF too.
	ErrTruncated = fmt.Errorf("audiosocket: truncated frame: %w", io.ErrUnexpectedEOF)
)

// Call endings. Conn.ReadFrame and the handler's context report them.
var (
	// ErrPeerError: the peer sent an error frame. The error is a *PeerError
	// that carries the code.
	ErrPeerError = errors.New("audiosocket: peer sent an error frame")
	// ErrHangup: the call was hung up: the peer sent a hangup frame or closed
	// the connection (Asterisk's only way of hanging up), or this side called
	// Hangup.
	ErrHangup = errors.New("audiosocket: hangup")
	// ErrUUIDTimeout: no complete first frame within the server's UUIDTimeout.
	ErrUUIDTimeout = errors.New("audiosocket: timed out waiting for the UUID frame")
	// ErrDeadPeer: nothing received for the server's DeadPeerTimeout.
	// Missing caller frames are normal (silence suppression, a hold, a
	// network stall: Asterisk forwards only what the caller's channel
	// sends), so only a silence far longer than any the call's own rules
	// allow means a dead peer or network.
	ErrDeadPeer = errors.New("audiosocket: dead peer (nothing received)")
	// ErrWriteTimeout: a write did not complete within the write timeout: the
	// peer stopped reading. The stream may hold a partial frame, so the
	// connection is finished.
	ErrWriteTimeout = errors.New("audiosocket: write timeout (peer stopped reading)")
	// ErrShutdown: the server is shutting down. A handler whose context ends
	// with this cause may still write: it should say goodbye and hang up.
	ErrShutdown = errors.New("audiosocket: server shutting down")
	// ErrClosed: the connection was closed on this side.
	ErrClosed = errors.New("audiosocket: connection closed")
	// ErrTooFast: the peer sent audio, or frames, faster than real time
	// beyond the server's MaxAudioBurst: a broken or hostile peer that would
	// otherwise keep a core busy.
	ErrTooFast = errors.New("audiosocket: frames faster than real time")
)

// ErrNoFrame: Conn.ReadFrameUntil found no frame by the time it was given.
// It does not end the call: the caller's frames may stop for any length of
// time, and the handler treats the gap as silence.
var ErrNoFrame = errors.New("audiosocket: no frame yet")

// Refusals and failures of the server itself, counted like protocol errors.
var (
	// ErrConnLimit: the server was at MaxConns and closed a new connection.
	ErrConnLimit = errors.New("audiosocket: connection limit reached")
	// ErrHandshakeLimit: the server had MaxHandshakes connections waiting
	// for their UUID frame (or MaxHandshakesPerSource from one address) and
	// closed the oldest to make room for a new one.
	ErrHandshakeLimit = errors.New("audiosocket: too many connections waiting for their UUID frame")
	// ErrNotAllowed: the remote address is outside the server's AllowedNets.
	ErrNotAllowed = errors.New("audiosocket: remote address not allowed")
	// ErrHandlerPanic: the handler panicked; the server recovered and closed
	// the connection.
	ErrHandlerPanic = errors.New("audiosocket: handler panicked")
	// ErrBadRate: no audio kind exists for the sample rate.
	ErrBadRate = errors.New("audiosocket: no audio kind for sample rate")
)

// PeerError is the error frame a peer sent. It matches ErrPeerError.
type PeerError struct {
	Code byte // first payload byte; Asterisk documents its own codes
}

func (e *PeerError) Error() string {
	return fmt.Sprintf("audiosocket: peer sent an error frame (code %#02x)", e.Code)
}

// Unwrap makes errors.Is(err, ErrPeerError) hold.
func (e *PeerError) Unwrap() error { return ErrPeerError }

// Reason maps err to a short, fixed metric label, so that a counter of
// protocol errors has a bounded label set. It is "" for a normal end of call
// (nil, ErrHangup, ErrShutdown, ErrClosed) and "other" for errors that fit no
// label, such as a connection reset by a network device.
func Reason(err error) string {
	switch {
	case err == nil, errors.Is(err, ErrHangup), errors.Is(err, ErrShutdown), errors.Is(err, ErrClosed):
		return ""
	case errors.Is(err, ErrZeroLength):
		return "zero_length"
	case errors.Is(err, ErrFrameTooLarge):
		return "oversize"
	case errors.Is(err, ErrUnknownKind):
		return "unknown_kind"
	case errors.Is(err, ErrBadUUID):
		return "bad_uuid"
	case errors.Is(err, ErrBadDTMF):
		return "bad_dtmf"
	case errors.Is(err, ErrBadHangup):
		return "bad_hangup"
	case errors.Is(err, ErrOddAudio):
		return "odd_audio"
	case errors.Is(err, ErrFirstNotUUID):
		return "first_not_uuid"
	case errors.Is(err, ErrTruncated):
		return "truncated"
	case errors.Is(err, ErrPeerError):
		return "peer_error"
	case errors.Is(err, ErrUUIDTimeout):
		return "uuid_timeout"
	case errors.Is(err, ErrDeadPeer):
		return "dead_peer"
	case errors.Is(err, ErrWriteTimeout):
		return "write_timeout"
	case errors.Is(err, ErrTooFast):
		return "too_fast"
	case errors.Is(err, ErrConnLimit):
		return "conn_limit"
	case errors.Is(err, ErrHandshakeLimit):
		return "handshake_limit"
	case errors.Is(err, ErrNotAllowed):
		return "not_allowed"
	case errors.Is(err, ErrHandlerPanic):
		return "handler_panic"
	}
	return "other"
}
