package callsim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/tirevoice/assistant/internal/audio"
	"github.com/tirevoice/assistant/internal/audiosocket"
	"github.com/tirevoice/assistant/internal/speechcodec"
)

// Options tune one run.
type Options struct {
	Addr string    // the processor's AudioSocket address, host:port
	ID   uuid.UUID // the call's UUID; zero picks a random one
	Out  io.Writer // the live transcript; nil discards it
	// MaxLead and MaxGap bound the bot's pacing: frames may arrive at most
	// MaxLead frames ahead of real time (default 6) and never more than
	// MaxGap apart (default 1 s; Asterisk hangs up after 2 s).
	MaxLead int
	MaxGap  time.Duration
	// API is the processor's HTTP address (http://host:port) and APIToken
	// its bearer token, for scenarios that check the call record.
	API      string
	APIToken string
	// Line, when set, is merged into the scenario's line: the keys it
	// sets replace the scenario's (see ParseLine).
	Line *LineOverride
}

// Result is what a run found.
type Result struct {
	Passed  bool
	Failure string // the failed expectation, when !Passed
	// Turns are the bot's answers to the caller's lines, with the latency
	// from the end of the caller's speech to the bot's first audio frame
	// (endpointing silence included).
	Turns           []Turn
	GreetingLatency time.Duration // from the UUID frame to the bot's first audible frame
	BotPhrases      []string      // everything the bot said, decoded
	// BotSpeech is when the bot was audible, since the call started: runs
	// of audible frames joined across pauses shorter than speechJoin, so
	// that a prompt's timing (a re-prompt after the no-input timeout) can
	// be checked.
	BotSpeech   []Span
	Pacing      Pacing
	HungUpByBot bool
	Line        LineStats // what the line's loss and jitter did
}

// LineStats counts what the simulated network did to a call's frames.
type LineStats struct {
	Seed uint64 // of the loss and jitter: --line seed=N replays them
	// CallerFrames are the caller's audio frames the network delivered
	// to the processor or lost (not sent): CallerLost of them. Frames
	// still held back by jitter when the call ended, DTX silence and
	// pauses are in neither; DTMF is never lost and not counted.
	CallerFrames, CallerLost int
	// BotFrames are the processor's audio frames that reached the line,
	// of which BotLost were lost and played to the caller as silence.
	BotFrames, BotLost int
	MaxJitter          time.Duration // the longest a caller frame or digit was held back
}

// String is the counts and the seed in a line: "caller frames lost 3 of
// 150 (2.0 %), bot frames lost ..., jitter max 18.2 ms; seed 42".
func (st LineStats) String() string { return fmt.Sprintf("%s; seed %d", st.counts(), st.Seed) }

func (st LineStats) counts() string {
	return fmt.Sprintf("caller frames lost %s, bot frames lost %s, jitter max %.1f ms",
		share(st.CallerLost, st.CallerFrames), share(st.BotLost, st.BotFrames), ms(st.MaxJitter))
}

func share(n, of int) string {
	if of == 0 {
		return "0 of 0"
	}
	return fmt.Sprintf("%d of %d (%.1f %%)", n, of, 100*float64(n)/float64(of))
}

// Span is a stretch of time, from the call's start.
type Span struct{ Start, End time.Duration }

// speechJoin is the longest pause inside one stretch of the bot's speech.
const speechJoin = time.Second

// Turn is one caller line and how long the bot took to answer it.
type Turn struct {
	Caller  string
	Latency time.Duration
}

// Pacing describes how the bot's audio arrived.
type Pacing struct {
	Frames  int           // audio frames received
	MaxLead int           // most frames ahead of real time
	MaxGap  time.Duration // longest wait between two frames
	Elapsed time.Duration // first to last frame
}

// audibleEnergy separates the bot's voice from the silence frames it sends
// between utterances (mean square; ~-50 dBFS).
const audibleEnergy = 100 * 100

// Unintelligible is how the transcript shows bot audio that did not decode.
const Unintelligible = "[неразборчиво]"

