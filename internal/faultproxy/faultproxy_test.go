package faultproxy

import (
	"bufio"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// echoServer answers every line with the same line.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); io.Copy(c, c) }()
		}
	}()
	return ln.Addr().String()
}

func roundTrip(addr string) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.Write([]byte("ping\n")); err != nil {
		return err
	}
	_, err = bufio.NewReader(c).ReadString('\n')
	return err
}

func TestCutAndRestore(t *testing.T) {
	p, err := Start(echoServer(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := roundTrip(p.Addr()); err != nil {
		t.Fatalf("through the proxy: %v", err)
	}
	held, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	if _, err := held.Write([]byte("x\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := bufio.NewReader(held).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	p.Cut()
	if _, err := held.Read(make([]byte, 1)); err == nil {
		t.Error("a connection held across Cut still reads")
	}
	if err := roundTrip(p.Addr()); err == nil {
		t.Error("a new connection works while cut")
	}
	p.Restore()
	if err := roundTrip(p.Addr()); err != nil {
		t.Errorf("after Restore: %v", err)
	}
}

// TestStall: while stalled, an open connection and a new one both stay
// open and get no answer (a read times out rather than failing); after
// Restore, what was sent meanwhile is answered.
func TestStall(t *testing.T) {
	p, err := Start(echoServer(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	held, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	heldR := bufio.NewReader(held)
	if _, err := held.Write([]byte("before\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := heldR.ReadString('\n'); err != nil {
		t.Fatal(err)
	}

	p.Stall()
	fresh, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatalf("a new connection is refused while stalled: %v", err)
	}
	defer fresh.Close()
	freshR := bufio.NewReader(fresh)
	for name, c := range map[string]net.Conn{"open": held, "new": fresh} {
		if _, err := c.Write([]byte(name + "\n")); err != nil {
			t.Fatalf("%s connection: write while stalled: %v", name, err)
		}
	}
	for name, c := range map[string]struct {
		conn net.Conn
		r    *bufio.Reader
	}{"open": {held, heldR}, "new": {fresh, freshR}} {
		c.conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		line, err := c.r.ReadString('\n')
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("%s connection while stalled: read %q, %v; want a timeout", name, line, err)
		}
		c.conn.SetReadDeadline(time.Time{})
	}

	p.Restore()
	for name, c := range map[string]*bufio.Reader{"open": heldR, "new": freshR} {
		if line, err := c.ReadString('\n'); err != nil || line != name+"\n" {
			t.Errorf("%s connection after Restore: %q, %v", name, line, err)
		}
	}
}

// TestCutEndsAStall: Cut during a stall closes the held connections
// instead of leaving them hanging.
func TestCutEndsAStall(t *testing.T) {
	p, err := Start(echoServer(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.Stall()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("x\n")); err != nil {
		t.Fatal(err)
	}
	p.Cut()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("a stalled connection still reads after Cut")
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("a stalled connection was left hanging by Cut")
	}
}
