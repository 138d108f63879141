// Package speechtest is a fake Google Cloud Speech-to-Text v1 gRPC server
// for tests, in the manner of net/http/httptest. It speaks the real
// protocol, so the real client library (and the production code path) talks
// to it over TCP on 127.0.0.1.
//
// By default (Codec) it behaves like Google on a phone line, except that the
// only language it understands is the project's mock speech codec
// (internal/speechcodec): it checks the streaming config, decodes the audio
// it receives, sends an interim result as each phrase is heard and, once the
// client half-closes, one final result with the whole text. Tests that need
// other behaviour set Server.Handler.
package speechtest

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/speech/apiv1/speechpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tirevoice/assistant/internal/audio"
	"github.com/tirevoice/assistant/internal/googleapi/googleapitest"
	"github.com/tirevoice/assistant/internal/speechcodec"
)

// MaxAudio is the largest audio_content the fake accepts in one request, in
// bytes, as Google documents for StreamingRecognize (25 KB).
const MaxAudio = 25600

// Server is a running fake. Set Handler before the first call.
type Server struct {
	speechpb.UnimplementedSpeechServer

	Addr string // host:port to give option.WithEndpoint
	// Handler serves each StreamingRecognize call once its first message,
	// the streaming config, has been checked. Nil means Codec.
	Handler func(*Call) error

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every change of calls
	calls   []*CallInfo
}

// CallInfo is what the fake saw of one StreamingRecognize call.
type CallInfo struct {
	Config *speechpb.StreamingRecognitionConfig // the first message's config
	Bytes  int                                  // audio bytes received
	Texts  []string                             // phrases decoded (Codec only)
	Closed bool                                 // the client half-closed the stream
	Ended  bool                                 // the handler returned (the call is over)
	Err    error                                // what the handler returned
}

// Start serves a fake on 127.0.0.1:0 until the test ends. opts are passed
// to grpc.NewServer.
func Start(tb testing.TB, opts ...grpc.ServerOption) *Server {
	tb.Helper()
	srv := grpc.NewServer(opts...)
	s := &Server{changed: make(chan struct{})}
	speechpb.RegisterSpeechServer(srv, s)
	s.Addr = googleapitest.Serve(tb, srv)
	return s
}

// Calls returns a snapshot of the calls so far, in the order they started.
func (s *Server) Calls() []CallInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]CallInfo, len(s.calls))
	for i, c := range s.calls {
		out[i] = *c
		out[i].Texts = append([]string(nil), c.Texts...)
	}
	return out
}

// TotalBytes is the audio received over all calls, in bytes.
func (s *Server) TotalBytes() int {
	n := 0
	for _, c := range s.Calls() {
		n += c.Bytes
	}
	return n
}

// WaitFor blocks until cond holds for the calls, or fails the test after
// timeout. It must be called from the test's goroutine.
func (s *Server) WaitFor(tb testing.TB, what string, timeout time.Duration, cond func([]CallInfo) bool) {
	tb.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		if cond(s.Calls()) {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			tb.Fatalf("speechtest: timed out after %v waiting for %s; calls: %+v", timeout, what, s.Calls())
		}
	}
}

func (s *Server) update(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
	close(s.changed)
	s.changed = make(chan struct{})
}

// StreamingRecognize implements speechpb.SpeechServer.
func (s *Server) StreamingRecognize(stream speechpb.Speech_StreamingRecognizeServer) (err error) {
	info := &CallInfo{}
	s.update(func() { s.calls = append(s.calls, info) })
	defer func() { s.update(func() { info.Ended, info.Err = true, err }) }()

	first, err := stream.Recv()
	if err != nil {
		return err
	}
	cfg := first.GetStreamingConfig()
	if cfg == nil {
		return status.Error(codes.InvalidArgument, "the first StreamingRecognizeRequest must carry streaming_config")
	}
	s.update(func() { info.Config = cfg })
	if msg := checkConfig(cfg.GetConfig()); msg != "" {
		return status.Error(codes.InvalidArgument, msg)
	}
	c := &Call{s: s, info: info, stream: stream, cfg: cfg}
	if s.Handler != nil {
		return s.Handler(c)
	}
	return Codec(c)
}

