package google

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"cloud.google.com/go/speech/apiv1/speechpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tirevoice/assistant/internal/audio"
	"github.com/tirevoice/assistant/internal/stt"
)

// Stream is one caller turn being recognised; it implements stt.Stream.
//
// Overflow rule: Write never waits for the network. It queues a copy of the
// audio (Config.QueueLen writes deep) for the sender goroutine; when the
// queue is full the oldest queued chunk is dropped and counted (Dropped), so
// that what Google hears is the latest audio, with a gap, rather than a
// turn that falls further and further behind the caller. Chunk buffers are
// pooled, so Write does not allocate once the pool is warm.
//
// Stream restart: Google ends a StreamingRecognize call after about 305 s.
// Before a batch of audio is sent on a gRPC stream that has been open for
// Config.StreamLimit, that stream is half-closed (its final results are
// still collected) and a new one takes the audio from there on. The text of
// all the gRPC streams makes up the turn's transcript, in order. A word that
// straddles the switch may be misheard. (The session cuts a turn at
// CALL_MAX_UTTERANCE, 30 s by default, so this matters only for longer turns.)
type Stream struct {
	t    *Transcriber
	rate audio.Rate

	ctx     context.Context // the stream's life: cancelled by Finish, Close, a failure or the Stream caller's context
	cancel  context.CancelCauseFunc
	queue   chan *[]byte  // s16le chunks, Write -> sender; bounded, drop-oldest
	finish  chan struct{} // closed by Finish: send what is queued, then half-close
	done    chan struct{} // closed once the sender and every receiver have returned
	state   atomic.Int32
	dropped atomic.Uint64

	mu   sync.Mutex // guards what follows, written by the receivers
	segs []*segment // one per gRPC stream, in order
	err  error      // the first failure, wrapped with the provider name
}

var _ stt.Stream = (*Stream)(nil)

const (
	stateOpen int32 = iota
	stateFinished
	stateClosed
)

// errFinished is the cancellation cause once Finish has its results.
var errFinished = errors.New("stream finished")

// Write implements stt.Stream. It copies p (8 kHz mono from the session;
// any length) into the queue and returns at once. After Finish or Close it
// returns stt.ErrClosed; after a failure, the failure.
func (s *Stream) Write(p audio.PCM16) error {
	if s.state.Load() != stateOpen {
		return stt.ErrClosed
	}
	if s.ctx.Err() != nil {
		return s.failure()
	}
	if len(p) == 0 {
		return nil
	}
	bp := s.t.buffer()
	*bp = audio.AppendS16LE((*bp)[:0], p)
	for {
		select {
		case s.queue <- bp:
			return nil
		default:
		}
		select {
		case old := <-s.queue:
			s.t.pool.Put(old)
			s.dropped.Add(1)
			s.t.dropped.Add(1)
		default:
		}
	}
}

// Dropped is the number of Write calls whose audio this stream dropped
// because its queue was full.
func (s *Stream) Dropped() uint64 { return s.dropped.Load() }

// Finish implements stt.Stream. It sends the audio still queued, half-closes
// the gRPC stream and waits for Google's final results, for at most
// Config.Timeout and no longer than ctx allows.
//
// No speech gives an empty Text. Final results that are empty or below
// Config.MinConfidence are left out of Text; when nothing else was heard the
// Result is Unintelligible. On Timeout, the text heard so far (final results
// and the latest interim one) is returned if there is any, else an error
// wrapping ErrTimeout with gRPC code DeadlineExceeded. Service errors are
// returned wrapped with the provider name; status.Code gives their gRPC code.
// Finish releases the stream's goroutines before it returns.
func (s *Stream) Finish(ctx context.Context) (stt.Result, error) {
	if !s.state.CompareAndSwap(stateOpen, stateFinished) {
		return stt.Result{}, stt.ErrClosed
	}
	close(s.finish)
	timer := time.NewTimer(s.t.cfg.Timeout)
	defer timer.Stop()
	var err error
	select {
	case <-s.done:
	case <-timer.C:
		err = fmt.Errorf("%s: %w after %v: %w", name, ErrTimeout, s.t.cfg.Timeout,
			status.Error(codes.DeadlineExceeded, "no final result from the service"))
	case <-ctx.Done():
		err = fmt.Errorf("%s: %w", name, context.Cause(ctx))
	}
	s.cancel(errFinished)
	<-s.done

	if ferr := s.failure(); ferr != nil {
		return stt.Result{}, ferr
	}
	s.mu.Lock()
	res := s.result()
	s.mu.Unlock()
	if errors.Is(err, ErrTimeout) && res.Text != "" {
		return res, nil
	}
	if err != nil {
		return stt.Result{}, err
	}
	return res, nil
}

