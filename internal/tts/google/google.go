// Package google is the production text-to-speech: Google Cloud
// Text-to-Speech v1, SynthesizeSpeech over gRPC, through the official client
// library (cloud.google.com/go/texttospeech/apiv1). It asks for headerless
// 16-bit PCM at 8 kHz, the rate of the phone line, with the telephony audio
// profile.
package google

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	texttospeech "cloud.google.com/go/texttospeech/apiv1"
	"cloud.google.com/go/texttospeech/apiv1/texttospeechpb"
	gax "github.com/googleapis/gax-go/v2"
	"google.golang.org/api/option"

	"github.com/tirevoice/assistant/internal/audio"
	"github.com/tirevoice/assistant/internal/googleapi"
	"github.com/tirevoice/assistant/internal/tts"
)

// name is the provider's label in metrics, call records and error messages.
const name = "google-tts"

// Config configures the Synthesizer. Zero fields take their defaults.
type Config struct {
	Language        string        // BCP-47 code of the voice's language; default "ru-RU"
	Voice           string        // Google voice name; default "ru-RU-Wavenet-D"
	SpeakingRate    float64       // 0.25 to 4, 1 is the voice's normal speed; default 1.0
	Endpoint        string        // host:port overriding texttospeech.googleapis.com:443 (regional endpoints, tests); default the library's
	CredentialsFile string        // service-account key JSON; empty: Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS)
	Timeout         time.Duration // per SynthesizeSpeech request (one piece of at most MaxInput bytes); default 5s
	Insecure        bool          // plaintext gRPC without credentials: local fakes in tests only
}

// Defaults.
const (
	DefaultLanguage     = "ru-RU"
	DefaultVoice        = "ru-RU-Wavenet-D"
	DefaultSpeakingRate = 1.0
	DefaultTimeout      = 5 * time.Second
)

// MaxInput is Google's limit on the input text of one request, in bytes.
const MaxInput = 5000

// rate is the rate asked of Google and returned by Synthesize.
const rate = audio.Rate8k

// profile tunes the voice for a telephone line.
const profile = "telephony-class-application"

// ErrAudioFormat is returned when the service answers with a WAV file that
// is not 16-bit mono PCM at 8 kHz, or that cannot be parsed.
var ErrAudioFormat = errors.New("unexpected audio format")

func (c Config) withDefaults() Config {
	if c.Language == "" {
		c.Language = DefaultLanguage
	}
	if c.Voice == "" {
		c.Voice = DefaultVoice
	}
	if c.SpeakingRate == 0 {
		c.SpeakingRate = DefaultSpeakingRate
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	return c
}

// Synthesizer is a tts.Synthesizer backed by Google Cloud Text-to-Speech.
// It is safe for concurrent use.
type Synthesizer struct {
	cfg       Config
	client    *texttospeech.Client
	closeOnce sync.Once
	closeErr  error
}

var _ tts.Synthesizer = (*Synthesizer)(nil)

// New connects to Google Cloud Text-to-Speech. opts come after the options
// derived from cfg and so override them.
func New(ctx context.Context, cfg Config, opts ...option.ClientOption) (*Synthesizer, error) {
	cfg = cfg.withDefaults()
	if cfg.SpeakingRate < 0.25 || cfg.SpeakingRate > 4 {
		return nil, fmt.Errorf("%s: speaking rate %g outside 0.25..4", name, cfg.SpeakingRate)
	}
	conn := googleapi.Conn{Endpoint: cfg.Endpoint, CredentialsFile: cfg.CredentialsFile, Insecure: cfg.Insecure}
	client, err := texttospeech.NewClient(ctx, conn.ClientOptions(opts...)...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &Synthesizer{cfg: cfg, client: client}, nil
}

// Close closes the connection. It is idempotent.
func (s *Synthesizer) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.client.Close() })
	return s.closeErr
}

// Name implements tts.Synthesizer: "google-tts".
func (s *Synthesizer) Name() string { return name }

// Rate implements tts.Synthesizer: 8 kHz.
func (s *Synthesizer) Rate() audio.Rate { return rate }

// Synthesize implements tts.Synthesizer: text spoken as 8 kHz mono PCM.
// Blank text gives no audio and no request. Text over MaxInput bytes is
// sent as several requests, cut at sentence ends where possible (else at
// clause ends, spaces, or any character), and their audio is joined in
// order. Invalid UTF-8 is dropped. Each request is bounded by
// Config.Timeout and retried once, after 50 ms, if the service is unavailable.
// Errors are wrapped with the provider name and keep the gRPC status
// (status.Code); when ctx ends, the error also wraps its cause.
func (s *Synthesizer) Synthesize(ctx context.Context, text string) (audio.PCM16, error) {
	var out audio.PCM16
	for _, piece := range split(strings.ToValidUTF8(text, ""), MaxInput) {
		pcm, err := s.synthesize(ctx, piece)
		if err != nil {
			if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
				return nil, fmt.Errorf("%s: %w: %w", name, context.Cause(ctx), err)
			}
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out = append(out, pcm...)
	}
	return out, nil
}

func (s *Synthesizer) synthesize(ctx context.Context, text string) (audio.PCM16, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	resp, err := s.client.SynthesizeSpeech(ctx, &texttospeechpb.SynthesizeSpeechRequest{
		Input: &texttospeechpb.SynthesisInput{
			InputSource: &texttospeechpb.SynthesisInput_Text{Text: text},
		},
		Voice: &texttospeechpb.VoiceSelectionParams{
			LanguageCode: s.cfg.Language,
			Name:         s.cfg.Voice,
		},
		AudioConfig: &texttospeechpb.AudioConfig{
			AudioEncoding:    texttospeechpb.AudioEncoding_PCM,
			SampleRateHertz:  int32(rate),
			SpeakingRate:     s.cfg.SpeakingRate,
			EffectsProfileId: []string{profile},
		},
	}, retryOnce())
	if err != nil {
		return nil, err
	}
	return decode(resp.GetAudioContent())
}

// retryOnce replaces the library's policy (retry Unavailable and
// DeadlineExceeded with backoff for as long as the context lasts): a phone
// caller is waiting, and the session has its own retry and apology.
func retryOnce() gax.CallOption { return googleapi.RetryOnce(50 * time.Millisecond) }
