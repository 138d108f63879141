package call_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tirevoice/assistant/internal/audio"
	"github.com/tirevoice/assistant/internal/audiosocket"
)

// TestLatePlayoutIsRecorded: the line to Asterisk stops taking the bot's
// audio for a while, as on a loaded host, so one frame's send blocks for
// 100 ms. The bot's audio is late, not interrupted by silence: no underrun,
// but the call record and the end-of-call line must say how many frames
// were late and by how much, as the metric does.
func TestLatePlayoutIsRecorded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pc := startPipeCall(t)
		nc, err := pc.ln.dial()
		if err != nil {
			t.Fatal(err)
		}
		c, err := audiosocket.NewClient(nc, uuid.New())
		if err != nil {
			t.Fatal(err)
		}
		// Frames go out every 20 ms and net.Pipe has no buffer: the frame
		// sent 20 ms after the one read just before the pause waits for
		// the rest of the pause.
		const pauseAt, pause = 25, 120 * time.Millisecond
		const blocked = pause - audio.FrameTime
		drained := make(chan struct{})
		go func() {
			defer close(drained)
			for n := 0; ; n++ {
				if n == pauseAt {
					time.Sleep(pause) // the stalled reader, on the bubble's clock
				}
				if _, err := c.ReadFrame(); err != nil {
					return
				}
			}
		}()
		silence := make(audio.PCM16, audio.Rate8k.FrameSamples())
		sendFor(t, c, time.Second, func(int) error { return c.SendAudio(audio.Rate8k, silence) })
		rec := <-pc.records
		<-drained
		pc.stop(t)

		late := testutil.ToFloat64(pc.metrics.PlayoutLate)
		if late == 0 {
			t.Fatal("no late frames counted: the send did not block")
		}
		if rec.LateFrames != int(late) || rec.MaxLate != blocked || rec.Underruns != 0 {
			t.Errorf("record: %d late frames, worst %v, %d underruns; want %v late frames (the metric), worst %v, no underruns",
				rec.LateFrames, rec.MaxLate, rec.Underruns, late, blocked)
		}
		var ended map[string]any
		for _, l := range pc.logLines(t) {
			if l["msg"] == "call ended" {
				ended = l
			}
		}
		if ended == nil {
			t.Fatal("no call ended line")
		}
		if ended["late_frames"] != late || ended["max_late_ms"] != float64(blocked.Milliseconds()) || ended["underruns"] != 0.0 {
			t.Errorf("call ended line: late_frames %v, max_late_ms %v, underruns %v; want %v, %d, 0",
				ended["late_frames"], ended["max_late_ms"], ended["underruns"], late, blocked.Milliseconds())
		}
	})
}
