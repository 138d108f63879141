package call

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tirevoice/assistant/internal/audio"
	"github.com/tirevoice/assistant/internal/audiosocket"
	"github.com/tirevoice/assistant/internal/dialog"
	"github.com/tirevoice/assistant/internal/live"
	"github.com/tirevoice/assistant/internal/metrics"
	"github.com/tirevoice/assistant/internal/playout"
	"github.com/tirevoice/assistant/internal/routing"
	"github.com/tirevoice/assistant/internal/stt"
	"github.com/tirevoice/assistant/internal/vad"
)

// Utterance IDs: the turn number in the high bits, the piece in the low 16.
// Turn 0 holds the prompts.
const (
	idGreeting uint64 = 1
	idPrompt   uint64 = 2
	idPause    uint64 = 3
)

// audibleEnergy (mean square, about -50 dBFS) separates the bot's voice from
// the silence inside and between its utterances.
const audibleEnergy = 100 * 100

func utteranceID(turn, piece int) uint64 { return uint64(turn)<<16 | uint64(piece) }

type eventKind int

const (
	evSpeechStart eventKind = iota // the caller started speaking on a free line
	evBargeIn                      // the caller interrupted the bot
	evUtterance                    // the caller's turn ended (endpointing)
	evDTMF
)

// event goes from the reader to the supervisor.
type event struct {
	kind   eventKind
	at     time.Time
	stream stt.Stream // evUtterance: the recognition stream to finish
	digit  byte       // evDTMF
	// overlap: evBargeIn: the caller spoke over audible bot speech, rather
	// than into a pause before more of it.
	overlap bool
}

// turnResult goes from a turn worker to the supervisor.
type turnResult struct {
	turn       Turn
	outcome    dialog.Outcome
	apologised bool // a provider failed and the caller heard the apology instead of an answer
}

type session struct {
	svc  *Service
	cfg  callConfig
	conn *audiosocket.Conn
	log  *slog.Logger
	m    *metrics.Metrics

	rec      Record
	started  time.Time
	conv     dialog.Conversation // begun before the first turn, when the caller's number is known
	presence *presence           // nil without live state
	// checkpoints writes the record so far after each turn; nil without
	// Deps.Checkpoint.
	checkpoints *checkpointer
	// topic is what the responder's transfer was about: it chooses the
	// operators queue in the dialplan's answer. Empty is general (the
	// caller pressed 0, the providers failed).
	topic routing.Topic

	events chan event      // reader -> supervisor
	rateCh chan audio.Rate // reader -> supervisor: the caller's rate, once

	player atomic.Pointer[playout.Player] // set once the caller's rate is known
	// tape is what the player sent, for the echo canceller; set with the
	// player, nil while CALL_ECHO_CANCEL is off.
	tape atomic.Pointer[farTape]
	// echo is what the echo canceller found, written by the reader as it
	// ends (the record is finished after it has).
	echo  echoSummary
	rate  audio.Rate // outbound rate, set with player
	barge *vad.BargeIn

	// ctx is the call's context, given to every recognition stream so
	// that none outlives the call.
	ctx context.Context
	// turn is the latest turn the supervisor started: the one a barge-in
	// cancels in the player.
	turn atomic.Uint64

	lastBot     atomic.Int64 // unix ns of the last bot audio frame sent
	bargeFired  atomic.Bool  // the detector fired and no new utterance started since
	framesAfter atomic.Int32 // bot frames sent since bargeFired
	underruns   atomic.Int32
	lateFrames  atomic.Int32
	maxLate     atomic.Int64 // ns: the worst lateness the player reported

	mu         sync.Mutex            // guards the fields below (player observer vs. supervisor)
	speechEnds map[int]time.Time     // turn -> caller's end of speech
	latencies  map[int]time.Duration // turn -> end of speech to first frame
	greetingAt time.Time
	spoken     map[int][]spokenPiece // turn -> its pieces queued for playout, in order
}

// callConfig is config.Call with durations turned into frame counts where
// the reader needs them.
type callConfig struct {
	endpointFrames, maxUtteranceFrames, prerollFrames, startFrames int
}