// Run plays sc against the processor at opt.Addr. An error means the call
// could not be made (or opt.Line does not fit the scenario's line); a
// failed expectation is a Result with Passed false.
func Run(ctx context.Context, sc *Scenario, opt Options) (*Result, error) {
	return run(ctx, sc, opt, extras{})
}

// extras are what Run's callers inside the package may add: the load's
// call number and the tests' probes. The zero value is a plain Run.
type extras struct {
	seedOffset uint64            // added to the line's seed: call n of a load gets n, so calls lose different frames
	stamp      bool              // write each caller frame's number into its first sample, for a peer to tell frames apart
	hear       func(audio.PCM16) // called with each bot frame as the caller's decoder gets it
}

// effectiveLine is the scenario's line with the override merged in.
func effectiveLine(sc *Scenario, o *LineOverride) (Line, error) {
	if o == nil {
		return sc.Line, nil
	}
	return o.Apply(sc.Line)
}

func run(ctx context.Context, sc *Scenario, opt Options, x extras) (*Result, error) {
	line, err := effectiveLine(sc, opt.Line)
	if err != nil {
		return nil, err
	}
	if opt.Out == nil {
		opt.Out = io.Discard
	}
	if opt.MaxLead == 0 {
		opt.MaxLead = 6
	}
	if opt.MaxGap == 0 {
		opt.MaxGap = time.Second
	}
	if opt.ID == uuid.Nil {
		opt.ID = uuid.New()
	}
	if sc.Caller != "" {
		if err := register(ctx, opt, sc); err != nil {
			return nil, err
		}
	}
	client, err := audiosocket.Dial(ctx, opt.Addr, opt.ID)
	if err != nil {
		return nil, err
	}
	s := newSim(sc, opt, client, line, x)
	defer client.Close()

	var wg sync.WaitGroup
	sendCtx, stopSending := context.WithCancel(ctx)
	wg.Go(func() { s.receive() })
	wg.Go(func() { s.sendLoop(sendCtx) })

	s.printf("call %s to %s (%s, %s)", opt.ID, opt.Addr, sc.Name, s.rate)
	if shown := line; shown.String() != "clean" {
		if line.impaired() {
			shown.Seed = s.seed // the one in use, to replay the call with
		}
		s.printf("line %s", shown)
	}
	failure := s.script(ctx)
	stopSending()
	client.Close()
	wg.Wait()

	s.mu.Lock()
	defer s.mu.Unlock()
	res := &s.res
	res.Passed, res.Failure = failure == "", failure
	if failure == "" {
		res.Failure = s.checkNever()
		res.Passed = res.Failure == ""
	}
	if res.Passed {
		res.Failure = s.checkPacing()
		res.Passed = res.Failure == ""
	}
	if res.Passed && sc.Record != nil {
		res.Failure = checkRecord(ctx, opt, sc.Record)
		res.Passed = res.Failure == ""
	}
	if !res.Passed && line.impaired() {
		res.Failure += fmt.Sprintf(" (line seed %d)", s.seed)
	}
	s.summary(res)
	return res, nil
}

type command struct {
	speech audio.PCM16 // caller speech at the call's rate
	digit  byte
	pause  time.Duration  // send nothing at all this long
	done   chan time.Time // receives when the command has gone out (a pause: when it is over)
}

type sim struct {
	sc     *Scenario
	opt    Options
	client *audiosocket.Client
	line   Line   // the scenario's, with Options.Line merged in
	seed   uint64 // of the line's loss and jitter
	x      extras
	rate   audio.Rate
	start  time.Time
	enc    *speechcodec.Encoder

	cmds    chan command
	phrases chan string   // decoded bot phrases, in order
	audible chan struct{} // a bot frame was audible (coalescing)
	hungUp  chan struct{} // closed when the connection ended

	outMu sync.Mutex

	mu          sync.Mutex // guards the fields below
	res         Result
	speechEnd   time.Time // end of the caller's last line; zero once answered
	speechText  string
	botQuiet    bool // the bot was quiet at some point after speechEnd
	echo        audio.PCM16
	echoPrimed  bool
	lastFrame   time.Time
	firstFrame  time.Time
	botByBot    bool
	receiveDone bool
}

