package callsim

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestLineYAML(t *testing.T) {
	sc := parse(t, `
line:
  codec: alaw
  gain_db: -6
  noise_dbfs: -55
  echo_db: -12
  echo_delay: 120ms
  dtx: true
  loss: 2.5%
  loss_burst:
    every: 5s
    frames: 2-3
  jitter: 60ms
  seed: 42
steps:
  - hangup: true
`)
	want := Line{
		Codec: "alaw", GainDB: -6, NoiseDBFS: -55, EchoDB: -12, EchoDelay: 120 * time.Millisecond, DTX: true,
		Loss: 2.5, LossBurst: LossBurst{Every: 5 * time.Second, Frames: FrameRange{2, 3}},
		Jitter: 60 * time.Millisecond, Seed: 42,
	}
	if sc.Line != want {
		t.Fatalf("line %+v\nwant %+v", sc.Line, want)
	}
	// The line's String is a --line spec that gives the line back.
	spec := sc.Line.String()
	if spec != "codec=alaw,gain_db=-6,noise_dbfs=-55,echo_db=-12,echo_delay=120ms,dtx=true,loss=2.5%,loss_burst.every=5s,loss_burst.frames=2-3,jitter=60ms,seed=42" {
		t.Errorf("String = %q", spec)
	}
	o, err := ParseLine("clean," + spec)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := o.Apply(Line{Codec: "mulaw", GainDB: 3}); err != nil || got != want {
		t.Errorf("the spec of the line gives %+v, %v", got, err)
	}
	if l := parse(t, "line:\nsteps: [{hangup: true}]").Line; l != (Line{}) {
		t.Errorf("an empty line: is %+v", l)
	}
	if s := (Line{}).String(); s != "clean" {
		t.Errorf("zero line String = %q", s)
	}
	if s := parse(t, "line: {loss_burst: {every: 1s, frames: 3}}\nsteps: [{hangup: true}]").Line.String(); s != "loss_burst.every=1s,loss_burst.frames=3" {
		t.Errorf("fixed burst length String = %q", s)
	}
}

// TestLineRejected: an invalid line names its key.
func TestLineRejected(t *testing.T) {
	tests := []struct{ name, line, want string }{
		{"loss as a fraction", "loss: 0.02", `line 1: line.loss: "0.02" is not a percentage such as 2%`},
		{"a typo of a key", "jiter: 60ms", "line.jiter: unknown key; the keys are codec, gain_db,"},
		{"a typo of a burst key", "loss_burst: {every: 1s, frame: 2}", "line.loss_burst.frame: unknown key; the keys are every, frames"},
		{"loss_burst as one value", "loss_burst: 2-3", "line.loss_burst: want a mapping of keys (every, frames)"},
		{"a value of the wrong kind", "dtx: [true]", "line.dtx: want one value, true or false"},
		{"loss too high", "loss: 25%", "line.loss: 25 is outside 0..20 %"},
		{"negative loss", "loss: -1%", "line.loss: -1 is outside 0..20 %"},
		{"burst without its length", "loss_burst: {every: 1s}", "line.loss_burst.frames: missing"},
		{"bursts too often", "loss_burst: {every: 200ms, frames: 3}", "line.loss: loss and loss_burst together lose about 30.0 % of the frames, more than 20 %"},
		{"loss and bursts together too much", "{loss: 15%, loss_burst: {every: 500ms, frames: 2-3}}", "together lose about 25.0 %"},
		{"burst of no frames", "loss_burst: {every: 5s, frames: 0-3}", "line.loss_burst.frames: 0-3 is outside 1..25 frames"},
		{"burst too long", "loss_burst: {every: 60s, frames: 30}", "line.loss_burst.frames: 30 is outside 1..25 frames"},
		{"burst range backwards", "loss_burst: {every: 5s, frames: 3-2}", `line.loss_burst.frames: "3-2" is not a number of frames such as 3, or a range such as 2-3`},
		{"negative burst interval", "loss_burst: {every: -1s, frames: 2}", "line.loss_burst.every: -1s is negative"},
		{"jitter too long", "jitter: 600ms", "line.jitter: 600ms is outside 0..500ms"},
		{"negative jitter", "jitter: -1ms", "line.jitter: -1ms is outside 0..500ms"},
		{"unknown codec", "codec: gsm", `line.codec: "gsm" is not none, mulaw or alaw`},
		{"gain too low", "gain_db: -30", "line.gain_db: -30 is outside -20..6 dB"},
		{"echo louder than the voice", "echo_db: 3", "line.echo_db: 3 is outside -60..0 dB"},
		{"positive noise", "noise_dbfs: 5", "line.noise_dbfs: 5 is outside -100..0 dBFS"},
		{"echo too late", "echo_delay: 2s", "line.echo_delay: 2s is outside 0..1s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line := tt.line
			if !strings.HasPrefix(line, "{") {
				line = "{" + line + "}"
			}
			_, err := Parse([]byte("line: " + line + "\nsteps: [{hangup: true}]\n"))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one with %q", err, tt.want)
			}
		})
	}
}