func newSession(svc *Service, conn *audiosocket.Conn) *session {
	c := svc.deps.Config
	frames := func(d time.Duration) int { return max(1, int(d/audio.FrameTime)) }
	ss := &session{
		svc:  svc,
		conn: conn,
		log:  svc.deps.Logger.With("call_id", conn.ID().String()),
		m:    svc.deps.Metrics,
		cfg: callConfig{
			endpointFrames:     frames(c.EndpointSilence),
			startFrames:        frames(c.SpeechStart),
			maxUtteranceFrames: frames(c.MaxUtterance),
			// Enough to hold the speech that opened the turn: the barge-in
			// detector counts CALL_BARGE_IN_SPEECH over a 600 ms window.
			prerollFrames: frames(max(c.SpeechStart, c.BargeInSpeech) + 600*time.Millisecond),
		},
		events:     make(chan event, 64),
		rateCh:     make(chan audio.Rate, 1),
		speechEnds: map[int]time.Time{},
		latencies:  map[int]time.Duration{},
		barge: vad.NewBargeIn(vad.BargeInConfig{
			MinSpeech: c.BargeInSpeech,
		}),
	}
	ss.rec.ID = conn.ID().String()
	ss.rec.Environment = svc.deps.Environment
	ss.rec.Instance = svc.deps.Instance
	return ss
}

// run is the supervisor: the only place that decides what the call does
// next and the only place that tears it down.
func (ss *session) run(ctx context.Context) {
	cfg := ss.svc.deps.Config
	ss.started = time.Now()
	ss.ctx = ctx
	ss.rec.Started = ss.started
	ss.m.ActiveCalls.Inc()
	defer ss.m.ActiveCalls.Dec()
	ss.presence = ss.startPresence()
	ss.presence.post(live.StateGreeting, 0)

	// The player must outlive ctx: a call cancelled by a shutdown still
	// says goodbye.
	playCtx, stopPlayer := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() { ss.readLoop() })

	// Learn the caller's rate from its first frame; we answer in it.
	rate := audio.Rate8k
	wait := time.NewTimer(cfg.FirstAudioWait)
	select {
	case r := <-ss.rateCh:
		rate = r
	case <-wait.C:
	case <-ctx.Done():
	}
	wait.Stop()
	ss.rate = rate
	ss.rec.Rate = int(rate)
	ss.checkpoints = ss.startCheckpoints()
	defer ss.checkpoints.stop()
	ss.checkpoint()
	if cfg.EchoCancel {
		ss.tape.Store(newFarTape(rate))
	}
	player := playout.New(playout.Config{Rate: rate, Lead: cfg.PlayoutLead}, ss.send, (*playerObserver)(ss))
	ss.player.Store(player)
	playerDone := make(chan error, 1)
	wg.Go(func() { playerDone <- player.Run(playCtx) })

	outcome, reason, failure := ss.converse(ctx, player, playerDone)

	ss.rec.Outcome = outcome
	ss.rec.Reason = reason
	ss.rec.Failure = failure
	ss.rec.Disposition = disposition(outcome)
	r := ss.presence.registration()
	ss.rec.Caller, ss.rec.Called = r.Caller, r.Called
	ss.presence.end(&ss.rec, ss.topic)
	if outcome != metrics.OutcomeCallerHangup {
		// We end the call: Asterisk learns it from the hangup frame.
		if err := ss.conn.Hangup(); err != nil {
			ss.log.Debug("hangup frame not sent", "err", err)
		}
	}
	stopPlayer()
	ss.conn.Close()
	wg.Wait()
	ss.closeUnheard()
	ss.checkpoints.stop()
	ss.finishRecord()
}

