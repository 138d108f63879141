// Package tts defines text-to-speech. Vendors live in subfolders (mock: the
// offline speech codec) and are chosen by configuration.
package tts

import (
	"context"

	"github.com/tirevoice/assistant/internal/audio"
)

// Synthesizer turns one piece of the bot's reply (a sentence or a long
// clause) into audio.
type Synthesizer interface {
	// Synthesize returns text spoken as mono PCM at Rate. The caller owns
	// the returned slice.
	Synthesize(ctx context.Context, text string) (audio.PCM16, error)
	// Rate is the sample rate of the audio Synthesize returns.
	Rate() audio.Rate
	// Name is the provider's label in metrics and call records.
	Name() string
}
