package audiosocket

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/google/uuid"

	"github.com/tirevoice/assistant/internal/audio"
)

// Conn is one call on the server side, after the UUID handshake. The Server
// creates it and hands it to the Handler together with the call's context;
// that context is cancelled, with a cause, when the call ends: on the first
// terminal error of a read or a write (ErrHangup, a *PeerError, a protocol
// error, ErrDeadPeer, ErrWriteTimeout), on Hangup, on Close and on server
// shutdown (ErrShutdown). context.Cause tells which came first.
//
// Concurrency: one goroutine may call ReadFrame while others write.
// WriteAudio and Hangup are serialised by a mutex and may be called from
// several goroutines. Close may be called at any time, from any goroutine.
type Conn struct {
	nc           net.Conn
	rd           *Reader
	id           uuid.UUID
	deadPeer     time.Duration
	writeTimeout time.Duration

	ctx    context.Context
	cancel context.CancelCauseFunc

	// Used by ReadFrame only.
	pace   pace
	lastRx time.Time // monotonic: when the last frame arrived
	armed  time.Time // the read deadline ReadFrame set last; zero once it fired

	// Admission, guarded by the Server's mu: the remote address, and while
	// the UUID frame is awaited, this Conn's places in the Server's queues
	// of waiting connections.
	src        netip.Addr
	seq        uint64    // admission order
	admittedAt time.Time // monotonic
	waiting    *list.Element
	waitingSrc *list.Element
	inCall     bool // past the handshake, counted against MaxConns

	uuidRead atomic.Bool // the handshake has read the UUID frame

	// Eviction: the Server sets evictCause, then evicted, then moves the
	// read deadline into the past, so that the handshake's read stops and
	// reports the cause. It does not end the call's context: a UUID frame
	// read before the eviction took effect still makes a call.
	evicted    atomic.Bool
	evictCause error

	wmu    sync.Mutex // serialises writes: a frame must go out whole
	wr     *Writer
	werr   error // first write failure, sticky; guarded by wmu
	hungUp bool  // guarded by wmu

	closed atomic.Bool
}

func newConn(parent context.Context, nc net.Conn, maxPayload int, deadPeer, write, burst time.Duration) *Conn {
	ctx, cancel := context.WithCancelCause(parent)
	return &Conn{
		nc:           nc,
		rd:           NewReader(nc, maxPayload),
		wr:           NewWriter(nc),
		deadPeer:     deadPeer,
		writeTimeout: write,
		ctx:          ctx,
		cancel:       cancel,
		pace:         pace{burst: burst},
	}
}

// ID is the call's UUID, as Asterisk sent it in the first frame. Its
// String form is the 36-character one the dialplan uses.
func (c *Conn) ID() uuid.UUID { return c.id }

// RemoteAddr is the address of the Asterisk end.
func (c *Conn) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }

// String names the call for logs and pipeline descriptions.
func (c *Conn) String() string {
	return fmt.Sprintf("audiosocket call %v from %v", c.id, c.nc.RemoteAddr())
}

// ReadFrame returns the next audio, DTMF or UUID frame from Asterisk. Its
// Payload aliases the Conn's read buffer and is valid until the next
// ReadFrame; copy it to keep it. In steady state it does not allocate.
//
// It waits as long as it takes: Asterisk forwards only the frames the
// caller's channel gives it, so a phone with silence suppression, a hold or
// a network stall sends nothing for seconds, and that is silence, not an
// error. Only when nothing at all has arrived for the dead-peer limit
// (Server.DeadPeerTimeout) does ReadFrame end the call, with ErrDeadPeer. A
// hangup frame, an error frame, the end of the stream or a protocol
// violation is terminal too: ReadFrame ends the call with that error as the
// context's cause and returns it (ErrHangup, a *PeerError, ErrDeadPeer, a
// protocol sentinel). So is a frame that arrives faster than real time
// beyond the server's MaxAudioBurst (ErrTooFast): bunching after a network
// stall and gaps of silence suppression are fine, a peer that keeps sending
// ahead of the clock is not. Once the call's context is done, ReadFrame
// returns its cause at once.
//
// ReadFrame must not be called from more than one goroutine at a time.
func (c *Conn) ReadFrame() (Frame, error) { return c.readFrame(time.Time{}) }

// ReadFrameUntil is ReadFrame that gives up at t (monotonic, from
// time.Now) with ErrNoFrame, which does not end the call: a handler that
// must act when the caller's frames stop (end a turn after so much silence)
// reads with the time it must act by. A frame half received at t is kept
// and completed by the next read. A zero t waits as ReadFrame does.
func (c *Conn) ReadFrameUntil(t time.Time) (Frame, error) { return c.readFrame(t) }

