package audiosocket

import (
	"encoding/binary"
	"fmt"
	"io"
)

const (
	// HeaderSize is the size of a message header: kind and payload length.
	HeaderSize = 3
	// MaxPayload is the largest payload the two-byte length field can carry.
	MaxPayload = 0xffff
	// DefaultMaxPayload is the largest payload a Reader accepts unless told
	// otherwise, in bytes. 20 ms at 192 kHz is 7680 bytes; this leaves room for
	// 40 ms frames at any rate while bounding a hostile length.
	DefaultMaxPayload = 16 << 10
)

// Frame is one AudioSocket message.
//
// Payload is borrowed, never copied: after Unmarshal or Reader.ReadFrame it
// aliases the caller's or the reader's buffer (see each for how long it
// stays valid); the Marshal methods only read it.
type Frame struct {
	Kind    Kind
	Payload []byte
}

// MarshalSize is the encoded size of f in bytes: header plus payload.
func (f Frame) MarshalSize() int { return HeaderSize + len(f.Payload) }

// MarshalTo validates f and encodes it into b, returning the bytes written.
// It fails with io.ErrShortBuffer when b is shorter than MarshalSize.
func (f Frame) MarshalTo(b []byte) (int, error) {
	if err := check(f.Kind, f.Payload); err != nil {
		return 0, err
	}
	n := f.MarshalSize()
	if len(b) < n {
		return 0, io.ErrShortBuffer
	}
	b[0] = byte(f.Kind)
	binary.BigEndian.PutUint16(b[1:], uint16(len(f.Payload)))
	copy(b[HeaderSize:], f.Payload)
	return n, nil
}

// Marshal validates f and returns it encoded in a new slice.
func (f Frame) Marshal() ([]byte, error) {
	b := make([]byte, f.MarshalSize())
	if _, err := f.MarshalTo(b); err != nil {
		return nil, err
	}
	return b, nil
}

// Unmarshal decodes and validates the frame at the start of b. Bytes after
// the frame are ignored; f.MarshalSize() tells how many were used. Payload
// aliases b. Unmarshal applies the protocol's limits, not a Reader's
// maximum payload.
func (f *Frame) Unmarshal(b []byte) error {
	if len(b) < HeaderSize {
		return fmt.Errorf("%w: %d of %d header bytes", ErrTruncated, len(b), HeaderSize)
	}
	k, n := Kind(b[0]), int(binary.BigEndian.Uint16(b[1:]))
	if err := checkHeader(k, n); err != nil {
		return err
	}
	if len(b) < HeaderSize+n {
		return fmt.Errorf("%w: %d of %d payload bytes", ErrTruncated, len(b)-HeaderSize, n)
	}
	p := b[HeaderSize : HeaderSize+n : HeaderSize+n]
	if err := checkPayload(k, p); err != nil {
		return err
	}
	f.Kind, f.Payload = k, p
	return nil
}

// String describes f for logs without its payload bytes.
func (f Frame) String() string {
	return fmt.Sprintf("%v frame, %d bytes", f.Kind, len(f.Payload))
}

// check validates a whole frame before it is encoded.
func check(k Kind, p []byte) error {
	if len(p) > MaxPayload {
		return fmt.Errorf("%w: %d bytes, the protocol allows %d", ErrFrameTooLarge, len(p), MaxPayload)
	}
	if err := checkHeader(k, len(p)); err != nil {
		return err
	}
	return checkPayload(k, p)
}

// checkHeader validates what the header alone tells, so that a reader can
// reject a frame before waiting for its payload.
func checkHeader(k Kind, n int) error {
	switch {
	case !k.Known():
		return fmt.Errorf("%w: %#02x", ErrUnknownKind, byte(k))
	case k == KindHangup:
		if n != 0 {
			return fmt.Errorf("%w: %d bytes", ErrBadHangup, n)
		}
	case n == 0:
		// Asterisk ends the call on a zero length, so we never accept one
		// from it or send one to it; hangup is the only empty message.
		return fmt.Errorf("%w: %v", ErrZeroLength, k)
	case k == KindUUID && n != 16:
		return fmt.Errorf("%w: %d bytes, want 16", ErrBadUUID, n)
	case k == KindDTMF && n != 1:
		return fmt.Errorf("%w: %d bytes, want 1", ErrBadDTMF, n)
	case k.IsAudio() && n%2 != 0:
		return fmt.Errorf("%w: %v, %d bytes", ErrOddAudio, k, n)
	}
	return nil
}

// checkPayload validates the payload bytes of a frame whose header passed
// checkHeader.
func checkPayload(k Kind, p []byte) error {
	switch k {
	case KindUUID:
		for _, b := range p {
			if b != 0 {
				return nil
			}
		}
		return fmt.Errorf("%w: nil UUID", ErrBadUUID)
	case KindDTMF:
		if !validDigit(p[0]) {
			return fmt.Errorf("%w: %q", ErrBadDTMF, p[0])
		}
	}
	return nil
}

// validDigit reports whether d is a DTMF key: 0-9, *, #, A-D.
func validDigit(d byte) bool {
	return '0' <= d && d <= '9' || d == '*' || d == '#' || 'A' <= d && d <= 'D'
}
