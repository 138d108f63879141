package audiosocket

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// chanListener hands out the server ends of in-memory connections, so that
// the Server runs in a synctest bubble on virtual time.
type chanListener struct {
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *chanListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

// addrConn is one end of a net.Pipe that comes from remote.
type addrConn struct {
	net.Conn
	remote net.Addr
}

func (c addrConn) RemoteAddr() net.Addr { return c.remote }

// reasonObserver keeps the Server's protocol errors.
type reasonObserver struct {
	mu      sync.Mutex
	reasons []string
}

func (o *reasonObserver) ConnOpened() {}
func (o *reasonObserver) ConnClosed() {}
func (o *reasonObserver) ProtocolError(reason string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.reasons = append(o.reasons, reason)
}

// TestEvictionOrder: when a budget is full, the connection that goes is the
// oldest silent one past the grace, from the address at its cap, or else
// from the address that holds the most places; connections within the grace
// are spared up to four times a budget.
func TestEvictionOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ln := &chanListener{conns: make(chan net.Conn), closed: make(chan struct{})}
		obs := &reasonObserver{}
		srv := &Server{
			MaxHandshakes:          4,
			MaxHandshakesPerSource: 2,
			UUIDTimeout:            time.Hour,
			Observer:               obs,
			Handler:                HandlerFunc(func(ctx context.Context, c *Conn) {}),
		}
		served := make(chan error, 1)
		go func() { served <- srv.Serve(context.Background(), ln) }()

		peers := map[string]net.Conn{} // the callers' ends, by name
		open := func(name, ip string) {
			caller, server := net.Pipe()
			ln.conns <- addrConn{server, &net.TCPAddr{IP: net.ParseIP(ip), Port: 5000}}
			peers[name] = caller
			synctest.Wait() // admitted, and what it evicted is closed
		}
		// expectClosed checks which callers the server has closed so far.
		expectClosed := func(step string, names ...string) {
			t.Helper()
			for name, c := range peers {
				_ = c.SetReadDeadline(time.Now()) // the pipe reports a close before a deadline
				_, err := c.Read(make([]byte, 1))
				closed := errors.Is(err, io.EOF)
				if !closed && !errors.Is(err, os.ErrDeadlineExceeded) {
					t.Fatalf("%s: %s: read: %v", step, name, err)
				}
				if want := slices.Contains(names, name); closed != want {
					t.Errorf("%s: %s closed = %v, want %v", step, name, closed, want)
				}
			}
		}

		open("a1", "10.0.0.2")
		open("a2", "10.0.0.2")
		open("a3", "10.0.0.2")
		expectClosed("three from one address at once: the cap of 2 waits for the grace")

		time.Sleep(handshakeGrace)
		open("a4", "10.0.0.2")
		expectClosed("after the grace, the address at its cap makes room", "a1")

		open("b1", "10.0.0.3") // four waiting: a2, a3, a4, b1
		open("c1", "10.0.0.4")
		expectClosed("the whole budget full: the heaviest address pays, oldest first", "a1", "a2")

		open("b2", "10.0.0.3") // a3 and a4 from .2 and b1 from .3 weigh most; a3 is past the grace
		expectClosed("again", "a1", "a2", "a3")

		// Within the grace, up to four times a budget: eight from one
		// address wait; the ninth makes room from them regardless.
		for _, name := range []string{"h1", "h2", "h3", "h4", "h5", "h6", "h7", "h8"} {
			open(name, "10.0.0.9")
		}
		expectClosed("eight within the grace", "a1", "a2", "a3")
		open("h9", "10.0.0.9")
		expectClosed("the ninth, past four times the cap", "a1", "a2", "a3", "h1")

		for _, c := range peers {
			_ = c.Close()
		}
		if err := srv.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
		if err := <-served; !errors.Is(err, ErrShutdown) {
			t.Errorf("Serve = %v", err)
		}
		obs.mu.Lock()
		defer obs.mu.Unlock()
		if want := []string{"handshake_limit", "handshake_limit", "handshake_limit", "handshake_limit"}; !slices.Equal(obs.reasons, want) {
			t.Errorf("reasons %q, want %q", obs.reasons, want)
		}
	})
}
