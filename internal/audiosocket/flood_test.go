package audiosocket_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tirevoice/assistant/internal/audio"
	"github.com/tirevoice/assistant/internal/audiosocket"
)

// dialFrom connects to addr from src, an address of the loopback network
// (every 127.0.0.0/8 address is the loopback interface's), and sends
// nothing: a socket that never says which call it is.
func dialFrom(src, addr string) (net.Conn, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: patience}
	return d.Dial("tcp", addr)
}

// flood opens n silent sockets to addr, from the addresses srcs in turn. It
// closes ready once at sockets are up (if at < n), and returns the sockets.
func flood(addr string, n, at int, srcs []string, ready chan<- struct{}) ([]net.Conn, error) {
	conns := make([]net.Conn, 0, n)
	for i := range n {
		if i == at {
			close(ready)
		}
		c, err := dialFrom(srcs[i%len(srcs)], addr)
		if err != nil {
			return conns, fmt.Errorf("flood socket %d: %w", i, err)
		}
		conns = append(conns, c)
	}
	return conns, nil
}

// TestHandshakeFloodDoesNotShutOutCalls: 1,100 sockets that connect and say
// nothing, more than AUDIOSOCKET_MAX_CONNS, while a real call arrives. They
// hold no place of a call, and of their own budget they hold only the
// places that newer connections do not need: the call is served.
func TestHandshakeFloodDoesNotShutOutCalls(t *testing.T) {
	const (
		floodSockets = 1100
		maxHandshake = 64
		perSource    = 16
	)
	tests := []struct {
		name string
		srcs []string // the flood's addresses; the call comes from 127.0.0.1
		// callAt is how many flood sockets are up when the call dials; the
		// rest of the flood goes on meanwhile. From the flood's own
		// address the call comes last: a flood there that opens four times
		// the per-source cap before the call's UUID frame has arrived
		// evicts it, as no budget could tell it from the flood.
		callAt int
		// evicted bounds the flood sockets the server closed: all but
		// those still waiting in the end, which are at least the budget
		// (less the place the call took) and, however fast the flood, at
		// most four times the budget: below that, sockets younger than
		// the grace of 100 ms are spared.
		evictedMin, evictedMax int
	}{
		{
			name:       "flood from eleven other addresses, during the call",
			srcs:       []string{"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6", "127.0.0.7", "127.0.0.8", "127.0.0.9", "127.0.0.10", "127.0.0.11", "127.0.0.12"},
			callAt:     1050,
			evictedMin: floodSockets - 4*maxHandshake, evictedMax: floodSockets - maxHandshake + 1,
		},
		{
			name:       "flood from the caller's own address, before the call",
			srcs:       []string{"127.0.0.1"},
			callAt:     floodSockets,
			evictedMin: floodSockets - 4*perSource + 1, evictedMax: floodSockets - perSource + 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			started := make(chan uuid.UUID, 1)
			h := serve(t, &audiosocket.Server{
				MaxConns:               1000,
				MaxHandshakes:          maxHandshake,
				MaxHandshakesPerSource: perSource,
				// Long: under the old single budget the silent sockets held
				// every place for this long.
				UUIDTimeout: patience,
				Observer:    newObserverFor(4 * floodSockets),
				Handler: audiosocket.HandlerFunc(func(ctx context.Context, c *audiosocket.Conn) {
					started <- c.ID()
					_ = c.WriteAudio(audio.Rate8k, make(audio.PCM16, audio.Rate8k.FrameSamples()))
					_ = c.Hangup()
				}),
			})
			begun := time.Now()

			type result struct {
				conns []net.Conn
				err   error
			}
			ready := make(chan struct{})
			flooded := make(chan result, 1)
			go func() {
				conns, err := flood(h.addr, floodSockets, tt.callAt, tt.srcs, ready)
				flooded <- result{conns, err}
			}()
			var res result
			if tt.callAt < floodSockets {
				recv(t, ready)
			} else {
				res = recv(t, flooded)
			}

			// The real call, from 127.0.0.1, sends its UUID frame at once as
			// Asterisk does.
			c := dial(t, h.addr)
			if id := recv(t, started); id != callID {
				t.Errorf("call %v served, want %v", id, callID)
			}
			if f, err := c.ReadFrame(); err != nil || f.Kind != audiosocket.KindAudio {
				t.Fatalf("the call got %v, %v; want the bot's audio", f, err)
			}
			expectClose(t, c, true)

			if res.conns == nil {
				res = recv(t, flooded)
			}
			for _, fc := range res.conns {
				defer fc.Close()
			}
			if res.err != nil {
				t.Fatal(res.err)
			}
			// The flood's survivors leave: every connection has then ended,
			// and every event has been reported.
			for _, fc := range res.conns {
				_ = fc.Close()
			}
			for opened, closed := 0, 0; opened != floodSockets+1 || closed != opened; {
				switch e := recv(t, h.obs.events); e {
				case "opened":
					opened++
				case "closed":
					closed++
				}
			}
			h.stop(t)
			elapsed := time.Since(begun) // every line has been written

			h.obs.mu.Lock()
			reasons := h.obs.reasons
			h.obs.mu.Unlock()
			evicted := 0
			for _, r := range reasons {
				if r != "handshake_limit" {
					t.Errorf("a connection ended with reason %q", r)
					continue
				}
				evicted++
			}
			if evicted < tt.evictedMin || evicted > tt.evictedMax {
				t.Errorf("%d flood sockets evicted, want %d..%d", evicted, tt.evictedMin, tt.evictedMax)
			}
			// The evictions are counted, not each logged: one line a
			// second, the first at once.
			lines := strings.Count(h.logs.String(), "reason=handshake_limit")
			if limit := 1 + int(elapsed/time.Second); lines == 0 || lines > limit {
				t.Errorf("%d log lines about evictions in %v, want 1..%d", lines, elapsed.Round(time.Millisecond), limit)
			}
			t.Logf("%d sockets evicted in %v; %d log lines", evicted, elapsed.Round(time.Millisecond), lines)
		})
	}
}

