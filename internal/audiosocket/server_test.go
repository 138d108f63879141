package audiosocket_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.uber.org/goleak"

	"github.com/tirevoice/assistant/internal/audio"
	"github.com/tirevoice/assistant/internal/audiosocket"
	"github.com/tirevoice/assistant/internal/logtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// patience bounds every wait for an event, so that a broken test fails
// instead of hanging; no test sleeps to synchronise.
const patience = 10 * time.Second

// callID is uuidBytes in its dialplan form.
var callID = uuid.MustParse("3f2b8e10-6a4c-4d1e-9b27-550c1d7e2a91")

// observer records the Server's events and reports each on a channel.
type observer struct {
	mu             sync.Mutex
	opened, closed int
	reasons        []string
	events         chan string // "opened", "closed", "error:REASON"
}

func newObserver() *observer { return newObserverFor(100) }

// newObserverFor holds up to n events that no one waits for: a flood's
// events would otherwise block the server.
func newObserverFor(n int) *observer { return &observer{events: make(chan string, n)} }

func (o *observer) ConnOpened() {
	o.mu.Lock()
	o.opened++
	o.mu.Unlock()
	o.events <- "opened"
}

func (o *observer) ConnClosed() {
	o.mu.Lock()
	o.closed++
	o.mu.Unlock()
	o.events <- "closed"
}

func (o *observer) ProtocolError(reason string) {
	o.mu.Lock()
	o.reasons = append(o.reasons, reason)
	o.mu.Unlock()
	o.events <- "error:" + reason
}

// waitFor consumes events until want comes.
func (o *observer) waitFor(t *testing.T, want string) {
	t.Helper()
	timeout := time.After(patience)
	for {
		select {
		case e := <-o.events:
			if e == want {
				return
			}
		case <-timeout:
			t.Fatalf("observer event %q did not come", want)
		}
	}
}

// check asserts the totals once the server has stopped.
func (o *observer) check(t *testing.T, opened int, reasons ...string) {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.opened != opened || o.closed != opened {
		t.Errorf("ConnOpened %d, ConnClosed %d times; want %d each", o.opened, o.closed, opened)
	}
	if !slices.Equal(o.reasons, reasons) && len(o.reasons)+len(reasons) > 0 {
		t.Errorf("ProtocolError reasons %q, want %q", o.reasons, reasons)
	}
}

// notifyListener reports its Close, which is how Shutdown begins.
type notifyListener struct {
	net.Listener
	closed chan struct{}
	once   sync.Once
}

func (l *notifyListener) Close() error {
	err := l.Listener.Close()
	l.once.Do(func() { close(l.closed) })
	return err
}

type harness struct {
	srv    *audiosocket.Server
	ln     *notifyListener
	addr   string
	obs    *observer
	logs   *logtest.Buffer
	served chan error
	once   sync.Once
}

// serve runs srv on 127.0.0.1:0 with a recording Observer and a debug log,
// and stops it when the test ends.
func serve(t testing.TB, srv *audiosocket.Server) *harness {
	return serveCtx(t, context.Background(), srv)
}

func serveCtx(t testing.TB, ctx context.Context, srv *audiosocket.Server) *harness {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return serveOn(t, ctx, srv, ln)
}

// serveOn is serveCtx on a listener of the test's.
func serveOn(t testing.TB, ctx context.Context, srv *audiosocket.Server, ln net.Listener) *harness {
	t.Helper()
	h := &harness{
		srv:    srv,
		ln:     &notifyListener{Listener: ln, closed: make(chan struct{})},
		addr:   ln.Addr().String(),
		obs:    newObserver(),
		logs:   &logtest.Buffer{},
		served: make(chan error, 1),
	}
	if o, ok := srv.Observer.(*observer); ok {
		h.obs = o // one with room for more events
	}
	srv.Observer = h.obs
	srv.Logger = slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	go func() { h.served <- srv.Serve(ctx, h.ln) }()
	t.Cleanup(func() { h.stop(t) })
	return h
}

