package call

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/tirevoice/assistant/internal/dialog"
	"github.com/tirevoice/assistant/internal/stt"
	"github.com/tirevoice/assistant/internal/tools"
)

// runTurn answers one caller utterance: final transcript, reply, synthesis.
// It returns once every piece of the reply is queued for playout (or the
// turn was cancelled), not when the caller has heard it.
func (ss *session) runTurn(ctx context.Context, n int, stream stt.Stream, speechEnd time.Time) turnResult {
	defer stream.Close()
	d := ss.svc.deps
	t := Turn{N: n, SpeechEnd: speechEnd, Action: dialog.Continue.String()}

	// The turn must produce its first audio within CALL_TURN_TIMEOUT.
	// After that the reply may take its time, piece by piece.
	deadline, cancelDeadline := context.WithTimeoutCause(ctx, d.Config.TurnTimeout, errTurnTimeout)
	defer cancelDeadline()

	res, err := stream.Finish(deadline)
	t.STTLatency = time.Since(speechEnd)
	d.Metrics.STTFinalLatency.Observe(t.STTLatency.Seconds())
	if err != nil {
		return ss.failTurn(ctx, t, d.Transcriber.Name(), err)
	}
	t.CallerText = res.Text
	ss.log.Debug("caller said", "turn", n, "text", res.Text, "unintelligible", res.Unintelligible)

	sp := ss.newSpeaker(ctx, n)
	transcribed := time.Now()
	var spoke atomic.Bool
	say := func(sctx context.Context, text string) error {
		if !spoke.Swap(true) {
			t.ReplyLatency = time.Since(transcribed)
			d.Metrics.ResponderLatency.Observe(t.ReplyLatency.Seconds())
			cancelDeadline() // the caller will hear something: no more deadline
		}
		t.BotText = append(t.BotText, text)
		return sp.say(sctx, text)
	}
	d.Metrics.ProviderRequests.WithLabelValues(d.Responder.Name()).Inc()
	trace := &tools.Trace{}
	rctx, cancelReply := context.WithCancelCause(tools.WithTrace(ctx, trace))
	stopWatch := context.AfterFunc(deadline, func() {
		if !spoke.Load() {
			cancelReply(errTurnTimeout)
		}
	})
	out, err := ss.conv.Respond(rctx, dialog.Request{
		CallID: ss.rec.ID, Turn: n, Text: res.Text, Unintelligible: res.Unintelligible,
	}, say)
	stopWatch()
	if errors.Is(context.Cause(rctx), errTurnTimeout) {
		err = errTurnTimeout
	}
	cancelReply(nil)
	for _, c := range trace.Calls() {
		tc := ToolCall{Name: c.Name, Args: string(c.Args), Result: c.Result.Say, Duration: c.Duration}
		if c.Err != nil {
			tc.Error = c.Err.Error()
		}
		t.Tools = append(t.Tools, tc)
	}
	ttsLatency, ttsErr := sp.close()
	t.TTSLatency = ttsLatency
	switch {
	case ctx.Err() != nil:
		return turnResult{turn: t} // barge-in or hang-up: nobody listens to the rest
	case err != nil:
		return ss.failTurn(ctx, t, d.Responder.Name(), err)
	case ttsErr != nil:
		return ss.failTurn(ctx, t, d.Synthesizer.Name(), ttsErr)
	}
	t.Action = out.Action.String()
	if out.Fallback != "" {
		// The caller was answered, by the fallback: the record and the
		// metrics still say that the responder failed.
		ss.providerFailed(d.Responder.Name(), errors.New(out.Fallback))
		t.Failure = d.Responder.Name()
	}
	return turnResult{turn: t, outcome: out}
}

var errTurnTimeout = errors.New("turn timed out before the first audio")

// failTurn records a provider failure and plays the cached apology; the
// supervisor hands the caller to an operator after a second failure.
func (ss *session) failTurn(ctx context.Context, t Turn, provider string, err error) turnResult {
	if cause := context.Cause(ctx); ctx.Err() != nil && !errors.Is(cause, errTurnTimeout) {
		return turnResult{turn: t}
	}
	ss.providerFailed(provider, err)
	t.Failure = provider
	id := utteranceID(t.N, len(t.BotText))
	ss.noteQueued(id, ss.svc.deps.Prompts.Apology)
	ss.playPrompt(ctx, id, ss.svc.deps.Prompts.Apology)
	t.BotText = append(t.BotText, ss.svc.deps.Prompts.Apology)
	return turnResult{turn: t, apologised: true}
}

func (ss *session) providerFailed(provider string, err error) {
	ss.m.ProviderErrors.WithLabelValues(provider).Inc()
	ss.log.Warn("provider failed", "provider", provider, "err", err)
}

