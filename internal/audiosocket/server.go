package audiosocket

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"runtime/debug"
	"sync"
	"time"
)

// Handler serves one call. ServeCall runs in its own goroutine; the call
// ends when it returns, after which the Server sends a hangup frame (unless
// one was sent or the peer is gone) and closes c. ctx is cancelled, with a
// cause, when the call ends for any other reason (see Conn); a handler must
// then return promptly, and must not leave goroutines using c behind it.
// On ErrShutdown the handler may still write: it should say goodbye and call
// Hangup.
//
// The Server does not read on the handler's behalf: a handler learns that
// the caller hung up from ReadFrame (or from a failed write), so it should
// keep reading for the whole call; Asterisk sends a frame every 20 ms.
type Handler interface {
	ServeCall(ctx context.Context, c *Conn)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, c *Conn)

// ServeCall calls f(ctx, c).
func (f HandlerFunc) ServeCall(ctx context.Context, c *Conn) { f(ctx, c) }

// Defaults for the Server's zero fields.
const (
	DefaultUUIDTimeout  = 2 * time.Second
	DefaultIdleTimeout  = 5 * time.Second
	DefaultWriteTimeout = 1 * time.Second
)

// Server accepts AudioSocket connections from Asterisk, reads the UUID frame
// of each and hands the call to Handler. Set the fields before the first
// Serve and do not change them afterwards. The zero value of each field but
// Handler is usable.
type Server struct {
	Handler      Handler
	MaxConns     int            // admitted connections at once, handshaking or in a call; 0 = unlimited
	UUIDTimeout  time.Duration  // to receive the first frame; default 2 s
	IdleTimeout  time.Duration  // per ReadFrame; Asterisk sends every 20 ms; default 5 s
	WriteTimeout time.Duration  // per frame written; default 1 s
	MaxPayload   int            // largest payload read, bytes; default DefaultMaxPayload (16 KiB)
	AllowedNets  []netip.Prefix // remote networks allowed to connect (the Asterisk hosts); empty = all
	Logger       *slog.Logger   // default: discard
	Observer     Observer       // default: NopObserver

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*Conn]struct{}
	idle      chan struct{} // closed whenever conns is empty
	stopping  bool
	stop      chan struct{} // closed when shutdown begins
}

// Serve accepts connections on ln and serves each in its own goroutine. It
// returns when the Server shuts down, after closing ln and after every
// connection goroutine has finished; the error is then ErrShutdown. If
// Accept fails for good (ln closed by someone else), Serve returns that error
// once the connections in progress have ended on their own.
//
// Cancelling ctx shuts the Server down with no grace period: every call's
// context is cancelled with cause ErrShutdown at once. Calls' contexts carry
// ctx's values but not its cancellation.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if s.Handler == nil {
		return errors.New("audiosocket: Server.Handler is nil")
	}
	if !s.track(ln) {
		_ = ln.Close()
		return ErrShutdown
	}
	defer s.untrack(ln)

	exiting, watched := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(watched)
		select {
		case <-ctx.Done():
			s.beginShutdown()
			s.endCalls(fmt.Errorf("%w: serve context done: %w", ErrShutdown, context.Cause(ctx)))
		case <-exiting:
		}
	}()
	defer func() { close(exiting); <-watched }()

	err := s.acceptLoop(context.WithoutCancel(ctx), ln)
	_ = s.waitIdle(context.Background())
	return err
}

// Shutdown stops accepting at once (it closes the listeners), waits for the
// active calls to end until ctx is done, then cancels the remaining calls'
// contexts with cause ErrShutdown and waits for their handlers to return.
// It returns ctx's error if the grace period ran out, nil otherwise.
func (s *Server) Shutdown(ctx context.Context) error {
	s.beginShutdown()
	if err := s.waitIdle(ctx); err != nil {
		s.endCalls(fmt.Errorf("%w: grace period over", ErrShutdown))
		_ = s.waitIdle(context.Background())
		return err
	}
	return nil
}

// Active is the number of admitted connections: calls, and connections
// still in the UUID handshake.
func (s *Server) Active() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

func (s *Server) acceptLoop(base context.Context, ln net.Listener) error {
	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err == nil {
			delay = 0
			s.admit(base, nc)
			continue
		}
		if s.stopped() {
			return ErrShutdown
		}
		if errors.Is(err, net.ErrClosed) {
			return err
		}
		// Anything else (out of file descriptors, a reset before accept) may
		// pass: back off as net/http does, instead of spinning.
		delay = min(max(2*delay, 5*time.Millisecond), time.Second)
		s.logger().Error("audiosocket: accept failed", "err", err, "retry_in", delay)
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-s.stopCh():
			t.Stop()
			return ErrShutdown
		}
	}
}

// admit decides, in the accept loop and without a goroutine, whether nc may
// be served, so that a flood of refused connections costs no more than the
// accept and the close.
func (s *Server) admit(base context.Context, nc net.Conn) {
	if !s.allowed(nc.RemoteAddr()) {
		s.refuse(nc, fmt.Errorf("%w: %v", ErrNotAllowed, nc.RemoteAddr()))
		return
	}
	s.mu.Lock()
	switch {
	case s.stopping:
		s.mu.Unlock()
		_ = nc.Close()
		return
	case s.MaxConns > 0 && len(s.conns) >= s.MaxConns:
		s.mu.Unlock()
		s.refuse(nc, fmt.Errorf("%w: %d connections", ErrConnLimit, s.MaxConns))
		return
	}
	if len(s.conns) == 0 {
		s.idle = make(chan struct{})
	}
	c := newConn(base, nc, s.MaxPayload, orDefault(s.IdleTimeout, DefaultIdleTimeout), orDefault(s.WriteTimeout, DefaultWriteTimeout))
	s.conns[c] = struct{}{}
	s.mu.Unlock()

	s.observer().ConnOpened()
	go s.serveConn(c)
}

