package audiosocket_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/tirevoice/assistant/internal/audiosocket"
)

func TestReason(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("detail: %w", err) }
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"hangup", wrap(audiosocket.ErrHangup), ""},
		{"shutdown", wrap(audiosocket.ErrShutdown), ""},
		{"closed", audiosocket.ErrClosed, ""},
		{"zero length", wrap(audiosocket.ErrZeroLength), "zero_length"},
		{"oversize", wrap(audiosocket.ErrFrameTooLarge), "oversize"},
		{"unknown kind", wrap(audiosocket.ErrUnknownKind), "unknown_kind"},
		{"bad uuid", wrap(audiosocket.ErrBadUUID), "bad_uuid"},
		{"bad dtmf", wrap(audiosocket.ErrBadDTMF), "bad_dtmf"},
		{"bad hangup", wrap(audiosocket.ErrBadHangup), "bad_hangup"},
		{"odd audio", wrap(audiosocket.ErrOddAudio), "odd_audio"},
		{"first not uuid", wrap(audiosocket.ErrFirstNotUUID), "first_not_uuid"},
		{"truncated", wrap(audiosocket.ErrTruncated), "truncated"},
		{"peer error", &audiosocket.PeerError{Code: 2}, "peer_error"},
		{"uuid timeout", wrap(audiosocket.ErrUUIDTimeout), "uuid_timeout"},
		{"dead peer", wrap(audiosocket.ErrDeadPeer), "dead_peer"},
		{"write timeout", wrap(audiosocket.ErrWriteTimeout), "write_timeout"},
		{"too fast", wrap(audiosocket.ErrTooFast), "too_fast"},
		{"conn limit", wrap(audiosocket.ErrConnLimit), "conn_limit"},
		{"handshake limit", wrap(audiosocket.ErrHandshakeLimit), "handshake_limit"},
		{"not allowed", wrap(audiosocket.ErrNotAllowed), "not_allowed"},
		{"handler panic", wrap(audiosocket.ErrHandlerPanic), "handler_panic"},
		{"other", errors.New("connection reset"), "other"},
		{"plain unexpected EOF is not ours", io.ErrUnexpectedEOF, "other"},
		{"context", context.Canceled, "other"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := audiosocket.Reason(tt.err); got != tt.want {
				t.Errorf("Reason(%v) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
}

func TestErrTruncatedIsUnexpectedEOF(t *testing.T) {
	if !errors.Is(audiosocket.ErrTruncated, io.ErrUnexpectedEOF) {
		t.Error("ErrTruncated does not match io.ErrUnexpectedEOF")
	}
}

func TestPeerErrorKeepsCode(t *testing.T) {
	err := fmt.Errorf("call: %w", &audiosocket.PeerError{Code: 4})
	var pe *audiosocket.PeerError
	if !errors.As(err, &pe) || pe.Code != 4 {
		t.Fatalf("errors.As = %v, %+v; want code 4", pe != nil, pe)
	}
	if !errors.Is(err, audiosocket.ErrPeerError) {
		t.Error("PeerError does not match ErrPeerError")
	}
}