// stop shuts the server down and checks that Serve returned ErrShutdown.
// After it, no server goroutine runs and the logs are complete.
func (h *harness) stop(t testing.TB) {
	t.Helper()
	h.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), patience)
		defer cancel()
		if err := h.srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := recv(t, h.served); !errors.Is(err, audiosocket.ErrShutdown) {
			t.Errorf("Serve returned %v, want ErrShutdown", err)
		}
	})
}

// logHas asserts that the log holds a line with all of parts.
func (h *harness) logHas(t *testing.T, parts ...string) {
	t.Helper()
	for line := range strings.Lines(h.logs.String()) {
		if all(line, parts) {
			return
		}
	}
	t.Errorf("no log line with %q in:\n%s", parts, h.logs.String())
}

func all(line string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(line, p) {
			return false
		}
	}
	return true
}

func recv[T any](t testing.TB, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(patience):
		t.Fatal("timed out waiting for an event")
		panic("unreachable")
	}
}

func dial(t testing.TB, addr string) *audiosocket.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	c, err := audiosocket.Dial(ctx, addr, callID)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_ = c.NetConn().SetReadDeadline(time.Now().Add(patience))
	return c
}

// expectClose reads what the server sends after the call: a hangup frame
// when wantHangup, then the end of the connection.
func expectClose(t *testing.T, c *audiosocket.Client, wantHangup bool) {
	t.Helper()
	if wantHangup {
		f, err := c.ReadFrame()
		if err != nil || f.Kind != audiosocket.KindHangup {
			t.Fatalf("read %v, %v; want a hangup frame", f, err)
		}
	}
	f, err := c.ReadFrame()
	if err != io.EOF && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("read %v, %v; want the connection closed", f, err)
	}
}

// ending is how a handler's call ended: the error it saw and the context's
// cause.
type ending struct{ err, cause error }

// readUntilEnd is a handler that reads frames until the call ends.
func readUntilEnd(ended chan<- ending) audiosocket.Handler {
	return audiosocket.HandlerFunc(func(ctx context.Context, c *audiosocket.Conn) {
		for {
			if _, err := c.ReadFrame(); err != nil {
				ended <- ending{err, context.Cause(ctx)}
				return
			}
		}
	})
}

func frameBytes(k audiosocket.Kind, payload []byte) []byte {
	return append([]byte{byte(k), byte(len(payload) >> 8), byte(len(payload))}, payload...)
}

func TestCall(t *testing.T) {
	type seen struct {
		id      uuid.UUID
		dtmf    byte
		samples int
		rate    audio.Rate
		errs    []error
	}
	got := make(chan seen, 1)
	greeting := make(audio.PCM16, audio.Rate8k.FrameSamples())
	for i := range greeting {
		greeting[i] = int16(i * 100)
	}
	h := serve(t, &audiosocket.Server{Handler: audiosocket.HandlerFunc(func(ctx context.Context, c *audiosocket.Conn) {
		var s seen
		s.id = c.ID()
		check := func(err error) { s.errs = append(s.errs, err) }
		check(c.WriteAudio(audio.Rate8k, greeting))
		f, err := c.ReadFrame()
		check(err)
		s.dtmf = f.Payload[0]
		f, err = c.ReadFrame()
		check(err)
		s.samples, s.rate = len(f.Payload)/2, f.Kind.Rate()
		check(c.Hangup())
		check(c.Hangup()) // once only: no second frame
		check(c.Close())
		check(c.Close())
		if err := c.WriteAudio(audio.Rate8k, greeting); !errors.Is(err, audiosocket.ErrClosed) {
			check(err)
		}
		if cause := context.Cause(ctx); !errors.Is(cause, audiosocket.ErrHangup) {
			check(cause)
		}
		got <- s
	})})

	c := dial(t, h.addr)
	f, err := c.ReadFrame()
	if err != nil || f.Kind != audiosocket.KindAudio {
		t.Fatalf("first frame %v, %v; want 8 kHz audio", f, err)
	}
	if pcm := audio.AppendFromS16LE(nil, f.Payload); !slices.Equal(pcm, greeting) {
		t.Errorf("greeting samples differ")
	}
	if err := c.SendDTMF('#'); err != nil {
		t.Fatal(err)
	}
	if err := c.SendAudio(audio.Rate16k, make(audio.PCM16, audio.Rate16k.FrameSamples())); err != nil {
		t.Fatal(err)
	}
	expectClose(t, c, true)

	s := recv(t, got)
	if s.id != callID || len(s.id.String()) != 36 {
		t.Errorf("ID() = %v, want %v", s.id, callID)
	}
	if s.dtmf != '#' || s.samples != 320 || s.rate != audio.Rate16k {
		t.Errorf("handler saw DTMF %q and %d samples at %v; want '#', 320 at 16 kHz", s.dtmf, s.samples, s.rate)
	}
	for _, err := range s.errs {
		if err != nil {
			t.Errorf("handler: %v", err)
		}
	}
	h.obs.waitFor(t, "closed")
	h.stop(t)
	h.obs.check(t, 1)
	h.logHas(t, "call started", "call_id="+callID.String(), "remote=127.0.0.1:")
	h.logHas(t, "call ended", "call_id="+callID.String())
}