// checkConfig rejects what Google would, and what this fake cannot hear.
func checkConfig(rc *speechpb.RecognitionConfig) string {
	switch {
	case rc == nil:
		return "streaming_config.config is required"
	case rc.GetEncoding() != speechpb.RecognitionConfig_LINEAR16:
		return "the fake hears LINEAR16 only, got " + rc.GetEncoding().String()
	case rc.GetSampleRateHertz() < 8000 || rc.GetSampleRateHertz() > 48000:
		return "sample_rate_hertz must be 8000..48000"
	case rc.GetLanguageCode() == "":
		return "language_code is required"
	case rc.GetAudioChannelCount() > 1:
		return "the fake hears mono only"
	}
	return ""
}

// Call is one StreamingRecognize call, for a Handler.
type Call struct {
	s      *Server
	info   *CallInfo
	stream speechpb.Speech_StreamingRecognizeServer
	cfg    *speechpb.StreamingRecognitionConfig
}

// Config is the call's streaming config.
func (c *Call) Config() *speechpb.StreamingRecognitionConfig { return c.cfg }

// Context ends when the client cancels the call or the server stops.
func (c *Call) Context() context.Context { return c.stream.Context() }

// Recv returns the next audio content; io.EOF once the client has
// half-closed. A second config, empty audio or audio over MaxAudio bytes is
// an InvalidArgument error, as from Google.
func (c *Call) Recv() ([]byte, error) {
	req, err := c.stream.Recv()
	if errors.Is(err, io.EOF) {
		c.s.update(func() { c.info.Closed = true })
		return nil, io.EOF
	}
	if err != nil {
		return nil, err
	}
	b := req.GetAudioContent()
	switch {
	case req.GetStreamingConfig() != nil:
		return nil, status.Error(codes.InvalidArgument, "streaming_config sent twice")
	case len(b) == 0:
		return nil, status.Error(codes.InvalidArgument, "empty audio_content")
	case len(b) > MaxAudio:
		return nil, status.Error(codes.InvalidArgument, "audio_content over 25 KB")
	}
	c.s.update(func() { c.info.Bytes += len(b) })
	return b, nil
}

// Send sends one response.
func (c *Call) Send(r *speechpb.StreamingRecognizeResponse) error { return c.stream.Send(r) }

// Result is a response with one result whose single alternative is text.
func Result(text string, final bool, confidence float32) *speechpb.StreamingRecognizeResponse {
	r := &speechpb.StreamingRecognitionResult{IsFinal: final, Stability: 0.9}
	if final {
		r.Stability = 0
	}
	r.Alternatives = []*speechpb.SpeechRecognitionAlternative{{Transcript: text, Confidence: confidence}}
	return &speechpb.StreamingRecognizeResponse{Results: []*speechpb.StreamingRecognitionResult{r}}
}

// Confidence of the Codec's results: a decoded phrase is sure, a sound it
// could not decode gets a low-confidence guess, as Google gives for noise.
const (
	CodecConfidence   = 0.93
	GarbleConfidence  = 0.08
	GarbledTranscript = "э"
)

// Codec is the default Handler: the mock speech codec as the recogniser.
// Each decoded phrase is sent at once as an interim result (all phrases so
// far); after the client half-closes, one final result carries them all,
// or, if only undecodable sound was heard, a low-confidence guess. Silence
// gives no result at all.
func Codec(c *Call) error {
	dec := speechcodec.NewDecoder(audio.Rate(c.cfg.GetConfig().GetSampleRateHertz()))
	var texts []string
	garbled := false
	var pcm audio.PCM16
	hear := func(phrases []speechcodec.Phrase) error {
		heardText := false
		for _, p := range phrases {
			if !p.OK {
				garbled = true
				continue
			}
			texts = append(texts, p.Text)
			heardText = true
			c.s.update(func() { c.info.Texts = append(c.info.Texts, p.Text) })
		}
		if heardText && c.cfg.GetInterimResults() {
			return c.Send(Result(strings.Join(texts, " "), false, 0))
		}
		return nil
	}
	for {
		b, err := c.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		pcm = audio.AppendFromS16LE(pcm[:0], b)
		if err := hear(dec.Write(pcm)); err != nil {
			return err
		}
	}
	if err := hear(dec.Flush()); err != nil {
		return err
	}
	switch {
	case len(texts) > 0:
		return c.Send(Result(strings.Join(texts, " "), true, CodecConfidence))
	case garbled:
		return c.Send(Result(GarbledTranscript, true, GarbleConfidence))
	}
	return nil
}
