package audiosocket

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/tirevoice/assistant/internal/audio"
)

// Writer writes frames to a byte stream, each as header and payload in ONE
// Write call: older Asterisk releases mis-handle a header that arrives apart
// from its payload. It encodes into a buffer it reuses, so in steady state a
// write does not allocate.
//
// An error from the underlying Write is sticky: the stream may end inside a
// frame, so every later call returns it. A frame that fails validation is not
// written and does not poison the Writer.
//
// A Writer is not safe for concurrent use.
type Writer struct {
	dst io.Writer
	buf []byte
	err error
}

// NewWriter returns a Writer to w.
func NewWriter(w io.Writer) *Writer {
	// 20 ms at 16 kHz plus header fits without growing; larger frames grow
	// the buffer once.
	return &Writer{dst: w, buf: make([]byte, 0, HeaderSize+audio.Rate16k.FrameBytes())}
}

// WriteFrame validates and writes one frame. It does not keep payload.
func (w *Writer) WriteFrame(k Kind, payload []byte) error {
	if w.err != nil {
		return w.err
	}
	if err := check(k, payload); err != nil {
		return err
	}
	w.buf = appendHeader(w.buf[:0], k, len(payload))
	w.buf = append(w.buf, payload...)
	return w.flush()
}

// WriteAudio writes p as one audio frame of the kind for rate, converting it
// to s16le. p must hold 1..32767 samples; 20 ms is rate.FrameSamples(). It
// does not keep p.
func (w *Writer) WriteAudio(rate audio.Rate, p audio.PCM16) error {
	if w.err != nil {
		return w.err
	}
	k, ok := AudioKind(rate)
	switch {
	case !ok:
		return fmt.Errorf("%w: %v", ErrBadRate, rate)
	case len(p) == 0:
		return fmt.Errorf("%w: %v with no samples", ErrZeroLength, k)
	case 2*len(p) > MaxPayload:
		return fmt.Errorf("%w: %d samples, the protocol allows %d", ErrFrameTooLarge, len(p), MaxPayload/2)
	}
	w.buf = appendHeader(w.buf[:0], k, 2*len(p))
	w.buf = audio.AppendS16LE(w.buf, p)
	return w.flush()
}

// WriteHangup writes the hangup frame: kind 0x00, length 0.
func (w *Writer) WriteHangup() error { return w.WriteFrame(KindHangup, nil) }

func (w *Writer) flush() error {
	n, err := w.dst.Write(w.buf)
	if err == nil && n != len(w.buf) {
		err = io.ErrShortWrite
	}
	if err != nil {
		w.err = err
	}
	return err
}

func appendHeader(b []byte, k Kind, n int) []byte {
	return binary.BigEndian.AppendUint16(append(b, byte(k)), uint16(n))
}
