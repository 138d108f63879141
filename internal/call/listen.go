package call

import (
	"errors"
	"time"

	"github.com/tirevoice/assistant/internal/audio"
	"github.com/tirevoice/assistant/internal/audiosocket"
	"github.com/tirevoice/assistant/internal/logging"
	"github.com/tirevoice/assistant/internal/stt"
	"github.com/tirevoice/assistant/internal/vad"
)

// listener is the reader goroutine's state: everything here is touched by
// that goroutine only.
type listener struct {
	inRate  audio.Rate
	inRes   *audio.Resampler // caller's rate -> 8 kHz; nil at 8 kHz
	raw     audio.PCM16      // decoded frame at the caller's rate
	pending audio.PCM16      // 8 kHz samples not yet cut into 20 ms frames

	vad     *vad.Detector
	preroll [][]int16 // ring of the last frames, each 160 samples
	next    int       // ring write position
	filled  int

	echo *echoCanceller // nil until the player runs, or with CALL_ECHO_CANCEL off
	// For the frame being processed: the echo the canceller says it may
	// still hold, when it can say (cancelled).
	residual  float64
	cancelled bool

	capture  stt.Stream // nil unless the caller is mid-utterance
	captured int        // frames written to capture
	heard    bool       // the plain detector has called the capture speech

	// loud counts the consecutive frames, up to the current one, that the
	// barge-in detector's noise gate passed: while the bot talks the plain
	// detector does not run, so speech that began in the bot's echo tail
	// is older than the plain detector knows.
	loud int

	warn      *frameWarnings
	dtmfDue   time.Time   // when the digits taken so far would be done at a human's pace
	lastAudio time.Time   // monotonic: when the last audio frame arrived (the call's start before the first)
	quiet     audio.PCM16 // a 20 ms frame of silence at 8 kHz, never written
}

const analysisRate = audio.Rate8k // the rate of VAD and STT

// prerollMargin is the audio, in 20 ms frames, kept before the detected
// start of speech.
const prerollMargin = 5

// DTMF pace: a person presses at most about ten keys a second (ITU-T Q.24:
// a digit lasts at least 40 ms, and so does the pause after it), and a phone
// that dials a stored sequence no faster. Digits beyond dtmfBurst ahead of
// one per dtmfInterval are a flood: they are dropped and counted, so that a
// peer cannot make the call repeat its answer ('#') hundreds of times a
// second or grow the record without bound.
const (
	dtmfInterval = 50 * time.Millisecond
	dtmfBurst    = 20 * dtmfInterval // 20 digits at once, as after a network stall
)

// readLoop reads frames until the connection ends. It owns the listener.
func (ss *session) readLoop() {
	cfg := ss.svc.deps.Config
	l := &listener{
		vad:     vad.New(vad.Config{StartSpeech: cfg.SpeechStart, EndSilence: cfg.EndpointSilence}),
		preroll: make([][]int16, ss.cfg.prerollFrames),
		pending: make(audio.PCM16, 0, 4*analysisRate.FrameSamples()),
		warn:    newFrameWarnings(ss.m),
		quiet:   make(audio.PCM16, analysisRate.FrameSamples()),
		// Until the first frame, the line has been silent since the call
		// began.
		lastAudio: time.Now(),
	}
	for i := range l.preroll {
		l.preroll[i] = make([]int16, analysisRate.FrameSamples())
	}
	defer func() {
		if l.capture != nil {
			l.capture.Close()
		}
		l.warn.flush(ss.log)
		if l.echo != nil {
			ss.echo.delay, _ = l.echo.ac.Delay()
			ss.echo.missing = l.echo.missing
		}
	}()
	for {
		// Missing frames are silence: a phone with silence suppression
		// sends nothing once the caller stops talking. Mid-utterance the
		// read gives up when the endpointing silence has passed since the
		// last audio, so the turn ends on time rather than at the next
		// frame, which may come only when the caller speaks again.
		var until time.Time
		if l.capture != nil {
			until = l.lastAudio.Add(cfg.EndpointSilence)
		}
		f, err := ss.conn.ReadFrameUntil(until)
		if errors.Is(err, audiosocket.ErrNoFrame) {
			ss.onGap(l)
			continue
		}
		if err != nil {
			return // the connection cancelled the call's context with the cause
		}
		switch {
		case f.Kind.IsAudio():
			now := time.Now()
			ss.fillGap(l, now.Sub(l.lastAudio))
			l.lastAudio = now
			ss.onAudio(l, f.Kind.Rate(), f.Payload, now)
		case f.Kind == audiosocket.KindDTMF:
			ss.onDTMF(l, f.Payload[0])
		default:
			// Conn passes audio, DTMF and UUID frames; a UUID frame has no
			// place mid-call.
			if write, held := l.warn.note(warnUnexpectedFrame); write {
				ss.log.Warn("unexpected frame mid-call, ignored", "frame", f.Kind.String(), logging.Suppressed, held)
			}
		}
	}
}

