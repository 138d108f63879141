package audiosocket

import (
	"errors"
	"testing"
	"time"
)

// arrival is one frame reaching the reader: at, into the call, carrying
// audio of duration d (0 for DTMF).
type arrival struct {
	at time.Duration
	d  time.Duration
}

const frame = 20 * time.Millisecond

// realTime is n 20 ms frames from from on, each delayed by jitter(i).
func realTime(from time.Duration, n int, jitter func(i int) time.Duration) []arrival {
	out := make([]arrival, n)
	for i := range out {
		out[i] = arrival{at: from + time.Duration(i)*frame + jitter(i), d: frame}
	}
	return out
}

func noJitter(int) time.Duration { return 0 }

// bunch is n 20 ms frames all arriving at at, as after a stall.
func bunch(at time.Duration, n int) []arrival {
	out := make([]arrival, n)
	for i := range out {
		out[i] = arrival{at: at, d: frame}
	}
	return out
}

func concat(parts ...[]arrival) []arrival {
	var out []arrival
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestPace(t *testing.T) {
	const burst = 2 * time.Second
	tests := []struct {
		name     string
		burst    time.Duration
		frames   []arrival
		tooFast  int // index of the first frame refused; -1 for none
		hasAudio bool
	}{
		{
			name: "real time for ten minutes with 15 ms of jitter",
			frames: realTime(0, 30000, func(i int) time.Duration {
				return time.Duration((i*7919)%31-15) * time.Millisecond // -15..15 ms, scattered
			}),
			tooFast: -1,
		},
		{
			// A network stall holds back 1.5 s of frames, which then come
			// at once: what TCP does after a few retransmissions.
			name:    "1.5 s bunched after a stall",
			frames:  concat(realTime(0, 50, noJitter), bunch(2500*time.Millisecond, 75), realTime(2520*time.Millisecond, 500, noJitter)),
			tooFast: -1,
		},
		{
			// Silence suppression or a hold: nothing for ten seconds, then
			// real time again; the silence is not credit for a flood later,
			// nor a debt.
			name:    "ten seconds of nothing, then real time",
			frames:  concat(realTime(0, 50, noJitter), realTime(11*time.Second, 3000, noJitter)),
			tooFast: -1,
		},
		{
			name: "caller's clock 0.5 % fast for an hour",
			frames: func() []arrival {
				out := make([]arrival, 180000)
				for i := range out {
					out[i] = arrival{at: time.Duration(float64(i) * float64(frame) / 1.005), d: frame}
				}
				return out
			}(),
			tooFast: -1,
		},
		{
			name: "DTMF at 400 a second between real-time audio, for a minute",
			frames: func() []arrival {
				var out []arrival
				for i := range 3000 {
					at := time.Duration(i) * frame
					out = append(out, arrival{at: at, d: frame})
					for range 8 {
						out = append(out, arrival{at: at})
					}
				}
				return out
			}(),
			tooFast: -1,
		},
		{
			// 20 ms frames all at once: each is worth 18.75 ms after the
			// drift allowance, so the 107th takes the audio past 2 s.
			name:    "192 kHz frames at wire speed",
			frames:  bunch(0, 200),
			tooFast: 106,
		},
		{
			// A stall of the process itself (a starved CPU) for longer
			// than the burst: the frames it held back in the socket come at
			// once, and the call goes on.
			name:    "2.5 s bunched after a longer stall",
			frames:  concat(realTime(0, 50, noJitter), bunch(3500*time.Millisecond, 125), realTime(3520*time.Millisecond, 500, noJitter)),
			tooFast: -1,
		},
		{
			name:    "9 s bunched after a stall, a minute into the call",
			frames:  concat(realTime(0, 3000, noJitter), bunch(69*time.Second, 450), realTime(69020*time.Millisecond, 500, noJitter)),
			tooFast: -1,
		},
		{
			// More than a stall of maxCatchUp can have held back: the
			// first second's 50 frames, then 15 s of audio at once at 15 s.
			// Due by then: 5 s (15 s less maxCatchUp), so the audio is past
			// the 2 s burst after 12 s of it, 640 frames of 18.75 ms.
			name:    "15 s bunched at once is a flood",
			frames:  concat(realTime(0, 50, noJitter), bunch(15*time.Second, 750)),
			tooFast: 50 + 640,
		},
		{
			// Twice real time runs ahead by 0.875 s a second: out after
			// about 2.3 s of the call.
			name: "twice real time",
			frames: func() []arrival {
				out := make([]arrival, 500)
				for i := range out {
					out[i] = arrival{at: time.Duration(i) * frame / 2, d: frame}
				}
				return out
			}(),
			tooFast: 227,
		},
		{
			// One frame every 2 ms is the frame rate's limit; all at once,
			// the 1001st is past the 2 s burst.
			name:    "DTMF at wire speed",
			frames:  make([]arrival, 2000),
			tooFast: 1000,
		},
		{
			name:    "no limit",
			burst:   -1,
			frames:  bunch(0, 5000),
			tooFast: -1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			b := burst
			if tt.burst != 0 {
				b = max(tt.burst, 0)
			}
			p := pace{burst: b, start: start}
			got := -1
			var err error
			for i, a := range tt.frames {
				if err = p.admit(start.Add(a.at), a.d); err != nil {
					got = i
					break
				}
			}
			if got != tt.tooFast {
				t.Fatalf("first frame refused: %d (%v); want %d", got, err, tt.tooFast)
			}
			if err != nil && (!errors.Is(err, ErrTooFast) || Reason(err) != "too_fast") {
				t.Errorf("error %v, want ErrTooFast", err)
			}
		})
	}
}

func TestPaceDoesNotAllocate(t *testing.T) {
	start := time.Now()
	p := pace{burst: DefaultMaxAudioBurst, start: start}
	at := start
	if n := testing.AllocsPerRun(1000, func() {
		at = at.Add(frame)
		if err := p.admit(at, frame); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("admit allocates %v times a frame", n)
	}
}

func TestAudioDuration(t *testing.T) {
	tests := []struct {
		kind  Kind
		bytes int
		want  time.Duration
	}{
		{KindAudio, 320, 20 * time.Millisecond},
		{KindAudio16k, 640, 20 * time.Millisecond},
		{KindAudio44k1, 1764, 20 * time.Millisecond},
		{KindAudio192k, 7680, 20 * time.Millisecond},
		{KindAudio, 2, 125 * time.Microsecond},
		{KindDTMF, 1, 0},
		{KindUUID, 16, 0},
	}
	for _, tt := range tests {
		if got := audioDuration(tt.kind, make([]byte, tt.bytes)); got != tt.want {
			t.Errorf("audioDuration(%v, %d bytes) = %v, want %v", tt.kind, tt.bytes, got, tt.want)
		}
	}
}

// BenchmarkPaceAdmit is the per-frame cost of the limit, clock reading
// included, as ReadFrame pays it.
func BenchmarkPaceAdmit(b *testing.B) {
	p := pace{burst: time.Duration(1 << 62), start: time.Now()} // never trips
	b.ReportAllocs()
	for b.Loop() {
		if err := p.admit(time.Now(), frame); err != nil {
			b.Fatal(err)
		}
	}
}
