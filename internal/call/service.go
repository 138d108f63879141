// Package call runs one phone call: it greets the caller, listens, lets the
// Responder answer, speaks the answer at real-time pace, and handles
// barge-in, DTMF, silence and the call's time limit (DESIGN.md, "Per-call
// behaviour").
//
// A call is four goroutines joined by bounded channels: the reader (frames
// from Asterisk, voice activity, barge-in), the player (one frame every
// 20 ms), the turn worker (transcript, reply, synthesis) and the supervisor
// (ServeCall itself), which alone decides what happens next and tears the
// call down.
package call

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/tirevoice/assistant/internal/audio"
	"github.com/tirevoice/assistant/internal/audiosocket"
	"github.com/tirevoice/assistant/internal/config"
	"github.com/tirevoice/assistant/internal/dialog"
	"github.com/tirevoice/assistant/internal/live"
	"github.com/tirevoice/assistant/internal/metrics"
	"github.com/tirevoice/assistant/internal/routing"
	"github.com/tirevoice/assistant/internal/stt"
	"github.com/tirevoice/assistant/internal/tts"
)

// Prompts are the fixed phrases of a call, synthesised once at start-up so
// that they play at once and still play when the TTS provider is down.
type Prompts struct {
	Greeting        string
	Reprompt        string // after CALL_NO_INPUT_TIMEOUT of silence
	NoInputBye      string // after the last re-prompt went unanswered
	MaxDurationBye  string // at CALL_MAX_DURATION
	Transfer        string // before handing the caller to an operator
	Apology         string // a provider failed in this turn
	ShutdownBye     string // the instance is shutting down
	NothingToRepeat string // # pressed before the bot said anything worth repeating
}

// DefaultPrompts returns the standard Russian phrases with greeting first.
func DefaultPrompts(greeting string) Prompts {
	return Prompts{
		Greeting:        greeting,
		Reprompt:        "Вы меня слышите? Скажите, пожалуйста, чем я могу помочь.",
		NoInputBye:      "Я вас не слышу. Перезвоните, пожалуйста. До свидания!",
		MaxDurationBye:  "К сожалению, время разговора истекло. Спасибо за звонок, до свидания!",
		Transfer:        "Оставайтесь на линии, соединяю с оператором.",
		Apology:         "Извините, у меня возникла техническая заминка.",
		ShutdownBye:     "Извините, мне нужно завершить разговор. Пожалуйста, перезвоните. До свидания!",
		NothingToRepeat: "Мне пока нечего повторить. Чем я могу помочь?",
	}
}

// Deps are what a Service needs. Recorder may be nil.
type Deps struct {
	Config      config.Call
	Prompts     Prompts
	Transcriber stt.Transcriber
	Synthesizer tts.Synthesizer
	Responder   dialog.Responder
	Metrics     *metrics.Metrics
	Logger      *slog.Logger
	// Recorder receives every finished call. It runs on the call's
	// goroutine after the connection is closed, so it may take its time,
	// but it must not keep rec's slices past its return without copying.
	Recorder func(ctx context.Context, rec *Record)
	// Checkpoint, when set, receives the record of a call in progress as
	// it is to be stored if the process dies now (outcome interrupted):
	// once the call has started, and after every turn. It runs on a
	// goroutine of the call's, never on the audio path or the supervisor,
	// one at a time per call and never after the call's Recorder, so it
	// may block (the spool writes and syncs a file). rec is its to keep.
	Checkpoint func(rec *Record)
	// Live, when set, is told what each call is doing, gives the
	// dialplan's registration (the caller's number) and keeps the
	// dialplan's "what next" answer.
	Live        live.Store
	Routing     routing.Rule // the operators queue of a handed-over call, by topic; zero: the dialplan's default
	Instance    string       // this instance's name in the live state
	Environment string       // written into every record
}

// Service answers calls; it implements audiosocket.Handler.
type Service struct {
	deps  Deps
	cache *phraseCache

	mu     sync.Mutex
	active map[uuid.UUID]struct{} // the calls in progress here
}

var _ audiosocket.Handler = (*Service)(nil)

