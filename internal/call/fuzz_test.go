package call_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tirevoice/assistant/internal/audio"
	"github.com/tirevoice/assistant/internal/audiosocket"
	"github.com/tirevoice/assistant/internal/call"
	"github.com/tirevoice/assistant/internal/config"
	"github.com/tirevoice/assistant/internal/dialog/echo"
	"github.com/tirevoice/assistant/internal/metrics"
	"github.com/tirevoice/assistant/internal/speechcodec"
	sttmock "github.com/tirevoice/assistant/internal/stt/mock"
	ttsmock "github.com/tirevoice/assistant/internal/tts/mock"
)

// The fuzz input is a script of the caller's side, one op a byte (the class
// in the top three bits):
//
//	0x00-0x1f  20 ms of silence at rate kind 0x10 + low nibble % 9
//	0x20-0x3f  20 ms of noise at that rate, loud if bit 4
//	0x40-0x5f  a phrase in the speech codec at that rate: fuzzPhrases[bit 4]
//	0x60-0x7f  DTMF: the key of the low nibble; bit 4 an invalid digit
//	0x80-0x9f  nothing for (low five bits + 1) x 20 ms
//	0xa0-0xbf  an 8 kHz audio frame of low five bits bytes: empty, odd, short
//	0xc0-0xdf  a frame of kind (low five bits, or 0xff for 0xdf) with a
//	           one-byte payload: hangup with a payload, UUID, error,
//	           unknown kinds
//	0xe0-0xff  the end: bits 0-1 select a hangup frame, a close, silence
//	           until the bot hangs up, or a burst of frames faster than
//	           real time
//
// With no end op the caller stays on the line, in silence, until the bot
// hangs up.
const (
	opSilence = 0x00
	opNoise   = 0x20
	opPhrase  = 0x40
	opDTMF    = 0x60
	opPause   = 0x80
	opShort   = 0xa0
	opRaw     = 0xc0
	opEnd     = 0xe0

	endHangup = 0
	endClose  = 1
	endListen = 2
	endBurst  = 3

	// maxCallerFrames bounds the frames the caller sends after its ops
	// while waiting for the bot to hang up: 60 s, far more than the
	// shortened timeouts below need.
	maxCallerFrames = 3000
	// maxFuzzOps bounds the script; longer ones reach nothing new and each
	// op costs a frame of the whole media path.
	maxFuzzOps = 64
)

var fuzzPhrases = [2]string{"До свидания", "Шины"}

const dtmfKeys = "0123456789*#ABCD"

// fuzzCall holds what the calls of one fuzz target share: the service,
// built once (it synthesises its prompts and registers its metrics, which
// would cost more than a short call), and the speech of the phrases at
// each rate. The service keeps no state between calls but its prompt
// cache; each call's record goes to the records channel of its exec.
type fuzzCall struct {
	svc     *call.Service
	records chan *call.Record // set by each exec before its call starts

	enc    *speechcodec.Encoder
	mu     sync.Mutex
	speech map[string]audio.PCM16 // phrase and rate -> samples
}

// newFuzzCall builds the service with short prompts and timeouts, so that
// a call that runs its course (re-prompt, goodbye) takes a few seconds of
// virtual time and few frames.
func newFuzzCall(tb testing.TB) *fuzzCall {
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		tb.Fatal(err)
	}
	cc := cfg.Call
	cc.NoInputTimeout = 500 * time.Millisecond
	cc.MaxDuration = 6 * time.Second
	cc.MaxUtterance = 2 * time.Second
	fc := &fuzzCall{enc: speechcodec.NewEncoder(), speech: map[string]audio.PCM16{}}
	fc.svc, err = call.NewService(context.Background(), call.Deps{
		Config: cc,
		Prompts: call.Prompts{
			Greeting: "Алло!", Reprompt: "Вы тут?", NoInputBye: "Пока.", MaxDurationBye: "Время.",
			Transfer: "Оператор.", Apology: "Ой.", ShutdownBye: "Всё.", NothingToRepeat: "Нечего.",
		},
		Transcriber: sttmock.Transcriber{},
		Synthesizer: ttsmock.New(),
		Responder:   echo.Responder{},
		Metrics:     metrics.New(prometheus.NewRegistry()),
		Logger:      slog.New(slog.DiscardHandler),
		Recorder:    func(_ context.Context, rec *call.Record) { fc.records <- rec },
	})
	if err != nil {
		tb.Fatal(err)
	}
	return fc
}

func (fc *fuzzCall) phrase(text string, r audio.Rate) audio.PCM16 {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	key := fmt.Sprint(text, r)
	if p, ok := fc.speech[key]; ok {
		return p
	}
	p, err := fc.enc.Encode(text)
	if err != nil {
		panic(err) // a constant phrase
	}
	if r != audio.Rate8k {
		p = audio.NewResampler(audio.Rate8k, r).Process(nil, p)
	}
	fc.speech[key] = p
	return p
}