// onDTMF hands a digit to the supervisor, unless it comes faster than a
// person dials.
func (ss *session) onDTMF(l *listener, digit byte) {
	now := time.Now()
	due := l.dtmfDue
	if due.Before(now) {
		due = now
	}
	due = due.Add(dtmfInterval)
	if due.Sub(now) > dtmfBurst {
		// Dropped, and not charged: once the flood stops, digits pass again.
		if write, held := l.warn.note(warnDTMFFlood); write {
			ss.log.Warn("DTMF faster than a person dials, digit dropped", "digit", string(digit), logging.Suppressed, held)
		}
		return
	}
	l.dtmfDue = due
	ss.emit(l, event{kind: evDTMF, digit: digit, at: now})
}

// onAudio converts one frame from Asterisk, received at `at`, to 8 kHz,
// removes the bot's echo from it and processes it in 20 ms pieces.
func (ss *session) onAudio(l *listener, rate audio.Rate, payload []byte, at time.Time) {
	if rate != l.inRate {
		if l.inRate == 0 {
			ss.rateCh <- rate // capacity 1, sent once
		} else if write, held := l.warn.note(warnRateChange); write {
			ss.log.Warn("caller changed sample rate mid-call", "from_hz", int(l.inRate), "to_hz", int(rate), logging.Suppressed, held)
		}
		l.inRate, l.inRes = rate, nil
		if rate != analysisRate {
			l.inRes = audio.NewResampler(rate, analysisRate)
		}
	}
	l.raw = audio.AppendFromS16LE(l.raw[:0], payload)
	if l.inRes != nil {
		l.pending = l.inRes.Process(l.pending, l.raw)
	} else {
		l.pending = append(l.pending, l.raw...)
	}
	if l.echo == nil {
		l.echo = ss.newEchoCanceller()
	}
	n := analysisRate.FrameSamples()
	for len(l.pending) >= n {
		if l.echo != nil {
			l.echo.process(l.pending[:n], at)
			l.residual, l.cancelled = l.echo.ac.Residual()
			l.cancelled = l.cancelled && l.echo.aligned
		}
		ss.onFrame(l, l.pending[:n])
		l.cancelled = false
		l.pending = append(l.pending[:0], l.pending[n:]...)
	}
}

// onFrame runs voice activity and barge-in detection on one 20 ms frame at
// 8 kHz. It must not block: it runs at the line's pace.
func (ss *session) onFrame(l *listener, f audio.PCM16) {
	cfg := ss.svc.deps.Config
	copy(l.preroll[l.next], f)
	l.next = (l.next + 1) % len(l.preroll)
	l.filled = min(l.filled+1, len(l.preroll))

	if l.capture != nil {
		ss.feed(l, f)
		return
	}
	var bargeIn bool
	if l.cancelled {
		bargeIn = ss.barge.ProcessCancelled(f, l.residual)
	} else {
		bargeIn = ss.barge.Process(f)
	}
	if ss.barge.Diagnostics().Speech {
		l.loud = min(l.loud+1, len(l.preroll))
	} else {
		l.loud = 0
	}
	if ss.botActive() {
		// The line carries the bot's echo: only the echo-aware detector
		// may decide that the caller speaks.
		switch {
		case !bargeIn || !cfg.BargeIn:
		case ss.player.Load().Speaking():
			ss.silenceBot()
			// The detector counts caller speech over a window, so the
			// speech may have begun anywhere in the pre-roll.
			ss.startCapture(l, len(l.preroll))
			// Speech that began in a pause of the bot (its trailing breath,
			// say) cancels the rest of the turn too, but the caller did
			// not talk over the bot: only an overlap counts as a barge-in.
			overlap := ss.botAudibleWithin(cfg.BargeInSpeech / 2)
			d := ss.barge.Diagnostics()
			ss.log.Debug("barge-in", "overlap", overlap, "level_dbfs", d.Level, "floor_dbfs", d.Floor,
				"echo_dbfs", d.Echo, "erl_db", d.ERL, "echo_delay_ms", d.Delay.Milliseconds())
			ss.emit(l, event{kind: evBargeIn, at: time.Now(), overlap: overlap})
		default:
			// The bot has finished; only its echo tail remains. The
			// caller simply starts a turn.
			ss.startCapture(l, len(l.preroll))
			ss.emit(l, event{kind: evSpeechStart, at: time.Now()})
		}
		return
	}
	if l.detect(ss.barge, f) == vad.SpeechStart {
		// From a little before the start of speech, so that the
		// recogniser gets the onset but not the line's earlier noise (or
		// the tail of the bot's echo). The speech may have begun while the
		// bot's echo tail kept the plain detector asleep: then from where
		// the line got loud.
		ss.startCapture(l, max(ss.cfg.startFrames, l.loud)+prerollMargin)
		ss.emit(l, event{kind: evSpeechStart, at: time.Now()})
	}
}

// detect runs the plain detector on a frame that barge has already heard.
// The plain detector sleeps while the bot talks, so its first frame comes
// after the greeting and may well be the caller's first word: it starts from
// the floor the barge-in detector has measured since the line opened rather
// than taking that word for the line's noise. The same holds after a Reset.
func (l *listener) detect(barge *vad.BargeIn, f audio.PCM16) vad.Event {
	if l.vad.Elapsed() == 0 {
		l.vad.SeedFloor(barge.Floor())
	}
	return l.vad.Process(f)
}