func newSim(sc *Scenario, opt Options, c *audiosocket.Client, line Line, x extras) *sim {
	seed := lineSeed(sc, &line) + x.seedOffset
	return &sim{
		sc: sc, opt: opt, client: c, line: line, seed: seed, x: x,
		res:     Result{Line: LineStats{Seed: seed}},
		rate:    audio.Rate(sc.Rate),
		start:   time.Now(),
		enc:     speechcodec.NewEncoder(),
		cmds:    make(chan command),
		phrases: make(chan string, 256),
		audible: make(chan struct{}, 1),
		hungUp:  make(chan struct{}),
	}
}

func (s *sim) printf(format string, args ...any) {
	s.outMu.Lock()
	defer s.outMu.Unlock()
	el := time.Since(s.start)
	fmt.Fprintf(s.opt.Out, "[%3d.%03ds] %s\n", int(el.Seconds()), el.Milliseconds()%1000, fmt.Sprintf(format, args...))
}

// script runs the steps in order and returns the first failure, or "".
func (s *sim) script(ctx context.Context) string {
	for i := range s.sc.Steps {
		st := &s.sc.Steps[i]
		if err := s.step(ctx, st); err != nil {
			return fmt.Sprintf("step %d (%s): %v", i+1, st, err)
		}
	}
	return ""
}

var errHungUp = errors.New("the bot hung up")

