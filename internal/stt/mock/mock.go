// Package mock is the offline speech-to-text: it decodes the mock speech
// codec (internal/speechcodec) that the offline TTS and the call simulator
// speak, so a call carries meaning end to end with no cloud.
package mock

import (
	"context"
	"strings"
	"sync"

	"github.com/tirevoice/assistant/internal/audio"
	"github.com/tirevoice/assistant/internal/speechcodec"
	"github.com/tirevoice/assistant/internal/stt"
)

// Transcriber decodes the mock speech codec.
type Transcriber struct{}

var _ stt.Transcriber = Transcriber{}

// Name implements stt.Transcriber.
func (Transcriber) Name() string { return "mock-stt" }

// Stream implements stt.Transcriber.
func (Transcriber) Stream(_ context.Context, rate audio.Rate) (stt.Stream, error) {
	return &stream{dec: speechcodec.NewDecoder(rate)}, nil
}

type stream struct {
	mu             sync.Mutex // Write and Finish run on different goroutines, one after the other
	dec            *speechcodec.Decoder
	texts          []string
	unintelligible bool
	closed         bool
}

func (s *stream) Write(p audio.PCM16) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return stt.ErrClosed
	}
	s.collect(s.dec.Write(p))
	return nil
}

func (s *stream) collect(phrases []speechcodec.Phrase) {
	for _, p := range phrases {
		if p.OK {
			s.texts = append(s.texts, p.Text)
		} else {
			s.unintelligible = true
		}
	}
}

func (s *stream) Finish(context.Context) (stt.Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return stt.Result{}, stt.ErrClosed
	}
	s.collect(s.dec.Flush())
	s.closed = true
	text := strings.Join(s.texts, " ")
	return stt.Result{Text: text, Unintelligible: text == "" && s.unintelligible}, nil
}

func (s *stream) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	return nil
}