func TestHostilePeer(t *testing.T) {
	uuidFrame := frameBytes(audiosocket.KindUUID, uuidBytes)
	audioFrame := frameBytes(audiosocket.KindAudio, make([]byte, 320))
	tests := []struct {
		name        string
		handshake   bool   // the client sends a valid UUID frame first
		send        []byte // then these bytes
		closeWrite  bool   // then half-closes
		uuidTimeout time.Duration
		deadPeer    time.Duration
		want        string // ProtocolError reason; "" for none
		wantErr     error  // what the handler sees, when the call started
	}{
		{name: "first message not UUID", send: audioFrame, want: "first_not_uuid"},
		{name: "first message DTMF", send: frameBytes(audiosocket.KindDTMF, []byte("1")), want: "first_not_uuid"},
		{name: "short UUID", send: frameBytes(audiosocket.KindUUID, uuidBytes[:15]), want: "bad_uuid"},
		{name: "nil UUID", send: frameBytes(audiosocket.KindUUID, make([]byte, 16)), want: "bad_uuid"},
		{name: "UUID timeout", uuidTimeout: 100 * time.Millisecond, want: "uuid_timeout"},
		{name: "half UUID then close", send: uuidFrame[:8], closeWrite: true, want: "truncated"},
		{name: "unknown kind first", send: []byte{0x42, 0x00, 0x01, 0x00}, want: "unknown_kind"},
		{name: "dead peer", handshake: true, deadPeer: 100 * time.Millisecond, want: "dead_peer", wantErr: audiosocket.ErrDeadPeer},
		{name: "half frame then dead peer", handshake: true, send: audioFrame[:100], deadPeer: 100 * time.Millisecond, want: "dead_peer", wantErr: audiosocket.ErrDeadPeer},
		{name: "oversize length", handshake: true, send: []byte{0x10, 0xff, 0xff}, want: "oversize", wantErr: audiosocket.ErrFrameTooLarge},
		{name: "unknown kind", handshake: true, send: []byte{0x42, 0x00, 0x01, 0x00}, want: "unknown_kind", wantErr: audiosocket.ErrUnknownKind},
		{name: "zero length audio", handshake: true, send: []byte{0x10, 0x00, 0x00}, want: "zero_length", wantErr: audiosocket.ErrZeroLength},
		{name: "odd audio", handshake: true, send: frameBytes(audiosocket.KindAudio, make([]byte, 321)), want: "odd_audio", wantErr: audiosocket.ErrOddAudio},
		{name: "bad DTMF", handshake: true, send: frameBytes(audiosocket.KindDTMF, []byte("x")), want: "bad_dtmf", wantErr: audiosocket.ErrBadDTMF},
		{name: "hangup with payload", handshake: true, send: []byte{0x00, 0x00, 0x01, 0x00}, want: "bad_hangup", wantErr: audiosocket.ErrBadHangup},
		{name: "half frame then close", handshake: true, send: audioFrame[:100], closeWrite: true, want: "truncated", wantErr: audiosocket.ErrTruncated},
		{name: "error frame", handshake: true, send: slices.Concat(audioFrame, []byte{0xff, 0x00, 0x01, 0x02}), want: "peer_error", wantErr: audiosocket.ErrPeerError},
		{name: "hangup frame", handshake: true, send: slices.Concat(audioFrame, []byte{0x00, 0x00, 0x00}), wantErr: audiosocket.ErrHangup},
		{name: "close", handshake: true, send: audioFrame, closeWrite: true, wantErr: audiosocket.ErrHangup},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // each case has its own server; the timeouts overlap
			long := func(d time.Duration) time.Duration { return cmpOr(d, patience) }
			ended := make(chan ending, 1)
			h := serve(t, &audiosocket.Server{
				Handler:         readUntilEnd(ended),
				UUIDTimeout:     long(tt.uuidTimeout),
				DeadPeerTimeout: long(tt.deadPeer),
			})

			var client *audiosocket.Client
			var conn net.Conn
			if tt.handshake {
				client = dial(t, h.addr)
				conn = client.NetConn()
			} else {
				var err error
				if conn, err = net.Dial("tcp", h.addr); err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				_ = conn.SetReadDeadline(time.Now().Add(patience))
			}
			if len(tt.send) > 0 {
				if _, err := conn.Write(tt.send); err != nil {
					t.Fatal(err)
				}
			}
			if tt.closeWrite {
				if err := conn.(*net.TCPConn).CloseWrite(); err != nil {
					t.Fatal(err)
				}
			}

			if tt.handshake {
				e := recv(t, ended)
				if !errors.Is(e.err, tt.wantErr) || !errors.Is(e.cause, tt.wantErr) {
					t.Errorf("handler saw %v, cause %v; want %v", e.err, e.cause, tt.wantErr)
				}
				// The server hangs up on a peer that is still there.
				expectClose(t, client, !errors.Is(tt.wantErr, audiosocket.ErrHangup))
			} else if n, err := io.Copy(io.Discard, conn); n != 0 || (err != nil && !errors.Is(err, syscall.ECONNRESET)) {
				t.Errorf("before the call: server sent %d bytes, then %v; want a plain close", n, err)
			}

			h.obs.waitFor(t, "closed")
			h.stop(t)
			if tt.want == "" {
				h.obs.check(t, 1)
				return
			}
			h.obs.check(t, 1, tt.want)
			if tt.handshake {
				h.logHas(t, "reason="+tt.want, "remote=127.0.0.1:", "call_id="+callID.String())
			} else {
				h.logHas(t, "reason="+tt.want, "remote=127.0.0.1:")
			}
		})
	}
}

