package audiosocket

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/tirevoice/assistant/internal/audio"
)

// Client is the Asterisk end of an AudioSocket connection, for the call
// simulator and tests: it sends the UUID frame first, then audio, DTMF and
// whatever else a test needs, and reads what the server sends.
//
// Concurrency: one goroutine may call ReadFrame while others send; the Send
// methods are serialised by a mutex. Close may be called at any time.
type Client struct {
	nc     net.Conn
	id     uuid.UUID
	rd     *Reader
	wmu    sync.Mutex
	wr     *Writer
	closed atomic.Bool
}

// Dial connects to an AudioSocket server at addr ("host:port") with
// TCP_NODELAY and sends the UUID frame for id. ctx bounds the dial and the
// first write; it does not outlive Dial.
func Dial(ctx context.Context, addr string, id uuid.UUID) (*Client, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("audiosocket: dial %s: %w", addr, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = nc.SetWriteDeadline(dl)
	}
	c, err := NewClient(nc, id)
	if err != nil {
		return nil, err
	}
	_ = nc.SetWriteDeadline(time.Time{})
	return c, nil
}

// NewClient starts an AudioSocket session on an established connection nc,
// which it then owns (it closes nc if it fails): it sends the UUID frame for
// id (ErrBadUUID for the nil UUID) and reads with DefaultMaxPayload. It turns
// on TCP_NODELAY when nc is TCP.
func NewClient(nc net.Conn, id uuid.UUID) (*Client, error) {
	setNoDelay(nc)
	c := &Client{nc: nc, id: id, rd: NewReader(nc, DefaultMaxPayload), wr: NewWriter(nc)}
	if err := c.SendFrame(KindUUID, id[:]); err != nil {
		_ = nc.Close()
		return nil, err
	}
	return c, nil
}

// ID is the call UUID this client announced.
func (c *Client) ID() uuid.UUID { return c.id }

// SendAudio sends p as one audio frame of the kind for rate (1..32767
// samples; 20 ms is rate.FrameSamples()). It does not keep p.
func (c *Client) SendAudio(rate audio.Rate, p audio.PCM16) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.wr.WriteAudio(rate, p)
}

// SendDTMF sends one DTMF digit: 0-9, *, #, A-D.
func (c *Client) SendDTMF(digit byte) error {
	return c.SendFrame(KindDTMF, []byte{digit})
}

// SendHangup sends the hangup frame. (A real Asterisk hangs up by closing;
// the frame is here to test the server's handling of it.)
func (c *Client) SendHangup() error { return c.SendFrame(KindHangup, nil) }

// SendFrame validates and sends any frame, such as an error frame. To send
// an invalid one, write bytes to NetConn.
func (c *Client) SendFrame(k Kind, payload []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.wr.WriteFrame(k, payload)
}

// ReadFrame reads the next frame from the server, hangup frames included.
// Payload aliases the Client's buffer and is valid until the next ReadFrame.
// It returns io.EOF when the server closed the connection between frames.
// It has no deadline of its own; set one on NetConn.
func (c *Client) ReadFrame() (Frame, error) { return c.rd.ReadFrame() }

// NetConn is the underlying connection, for deadlines and for tests that
// write malformed bytes. Bytes read from it directly are lost to ReadFrame.
func (c *Client) NetConn() net.Conn { return c.nc }

// Close closes the connection, which is how Asterisk hangs up. It is
// idempotent: later calls return nil.
func (c *Client) Close() error {
	if !c.closed.CompareAndSwap(false, true) {
		return nil
	}
	return c.nc.Close()
}
