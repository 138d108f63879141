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
// could not be made; a failed expectation is a Result with Passed false.
func Run(ctx context.Context, sc *Scenario, opt Options) (*Result, error) {
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
	s := newSim(sc, opt, client)
	defer client.Close()

	var wg sync.WaitGroup
	sendCtx, stopSending := context.WithCancel(ctx)
	wg.Go(func() { s.receive() })
	wg.Go(func() { s.sendLoop(sendCtx) })

	s.printf("call %s to %s (%s, %s)", opt.ID, opt.Addr, sc.Name, s.rate)
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

func newSim(sc *Scenario, opt Options, c *audiosocket.Client) *sim {
	return &sim{
		sc: sc, opt: opt, client: c,
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
// go out; during a pause nothing does, DTMF included. The clock runs on
// regardless: what is not sent is lost, as on a real line.
func (s *sim) sendLoop(ctx context.Context) {
	n := s.rate.FrameSamples()
	frame := make(audio.PCM16, n)
	noise := rand.New(rand.NewPCG(1, 2))
	var (
		speech    audio.PCM16
		done      chan time.Time
		digits    []command
		pauseEnd  time.Time      // zero unless a pause runs
		pauseDone chan time.Time // receives when it ends
		tick      = time.NewTimer(0)
		start     = time.Now()
		sent      int
		gain      = math.Pow(10, s.sc.Line.GainDB/20)
		echoAmp   = 0.0
		noiseSD   = 0.0
	)
	if s.sc.Line.EchoDB != 0 {
		echoAmp = math.Pow(10, s.sc.Line.EchoDB/20)
	}
	if s.sc.Line.NoiseDBFS != 0 {
		noiseSD = 32768 * math.Pow(10, s.sc.Line.NoiseDBFS/20)
	}
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.hungUp:
			return
		case c := <-s.cmds:
			if c.pause > 0 {
				pauseEnd, pauseDone = time.Now().Add(c.pause), c.done
			} else if c.speech != nil {
				speech, done = c.speech, c.done
			} else {
				digits = append(digits, c)
			}
			continue
		case <-tick.C:
		}
		if !pauseEnd.IsZero() {
			if now := time.Now(); now.Before(pauseEnd) {
				s.mixEcho(frame, echoAmp) // the echo of the bot plays on, unheard
				sent++
				tick.Reset(time.Until(start.Add(time.Duration(sent) * audio.FrameTime)))
				continue
			}
			pauseDone <- time.Now()
			pauseEnd, pauseDone = time.Time{}, nil
		}
		clear(frame)
		speaking := len(speech) > 0
		if speaking {
			k := copy(frame, speech)
			speech = speech[k:]
			for i := range frame[:k] {
				frame[i] = clip(float64(frame[i]) * gain)
			}
			if len(speech) == 0 {
				done <- time.Now().Add(s.rate.Duration(k)) // the last sample's end
				done = nil
			}
		}
		s.mixEcho(frame, echoAmp)
		for i := range frame {
			if noiseSD > 0 {
				frame[i] = clip(float64(frame[i]) + noise.NormFloat64()*noiseSD)
			}
		}
		s.lineCodec(frame)
		if (speaking || !s.sc.Line.DTX) && s.client.SendAudio(s.rate, frame) != nil {
			return
		}
		// DTMF goes between audio frames, one digit every 100 ms.
		if len(digits) > 0 && sent%5 == 0 {
			if s.client.SendDTMF(digits[0].digit) != nil {
				return
			}
			digits[0].done <- time.Now()
			digits = digits[1:]
		}
		sent++
		tick.Reset(time.Until(start.Add(time.Duration(sent) * audio.FrameTime)))
	}
}

// mixEcho adds the bot's voice, delayed and attenuated, to the caller's
// frame: the echo of a real telephone line.
func (s *sim) mixEcho(frame audio.PCM16, amp float64) {
	if amp == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delay := s.rate.Samples(s.sc.Line.EchoDelay)
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
	switch s.sc.Line.Codec {
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

// receive reads the bot's frames: it decodes speech, measures latency and
// pacing, and feeds the echo path.
func (s *sim) receive() {
	defer close(s.hungUp)
	dec := speechcodec.NewDecoder(s.rate)
	var pcm audio.PCM16
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
	if s.sc.Line.EchoDB != 0 {
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
}

// ms is d in milliseconds with microsecond precision.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