// botActive reports whether the bot is speaking or spoke within the echo
// tail, so that the line may carry its echo.
func (ss *session) botActive() bool {
	if p := ss.player.Load(); p != nil && p.Speaking() {
		return true
	}
	return ss.botAudibleWithin(ss.svc.deps.Config.EchoTail)
}

// botAudibleWithin reports whether an audible bot frame went out within d.
func (ss *session) botAudibleWithin(d time.Duration) bool {
	last := ss.lastBot.Load()
	return last != 0 && time.Since(time.Unix(0, last)) < d
}

// silenceBot stops playout at once, from the reader goroutine, so that the
// bot goes quiet within one frame of the detector firing rather than after
// the supervisor gets round to it.
func (ss *session) silenceBot() {
	ss.framesAfter.Store(0)
	ss.bargeFired.Store(true)
	if p := ss.player.Load(); p != nil {
		p.Flush()
		p.Cancel(ss.turn.Load()) // and what its worker queues before the supervisor stops it
	}
}

// startCapture opens a recognition stream and gives it the pre-roll: the
// last frames frames of audio, from before the detector fired.
func (ss *session) startCapture(l *listener, frames int) {
	stream, err := ss.svc.deps.Transcriber.Stream(ss.ctx, analysisRate)
	if err != nil {
		ss.providerFailed(ss.svc.deps.Transcriber.Name(), err)
		return
	}
	ss.m.ProviderRequests.WithLabelValues(ss.svc.deps.Transcriber.Name()).Inc()
	l.capture, l.captured, l.heard = stream, 0, l.vad.InSpeech()
	n := min(frames, l.filled)
	for i := range n {
		frame := l.preroll[(l.next-n+i+len(l.preroll))%len(l.preroll)]
		if err := stream.Write(frame); err != nil {
			break
		}
	}
}

// feed gives a frame to the open recognition stream and ends the turn on
// endpointing silence or at the utterance limit.
func (ss *session) feed(l *listener, f audio.PCM16) {
	if err := l.capture.Write(f); err != nil {
		ss.log.Debug("stt write failed", "err", err)
	}
	l.captured++
	ev := l.detect(ss.barge, f)
	if l.vad.InSpeech() {
		l.heard = true
	}
	// Endpointing is the detector's SpeechEnd. A capture opened by the
	// barge-in detector may hold speech too short for the plain detector
	// to call it speech; it ends after the same silence.
	endpoint := ev == vad.SpeechEnd || !l.heard && l.captured >= ss.cfg.endpointFrames
	tooLong := l.captured >= ss.cfg.maxUtteranceFrames
	if !endpoint && !tooLong {
		return
	}
	if tooLong {
		l.vad.Reset() // the caller still speaks: the next turn starts afresh
	}
	ss.endCapture(l)
}

// fillGap gives the detectors the silence the caller's line did not send:
// a line with silence suppression carries only speech, and detectors that
// learn the line's quiet from what they hear would otherwise take the
// speech itself for the noise floor and never hear it start. Gaps shorter
// than gapFill are jitter, not silence; at most maxGapFill is filled, enough
// for the floor trackers to settle.
func (ss *session) fillGap(l *listener, gap time.Duration) {
	if gap < gapFill {
		return
	}
	for range min(int(gap/audio.FrameTime)-1, maxGapFill) {
		ss.onFrame(l, l.quiet)
	}
}

const (
	gapFill    = 100 * time.Millisecond
	maxGapFill = int(time.Second / audio.FrameTime)
)

// onGap runs when the caller's frames have stopped for the endpointing
// silence: what a phone with silence suppression sends after speech is
// nothing at all. A turn in progress ends as if that silence had been
// heard.
func (ss *session) onGap(l *listener) {
	if l.capture == nil {
		return
	}
	// The detectors never heard the silence: their state is still the
	// speech's, so the next frame starts afresh.
	l.vad.Reset()
	l.loud = 0
	ss.endCapture(l)
}

// endCapture hands the open recognition stream to the supervisor as the
// caller's turn.
func (ss *session) endCapture(l *listener) {
	if !l.heard {
		ss.log.Debug("capture ended unheard", "level", l.vad.Level(), "floor", l.vad.Floor(), "in_speech", l.vad.InSpeech(), "frames", l.captured)
	}
	ss.emit(l, event{kind: evUtterance, stream: l.capture, at: time.Now()})
	l.capture = nil
	ss.barge.Rearm() // the caller may interrupt the answer to this turn
}

// emit hands an event to the supervisor. The channel is deep enough for
// any real call (a few events a second); if the supervisor is gone the
// connection is closing and the event no longer matters.
func (ss *session) emit(l *listener, ev event) {
	select {
	case ss.events <- ev:
	default:
		if write, held := l.warn.note(warnEventDropped); write {
			ss.log.Warn("event dropped: supervisor not keeping up", "kind", int(ev.kind), logging.Suppressed, held)
		}
		if ev.stream != nil {
			ev.stream.Close()
		}
	}
}
