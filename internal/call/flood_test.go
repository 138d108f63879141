package call_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tirevoice/assistant/internal/audio"
	"github.com/tirevoice/assistant/internal/audiosocket"
	"github.com/tirevoice/assistant/internal/call"
	"github.com/tirevoice/assistant/internal/logtest"
	"github.com/tirevoice/assistant/internal/metrics"
)

// pipeCall is the call service behind an AudioSocket server on a
// pipeListener, logging at info as in production.
type pipeCall struct {
	srv     *audiosocket.Server
	ln      *pipeListener
	logs    *logtest.Buffer
	metrics *metrics.Metrics
	records chan *call.Record
	served  chan error
}

// startPipeCall must run inside the bubble: every goroutine of the service
// belongs to it.
func startPipeCall(t *testing.T) *pipeCall {
	t.Helper()
	pc := &pipeCall{
		ln:      newPipeListener(),
		logs:    &logtest.Buffer{},
		metrics: metrics.New(prometheus.NewRegistry()),
		records: make(chan *call.Record, 1),
		served:  make(chan error, 1),
	}
	log := slog.New(slog.NewJSONHandler(pc.logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	svc, err := call.NewService(context.Background(), echoDeps(t, pc.metrics, log, pc.records))
	if err != nil {
		t.Fatal(err)
	}
	pc.srv = &audiosocket.Server{Handler: svc, Logger: log}
	go func() { pc.served <- pc.srv.Serve(context.Background(), pc.ln) }()
	return pc
}

// dial starts a call and reads, and drops, what the bot sends until the
// call ends; drained is closed then.
func (pc *pipeCall) dial(t *testing.T) (c *audiosocket.Client, drained <-chan struct{}) {
	t.Helper()
	nc, err := pc.ln.dial()
	if err != nil {
		t.Fatal(err)
	}
	c, err = audiosocket.NewClient(nc, uuid.New())
	if err != nil {
		t.Fatal(err)
	}
	return c, drain(c)
}

// drain reads, and drops, what the bot sends on c until the call ends; the
// channel is closed then.
func drain(c *audiosocket.Client) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			if _, err := c.ReadFrame(); err != nil {
				return
			}
		}
	}()
	return done
}

// stop shuts the server down; every goroutine of the service is gone after.
func (pc *pipeCall) stop(t *testing.T) {
	t.Helper()
	if err := pc.srv.Shutdown(context.Background()); err != nil {
		t.Error(err)
	}
	if err := <-pc.served; !errors.Is(err, audiosocket.ErrShutdown) {
		t.Errorf("Serve = %v, want ErrShutdown", err)
	}
	if t.Failed() {
		t.Logf("processor log:\n%s", pc.logs.String())
	}
}

// logLines parses the JSON log.
func (pc *pipeCall) logLines(t *testing.T) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for line := range strings.Lines(pc.logs.String()) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		lines = append(lines, m)
	}
	return lines
}

// reported adds up what the log says of one kind of warning: each line
// with msg, the lines each held back, and what the end-of-call line says
// was held back since.
func reported(lines []map[string]any, msg, kind string) int {
	n := 0
	for _, l := range lines {
		switch l["msg"] {
		case msg:
			n++
			if s, ok := l["suppressed"].(float64); ok {
				n += int(s)
			}
		case "frame warnings held back until the end of the call":
			if s, ok := l[kind].(float64); ok {
				n += int(s)
			}
		}
	}
	return n
}