func (s *Server) refuse(nc net.Conn, err error) {
	_ = nc.Close()
	reason := Reason(err)
	s.observer().ProtocolError(reason)
	s.logger().Warn("audiosocket: connection refused", "remote", nc.RemoteAddr().String(), "reason", reason, "err", err)
}

func (s *Server) allowed(addr net.Addr) bool {
	if len(s.AllowedNets) == 0 {
		return true
	}
	var ip netip.Addr
	if ta, ok := addr.(*net.TCPAddr); ok {
		ip = ta.AddrPort().Addr()
	} else if ap, err := netip.ParseAddrPort(addr.String()); err == nil {
		ip = ap.Addr()
	} else {
		return false // an address we cannot read is not one we trust
	}
	// An IPv4 peer on a dual-stack socket appears as ::ffff:a.b.c.d, which no
	// IPv4 prefix contains; a zone makes Contains false.
	ip = ip.Unmap().WithZone("")
	for _, p := range s.AllowedNets {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// serveConn runs one admitted connection from handshake to close.
func (s *Server) serveConn(c *Conn) {
	defer s.forget(c)
	setNoDelay(c.nc)
	log := s.logger().With("remote", c.RemoteAddr().String())

	if err := c.handshake(orDefault(s.UUIDTimeout, DefaultUUIDTimeout)); err != nil {
		_ = c.Close()
		if reason := Reason(err); reason != "" {
			s.observer().ProtocolError(reason)
			log.Warn("audiosocket: handshake failed", "reason", reason, "err", err)
		} else {
			log.Debug("audiosocket: connection ended before the call", "reason", reason, "err", err)
		}
		return
	}

	log = log.With("call_id", c.ID().String())
	log.Info("audiosocket: call started")
	panicked := s.runHandler(c, log)

	// The first terminal error is the call's cause; reading it before our own
	// Hangup and Close, which would otherwise supply one.
	cause := context.Cause(c.ctx)
	if !c.hangupMoot() {
		// Best effort: tells Asterisk to end the call at once rather than on
		// noticing the close; bounded by the write timeout.
		_ = c.Hangup()
	}
	_ = c.Close()

	reason := Reason(cause)
	if reason != "" {
		s.observer().ProtocolError(reason)
		log.Warn("audiosocket: call ended on an error", "reason", reason, "err", cause)
	} else {
		log.Info("audiosocket: call ended", "cause", errString(cause))
	}
	if panicked && reason != "handler_panic" {
		s.observer().ProtocolError("handler_panic")
	}
}

// runHandler calls the Handler, turning a panic into the end of this call
// rather than of the process.
func (s *Server) runHandler(c *Conn, log *slog.Logger) (panicked bool) {
	defer func() {
		if v := recover(); v != nil {
			panicked = true
			c.end(fmt.Errorf("%w: %v", ErrHandlerPanic, v))
			log.Error("audiosocket: handler panicked", "reason", "handler_panic", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		}
	}()
	s.Handler.ServeCall(c.ctx, c)
	return false
}

func (s *Server) track(ln net.Listener) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping {
		return false
	}
	s.init()
	s.listeners[ln] = struct{}{}
	return true
}

func (s *Server) untrack(ln net.Listener) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.listeners, ln)
}

// init is called with mu held.
func (s *Server) init() {
	if s.stop != nil {
		return
	}
	s.listeners = make(map[net.Listener]struct{})
	s.conns = make(map[*Conn]struct{})
	s.idle = make(chan struct{})
	close(s.idle)
	s.stop = make(chan struct{})
}

// forget is the last thing a connection goroutine does. The Observer hears
// of the close first, so that it has heard everything when Shutdown returns.
func (s *Server) forget(c *Conn) {
	s.observer().ConnClosed()
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
	if len(s.conns) == 0 {
		close(s.idle)
	}
}

// beginShutdown refuses new connections and closes the listeners, which ends
// every accept loop. It is idempotent.
func (s *Server) beginShutdown() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	if s.stopping {
		return
	}
	s.stopping = true
	close(s.stop)
	for ln := range s.listeners {
		_ = ln.Close()
	}
}

// endCalls cancels every admitted connection's context with cause and wakes
// its blocked read; writes keep working so that handlers can say goodbye.
func (s *Server) endCalls(cause error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.end(cause)
	}
}

// waitIdle waits until no connection is admitted, or ctx is done. After
// beginShutdown no connection can be admitted, so idle stays idle.
func (s *Server) waitIdle(ctx context.Context) error {
	s.mu.Lock()
	s.init()
	idle := s.idle
	s.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Server) stopped() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopping
}

func (s *Server) stopCh() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stop
}

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (s *Server) observer() Observer {
	if s.Observer != nil {
		return s.Observer
	}
	return NopObserver{}
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
