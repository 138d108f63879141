// Package httpjsontest checks an HTTP server's connection limits
// (httpjson.Limits) from outside, as a hostile client would, over real
// TCP: a request whose body trickles in, a keep-alive connection left
// idle, a connection that never sends a byte, one connection too many.
package httpjsontest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// TrickleBody sends method path to addr, declaring a JSON body of size
// bytes and then sending one byte (a space, which a JSON decoder waits
// past) every interval, with header lines extra ("Authorization: ...").
// It returns how long after the request began the server closed the
// connection, and the status of the answer it sent first, 0 if none. It
// fails t if the connection is still open after wait.
func TrickleBody(t testing.TB, addr, method, path string, size int, interval, wait time.Duration, extra ...string) (time.Duration, int) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	head := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n", method, path, addr, size)
	for _, h := range extra {
		head += h + "\r\n"
	}
	if _, err := io.WriteString(c, head+"\r\n"); err != nil {
		t.Fatal(err)
	}
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for range size {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			if _, err := c.Write([]byte{' '}); err != nil {
				return // the server closed the connection
			}
		}
	}()
	defer func() { close(stop); <-stopped }()
	return readToClose(t, c, start, wait)
}

// IdleAfterRequest sends GET path to addr on a keep-alive connection,
// reads the answer, and then leaves the connection idle. It returns how
// long after the answer the server closed it, and fails t if the
// connection is still open after wait.
func IdleAfterRequest(t testing.TB, addr, path string, wait time.Duration) time.Duration {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	status := Get(t, c, br, addr, path, wait)
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d", path, status)
	}
	took, _ := readToClose(t, &bufferedConn{Conn: c, r: br}, time.Now(), wait)
	return took
}

// Silent connects to addr and sends nothing. It returns how long the
// server took to close the connection and fails t if it is still open
// after wait.
func Silent(t testing.TB, addr string, wait time.Duration) time.Duration {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	took, _ := readToClose(t, c, time.Now(), wait)
	return took
}

// MaxConns checks that the server at addr serves at most limit
// connections at once: it holds limit keep-alive connections, each
// answered 200 to GET path; the next connection gets no answer within
// wait (the kernel completes its handshake, the server does not accept
// it); once one of the held connections closes, it is answered 200. The
// server must keep an idle connection open for longer than wait.
func MaxConns(t testing.TB, addr, path string, limit int, wait time.Duration) {
	t.Helper()
	var held []net.Conn
	for i := range limit {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if status := Get(t, c, bufio.NewReader(c), addr, path, 5*time.Second); status != http.StatusOK {
			t.Fatalf("connection %d of %d: %d", i+1, limit, status)
		}
		held = append(held, c)
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	if status := Get(t, c, br, addr, path, wait); status != 0 {
		t.Fatalf("a connection over the limit of %d was served: %d", limit, status)
	}
	held[0].Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("the connection over the limit was not served after one closed: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the connection over the limit, once served: %d", resp.StatusCode)
	}
}

// Get sends GET path on c, a keep-alive connection to addr, and reads the
// answer through br within wait. It returns the status, or 0 if no answer
// came within wait (the connection is then unusable).
func Get(t testing.TB, c net.Conn, br *bufio.Reader, addr, path string, wait time.Duration) int {
	t.Helper()
	if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", path, addr); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(wait))
	defer c.SetReadDeadline(time.Time{})
	resp, err := http.ReadResponse(br, nil)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return 0
	}
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		t.Fatalf("GET %s: body: %v", path, err)
	}
	return resp.StatusCode
}

// readToClose reads c until the server closes it (EOF or a reset), with a
// deadline of wait after start. It returns the time from start to the
// close and the status line's code of whatever answer came first.
func readToClose(t testing.TB, c net.Conn, start time.Time, wait time.Duration) (time.Duration, int) {
	t.Helper()
	c.SetReadDeadline(start.Add(wait))
	var got strings.Builder
	_, err := io.Copy(&got, c)
	took := time.Since(start)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the server kept the connection open for %v (read %q)", wait, got.String())
	}
	status := 0
	if resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(got.String())), nil); err == nil {
		status = resp.StatusCode
		resp.Body.Close()
	}
	return took, status
}

// bufferedConn reads through r what it buffered of Conn first.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }
