package callsim

import (
	"context"
	"net"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tirevoice/assistant/internal/call/calltest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// startProcessor serves calls with the echo responder and a short
// greeting, to keep the calls short, and returns the AudioSocket address.
func startProcessor(t *testing.T) string { return calltest.Start(t, "Здравствуйте!") }

func parse(t *testing.T, yaml string) *Scenario {
	t.Helper()
	sc, err := Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// echoOnce: greeting, one line and its echo, hang-up (about 4 s). The
// caller talks the instant the short greeting ends.
const echoOnce = `
name: echo-once
steps:
  - expect: "Здравствуйте"
  - say: "Нужны летние шины"
  - expect: "Вы сказали: Нужны летние шины"
  - hangup: true
`

func TestLoadAllPass(t *testing.T) {
	addr := startProcessor(t)
	rep, err := LoadTest(context.Background(), parse(t, echoOnce), LoadOptions{
		Call: Options{Addr: addr}, Calls: 6, Concurrency: 3, Ramp: 60 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("report:\n%s", rep)
	if rep.Started != 6 || rep.Passed != 6 || rep.Failed+rep.Errored+rep.Interrupted != 0 || !rep.OK() {
		t.Fatalf("started %d passed %d failed %d errored %d interrupted %d; failures %+v errors %+v",
			rep.Started, rep.Passed, rep.Failed, rep.Errored, rep.Interrupted, rep.Failures, rep.Errors)
	}
	if rep.MaxConcurrency != 3 {
		t.Errorf("max concurrency %d, want 3 (the limit, reached)", rep.MaxConcurrency)
	}
	// One greeting, one answered turn and one pacing figure per call.
	for name, n := range map[string]int{"greeting": rep.Greeting.N, "answer": rep.Answer.N, "pacing gap": rep.PacingGap.N} {
		if n != 6 {
			t.Errorf("%s samples %d, want 6", name, n)
		}
	}
	// The answer latency includes the processor's endpointing silence
	// (500 ms, give or take a frame).
	if rep.Answer.P50 < 450*time.Millisecond || rep.Answer.Max < rep.Answer.P99 || rep.Answer.P99 < rep.Answer.P50 {
		t.Errorf("answer latency %v", rep.Answer)
	}
	if rep.Greeting.P50 <= 0 || rep.Greeting.Max > time.Second {
		t.Errorf("greeting latency %v", rep.Greeting)
	}
	if rep.CallsPerSecond() <= 0 || rep.Wall <= 0 {
		t.Errorf("wall %v, %.2f calls/s", rep.Wall, rep.CallsPerSecond())
	}
}

// TestLoadForDuration: a load bounded by time keeps the concurrency up by
// starting a call as one ends, then lets those in progress finish.
func TestLoadForDuration(t *testing.T) {
	addr := startProcessor(t)
	sc := parse(t, `
name: greeting-only
steps:
  - expect: "Здравствуйте"
  - hangup: true
`)
	rep, err := LoadTest(context.Background(), sc, LoadOptions{
		Call: Options{Addr: addr}, Concurrency: 2, Duration: 2 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("report:\n%s", rep)
	if rep.Started <= 2 || rep.Passed != rep.Started || !rep.OK() || rep.Planned != 0 {
		t.Errorf("started %d passed %d planned %d: want more than the first 2 calls, all passed", rep.Started, rep.Passed, rep.Planned)
	}
	if rep.MaxConcurrency != 2 {
		t.Errorf("max concurrency %d, want 2", rep.MaxConcurrency)
	}
}

func TestLoadRefusedAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rep, err := LoadTest(ctx, parse(t, echoOnce), LoadOptions{
		Call: Options{Addr: addr}, Calls: 4, Concurrency: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("report:\n%s", rep)
	if rep.Cancelled {
		t.Fatal("the load hung until the test's deadline")
	}
	if rep.Started != 4 || rep.Errored != 4 || rep.Passed+rep.Failed != 0 || rep.OK() {
		t.Errorf("started %d errored %d passed %d failed %d, want 4 errored", rep.Started, rep.Errored, rep.Passed, rep.Failed)
	}
	if len(rep.Errors) != 1 || rep.Errors[0].Count != 4 {
		t.Errorf("errors %+v, want one reason counted 4 times", rep.Errors)
	}
	if rep.Greeting.N+rep.Answer.N+rep.PacingGap.N != 0 {
		t.Errorf("figures from calls that never connected: %+v", rep)
	}
}

// TestLoadCancel: cancelling stops the starts, hangs up the calls in
// progress at once and still reports what they measured.
func TestLoadCancel(t *testing.T) {
	addr := startProcessor(t)
	sc := parse(t, `
name: long-silence
steps:
  - expect: "Здравствуйте"
  - silence: 30s
  - hangup: true
`)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const after = 1500 * time.Millisecond // the greetings have been heard
	time.AfterFunc(after, cancel)
	start := time.Now()
	rep, err := LoadTest(ctx, sc, LoadOptions{
		Call: Options{Addr: addr}, Calls: 6, Concurrency: 3,
	})
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	t.Logf("report after %v:\n%s", took, rep)
	if took > after+2*time.Second {
		t.Errorf("returned %v after the cancel", took-after)
	}
	if !rep.Cancelled || rep.OK() || rep.Started != 3 || rep.Interrupted != 3 || rep.Passed+rep.Failed+rep.Errored != 0 {
		t.Errorf("cancelled %v started %d interrupted %d passed %d failed %d errored %d, want 3 started and interrupted",
			rep.Cancelled, rep.Started, rep.Interrupted, rep.Passed, rep.Failed, rep.Errored)
	}
	if rep.Greeting.N != 3 {
		t.Errorf("greeting samples %d, want the 3 interrupted calls'", rep.Greeting.N)
	}
}

func TestLoadOptionsChecked(t *testing.T) {
	sc := parse(t, echoOnce)
	for name, opt := range map[string]LoadOptions{
		"no concurrency":        {Calls: 1},
		"no calls nor duration": {Concurrency: 1},
		"negative calls":        {Calls: -1, Concurrency: 1},
		"negative ramp":         {Calls: 1, Concurrency: 1, Ramp: -time.Second},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := LoadTest(context.Background(), sc, opt); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestPercentile(t *testing.T) {
	ten := []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i + 1)
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"no samples", nil, 50, 0},
		{"one sample is every percentile", []time.Duration{7}, 99, 7},
		{"one sample, p50", []time.Duration{7}, 50, 7},
		{"two samples, p50 is the lower", []time.Duration{1, 2}, 50, 1},
		{"two samples, p51 is the upper", []time.Duration{1, 2}, 51, 2},
		{"ten, p50 is the 5th", ten, 50, 5},
		{"ten, p95 rounds up to the 10th", ten, 95, 10},
		{"ten, p90 is the 9th", ten, 90, 9},
		{"ten, p100 is the max", ten, 100, 10},
		{"ten, a tiny p is the min", ten, 0.1, 1},
		{"hundred, p99 is the 99th", hundred, 99, 99},
		{"hundred, p95 is the 95th", hundred, 95, 95},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("percentile(%v, %g) = %v, want %v", tt.sorted, tt.p, got, tt.want)
			}
		})
	}
}

func TestDistOf(t *testing.T) {
	d := distOf([]time.Duration{30, 10, 20}) // unsorted in, sorted in place
	if want := (Dist{N: 3, P50: 20, P95: 30, P99: 30, Max: 30}); d != want {
		t.Errorf("distOf = %+v, want %+v", d, want)
	}
}

func TestReasonOf(t *testing.T) {
	tests := []struct{ name, msg, want string }{
		{"what the bot said is left out",
			`step 3 (expect /Вы сказали/ within 10s): timed out; the bot said ["Здравствуйте!"]`,
			`step 3 (expect /Вы сказали/ within 10s): timed out`},
		{"a hang-up too",
			`step 2 (expect /x/ within 1s): the bot hung up; it said []`,
			`step 2 (expect /x/ within 1s): the bot hung up`},
		{"pacing lead figure",
			`pacing: bot audio ran 9 frames ahead of real time (limit 6)`,
			`pacing: bot audio ran too many frames ahead of real time (limit 6)`},
		{"pacing gap figure",
			`pacing: 1.234s without a frame from the bot (limit 1s)`,
			`pacing: too long without a frame from the bot (limit 1s)`},
		{"the call's UUID",
			`record: GET http://127.0.0.1:8080/api/v1/calls/6f1c2a3b-0000-4000-8000-00000000abcd: 404 <nil>`,
			`record: GET http://127.0.0.1:8080/api/v1/calls/<uuid>: 404 <nil>`},
		{"the call's local port",
			`audiosocket: write tcp 127.0.0.1:51234->127.0.0.1:9092: write: connection reset by peer`,
			`audiosocket: write tcp 127.0.0.1:9092: write: connection reset by peer`},
		{"a refused dial is kept whole",
			`audiosocket: dial 127.0.0.1:9: dial tcp 127.0.0.1:9: connect: connection refused`,
			`audiosocket: dial 127.0.0.1:9: dial tcp 127.0.0.1:9: connect: connection refused`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := reasonOf(tt.msg); got != tt.want {
				t.Errorf("reasonOf(%q)\n got %q\nwant %q", tt.msg, got, tt.want)
			}
		})
	}
}

func TestReasonsGroupAndBound(t *testing.T) {
	var rs reasons
	rs.add("step 1 (expect /a/ within 1s): timed out; the bot said [\"x\"]")
	for range 3 {
		rs.add("step 2 (expect /b/ within 1s): timed out; the bot said [\"y\"]")
	}
	for i := range maxReasons {
		rs.add("error " + string(rune('A'+i)))
	}
	got := rs.list()
	if len(got) != maxReasons+1 {
		t.Fatalf("%d reasons, want %d and the rest grouped", len(got), maxReasons+1)
	}
	if got[0].Count != 3 || got[0].Reason != "step 2 (expect /b/ within 1s): timed out" || got[0].Example == got[0].Reason {
		t.Errorf("first reason %+v, want the step 2 timeout counted 3 times with its example", got[0])
	}
	var other *Reason
	for i := range got {
		if got[i].Reason == otherReason {
			other = &got[i]
		}
	}
	// 2 + 20 distinct messages: 20 kept, 2 under "other".
	if other == nil || other.Count != 2 {
		t.Errorf("other reasons %+v, want 2", other)
	}
}