// gatedListener accepts nothing until open is closed.
type gatedListener struct {
	net.Listener
	open chan struct{}
}

func (l *gatedListener) Accept() (net.Conn, error) {
	<-l.open
	return l.Listener.Accept()
}

// TestBurstOfCallsFromOneAddress: many calls at once from one address, as
// from a load balancer or a call simulator, each with its UUID frame sent.
// The server accepts them only once all have connected and sent it, so its
// accept loop admits them far faster than their goroutines read their UUID
// frames, far past both budgets and their hard limit: none is evicted, since
// each has said which call it is.
func TestBurstOfCallsFromOneAddress(t *testing.T) {
	const calls = 500 // more than 4 x 64 in all and 4 x 16 from one address
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := &gatedListener{Listener: tcp, open: make(chan struct{})}
	h := serveOn(t, context.Background(), &audiosocket.Server{
		MaxHandshakes:          64,
		MaxHandshakesPerSource: 16,
		Observer:               newObserverFor(4 * calls),
		Handler: audiosocket.HandlerFunc(func(ctx context.Context, c *audiosocket.Conn) {
			_ = c.Hangup()
		}),
	}, ln)
	clients := make([]*audiosocket.Client, calls)
	for i := range clients {
		clients[i] = dial(t, h.addr) // connected, and the UUID frame sent
	}
	close(ln.open)
	failed := 0
	for _, c := range clients {
		if f, err := c.ReadFrame(); err != nil || f.Kind != audiosocket.KindHangup {
			if failed++; failed <= 3 {
				t.Errorf("read %v, %v; want the hangup frame of a served call", f, err)
			}
		}
	}
	if failed > 0 {
		t.Errorf("%d of %d calls not served", failed, calls)
	}
	for _, c := range clients {
		_ = c.Close()
	}
	for closed := 0; closed < calls; {
		if recv(t, h.obs.events) == "closed" {
			closed++
		}
	}
	h.stop(t)
	h.obs.check(t, calls)
}

// TestMaxConnsCountsCalls: MaxConns is a budget of calls; a connection that
// finishes its handshake while the calls are at the limit is refused then.
func TestMaxConnsCountsCalls(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 2)
	h := serve(t, &audiosocket.Server{MaxConns: 1, Handler: audiosocket.HandlerFunc(func(ctx context.Context, c *audiosocket.Conn) {
		started <- struct{}{}
		<-release
	})})
	// Two sockets wait for their UUID frame while no call runs: both are
	// admitted, since the calls are under the limit.
	first, err := net.Dial("tcp", h.addr)
	if err != nil {
		t.Fatal(err)
	}
	second, err := net.Dial("tcp", h.addr)
	if err != nil {
		t.Fatal(err)
	}
	h.obs.waitFor(t, "opened")
	h.obs.waitFor(t, "opened")
	a, err := audiosocket.NewClient(first, callID)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	recv(t, started)
	b, err := audiosocket.NewClient(second, callID)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	_ = second.SetReadDeadline(time.Now().Add(patience))
	expectClose(t, b, false) // refused once it said which call it is
	h.obs.waitFor(t, "error:conn_limit")
	close(release)
	_ = first.SetReadDeadline(time.Now().Add(patience))
	expectClose(t, a, true)
	h.stop(t)
	h.obs.check(t, 2, "conn_limit")
	h.logHas(t, "handshake failed", "reason=conn_limit", "1 calls")
}

// TestTooFast: a peer that sends faster than real time, beyond a short
// burst, has its call ended with ErrTooFast and counted as "too_fast",
// whatever it sends: big audio frames, DTMF, or tiny audio frames.
func TestTooFast(t *testing.T) {
	tests := []struct {
		name string
		send func(c *audiosocket.Client) error
	}{
		{"192 kHz audio", func() func(c *audiosocket.Client) error {
			frame := make(audio.PCM16, audio.Rate192k.FrameSamples())
			return func(c *audiosocket.Client) error { return c.SendAudio(audio.Rate192k, frame) }
		}()},
		{"DTMF", func(c *audiosocket.Client) error { return c.SendDTMF('5') }},
		{"one-sample audio frames", func() func(c *audiosocket.Client) error {
			frame := make(audio.PCM16, 1)
			return func(c *audiosocket.Client) error { return c.SendAudio(audio.Rate8k, frame) }
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ended := make(chan ending, 1)
			h := serve(t, &audiosocket.Server{Handler: readUntilEnd(ended)})
			c := dial(t, h.addr)
			begun := time.Now()
			frames := make(chan int, 1)
			go func() {
				// At wire speed until the server's close makes a write fail.
				n := 0
				for tt.send(c) == nil {
					n++
				}
				frames <- n
			}()
			e := recv(t, ended)
			took := time.Since(begun)
			if !errors.Is(e.err, audiosocket.ErrTooFast) || !errors.Is(e.cause, audiosocket.ErrTooFast) {
				t.Errorf("handler saw %v, cause %v; want ErrTooFast", e.err, e.cause)
			}
			h.obs.waitFor(t, "closed")
			n := recv(t, frames)
			h.stop(t)
			h.obs.check(t, 1, "too_fast")
			h.logHas(t, "call ended on an error", "reason=too_fast", "call_id="+callID.String())
			t.Logf("call ended %v after the UUID frame; the peer wrote %d frames", took.Round(time.Microsecond), n)
		})
	}
}