func (c *Conn) readFrame(until time.Time) (Frame, error) {
	for {
		dead := c.lastRx.Add(c.deadPeer)
		want := dead
		if !until.IsZero() && until.Before(want) {
			want = until
		}
		// The socket's deadline may be earlier than wanted, never later: it
		// is moved only when it must come earlier or has fired, so a steady
		// stream of frames does not reset it per frame. One that fires
		// early is re-armed below.
		if c.armed.IsZero() || c.armed.After(want) {
			c.armed = want
			_ = c.nc.SetReadDeadline(want)
		}
		// Deadline first, then the context check: end() cancels, then moves
		// the deadline into the past, so a cancel that this check misses
		// still wakes the read below.
		if c.ctx.Err() != nil {
			return Frame{}, context.Cause(c.ctx)
		}
		f, err := c.rd.ReadFrame()
		if err == nil {
			return c.admit(f)
		}
		if !errors.Is(err, os.ErrDeadlineExceeded) || c.ctx.Err() != nil {
			err = c.readError(err, err)
			c.end(err)
			return Frame{}, err
		}
		c.armed = time.Time{} // fired: set it afresh
		now := time.Now()
		switch {
		case !now.Before(dead):
			err = fmt.Errorf("%w: nothing received for %v (limit %v)", ErrDeadPeer, now.Sub(c.lastRx).Round(time.Millisecond), c.deadPeer)
			c.end(err)
			return Frame{}, err
		case !until.IsZero() && !now.Before(until):
			return Frame{}, ErrNoFrame
		}
	}
}

// admit turns a frame read whole into ReadFrame's answer.
func (c *Conn) admit(f Frame) (Frame, error) {
	now := time.Now()
	c.lastRx = now
	var err error
	switch f.Kind {
	case KindHangup:
		err = fmt.Errorf("%w: peer sent a hangup frame", ErrHangup)
	case KindError:
		err = &PeerError{Code: f.Payload[0]}
	default:
		if err = c.pace.admit(now, audioDuration(f.Kind, f.Payload)); err == nil {
			return f, nil
		}
	}
	c.end(err)
	return Frame{}, err
}

// handshake reads the first frame, which must be a valid UUID frame, within
// timeout.
func (c *Conn) handshake(timeout time.Duration) error {
	// Deadline first, then the checks: an eviction or end() that these
	// checks miss moves the deadline after ours.
	_ = c.nc.SetReadDeadline(time.Now().Add(timeout))
	if c.ctx.Err() != nil {
		return context.Cause(c.ctx)
	}
	if c.evicted.Load() {
		c.end(c.evictCause)
		return context.Cause(c.ctx)
	}
	f, err := c.rd.ReadFrame()
	switch {
	case err != nil && c.evicted.Load() && errors.Is(err, os.ErrDeadlineExceeded):
		err = c.evictCause
	case err != nil:
		err = c.readError(err, fmt.Errorf("%w: none within %v", ErrUUIDTimeout, timeout))
		if errors.Is(err, ErrHangup) {
			// Nothing at all, then a clean close: what a TCP health check
			// of a load balancer does. Not a protocol error.
			err = fmt.Errorf("%w: peer closed before the UUID frame", ErrHangup)
		}
	case f.Kind != KindUUID:
		err = fmt.Errorf("%w: got a %v", ErrFirstNotUUID, f)
	}
	if err != nil {
		c.end(err)
		return context.Cause(c.ctx)
	}
	c.id = uuid.UUID(f.Payload)
	c.uuidRead.Store(true)
	// Real time starts with the call: what the peer sends from here on is
	// measured against the clock.
	c.pace.start = time.Now()
	c.lastRx = c.pace.start
	return nil
}

// readError maps a Reader error to the package's vocabulary. A deadline
// means timeout, unless the call was ended meanwhile (end() moved the
// deadline), in which case the cause is the answer.
func (c *Conn) readError(err, timeout error) error {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		if c.ctx.Err() != nil {
			return context.Cause(c.ctx)
		}
		return timeout
	}
	return ioError(err)
}

// ioError maps errors of the socket that mean the peer went away to
// ErrHangup: Asterisk hangs up by closing, and a close that races with our
// writes shows up as a reset or a broken pipe rather than EOF (or, on an
// in-memory net.Pipe, as io.ErrClosedPipe).
func ioError(err error) error {
	switch {
	case errors.Is(err, net.ErrClosed):
		return fmt.Errorf("%w: %w", ErrClosed, err)
	case errors.Is(err, io.EOF):
		return fmt.Errorf("%w: peer closed the connection", ErrHangup)
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, io.ErrClosedPipe):
		return fmt.Errorf("%w: peer closed the connection: %w", ErrHangup, err)
	}
	return err
}