// TestLineOverrideMerges: the keys an override sets replace the
// scenario's; the others keep the scenario's values.
func TestLineOverrideMerges(t *testing.T) {
	scenario := Line{
		Codec: "alaw", NoiseDBFS: -60, DTX: true,
		LossBurst: LossBurst{Every: 5 * time.Second, Frames: FrameRange{2, 3}}, Seed: 9,
	}
	tests := []struct {
		name, spec string
		want       Line
	}{
		{"a few keys; DTX and the rest stay", "codec=mulaw,gain_db=-10,echo_db=-12,echo_delay=120ms",
			Line{Codec: "mulaw", GainDB: -10, NoiseDBFS: -60, EchoDB: -12, EchoDelay: 120 * time.Millisecond, DTX: true,
				LossBurst: scenario.LossBurst, Seed: 9}},
		{"loss only", "loss=2%",
			func() Line { l := scenario; l.Loss = 2; return l }()},
		{"one key of loss_burst; its other stays", "loss_burst.every=10s",
			func() Line { l := scenario; l.LossBurst.Every = 10 * time.Second; return l }()},
		{"bursts off, their length left", "loss_burst.every=0s",
			func() Line { l := scenario; l.LossBurst.Every = 0; return l }()},
		{"a later item wins", "loss=1%, loss=3% ,jitter=20ms",
			func() Line { l := scenario; l.Loss, l.Jitter = 3, 20*time.Millisecond; return l }()},
		{"clean replaces the whole line", "clean,loss=2%", Line{Codec: "none", Loss: 2}},
		{"the echo preset on a DTX line keeps DTX", "echo",
			Line{Codec: "mulaw", GainDB: -10, NoiseDBFS: -55, EchoDB: -12, EchoDelay: 120 * time.Millisecond, DTX: true,
				LossBurst: scenario.LossBurst, Seed: 9}},
		{"the lossy preset with another seed", "lossy,seed=7",
			Line{Codec: "alaw", NoiseDBFS: -60, DTX: true, Loss: 2,
				LossBurst: LossBurst{Every: 5 * time.Second, Frames: FrameRange{2, 3}}, Jitter: 20 * time.Millisecond, Seed: 7}},
		{"a preset after a key overrides it", "noise_dbfs=-40,echo",
			Line{Codec: "mulaw", GainDB: -10, NoiseDBFS: -55, EchoDB: -12, EchoDelay: 120 * time.Millisecond, DTX: true,
				LossBurst: scenario.LossBurst, Seed: 9}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := ParseLine(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			got, err := o.Apply(scenario)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
			if o.String() != tt.spec {
				t.Errorf("String = %q", o)
			}
		})
	}
}

// TestLinePresetEcho: the echo preset is the line of line-echo.yaml.
func TestLinePresetEcho(t *testing.T) {
	sc, err := Load("../../scenarios/line-echo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	o, err := ParseLine("echo")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := o.Apply(Line{}); err != nil || got != sc.Line {
		t.Errorf("echo preset %+v (%v), line-echo.yaml %+v", got, err, sc.Line)
	}
}

// TestParseLineRejected: each mistake in a spec names its key.
func TestParseLineRejected(t *testing.T) {
	tests := []struct{ spec, want string }{
		{"los=2%", `unknown key "los": the keys are codec, gain_db,`},
		{"loss_burst=5s", `unknown key "loss_burst"`},
		{"loss=0.02", `loss: "0.02" is not a percentage such as 2%`},
		{"loss=30%", "loss: 30 is outside 0..20 %"},
		{"gain_db=loud", `gain_db: "loud" is not a number of dB such as -10`},
		{"gain_db=-30", "gain_db: -30 is outside -20..6 dB"},
		{"echo_delay=120", `echo_delay: "120" is not a duration such as 120ms`},
		{"dtx=maybe", `dtx: "maybe" is not true or false`},
		{"jitter=1s", "jitter: 1s is outside 0..500ms"},
		{"seed=-1", `seed: "-1" is not a whole number`},
		{"loss_burst.frames=0-2", "loss_burst.frames: 0-2 is outside 1..25 frames"},
		{"loss_burst.frames=many", `loss_burst.frames: "many" is not a number of frames such as 3`},
		{"codec=gsm", `codec: "gsm" is not none, mulaw or alaw`},
		{"loss=", "loss: no value; want a percentage such as 2%"},
		{"bumpy", `"bumpy" is neither key=value nor a preset (clean, echo, lossy)`},
		{"loss=2%,", "an empty item"},
		{"", "an empty item"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			_, err := ParseLine(tt.spec)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one with %q", err, tt.want)
			}
		})
	}
}

// TestLineOverrideCheckedWithTheScenario: rules between keys are checked
// once the override meets the scenario's line, and Run refuses the call.
func TestLineOverrideCheckedWithTheScenario(t *testing.T) {
	o, err := ParseLine("loss_burst.every=1s")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.Apply(Line{LossBurst: LossBurst{Frames: FrameRange{2, 2}}}); err != nil {
		t.Errorf("with the scenario's burst length: %v", err)
	}
	sc := parse(t, "steps: [{hangup: true}]")
	// Nothing listens at the address: the error is the line's, before a dial.
	_, err = Run(context.Background(), sc, Options{Addr: "127.0.0.1:1", Line: o})
	if err == nil || !strings.Contains(err.Error(), "line.loss_burst.frames: missing") {
		t.Errorf("Run: %v, want the missing burst length named", err)
	}
	_, err = LoadTest(context.Background(), sc, LoadOptions{Call: Options{Addr: "127.0.0.1:1", Line: o}, Calls: 1, Concurrency: 1})
	if err == nil || !strings.Contains(err.Error(), "line.loss_burst.frames: missing") {
		t.Errorf("LoadTest: %v, want the missing burst length named", err)
	}
}
