package audiosocket_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/tirevoice/assistant/internal/audio"
	"github.com/tirevoice/assistant/internal/audiosocket"
)

// callRecorder keeps a copy of each Write call.
type callRecorder struct{ calls [][]byte }

func (c *callRecorder) Write(p []byte) (int, error) {
	c.calls = append(c.calls, bytes.Clone(p))
	return len(p), nil
}

func TestWriterOneWritePerFrame(t *testing.T) {
	var rec callRecorder
	w := audiosocket.NewWriter(&rec)
	pcm8k := make(audio.PCM16, audio.Rate8k.FrameSamples())
	for i := range pcm8k {
		pcm8k[i] = int16(i*200 - 16000)
	}
	pcm48k := make(audio.PCM16, audio.Rate48k.FrameSamples()) // grows the buffer
	steps := []struct {
		name  string
		write func() error
		want  audiosocket.Frame
	}{
		{"dtmf", func() error { return w.WriteFrame(audiosocket.KindDTMF, []byte("0")) },
			audiosocket.Frame{Kind: audiosocket.KindDTMF, Payload: []byte("0")}},
		{"audio 8 kHz", func() error { return w.WriteAudio(audio.Rate8k, pcm8k) },
			audiosocket.Frame{Kind: audiosocket.KindAudio, Payload: audio.AppendS16LE(nil, pcm8k)}},
		{"audio 48 kHz", func() error { return w.WriteAudio(audio.Rate48k, pcm48k) },
			audiosocket.Frame{Kind: audiosocket.KindAudio48k, Payload: make([]byte, 1920)}},
		{"hangup", w.WriteHangup, audiosocket.Frame{Kind: audiosocket.KindHangup}},
	}
	for i, s := range steps {
		if err := s.write(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if len(rec.calls) != i+1 {
			t.Fatalf("%s: %d Write calls in all, want %d: one per frame", s.name, len(rec.calls), i+1)
		}
		if want := wire(t, s.want); !bytes.Equal(rec.calls[i], want) {
			t.Errorf("%s wrote % x..., want % x...", s.name, head(rec.calls[i]), head(want))
		}
	}
	if got := rec.calls[1][3:5]; !bytes.Equal(got, []byte{0x80, 0xc1}) { // -16000 as s16le
		t.Errorf("first 8 kHz sample bytes = % x, want 80 c1", got)
	}
}

func head(b []byte) []byte { return b[:min(len(b), 8)] }

func TestWriterRejectsWithoutWriting(t *testing.T) {
	tests := []struct {
		name  string
		write func(w *audiosocket.Writer) error
		want  error
	}{
		{"rate without a kind", func(w *audiosocket.Writer) error { return w.WriteAudio(11025, make(audio.PCM16, 10)) }, audiosocket.ErrBadRate},
		{"no samples", func(w *audiosocket.Writer) error { return w.WriteAudio(audio.Rate8k, nil) }, audiosocket.ErrZeroLength},
		{"too many samples", func(w *audiosocket.Writer) error { return w.WriteAudio(audio.Rate8k, make(audio.PCM16, 32768)) }, audiosocket.ErrFrameTooLarge},
		{"bad dtmf", func(w *audiosocket.Writer) error { return w.WriteFrame(audiosocket.KindDTMF, []byte("E")) }, audiosocket.ErrBadDTMF},
		{"unknown kind", func(w *audiosocket.Writer) error { return w.WriteFrame(0x20, []byte{1}) }, audiosocket.ErrUnknownKind},
		{"zero length audio", func(w *audiosocket.Writer) error { return w.WriteFrame(audiosocket.KindAudio, nil) }, audiosocket.ErrZeroLength},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rec callRecorder
			w := audiosocket.NewWriter(&rec)
			if err := tt.write(w); !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
			if len(rec.calls) != 0 {
				t.Fatalf("wrote % x for an invalid frame", rec.calls)
			}
			if err := w.WriteHangup(); err != nil || len(rec.calls) != 1 {
				t.Errorf("after a rejected frame: %v, %d writes; want the Writer usable", err, len(rec.calls))
			}
		})
	}
}

// failingWriter fails every Write after the first n.
type failingWriter struct {
	n, calls int
	short    bool
}

var errBroken = errors.New("broken pipe")

func (f *failingWriter) Write(p []byte) (int, error) {
	f.calls++
	switch {
	case f.calls <= f.n:
		return len(p), nil
	case f.short:
		return len(p) - 1, nil // breaks the io.Writer contract; the Writer copes
	}
	return 0, errBroken
}

func TestWriterErrorIsSticky(t *testing.T) {
	tests := []struct {
		name  string
		short bool
		want  error
	}{
		{"write error", false, errBroken},
		{"short write", true, io.ErrShortWrite},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fw := &failingWriter{n: 1, short: tt.short}
			w := audiosocket.NewWriter(fw)
			pcm := make(audio.PCM16, 160)
			if err := w.WriteAudio(audio.Rate8k, pcm); err != nil {
				t.Fatal(err)
			}
			for range 3 {
				if err := w.WriteAudio(audio.Rate8k, pcm); !errors.Is(err, tt.want) {
					t.Fatalf("error = %v, want %v", err, tt.want)
				}
			}
			if err := w.WriteHangup(); !errors.Is(err, tt.want) {
				t.Errorf("WriteHangup error = %v, want %v", err, tt.want)
			}
			if fw.calls != 2 {
				t.Errorf("%d Write calls, want 2: none after the failure", fw.calls)
			}
		})
	}
}

func TestWriterDoesNotAllocate(t *testing.T) {
	w := audiosocket.NewWriter(io.Discard)
	pcm := make(audio.PCM16, audio.Rate16k.FrameSamples())
	payload := make([]byte, audio.Rate8k.FrameBytes())
	tests := []struct {
		name  string
		write func() error
	}{
		{"WriteAudio", func() error { return w.WriteAudio(audio.Rate16k, pcm) }},
		{"WriteFrame", func() error { return w.WriteFrame(audiosocket.KindAudio, payload) }},
		{"WriteHangup", w.WriteHangup},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			allocs := testing.AllocsPerRun(1000, func() {
				if err := tt.write(); err != nil {
					t.Fatal(err)
				}
			})
			if allocs != 0 {
				t.Errorf("%s allocates %v times per frame, want 0", tt.name, allocs)
			}
		})
	}
}
