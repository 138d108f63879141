package call_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tirevoice/assistant/internal/audio"
	"github.com/tirevoice/assistant/internal/audiosocket"
	"github.com/tirevoice/assistant/internal/call"
	"github.com/tirevoice/assistant/internal/dialog"
	"github.com/tirevoice/assistant/internal/dialog/echo"
	"github.com/tirevoice/assistant/internal/logtest"
	"github.com/tirevoice/assistant/internal/metrics"
	"github.com/tirevoice/assistant/internal/speechcodec"
	"github.com/tirevoice/assistant/internal/stt"
	sttmock "github.com/tirevoice/assistant/internal/stt/mock"
	ttsmock "github.com/tirevoice/assistant/internal/tts/mock"
)

// countingSTT is the offline recogniser that counts the streams it opens
// and closes, and keeps the context each was opened with.
type countingSTT struct {
	mu     sync.Mutex
	opened int
	closed int
	ctxs   []context.Context
}

func (c *countingSTT) Name() string { return "counting-stt" }

func (c *countingSTT) Stream(ctx context.Context, rate audio.Rate) (stt.Stream, error) {
	s, err := sttmock.Transcriber{}.Stream(ctx, rate)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.opened++
	c.ctxs = append(c.ctxs, ctx)
	return &countedStream{Stream: s, c: c}, nil
}

func (c *countingSTT) counts() (opened, closed int, live int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ctx := range c.ctxs {
		if ctx.Err() == nil {
			live++
		}
	}
	return c.opened, c.closed, live
}

type countedStream struct {
	stt.Stream
	c    *countingSTT
	once sync.Once
}

func (s *countedStream) Close() error {
	s.once.Do(func() {
		s.c.mu.Lock()
		s.c.closed++
		s.c.mu.Unlock()
	})
	return s.Stream.Close()
}

// bubbleCall is the call service behind an AudioSocket server on an
// in-memory listener; it runs inside a synctest bubble.
type bubbleCall struct {
	srv     *audiosocket.Server
	ln      *pipeListener
	logs    *logtest.Buffer
	stt     *countingSTT
	records chan *call.Record
	served  chan error
	stopped sync.Once
}