// callerLog is what the caller heard, gathered by its reader goroutine.
type callerLog struct {
	kinds    []audiosocket.Kind // of each frame, in order
	problems []string
}

// FuzzCallFrames plays an arbitrary caller script (see the op constants)
// against the call service, over an in-memory AudioSocket connection on
// virtual time. Invariants: the call ends, whatever the caller sends, and
// leaves no goroutine behind (synctest fails a bubble that does); the
// caller hears only audio frames, all of one rate and each 20 ms long, and
// at most one hangup frame, last; the bot answers at the rate of the
// caller's first frame; the call record's outcome is one of the outcomes
// and its DTMF a prefix of the digits the caller pressed.
func FuzzCallFrames(f *testing.F) {
	// Past the greeting and its echo tail, where the caller is heard.
	quiet := bytes.Repeat([]byte{opSilence}, 28)
	for _, seed := range [][]byte{
		// A goodbye after the greeting: the bot answers and hangs up.
		append(slices.Clone(quiet), opPhrase),
		// A turn, then silence: a re-prompt and the no-input goodbye.
		append(slices.Clone(quiet), opPhrase|0x10),
		// Talking over the greeting at 16 kHz, then a key the bot ignores.
		{opSilence | 2, opPhrase | 2 | 0x10, opSilence | 2, opDTMF | 1, opEnd | endHangup},
		// Loud noise at 44.1 kHz, a switch to 24 kHz, "#", a pause, a close.
		{opNoise | 0x10 | 5, opNoise | 0x10 | 5, opSilence | 3, opDTMF | 11, opPause | 30, opEnd | endClose},
		// A switch of rate mid-call, an invalid DTMF digit.
		{opSilence, opSilence | 8, opNoise | 6, opDTMF | 0x10, opSilence},
		// "0" before any audio: the operator.
		{opDTMF, opSilence},
		// Malformed audio: odd, empty.
		{opSilence, opShort | 3},
		{opSilence, opShort},
		// Frames of other kinds: an error frame, a UUID and an unknown kind
		// mid-call.
		{opSilence, opRaw | 0x1f},
		{opSilence, opRaw | 0x01, opSilence, opRaw | 0x07},
		// A flood.
		{opSilence, opEnd | endBurst},
	} {
		f.Add(seed)
	}
	fc := newFuzzCall(f)
	f.Fuzz(func(t *testing.T, script []byte) {
		script = script[:min(len(script), maxFuzzOps)]
		synctest.Test(t, func(t *testing.T) { fc.run(t, script) })
	})
}

