package call_test

import (
	"net"
	"sync"
)

// pipeListener is an in-memory net.Listener: each dial is a net.Pipe, so
// that a whole call, server and caller, runs inside one synctest bubble on
// virtual time.
type pipeListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return loopbackAddr }

// dial returns the caller's end of a new connection.
func (l *pipeListener) dial() (net.Conn, error) {
	caller, server := net.Pipe()
	select {
	case l.conns <- loopbackConn{server}:
		return caller, nil
	case <-l.done:
		caller.Close()
		server.Close()
		return nil, net.ErrClosed
	}
}

// loopbackConn is a pipe that says it comes from loopback, as a local
// Asterisk would: the server admits connections by their address.
type loopbackConn struct{ net.Conn }

var loopbackAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9092}

func (loopbackConn) RemoteAddr() net.Addr { return loopbackAddr }
