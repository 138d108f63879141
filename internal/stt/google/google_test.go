package google

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/speech/apiv1/speechpb"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tirevoice/assistant/internal/audio"
	"github.com/tirevoice/assistant/internal/googleapi/googleapitest"
	"github.com/tirevoice/assistant/internal/speechcodec"
	"github.com/tirevoice/assistant/internal/stt"
	"github.com/tirevoice/assistant/internal/stt/google/speechtest"
)

// The gRPC client and server stop their goroutines on Close and Stop; the
// few that wind down just after are waited for by goleak's own retries, so
// no option is needed.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// wait bounds every wait on the fake; tests take well under a second.
const wait = 10 * time.Second

// newTranscriber connects the real client library to the fake, the way
// production connects to Google but in plaintext and without credentials.
func newTranscriber(t *testing.T, srv *speechtest.Server, cfg Config) *Transcriber {
	t.Helper()
	return googleapitest.Open(t, New, cfg, srv.Addr)
}

func open(t *testing.T, tr *Transcriber) *Stream {
	t.Helper()
	st, err := tr.Stream(t.Context(), audio.Rate8k)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st.(*Stream)
}

// spoken is text in the mock speech codec with silence around it, as a
// caller's turn arrives after the session's pre-roll.
func spoken(t *testing.T, text string) audio.PCM16 {
	t.Helper()
	pcm, err := speechcodec.NewEncoder().Encode(text)
	if err != nil {
		t.Fatal(err)
	}
	out := silence(300 * time.Millisecond)
	out = append(out, pcm...)
	return append(out, silence(200*time.Millisecond)...)
}

func silence(d time.Duration) audio.PCM16 { return make(audio.PCM16, audio.Rate8k.Samples(d)) }

// writeFrames writes p in 20 ms frames, as the session does.
func writeFrames(t *testing.T, st stt.Stream, p audio.PCM16) {
	t.Helper()
	n := audio.Rate8k.FrameSamples()
	for len(p) > 0 {
		k := min(n, len(p))
		if err := st.Write(p[:k]); err != nil {
			t.Fatalf("Write: %v", err)
		}
		p = p[k:]
	}
}

func finish(t *testing.T, st stt.Stream) stt.Result {
	t.Helper()
	res, err := st.Finish(t.Context())
	if err != nil {
		t.Fatalf("Finish: %v", err)
	}
	return res
}

func TestTurn(t *testing.T) {
	srv := speechtest.Start(t)
	tr := newTranscriber(t, srv, Config{})
	st := open(t, tr)
	const said = "Нужны зимние шины 205/55 R16"
	pcm := spoken(t, said)
	writeFrames(t, st, pcm)
	res := finish(t, st)

	if res != (stt.Result{Text: said}) {
		t.Errorf("Finish = %+v, want %q", res, said)
	}
	calls := srv.Calls()
	if len(calls) != 1 {
		t.Fatalf("%d calls, want 1", len(calls))
	}
	if got, want := calls[0].Bytes, 2*len(pcm); got != want {
		t.Errorf("server received %d audio bytes, want %d", got, want)
	}
	c := calls[0].Config
	rc := c.GetConfig()
	if rc.GetEncoding() != speechpb.RecognitionConfig_LINEAR16 || rc.GetSampleRateHertz() != 8000 ||
		rc.GetLanguageCode() != "ru-RU" || rc.GetModel() != "phone_call" || !rc.GetUseEnhanced() ||
		rc.GetAudioChannelCount() != 1 || !c.GetInterimResults() || c.GetSingleUtterance() {
		t.Errorf("streaming config = %v", c)
	}
	if st.Dropped() != 0 || tr.Dropped() != 0 {
		t.Errorf("dropped %d (transcriber %d), want 0", st.Dropped(), tr.Dropped())
	}
	if tr.Name() != "google-stt" {
		t.Errorf("Name = %q", tr.Name())
	}
}

