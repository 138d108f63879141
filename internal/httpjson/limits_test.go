package httpjson_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tirevoice/assistant/internal/httpjson"
	"github.com/tirevoice/assistant/internal/httpjson/httpjsontest"
)

// serve runs h on loopback with limits l until the test ends and returns
// its address.
func serve(t *testing.T, l httpjson.Limits, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := l.Server(h, nil)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l.Listener(ln)) }()
	t.Cleanup(func() {
		// Close, not Shutdown: the tests leave connections open on purpose.
		srv.Close()
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// decodeHandler reads a JSON body as the API handlers do; refuseHandler
// answers 401 without reading it, as the token check does.
var (
	decodeHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var v map[string]any
		if e := httpjson.Decode(w, r, 1<<20, &v); e != nil {
			http.Error(w, e.Message, e.Status)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	refuseHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "no token", http.StatusUnauthorized)
	})
)

// TestLimitsCutTrickledBody: a body sent a byte every 50 ms (a minute for
// 1 KiB) holds the connection no longer than ReadTimeout, whether the
// handler reads it or refuses the request unread.
func TestLimitsCutTrickledBody(t *testing.T) {
	const readTimeout = time.Second
	tests := []struct {
		name    string
		handler http.Handler
		want    int
	}{
		{"handler reads the body", decodeHandler, http.StatusBadRequest},
		{"handler refuses without reading", refuseHandler, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := serve(t, httpjson.Limits{ReadHeaderTimeout: readTimeout / 2, ReadTimeout: readTimeout, WriteTimeout: 5 * time.Second, IdleTimeout: time.Minute}, tt.handler)
			took, status := httpjsontest.TrickleBody(t, addr, http.MethodPost, "/", 1024, 50*time.Millisecond, readTimeout+2*time.Second)
			if took < readTimeout*9/10 {
				t.Errorf("connection closed after %v, before the read timeout %v", took, readTimeout)
			}
			if status != tt.want {
				t.Errorf("answer %d, want %d", status, tt.want)
			}
		})
	}
}

// TestLimitsCloseIdle: a keep-alive connection left idle after its answer
// is closed after IdleTimeout; one that never sends a byte, after
// ReadHeaderTimeout.
func TestLimitsCloseIdle(t *testing.T) {
	const idle, header = 500 * time.Millisecond, 2 * time.Second
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {})
	addr := serve(t, httpjson.Limits{ReadHeaderTimeout: header, ReadTimeout: header, WriteTimeout: 5 * time.Second, IdleTimeout: idle}, ok)

	if took := httpjsontest.IdleAfterRequest(t, addr, "/", header); took < idle*9/10 {
		t.Errorf("idle keep-alive connection closed after %v, before IdleTimeout %v", took, idle)
	}
	if took := httpjsontest.Silent(t, addr, header+2*time.Second); took < header*9/10 {
		t.Errorf("silent connection closed after %v, before ReadHeaderTimeout %v", took, header)
	}
}

// TestLimitsMaxConns: with MaxConns connections open, the next client is
// not served until one of them closes; then it is.
func TestLimitsMaxConns(t *testing.T) {
	const maxConns = 2
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {})
	addr := serve(t, httpjson.Limits{ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second, IdleTimeout: time.Minute, MaxConns: maxConns}, ok)
	httpjsontest.MaxConns(t, addr, "/", maxConns, 300*time.Millisecond)
}

// TestLimitsMaxHeaderBytes: headers over the bound are answered 431.
func TestLimitsMaxHeaderBytes(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {})
	addr := serve(t, httpjson.Limits{ReadHeaderTimeout: 5 * time.Second, MaxHeaderBytes: 4096}, ok)
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Padding", strings.Repeat("x", 64<<10))
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("64 KiB of headers: %d, want 431", resp.StatusCode)
	}
}

// TestLimitListenerClose: Close ends an Accept that waits for a free
// place, and closing a connection twice frees one place only.
func TestLimitListenerClose(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := httpjson.LimitListener(raw, 1)
	defer ln.Close()
	accepted := make(chan net.Conn, 3)
	acceptErr := make(chan error, 1)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				acceptErr <- err
				return
			}
			accepted <- c
		}
	}()
	dial := func() net.Conn {
		c, err := net.Dial("tcp", raw.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	dial()
	first := <-accepted
	first.Close()
	first.Close()
	dial()
	second := <-accepted
	dial() // waits in the accept queue: the place is second's
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	select {
	case c := <-accepted:
		t.Fatalf("a second connection was accepted while the first was open: %v", c.RemoteAddr())
	case <-ctx.Done():
	}
	ln.Close()
	if err := <-acceptErr; !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept after Close: %v, want net.ErrClosed", err)
	}
	second.Close()
}
