// Package mock is the offline text-to-speech: it speaks text in the mock
// speech codec (internal/speechcodec), which the offline STT and the call
// simulator decode back to the same text.
package mock

import (
	"context"
	"time"
	"unicode/utf8"

	"github.com/tirevoice/assistant/internal/audio"
	"github.com/tirevoice/assistant/internal/speechcodec"
	"github.com/tirevoice/assistant/internal/tts"
)

// Synthesizer encodes text with the mock speech codec at 8 kHz.
type Synthesizer struct {
	enc *speechcodec.Encoder
}

var _ tts.Synthesizer = (*Synthesizer)(nil)

// New returns a Synthesizer.
func New() *Synthesizer { return &Synthesizer{enc: speechcodec.NewEncoder()} }

// Name implements tts.Synthesizer.
func (*Synthesizer) Name() string { return "mock-tts" }

// Rate implements tts.Synthesizer.
func (s *Synthesizer) Rate() audio.Rate { return s.enc.Rate() }

// gap follows every phrase, as a breath follows a sentence: the codec needs
// quiet between phrases to find the next one, and so does a listener.
const gap = 150 * time.Millisecond

// Synthesize implements tts.Synthesizer. Text longer than one codec phrase
// is spoken as several phrases; each ends with a short pause.
func (s *Synthesizer) Synthesize(ctx context.Context, text string) (audio.PCM16, error) {
	var out audio.PCM16
	for len(text) > 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n := min(len(text), speechcodec.MaxText)
		for n < len(text) && !utf8.RuneStart(text[n]) {
			n--
		}
		var err error
		if out, err = s.enc.AppendEncode(out, text[:n]); err != nil {
			return nil, err
		}
		out = append(out, make(audio.PCM16, s.Rate().Samples(gap))...)
		text = text[n:]
	}
	return out, nil
}
