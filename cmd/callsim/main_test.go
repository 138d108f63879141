package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tirevoice/assistant/internal/call/calltest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// startProcessor serves calls with the echo responder and a short
// greeting, to keep the calls short, and returns the AudioSocket address.
func startProcessor(t *testing.T) string { return calltest.Start(t, "Здравствуйте!") }

// scenarioFile writes a scenario to a temporary file and returns its path.
func scenarioFile(t *testing.T, yaml string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "scenario.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const greetingOnly = `
name: greeting-only
steps:
  - expect: "Здравствуйте"
  - hangup: true
`

func TestRunOneCall(t *testing.T) {
	addr := startProcessor(t)
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"run", "--addr", addr, "--scenario", scenarioFile(t, greetingOnly), "--quiet"}, &stdout, &stderr)
	if err != nil || stdout.String() != "greeting-only PASS\n" {
		t.Errorf("err %v, stdout %q, stderr %q", err, stdout.String(), stderr.String())
	}
}

// TestLoadFailuresGrouped: calls that expect what the bot never says fail
// the same way; the report counts them under one reason and the exit status
// is 1.
func TestLoadFailuresGrouped(t *testing.T) {
	addr := startProcessor(t)
	path := scenarioFile(t, `
name: never-said
steps:
  - expect: "Здравствуйте"
  - expect: "Такого бот не говорит"
    timeout: 1s
  - hangup: true
`)
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"load", "--addr", addr, "--scenario", path,
		"--calls", "3", "--concurrency", "3", "--ramp", "30ms"}, &stdout, &stderr)
	out := stdout.String()
	t.Logf("stdout:\n%s\nstderr:\n%s", out, stderr.String())
	if code := exitCode(err); code != 1 {
		t.Errorf("exit status %d (err %v), want 1", code, err)
	}
	for _, want := range []string{
		"3 calls started of 3: 0 passed, 3 failed, 0 errored",
		"failures:\n      3  step 2 (expect /Такого бот не говорит/ within 1s): timed out\n",
		"greeting latency  p50 ",
		"max concurrency 3,",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

func TestLoadJSON(t *testing.T) {
	addr := startProcessor(t)
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"load", "--addr", addr, "--scenario", scenarioFile(t, greetingOnly),
		"--calls", "2", "--concurrency", "2", "--json"}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("err %v; stderr %s", err, stderr.String())
	}
	var rep map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, stdout.String())
	}
	for key, want := range map[string]any{
		"scenario": "greeting-only", "planned": 2.0, "started": 2.0, "passed": 2.0, "failed": 0.0,
		"errored": 0.0, "interrupted": 0.0, "cancelled": false, "max_concurrency": 2.0,
	} {
		if rep[key] != want {
			t.Errorf("%s = %v, want %v", key, rep[key], want)
		}
	}
	if f, ok := rep["failures"].([]any); !ok || len(f) != 0 {
		t.Errorf("failures = %v, want []", rep["failures"])
	}
	greeting, _ := rep["greeting_ms"].(map[string]any)
	if greeting["n"] != 2.0 || greeting["max"].(float64) <= 0 {
		t.Errorf("greeting_ms = %v, want 2 samples", greeting)
	}
	for _, key := range []string{"answer_ms", "pacing_gap_ms", "wall_s", "calls_per_second", "max_lead_frames", "errors", "line"} {
		if _, ok := rep[key]; !ok {
			t.Errorf("no %s", key)
		}
	}
}

// TestLoadInterrupted: Ctrl-C (ctx cancelled) hangs up the calls and the
// report of what ran is still printed; the exit status is 1.
func TestLoadInterrupted(t *testing.T) {
	addr := startProcessor(t)
	path := scenarioFile(t, `
name: long-silence
steps:
  - expect: "Здравствуйте"
  - silence: 30s
  - hangup: true
`)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	err := run(ctx, []string{"load", "--addr", addr, "--scenario", path, "--calls", "4", "--concurrency", "2"}, &stdout, &stderr)
	out := stdout.String()
	t.Logf("stdout:\n%s", out)
	if code := exitCode(err); code != 1 {
		t.Errorf("exit status %d (err %v), want 1", code, err)
	}
	if !strings.Contains(out, "2 calls started of 4: 0 passed, 0 failed, 0 errored, 2 interrupted (cancelled)") {
		t.Error("no report of the interrupted calls")
	}
}

func TestLoadUsage(t *testing.T) {
	sc := scenarioFile(t, greetingOnly)
	bad := scenarioFile(t, "steps: []\n")
	tests := []struct {
		name string
		args []string
	}{
		{"no command", nil},
		{"unknown command", []string{"soak"}},
		{"unknown flag", []string{"load", "--scenario", sc, "--calls", "1", "--rate", "5"}},
		{"no scenario", []string{"load", "--calls", "1"}},
		{"missing scenario file", []string{"load", "--scenario", sc + ".missing", "--calls", "1"}},
		{"invalid scenario", []string{"load", "--scenario", bad, "--calls", "1"}},
		{"neither calls nor duration", []string{"load", "--scenario", sc}},
		{"negative calls", []string{"load", "--scenario", sc, "--calls", "-1"}},
		{"no concurrency", []string{"load", "--scenario", sc, "--calls", "1", "--concurrency", "0"}},
		{"negative ramp", []string{"load", "--scenario", sc, "--calls", "1", "--ramp", "-1s"}},
		{"bad duration", []string{"load", "--scenario", sc, "--duration", "soon"}},
		{"stray argument", []string{"load", "--scenario", sc, "--calls", "1", "extra"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tt.args, &stdout, &stderr)
			if code := exitCode(err); code != 2 {
				t.Errorf("exit status %d (err %v), want 2", code, err)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout %q, want nothing", stdout.String())
			}
		})
	}
}

// TestLineFlagRejected: a bad --line is bad usage, and the message names
// the key.
func TestLineFlagRejected(t *testing.T) {
	sc := scenarioFile(t, greetingOnly)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown key", []string{"run", "--scenario", sc, "--line", "los=2%"}, `--line: unknown key "los"`},
		{"loss as a fraction", []string{"run", "--scenario", sc, "--line", "loss=0.02"}, `--line: loss: "0.02" is not a percentage such as 2%`},
		{"too much loss", []string{"load", "--scenario", sc, "--calls", "1", "--line", "loss=30%"}, "--line: loss: 30 is outside 0..20 %"},
		{"unknown preset", []string{"load", "--scenario", sc, "--calls", "1", "--line", "awful"}, `"awful" is neither key=value nor a preset (clean, echo, lossy)`},
		{"bursts without a length on this scenario", []string{"run", "--scenario", sc, "--line", "loss_burst.every=2s"},
			"scenario.yaml: with --line loss_burst.every=2s: line.loss_burst.frames: missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tt.args, &stdout, &stderr)
			if code := exitCode(err); code != 2 || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("exit status %d, err %v; want 2 and %q", code, err, tt.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout %q, want nothing", stdout.String())
			}
		})
	}
}

// TestRunWithLine: the transcript shows the line as merged, with its
// seed, and what it did.
func TestRunWithLine(t *testing.T) {
	addr := startProcessor(t)
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"run", "--addr", addr, "--scenario", scenarioFile(t, greetingOnly),
		"--line", "jitter=40ms,seed=5"}, &stdout, &stderr)
	out := stdout.String()
	t.Logf("stdout:\n%s", out)
	if err != nil {
		t.Fatalf("err %v; stderr %s", err, stderr.String())
	}
	for _, want := range []string{"] line jitter=40ms,seed=5\n", "\n  line: caller frames lost 0 of ", ", jitter max "} {
		if !strings.Contains(out, want) {
			t.Errorf("the transcript lacks %q", want)
		}
	}
}

func TestLoadJSONLine(t *testing.T) {
	addr := startProcessor(t)
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"load", "--addr", addr, "--scenario", scenarioFile(t, greetingOnly),
		"--calls", "2", "--concurrency", "2", "--json", "--line", "jitter=20ms,seed=40"}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("err %v; stderr %s", err, stderr.String())
	}
	var rep struct {
		Line struct {
			Spec         string  `json:"spec"`
			Seed         uint64  `json:"seed"`
			CallerFrames int     `json:"caller_frames"`
			CallerLost   int     `json:"caller_lost"`
			BotFrames    int     `json:"bot_frames"`
			BotLost      int     `json:"bot_lost"`
			MaxJitterMS  float64 `json:"max_jitter_ms"`
		} `json:"line"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, stdout.String())
	}
	l := rep.Line
	if l.Spec != "jitter=20ms" || l.Seed != 40 || l.CallerFrames == 0 || l.CallerLost != 0 || l.BotFrames == 0 || l.BotLost != 0 ||
		l.MaxJitterMS <= 0 || l.MaxJitterMS > 20 {
		t.Errorf("line %+v", l)
	}
}
