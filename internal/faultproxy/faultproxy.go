// Package faultproxy is a TCP proxy for tests that can take a dependency
// away in the two ways production sees: Cut, as if the server went down
// (every connection closed, new ones refused), and Stall, as if it hung
// (connections stay open, new ones are accepted, nothing comes back). A
// real PostgreSQL or Redis stays up behind it, and Restore gives it back.
package faultproxy

import (
	"errors"
	"io"
	"net"
	"sync"
)

// Proxy forwards connections from its loopback address to a target.
type Proxy struct {
	target string
	ln     net.Listener

	mu    sync.Mutex
	down  bool
	conns map[net.Conn]struct{}
	// flowing is closed while bytes may pass; Stall replaces it with an
	// open channel, which Restore (or Cut) closes.
	flowing chan struct{}
	wg      sync.WaitGroup
}

// Start listens on a free loopback port and forwards to target (host:port).
func Start(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	flowing := make(chan struct{})
	close(flowing)
	p := &Proxy{target: target, ln: ln, conns: map[net.Conn]struct{}{}, flowing: flowing}
	p.wg.Go(p.accept)
	return p, nil
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Cut closes every forwarded connection and closes new ones at once until
// Restore: to the client the target has gone away. It ends a Stall.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	p.flow()
	for c := range p.conns {
		c.Close()
	}
}

// Stall holds every byte until Restore, in both directions, on the
// connections already open and on new ones, which are accepted (the TCP
// handshake completes) but not forwarded: to the client the target hangs
// without closing anything, as a server stuck on a lock, a full disk or a
// dead network path does. Bytes sent meanwhile are delivered after
// Restore.
func (p *Proxy) Stall() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.flowing:
		p.flowing = make(chan struct{})
	default: // already stalled
	}
}

// Restore forwards new connections again and lets held bytes through.
func (p *Proxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
	p.flow()
}

// flow ends a stall. The caller holds mu.
func (p *Proxy) flow() {
	select {
	case <-p.flowing:
	default:
		close(p.flowing)
	}
}

// wait blocks while the proxy is stalled.
func (p *Proxy) wait() {
	p.mu.Lock()
	ch := p.flowing
	p.mu.Unlock()
	<-ch
}

// Close stops the proxy and closes every connection.
func (p *Proxy) Close() error {
	err := p.ln.Close()
	p.Cut()
	p.wg.Wait()
	return err
}

func (p *Proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		p.wg.Go(func() { p.forward(c) })
	}
}

// track registers c unless the proxy is down; it reports whether it did.
func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	c.Close()
}

func (p *Proxy) forward(client net.Conn) {
	if !p.track(client) {
		client.Close()
		return
	}
	defer p.untrack(client)
	// A connection accepted during a stall reaches the target only after
	// it; Cut releases the wait and the track below refuses it.
	p.wait()
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	if !p.track(server) {
		server.Close()
		return
	}
	defer p.untrack(server)
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		err := p.copy(dst, src)
		if err != nil && !errors.Is(err, net.ErrClosed) {
			dst.Close()
		}
		if tc, ok := dst.(*net.TCPConn); ok {
			tc.CloseWrite()
		}
		done <- struct{}{}
	}
	go pipe(server, client)
	go pipe(client, server)
	<-done
	client.Close()
	server.Close()
	<-done
}

// copy is io.Copy that holds what it read while the proxy is stalled.
func (p *Proxy) copy(dst, src net.Conn) error {
	buf := make([]byte, 32<<10)
	for {
		n, rerr := src.Read(buf)
		if n > 0 {
			p.wait()
			if _, err := dst.Write(buf[:n]); err != nil {
				return err
			}
		}
		if rerr != nil {
			if errors.Is(rerr, net.ErrClosed) || errors.Is(rerr, io.EOF) {
				return nil
			}
			return rerr
		}
	}
}
