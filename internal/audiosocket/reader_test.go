package audiosocket_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"testing"
	"testing/iotest"

	"github.com/tirevoice/assistant/internal/audiosocket"
)

// wire encodes frames back to back; it fails the test on an invalid frame.
func wire(t testing.TB, frames ...audiosocket.Frame) []byte {
	t.Helper()
	var b []byte
	for _, f := range frames {
		m, err := f.Marshal()
		if err != nil {
			t.Fatalf("Marshal(%v): %v", f, err)
		}
		b = append(b, m...)
	}
	return b
}

// callFrames is the start of a call as Asterisk sends it, and then some.
func callFrames() []audiosocket.Frame {
	audio8k := make([]byte, 320)
	for i := range audio8k {
		audio8k[i] = byte(i)
	}
	return []audiosocket.Frame{
		{Kind: audiosocket.KindUUID, Payload: uuidBytes},
		{Kind: audiosocket.KindAudio, Payload: audio8k},
		{Kind: audiosocket.KindDTMF, Payload: []byte("#")},
		{Kind: audiosocket.KindAudio16k, Payload: bytes.Repeat([]byte{1, 2}, 320)},
		{Kind: audiosocket.KindAudio192k, Payload: make([]byte, 7680)},
		{Kind: audiosocket.KindError, Payload: []byte{0x02}},
		{Kind: audiosocket.KindHangup},
	}
}

func TestReaderReadsFrames(t *testing.T) {
	frames := callFrames()
	data := wire(t, frames...)
	sources := []struct {
		name string
		src  func() io.Reader
	}{
		{"whole", func() io.Reader { return bytes.NewReader(data) }},
		{"one byte at a time", func() io.Reader { return iotest.OneByteReader(bytes.NewReader(data)) }},
		{"half reads", func() io.Reader { return iotest.HalfReader(bytes.NewReader(data)) }},
		{"EOF with the last bytes", func() io.Reader { return iotest.DataErrReader(bytes.NewReader(data)) }},
	}
	for _, src := range sources {
		t.Run(src.name, func(t *testing.T) {
			r := audiosocket.NewReader(src.src(), 0)
			for i, want := range frames {
				got, err := r.ReadFrame()
				if err != nil {
					t.Fatalf("frame %d: %v", i, err)
				}
				if got.Kind != want.Kind || !bytes.Equal(got.Payload, want.Payload) {
					t.Fatalf("frame %d = %v, want %v", i, got, want)
				}
			}
			for range 2 { // io.EOF is sticky
				if _, err := r.ReadFrame(); err != io.EOF {
					t.Fatalf("after the last frame: %v, want io.EOF", err)
				}
			}
		})
	}
}

// headerOnly yields its bytes, then fails the test's expectation by
// returning errPayloadRead: a reader that asks again wanted the payload.
type headerOnly struct{ b []byte }

var errPayloadRead = errors.New("reader asked for the payload")

func (h *headerOnly) Read(p []byte) (int, error) {
	if len(h.b) == 0 {
		return 0, errPayloadRead
	}
	n := copy(p, h.b)
	h.b = h.b[n:]
	return n, nil
}

func TestReaderRejectsFromHeader(t *testing.T) {
	tests := []struct {
		name   string
		header []byte
		want   error
	}{
		{"oversize", []byte{0x10, 0xff, 0xff}, audiosocket.ErrFrameTooLarge},
		{"just over the default", []byte{0x10, 0x40, 0x02}, audiosocket.ErrFrameTooLarge},
		{"unknown kind", []byte{0x42, 0x00, 0x01}, audiosocket.ErrUnknownKind},
		{"zero length audio", []byte{0x10, 0x00, 0x00}, audiosocket.ErrZeroLength},
		{"zero length uuid", []byte{0x01, 0x00, 0x00}, audiosocket.ErrZeroLength},
		{"short uuid", []byte{0x01, 0x00, 0x0f}, audiosocket.ErrBadUUID},
		{"long dtmf", []byte{0x03, 0x00, 0x02}, audiosocket.ErrBadDTMF},
		{"odd audio", []byte{0x12, 0x02, 0x81}, audiosocket.ErrOddAudio},
		{"hangup with payload", []byte{0x00, 0x00, 0x01}, audiosocket.ErrBadHangup},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := audiosocket.NewReader(&headerOnly{b: tt.header}, 0)
			_, err := r.ReadFrame()
			if !errors.Is(err, tt.want) {
				t.Fatalf("ReadFrame error = %v, want %v", err, tt.want)
			}
			if _, again := r.ReadFrame(); again != err {
				t.Errorf("second ReadFrame error = %v, want the same %v", again, err)
			}
		})
	}
}