// NewService checks deps and synthesises the prompts.
func NewService(ctx context.Context, deps Deps) (*Service, error) {
	switch {
	case deps.Transcriber == nil, deps.Synthesizer == nil, deps.Responder == nil:
		return nil, errors.New("call: transcriber, synthesizer and responder are required")
	case deps.Metrics == nil, deps.Logger == nil:
		return nil, errors.New("call: metrics and logger are required")
	}
	if deps.Prompts == (Prompts{}) {
		deps.Prompts = DefaultPrompts(deps.Config.Greeting)
	}
	s := &Service{deps: deps, cache: &phraseCache{tts: deps.Synthesizer, audio: map[string]audio.PCM16{}},
		active: map[uuid.UUID]struct{}{}}
	p := deps.Prompts
	for _, text := range []string{p.Greeting, p.Reprompt, p.NoInputBye, p.MaxDurationBye, p.Transfer, p.Apology, p.ShutdownBye, p.NothingToRepeat} {
		if _, err := s.cache.get(ctx, text); err != nil {
			return nil, fmt.Errorf("call: synthesising prompt %q: %w", text, err)
		}
	}
	return s, nil
}

// ServeCall implements audiosocket.Handler: it runs the call until it
// ends. A connection with the UUID of a call in progress, here or (with a
// shared live store) on another instance, is refused: it returns at once,
// so the server hangs up, and it is counted as the protocol error
// "duplicate_uuid". The call in progress goes on undisturbed, and its
// live state, "what next" answer and record stay its own.
func (s *Service) ServeCall(ctx context.Context, conn *audiosocket.Conn) {
	id := conn.ID()
	if !s.claim(id) {
		s.refuse(id, s.deps.Instance)
		return
	}
	defer s.release(id)
	if holder := s.liveElsewhere(ctx, id); holder != "" {
		s.refuse(id, holder)
		return
	}
	newSession(s, conn).run(ctx)
}

// claim marks call id as in progress here; it reports false if it
// already was.
func (s *Service) claim(id uuid.UUID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.active[id]; ok {
		return false
	}
	s.active[id] = struct{}{}
	return true
}

func (s *Service) release(id uuid.UUID) {
	s.mu.Lock()
	delete(s.active, id)
	s.mu.Unlock()
}

// Bounds of the look-up of a call's UUID among the live calls of other
// instances, before the greeting.
const (
	// duplicateCheckWait is as long as the greeting may wait for it; a
	// live store that does not answer in time lets the call through. A
	// Redis on the local network answers in well under a millisecond.
	duplicateCheckWait = 50 * time.Millisecond
	// liveFresh: a session updated longer ago is not a live call but the
	// leftover of a dead instance (a live one renews it every liveRefresh).
	liveFresh = 2*liveRefresh + time.Second
)

// liveElsewhere returns the instance that holds call id live, if it is
// not this one. While the shared store is known to be failing it does not
// ask: the answer would come from this instance's memory anyway, after
// the wait.
func (s *Service) liveElsewhere(ctx context.Context, id uuid.UUID) string {
	if s.deps.Live == nil {
		return ""
	}
	if h, ok := s.deps.Live.(interface{ Healthy() bool }); ok && !h.Healthy() {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, duplicateCheckWait)
	defer cancel()
	sess, err := s.deps.Live.Session(ctx, id.String())
	if err != nil || sess.Instance == s.deps.Instance || time.Since(sess.LastActivity) > liveFresh {
		return ""
	}
	return sess.Instance
}

func (s *Service) refuse(id uuid.UUID, holder string) {
	s.deps.Metrics.ProtocolErrors.WithLabelValues(reasonDuplicateUUID).Inc()
	s.deps.Logger.Warn("call refused: its UUID belongs to a call in progress",
		"call_id", id.String(), "reason", reasonDuplicateUUID, "held_by", holder)
}

// reasonDuplicateUUID is the protocol-error reason of a refused second
// connection with the UUID of a call in progress.
const reasonDuplicateUUID = "duplicate_uuid"

// phraseCache holds synthesised prompts at the synthesizer's rate.
type phraseCache struct {
	tts   tts.Synthesizer
	mu    sync.Mutex
	audio map[string]audio.PCM16
}

// get returns text's audio, synthesising it on first use. The result is
// shared: callers must not modify it.
func (c *phraseCache) get(ctx context.Context, text string) (audio.PCM16, error) {
	c.mu.Lock()
	pcm, ok := c.audio[text]
	c.mu.Unlock()
	if ok {
		return pcm, nil
	}
	pcm, err := c.tts.Synthesize(ctx, text)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.audio[text] = pcm
	c.mu.Unlock()
	return pcm, nil
}