func cmpOr(d, def time.Duration) time.Duration {
	if d != 0 {
		return d
	}
	return def
}

func TestPeerClosesMidCall(t *testing.T) {
	frames := make(chan int, 1)
	ended := make(chan ending, 1)
	h := serve(t, &audiosocket.Server{Handler: audiosocket.HandlerFunc(func(ctx context.Context, c *audiosocket.Conn) {
		n := 0
		for {
			if _, err := c.ReadFrame(); err != nil {
				<-ctx.Done() // already done: the read ended the call
				frames <- n
				ended <- ending{err, context.Cause(ctx)}
				return
			}
			n++
		}
	})})
	c := dial(t, h.addr)
	for range 3 {
		if err := c.SendAudio(audio.Rate8k, make(audio.PCM16, 160)); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if n := recv(t, frames); n != 3 {
		t.Errorf("handler read %d frames, want 3", n)
	}
	if e := recv(t, ended); !errors.Is(e.cause, audiosocket.ErrHangup) || !errors.Is(e.err, audiosocket.ErrHangup) {
		t.Errorf("call ended with %v, cause %v; want ErrHangup", e.err, e.cause)
	}
	h.obs.waitFor(t, "closed")
	h.stop(t)
	h.obs.check(t, 1)
}

func TestPeerStopsReading(t *testing.T) {
	ended := make(chan ending, 1)
	h := serve(t, &audiosocket.Server{
		WriteTimeout: 100 * time.Millisecond,
		Handler: audiosocket.HandlerFunc(func(ctx context.Context, c *audiosocket.Conn) {
			burst := make(audio.PCM16, 32000) // large frames fill the socket buffers quickly
			for {
				if err := c.WriteAudio(audio.Rate8k, burst); err != nil {
					ended <- ending{err, context.Cause(ctx)}
					return
				}
			}
		}),
	})
	c := dial(t, h.addr) // and never read
	e := recv(t, ended)
	if !errors.Is(e.err, audiosocket.ErrWriteTimeout) || !errors.Is(e.cause, audiosocket.ErrWriteTimeout) {
		t.Errorf("handler saw %v, cause %v; want ErrWriteTimeout", e.err, e.cause)
	}
	h.obs.waitFor(t, "closed")
	_ = c.Close()
	h.stop(t)
	h.obs.check(t, 1, "write_timeout")
	h.logHas(t, "reason=write_timeout", "call_id="+callID.String(), "remote=127.0.0.1:")
}

func TestMaxConns(t *testing.T) {
	started := make(chan struct{}, 1)
	ended := make(chan ending, 1)
	h := serve(t, &audiosocket.Server{MaxConns: 1, Handler: audiosocket.HandlerFunc(func(ctx context.Context, c *audiosocket.Conn) {
		started <- struct{}{}
		readUntilEnd(ended).ServeCall(ctx, c)
	})})
	first := dial(t, h.addr)
	recv(t, started)

	extra, err := net.Dial("tcp", h.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	_ = extra.SetReadDeadline(time.Now().Add(patience))
	if n, err := io.Copy(io.Discard, extra); n != 0 || (err != nil && !errors.Is(err, syscall.ECONNRESET)) {
		t.Errorf("extra connection: read %d bytes, then %v; want it closed", n, err)
	}
	h.obs.waitFor(t, "error:conn_limit")
	if n := h.srv.Active(); n != 1 {
		t.Errorf("Active() = %d, want 1", n)
	}

	_ = first.Close()
	recv(t, ended)
	h.obs.waitFor(t, "closed")
	h.stop(t)
	h.obs.check(t, 1, "conn_limit")
	h.logHas(t, "connection refused", "reason=conn_limit", "remote=127.0.0.1:")
}

func TestAllowedNets(t *testing.T) {
	tests := []struct {
		name string
		nets []string
		want string // "" = served
	}{
		{"loopback allowed", []string{"10.0.0.0/8", "127.0.0.0/8"}, ""},
		{"loopback host allowed", []string{"127.0.0.1/32"}, ""},
		{"other network", []string{"10.0.0.0/8", "::1/128"}, "not_allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var nets []netip.Prefix
			for _, n := range tt.nets {
				nets = append(nets, netip.MustParsePrefix(n))
			}
			ended := make(chan ending, 1)
			h := serve(t, &audiosocket.Server{AllowedNets: nets, Handler: readUntilEnd(ended)})
			c := dial(t, h.addr)
			if tt.want == "" {
				_ = c.Close()
				recv(t, ended)
				h.obs.waitFor(t, "closed")
				h.stop(t)
				h.obs.check(t, 1)
				return
			}
			expectClose(t, c, false)
			h.obs.waitFor(t, "error:"+tt.want)
			h.stop(t)
			h.obs.check(t, 0, tt.want)
			h.logHas(t, "reason="+tt.want, "remote=127.0.0.1:")
		})
	}
}

func TestShutdownGracePeriodOver(t *testing.T) {
	started := make(chan struct{})
	type goodbye struct{ cause, audio, hangup error }
	said := make(chan goodbye, 1)
	h := serve(t, &audiosocket.Server{Handler: audiosocket.HandlerFunc(func(ctx context.Context, c *audiosocket.Conn) {
		close(started)
		<-ctx.Done()
		// The call's context is done, yet the handler can still say goodbye.
		said <- goodbye{
			cause:  context.Cause(ctx),
			audio:  c.WriteAudio(audio.Rate8k, make(audio.PCM16, 160)),
			hangup: c.Hangup(),
		}
	})})
	c := dial(t, h.addr)
	recv(t, started)

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := h.srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown = %v, want the grace period's deadline", err)
	}
	g := recv(t, said)
	if !errors.Is(g.cause, audiosocket.ErrShutdown) {
		t.Errorf("call's cause = %v, want ErrShutdown", g.cause)
	}
	if g.audio != nil || g.hangup != nil {
		t.Errorf("goodbye failed: audio %v, hangup %v", g.audio, g.hangup)
	}
	if f, err := c.ReadFrame(); err != nil || f.Kind != audiosocket.KindAudio {
		t.Fatalf("read %v, %v; want the goodbye audio", f, err)
	}
	expectClose(t, c, true)
	if n := h.srv.Active(); n != 0 {
		t.Errorf("Active() = %d after Shutdown, want 0", n)
	}
	h.stop(t)
	h.obs.check(t, 1)
}