// Close implements stt.Stream: it cancels the gRPC streams and returns once
// the stream's goroutines have. It is idempotent and safe after Finish.
func (s *Stream) Close() error {
	s.state.Store(stateClosed)
	s.cancel(stt.ErrClosed)
	<-s.done
	return nil
}

// failure is why the stream ended early, or nil: a service failure, Close
// (stt.ErrClosed) or the cancellation of the context given to Stream.
func (s *Stream) failure() error {
	s.mu.Lock()
	err := s.err
	s.mu.Unlock()
	if err != nil {
		return err
	}
	switch cause := context.Cause(s.ctx); {
	case cause == nil, cause == errFinished:
		return nil
	case errors.Is(cause, stt.ErrClosed):
		return stt.ErrClosed
	default:
		return fmt.Errorf("%s: %w", name, cause)
	}
}

// fail records the first service failure and stops the stream. Errors that
// only echo a cancellation of ours are ignored.
func (s *Stream) fail(err error) {
	if s.ctx.Err() != nil {
		return
	}
	s.mu.Lock()
	if s.err == nil {
		s.err = fmt.Errorf("%s: %w", name, err)
	}
	err = s.err
	s.mu.Unlock()
	s.cancel(err)
}

// result assembles the transcript. s.mu must be held.
func (s *Stream) result() stt.Result {
	var b strings.Builder
	doubtful := false
	for _, g := range s.segs {
		b.WriteString(g.final.String())
		b.WriteByte(' ')
		b.WriteString(g.interim)
		b.WriteByte(' ')
		doubtful = doubtful || g.doubtful
	}
	text := strings.Join(strings.Fields(b.String()), " ")
	return stt.Result{Text: text, Unintelligible: text == "" && doubtful}
}

// run is the sender goroutine: it owns the sending side of every gRPC
// stream of the turn.
func (s *Stream) run() {
	var recv sync.WaitGroup
	defer close(s.done)
	defer recv.Wait()
	snd := sender{s: s, recv: &recv}
	for {
		select {
		case bp := <-s.queue:
			snd.push(bp)
		case <-s.finish:
		drain:
			for {
				select {
				case bp := <-s.queue:
					snd.push(bp)
				default:
					break drain
				}
			}
			snd.closeSend()
			return
		case <-s.ctx.Done():
			return // the gRPC streams share s.ctx and end with it
		}
	}
}

// sender is the state of the sender goroutine.
type sender struct {
	s      *Stream
	recv   *sync.WaitGroup
	cur    speechpb.Speech_StreamingRecognizeClient // nil until the first audio, and after a send error
	opened time.Time
	batch  []*[]byte
}

// push sends first and whatever else is queued, up to about maxMessage
// bytes, as one batch. A batch goes to one gRPC stream, so a single Write
// is never split between two streams.
func (snd *sender) push(first *[]byte) {
	s := snd.s
	snd.batch = append(snd.batch[:0], first)
	n := len(*first)
collect:
	for n < maxMessage {
		select {
		case bp := <-s.queue:
			snd.batch = append(snd.batch, bp)
			n += len(*bp)
		default:
			break collect
		}
	}
	// A fresh buffer per batch: gRPC may still read a sent message.
	msg := make([]byte, 0, n)
	for i, bp := range snd.batch {
		msg = append(msg, *bp...)
		s.t.pool.Put(bp)
		snd.batch[i] = nil
	}

	if snd.cur != nil && time.Since(snd.opened) >= s.t.cfg.StreamLimit {
		snd.closeSend()
	}
	if snd.cur == nil && !snd.open() {
		return
	}
	for len(msg) > 0 {
		k := min(len(msg), maxMessage)
		err := snd.cur.Send(&speechpb.StreamingRecognizeRequest{
			StreamingRequest: &speechpb.StreamingRecognizeRequest_AudioContent{AudioContent: msg[:k]},
		})
		if err != nil {
			snd.sendFailed(err)
			return
		}
		msg = msg[k:]
	}
}

