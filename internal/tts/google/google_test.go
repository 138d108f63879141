package google

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"cloud.google.com/go/texttospeech/apiv1/texttospeechpb"
	"go.uber.org/goleak"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tirevoice/assistant/internal/audio"
	"github.com/tirevoice/assistant/internal/googleapi/googleapitest"
	"github.com/tirevoice/assistant/internal/speechcodec"
	"github.com/tirevoice/assistant/internal/tts/google/ttstest"
)

// The gRPC client and server stop their goroutines on Close and Stop; the
// few that wind down just after are waited for by goleak's own retries, so
// no option is needed.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// wait bounds every wait on the fake; tests take well under a second.
const wait = 10 * time.Second

// newSynthesizer connects the real client library to the fake, the way
// production connects to Google but in plaintext and without credentials.
func newSynthesizer(t *testing.T, srv *ttstest.Server, cfg Config) *Synthesizer {
	t.Helper()
	return googleapitest.Open(t, New, cfg, srv.Addr)
}

// heard decodes the mock speech codec, as the caller's ear in these tests.
func heard(pcm audio.PCM16) []string {
	dec := speechcodec.NewDecoder(audio.Rate8k)
	var texts []string
	for _, p := range append(slices.Clone(dec.Write(pcm)), dec.Flush()...) {
		if p.OK {
			texts = append(texts, p.Text)
		} else {
			texts = append(texts, "<unintelligible>")
		}
	}
	return texts
}

func TestSynthesize(t *testing.T) {
	srv := ttstest.Start(t)
	s := newSynthesizer(t, srv, Config{})
	const text = "Нужны зимние шины 205/55 R16"
	pcm, err := s.Synthesize(t.Context(), text)
	if err != nil {
		t.Fatal(err)
	}
	if got := heard(pcm); !slices.Equal(got, []string{text}) {
		t.Errorf("heard %q, want %q", got, text)
	}
	calls := srv.Calls()
	if len(calls) != 1 {
		t.Fatalf("%d requests, want 1", len(calls))
	}
	if got, want := 2*len(pcm), calls[0].Bytes; got != want {
		t.Errorf("got %d bytes of audio, the server sent %d", got, want)
	}
	req := calls[0].Request
	v, ac := req.GetVoice(), req.GetAudioConfig()
	if req.GetInput().GetText() != text || v.GetLanguageCode() != "ru-RU" || v.GetName() != "ru-RU-Wavenet-D" ||
		ac.GetAudioEncoding() != texttospeechpb.AudioEncoding_PCM || ac.GetSampleRateHertz() != 8000 ||
		ac.GetSpeakingRate() != 1 || !slices.Equal(ac.GetEffectsProfileId(), []string{"telephony-class-application"}) {
		t.Errorf("request = %v", req)
	}
	if s.Rate() != audio.Rate8k || s.Name() != "google-tts" {
		t.Errorf("Rate %v, Name %q", s.Rate(), s.Name())
	}
}

// TestConfigured goes through Config alone (Endpoint, Insecure, Voice,
// SpeakingRate), as internal/config will.
func TestConfigured(t *testing.T) {
	srv := ttstest.Start(t)
	s, err := New(t.Context(), Config{Endpoint: srv.Addr, Insecure: true, Voice: "ru-RU-Standard-A", SpeakingRate: 1.2})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Synthesize(t.Context(), "Добрый день"); err != nil {
		t.Fatal(err)
	}
	req := srv.Calls()[0].Request
	if req.GetVoice().GetName() != "ru-RU-Standard-A" || req.GetAudioConfig().GetSpeakingRate() != 1.2 {
		t.Errorf("request = %v", req)
	}

	if _, err := New(t.Context(), Config{Endpoint: srv.Addr, Insecure: true, SpeakingRate: 5}); err == nil {
		t.Error("New accepted speaking rate 5")
	}
}