// sendFor sends, every 20 ms of the bubble's clock for d, what send sends
// for frame i, then hangs up.
func sendFor(t *testing.T, c *audiosocket.Client, d time.Duration, send func(i int) error) {
	t.Helper()
	for i := range int(d / audio.FrameTime) {
		if err := send(i); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		time.Sleep(audio.FrameTime)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
}

// maxLines bounds what a call of ten seconds may log at info, whatever its
// peer sends: a line or two at the start and the end, and a line a second
// per kind of warning.
const maxLines = 50

// TestFrameWarningsLogOncePerSecond: a peer that gets something wrong on
// every frame, in real time, for ten seconds: the call goes on, every fault
// is counted, and the log gets a line a second that says how many it held
// back, so that its lines and the metric agree.
func TestFrameWarningsLogOncePerSecond(t *testing.T) {
	const seconds = 10
	silence := map[audio.Rate]audio.PCM16{
		audio.Rate8k:  make(audio.PCM16, audio.Rate8k.FrameSamples()),
		audio.Rate16k: make(audio.PCM16, audio.Rate16k.FrameSamples()),
	}
	tests := []struct {
		name string
		send func(c *audiosocket.Client, i int) error
		kind string // the metric's label
		msg  string // the log line's
		want int
	}{
		{
			name: "sample rate alternating between 8 and 16 kHz",
			send: func(c *audiosocket.Client, i int) error {
				rate := audio.Rate8k
				if i%2 == 1 {
					rate = audio.Rate16k
				}
				return c.SendAudio(rate, silence[rate])
			},
			kind: "rate_change",
			msg:  "caller changed sample rate mid-call",
			want: seconds*50 - 1,
		},
		{
			name: "a UUID frame after every audio frame",
			send: func(c *audiosocket.Client, i int) error {
				if err := c.SendAudio(audio.Rate8k, silence[audio.Rate8k]); err != nil {
					return err
				}
				id := c.ID()
				return c.SendFrame(audiosocket.KindUUID, id[:])
			},
			kind: "unexpected_frame",
			msg:  "unexpected frame mid-call, ignored",
			want: seconds * 50,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				pc := startPipeCall(t)
				c, drained := pc.dial(t)
				sendFor(t, c, seconds*time.Second, func(i int) error { return tt.send(c, i) })
				rec := <-pc.records
				<-drained
				pc.stop(t)

				if rec.Outcome != metrics.OutcomeCallerHangup {
					t.Errorf("outcome %q (%s), want caller_hangup: the call lives through the faults", rec.Outcome, rec.Failure)
				}
				if n := testutil.ToFloat64(pc.metrics.FrameWarnings.WithLabelValues(tt.kind)); n != float64(tt.want) {
					t.Errorf("frame_warnings_total{%s} = %v, want %d", tt.kind, n, tt.want)
				}
				lines := pc.logLines(t)
				if len(lines) >= maxLines {
					t.Errorf("%d log lines in %d s, want fewer than %d", len(lines), seconds, maxLines)
				}
				if n := reported(lines, tt.msg, tt.kind); n != tt.want {
					t.Errorf("the log accounts for %d faults, want all %d", n, tt.want)
				}
			})
		})
	}
}

// TestDTMFFloodIsThinnedOut: digits far faster than a person dials, between
// real-time audio, for ten seconds: the call goes on, takes digits at a
// person's pace, and counts the rest, with a line a second about them.
func TestDTMFFloodIsThinnedOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pc := startPipeCall(t)
		c, drained := pc.dial(t)
		silence := make(audio.PCM16, audio.Rate8k.FrameSamples())
		const seconds, perFrame = 10, 4 // 200 digits a second
		sendFor(t, c, seconds*time.Second, func(int) error {
			if err := c.SendAudio(audio.Rate8k, silence); err != nil {
				return err
			}
			for range perFrame {
				// Neither 0 nor #: the flood itself must not end or steer
				// the call.
				if err := c.SendDTMF('5'); err != nil {
					return err
				}
			}
			return nil
		})
		rec := <-pc.records
		<-drained
		pc.stop(t)

		if rec.Outcome != metrics.OutcomeCallerHangup {
			t.Errorf("outcome %q (%s), want caller_hangup", rec.Outcome, rec.Failure)
		}
		const sent = seconds * 50 * perFrame
		// 20 digits at once, then one every 50 ms.
		if taken := len(rec.DTMF); taken < 200 || taken > 20+seconds*20 {
			t.Errorf("the call took %d of %d digits, want a person's pace: 200..220", taken, sent)
		}
		dropped := testutil.ToFloat64(pc.metrics.FrameWarnings.WithLabelValues("dtmf_flood"))
		if int(dropped)+len(rec.DTMF) != sent {
			t.Errorf("%v digits counted as dropped and %d taken, want %d in all", dropped, len(rec.DTMF), sent)
		}
		lines := pc.logLines(t)
		if len(lines) >= maxLines {
			t.Errorf("%d log lines in %d s, want fewer than %d", len(lines), seconds, maxLines)
		}
		if n := reported(lines, "DTMF faster than a person dials, digit dropped", "dtmf_flood"); n != int(dropped) {
			t.Errorf("the log accounts for %d dropped digits, want %v", n, dropped)
		}
	})
}