func TestReaderRejectsPayload(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"nil uuid", append([]byte{0x01, 0x00, 0x10}, make([]byte, 16)...), audiosocket.ErrBadUUID},
		{"dtmf letter", []byte{0x03, 0x00, 0x01, 'x'}, audiosocket.ErrBadDTMF},
		{"truncated header", []byte{0x10, 0x01}, audiosocket.ErrTruncated},
		{"truncated payload", append([]byte{0x10, 0x01, 0x40}, make([]byte, 100)...), audiosocket.ErrTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := audiosocket.NewReader(bytes.NewReader(tt.data), 0)
			if _, err := r.ReadFrame(); !errors.Is(err, tt.want) {
				t.Fatalf("ReadFrame error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestReaderMaxPayload(t *testing.T) {
	tests := []struct {
		name    string
		max     int
		payload int
		ok      bool
	}{
		{"at a small limit", 320, 320, true},
		{"over a small limit", 320, 322, false},
		{"20 ms at 192 kHz under the default", 0, 7680, true},
		{"at the default", 0, audiosocket.DefaultMaxPayload, true},
		{"over the default", 0, audiosocket.DefaultMaxPayload + 2, false},
		{"protocol limit", 1 << 20, 65534, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := wire(t, audiosocket.Frame{Kind: audiosocket.KindAudio, Payload: make([]byte, tt.payload)})
			_, err := audiosocket.NewReader(bytes.NewReader(data), tt.max).ReadFrame()
			if tt.ok && err != nil {
				t.Errorf("ReadFrame: %v", err)
			}
			if !tt.ok && !errors.Is(err, audiosocket.ErrFrameTooLarge) {
				t.Errorf("ReadFrame error = %v, want ErrFrameTooLarge", err)
			}
		})
	}
}

// stallingReader returns a deadline error once, after its first chunk, as a
// net.Conn does when a read deadline passes mid-frame.
type stallingReader struct {
	chunks [][]byte
	stall  bool
}

func (s *stallingReader) Read(p []byte) (int, error) {
	if s.stall {
		s.stall = false
		return 0, os.ErrDeadlineExceeded
	}
	if len(s.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.chunks[0])
	s.chunks = s.chunks[1:]
	s.stall = true
	return n, nil
}

func TestReaderResumesAfterDeadline(t *testing.T) {
	data := wire(t, audiosocket.Frame{Kind: audiosocket.KindAudio, Payload: bytes.Repeat([]byte{7, 0}, 160)})
	r := audiosocket.NewReader(&stallingReader{chunks: [][]byte{data[:100], data[100:]}}, 0)
	if _, err := r.ReadFrame(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("first ReadFrame error = %v, want the deadline", err)
	}
	f, err := r.ReadFrame()
	if err != nil || f.Kind != audiosocket.KindAudio || len(f.Payload) != 320 || f.Payload[0] != 7 {
		t.Fatalf("ReadFrame after the deadline = %v, %v; want the whole frame", f, err)
	}
}

func TestReaderNoProgress(t *testing.T) {
	r := audiosocket.NewReader(iotest.ErrReader(nil), 0) // (0, nil) forever
	if _, err := r.ReadFrame(); !errors.Is(err, io.ErrNoProgress) {
		t.Fatalf("ReadFrame error = %v, want io.ErrNoProgress", err)
	}
}

// loopReader replays data forever without allocating.
type loopReader struct {
	data []byte
	off  int
}

func (l *loopReader) Read(p []byte) (int, error) {
	n := copy(p, l.data[l.off:])
	l.off = (l.off + n) % len(l.data)
	return n, nil
}

func TestReaderDoesNotAllocate(t *testing.T) {
	r := audiosocket.NewReader(&loopReader{data: wire(t, callFrames()[1:5]...)}, 0)
	allocs := testing.AllocsPerRun(1000, func() {
		if _, err := r.ReadFrame(); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("ReadFrame allocates %v times per frame, want 0", allocs)
	}
}
