// Package googleapitest runs the fake Google Cloud gRPC servers of tests
// (stt/google/speechtest, tts/google/ttstest) and connects the real client
// libraries to them, in the manner of net/http/httptest.
package googleapitest

import (
	"context"
	"io"
	"net"
	"testing"

	"google.golang.org/api/option"
	"google.golang.org/grpc"

	"github.com/tirevoice/assistant/internal/googleapi"
)

// Serve serves srv, with its services already registered, on 127.0.0.1:0
// until the test ends, and returns its host:port. At the end it stops srv
// and waits for Serve to return.
func Serve(tb testing.TB, srv *grpc.Server) (addr string) {
	tb.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("googleapitest: %v", err)
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(lis) // returns nil after Stop
	}()
	tb.Cleanup(func() {
		srv.Stop()
		<-served
	})
	return lis.Addr().String()
}

// Open makes a client with newClient(ctx, cfg, opts...), the way production
// does but connected to the fake at addr in plaintext and without
// credentials, and closes it when the test ends (a Close error fails the
// test). opts override whatever cfg says about the connection.
func Open[Config any, C io.Closer](tb testing.TB, newClient func(context.Context, Config, ...option.ClientOption) (C, error), cfg Config, addr string) C {
	tb.Helper()
	c, err := newClient(tb.Context(), cfg, googleapi.Conn{Endpoint: addr, Insecure: true}.ClientOptions()...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := c.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return c
}