func startBubbleCall(t *testing.T, change func(*call.Deps)) *bubbleCall {
	t.Helper()
	bc := &bubbleCall{
		ln:      newPipeListener(),
		logs:    &logtest.Buffer{},
		stt:     &countingSTT{},
		records: make(chan *call.Record, 1),
		served:  make(chan error, 1),
	}
	log := slog.New(slog.NewJSONHandler(bc.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	deps := call.Deps{
		Config:      defaultCallConfig(t),
		Transcriber: bc.stt,
		Synthesizer: ttsmock.New(),
		Responder:   echo.Responder{},
		Metrics:     metrics.New(prometheus.NewRegistry()),
		Logger:      log,
		Recorder:    func(_ context.Context, rec *call.Record) { bc.records <- rec },
	}
	if change != nil {
		change(&deps)
	}
	svc, err := call.NewService(context.Background(), deps)
	if err != nil {
		t.Fatal(err)
	}
	bc.srv = &audiosocket.Server{Handler: svc, Logger: log}
	go func() { bc.served <- bc.srv.Serve(context.Background(), bc.ln) }()
	return bc
}

// stop shuts the server down (saying goodbye to a call still on) and
// returns once every goroutine of the service is gone. Later calls do
// nothing.
func (bc *bubbleCall) stop(t *testing.T) {
	t.Helper()
	bc.stopWithin(t, time.Hour)
}

// stopWithin is stop with a drain of d: calls still on after d are ended
// as by a shutdown.
func (bc *bubbleCall) stopWithin(t *testing.T, d time.Duration) {
	t.Helper()
	bc.stopped.Do(func() { bc.shutdown(t, d) })
}

func (bc *bubbleCall) shutdown(t *testing.T, d time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if err := bc.srv.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		t.Error(err)
	}
	if err := <-bc.served; !errors.Is(err, audiosocket.ErrShutdown) {
		t.Errorf("Serve = %v, want ErrShutdown", err)
	}
	if t.Failed() {
		t.Logf("processor log:\n%s", bc.logs.String())
	}
}

// caller is the caller's side of a bubble call: it sends a frame every
// 20 ms of the bubble's clock and hears, on its own goroutine, whether the
// bot's frames are loud.
type caller struct {
	c    *audiosocket.Client
	done chan struct{} // closed when the bot's side has ended

	mu       sync.Mutex
	frames   int // bot frames heard
	lastLoud int // index of the last loud one, -1 before any

	line *echoLine // nil: a clean line
}

func (bc *bubbleCall) dial(t *testing.T) *caller {
	t.Helper()
	return bc.dialOn(t, nil)
}

// dialOn calls over line (nil: a clean one).
func (bc *bubbleCall) dialOn(t *testing.T, line *echoLine) *caller {
	t.Helper()
	nc, err := bc.ln.dial()
	if err != nil {
		t.Fatal(err)
	}
	c, err := audiosocket.NewClient(nc, uuid.New())
	if err != nil {
		t.Fatal(err)
	}
	cl := &caller{c: c, done: make(chan struct{}), lastLoud: -1, line: line}
	go func() {
		defer close(cl.done)
		for {
			f, err := c.ReadFrame()
			if err != nil || f.Kind == audiosocket.KindHangup {
				return
			}
			if !f.Kind.IsAudio() {
				continue
			}
			pcm := audio.AppendFromS16LE(nil, f.Payload)
			loud := audio.Energy(pcm) > 1e4
			cl.mu.Lock()
			cl.line.heard(pcm)
			if loud {
				cl.lastLoud = cl.frames
			}
			cl.frames++
			cl.mu.Unlock()
		}
	}()
	return cl
}

// ended reports whether the bot's side has hung up or closed.
func (cl *caller) ended() bool {
	select {
	case <-cl.done:
		return true
	default:
		return false
	}
}

// quiet reports whether the bot has spoken and been silent for d since.
func (cl *caller) quiet(d time.Duration) bool {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.lastLoud >= 0 && cl.frames-1-cl.lastLoud >= int(d/audio.FrameTime)
}

// spokeAfter reports whether the bot has been loud after its frame mark
// (see heard).
func (cl *caller) spokeAfter(mark int) bool {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.lastLoud > mark
}

// heard is the number of bot frames heard so far.
func (cl *caller) heard() int {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.frames
}

// send sends pcm at the line's pace, padded to whole frames; false if the
// call is gone.
func (cl *caller) send(pcm audio.PCM16) bool {
	n := audio.Rate8k.FrameSamples()
	for i := 0; i < len(pcm); i += n {
		f := make(audio.PCM16, n)
		copy(f, pcm[i:])
		cl.mu.Lock()
		cl.line.mix(f)
		cl.mu.Unlock()
		if cl.c.SendAudio(audio.Rate8k, f) != nil {
			return false
		}
		time.Sleep(audio.FrameTime)
	}
	return true
}

// silenceUntil sends silence until cond holds, at most limit; it reports
// whether cond held.
func (cl *caller) silenceUntil(limit time.Duration, cond func() bool) bool {
	silence := make(audio.PCM16, audio.Rate8k.FrameSamples())
	for range int(limit / audio.FrameTime) {
		if cond() {
			return true
		}
		if !cl.send(silence) {
			return cond()
		}
	}
	return cond()
}

func speech(t *testing.T, text string) audio.PCM16 {
	t.Helper()
	pcm, err := speechcodec.NewEncoder().Encode(text)
	if err != nil {
		t.Fatal(err)
	}
	return pcm
}

// slowTurn answers the first turn only after d, with words and an action;
// later turns are echoed.
func slowTurn(d time.Duration, out dialog.Outcome, words string) func(*call.Deps) {
	return func(deps *call.Deps) {
		var once sync.Once
		deps.Responder = responderFunc(func(ctx context.Context, req dialog.Request, say dialog.Say) (dialog.Outcome, error) {
			first := false
			once.Do(func() { first = true })
			if !first {
				return echo.Responder{}.Respond(ctx, req, say)
			}
			select {
			case <-time.After(d): // the model thinks
			case <-ctx.Done():
				return dialog.Outcome{}, ctx.Err()
			}
			if err := say(ctx, words); err != nil {
				return dialog.Outcome{}, err
			}
			return out, nil
		})
	}
}

// TestEveryRecognitionStreamIsClosed: whatever way a call ends, every
// recognition stream it opened is closed, and was opened on the call's
// context, so that a cloud stream ends with the call at the latest.
func TestEveryRecognitionStreamIsClosed(t *testing.T) {
	greeted := func(cl *caller) bool { return cl.quiet(500 * time.Millisecond) }
	tests := []struct {
		name   string
		change func(*call.Deps)
		script func(t *testing.T, bc *bubbleCall, cl *caller)
	}{
		{
			name: "caller hangs up mid-utterance",
			script: func(t *testing.T, _ *bubbleCall, cl *caller) {
				cl.silenceUntil(20*time.Second, func() bool { return greeted(cl) })
				p := speech(t, "Нужны зимние шины на семнадцать")
				cl.send(p[:len(p)/2])
				cl.c.Close()
			},
		},
		{
			name:   "turn queued while another runs, which hangs up",
			change: slowTurn(4*time.Second, dialog.Outcome{Action: dialog.Hangup}, "До свидания"),
			script: func(t *testing.T, _ *bubbleCall, cl *caller) {
				cl.silenceUntil(20*time.Second, func() bool { return greeted(cl) })
				cl.send(speech(t, "Первый вопрос"))
				cl.silenceUntil(time.Second, func() bool { return false })
				cl.send(speech(t, "Второй вопрос"))
				if !cl.silenceUntil(30*time.Second, cl.ended) {
					t.Error("the bot did not hang up")
				}
				cl.c.Close()
			},
		},
		{
			name:   "turn queued while another runs, then shutdown",
			change: slowTurn(time.Minute, dialog.Outcome{}, "Ответ"),
			script: func(t *testing.T, bc *bubbleCall, cl *caller) {
				cl.silenceUntil(20*time.Second, func() bool { return greeted(cl) })
				cl.send(speech(t, "Первый вопрос"))
				cl.silenceUntil(time.Second, func() bool { return false })
				cl.send(speech(t, "Второй вопрос"))
				cl.silenceUntil(time.Second, func() bool { return false })
				p := speech(t, "Третий вопрос")
				cl.send(p[:len(p)/2]) // mid-utterance
				stopped := make(chan struct{})
				go func() {
					defer close(stopped)
					bc.stopWithin(t, 100*time.Millisecond)
				}()
				if !cl.silenceUntil(30*time.Second, cl.ended) {
					t.Error("the bot did not hang up")
				}
				cl.c.Close()
				<-stopped
			},
		},
		{
			name: "turn queued while another runs, then max duration",
			change: func(d *call.Deps) {
				slowTurn(time.Minute, dialog.Outcome{}, "Ответ")(d)
				d.Config.MaxDuration = 15 * time.Second
			},
			script: func(t *testing.T, _ *bubbleCall, cl *caller) {
				cl.silenceUntil(20*time.Second, func() bool { return greeted(cl) })
				cl.send(speech(t, "Первый вопрос"))
				cl.silenceUntil(time.Second, func() bool { return false })
				cl.send(speech(t, "Второй вопрос"))
				if !cl.silenceUntil(time.Minute, cl.ended) {
					t.Error("the bot did not hang up")
				}
				cl.c.Close()
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				bc := startBubbleCall(t, tt.change)
				cl := bc.dial(t)
				tt.script(t, bc, cl)
				rec := <-bc.records
				<-cl.done
				bc.stop(t)
				opened, closed, live := bc.stt.counts()
				t.Logf("outcome %s, %d turns, %d streams", rec.Outcome, len(rec.Turns), opened)
				if opened < 1 {
					t.Fatalf("no recognition stream opened")
				}
				if opened != closed {
					t.Errorf("%d recognition streams opened, %d closed", opened, closed)
				}
				if live != 0 {
					t.Errorf("%d of %d streams were opened on a context that outlived the call", live, opened)
				}
			})
		})
	}
}