// converse runs the conversation until it ends and says how it ended.
func (ss *session) converse(ctx context.Context, player *playout.Player, playerDone <-chan error) (outcome, reason, failure string) {
	cfg := ss.svc.deps.Config
	p := ss.svc.deps.Prompts
	ss.playPrompt(ctx, idGreeting, p.Greeting)
	// waitIdle, when set, fires once the bot has nothing left to say: the
	// moment the no-input timer starts.
	waitIdle := player.Idle()

	maxDuration := time.NewTimer(cfg.MaxDuration - time.Since(ss.started))
	defer maxDuration.Stop()
	noInput := time.NewTimer(time.Hour)
	noInput.Stop()
	defer noInput.Stop()

	var (
		turnCancel context.CancelFunc = func() {}
		turnDone   chan turnResult    // nil when no turn runs
		queue      []event            // utterances waiting for the running turn
		listening  bool               // the caller is mid-utterance
		turnN      int
		reprompts  int
		lastAnswer []string
		failures   int
	)
	defer func() {
		turnCancel()
		// Utterances still waiting for a turn, whatever the way out.
		for _, q := range queue {
			q.stream.Close()
		}
	}()

	startTurn := func(ev event) {
		ss.begin()
		turnN++
		ss.turn.Store(uint64(turnN))
		ss.presence.post(live.StateThinking, turnN)
		ss.mu.Lock()
		ss.speechEnds[turnN] = ev.at
		ss.mu.Unlock()
		tctx, cancel := context.WithCancel(ctx)
		turnCancel = cancel
		done := make(chan turnResult, 1)
		turnDone = done
		n := turnN
		go func() { done <- ss.runTurn(tctx, n, ev.stream, ev.at) }()
	}
	// stopTurn cancels the running turn and waits for its worker, so that
	// nothing it queued can reach the player afterwards.
	stopTurn := func(interrupted bool) {
		if turnDone == nil {
			return
		}
		ss.cancelTurnAudio()
		turnCancel()
		res := <-turnDone
		turnDone = nil
		res.turn.Interrupted = interrupted
		ss.rec.Turns = append(ss.rec.Turns, res.turn)
		ss.checkpoint()
	}
	// end says a last phrase, waits for it to play and reports the
	// outcome. interrupt cuts what the bot is saying first.
	end := func(text, out, why string, interrupt bool) (string, string, string) {
		stopTurn(interrupt)
		for _, q := range queue {
			q.stream.Close()
		}
		queue = nil
		if interrupt {
			ss.interrupt(player)
		}
		ss.playPrompt(context.WithoutCancel(ctx), idPrompt, text)
		ss.waitPlayed(ctx, player, ss.durationOf(text)+time.Minute)
		return out, why, ""
	}

	for {
		select {
		case <-ctx.Done():
			cause := context.Cause(ctx)
			stopTurn(false)
			for _, q := range queue {
				q.stream.Close()
			}
			switch {
			case errors.Is(cause, audiosocket.ErrShutdown):
				ss.interrupt(player)
				ss.playPrompt(context.WithoutCancel(ctx), idPrompt, p.ShutdownBye)
				ss.waitPlayed(context.WithoutCancel(ctx), player, ss.durationOf(p.ShutdownBye)+time.Second)
				return metrics.OutcomeShutdown, "instance shutting down", ""
			case errors.Is(cause, audiosocket.ErrHangup):
				return metrics.OutcomeCallerHangup, "caller hung up", ""
			case errors.Is(cause, audiosocket.ErrTooFast):
				return metrics.OutcomeError, "caller's frames came faster than real time", errString(cause)
			default:
				return metrics.OutcomeError, "connection failed", errString(cause)
			}

		case err := <-playerDone:
			stopTurn(false)
			return metrics.OutcomeError, "playout failed", errString(err)

		case <-maxDuration.C:
			return end(p.MaxDurationBye, metrics.OutcomeMaxDuration, "maximum call duration reached", true)

		case <-noInput.C:
			ss.m.NoInput.Inc()
			ss.rec.NoInputs++
			if reprompts >= cfg.NoInputPrompts {
				return end(p.NoInputBye, metrics.OutcomeNoInput, "no input from the caller", true)
			}
			reprompts++
			ss.playPrompt(ctx, idPrompt, p.Reprompt)
			waitIdle = player.Idle()

		case <-waitIdle:
			waitIdle = nil
			ss.presence.post(live.StateListening, len(ss.rec.Turns))
			if turnDone == nil && !listening && len(queue) == 0 {
				noInput.Reset(cfg.NoInputTimeout)
			}

		case res := <-turnDone:
			turnDone = nil
			ss.rec.Turns = append(ss.rec.Turns, res.turn)
			ss.checkpoint()
			if len(res.turn.BotText) > 0 {
				lastAnswer = res.turn.BotText
			}
			if res.apologised {
				failures++
			} else {
				failures = 0
			}
			if res.outcome.Action == dialog.Transfer {
				ss.topic = res.outcome.Topic
			}
			switch {
			case res.outcome.Action == dialog.Transfer && len(res.turn.BotText) > 0:
				// The responder has said its own words of farewell.
				ss.waitPlayed(ctx, player, time.Minute)
				return metrics.OutcomeOperator, res.outcome.Reason, ""
			case res.outcome.Action == dialog.Transfer:
				return end(p.Transfer, metrics.OutcomeOperator, res.outcome.Reason, false)
			case res.outcome.Action == dialog.Hangup:
				ss.waitPlayed(ctx, player, time.Minute)
				return metrics.OutcomeCompleted, res.outcome.Reason, ""
			case failures >= 2:
				return end(p.Transfer, metrics.OutcomeOperator, "providers failed twice in a row", false)
			}
			if len(queue) > 0 {
				startTurn(queue[0])
				queue = queue[1:]
			}
			waitIdle = player.Idle()

		case ev := <-ss.events:
			switch ev.kind {
			case evSpeechStart:
				listening = true
				reprompts = 0
				noInput.Stop()
			case evBargeIn:
				// The reader has already silenced the player.
				listening = true
				reprompts = 0
				noInput.Stop()
				if ev.overlap {
					ss.m.BargeIns.Inc()
					ss.rec.BargeIns++
				}
				stopTurn(true)
			case evUtterance:
				listening = false
				if turnDone != nil {
					queue = append(queue, ev)
					continue
				}
				startTurn(ev)
			case evDTMF:
				ss.rec.DTMF += string(ev.digit)
				switch ev.digit {
				case '0':
					ss.m.DTMF.WithLabelValues("operator").Inc()
					return end(p.Transfer, metrics.OutcomeOperator, "caller pressed 0", true)
				case '#':
					ss.m.DTMF.WithLabelValues("repeat").Inc()
					stopTurn(true)
					ss.interrupt(player)
					noInput.Stop()
					if len(lastAnswer) == 0 {
						ss.playPrompt(ctx, idPrompt, p.NothingToRepeat)
						waitIdle = player.Idle()
						continue
					}
					turnN++
					ss.turn.Store(uint64(turnN))
					tctx, cancel := context.WithCancel(ctx)
					turnCancel = cancel
					done := make(chan turnResult, 1)
					turnDone = done
					n, texts := turnN, lastAnswer
					go func() { done <- ss.repeat(tctx, n, texts) }()
				default:
					ss.m.DTMF.WithLabelValues("ignored").Inc()
				}
			}
		}
	}
}