func (fc *fuzzCall) run(t *testing.T, script []byte) {
	fc.records = make(chan *call.Record, 1)
	ln := newPipeListener()
	srv := &audiosocket.Server{Handler: fc.svc, Logger: slog.New(slog.DiscardHandler), DeadPeerTimeout: 2 * time.Second}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	defer func() {
		stop()
		<-served
	}()

	nc, err := ln.dial()
	if err != nil {
		t.Fatal(err)
	}
	c, err := audiosocket.NewClient(nc, uuid.New())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	heard := make(chan callerLog, 1)
	go func() { heard <- listen(c) }()

	var (
		pressed   []byte // valid DTMF digits sent
		firstRate audio.Rate
		first     = true
		end       = endListen
	)
	// send writes one frame as bytes, valid or not; false once the server
	// has closed the connection.
	send := func(kind byte, payload []byte) bool {
		frame := append([]byte{kind, byte(len(payload) >> 8), byte(len(payload))}, payload...)
		_, err := nc.Write(frame)
		return err == nil
	}
	// audioFrames sends p as 20 ms frames at r, at the line's pace. The
	// sleeps are the line's clock, on the bubble's virtual time: they
	// take no real time and order nothing.
	audioFrames := func(r audio.Rate, p audio.PCM16) bool {
		n := r.FrameSamples()
		for len(p) > 0 {
			k := min(n, len(p))
			if !send(byte(kindOf(r)), audio.AppendS16LE(nil, p[:k])) {
				return false
			}
			p = p[k:]
			time.Sleep(audio.FrameTime)
		}
		return true
	}
	noise := uint32(1)
	open := true
script:
	for _, op := range script {
		r := fuzzRate(op)
		if first && op < opDTMF {
			firstRate = r
		}
		first = false
		switch op & 0xe0 {
		case opSilence:
			open = audioFrames(r, make(audio.PCM16, r.FrameSamples()))
		case opNoise:
			p := make(audio.PCM16, r.FrameSamples())
			amp := uint32(2)
			if op&0x10 != 0 {
				amp = 12
			}
			for i := range p {
				noise = noise*1664525 + 1013904223
				p[i] = int16(int32(noise>>16)-32768) >> (16 - amp)
			}
			open = audioFrames(r, p)
		case opPhrase:
			open = audioFrames(r, fc.phrase(fuzzPhrases[op>>4&1], r))
		case opDTMF:
			digit := dtmfKeys[op&0x0f]
			if op&0x10 != 0 {
				digit = 'x'
			} else {
				pressed = append(pressed, digit)
			}
			open = send(byte(audiosocket.KindDTMF), []byte{digit})
			time.Sleep(audio.FrameTime)
		case opPause:
			time.Sleep(time.Duration(op&0x1f+1) * audio.FrameTime)
		case opShort:
			open = send(byte(audiosocket.KindAudio), make([]byte, op&0x1f))
			time.Sleep(audio.FrameTime)
		case opRaw:
			kind := op & 0x1f
			if kind == 0x1f {
				kind = byte(audiosocket.KindError)
			}
			open = send(kind, []byte{op})
			time.Sleep(audio.FrameTime)
		case opEnd:
			end = int(op & 3)
			break script
		}
		if !open {
			break
		}
	}
	if open {
		switch end {
		case endHangup:
			send(byte(audiosocket.KindHangup), nil)
		case endClose:
			c.Close()
		case endListen, endBurst:
			silence := make([]byte, audio.Rate8k.FrameBytes())
			pace := end == endListen
			frames := 0
			for ; frames < maxCallerFrames && send(byte(audiosocket.KindAudio), silence); frames++ {
				if pace {
					time.Sleep(audio.FrameTime)
				}
			}
			if frames == maxCallerFrames {
				t.Errorf("the call was still up after the caller's script and %v of silence", time.Duration(frames)*audio.FrameTime)
				c.Close()
			}
		}
	}
	log := <-heard // the server closed the connection: the call is over
	c.Close()
	var rec *call.Record
	select {
	case rec = <-fc.records:
	case <-time.After(time.Minute):
		t.Fatal("the call ended without a record")
	}

	for _, p := range log.problems {
		t.Error(p)
	}
	var botRate audio.Rate
	for i, k := range log.kinds {
		switch {
		case k == audiosocket.KindHangup && i != len(log.kinds)-1:
			t.Errorf("frame %d of %d is a hangup", i, len(log.kinds))
		case k == audiosocket.KindHangup:
		case !k.IsAudio():
			t.Errorf("frame %d is a %v", i, k)
		case botRate == 0:
			botRate = k.Rate()
		case k.Rate() != botRate:
			t.Errorf("frame %d at %v after frames at %v", i, k.Rate(), botRate)
		}
	}
	if firstRate != 0 && botRate != 0 && botRate != firstRate {
		t.Errorf("the caller spoke at %v first, the bot answered at %v", firstRate, botRate)
	}
	if botRate != 0 && audio.Rate(rec.Rate) != botRate {
		t.Errorf("the record says %d Hz, the bot spoke at %v", rec.Rate, botRate)
	}
	outcomes := []string{metrics.OutcomeCompleted, metrics.OutcomeOperator, metrics.OutcomeCallerHangup,
		metrics.OutcomeNoInput, metrics.OutcomeMaxDuration, metrics.OutcomeShutdown, metrics.OutcomeError}
	if !slices.Contains(outcomes, rec.Outcome) {
		t.Errorf("outcome %q", rec.Outcome)
	}
	if !strings.HasPrefix(string(pressed), rec.DTMF) {
		t.Errorf("the record has DTMF %q, the caller pressed %q", rec.DTMF, pressed)
	}
}

// listen reads what the server sends until the connection ends.
func listen(c *audiosocket.Client) callerLog {
	var log callerLog
	for {
		f, err := c.ReadFrame()
		if err != nil {
			return log
		}
		log.kinds = append(log.kinds, f.Kind)
		if r := f.Kind.Rate(); r != 0 && len(f.Payload) != r.FrameBytes() {
			log.problems = append(log.problems, fmt.Sprintf("a %v frame of %d bytes, want 20 ms (%d)", f.Kind, len(f.Payload), r.FrameBytes()))
		}
	}
}

// fuzzRate is the rate of an audio op's low nibble: one of the nine kinds.
func fuzzRate(op byte) audio.Rate {
	return audiosocket.Kind(byte(audiosocket.KindAudio) + op&0x0f%9).Rate()
}

func kindOf(r audio.Rate) audiosocket.Kind {
	for k := audiosocket.KindAudio; k <= audiosocket.KindAudio192k; k++ {
		if k.Rate() == r {
			return k
		}
	}
	panic(fmt.Sprintf("no kind for %v", r))
}
