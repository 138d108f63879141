package audiosocket_test

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/tirevoice/assistant/internal/audiosocket"
)

// sentinels are the errors a Reader may end on, given a source that fails
// only with io.EOF.
var sentinels = []error{
	io.EOF,
	audiosocket.ErrZeroLength,
	audiosocket.ErrFrameTooLarge,
	audiosocket.ErrUnknownKind,
	audiosocket.ErrBadUUID,
	audiosocket.ErrBadDTMF,
	audiosocket.ErrBadHangup,
	audiosocket.ErrOddAudio,
	audiosocket.ErrTruncated,
}

// FuzzReader feeds arbitrary bytes to a Reader. Invariants: no panic; every
// frame returned re-marshals to exactly the bytes it was read from, and
// unmarshals back to itself; the stream ends on a sentinel error, and on
// io.EOF only when every byte was consumed; errors are sticky; the way the
// source chunks its bytes changes nothing.
//
// Seeds with real frame shapes are in testdata/fuzz/FuzzReader.
func FuzzReader(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		whole := readAll(t, data, bytes.NewReader(data))
		bytewise := readAll(t, data, iotest.OneByteReader(bytes.NewReader(data)))
		if whole != bytewise {
			t.Fatalf("chunking changed the result:\nwhole:    %s\nbytewise: %s", whole, bytewise)
		}
	})
}

// readAll reads src (which yields data) to its end, checks the invariants
// and returns a summary for comparison.
func readAll(t *testing.T, data []byte, src io.Reader) string {
	r := audiosocket.NewReader(src, 0)
	var summary bytes.Buffer
	pos := 0
	for {
		f, err := r.ReadFrame()
		if err != nil {
			if !isSentinel(err) {
				t.Fatalf("at byte %d: error %v matches no sentinel", pos, err)
			}
			if err == io.EOF && pos != len(data) {
				t.Fatalf("io.EOF at byte %d of %d", pos, len(data))
			}
			if rest := data[pos:]; errors.Is(err, audiosocket.ErrTruncated) && len(rest) >= audiosocket.HeaderSize &&
				len(rest) >= audiosocket.HeaderSize+int(rest[1])<<8+int(rest[2]) {
				t.Fatalf("ErrTruncated at byte %d with the whole frame present", pos)
			}
			if _, again := r.ReadFrame(); again != err {
				t.Fatalf("error not sticky: %v, then %v", err, again)
			}
			summary.WriteString(err.Error())
			return summary.String()
		}
		m, merr := f.Marshal()
		if merr != nil {
			t.Fatalf("at byte %d: frame %v read but does not marshal: %v", pos, f, merr)
		}
		if !bytes.HasPrefix(data[pos:], m) {
			t.Fatalf("at byte %d: frame %v re-marshals to % x, input has % x", pos, f, m, data[pos:min(len(data), pos+len(m))])
		}
		var back audiosocket.Frame
		if err := back.Unmarshal(m); err != nil || back.Kind != f.Kind || !bytes.Equal(back.Payload, f.Payload) {
			t.Fatalf("at byte %d: Unmarshal(Marshal(%v)) = %v, %v", pos, f, back, err)
		}
		pos += len(m)
		summary.WriteString(f.String() + ";")
	}
}

func isSentinel(err error) bool {
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}