// interrupt cuts the bot off and queues a beat of silence, so that what it
// says next does not run straight on from a word cut in half.
func (ss *session) interrupt(player *playout.Player) {
	player.Flush()
	ss.play(idPause, make(audio.PCM16, ss.rate.Samples(pauseAfterInterrupt)), ss.rate)
}

// pauseAfterInterrupt is the silence between a cut-off utterance and the
// next one.
const pauseAfterInterrupt = 200 * time.Millisecond

// playPrompt queues a cached phrase. A prompt that cannot be synthesised is
// logged and skipped: the call goes on without it.
func (ss *session) playPrompt(ctx context.Context, id uint64, text string) {
	pcm, err := ss.svc.cache.get(ctx, text)
	if err != nil {
		ss.log.Warn("prompt not available", "err", err)
		return
	}
	ss.play(id, pcm, ss.svc.deps.Synthesizer.Rate())
}

// play queues pcm at rate for playout at the call's rate.
func (ss *session) play(id uint64, pcm audio.PCM16, rate audio.Rate) {
	if rate != ss.rate {
		pcm = audio.NewResampler(rate, ss.rate).Process(make(audio.PCM16, 0, len(pcm)*int(ss.rate)/int(rate)+64), pcm)
	}
	p := ss.player.Load()
	if err := p.PlayTurn(id>>16, id, pcm); err != nil {
		if !errors.Is(err, playout.ErrCancelled) {
			ss.log.Warn("utterance not queued", "err", err)
		}
		return
	}
	p.End(id)
}

// durationOf estimates how long a prompt plays.
func (ss *session) durationOf(text string) time.Duration {
	pcm, err := ss.svc.cache.get(context.Background(), text)
	if err != nil {
		return 0
	}
	return ss.svc.deps.Synthesizer.Rate().Duration(len(pcm))
}

// waitPlayed waits until the player has nothing left to say, at most limit.
func (ss *session) waitPlayed(ctx context.Context, player *playout.Player, limit time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	_ = player.WaitIdle(ctx) // a timeout or a dead player: hang up anyway
}

// send writes one frame to Asterisk; it is the player's sink.
func (ss *session) send(frame audio.PCM16) error {
	if t := ss.tape.Load(); t != nil {
		t.sent(frame)
	}
	return ss.conn.WriteAudio(ss.rate, frame)
}

