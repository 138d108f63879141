package audiosocket

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"runtime/debug"
	"sync"
	"time"

	"github.com/tirevoice/assistant/internal/logging"
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
// keep reading for the whole call. Asterisk sends a frame every 20 ms while
// the caller's channel gives it audio, and nothing while it does not
// (silence suppression, a hold, a network stall).
type Handler interface {
	ServeCall(ctx context.Context, c *Conn)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, c *Conn)

// ServeCall calls f(ctx, c).
func (f HandlerFunc) ServeCall(ctx context.Context, c *Conn) { f(ctx, c) }

// Defaults for the Server's zero fields.
const (
	DefaultUUIDTimeout     = 2 * time.Second
	DefaultDeadPeerTimeout = 5 * time.Minute
	DefaultWriteTimeout    = 1 * time.Second
)

// logEvery is how often the Server writes a warning of one reason (a refused
// or evicted connection, a failed handshake); the others are counted by the
// Observer and their number is reported in the next line.
const logEvery = time.Second

// Server accepts AudioSocket connections from Asterisk, reads the UUID frame
// of each and hands the call to Handler. Set the fields before the first
// Serve and do not change them afterwards. The zero value of each field but
// Handler is usable.
//
// Admission has two budgets. Calls (connections past the UUID frame) are
// limited by MaxConns; a connection that arrives while the calls are at
// MaxConns is closed at once. Connections still waiting for their UUID frame
// have a budget of their own, MaxHandshakes, of which one remote address may
// hold MaxHandshakesPerSource, so that sockets that connect and say nothing
// cannot hold the places of calls. When a budget is full, the new
// connection is admitted and the oldest waiting one that has said nothing
// (from the address at its cap, or else from the address holding the most
// places) is closed: Asterisk sends the UUID frame together with the
// connection, so a real call waits for it for a round trip and a silent
// socket is the one that has waited longest. Refusing the newest instead
// would let a peer shut out every call with MaxHandshakes sockets per
// UUIDTimeout. Evicting the oldest, a flood can push out a caller's
// connection only by outpacing its round trip (see handshakeGrace) from
// more addresses than the budget holds, or from the caller's own.
type Server struct {
	Handler                Handler
	MaxConns               int            // calls at once (past the UUID frame); 0 = unlimited
	MaxHandshakes          int            // connections waiting for their UUID frame at once, apart from calls; 0 = unlimited
	MaxHandshakesPerSource int            // of those, from one remote IP address; 0 = unlimited
	UUIDTimeout            time.Duration  // to receive the first frame; default 2 s
	DeadPeerTimeout        time.Duration  // nothing received for this long ends a call as a dead peer; default 5 min (see Conn.ReadFrame)
	WriteTimeout           time.Duration  // per frame written; default 1 s
	MaxAudioBurst          time.Duration  // how far a call's audio may run ahead of real time; default DefaultMaxAudioBurst (2 s); < 0 = no limit
	MaxPayload             int            // largest payload read, bytes; default DefaultMaxPayload (16 KiB)
	AllowedNets            []netip.Prefix // remote networks allowed to connect (the Asterisk hosts); empty = all
	Logger                 *slog.Logger   // default: discard
	Observer               Observer       // default: NopObserver

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*Conn]struct{} // admitted: waiting for the UUID frame or in a call
	calls     int                // conns past the UUID frame
	waiting   list.List          // of *Conn waiting for their UUID frame, oldest first
	bySource  map[netip.Addr]*list.List
	admitted  uint64 // connections admitted so far: the next Conn.seq
	logLimits map[string]*logging.Limiter
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
// still waiting for their UUID frame.
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
	ip, known := remoteIP(nc.RemoteAddr())
	if !s.allowed(ip, known) {
		s.refuse(nc, fmt.Errorf("%w: %v", ErrNotAllowed, nc.RemoteAddr()))
		return
	}
	s.mu.Lock()
	switch {
	case s.stopping:
		s.mu.Unlock()
		_ = nc.Close()
		return
	case s.MaxConns > 0 && s.calls >= s.MaxConns:
		s.mu.Unlock()
		s.refuse(nc, fmt.Errorf("%w: %d calls", ErrConnLimit, s.MaxConns))
		return
	}
	if len(s.conns) == 0 {
		s.idle = make(chan struct{})
	}
	c := newConn(base, nc, s.MaxPayload, orDefault(s.DeadPeerTimeout, DefaultDeadPeerTimeout), orDefault(s.WriteTimeout, DefaultWriteTimeout), s.maxAudioBurst())
	// An address that cannot be read (a listener that is not TCP) is the
	// zero Addr: all such peers share one source.
	c.src = ip
	now := time.Now()
	s.makeRoom(c.src, now)
	s.wait(c, now)
	s.conns[c] = struct{}{}
	s.mu.Unlock()

	s.observer().ConnOpened()
	go s.serveConn(c)
}