// TestWAVResponse: a server that answers with a WAV file (as for LINEAR16)
// still gives bare samples.
func TestWAVResponse(t *testing.T) {
	srv := ttstest.Start(t)
	srv.Handler = func(_ context.Context, req *texttospeechpb.SynthesizeSpeechRequest) (*texttospeechpb.SynthesizeSpeechResponse, error) {
		pcm, err := ttstest.Speak(req.GetInput().GetText())
		if err != nil {
			return nil, err
		}
		return &texttospeechpb.SynthesizeSpeechResponse{AudioContent: ttstest.WAV(audio.AppendS16LE(nil, pcm), ttstest.Rate)}, nil
	}
	s := newSynthesizer(t, srv, Config{})
	const text = "Шиномонтаж на Ленина, 5"
	pcm, err := s.Synthesize(t.Context(), text)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := ttstest.Speak(text)
	if !slices.Equal(pcm, want) {
		t.Errorf("got %d samples, want the %d sent after the 44-byte header", len(pcm), len(want))
	}
	if got := heard(pcm); !slices.Equal(got, []string{text}) {
		t.Errorf("heard %q", got)
	}
}

// TestLongText: text over 5000 bytes goes as several requests, cut at
// sentence ends, and their audio is joined in order.
func TestLongText(t *testing.T) {
	srv := ttstest.Start(t)
	// Each request's audio is its number, so that the order shows.
	srv.Handler = func(_ context.Context, req *texttospeechpb.SynthesizeSpeechRequest) (*texttospeechpb.SynthesizeSpeechResponse, error) {
		n := int16(len(srv.Calls()) + 1)
		pcm := make(audio.PCM16, utf8.RuneCountInString(req.GetInput().GetText()))
		for i := range pcm {
			pcm[i] = n
		}
		return &texttospeechpb.SynthesizeSpeechResponse{AudioContent: audio.AppendS16LE(nil, pcm)}, nil
	}
	s := newSynthesizer(t, srv, Config{})
	var b strings.Builder
	for i := 0; b.Len() <= 2*MaxInput; i++ {
		b.WriteString("Зимние шины 205/55 R16 есть в наличии на складе, доставка завтра. ")
		if i%7 == 6 {
			b.WriteString("Что-нибудь ещё? ")
		}
	}
	text := b.String()
	pcm, err := s.Synthesize(t.Context(), text)
	if err != nil {
		t.Fatal(err)
	}

	calls := srv.Calls()
	if min := (len(text) + MaxInput - 1) / MaxInput; len(calls) < min {
		t.Fatalf("%d requests for %d bytes, want at least %d", len(calls), len(text), min)
	}
	var pieces []string
	var want audio.PCM16
	for i, c := range calls {
		piece := c.Request.GetInput().GetText()
		if len(piece) > MaxInput || !strings.HasSuffix(piece, ".") && !strings.HasSuffix(piece, "?") {
			t.Errorf("piece %d: %d bytes, ends %q; want at most %d, at a sentence end", i, len(piece), piece[len(piece)-10:], MaxInput)
		}
		pieces = append(pieces, piece)
		for range utf8.RuneCountInString(piece) {
			want = append(want, int16(i+1))
		}
	}
	if strings.Join(pieces, " ") != strings.TrimSpace(text) {
		t.Error("the pieces do not make up the text")
	}
	if !slices.Equal(pcm, want) {
		t.Error("audio is not the pieces' audio in order")
	}
}

func TestBlankText(t *testing.T) {
	srv := ttstest.Start(t)
	s := newSynthesizer(t, srv, Config{})
	pcm, err := s.Synthesize(t.Context(), " \n ")
	if err != nil || len(pcm) != 0 || len(srv.Calls()) != 0 {
		t.Errorf("Synthesize(blank) = %d samples, %v, %d requests; want nothing", len(pcm), err, len(srv.Calls()))
	}
}

