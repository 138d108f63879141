package audiosocket_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/tirevoice/assistant/internal/audiosocket"
)

// uuidBytes is a valid call ID on the wire.
var uuidBytes = []byte{0x3f, 0x2b, 0x8e, 0x10, 0x6a, 0x4c, 0x4d, 0x1e, 0x9b, 0x27, 0x55, 0x0c, 0x1d, 0x7e, 0x2a, 0x91}

func TestFrameRoundTrip(t *testing.T) {
	tests := []struct {
		name  string
		frame audiosocket.Frame
		wire  []byte
	}{
		{"hangup", audiosocket.Frame{Kind: audiosocket.KindHangup}, []byte{0x00, 0x00, 0x00}},
		{"uuid", audiosocket.Frame{Kind: audiosocket.KindUUID, Payload: uuidBytes}, append([]byte{0x01, 0x00, 0x10}, uuidBytes...)},
		{"dtmf 0", audiosocket.Frame{Kind: audiosocket.KindDTMF, Payload: []byte("0")}, []byte{0x03, 0x00, 0x01, '0'}},
		{"dtmf #", audiosocket.Frame{Kind: audiosocket.KindDTMF, Payload: []byte("#")}, []byte{0x03, 0x00, 0x01, '#'}},
		{"audio 8 kHz 20 ms", audiosocket.Frame{Kind: audiosocket.KindAudio, Payload: make([]byte, 320)}, append([]byte{0x10, 0x01, 0x40}, make([]byte, 320)...)},
		{"audio 16 kHz 20 ms", audiosocket.Frame{Kind: audiosocket.KindAudio16k, Payload: make([]byte, 640)}, append([]byte{0x12, 0x02, 0x80}, make([]byte, 640)...)},
		{"error", audiosocket.Frame{Kind: audiosocket.KindError, Payload: []byte{0x02}}, []byte{0xff, 0x00, 0x01, 0x02}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.frame.MarshalSize(); got != len(tt.wire) {
				t.Errorf("MarshalSize() = %d, want %d", got, len(tt.wire))
			}
			b, err := tt.frame.Marshal()
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if !bytes.Equal(b, tt.wire) {
				t.Fatalf("Marshal = % x, want % x", b, tt.wire)
			}
			// Trailing bytes are ignored; the payload aliases the input.
			in := append(append([]byte{}, tt.wire...), 0xee, 0xee)
			var f audiosocket.Frame
			if err := f.Unmarshal(in); err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if f.Kind != tt.frame.Kind || !bytes.Equal(f.Payload, tt.frame.Payload) || f.MarshalSize() != len(tt.wire) {
				t.Fatalf("Unmarshal = %v, want %v", f, tt.frame)
			}
			if len(f.Payload) > 0 && &f.Payload[0] != &in[audiosocket.HeaderSize] {
				t.Error("Unmarshal copied the payload; it should alias the input")
			}
		})
	}
}

func TestFrameInvalid(t *testing.T) {
	tests := []struct {
		name  string
		frame audiosocket.Frame
		want  error
	}{
		{"zero length audio", audiosocket.Frame{Kind: audiosocket.KindAudio}, audiosocket.ErrZeroLength},
		{"zero length dtmf", audiosocket.Frame{Kind: audiosocket.KindDTMF}, audiosocket.ErrZeroLength},
		{"zero length error", audiosocket.Frame{Kind: audiosocket.KindError}, audiosocket.ErrZeroLength},
		{"hangup with payload", audiosocket.Frame{Kind: audiosocket.KindHangup, Payload: []byte{1}}, audiosocket.ErrBadHangup},
		{"unknown kind", audiosocket.Frame{Kind: 0x42, Payload: []byte{1}}, audiosocket.ErrUnknownKind},
		{"short uuid", audiosocket.Frame{Kind: audiosocket.KindUUID, Payload: uuidBytes[:15]}, audiosocket.ErrBadUUID},
		{"nil uuid", audiosocket.Frame{Kind: audiosocket.KindUUID, Payload: make([]byte, 16)}, audiosocket.ErrBadUUID},
		{"dtmf letter", audiosocket.Frame{Kind: audiosocket.KindDTMF, Payload: []byte("x")}, audiosocket.ErrBadDTMF},
		{"dtmf two digits", audiosocket.Frame{Kind: audiosocket.KindDTMF, Payload: []byte("12")}, audiosocket.ErrBadDTMF},
		{"odd audio", audiosocket.Frame{Kind: audiosocket.KindAudio16k, Payload: make([]byte, 641)}, audiosocket.ErrOddAudio},
		{"too large", audiosocket.Frame{Kind: audiosocket.KindAudio, Payload: make([]byte, 65536)}, audiosocket.ErrFrameTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.frame.Marshal(); !errors.Is(err, tt.want) {
				t.Errorf("Marshal error = %v, want %v", err, tt.want)
			}
			if len(tt.frame.Payload) > audiosocket.MaxPayload {
				return // cannot be put on the wire at all
			}
			wire := append([]byte{byte(tt.frame.Kind), byte(len(tt.frame.Payload) >> 8), byte(len(tt.frame.Payload))}, tt.frame.Payload...)
			var f audiosocket.Frame
			if err := f.Unmarshal(wire); !errors.Is(err, tt.want) {
				t.Errorf("Unmarshal error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestFrameUnmarshalTruncated(t *testing.T) {
	for _, wire := range [][]byte{nil, {0x10}, {0x10, 0x01}, {0x10, 0x01, 0x40, 0, 0}} {
		var f audiosocket.Frame
		err := f.Unmarshal(wire)
		if !errors.Is(err, audiosocket.ErrTruncated) || !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("Unmarshal(% x) error = %v, want ErrTruncated", wire, err)
		}
	}
}

func TestFrameMarshalToShortBuffer(t *testing.T) {
	f := audiosocket.Frame{Kind: audiosocket.KindDTMF, Payload: []byte("5")}
	if _, err := f.MarshalTo(make([]byte, 3)); !errors.Is(err, io.ErrShortBuffer) {
		t.Errorf("MarshalTo error = %v, want io.ErrShortBuffer", err)
	}
	b := make([]byte, 10)
	n, err := f.MarshalTo(b)
	if err != nil || n != 4 || !bytes.Equal(b[:n], []byte{0x03, 0x00, 0x01, '5'}) {
		t.Errorf("MarshalTo = %d, %v, % x", n, err, b[:n])
	}
}