// repeat speaks the last answer again (DTMF #).
func (ss *session) repeat(ctx context.Context, n int, texts []string) turnResult {
	t := Turn{N: n, BotText: texts, Action: dialog.Continue.String(), CallerText: "#"}
	sp := ss.newSpeaker(ctx, n)
	for _, text := range texts {
		if sp.say(ctx, text) != nil {
			break
		}
	}
	if _, err := sp.close(); err != nil && ctx.Err() == nil {
		return ss.failTurn(ctx, t, ss.svc.deps.Synthesizer.Name(), err)
	}
	return turnResult{turn: t}
}

// speaker synthesises the pieces of one reply in order, on its own
// goroutine, while the Responder goes on writing the next ones.
type speaker struct {
	texts chan string
	done  chan struct{}
	first time.Duration // first piece to its audio
	err   error
}

func (ss *session) newSpeaker(ctx context.Context, turn int) *speaker {
	sp := &speaker{texts: make(chan string, 8), done: make(chan struct{})}
	go func() {
		defer close(sp.done)
		piece := 0
		for text := range sp.texts {
			if sp.err != nil || ctx.Err() != nil {
				continue // drain so that say never blocks on a dead speaker
			}
			start := time.Now()
			ss.m.ProviderRequests.WithLabelValues(ss.svc.deps.Synthesizer.Name()).Inc()
			pcm, err := ss.svc.deps.Synthesizer.Synthesize(ctx, text)
			if err != nil {
				if ctx.Err() == nil {
					sp.err = err
				}
				continue
			}
			if piece == 0 {
				sp.first = time.Since(start)
				ss.m.TTSFirstByte.Observe(sp.first.Seconds())
			}
			if ctx.Err() != nil {
				continue // cancelled while synthesising: do not play it
			}
			id := utteranceID(turn, piece)
			ss.noteQueued(id, text) // before the player can start it
			ss.play(id, pcm, ss.svc.deps.Synthesizer.Rate())
			piece++
		}
	}()
	return sp
}

// say queues text for synthesis; it blocks only while 8 pieces wait.
func (sp *speaker) say(ctx context.Context, text string) error {
	select {
	case sp.texts <- text:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// close waits until every queued piece is synthesised and queued for
// playout, and reports the first piece's synthesis time and any error.
func (sp *speaker) close() (time.Duration, error) {
	close(sp.texts)
	<-sp.done
	return sp.first, sp.err
}

// spokenPiece is one piece of a turn's reply as the caller got it. The
// call record keeps the pieces that started playing: a reply the caller
// cut short lists what was heard, not what was written.
type spokenPiece struct {
	id      uint64
	text    string
	started bool // its first frame went out
	cut     bool // Flush or Cancel ended it: midway if started, else unheard
}

// noteQueued records that the piece id of a turn is about to be queued for
// playout.
func (ss *session) noteQueued(id uint64, text string) {
	turn := int(id >> 16)
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.spoken == nil {
		ss.spoken = map[int][]spokenPiece{}
	}
	ss.spoken[turn] = append(ss.spoken[turn], spokenPiece{id: id, text: text})
}

// notePlayback records what the player did with utterance id: started it,
// or finished it, interrupted or not. ss.mu is held; it runs on the
// player's goroutine once per utterance.
func (ss *session) notePlayback(id uint64, started, interrupted bool) {
	pieces := ss.spoken[int(id>>16)]
	for i := range pieces {
		if pieces[i].id != id {
			continue
		}
		if started {
			pieces[i].started = true
		} else if interrupted {
			pieces[i].cut = true
		}
		return
	}
}

// keepPlayed makes t say what the caller heard of it: BotText holds the
// pieces that started playing, and a piece the player cut, midway or
// before it started, marks the turn interrupted. A turn's BotText as its
// worker returns it is what it meant to say; this is applied to the
// record's copies only. ss.mu is held.
func (ss *session) keepPlayed(t *Turn) {
	if t.N == 0 {
		return
	}
	var heard []string
	for _, p := range ss.spoken[t.N] {
		if p.started {
			heard = append(heard, p.text)
		}
		if p.cut {
			t.Interrupted = true
		}
	}
	t.BotText = heard
}

// cancelTurnAudio drops what the running turn has queued for playout and
// makes the player refuse the rest: its worker may be queueing a piece at
// this very moment, before it sees its context cancelled.
func (ss *session) cancelTurnAudio() {
	if p := ss.player.Load(); p != nil {
		p.Cancel(ss.turn.Load())
	}
}

// closeUnheard closes the recognition streams of utterances the supervisor
// never took from its events. It runs once the reader has returned, so
// nothing is emitted any more.
func (ss *session) closeUnheard() {
	for {
		select {
		case ev := <-ss.events:
			if ev.stream != nil {
				ev.stream.Close()
			}
		default:
			return
		}
	}
}
