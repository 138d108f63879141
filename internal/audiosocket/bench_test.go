package audiosocket_test

import (
	"context"
	"io"
	"testing"

	"github.com/tirevoice/assistant/internal/audio"
	"github.com/tirevoice/assistant/internal/audiosocket"
)

func BenchmarkReaderReadFrame(b *testing.B) {
	for _, rate := range []audio.Rate{audio.Rate8k, audio.Rate16k} {
		b.Run(rate.String(), func(b *testing.B) {
			k, _ := audiosocket.AudioKind(rate)
			frame := wire(b, audiosocket.Frame{Kind: k, Payload: make([]byte, rate.FrameBytes())})
			r := audiosocket.NewReader(&loopReader{data: frame}, 0)
			b.SetBytes(int64(len(frame)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.ReadFrame(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkWriterWriteFrame(b *testing.B) {
	payload := make([]byte, audio.Rate8k.FrameBytes())
	w := audiosocket.NewWriter(io.Discard)
	b.SetBytes(int64(audiosocket.HeaderSize + len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		if err := w.WriteFrame(audiosocket.KindAudio, payload); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriterWriteAudio(b *testing.B) {
	for _, rate := range []audio.Rate{audio.Rate8k, audio.Rate16k} {
		b.Run(rate.String(), func(b *testing.B) {
			pcm := make(audio.PCM16, rate.FrameSamples())
			w := audiosocket.NewWriter(io.Discard)
			b.SetBytes(int64(audiosocket.HeaderSize + rate.FrameBytes()))
			b.ReportAllocs()
			for b.Loop() {
				if err := w.WriteAudio(rate, pcm); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchCall serves one call over loopback TCP and returns its server-side
// Conn and the client. The call ends, and the server stops, when b ends.
func benchCall(b *testing.B) (*audiosocket.Conn, *audiosocket.Client) {
	conns := make(chan *audiosocket.Conn, 1)
	h := serve(b, &audiosocket.Server{
		// The benchmarks send at wire speed, which a call is not allowed to.
		MaxAudioBurst: -1,
		Handler: audiosocket.HandlerFunc(func(ctx context.Context, c *audiosocket.Conn) {
			conns <- c
			<-ctx.Done()
		}),
	})
	client := dial(b, h.addr)
	c := recv(b, conns)
	b.Cleanup(func() { _ = c.Hangup() }) // before the server's cleanup: ends the handler
	return c, client
}

// BenchmarkConnReadFrame is the server's receive path over TCP: read
// deadline, context check, frame parsing, 20 ms at 8 kHz.
func BenchmarkConnReadFrame(b *testing.B) {
	c, client := benchCall(b)
	pcm := make(audio.PCM16, audio.Rate8k.FrameSamples())
	sent := make(chan error, 1)
	go func() {
		// Exactly b.N frames, so that the reader never waits for one that
		// does not come.
		for range b.N {
			if err := client.SendAudio(audio.Rate8k, pcm); err != nil {
				sent <- err
				return
			}
		}
		sent <- nil
	}()
	b.SetBytes(int64(audiosocket.HeaderSize + audio.Rate8k.FrameBytes()))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := c.ReadFrame(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if err := recv(b, sent); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkConnWriteAudio is the server's send path over TCP: mutex, write
// deadline, s16le conversion, one write, 20 ms at 8 kHz.
func BenchmarkConnWriteAudio(b *testing.B) {
	c, client := benchCall(b)
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		_, _ = io.Copy(io.Discard, client.NetConn())
	}()
	b.Cleanup(func() { <-drained }) // after Hangup and the server's close
	pcm := make(audio.PCM16, audio.Rate8k.FrameSamples())
	b.SetBytes(int64(audiosocket.HeaderSize + audio.Rate8k.FrameBytes()))
	b.ReportAllocs()
	for b.Loop() {
		if err := c.WriteAudio(audio.Rate8k, pcm); err != nil {
			b.Fatal(err)
		}
	}
}