func TestErrors(t *testing.T) {
	fails := func(code codes.Code) ttstest.Handler {
		return func(context.Context, *texttospeechpb.SynthesizeSpeechRequest) (*texttospeechpb.SynthesizeSpeechResponse, error) {
			return nil, status.Error(code, "fake failure")
		}
	}
	for _, tc := range []struct {
		name     string
		handler  ttstest.Handler
		cfg      Config
		want     codes.Code
		requests int
	}{
		{"unavailable is retried once", fails(codes.Unavailable), Config{}, codes.Unavailable, 2},
		{"quota", fails(codes.ResourceExhausted), Config{}, codes.ResourceExhausted, 1},
		{"permission", fails(codes.PermissionDenied), Config{}, codes.PermissionDenied, 1},
		{"voice of another language", nil, Config{Voice: "en-US-Wavenet-D"}, codes.InvalidArgument, 1},
		{"malformed audio (ErrAudioFormat)", func(context.Context, *texttospeechpb.SynthesizeSpeechRequest) (*texttospeechpb.SynthesizeSpeechResponse, error) {
			return &texttospeechpb.SynthesizeSpeechResponse{AudioContent: ttstest.WAV(nil, audio.Rate16k)}, nil
		}, Config{}, codes.Unknown, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := ttstest.Start(t)
			srv.Handler = tc.handler
			s := newSynthesizer(t, srv, tc.cfg)
			pcm, err := s.Synthesize(t.Context(), "Добрый день")
			if err == nil || pcm != nil {
				t.Fatalf("Synthesize = %d samples, %v; want an error", len(pcm), err)
			}
			if status.Code(err) != tc.want {
				t.Errorf("error %v has code %v, want %v", err, status.Code(err), tc.want)
			}
			if tc.want == codes.Unknown && !errors.Is(err, ErrAudioFormat) {
				t.Errorf("error %v, want ErrAudioFormat", err)
			}
			if tc.handler != nil && tc.want != codes.Unknown && !errors.Is(err, status.Error(tc.want, "fake failure")) {
				t.Errorf("errors.Is(%v, the server's status) = false", err)
			}
			if !strings.HasPrefix(err.Error(), "google-tts: ") {
				t.Errorf("error %q does not name the provider", err)
			}
			if n := len(srv.Calls()); n != tc.requests {
				t.Errorf("%d requests, want %d", n, tc.requests)
			}
		})
	}
}

// stuck answers only when the call is cancelled; started is told first.
func stuck(started chan<- struct{}) ttstest.Handler {
	return func(ctx context.Context, _ *texttospeechpb.SynthesizeSpeechRequest) (*texttospeechpb.SynthesizeSpeechResponse, error) {
		started <- struct{}{}
		<-ctx.Done()
		return nil, status.FromContextError(ctx.Err()).Err()
	}
}

func TestTimeout(t *testing.T) {
	const timeout = 100 * time.Millisecond
	srv := ttstest.Start(t)
	started := make(chan struct{}, 1)
	srv.Handler = stuck(started)
	s := newSynthesizer(t, srv, Config{Timeout: timeout})
	start := time.Now()
	_, err := s.Synthesize(t.Context(), "Добрый день")
	took := time.Since(start)
	if status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("error %v, want DeadlineExceeded", err)
	}
	// Loose upper bound: only a Synthesize waiting on something else fails.
	if took < timeout || took > timeout+3*time.Second {
		t.Errorf("took %v with Timeout %v", took, timeout)
	}
}

func TestCancel(t *testing.T) {
	srv := ttstest.Start(t)
	started := make(chan struct{}, 1)
	srv.Handler = stuck(started)
	s := newSynthesizer(t, srv, Config{Timeout: time.Minute})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := s.Synthesize(ctx, "Добрый день")
		done <- err
	}()
	select {
	case <-started:
	case <-time.After(wait):
		t.Fatal("no request")
	}
	cancel() // barge-in
	err := <-done
	if !errors.Is(err, context.Canceled) || status.Code(err) != codes.Canceled {
		t.Errorf("error %v (code %v), want context.Canceled", err, status.Code(err))
	}
}

func TestClose(t *testing.T) {
	srv := ttstest.Start(t)
	s := newSynthesizer(t, srv, Config{})
	for range 2 {
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Synthesize(t.Context(), "Добрый день"); err == nil {
		t.Error("Synthesize after Close succeeded")
	}
}