func TestShutdownWaitsForCalls(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	ctxErr := make(chan error, 1)
	h := serve(t, &audiosocket.Server{Handler: audiosocket.HandlerFunc(func(ctx context.Context, c *audiosocket.Conn) {
		close(started)
		<-release
		ctxErr <- ctx.Err()
	})})
	c := dial(t, h.addr)
	recv(t, started)

	done := make(chan error, 1)
	go func() { done <- h.srv.Shutdown(context.Background()) }()
	recv(t, h.ln.closed) // Shutdown has begun: no new calls
	if extra, err := net.Dial("tcp", h.addr); err == nil {
		_ = extra.Close()
		t.Error("a new connection was accepted during shutdown")
	}
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned %v with a call active", err)
	default:
	}
	if n := h.srv.Active(); n != 1 {
		t.Errorf("Active() = %d during the grace period, want 1", n)
	}

	close(release)
	if err := recv(t, done); err != nil {
		t.Errorf("Shutdown = %v, want nil: the call ended in time", err)
	}
	if err := recv(t, ctxErr); err != nil {
		t.Errorf("call's context was cancelled during the grace period: %v", err)
	}
	expectClose(t, c, true) // the handler returned without hanging up; the server did
	h.stop(t)
	h.obs.check(t, 1)
}

