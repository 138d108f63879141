package call_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/goleak"

	"github.com/tirevoice/assistant/internal/audio"
	"github.com/tirevoice/assistant/internal/audiosocket"
	"github.com/tirevoice/assistant/internal/call"
	"github.com/tirevoice/assistant/internal/callsim"
	"github.com/tirevoice/assistant/internal/config"
	"github.com/tirevoice/assistant/internal/dialog"
	"github.com/tirevoice/assistant/internal/dialog/echo"
	"github.com/tirevoice/assistant/internal/logtest"
	"github.com/tirevoice/assistant/internal/metrics"
	"github.com/tirevoice/assistant/internal/speechcodec"
	sttmock "github.com/tirevoice/assistant/internal/stt/mock"
	ttsmock "github.com/tirevoice/assistant/internal/tts/mock"
)

// testCall is a call-processor reduced to the call service and an
// AudioSocket server on loopback.
type testCall struct {
	addr    string
	records chan *call.Record
	metrics *metrics.Metrics
	server  *audiosocket.Server
	logs    *logtest.Buffer
}

func defaultCallConfig(t *testing.T) config.Call {
	t.Helper()
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Call
}

// echoDeps are the service's deps in these tests: the default
// configuration, the offline providers and the echo responder; each call's
// record goes to records.
func echoDeps(t *testing.T, m *metrics.Metrics, log *slog.Logger, records chan<- *call.Record) call.Deps {
	return call.Deps{
		Config:      defaultCallConfig(t),
		Transcriber: sttmock.Transcriber{},
		Synthesizer: ttsmock.New(),
		Responder:   echo.Responder{},
		Metrics:     m,
		Logger:      log,
		Recorder:    func(_ context.Context, rec *call.Record) { records <- rec },
	}
}

// startCall runs the service; change adjusts its configuration and deps.
// A peer that sends nothing for 2 s is dead, so that a vanished caller
// ends its call quickly.
func startCall(t *testing.T, change func(*call.Deps)) *testCall {
	t.Helper()
	return startCallWithDeadPeer(t, change, 2*time.Second)
}

// startCallWithDeadPeer is startCall with the server's dead-peer limit;
// 0 is the production default.
func startCallWithDeadPeer(t *testing.T, change func(*call.Deps), deadPeer time.Duration) *testCall {
	t.Helper()
	t.Cleanup(func() { goleak.VerifyNone(t) }) // runs last: after the server stopped
	tc := &testCall{records: make(chan *call.Record, 16), logs: &logtest.Buffer{}}
	tc.metrics = metrics.New(prometheus.NewRegistry())
	log := slog.New(slog.NewJSONHandler(tc.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	deps := echoDeps(t, tc.metrics, log, tc.records)
	if change != nil {
		change(&deps)
	}
	svc, err := call.NewService(context.Background(), deps)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tc.addr = ln.Addr().String()
	tc.server = &audiosocket.Server{Handler: svc, Logger: log, DeadPeerTimeout: deadPeer}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tc.server.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		<-done
		if t.Failed() {
			t.Logf("processor log:\n%s", tc.logs.String())
		}
	})
	return tc
}