func (ss *session) finishRecord() {
	ss.rec.Ended = time.Now()
	ss.mu.Lock()
	for i := range ss.rec.Turns {
		ss.rec.Turns[i].TurnLatency = ss.latencies[ss.rec.Turns[i].N]
		ss.keepPlayed(&ss.rec.Turns[i])
	}
	ss.rec.GreetingLatency = ss.greetingAt.Sub(ss.started)
	if ss.greetingAt.IsZero() {
		ss.rec.GreetingLatency = 0
	}
	ss.mu.Unlock()
	ss.rec.Underruns = int(ss.underruns.Load())
	ss.rec.LateFrames = int(ss.lateFrames.Load())
	ss.rec.MaxLate = time.Duration(ss.maxLate.Load())
	ss.m.Calls.WithLabelValues(ss.rec.Outcome).Inc()
	ss.m.CallDuration.Observe(ss.rec.Duration().Seconds())

	ss.log.Info("call ended",
		"outcome", ss.rec.Outcome,
		"disposition", string(ss.rec.Disposition),
		"reason", ss.rec.Reason,
		"failure", ss.rec.Failure,
		"duration_ms", ss.rec.Duration().Milliseconds(),
		"rate_hz", ss.rec.Rate,
		"turns", len(ss.rec.Turns),
		"greeting_latency_ms", ms(ss.rec.GreetingLatency),
		"turn_latency_p50_ms", ms(ss.rec.LatencyPercentile(50)),
		"turn_latency_max_ms", ms(ss.rec.LatencyPercentile(100)),
		"barge_ins", ss.rec.BargeIns,
		"no_inputs", ss.rec.NoInputs,
		"dtmf", ss.rec.DTMF,
		"underruns", ss.rec.Underruns,
		"late_frames", ss.rec.LateFrames,
		"max_late_ms", ms(ss.rec.MaxLate),
		"echo_delay_ms", ss.echo.delay.Milliseconds(),
		"caller_frames_missing", ss.echo.missing,
	)
	if r := ss.svc.deps.Recorder; r != nil {
		r(context.Background(), &ss.rec)
	}
}

// ms is d in milliseconds with microsecond precision, for log lines.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// playerObserver is the session seen by its player. Its methods run on the
// player's goroutine once per frame or utterance: no I/O, no blocking.
type playerObserver session

var _ playout.Observer = (*playerObserver)(nil)

func (o *playerObserver) FrameSent(energy float64, bot bool) {
	ss := (*session)(o)
	ss.barge.Sent(energy)
	if bot && energy > audibleEnergy {
		ss.lastBot.Store(time.Now().UnixNano())
		if ss.bargeFired.Load() {
			n := ss.framesAfter.Add(1)
			ss.mu.Lock()
			ss.rec.BotFramesAfterBargeIn = max(ss.rec.BotFramesAfterBargeIn, int(n))
			ss.mu.Unlock()
		}
	}
}

func (o *playerObserver) UtteranceStarted(id uint64, at time.Time) {
	ss := (*session)(o)
	ss.bargeFired.Store(false)
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.notePlayback(id, true, false)
	turn, piece := int(id>>16), id&0xffff
	switch {
	case id == idGreeting:
		ss.greetingAt = at
		ss.svc.deps.Metrics.GreetingLatency.Observe(at.Sub(ss.started).Seconds())
		if budget := ss.svc.deps.Config.GreetingBudget; at.Sub(ss.started) > budget {
			ss.log.Warn("greeting later than its budget", "latency_ms", ms(at.Sub(ss.started)), "budget_ms", ms(budget))
		}
	case turn > 0 && piece == 0:
		if end, ok := ss.speechEnds[turn]; ok {
			if _, seen := ss.latencies[turn]; !seen {
				ss.presence.post(live.StateSpeaking, turn)
				ss.latencies[turn] = at.Sub(end)
				ss.svc.deps.Metrics.TurnLatency.Observe(at.Sub(end).Seconds())
			}
		}
	}
}

func (o *playerObserver) UtteranceFinished(id uint64, _ time.Time, interrupted bool) {
	ss := (*session)(o)
	ss.mu.Lock()
	ss.notePlayback(id, false, interrupted)
	ss.mu.Unlock()
}

func (o *playerObserver) Underrun() {
	(*session)(o).underruns.Add(1)
	(*session)(o).m.PlayoutUnderruns.Inc()
}

// Late is counted apart from Underrun: a stall delays the utterance
// rather than putting silence into it, so it never shows as an underrun.
func (o *playerObserver) Late(frames int, by time.Duration) {
	ss := (*session)(o)
	if t := ss.tape.Load(); t != nil {
		t.skipped(frames)
	}
	ss.m.PlayoutLate.Add(float64(frames))
	ss.lateFrames.Add(int32(frames))
	for {
		old := ss.maxLate.Load()
		if int64(by) <= old || ss.maxLate.CompareAndSwap(old, int64(by)) {
			return
		}
	}
}
