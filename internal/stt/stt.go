// Package stt defines streaming speech-to-text. Vendors live in subfolders
// (mock: the offline speech codec) and are chosen by configuration.
package stt

import (
	"context"
	"errors"

	"github.com/tirevoice/assistant/internal/audio"
)

// Transcriber opens one recognition stream per caller turn.
type Transcriber interface {
	// Stream starts recognising caller audio at rate. The stream ends with
	// Finish or Close; ctx bounds its whole life.
	Stream(ctx context.Context, rate audio.Rate) (Stream, error)
	// Name is the provider's label in metrics and call records.
	Name() string
}

// Stream is one caller turn being recognised. Write is called from the
// call's audio reader and Finish from its turn worker, never concurrently
// with each other on the same stream by contract of the session, but
// implementations must tolerate the hand-over between goroutines.
type Stream interface {
	// Write adds caller audio. It must not block on the network and does
	// not keep p after it returns.
	Write(p audio.PCM16) error
	// Finish says the caller's turn has ended (endpointing) and waits for
	// the final transcript.
	Finish(ctx context.Context) (Result, error)
	// Close releases the stream. It is idempotent and safe after Finish.
	Close() error
}

// Result is the final transcript of one caller turn.
type Result struct {
	Text string // empty when nothing intelligible was said
	// Unintelligible reports speech that could not be understood, as opposed
	// to no speech at all.
	Unintelligible bool
}

// ErrClosed is returned by a Stream used after Finish or Close.
var ErrClosed = errors.New("stt: stream closed")