// open starts a gRPC stream, sends the recognition config and starts its
// receiver.
func (snd *sender) open() bool {
	s := snd.s
	rs, err := s.t.client.StreamingRecognize(s.ctx, openRetry())
	if err != nil {
		s.fail(err)
		return false
	}
	g := &segment{}
	s.mu.Lock()
	s.segs = append(s.segs, g)
	s.mu.Unlock()
	snd.recv.Add(1)
	go func() {
		defer snd.recv.Done()
		s.receive(rs, g)
	}()
	snd.cur, snd.opened = rs, time.Now()
	if err := rs.Send(s.t.recognitionConfig(s.rate)); err != nil {
		snd.sendFailed(err)
		return false
	}
	return true
}

// sendFailed gives up the current gRPC stream. io.EOF means the stream has
// ended and its receiver will report why; any other error is the failure.
// The next batch, if the stream still lives, opens a new gRPC stream.
func (snd *sender) sendFailed(err error) {
	if !errors.Is(err, io.EOF) {
		snd.s.fail(err)
	}
	snd.cur = nil
}

// closeSend half-closes the current gRPC stream: Google then sends the
// final results of the audio it has and ends the stream.
func (snd *sender) closeSend() {
	if snd.cur == nil {
		return
	}
	if err := snd.cur.CloseSend(); err != nil {
		snd.s.fail(err)
	}
	snd.cur = nil
}

// receive collects the results of one gRPC stream into g until the stream
// ends.
func (s *Stream) receive(rs speechpb.Speech_StreamingRecognizeClient, g *segment) {
	for {
		resp, err := rs.Recv()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				s.fail(err)
			}
			return
		}
		if e := resp.GetError(); e != nil && codes.Code(e.GetCode()) != codes.OK {
			s.fail(status.ErrorProto(e))
			return
		}
		s.mu.Lock()
		g.add(resp.GetResults(), s.t.cfg.MinConfidence)
		s.mu.Unlock()
		if s.t.received != nil {
			s.t.received()
		}
	}
}

// segment is what one gRPC stream heard.
type segment struct {
	final    strings.Builder // final transcripts, concatenated
	interim  string          // the latest interim transcript not yet made final
	doubtful bool            // a final result was empty or below MinConfidence
}

// add takes the results of one response. Google's interim hypothesis is
// the concatenation of the response's non-final results; a response with
// results replaces the previous hypothesis (a final result supersedes it).
func (g *segment) add(results []*speechpb.StreamingRecognitionResult, minConfidence float32) {
	if len(results) == 0 {
		return // a speech event, or billing information
	}
	var interim strings.Builder
	for _, r := range results {
		var alt *speechpb.SpeechRecognitionAlternative
		if alts := r.GetAlternatives(); len(alts) > 0 {
			alt = alts[0]
		}
		if !r.GetIsFinal() {
			interim.WriteString(alt.GetTranscript())
			continue
		}
		text, conf := alt.GetTranscript(), alt.GetConfidence()
		if strings.TrimSpace(text) == "" || conf > 0 && conf < minConfidence {
			g.doubtful = true
			continue
		}
		// Google puts the space between results at the start of the
		// next transcript; result() normalises spaces anyway.
		g.final.WriteString(text)
		g.final.WriteByte(' ')
	}
	g.interim = interim.String()
}

// buffer returns an empty chunk buffer from the pool.
func (t *Transcriber) buffer() *[]byte {
	if bp, ok := t.pool.Get().(*[]byte); ok {
		return bp
	}
	b := make([]byte, 0, audio.Rate8k.FrameBytes())
	return &b
}
