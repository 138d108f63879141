// Package ttstest is a fake Google Cloud Text-to-Speech v1 gRPC server for
// tests, in the manner of net/http/httptest. It speaks the real protocol, so
// the real client library (and the production code path) talks to it over
// TCP on 127.0.0.1.
//
// By default (Codec) it rejects what Google rejects and "speaks" the
// requested text in the project's mock speech codec (internal/speechcodec),
// so that what it returns can be understood again by the mock or the fake
// recogniser. Tests that need other behaviour set Server.Handler.
package ttstest

import (
	"context"
	"encoding/binary"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"cloud.google.com/go/texttospeech/apiv1/texttospeechpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tirevoice/assistant/internal/audio"
	"github.com/tirevoice/assistant/internal/googleapi/googleapitest"
	"github.com/tirevoice/assistant/internal/speechcodec"
)

// MaxInput is Google's limit on the input text of one request, in bytes.
const MaxInput = 5000

// Rate is the only sample rate the fake produces.
const Rate = audio.Rate8k

// Handler answers one checked request.
type Handler func(context.Context, *texttospeechpb.SynthesizeSpeechRequest) (*texttospeechpb.SynthesizeSpeechResponse, error)

// Server is a running fake. Set Handler before the first request.
type Server struct {
	texttospeechpb.UnimplementedTextToSpeechServer

	Addr    string  // host:port to give option.WithEndpoint
	Handler Handler // nil means Codec

	mu    sync.Mutex
	calls []Call
}

// Call is one SynthesizeSpeech request and what the fake answered.
type Call struct {
	Request *texttospeechpb.SynthesizeSpeechRequest
	Bytes   int   // audio_content bytes sent back
	Err     error // the error returned instead
}

// Start serves a fake on 127.0.0.1:0 until the test ends. opts are passed
// to grpc.NewServer.
func Start(tb testing.TB, opts ...grpc.ServerOption) *Server {
	tb.Helper()
	srv := grpc.NewServer(opts...)
	s := &Server{}
	texttospeechpb.RegisterTextToSpeechServer(srv, s)
	s.Addr = googleapitest.Serve(tb, srv)
	return s
}

// Calls returns the requests so far, in order of arrival.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// SynthesizeSpeech implements texttospeechpb.TextToSpeechServer.
func (s *Server) SynthesizeSpeech(ctx context.Context, req *texttospeechpb.SynthesizeSpeechRequest) (resp *texttospeechpb.SynthesizeSpeechResponse, err error) {
	defer func() {
		s.mu.Lock()
		s.calls = append(s.calls, Call{Request: req, Bytes: len(resp.GetAudioContent()), Err: err})
		s.mu.Unlock()
	}()
	if err := Check(req); err != nil {
		return nil, err
	}
	if s.Handler != nil {
		return s.Handler(ctx, req)
	}
	return Codec(ctx, req)
}

// Check rejects, with InvalidArgument, what Google would and what the fake
// cannot produce.
func Check(req *texttospeechpb.SynthesizeSpeechRequest) error {
	text := req.GetInput().GetText()
	voice, ac := req.GetVoice(), req.GetAudioConfig()
	var msg string
	switch {
	case strings.TrimSpace(text) == "":
		msg = "input text is required"
	case len(text) > MaxInput:
		msg = "input text longer than 5000 bytes"
	case voice.GetLanguageCode() == "":
		msg = "voice language_code is required"
	case voice.GetName() != "" && !strings.HasPrefix(voice.GetName(), voice.GetLanguageCode()):
		msg = "voice " + voice.GetName() + " does not speak " + voice.GetLanguageCode()
	case ac.GetAudioEncoding() != texttospeechpb.AudioEncoding_PCM && ac.GetAudioEncoding() != texttospeechpb.AudioEncoding_LINEAR16:
		msg = "the fake produces PCM and LINEAR16 only, not " + ac.GetAudioEncoding().String()
	case ac.GetSampleRateHertz() != int32(Rate):
		msg = "the fake produces 8000 Hz only"
	case ac.GetSpeakingRate() != 0 && (ac.GetSpeakingRate() < 0.25 || ac.GetSpeakingRate() > 4):
		msg = "speaking_rate must be 0.25..4"
	default:
		return nil
	}
	return status.Error(codes.InvalidArgument, msg)
}

// Gap follows each phrase of the codec's speech, as a breath follows a
// sentence (the codec needs quiet between phrases).
const Gap = 150 * time.Millisecond

// Codec is the default Handler: the text in the mock speech codec, as
// several phrases when it is longer than one phrase can carry, each
// followed by Gap of silence. PCM gets bare samples, LINEAR16 a WAV file.
func Codec(ctx context.Context, req *texttospeechpb.SynthesizeSpeechRequest) (*texttospeechpb.SynthesizeSpeechResponse, error) {
	pcm, err := Speak(req.GetInput().GetText())
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	b := audio.AppendS16LE(nil, pcm)
	if req.GetAudioConfig().GetAudioEncoding() == texttospeechpb.AudioEncoding_LINEAR16 {
		b = WAV(b, Rate)
	}
	return &texttospeechpb.SynthesizeSpeechResponse{AudioContent: b}, nil
}

// Speak is text in the mock speech codec at Rate, cut into phrases of at
// most speechcodec.MaxText bytes, each followed by Gap of silence.
func Speak(text string) (audio.PCM16, error) {
	enc := speechcodec.NewEncoder()
	var out audio.PCM16
	for len(text) > 0 {
		n := min(len(text), speechcodec.MaxText)
		for n < len(text) && !utf8.RuneStart(text[n]) {
			n--
		}
		var err error
		if out, err = enc.AppendEncode(out, text[:n]); err != nil {
			return nil, err
		}
		out = append(out, make(audio.PCM16, Rate.Samples(Gap))...)
		text = text[n:]
	}
	return out, nil
}

// WAV wraps s16le mono samples at rate in the 44-byte RIFF/WAVE header that
// Google puts before LINEAR16 audio.
func WAV(data []byte, rate audio.Rate) []byte {
	b := make([]byte, 0, 44+len(data))
	b = append(b, "RIFF"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(36+len(data)))
	b = append(b, "WAVEfmt "...)
	b = binary.LittleEndian.AppendUint32(b, 16)
	b = binary.LittleEndian.AppendUint16(b, 1) // PCM
	b = binary.LittleEndian.AppendUint16(b, 1) // mono
	b = binary.LittleEndian.AppendUint32(b, uint32(rate))
	b = binary.LittleEndian.AppendUint32(b, uint32(rate)*2) // bytes per second
	b = binary.LittleEndian.AppendUint16(b, 2)              // bytes per frame
	b = binary.LittleEndian.AppendUint16(b, 16)             // bits per sample
	b = append(b, "data"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
	return append(b, data...)
}