// play runs a scenario given as YAML and fails the test if it fails.
func (tc *testCall) play(t *testing.T, yaml string) *callsim.Result {
	t.Helper()
	sc, err := callsim.Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	res, err := callsim.Run(context.Background(), sc, callsim.Options{Addr: tc.addr, Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Passed {
		t.Fatalf("scenario failed: %s\ntranscript:\n%s", res.Failure, out.String())
	}
	t.Logf("transcript:\n%s", out.String())
	return res
}

func (tc *testCall) record(t *testing.T) *call.Record {
	t.Helper()
	select {
	case rec := <-tc.records:
		return rec
	case <-time.After(15 * time.Second):
		t.Fatal("no call record")
		return nil
	}
}

func TestGreetingEchoAndGoodbye(t *testing.T) {
	tc := startCall(t, nil)
	res := tc.play(t, `
steps:
  - expect: "Чем могу помочь"
  - say: "Нужны летние шины"
  - expect: "^Вы сказали: Нужны летние шины$"
  - say: "До свидания"
  - expect: "До свидания"
  - expect_hangup: true
`)
	rec := tc.record(t)
	if rec.Outcome != metrics.OutcomeCompleted || rec.Disposition != call.DispositionHangup {
		t.Errorf("outcome %q disposition %q, want completed/hangup", rec.Outcome, rec.Disposition)
	}
	if len(rec.Turns) != 2 || rec.Turns[0].CallerText != "Нужны летние шины" {
		t.Fatalf("turns = %+v", rec.Turns)
	}
	for _, turn := range rec.Turns {
		if turn.TurnLatency <= 0 {
			t.Errorf("turn %d has no latency figure", turn.N)
		}
	}
	if rec.GreetingLatency <= 0 || rec.GreetingLatency > time.Second {
		t.Errorf("greeting latency %v", rec.GreetingLatency)
	}
	if !res.HungUpByBot {
		t.Error("the bot did not hang up")
	}
	if n := testutil.ToFloat64(tc.metrics.Calls.WithLabelValues(metrics.OutcomeCompleted)); n != 1 {
		t.Errorf("calls_total{completed} = %v", n)
	}
	if !strings.Contains(tc.logs.String(), `"msg":"call ended"`) {
		t.Error("no end-of-call log line")
	}
}

// TestCallerTalksRightAfterTheGreeting: the plain detector sleeps while the
// bot talks, so when the caller starts right as the greeting ends, its first
// frame is already the caller talking. It must be judged against the line the
// barge-in detector measured meanwhile, not taken for the line's noise: the
// turn is heard whole and endpointed.
func TestCallerTalksRightAfterTheGreeting(t *testing.T) {
	const said = "Хочу записаться на шиномонтаж в Казани."
	tc := startCall(t, nil)
	c, err := audiosocket.Dial(context.Background(), tc.addr, uuid.New())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Send nothing before the greeting is audible, so that only the
	// barge-in detector hears the line before the caller talks.
	dec := speechcodec.NewDecoder(audio.Rate8k)
	for {
		f, err := c.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		if !f.Kind.IsAudio() {
			continue
		}
		p := audio.AppendFromS16LE(nil, f.Payload)
		dec.Write(p)
		if audio.Energy(p) > 1e4 {
			break
		}
	}
	phrase, err := speechcodec.NewEncoder().Encode(said)
	if err != nil {
		t.Fatal(err)
	}
	talk, stop, sent := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() { // the caller's side, at the line's pace: silence, the phrase once greeted, silence
		defer close(sent)
		tick := time.NewTicker(audio.FrameTime)
		defer tick.Stop()
		n := audio.Rate8k.FrameSamples()
		silence, line := make(audio.PCM16, n), audio.PCM16(nil)
		for {
			f := silence
			if len(line) >= n {
				f, line = line[:n], line[n:]
			}
			if c.SendAudio(audio.Rate8k, f) != nil {
				return
			}
			select {
			case <-tick.C:
			case <-talk:
				line, talk = phrase, nil
			case <-stop:
				return
			}
		}
	}()
	for answered := false; !answered; {
		f, err := c.ReadFrame()
		if err != nil {
			t.Fatalf("the bot never answered: %v", err)
		}
		if !f.Kind.IsAudio() {
			continue
		}
		for _, p := range dec.Write(audio.AppendFromS16LE(nil, f.Payload)) {
			switch {
			case strings.Contains(p.Text, "Чем могу помочь"):
				close(talk)
			case strings.HasPrefix(p.Text, "Вы сказали"):
				answered = true
			}
		}
	}
	close(stop)
	<-sent
	c.Close()
	rec := tc.record(t)
	if len(rec.Turns) != 1 || rec.Turns[0].CallerText != said {
		t.Fatalf("turns = %+v", rec.Turns)
	}
}

// TestCallerTalksRightAfterAShortGreeting: after a greeting too short for
// the barge-in detector to learn the line's echo, the caller's first words
// fall in the bot's echo tail, unseen by the plain detector, which only
// wakes once the tail is over; the recogniser must still get the whole
// utterance from its onset.
func TestCallerTalksRightAfterAShortGreeting(t *testing.T) {
	tc := startCall(t, func(d *call.Deps) { d.Config.Greeting = "Здравствуйте!" })
	tc.play(t, `
steps:
  - expect: "Здравствуйте"
  - say: "Хочу записаться на шиномонтаж в Казани."
  - expect: "^Вы сказали: Хочу записаться на шиномонтаж в Казани.$"
  - hangup: true
`)
	if rec := tc.record(t); len(rec.Turns) != 1 || rec.Turns[0].CallerText != "Хочу записаться на шиномонтаж в Казани." {
		t.Fatalf("turns = %+v", rec.Turns)
	}
}

// slowResponder speaks several long pieces, one at a time, and reports
// whether its context was cancelled.
type slowResponder struct {
	pieces    []string
	cancelled chan struct{}
}

func (r *slowResponder) Name() string { return "slow" }

func (r *slowResponder) Respond(ctx context.Context, _ dialog.Request, say dialog.Say) (dialog.Outcome, error) {
	for _, p := range r.pieces {
		if err := say(ctx, p); err != nil {
			close(r.cancelled)
			return dialog.Outcome{}, err
		}
		select {
		case <-ctx.Done():
			close(r.cancelled)
			return dialog.Outcome{}, ctx.Err()
		case <-time.After(time.Second): // the model is still writing
		}
	}
	return dialog.Outcome{}, nil
}

func TestBargeInStopsPlayoutAndCancelsTheTurn(t *testing.T) {
	resp := &slowResponder{
		pieces: []string{
			"Первая часть ответа довольно длинная, чтобы её можно было перебить.",
			"Вторая часть не должна прозвучать.",
			"Третья часть тоже не должна прозвучать.",
		},
		cancelled: make(chan struct{}),
	}
	first := true
	tc := startCall(t, func(d *call.Deps) {
		d.Responder = responderFunc(func(ctx context.Context, req dialog.Request, say dialog.Say) (dialog.Outcome, error) {
			if first {
				first = false
				return resp.Respond(ctx, req, say)
			}
			return echo.Responder{}.Respond(ctx, req, say)
		})
	})
	res := tc.play(t, `
steps:
  - expect: "Чем могу помочь"
  - say: "Расскажите подробно"
  - expect_audio: true
  - silence: 500ms
  - say: "Стоп, другой вопрос"
  - expect: "Вы сказали: Стоп, другой вопрос"
  - hangup: true
`)
	select {
	case <-resp.cancelled:
	case <-time.After(5 * time.Second):
		t.Fatal("the responder's turn was not cancelled")
	}
	rec := tc.record(t)
	if rec.BargeIns != 1 {
		t.Fatalf("barge-ins = %d, want 1", rec.BargeIns)
	}
	if rec.BotFramesAfterBargeIn > 1 {
		t.Errorf("%d bot frames went out after the detector fired, want at most 1", rec.BotFramesAfterBargeIn)
	}
	if !rec.Turns[0].Interrupted {
		t.Error("the first turn is not marked interrupted")
	}
	for _, p := range res.BotPhrases {
		if strings.Contains(p, "Вторая") || strings.Contains(p, "Третья") {
			t.Errorf("the caller heard a piece after the barge-in: %q", p)
		}
	}
}

type responderFunc func(context.Context, dialog.Request, dialog.Say) (dialog.Outcome, error)

func (f responderFunc) Name() string                          { return "test" }
func (f responderFunc) Begin(dialog.Call) dialog.Conversation { return f }
func (f responderFunc) Respond(ctx context.Context, req dialog.Request, say dialog.Say) (dialog.Outcome, error) {
	return f(ctx, req, say)
}

func TestEchoOfTheBotDoesNotBargeIn(t *testing.T) {
	tc := startCall(t, nil)
	tc.play(t, `
line:
  echo_db: -10
  echo_delay: 100ms
  noise_dbfs: -60
  codec: alaw
steps:
  - expect: "^Здравствуйте! Шинный центр, голосовой помощник\\. Чем могу помочь\\?$"
  - say: "Как проехать к вам"
  - expect: "^Вы сказали: Как проехать к вам$"
  - hangup: true
`)
	rec := tc.record(t)
	if rec.BargeIns != 0 {
		t.Errorf("the bot's own echo barged in %d times", rec.BargeIns)
	}
}

func TestDTMFZeroTransfersToOperator(t *testing.T) {
	tc := startCall(t, nil)
	tc.play(t, `
steps:
  - expect_audio: true
  - dtmf: "0"
  - expect: "оператор"
  - expect_hangup: true
`)
	rec := tc.record(t)
	if rec.Disposition != call.DispositionOperator || rec.Outcome != metrics.OutcomeOperator {
		t.Errorf("disposition %q outcome %q, want operator", rec.Disposition, rec.Outcome)
	}
	if rec.DTMF != "0" {
		t.Errorf("dtmf = %q", rec.DTMF)
	}
}

func TestNoInputRepromptsThenHangsUp(t *testing.T) {
	tc := startCall(t, func(d *call.Deps) { d.Config.NoInputTimeout = time.Second })
	tc.play(t, `
steps:
  - expect: "Чем могу помочь"
  - expect: "Вы меня слышите"
    timeout: 5s
  - expect: "Перезвоните"
    timeout: 5s
  - expect_hangup: true
`)
	rec := tc.record(t)
	if rec.Outcome != metrics.OutcomeNoInput || rec.NoInputs != 2 {
		t.Errorf("outcome %q no-inputs %d, want no_input after 2", rec.Outcome, rec.NoInputs)
	}
}

func TestMaxDurationEndsTheCall(t *testing.T) {
	tc := startCall(t, func(d *call.Deps) { d.Config.MaxDuration = 4 * time.Second })
	tc.play(t, `
steps:
  - expect: "Чем могу помочь"
  - say: "Я буду говорить долго"
  - expect: "время разговора истекло"
  - expect_hangup: true
`)
	rec := tc.record(t)
	if rec.Outcome != metrics.OutcomeMaxDuration {
		t.Errorf("outcome %q, want max_duration", rec.Outcome)
	}
	if d := rec.Duration(); d < 4*time.Second || d > 15*time.Second {
		t.Errorf("call lasted %v", d)
	}
}

// dialRaw makes a call and waits until the bot is audibly speaking.
func dialRaw(t *testing.T, addr string) *audiosocket.Client {
	t.Helper()
	c, err := audiosocket.Dial(context.Background(), addr, uuid.New())
	if err != nil {
		t.Fatal(err)
	}
	silence := make(audio.PCM16, audio.Rate8k.FrameSamples())
	if err := c.SendAudio(audio.Rate8k, silence); err != nil {
		t.Fatal(err)
	}
	for {
		f, err := c.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		if f.Kind.IsAudio() && audio.Energy(audio.AppendFromS16LE(nil, f.Payload)) > 1e4 {
			return c
		}
	}
}

func TestCallerHangsUpMidPlayout(t *testing.T) {
	tc := startCall(t, nil)
	c := dialRaw(t, tc.addr)
	c.Close()
	rec := tc.record(t)
	if rec.Outcome != metrics.OutcomeCallerHangup {
		t.Errorf("outcome %q, want caller_hangup", rec.Outcome)
	}
}

func TestCallerVanishesMidPlayout(t *testing.T) {
	tc := startCall(t, nil)
	// The caller's side stops sending and stops reading but never closes:
	// a dead network path. The dead-peer limit ends the call.
	c := dialRaw(t, tc.addr)
	defer c.Close()
	rec := tc.record(t)
	if rec.Outcome != metrics.OutcomeError || !strings.Contains(rec.Failure, "dead peer") {
		t.Errorf("outcome %q failure %q, want error after the dead-peer limit", rec.Outcome, rec.Failure)
	}
}

// signalWriter closes heard when the transcript first contains want.
type signalWriter struct {
	mu    sync.Mutex
	buf   strings.Builder
	want  string
	heard chan struct{}
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	had := strings.Contains(w.buf.String(), w.want)
	w.buf.Write(p)
	if !had && strings.Contains(w.buf.String(), w.want) {
		close(w.heard)
	}
	return len(p), nil
}

func TestShutdownSaysGoodbye(t *testing.T) {
	tc := startCall(t, nil)
	sc, err := callsim.Parse([]byte(`
steps:
  - expect: "Чем могу помочь"
  - expect: "завершить разговор"
    timeout: 20s
  - expect_hangup: true
`))
	if err != nil {
		t.Fatal(err)
	}
	out := &signalWriter{want: "Чем могу помочь", heard: make(chan struct{})}
	done := make(chan *callsim.Result, 1)
	go func() {
		res, err := callsim.Run(context.Background(), sc, callsim.Options{Addr: tc.addr, Out: out})
		if err != nil {
			res = &callsim.Result{Failure: err.Error()}
		}
		done <- res
	}()
	select {
	case <-out.heard:
	case res := <-done:
		t.Fatalf("call ended before shutdown: %s", res.Failure)
	}
	// A drain that gives the call no time: it must still say goodbye.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := tc.server.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		t.Fatal(err)
	}
	if res := <-done; !res.Passed {
		t.Fatalf("caller did not hear a goodbye: %s", res.Failure)
	}
	if rec := tc.record(t); rec.Outcome != metrics.OutcomeShutdown {
		t.Errorf("outcome %q, want shutdown", rec.Outcome)
	}
}

func TestProviderFailuresApologiseThenTransfer(t *testing.T) {
	tc := startCall(t, func(d *call.Deps) {
		d.Responder = responderFunc(func(context.Context, dialog.Request, dialog.Say) (dialog.Outcome, error) {
			return dialog.Outcome{}, errors.New("model overloaded")
		})
	})
	tc.play(t, `
steps:
  - expect: "Чем могу помочь"
  - say: "Первый вопрос"
  - expect: "техническая заминка"
  - say: "Второй вопрос"
  - expect: "техническая заминка"
  - expect: "оператор"
  - expect_hangup: true
`)
	rec := tc.record(t)
	if rec.Disposition != call.DispositionOperator {
		t.Errorf("disposition %q, want operator", rec.Disposition)
	}
	if rec.Turns[0].Failure != "test" {
		t.Errorf("turn failure = %q, want the responder named", rec.Turns[0].Failure)
	}
	if n := testutil.ToFloat64(tc.metrics.ProviderErrors.WithLabelValues("test")); n != 2 {
		t.Errorf("provider errors = %v, want 2", n)
	}
}