func TestServeContextCancelled(t *testing.T) {
	started := make(chan struct{})
	causes := make(chan error, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h := serveCtx(t, ctx, &audiosocket.Server{Handler: audiosocket.HandlerFunc(func(ctx context.Context, c *audiosocket.Conn) {
		close(started)
		<-ctx.Done()
		causes <- context.Cause(ctx)
		_ = c.Hangup()
	})})
	c := dial(t, h.addr)
	recv(t, started)

	cancel()
	cause := recv(t, causes)
	if !errors.Is(cause, audiosocket.ErrShutdown) || !errors.Is(cause, context.Canceled) {
		t.Errorf("call's cause = %v, want ErrShutdown from a cancelled context", cause)
	}
	if err := recv(t, h.served); !errors.Is(err, audiosocket.ErrShutdown) {
		t.Errorf("Serve = %v, want ErrShutdown", err)
	}
	h.served <- audiosocket.ErrShutdown // for stop
	expectClose(t, c, true)
	h.stop(t)
	h.obs.check(t, 1)
}

func TestHandlerPanic(t *testing.T) {
	var calls atomic.Int32
	h := serve(t, &audiosocket.Server{Handler: audiosocket.HandlerFunc(func(ctx context.Context, c *audiosocket.Conn) {
		if calls.Add(1) == 1 {
			panic("boom")
		}
		_ = c.Hangup()
	})})

	expectClose(t, dial(t, h.addr), true)
	h.obs.waitFor(t, "error:handler_panic")
	// The server lives on.
	expectClose(t, dial(t, h.addr), true)

	h.stop(t)
	h.obs.check(t, 2, "handler_panic")
	h.logHas(t, "handler panicked", "reason=handler_panic", "panic=boom", "call_id="+callID.String(), "remote=127.0.0.1:")
}

func TestServeAfterShutdown(t *testing.T) {
	var srv audiosocket.Server
	srv.Handler = audiosocket.HandlerFunc(func(context.Context, *audiosocket.Conn) {})
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Serve(context.Background(), ln); !errors.Is(err, audiosocket.ErrShutdown) {
		t.Errorf("Serve after Shutdown = %v, want ErrShutdown", err)
	}
	if _, err := ln.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("listener still open after Serve refused it: %v", err)
	}
}