func (s *sim) step(ctx context.Context, st *Step) error {
	switch {
	case st.Say != "":
		pcm, err := s.enc.Encode(st.Say)
		if err != nil {
			return err
		}
		if s.rate != s.enc.Rate() {
			pcm = audio.NewResampler(s.enc.Rate(), s.rate).Process(nil, pcm)
		}
		s.printf("caller: %s", st.Say)
		done := make(chan time.Time, 1)
		if err := s.command(ctx, command{speech: pcm, done: done}); err != nil {
			return err
		}
		select {
		case end := <-done:
			s.mu.Lock()
			s.speechEnd, s.speechText, s.botQuiet = end, st.Say, false
			s.mu.Unlock()
			return nil
		case <-s.hungUp:
			return errHungUp
		case <-ctx.Done():
			return ctx.Err()
		}

	case st.Expect != "":
		return s.expect(ctx, st.re, st.Timeout)

	case st.ExpectAudio:
		select { // forget audio heard before this step
		case <-s.audible:
		default:
		}
		return s.wait(ctx, s.audible, st.Timeout, "the bot did not speak")

	case st.ExpectHangup:
		if err := s.wait(ctx, s.hungUp, st.Timeout, "the bot did not hang up"); err != nil {
			return err
		}
		s.mu.Lock()
		byBot := s.botByBot
		s.mu.Unlock()
		if !byBot {
			return errors.New("the connection broke instead of a hangup")
		}
		return nil

	case st.DTMF != "":
		for _, d := range []byte(st.DTMF) {
			s.printf("caller presses %c", d)
			done := make(chan time.Time, 1)
			if err := s.command(ctx, command{digit: d, done: done}); err != nil {
				return err
			}
			select { // as for speech: the sender stops when the call ends
			case <-done:
			case <-s.hungUp:
				return errHungUp
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil

	case st.Silence > 0:
		t := time.NewTimer(st.Silence)
		defer t.Stop()
		select {
		case <-t.C:
			return nil
		case <-s.hungUp:
			return errHungUp
		case <-ctx.Done():
			return ctx.Err()
		}

	case st.Pause > 0:
		s.printf("caller's line sends nothing for %s", st.Pause)
		done := make(chan time.Time, 1)
		if err := s.command(ctx, command{pause: st.Pause, done: done}); err != nil {
			return err
		}
		select {
		case <-done:
			s.printf("caller's line sends again")
			return nil
		case <-s.hungUp:
			return errHungUp
		case <-ctx.Done():
			return ctx.Err()
		}

	case st.Hangup:
		s.printf("caller hangs up")
		return s.client.Close()
	}
	return errors.New("empty step")
}

func (s *sim) command(ctx context.Context, c command) error {
	select {
	case s.cmds <- c:
		return nil
	case <-s.hungUp:
		return errHungUp
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *sim) wait(ctx context.Context, ch <-chan struct{}, timeout time.Duration, what string) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-ch:
		return nil
	case <-t.C:
		return errors.New(what)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// expect gathers the bot's phrases until their text matches re.
func (s *sim) expect(ctx context.Context, re *regexp.Regexp, timeout time.Duration) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	var heard []string
	for {
		select {
		case p := <-s.phrases:
			heard = append(heard, p)
			if re.MatchString(strings.Join(heard, " ")) {
				return nil
			}
		case <-t.C:
			return fmt.Errorf("timed out; the bot said %q", heard)
		case <-s.hungUp:
			// Phrases decoded before the hangup still count.
			for {
				select {
				case p := <-s.phrases:
					heard = append(heard, p)
					if re.MatchString(strings.Join(heard, " ")) {
						return nil
					}
					continue
				default:
				}
				break
			}
			return fmt.Errorf("%w; it said %q", errHungUp, heard)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// sendLoop is Asterisk's side of the line: one frame every 20 ms of real
// time, speech when the script speaks, silence otherwise, with the line's
// echo and noise mixed in. On a DTX line only the frames that carry speech
// go out; during a pause nothing does, DTMF included. The network then
// loses some audio frames (never DTMF) and holds the rest back by its
// jitter, in order. The clock runs on regardless: what is not sent is
// lost, as on a real line.
func (s *sim) sendLoop(ctx context.Context) {
	x := newSender(s)
	defer x.report()
	tick := time.NewTimer(0)
	defer tick.Stop()
	start := time.Now()
	n := 0 // frame n of the call is due at start + n×20 ms
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.hungUp:
			return
		case c := <-s.cmds:
			x.take(c)
			continue
		case <-tick.C:
		}
		if due := start.Add(time.Duration(n) * audio.FrameTime); !time.Now().Before(due) {
			if x.tick(n, due) != nil {
				return
			}
			n++
		}
		if x.deliver(time.Now()) != nil {
			return
		}
		next := start.Add(time.Duration(n) * audio.FrameTime)
		if f, ok := x.held.first(); ok && f.at.Before(next) {
			next = f.at
		}
		tick.Reset(time.Until(next))
	}
}

// sender is sendLoop's state: the caller's phone and its side of the
// network. Only sendLoop's goroutine uses it.
type sender struct {
	s       *sim
	frame   audio.PCM16 // the frame being made
	noise   *rand.Rand
	loss    *speechLoss // per tick between the caller's lines, per frame of each line
	jitter  *jitterLine
	held    heldFrames // frames and digits on their way
	gain    float64    // of the caller's voice, linear
	echoAmp float64    // of the bot's echo, linear; 0 = none
	noiseSD float64    // of the line's noise, in sample units; 0 = none

	speech    audio.PCM16    // what is left to say of the caller's line
	done      chan time.Time // receives when all of it has been said
	digits    []command      // keys pressed and not sent yet
	pauseEnd  time.Time      // zero unless a pause runs
	pauseDone chan time.Time // receives when it ends

	delivered, lost int           // caller audio frames
	maxJitter       time.Duration // the longest a frame or digit was held back
}

func newSender(s *sim) *sender {
	x := &sender{
		s:      s,
		frame:  make(audio.PCM16, s.rate.FrameSamples()),
		noise:  rand.New(rand.NewPCG(1, 2)),
		loss:   newSpeechLoss(&s.line, s.seed, streamCallerLoss, streamCallerSpeech),
		jitter: newJitterLine(&s.line, s.seed),
		held:   newHeldFrames(s.line.Jitter, s.rate.FrameSamples()),
		gain:   math.Pow(10, s.line.GainDB/20),
	}
	if s.line.EchoDB != 0 {
		x.echoAmp = math.Pow(10, s.line.EchoDB/20)
	}
	if s.line.NoiseDBFS != 0 {
		x.noiseSD = 32768 * math.Pow(10, s.line.NoiseDBFS/20)
	}
	return x
}

// take starts a command of the script.
func (x *sender) take(c command) {
	switch {
	case c.pause > 0:
		x.pauseEnd, x.pauseDone = time.Now().Add(c.pause), c.done
	case c.speech != nil:
		x.speech, x.done = c.speech, c.done
		x.loss.next()
	default:
		x.digits = append(x.digits, c)
	}
}

// tick makes frame n of the call, due at due, and puts it on its way.
func (x *sender) tick(n int, due time.Time) error {
	// Drawn for every tick, sent or not, so that the seed alone decides
	// which frames are lost and how late each is.
	at := due.Add(x.jitter.delay())
	if !x.pauseEnd.IsZero() {
		if time.Now().Before(x.pauseEnd) {
			x.loss.lost(false)
			x.s.mixEcho(x.frame, x.echoAmp) // the echo of the bot plays on, unheard
			return nil
		}
		x.pauseDone <- time.Now()
		x.pauseEnd, x.pauseDone = time.Time{}, nil
	}
	speaking := x.compose()
	lost := x.loss.lost(speaking)
	if x.s.x.stamp {
		x.frame[0] = int16(n)
	}
	if speaking || !x.s.line.DTX {
		if lost {
			x.lost++ // Asterisk forwards nothing for a lost packet
		} else if err := x.hold(due, at, x.frame, 0, nil); err != nil {
			return err
		}
	}
	// DTMF goes between audio frames, one digit every 100 ms. It is never
	// lost: Asterisk gets it as RFC 2833 events, sent redundantly.
	if len(x.digits) > 0 && n%5 == 0 {
		if err := x.hold(due, at, nil, x.digits[0].digit, x.digits[0].done); err != nil {
			return err
		}
		x.digits = x.digits[1:]
	}
	return nil
}

// compose fills x.frame with what the caller's phone sends: the caller's
// speech at the line's gain, or silence, with the echo and the noise, then
// through the line's codec. It reports whether the frame carries speech.
func (x *sender) compose() (speaking bool) {
	clear(x.frame)
	if speaking = len(x.speech) > 0; speaking {
		k := copy(x.frame, x.speech)
		x.speech = x.speech[k:]
		for i := range x.frame[:k] {
			x.frame[i] = clip(float64(x.frame[i]) * x.gain)
		}
		if len(x.speech) == 0 {
			x.done <- time.Now().Add(x.s.rate.Duration(k)) // the last sample's end
			x.done = nil
		}
	}
	x.s.mixEcho(x.frame, x.echoAmp)
	if x.noiseSD > 0 {
		for i := range x.frame {
			x.frame[i] = clip(float64(x.frame[i]) + x.noise.NormFloat64()*x.noiseSD)
		}
	}
	x.s.lineCodec(x.frame)
	return speaking
}

// hold puts a frame (pcm, copied) or a digit, due at due, on its way
// through the network: it arrives at at, or with the one ahead of it if
// that one is later. When the network holds all it can (only a sender
// that fell far behind fills it), the oldest goes out at once.
func (x *sender) hold(due, at time.Time, pcm audio.PCM16, digit byte, done chan time.Time) error {
	if x.held.full() {
		f, _ := x.held.first()
		if err := x.send(f); err != nil {
			return err
		}
		x.held.pop()
	}
	at = x.jitter.deliver(at)
	x.maxJitter = max(x.maxJitter, at.Sub(due))
	x.held.push(at, pcm, digit, done)
	return nil
}

// deliver sends what the network delivers by now, in order.
func (x *sender) deliver(now time.Time) error {
	for {
		f, ok := x.held.first()
		if !ok || f.at.After(now) {
			return nil
		}
		if err := x.send(f); err != nil {
			return err
		}
		x.held.pop()
	}
}

func (x *sender) send(f *heldFrame) error {
	if f.digit != 0 {
		if err := x.s.client.SendDTMF(f.digit); err != nil {
			return err
		}
		f.done <- time.Now()
		return nil
	}
	if err := x.s.client.SendAudio(x.s.rate, f.pcm); err != nil {
		return err
	}
	x.delivered++
	return nil
}

// report adds the sender's counts to the result when sendLoop ends.
func (x *sender) report() {
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	st := &x.s.res.Line
	st.CallerFrames, st.CallerLost, st.MaxJitter = x.delivered+x.lost, x.lost, x.maxJitter
}

// mixEcho adds the bot's voice, delayed and attenuated, to the caller's
// frame: the echo of a real telephone line.
func (s *sim) mixEcho(frame audio.PCM16, amp float64) {
	if amp == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delay := s.rate.Samples(s.line.EchoDelay)
	if !s.echoPrimed {
		if len(s.echo) < delay+len(frame) {
			return
		}
		s.echoPrimed = true
	}
	k := min(len(frame), len(s.echo))
	for i := range k {
		frame[i] = clip(float64(frame[i]) + float64(s.echo[i])*amp)
	}
	s.echo = append(s.echo[:0], s.echo[k:]...)
}

// lineCodec passes a frame through the line's G.711 codec, if any.
func (s *sim) lineCodec(frame audio.PCM16) {
	var buf [8192]byte
	switch s.line.Codec {
	case "mulaw":
		b := audio.MulawEncode(buf[:0], frame)
		audio.MulawDecode(frame[:0], b)
	case "alaw":
		b := audio.AlawEncode(buf[:0], frame)
		audio.AlawDecode(frame[:0], b)
	}
}

func clip(v float64) int16 {
	return int16(max(-32768, min(32767, math.Round(v))))
}

// receive reads the bot's frames: the network loses some of them, which
// the caller's phone plays as silence; it decodes what the caller hears,
// measures latency and pacing, and feeds the echo path.
func (s *sim) receive() {
	defer close(s.hungUp)
	dec := speechcodec.NewDecoder(s.rate)
	loss := newSpeechLoss(&s.line, s.seed, streamBotLoss, streamBotSpeech)
	var pcm audio.PCM16
	var frames, lost int
	speaking := false // the last frame was audible
	defer func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.res.Line.BotFrames, s.res.Line.BotLost = frames, lost
	}()
	for {
		f, err := s.client.ReadFrame()
		if err != nil {
			s.mu.Lock()
			done := s.receiveDone
			s.mu.Unlock()
			if !done && !errors.Is(err, io.EOF) && !errors.Is(err, audiosocket.ErrHangup) {
				s.printf("connection: %v", err)
			}
			s.flushPhrases(dec.Flush())
			return
		}
		switch {
		case f.Kind == audiosocket.KindHangup:
			s.flushPhrases(dec.Flush())
			s.mu.Lock()
			s.botByBot, s.res.HungUpByBot, s.receiveDone = true, true, true
			s.mu.Unlock()
			s.printf("bot hangs up")
			return
		case f.Kind.IsAudio():
			pcm = audio.AppendFromS16LE(pcm[:0], f.Payload)
			s.lineCodec(pcm)
			frames++
			audible := audio.Energy(pcm) > audibleEnergy
			if audible && !speaking {
				loss.next() // a stretch of the bot's speech begins
			}
			speaking = audible
			if loss.lost(audible) {
				lost++
				clear(pcm) // the phone plays silence for a lost packet
			}
			if s.x.hear != nil {
				s.x.hear(pcm)
			}
			// Pacing counts the frame all the same: the processor sent it.
			s.onBotFrame(pcm)
			s.flushPhrases(dec.Write(pcm))
		}
	}
}

func (s *sim) flushPhrases(ps []speechcodec.Phrase) {
	for _, p := range ps {
		text := p.Text
		if !p.OK {
			text = Unintelligible
		}
		s.printf("bot: %s", text)
		s.mu.Lock()
		s.res.BotPhrases = append(s.res.BotPhrases, text)
		s.mu.Unlock()
		select {
		case s.phrases <- text:
		default: // nobody expects that much; the transcript has it
		}
	}
}

func (s *sim) onBotFrame(pcm audio.PCM16) {
	now := time.Now()
	audible := audio.Energy(pcm) > audibleEnergy
	s.mu.Lock()
	p := &s.res.Pacing
	if p.Frames == 0 {
		s.firstFrame = now
	} else {
		p.MaxGap = max(p.MaxGap, now.Sub(s.lastFrame))
	}
	p.Frames++
	s.lastFrame = now
	p.Elapsed = now.Sub(s.firstFrame)
	p.MaxLead = max(p.MaxLead, p.Frames-1-int(p.Elapsed/audio.FrameTime))
	if s.line.EchoDB != 0 {
		s.echo = append(s.echo, pcm...)
	}
	var latency time.Duration
	var caller string
	if audible {
		at := now.Sub(s.start)
		if n := len(s.res.BotSpeech); n > 0 && at-s.res.BotSpeech[n-1].End < speechJoin {
			s.res.BotSpeech[n-1].End = at
		} else {
			s.res.BotSpeech = append(s.res.BotSpeech, Span{at, at})
		}
	}
	if audible && s.res.GreetingLatency == 0 {
		s.res.GreetingLatency = now.Sub(s.start)
	}
	if !s.speechEnd.IsZero() {
		if !audible {
			s.botQuiet = true
		} else if s.botQuiet {
			latency, caller = now.Sub(s.speechEnd), s.speechText
			s.res.Turns = append(s.res.Turns, Turn{Caller: caller, Latency: latency})
			s.speechEnd = time.Time{}
		}
	}
	s.mu.Unlock()
	if audible {
		select {
		case s.audible <- struct{}{}:
		default:
		}
	}
	if latency > 0 {
		s.printf("bot starts answering after %.1f ms", ms(latency))
	}
}

// checkNever reports the first bot phrase that matches one of the
// scenario's never expressions, or "". Called with s.mu held.
func (s *sim) checkNever() string {
	for _, p := range s.res.BotPhrases {
		for _, re := range s.sc.never {
			if re.MatchString(p) {
				return fmt.Sprintf("never /%s/: the bot said %q", re, p)
			}
		}
	}
	return ""
}

// checkPacing reports a pacing fault as a failure, or "".
func (s *sim) checkPacing() string {
	p := s.res.Pacing
	switch {
	case p.Frames == 0:
		return "pacing: the bot sent no audio"
	case p.MaxLead > s.opt.MaxLead:
		return fmt.Sprintf("pacing: bot audio ran %d frames ahead of real time (limit %d)", p.MaxLead, s.opt.MaxLead)
	case p.MaxGap > s.opt.MaxGap:
		return fmt.Sprintf("pacing: %s without a frame from the bot (limit %s)", p.MaxGap, s.opt.MaxGap)
	}
	return ""
}

func (s *sim) summary(res *Result) {
	var ls []time.Duration
	for _, t := range res.Turns {
		ls = append(ls, t.Latency)
	}
	slices.Sort(ls)
	lat := "no answered turns"
	if len(ls) > 0 {
		lat = fmt.Sprintf("answer latency p50 %.1f ms, max %.1f ms over %d turns",
			ms(ls[len(ls)/2]), ms(ls[len(ls)-1]), len(ls))
	}
	p := res.Pacing
	pace := fmt.Sprintf("pacing: %d frames in %.1f s, max lead %d frames, max gap %d ms",
		p.Frames, p.Elapsed.Seconds(), p.MaxLead, p.MaxGap.Milliseconds())
	verdict := "PASS"
	if !res.Passed {
		verdict = "FAIL: " + res.Failure
	}
	s.outMu.Lock()
	defer s.outMu.Unlock()
	fmt.Fprintf(s.opt.Out, "%s\n  greeting after %.1f ms; %s\n  %s\n", verdict, ms(res.GreetingLatency), lat, pace)
	if s.line.impaired() {
		fmt.Fprintf(s.opt.Out, "  line: %s\n", res.Line)
	}
}

// ms is d in milliseconds with microsecond precision.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