// Eviction spares a connection while its UUID frame may still be on the
// way: Asterisk sends it right after connecting, so it arrives within a
// round trip and the scheduling delays of both ends. Up to
// hardLimitFactor times a budget, connections younger than handshakeGrace
// are not closed to make room; past that, the oldest silent ones go
// whatever their age, so that a flood faster than the grace still has a
// bound.
const (
	handshakeGrace  = 100 * time.Millisecond
	hardLimitFactor = 4
)

// makeRoom evicts the waiting connections that must go for one more from
// src to fit the handshake budgets; their goroutines, woken at once, close
// them. Only silent connections go: one whose UUID frame has come is about
// to leave the queue on its own (in a burst of calls the accept loop admits
// many before their goroutines have read a byte), so when none may go, the
// new connection is admitted over the budget. Called with mu held.
func (s *Server) makeRoom(src netip.Addr, now time.Time) {
	old := now.Add(-handshakeGrace) // admitted at or before: past the grace
	if limit := s.MaxHandshakesPerSource; limit > 0 {
		if q := s.bySource[src]; q != nil && q.Len() >= limit {
			v := oldestSilent(q, old)
			if v == nil && q.Len() >= hardLimitFactor*limit {
				v = oldestSilent(q, now)
			}
			if v != nil {
				s.evict(v, fmt.Errorf("%w: %d from %v (the per-source limit)", ErrHandshakeLimit, limit, printable(src)))
			}
		}
	}
	if limit := s.MaxHandshakes; limit > 0 && s.waiting.Len() >= limit {
		v := s.victim(old)
		if v == nil && s.waiting.Len() >= hardLimitFactor*limit {
			v = s.victim(now)
		}
		if v != nil {
			held := s.bySource[v.src].Len()
			s.evict(v, fmt.Errorf("%w: %d in all, %d of them from %v", ErrHandshakeLimit, limit, held, printable(v.src)))
		}
	}
}

// victim is the connection to close when the whole budget is full: of those
// admitted at or before by, the oldest silent one of the source that holds
// the most places, so that a flood from one address makes room from its own
// sockets, not from a caller's; else the oldest silent one of any source;
// nil when there is none. Called with mu held; waiting is not empty.
func (s *Server) victim(by time.Time) *Conn {
	var heaviest *list.List
	for _, q := range s.bySource {
		if heaviest == nil || q.Len() > heaviest.Len() ||
			q.Len() == heaviest.Len() && q.Front().Value.(*Conn).seq < heaviest.Front().Value.(*Conn).seq {
			heaviest = q
		}
	}
	if v := oldestSilent(heaviest, by); v != nil {
		return v
	}
	return oldestSilent(&s.waiting, by)
}

// oldestSilent is the first connection in q, admitted at or before by, that
// has not sent its UUID frame, or nil. q is in the order of admission.
func oldestSilent(q *list.List, by time.Time) *Conn {
	for e := q.Front(); e != nil; e = e.Next() {
		c := e.Value.(*Conn)
		if c.admittedAt.After(by) {
			return nil // and so are all after it
		}
		if !c.identified() {
			return c
		}
	}
	return nil
}

// evict takes c out of the waiting queues and stops its handshake; its
// goroutine closes it and reports cause. Called with mu held.
func (s *Server) evict(c *Conn, cause error) {
	s.unwait(c)
	c.evict(cause)
}

// wait puts c, admitted at now, at the back of the waiting queues. Called
// with mu held.
func (s *Server) wait(c *Conn, now time.Time) {
	s.admitted++
	c.seq = s.admitted
	c.admittedAt = now
	c.waiting = s.waiting.PushBack(c)
	q := s.bySource[c.src]
	if q == nil {
		q = list.New()
		s.bySource[c.src] = q
	}
	c.waitingSrc = q.PushBack(c)
}

