package httpjson

import (
	"errors"
	"log"
	"net"
	"net/http"
	"sync"
	"time"
)

// Limits bound what clients can hold of an HTTP server: how long a
// request, its answer and an idle keep-alive connection may take, how big
// its headers may be, and how many connections are served at once. Each
// connection costs a goroutine, buffers and a file descriptor, which the
// AudioSocket listener of the same process needs for calls; without these
// bounds a client that trickles a body or leaves sockets idle holds them
// for as long as it likes.
type Limits struct {
	ReadHeaderTimeout time.Duration // request line and headers
	ReadTimeout       time.Duration // the whole request, body included
	WriteTimeout      time.Duration // from the end of the request headers to the end of the answer
	IdleTimeout       time.Duration // a keep-alive connection waiting for its next request
	MaxHeaderBytes    int           // request line and headers; more is 431
	MaxConns          int           // connections served at once; 0: no bound
}

// Server returns an http.Server for h with l's timeouts and header bound;
// errorLog (may be nil) gets the server's own errors. Serve it on
// l.Listener(ln) so that MaxConns holds too.
func (l Limits) Server(h http.Handler, errorLog *log.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		ReadTimeout:       l.ReadTimeout,
		WriteTimeout:      l.WriteTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    l.MaxHeaderBytes,
		ErrorLog:          errorLog,
	}
}

// Listener returns ln bounded to l.MaxConns connections at once (ln itself
// when MaxConns is 0).
func (l Limits) Listener(ln net.Listener) net.Listener {
	if l.MaxConns <= 0 {
		return ln
	}
	return LimitListener(ln, l.MaxConns)
}

// LimitListener returns a listener that has at most n of its connections
// open at once. Accept waits for one of them to close before it accepts
// the next, so that further clients wait in the kernel's accept queue,
// holding no goroutine or file descriptor of this process. Closing the
// listener ends a waiting Accept with net.ErrClosed. Closing a connection
// more than once frees its place once.
func LimitListener(ln net.Listener, n int) net.Listener {
	return &limitListener{Listener: ln, slots: make(chan struct{}, n), done: make(chan struct{})}
}

type limitListener struct {
	net.Listener
	slots     chan struct{} // one element per open connection
	done      chan struct{} // closed by Close
	closeOnce sync.Once
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &limitConn{Conn: c, slots: l.slots}, nil
}

func (l *limitListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// limitConn frees its listener's slot when it is closed.
type limitConn struct {
	net.Conn
	slots   chan struct{}
	release sync.Once
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.release.Do(func() { <-c.slots })
	return err
}

// CloseWrite passes a half-close through: net/http uses it to let a
// client read an error answer before the connection goes (after a body
// it did not read), which a plain Close would cut with a reset.
func (c *limitConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}