// WriteAudio sends p as one audio frame of the kind for rate (1..32767
// samples; 20 ms is rate.FrameSamples()). It does not keep p. In steady state
// it does not allocate.
//
// Each write may block at most the write timeout (Server.WriteTimeout); a
// peer that stops reading ends the call with ErrWriteTimeout instead of
// blocking the caller forever. A failed write ends the call (the stream may
// hold half a frame) and every later write returns the same error. Invalid
// arguments (ErrBadRate, ErrZeroLength, ErrFrameTooLarge) are returned
// without ending the call.
//
// Writes keep working after the context was cancelled with ErrShutdown, so
// that the handler can say goodbye; after Hangup they return ErrHangup.
func (c *Conn) WriteAudio(rate audio.Rate, p audio.PCM16) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.writable(); err != nil {
		return err
	}
	_ = c.nc.SetWriteDeadline(time.Now().Add(c.writeTimeout))
	if err := c.wr.WriteAudio(rate, p); err != nil {
		return c.writeError(err)
	}
	return nil
}

// Hangup sends the hangup frame, once, and ends the call with ErrHangup as
// the cause. Asterisk then closes the connection. Later calls return nil
// without writing. The frame is subject to the write timeout like any other.
func (c *Conn) Hangup() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.hungUp {
		return nil
	}
	if err := c.writable(); err != nil {
		return err
	}
	c.hungUp = true
	_ = c.nc.SetWriteDeadline(time.Now().Add(c.writeTimeout))
	if err := c.wr.WriteHangup(); err != nil {
		return c.writeError(err)
	}
	c.end(fmt.Errorf("%w: this side hung up", ErrHangup))
	return nil
}

// writable is called with wmu held.
func (c *Conn) writable() error {
	switch {
	case c.closed.Load():
		return ErrClosed
	case c.werr != nil:
		return c.werr
	case c.hungUp:
		return fmt.Errorf("%w: write after Hangup", ErrHangup)
	}
	return nil
}

// writeError is called with wmu held. Only a failure of the socket ends the
// call; the Writer's validation errors are the caller's to fix.
func (c *Conn) writeError(err error) error {
	if c.wr.err == nil {
		return err
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		err = fmt.Errorf("%w: a frame took over %v", ErrWriteTimeout, c.writeTimeout)
	} else {
		err = ioError(err)
	}
	c.werr = err
	c.end(err)
	return err
}

// Close closes the connection without a hangup frame (Asterisk treats the
// close as one) and ends the call with ErrClosed as the cause unless it had
// ended already. It is idempotent: only the first call closes, later calls
// return nil. Blocked reads and writes return ErrClosed.
func (c *Conn) Close() error {
	if !c.closed.CompareAndSwap(false, true) {
		return nil
	}
	c.cancel(ErrClosed)
	return c.nc.Close()
}

// end ends the call with cause unless it had ended already, and wakes a read
// blocked in another goroutine so that it reports the cause promptly.
func (c *Conn) end(cause error) {
	c.cancel(cause)
	_ = c.nc.SetReadDeadline(time.Unix(1, 0)) // in the past: wakes a blocked read
}

// identified reports whether the peer has sent its UUID frame: read by the
// handshake already, or whole in the socket, waiting for it. Such a
// connection is about to become a call (or be refused at MaxConns); it is
// never evicted to make room for another.
func (c *Conn) identified() bool {
	return c.uuidRead.Load() || uuidWaiting(c.nc)
}

// evict stops the handshake's read, which then ends the connection with
// cause, unless it has read the UUID frame already. It must be called once,
// under the Server's mu.
func (c *Conn) evict(cause error) {
	c.evictCause = cause
	c.evicted.Store(true)
	_ = c.nc.SetReadDeadline(time.Unix(1, 0)) // in the past: wakes a blocked read
}

// hangupMoot reports whether sending a hangup frame now would be pointless:
// one was sent, the writer is broken, or the peer hung up (it is gone).
func (c *Conn) hangupMoot() bool {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.hungUp || c.werr != nil || errors.Is(context.Cause(c.ctx), ErrHangup)
}

// setNoDelay turns off Nagle's algorithm on TCP connections: a frame must
// leave at once, and in one segment with its header.
func setNoDelay(nc net.Conn) {
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
}