// TestDTMFFloodAtWireSpeed: a peer that sends DTMF frames as fast as the
// socket takes them, for up to ten seconds, over real TCP: the call is
// ended as too fast, and the log holds a few lines, not one per digit.
func TestDTMFFloodAtWireSpeed(t *testing.T) {
	tc := startCall(t, nil)
	c, err := audiosocket.Dial(context.Background(), tc.addr, uuid.New())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	drained := drain(c)
	sent := 0
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); sent++ {
		if c.SendDTMF('5') != nil {
			break // the server ended the call
		}
	}
	rec := tc.record(t)
	c.Close()
	<-drained

	if rec.Outcome != metrics.OutcomeError || !strings.Contains(rec.Failure, "faster than real time") {
		t.Errorf("outcome %q, failure %q; want an error for frames faster than real time", rec.Outcome, rec.Failure)
	}
	if len(rec.DTMF) > 20 {
		t.Errorf("the call took %d digits, want at most a burst of 20", len(rec.DTMF))
	}
	// Everything at warning level and above: what production writes.
	lines := 0
	for line := range strings.Lines(tc.logs.String()) {
		if !strings.Contains(line, `"level":"DEBUG"`) {
			lines++
		}
	}
	if lines >= maxLines {
		t.Errorf("%d log lines for one flooding peer, want fewer than %d", lines, maxLines)
	}
	t.Logf("%d digits sent; %d log lines at info and above", sent, lines)
}

// TestFastPeerIsEnded: a peer that sends 192 kHz audio as fast as the socket
// takes it, from another process, so that this process's CPU time is the
// server's alone. The call is ended as too fast, after the burst a stall
// may leave, in milliseconds; the figures are logged.
func TestFastPeerIsEnded(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a second process")
	}
	tc := startCall(t, nil)
	cmd := exec.Command(os.Args[0], "-test.run=^TestFloodingPeer$", "-test.v")
	cmd.Env = append(os.Environ(), floodAddrEnv+"="+tc.addr)
	before, began := cpuTime(t), time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("flooding peer: %v\n%s", err, out)
	}
	rec := tc.record(t)
	wall, cpu := time.Since(began), cpuTime(t)-before

	if rec.Outcome != metrics.OutcomeError || !strings.Contains(rec.Failure, "faster than real time") {
		t.Errorf("outcome %q, failure %q; want an error for frames faster than real time", rec.Outcome, rec.Failure)
	}
	sent := "?"
	for line := range strings.Lines(string(out)) {
		if _, s, ok := strings.Cut(line, "peer sent "); ok {
			sent = strings.TrimSpace(s)
		}
	}
	t.Logf("call lasted %v; server CPU %v in %v of wall time (%.2f of a core); peer sent %s",
		rec.Duration().Round(time.Millisecond), cpu.Round(time.Millisecond), wall.Round(time.Millisecond),
		cpu.Seconds()/wall.Seconds(), sent)
}

const floodAddrEnv = "CALLPROC_TEST_FLOOD_ADDR"

// TestFloodingPeer is the peer of TestFastPeerIsEnded, run in a process of
// its own: it sends 20 ms frames of 192 kHz audio at wire speed until the
// server ends the call, or for ten seconds. (A server starved of CPU reads
// slower than the peer writes: the limit is on what the call takes in, so
// it trips once the server has taken in more than real time and the burst,
// which may take a while on a loaded machine under the race detector.)
func TestFloodingPeer(t *testing.T) {
	addr := os.Getenv(floodAddrEnv)
	if addr == "" {
		t.Skip("the peer of TestFastPeerIsEnded, run in its own process")
	}
	c, err := audiosocket.Dial(context.Background(), addr, uuid.New())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	drain(c)
	frame := make(audio.PCM16, audio.Rate192k.FrameSamples())
	sent := 0
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); sent++ {
		if c.SendAudio(audio.Rate192k, frame) != nil {
			break
		}
	}
	t.Logf("peer sent %d frames (%.1f s of audio, %.1f MB)", sent,
		float64(sent)*audio.FrameTime.Seconds(), float64(sent*(audiosocket.HeaderSize+audio.Rate192k.FrameBytes()))/1e6)
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime(t *testing.T) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