// unwait takes c out of the waiting queues, if it is in them. Called with
// mu held.
func (s *Server) unwait(c *Conn) {
	if c.waiting == nil {
		return
	}
	s.waiting.Remove(c.waiting)
	q := s.bySource[c.src]
	q.Remove(c.waitingSrc)
	if q.Len() == 0 {
		delete(s.bySource, c.src)
	}
	c.waiting, c.waitingSrc = nil, nil
}

// promote turns c, whose UUID frame has come, from a waiting connection into
// a call, unless the calls are at MaxConns: then it returns the reason, and
// c's context is ended with it. A connection evicted after its UUID frame
// was read is a call all the same: it was not silent.
func (s *Server) promote(c *Conn) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unwait(c)
	if s.MaxConns > 0 && s.calls >= s.MaxConns {
		err := fmt.Errorf("%w: %d calls", ErrConnLimit, s.MaxConns)
		c.end(err)
		return err
	}
	s.calls++
	c.inCall = true
	return nil
}

func (s *Server) refuse(nc net.Conn, err error) {
	_ = nc.Close()
	reason := Reason(err)
	s.observer().ProtocolError(reason)
	if ok, held := s.logLimit(reason).Allow(); ok {
		s.logger().Warn("audiosocket: connection refused", "remote", nc.RemoteAddr().String(), "reason", reason, "err", err, logging.Suppressed, held)
	}
}

// logLimit is the limiter of the warnings of one reason: a flood of refused
// or failed connections writes one line a second per reason.
func (s *Server) logLimit(reason string) *logging.Limiter {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	l := s.logLimits[reason]
	if l == nil {
		// Reason's labels are a fixed set: the map stays small.
		l = logging.NewLimiter(logEvery)
		s.logLimits[reason] = l
	}
	return l
}

// remoteIP is the IP address of addr, without a zone and with an IPv4
// address on a dual-stack socket (::ffff:a.b.c.d) in its IPv4 form; known is
// false when addr holds no readable address.
func remoteIP(addr net.Addr) (ip netip.Addr, known bool) {
	if ta, ok := addr.(*net.TCPAddr); ok {
		ip = ta.AddrPort().Addr()
	} else if ap, err := netip.ParseAddrPort(addr.String()); err == nil {
		ip = ap.Addr()
	} else {
		return netip.Addr{}, false
	}
	// An IPv4 peer on a dual-stack socket appears as ::ffff:a.b.c.d, which no
	// IPv4 prefix contains; a zone makes Contains false.
	return ip.Unmap().WithZone(""), true
}

func (s *Server) allowed(ip netip.Addr, known bool) bool {
	if len(s.AllowedNets) == 0 {
		return true
	}
	if !known {
		return false // an address we cannot read is not one we trust
	}
	for _, p := range s.AllowedNets {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// printable names a source in an error; the zero Addr stands for the
// addresses that could not be read.
func printable(ip netip.Addr) string {
	if !ip.IsValid() {
		return "an unreadable address"
	}
	return ip.String()
}

// serveConn runs one admitted connection from handshake to close.
func (s *Server) serveConn(c *Conn) {
	defer s.forget(c)
	setNoDelay(c.nc)
	log := s.logger().With("remote", c.RemoteAddr().String())

	err := c.handshake(orDefault(s.UUIDTimeout, DefaultUUIDTimeout))
	if err == nil {
		err = s.promote(c)
	}
	if err != nil {
		_ = c.Close()
		if reason := Reason(err); reason != "" {
			s.observer().ProtocolError(reason)
			if ok, held := s.logLimit(reason).Allow(); ok {
				log.Warn("audiosocket: handshake failed", "reason", reason, "err", err, logging.Suppressed, held)
			}
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
	s.bySource = make(map[netip.Addr]*list.List)
	s.logLimits = make(map[string]*logging.Limiter)
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
	s.unwait(c) // a failed handshake
	if c.inCall {
		s.calls--
	}
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

func (s *Server) maxAudioBurst() time.Duration {
	switch {
	case s.MaxAudioBurst < 0:
		return 0 // no limit
	case s.MaxAudioBurst == 0:
		return DefaultMaxAudioBurst
	}
	return s.MaxAudioBurst
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
