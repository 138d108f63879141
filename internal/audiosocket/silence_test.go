package audiosocket_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tirevoice/assistant/internal/audiosocket"
)

// readResult is what the handler of TestSilentPeer saw for one read.
type readResult struct {
	frame []byte // payload, copied
	err   error
	took  time.Duration
	ended bool // the call's context was done after the read
}

// TestSilentPeer: a caller's frames may stop for any length of time
// (silence suppression, a hold, a stall). Over real TCP, with a dead-peer
// limit of 1.5 s: ReadFrameUntil gives up at its time with ErrNoFrame and
// the call goes on; a frame half sent across that time is read whole
// afterwards; a silence longer than 25 frames of the old cadence does not
// end the call; only the dead-peer limit does, and not before it.
func TestSilentPeer(t *testing.T) {
	const deadPeer = 1500 * time.Millisecond
	const wait = 200 * time.Millisecond
	next := make(chan time.Duration) // test -> handler: read until now+d; 0 = ReadFrame
	results := make(chan readResult)
	h := serve(t, &audiosocket.Server{
		DeadPeerTimeout: deadPeer,
		Handler: audiosocket.HandlerFunc(func(ctx context.Context, c *audiosocket.Conn) {
			for d := range next {
				start := time.Now()
				var f audiosocket.Frame
				var err error
				if d > 0 {
					f, err = c.ReadFrameUntil(start.Add(d))
				} else {
					f, err = c.ReadFrame()
				}
				results <- readResult{bytes.Clone(f.Payload), err, time.Since(start), ctx.Err() != nil}
				if ctx.Err() != nil {
					return
				}
			}
		}),
	})
	defer close(next)
	client := dial(t, h.addr)
	conn := client.NetConn()
	frame := frameBytes(audiosocket.KindAudio, bytes.Repeat([]byte{1, 2}, 160))

	read := func(d time.Duration) readResult {
		t.Helper()
		next <- d
		return recv(t, results)
	}
	send := func(b []byte) {
		t.Helper()
		if _, err := conn.Write(b); err != nil {
			t.Fatal(err)
		}
	}

	send(frame)
	if r := read(0); r.err != nil || !bytes.Equal(r.frame, frame[3:]) {
		t.Fatalf("first frame: %v", r.err)
	}
	// Nothing sent: the read gives up on time and the call goes on.
	r := read(wait)
	if !errors.Is(r.err, audiosocket.ErrNoFrame) || r.ended {
		t.Fatalf("silent line: got %v (call ended %v), want ErrNoFrame and the call going on", r.err, r.ended)
	}
	if r.took < wait || r.took > wait+150*time.Millisecond {
		t.Errorf("ReadFrameUntil gave up after %v, want %v", r.took, wait)
	}
	// Half a frame, then the time runs out: the half is kept.
	send(frame[:100])
	if r := read(wait); !errors.Is(r.err, audiosocket.ErrNoFrame) || r.ended {
		t.Fatalf("half a frame: got %v (call ended %v), want ErrNoFrame", r.err, r.ended)
	}
	send(frame[100:])
	if r := read(wait); r.err != nil || !bytes.Equal(r.frame, frame[3:]) {
		t.Fatalf("frame completed after a timeout: %v, payload intact %v", r.err, bytes.Equal(r.frame, frame[3:]))
	}
	// A silence of 1 s (50 frames of the 20 ms cadence), in short reads:
	// the call goes on, and the next frame reads fine.
	silentFrom := time.Now()
	for time.Since(silentFrom) < time.Second {
		if r := read(wait); !errors.Is(r.err, audiosocket.ErrNoFrame) || r.ended {
			t.Fatalf("%v into the silence: got %v (call ended %v), want ErrNoFrame", time.Since(silentFrom), r.err, r.ended)
		}
	}
	send(frame)
	lastSent := time.Now()
	if r := read(0); r.err != nil {
		t.Fatalf("frame after a 1 s silence: %v", r.err)
	}
	// Silence past the limit: ErrDeadPeer, not before it.
	r = read(0)
	if !errors.Is(r.err, audiosocket.ErrDeadPeer) || !r.ended {
		t.Fatalf("silence past the limit: got %v (call ended %v), want ErrDeadPeer", r.err, r.ended)
	}
	if took := time.Since(lastSent); took < deadPeer {
		t.Errorf("dead peer declared %v after the last frame, before the limit %v", took, deadPeer)
	}
	expectClose(t, client, true)
	h.obs.waitFor(t, "closed")
	h.stop(t)
	h.obs.check(t, 1, "dead_peer")
}
