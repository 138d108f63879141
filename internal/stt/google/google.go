// Package google is the production speech-to-text: Google Cloud
// Speech-to-Text v1, StreamingRecognize over gRPC, through the official
// client library (cloud.google.com/go/speech/apiv1).
//
// One stt.Stream is one caller turn. The audio path only copies samples into
// a bounded queue; a sender goroutine per stream opens the gRPC stream on the
// first audio, sends the recognition config and then the audio, and a
// receiver goroutine per gRPC stream collects the results. Finish half-closes
// the stream and waits (at most Config.Timeout) for Google's final results.
package google

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	speech "cloud.google.com/go/speech/apiv1"
	"cloud.google.com/go/speech/apiv1/speechpb"
	gax "github.com/googleapis/gax-go/v2"
	"google.golang.org/api/option"

	"github.com/tirevoice/assistant/internal/audio"
	"github.com/tirevoice/assistant/internal/googleapi"
	"github.com/tirevoice/assistant/internal/stt"
)

// name is the provider's label in metrics, call records and error messages.
const name = "google-stt"

// Config configures the Transcriber. Zero fields take their defaults.
type Config struct {
	Language string // BCP-47 code of the caller's language; default "ru-RU"
	// Model is Google's recognition model, "phone_call" (default) or e.g.
	// "latest_short". The enhanced variant is requested for the models
	// that have one (phone_call, video).
	Model           string
	Endpoint        string        // host:port overriding speech.googleapis.com:443 (regional endpoints, tests); default the library's
	CredentialsFile string        // service-account key JSON; empty: Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS)
	StreamLimit     time.Duration // a gRPC stream open this long is replaced by a new one (Google ends them at about 305 s); default 290s
	Timeout         time.Duration // Finish waits this long for the final results; default 3s
	// MinConfidence is the confidence (0..1) below which a final result is
	// taken as not understood; Google's "not set" (0) counts as confident.
	// Default 0.3.
	MinConfidence float32
	QueueLen      int  // Write calls held while the network is slow, then the oldest is dropped; default 256 (5 s of 20 ms frames)
	Insecure      bool // plaintext gRPC without credentials: local fakes in tests only
}

// Defaults.
const (
	DefaultLanguage      = "ru-RU"
	DefaultModel         = "phone_call"
	DefaultStreamLimit   = 290 * time.Second
	DefaultTimeout       = 3 * time.Second
	DefaultMinConfidence = 0.3
	DefaultQueueLen      = 256
)

func (c Config) withDefaults() Config {
	if c.Language == "" {
		c.Language = DefaultLanguage
	}
	if c.Model == "" {
		c.Model = DefaultModel
	}
	if c.StreamLimit <= 0 {
		c.StreamLimit = DefaultStreamLimit
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MinConfidence <= 0 {
		c.MinConfidence = DefaultMinConfidence
	}
	if c.QueueLen <= 0 {
		c.QueueLen = DefaultQueueLen
	}
	return c
}

// maxMessage is the most audio, in bytes, sent in one StreamingRecognize
// message, well under Google's 25 KB limit per request (0.96 s at 8 kHz).
const maxMessage = 15360

// ErrTimeout is wrapped by the error of a Finish that got no final result
// within Config.Timeout; that error also carries gRPC code DeadlineExceeded.
var ErrTimeout = errors.New("no final transcript")

// Transcriber is a stt.Transcriber backed by Google Cloud Speech-to-Text.
// It holds one gRPC connection shared by all streams and is safe for
// concurrent use.
type Transcriber struct {
	cfg       Config
	client    *speech.Client
	pool      sync.Pool // *[]byte: s16le chunks between Write and the sender
	dropped   atomic.Uint64
	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error

	received func() // test hook: called after each response is taken in; nil in production
}

var _ stt.Transcriber = (*Transcriber)(nil)

// New connects to Google Cloud Speech-to-Text. opts come after the options
// derived from cfg and so override them.
func New(ctx context.Context, cfg Config, opts ...option.ClientOption) (*Transcriber, error) {
	cfg = cfg.withDefaults()
	conn := googleapi.Conn{Endpoint: cfg.Endpoint, CredentialsFile: cfg.CredentialsFile, Insecure: cfg.Insecure}
	client, err := speech.NewClient(ctx, conn.ClientOptions(opts...)...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &Transcriber{cfg: cfg, client: client}, nil
}

// Name implements stt.Transcriber: "google-stt".
func (t *Transcriber) Name() string { return name }

// Dropped is the number of Write calls, over all streams, whose audio was
// dropped because the network fell more than Config.QueueLen writes behind.
func (t *Transcriber) Dropped() uint64 { return t.dropped.Load() }

// Close closes the connection. Streams still open fail. It is idempotent.
func (t *Transcriber) Close() error {
	t.closeOnce.Do(func() {
		t.closed.Store(true)
		t.closeErr = t.client.Close()
	})
	return t.closeErr
}

// Stream implements stt.Transcriber. It does not touch the network, so it
// may be called from the audio path: the gRPC stream is opened by the
// stream's own goroutine when the first audio arrives. rate must be 8 to
// 48 kHz (the session uses 8 kHz).
func (t *Transcriber) Stream(ctx context.Context, rate audio.Rate) (stt.Stream, error) {
	if t.closed.Load() {
		return nil, fmt.Errorf("%s: %w", name, stt.ErrClosed)
	}
	if rate < audio.Rate8k || rate > audio.Rate48k {
		return nil, fmt.Errorf("%s: unsupported sample rate %v", name, rate)
	}
	sctx, cancel := context.WithCancelCause(ctx)
	s := &Stream{
		t:      t,
		rate:   rate,
		ctx:    sctx,
		cancel: cancel,
		queue:  make(chan *[]byte, t.cfg.QueueLen),
		finish: make(chan struct{}),
		done:   make(chan struct{}),
	}
	go s.run()
	return s, nil
}

// recognitionConfig is the first message of every gRPC stream.
func (t *Transcriber) recognitionConfig(rate audio.Rate) *speechpb.StreamingRecognizeRequest {
	return &speechpb.StreamingRecognizeRequest{
		StreamingRequest: &speechpb.StreamingRecognizeRequest_StreamingConfig{
			StreamingConfig: &speechpb.StreamingRecognitionConfig{
				Config: &speechpb.RecognitionConfig{
					Encoding:          speechpb.RecognitionConfig_LINEAR16,
					SampleRateHertz:   int32(rate),
					AudioChannelCount: 1,
					LanguageCode:      t.cfg.Language,
					Model:             t.cfg.Model,
					UseEnhanced:       t.cfg.Model == "phone_call" || t.cfg.Model == "video",
					MaxAlternatives:   1,
				},
				// The session does its own endpointing; the turn ends
				// with Finish, not when Google thinks it has.
				SingleUtterance: false,
				InterimResults:  true,
			},
		},
	}
}

// openRetry retries opening a gRPC stream once, quickly, when the service is
// unavailable. The library's default retries for as long as the context
// lasts, which would turn a refused connection into a Finish timeout.
func openRetry() gax.CallOption { return googleapi.RetryOnce(100 * time.Millisecond) }
