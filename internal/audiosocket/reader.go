package audiosocket

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// minReadBuffer is the least a Reader buffers, in bytes, so that a run of
// small frames (DTMF, 8 kHz audio) is read with few calls to the source.
const minReadBuffer = 4 << 10

// Reader reads frames from a byte stream. It buffers: it may read past the
// frame it returns, so a stream handed to a Reader belongs to it.
//
// A Reader is not safe for concurrent use.
type Reader struct {
	src        io.Reader
	maxPayload int
	buf        []byte // fixed size; holds at least one frame of maxPayload
	start, end int    // unread bytes are buf[start:end]
	err        error  // sticky protocol error or io.EOF
}

// NewReader returns a Reader of r that rejects payloads longer than
// maxPayload bytes; maxPayload <= 0 means DefaultMaxPayload, and values above
// MaxPayload are lowered to it. The Reader allocates its buffer (about
// maxPayload bytes, at least 4 KiB) once, here.
func NewReader(r io.Reader, maxPayload int) *Reader {
	if maxPayload <= 0 {
		maxPayload = DefaultMaxPayload
	}
	maxPayload = min(maxPayload, MaxPayload)
	return &Reader{
		src:        r,
		maxPayload: maxPayload,
		buf:        make([]byte, max(HeaderSize+maxPayload, minReadBuffer)),
	}
}

// ReadFrame reads and validates the next frame. The returned Payload aliases
// the Reader's buffer and is valid only until the next call to ReadFrame;
// copy it to keep it. In steady state ReadFrame does not allocate.
//
// A hangup or error frame is a valid frame and is returned as such; what it
// means for the call is the caller's business (Conn turns it into an error).
//
// Errors:
//   - io.EOF when the stream ends cleanly between frames;
//   - a protocol error (ErrUnknownKind, ErrZeroLength, ErrFrameTooLarge,
//     ErrBadUUID, ErrBadDTMF, ErrBadHangup, ErrOddAudio, ErrTruncated),
//     detected from the header alone where possible, so an oversize or
//     malformed frame's payload is never waited for;
//   - an error of the source as it came, such as a deadline: the bytes read
//     so far are kept, so a later call resumes the same frame.
//
// After io.EOF or a protocol error, every later call returns the same error:
// the stream has no frame boundary left to resume from.
func (r *Reader) ReadFrame() (Frame, error) {
	if r.err != nil {
		return Frame{}, r.err
	}
	if err := r.fill(HeaderSize); err != nil {
		return Frame{}, err
	}
	h := r.buf[r.start:]
	k, n := Kind(h[0]), int(binary.BigEndian.Uint16(h[1:]))
	var err error
	if k.Known() && n > r.maxPayload {
		// Before the per-kind rules: a length like 0xffff is odd too, but
		// "oversize" is what it is.
		err = fmt.Errorf("%w: %v, %d bytes, limit %d", ErrFrameTooLarge, k, n, r.maxPayload)
	} else {
		err = checkHeader(k, n)
	}
	if err != nil {
		r.err = err
		return Frame{}, err
	}
	if err := r.fill(HeaderSize + n); err != nil {
		return Frame{}, err
	}
	at := r.start + HeaderSize
	p := r.buf[at : at+n : at+n]
	if err := checkPayload(k, p); err != nil {
		r.err = err
		return Frame{}, err
	}
	r.start = at + n
	return Frame{Kind: k, Payload: p}, nil
}

// maxEmptyReads bounds how often a source may return (0, nil) in a row, as
// bufio does, so that a broken source cannot spin a reader forever.
const maxEmptyReads = 100

// fill reads until at least n unread bytes are buffered. It moves the unread
// bytes to the front of the buffer only when the frame would not fit
// otherwise, which invalidates the previous frame's payload.
func (r *Reader) fill(n int) error {
	if r.end-r.start >= n {
		return nil
	}
	if len(r.buf)-r.start < n {
		r.end = copy(r.buf, r.buf[r.start:r.end])
		r.start = 0
	}
	for empty := 0; r.end-r.start < n; {
		m, err := r.src.Read(r.buf[r.end:])
		r.end += m
		if r.end-r.start >= n {
			// Enough bytes: any error the source returned with them will
			// come again on the next read.
			return nil
		}
		switch {
		case errors.Is(err, io.EOF):
			if r.end == r.start {
				r.err = io.EOF
			} else {
				r.err = fmt.Errorf("%w: stream ended %d bytes into a frame that needs %d", ErrTruncated, r.end-r.start, n)
			}
			return r.err
		case err != nil:
			return err
		case m == 0:
			if empty++; empty >= maxEmptyReads {
				return io.ErrNoProgress
			}
		default:
			empty = 0
		}
	}
	return nil
}