// TestConfigured goes through Config alone (Endpoint, Insecure, Model,
// Language), as internal/config will.
func TestConfigured(t *testing.T) {
	srv := speechtest.Start(t)
	tr, err := New(t.Context(), Config{Endpoint: srv.Addr, Insecure: true, Model: "latest_short", Language: "en-US"})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	st := open(t, tr)
	writeFrames(t, st, spoken(t, "winter tyres"))
	if res := finish(t, st); res.Text != "winter tyres" {
		t.Errorf("Finish = %+v", res)
	}
	rc := srv.Calls()[0].Config.GetConfig()
	if rc.GetModel() != "latest_short" || rc.GetUseEnhanced() || rc.GetLanguageCode() != "en-US" {
		t.Errorf("config = %v", rc)
	}
}

// TestResults scripts Google's answers to check how they make a transcript.
func TestResults(t *testing.T) {
	interim := func(s string) *speechpb.StreamingRecognizeResponse { return speechtest.Result(s, false, 0) }
	final := func(s string, conf float32) *speechpb.StreamingRecognizeResponse {
		return speechtest.Result(s, true, conf)
	}
	noAlternatives := &speechpb.StreamingRecognizeResponse{Results: []*speechpb.StreamingRecognitionResult{{IsFinal: true}}}
	event := &speechpb.StreamingRecognizeResponse{SpeechEventType: speechpb.StreamingRecognizeResponse_END_OF_SINGLE_UTTERANCE}
	for _, tc := range []struct {
		name   string
		during []*speechpb.StreamingRecognizeResponse // sent after the first audio
		after  []*speechpb.StreamingRecognizeResponse // sent after the half-close
		want   stt.Result
	}{
		{
			name:   "interim results then final",
			during: []*speechpb.StreamingRecognizeResponse{interim("нужны"), interim("нужны зимние")},
			after:  []*speechpb.StreamingRecognizeResponse{interim("нужны зимние шины"), final("нужны зимние шины", 0.9)},
			want:   stt.Result{Text: "нужны зимние шины"},
		},
		{
			name:   "finals are concatenated",
			during: []*speechpb.StreamingRecognizeResponse{interim("нужны"), final("Нужны", 0.9), interim(" зимние")},
			after:  []*speechpb.StreamingRecognizeResponse{final(" зимние шины", 0.8), event},
			want:   stt.Result{Text: "Нужны зимние шины"},
		},
		{
			name:  "latest interim kept when no final follows",
			after: []*speechpb.StreamingRecognizeResponse{final("Нужны", 0.9), interim(" зим"), interim(" зимние шины")},
			want:  stt.Result{Text: "Нужны зимние шины"},
		},
		{
			name:  "confidence not set counts as sure",
			after: []*speechpb.StreamingRecognizeResponse{final("шины", 0)},
			want:  stt.Result{Text: "шины"},
		},
		{
			name:  "low confidence only",
			after: []*speechpb.StreamingRecognizeResponse{interim("шины"), final("шины", 0.1)},
			want:  stt.Result{Unintelligible: true},
		},
		{
			name:  "empty alternatives",
			after: []*speechpb.StreamingRecognizeResponse{noAlternatives, final("  ", 0.9)},
			want:  stt.Result{Unintelligible: true},
		},
		{
			name:  "low confidence left out beside confident",
			after: []*speechpb.StreamingRecognizeResponse{final("эээ", 0.1), final(" зимние шины", 0.8)},
			want:  stt.Result{Text: "зимние шины"},
		},
		{
			name:  "no results",
			after: []*speechpb.StreamingRecognizeResponse{event},
			want:  stt.Result{},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := speechtest.Start(t)
			srv.Handler = func(c *speechtest.Call) error {
				first := true
				for {
					_, err := c.Recv()
					if errors.Is(err, io.EOF) {
						break
					}
					if err != nil {
						return err
					}
					if first {
						first = false
						for _, r := range tc.during {
							if err := c.Send(r); err != nil {
								return err
							}
						}
					}
				}
				for _, r := range tc.after {
					if err := c.Send(r); err != nil {
						return err
					}
				}
				return nil
			}
			st := open(t, newTranscriber(t, srv, Config{}))
			writeFrames(t, st, silence(time.Second))
			if got := finish(t, st); got != tc.want {
				t.Errorf("Finish = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestNoSpeech(t *testing.T) {
	t.Run("no audio at all", func(t *testing.T) {
		srv := speechtest.Start(t)
		st := open(t, newTranscriber(t, srv, Config{}))
		if res := finish(t, st); res != (stt.Result{}) {
			t.Errorf("Finish = %+v, want empty", res)
		}
		if n := len(srv.Calls()); n != 0 {
			t.Errorf("%d calls for no audio, want none", n)
		}
	})
	t.Run("silence", func(t *testing.T) {
		srv := speechtest.Start(t)
		st := open(t, newTranscriber(t, srv, Config{}))
		pcm := silence(2 * time.Second)
		writeFrames(t, st, pcm)
		if res := finish(t, st); res != (stt.Result{}) {
			t.Errorf("Finish = %+v, want empty", res)
		}
		if got := srv.TotalBytes(); got != 2*len(pcm) {
			t.Errorf("server received %d bytes, want %d", got, 2*len(pcm))
		}
	})
	t.Run("noise", func(t *testing.T) {
		srv := speechtest.Start(t)
		st := open(t, newTranscriber(t, srv, Config{}))
		rng := rand.New(rand.NewPCG(1, 2))
		pcm := silence(300 * time.Millisecond)
		for range audio.Rate8k.Samples(time.Second) {
			pcm = append(pcm, int16(rng.IntN(12000)-6000))
		}
		pcm = append(pcm, silence(300*time.Millisecond)...)
		writeFrames(t, st, pcm)
		if res := finish(t, st); res != (stt.Result{Unintelligible: true}) {
			t.Errorf("Finish = %+v, want unintelligible", res)
		}
	})
}

func TestServiceErrors(t *testing.T) {
	unavailable := status.Error(codes.Unavailable, "try later")
	quota := status.Error(codes.ResourceExhausted, "quota exceeded")
	deadline := status.Error(codes.DeadlineExceeded, "took too long")
	crashed := status.New(codes.Internal, "recogniser crashed")
	for _, tc := range []struct {
		name    string
		handler func(*speechtest.Call) error
		want    error
	}{
		{"unavailable at once", func(*speechtest.Call) error { return unavailable }, unavailable},
		{"quota", func(c *speechtest.Call) error {
			_, _ = c.Recv()
			return quota
		}, quota},
		{"deadline after audio", func(c *speechtest.Call) error {
			for {
				if _, err := c.Recv(); err != nil {
					break
				}
			}
			return deadline
		}, deadline},
		{"error in a response", func(c *speechtest.Call) error {
			_, _ = c.Recv()
			return c.Send(&speechpb.StreamingRecognizeResponse{Error: crashed.Proto()})
		}, crashed.Err()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := speechtest.Start(t)
			srv.Handler = tc.handler
			st := open(t, newTranscriber(t, srv, Config{}))
			frame := silence(audio.FrameTime)
			for range 50 {
				_ = st.Write(frame) // fails once the error is in
			}
			_, err := st.Finish(t.Context())
			if !errors.Is(err, tc.want) || status.Code(err) != status.Code(tc.want) {
				t.Fatalf("Finish error %v, code %v; want %v", err, status.Code(err), tc.want)
			}
			if !strings.HasPrefix(err.Error(), "google-stt: ") {
				t.Errorf("error %q does not name the provider", err)
			}
			if err := st.Write(silence(20 * time.Millisecond)); !errors.Is(err, stt.ErrClosed) {
				t.Errorf("Write after Finish = %v, want ErrClosed", err)
			}
		})
	}
}

// TestWriteAfterFailure: once the service has failed, Write says so rather
// than queueing audio nobody will hear.
func TestWriteAfterFailure(t *testing.T) {
	srv := speechtest.Start(t)
	srv.Handler = func(*speechtest.Call) error { return status.Error(codes.PermissionDenied, "no") }
	st := open(t, newTranscriber(t, srv, Config{}))
	if err := st.Write(silence(20 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-st.ctx.Done(): // the receiver got the error and stopped the stream
	case <-time.After(wait):
		t.Fatal("the stream did not fail")
	}
	if err := st.Write(silence(20 * time.Millisecond)); status.Code(err) != codes.PermissionDenied {
		t.Errorf("Write after failure = %v", err)
	}
	if _, err := st.Finish(t.Context()); status.Code(err) != codes.PermissionDenied {
		t.Errorf("Finish = %v", err)
	}
}

// silent never answers: it reads until the client half-closes and then
// waits for the call to be cancelled.
func silent(c *speechtest.Call) error {
	for {
		if _, err := c.Recv(); err != nil {
			break
		}
	}
	<-c.Context().Done()
	return c.Context().Err()
}

func TestFinishTimeout(t *testing.T) {
	const timeout = 200 * time.Millisecond
	srv := speechtest.Start(t)
	srv.Handler = silent
	st := open(t, newTranscriber(t, srv, Config{Timeout: timeout}))
	writeFrames(t, st, silence(time.Second))
	srv.WaitFor(t, "the audio", wait, func(c []speechtest.CallInfo) bool { return len(c) == 1 && c[0].Bytes == 16000 })

	start := time.Now()
	_, err := st.Finish(t.Context())
	took := time.Since(start)
	if !errors.Is(err, ErrTimeout) || status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("Finish error %v (code %v), want ErrTimeout with DeadlineExceeded", err, status.Code(err))
	}
	// The upper bound only catches a Finish that waits for something
	// else; it is loose for loaded machines.
	if took < timeout || took > timeout+3*time.Second {
		t.Errorf("Finish took %v, want about %v", took, timeout)
	}
	// Finish gave up the call: the server sees it cancelled.
	srv.WaitFor(t, "the call to end", wait, func(c []speechtest.CallInfo) bool { return c[0].Ended })
}

// TestTimeoutKeepsWhatWasHeard: a final that never comes still leaves the
// interim hypothesis, which beats an apology.
func TestTimeoutKeepsWhatWasHeard(t *testing.T) {
	srv := speechtest.Start(t)
	srv.Handler = func(c *speechtest.Call) error {
		if _, err := c.Recv(); err != nil {
			return err
		}
		if err := c.Send(speechtest.Result("нужны шины", false, 0)); err != nil {
			return err
		}
		return silent(c)
	}
	tr := newTranscriber(t, srv, Config{Timeout: 100 * time.Millisecond})
	received := make(chan struct{}, 1)
	tr.received = func() {
		select {
		case received <- struct{}{}:
		default:
		}
	}
	st := open(t, tr)
	writeFrames(t, st, silence(time.Second))
	select {
	case <-received:
	case <-time.After(wait):
		t.Fatal("no interim result")
	}
	if res := finish(t, st); res.Text != "нужны шины" {
		t.Errorf("Finish = %+v, want the interim text", res)
	}
}

// TestFinishContext: the turn's own deadline ends Finish before Timeout.
func TestFinishContext(t *testing.T) {
	srv := speechtest.Start(t)
	srv.Handler = silent
	st := open(t, newTranscriber(t, srv, Config{Timeout: time.Minute}))
	writeFrames(t, st, silence(100*time.Millisecond))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := st.Finish(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Finish = %v, want context.Canceled", err)
	}
}

// TestStreamRestart: with a tiny StreamLimit each batch of audio goes to a
// new gRPC stream; the text of every stream makes the transcript.
func TestStreamRestart(t *testing.T) {
	srv := speechtest.Start(t)
	st := open(t, newTranscriber(t, srv, Config{StreamLimit: time.Nanosecond}))

	// One Write is never split between streams, so each phrase is heard
	// whole by one of them.
	first, second := spoken(t, "первая фраза"), spoken(t, "вторая фраза")
	if err := st.Write(first); err != nil {
		t.Fatal(err)
	}
	srv.WaitFor(t, "the first phrase", wait, func(c []speechtest.CallInfo) bool {
		return len(c) == 1 && c[0].Bytes == 2*len(first)
	})
	if err := st.Write(second); err != nil {
		t.Fatal(err)
	}
	res := finish(t, st)

	if res.Text != "первая фраза вторая фраза" {
		t.Errorf("Finish = %+v", res)
	}
	calls := srv.Calls()
	if len(calls) != 2 {
		t.Fatalf("%d calls, want 2", len(calls))
	}
	for i, want := range []string{"первая фраза", "вторая фраза"} {
		c := calls[i]
		if c.Config == nil || !c.Closed || len(c.Texts) != 1 || c.Texts[0] != want {
			t.Errorf("call %d: %+v, want config, half-close and %q", i, c, want)
		}
	}
	if got, want := srv.TotalBytes(), 2*(len(first)+len(second)); got != want {
		t.Errorf("server received %d bytes, want %d", got, want)
	}
}

// TestStreamLimitKeepsStream: under the limit, all audio goes to one stream
// (and a long Write is cut into messages Google accepts).
func TestStreamLimitKeepsStream(t *testing.T) {
	srv := speechtest.Start(t)
	st := open(t, newTranscriber(t, srv, Config{StreamLimit: time.Hour}))
	pcm := append(spoken(t, "первая фраза"), spoken(t, "вторая фраза")...)
	if err := st.Write(pcm); err != nil { // 3.4 s, 55 KB: more than one message
		t.Fatal(err)
	}
	if res := finish(t, st); res.Text != "первая фраза вторая фраза" {
		t.Errorf("Finish = %+v", res)
	}
	if n := len(srv.Calls()); n != 1 {
		t.Errorf("%d calls, want 1", n)
	}
}

// TestWriteNeverBlocks: a server that stops reading fills gRPC's flow
// control window, then the queue; Write drops the oldest audio and counts
// it instead of blocking the caller's audio path.
func TestWriteNeverBlocks(t *testing.T) {
	// A fixed 64 KiB window (no BDP growth) so that the sender blocks early.
	srv := speechtest.Start(t, grpc.InitialWindowSize(1<<16), grpc.InitialConnWindowSize(1<<16))
	release := make(chan struct{})
	srv.Handler = func(c *speechtest.Call) error {
		select {
		case <-release:
		case <-c.Context().Done():
			return c.Context().Err()
		}
		return speechtest.Codec(c)
	}
	const queue, frames = 8, 2000 // 2000 frames = 640 KB, ten times the window
	tr := newTranscriber(t, srv, Config{QueueLen: queue, Timeout: wait})
	st := open(t, tr)

	wrote := make(chan error, 1)
	go func() {
		frame := silence(audio.FrameTime)
		for range frames {
			if err := st.Write(frame); err != nil {
				wrote <- err
				return
			}
		}
		wrote <- nil
	}()
	select {
	case err := <-wrote:
		if err != nil {
			t.Fatalf("Write: %v", err)
		}
	case <-time.After(wait):
		t.Fatal("Write blocked while the server was not reading")
	}
	dropped := st.Dropped()
	if dropped == 0 || dropped > frames {
		t.Fatalf("dropped %d of %d frames; want some", dropped, frames)
	}
	if tr.Dropped() != dropped {
		t.Errorf("transcriber counts %d drops, stream %d", tr.Dropped(), dropped)
	}

	close(release)
	if res := finish(t, st); res != (stt.Result{}) {
		t.Errorf("Finish = %+v", res)
	}
	// Every frame was either sent or dropped, never both, never lost.
	if got, want := srv.TotalBytes(), int(frames-dropped)*audio.Rate8k.FrameBytes(); got != want {
		t.Errorf("server received %d bytes, want %d (%d frames dropped)", got, want, dropped)
	}
}

// TestClose: Close with a stream mid-turn cancels the call and leaves no
// goroutine behind (TestMain checks); everything after Close says closed.
func TestClose(t *testing.T) {
	srv := speechtest.Start(t)
	srv.Handler = silent
	tr := newTranscriber(t, srv, Config{})
	st := open(t, tr)
	writeFrames(t, st, silence(200*time.Millisecond))
	srv.WaitFor(t, "the audio", wait, func(c []speechtest.CallInfo) bool { return len(c) == 1 && c[0].Bytes == 3200 })

	for range 2 {
		if err := st.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
	srv.WaitFor(t, "the call to end", wait, func(c []speechtest.CallInfo) bool { return c[0].Ended })
	if err := st.Write(silence(audio.FrameTime)); !errors.Is(err, stt.ErrClosed) {
		t.Errorf("Write after Close = %v", err)
	}
	if _, err := st.Finish(t.Context()); !errors.Is(err, stt.ErrClosed) {
		t.Errorf("Finish after Close = %v", err)
	}

	for range 2 {
		if err := tr.Close(); err != nil {
			t.Fatalf("Transcriber.Close: %v", err)
		}
	}
	if _, err := tr.Stream(t.Context(), audio.Rate8k); !errors.Is(err, stt.ErrClosed) {
		t.Errorf("Stream after Close = %v", err)
	}
}

// TestCloseDuringFinish: Close from another goroutine ends a Finish that is
// waiting on a silent server.
func TestCloseDuringFinish(t *testing.T) {
	srv := speechtest.Start(t)
	srv.Handler = silent
	st := open(t, newTranscriber(t, srv, Config{Timeout: time.Minute}))
	writeFrames(t, st, silence(200*time.Millisecond))
	srv.WaitFor(t, "the audio", wait, func(c []speechtest.CallInfo) bool { return len(c) == 1 && c[0].Bytes == 3200 })
	done := make(chan error, 1)
	go func() {
		_, err := st.Finish(context.Background())
		done <- err
	}()
	srv.WaitFor(t, "the half-close", wait, func(c []speechtest.CallInfo) bool { return c[0].Closed })
	st.Close()
	if err := <-done; !errors.Is(err, stt.ErrClosed) {
		t.Errorf("Finish = %v, want ErrClosed", err)
	}
}

func TestRates(t *testing.T) {
	srv := speechtest.Start(t)
	tr := newTranscriber(t, srv, Config{})
	for _, r := range []audio.Rate{4000, audio.Rate96k} {
		if _, err := tr.Stream(t.Context(), r); err == nil {
			t.Errorf("Stream(%v) accepted", r)
		}
	}
	s, err := tr.Stream(t.Context(), audio.Rate16k)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pcm := audio.NewResampler(audio.Rate8k, audio.Rate16k).Process(nil, spoken(t, "шестнадцать килогерц"))
	writeFrames(t, s, pcm)
	if res := finish(t, s); res.Text != "шестнадцать килогерц" {
		t.Errorf("Finish = %+v", res)
	}
	if got := srv.Calls()[0].Config.GetConfig().GetSampleRateHertz(); got != 16000 {
		t.Errorf("sample_rate_hertz = %d", got)
	}
}

// TestStreamEndsWithItsContext: the session opens each stream on the call's
// context, so that when the call ends (a hang-up mid-utterance, say) the
// gRPC call is cancelled at once, with neither Finish nor Close, rather than
// left open until Google times it out.
func TestStreamEndsWithItsContext(t *testing.T) {
	srv := speechtest.Start(t)
	srv.Handler = silent
	tr := newTranscriber(t, srv, Config{Timeout: time.Minute})
	ctx, cancel := context.WithCancel(t.Context())
	s, err := tr.Stream(ctx, audio.Rate8k)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	writeFrames(t, s, silence(200*time.Millisecond))
	srv.WaitFor(t, "the audio", wait, func(c []speechtest.CallInfo) bool { return len(c) == 1 && c[0].Bytes == 3200 })
	if c := srv.Calls(); c[0].Ended {
		t.Fatal("the gRPC call ended before its context")
	}
	cancel() // the call ended
	srv.WaitFor(t, "the gRPC call to be cancelled", wait, func(c []speechtest.CallInfo) bool { return c[0].Ended })
	if err := s.Write(silence(audio.FrameTime)); !errors.Is(err, context.Canceled) {
		t.Errorf("Write after the call's context ended = %v, want context.Canceled", err)
	}
	if _, err := s.Finish(t.Context()); !errors.Is(err, context.Canceled) {
		t.Errorf("Finish after the call's context ended = %v, want context.Canceled", err)
	}
}
