// Package callsim plays the part of Asterisk and the caller: it dials the
// processor over AudioSocket, speaks scripted lines through the mock speech
// codec in real-time 20 ms frames, decodes what the bot says, and checks it
// against the script (docs/scenarios.md).
package callsim

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tirevoice/assistant/internal/audio"
	"github.com/tirevoice/assistant/internal/speechcodec"
)

// Scenario is one scripted call.
type Scenario struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Rate        int    `yaml:"rate"` // caller's audio rate in Hz: 8000 (default) or 16000
	// Caller is the caller's number ("+79161234567"), or "anonymous" for
	// a withheld one. When set, the call is registered with the
	// processor's dialplan endpoint before it connects, as Asterisk's
	// dialplan does (needs Options.API); when empty it is not registered
	// and the processor knows no number.
	Caller string `yaml:"caller"`
	Called string `yaml:"called"` // the number dialled, registered with Caller
	Line   Line   `yaml:"line"`
	Steps  []Step `yaml:"steps"`
	// Never are regular expressions no phrase of the bot may match, at any
	// point of the call (what a caller must not hear).
	Never []string `yaml:"never"`
	// Record is checked in the processor's record of the call once it has
	// ended (needs the processor's HTTP API: Options.API).
	Record *RecordCheck `yaml:"record"`

	never []*regexp.Regexp
}

// RecordCheck is what the processor's call record must say.
type RecordCheck struct {
	Tools       []string `yaml:"tools"`       // these tools ran, in this order (others may run between them)
	Disposition string   `yaml:"disposition"` // hangup or operator
	Outcome     string   `yaml:"outcome"`     // completed, operator, caller_hangup, no_input, ...
}

// Step is one action of the script. Exactly one action field is set.
type Step struct {
	Say          string        `yaml:"say"`           // speak this text, then continue when it has been spoken
	Expect       string        `yaml:"expect"`        // a regular expression the bot's next phrases must match
	ExpectAudio  bool          `yaml:"expect_audio"`  // wait until the bot is audibly speaking
	ExpectHangup bool          `yaml:"expect_hangup"` // wait until the bot ends the call
	DTMF         string        `yaml:"dtmf"`          // press these keys, 100 ms apart
	Silence      time.Duration `yaml:"silence"`       // stay silent this long
	Pause        time.Duration `yaml:"pause"`         // send nothing at all, not even silence frames, this long (a hold, a stalled network)
	Hangup       bool          `yaml:"hangup"`        // hang up
	Timeout      time.Duration `yaml:"timeout"`       // for expect, expect_audio, expect_hangup; default 10s

	re *regexp.Regexp
}

// DefaultTimeout bounds a waiting step without its own timeout.
const DefaultTimeout = 10 * time.Second

// Load reads and checks a scenario file.
func Load(path string) (*Scenario, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	sc, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return sc, nil
}

// Parse reads a scenario and checks every step.
func Parse(b []byte) (*Scenario, error) {
	var sc Scenario
	if err := yaml.Unmarshal(b, &sc); err != nil {
		return nil, err
	}
	if sc.Rate == 0 {
		sc.Rate = int(audio.Rate8k)
	}
	var errs []error
	if sc.Rate != int(audio.Rate8k) && sc.Rate != int(audio.Rate16k) {
		errs = append(errs, fmt.Errorf("rate: %d is not 8000 or 16000", sc.Rate))
	}
	errs = append(errs, sc.Line.check("line.")...)
	if len(sc.Steps) == 0 {
		errs = append(errs, errors.New("steps: the scenario has none"))
	}
	for field, v := range map[string]string{"caller": sc.Caller, "called": sc.Called} {
		if v != "" && !strings.EqualFold(v, "anonymous") && !dialplanNumber.MatchString(v) {
			errs = append(errs, fmt.Errorf("%s: %q is not digits with an optional leading + (at most 20), or anonymous", field, v))
		}
	}
	for i, n := range sc.Never {
		re, err := regexp.Compile(n)
		if err != nil {
			errs = append(errs, fmt.Errorf("never %d: %w", i+1, err))
			continue
		}
		sc.never = append(sc.never, re)
	}
	for i := range sc.Steps {
		if err := sc.Steps[i].check(); err != nil {
			errs = append(errs, fmt.Errorf("step %d: %w", i+1, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &sc, nil
}

func (s *Step) check() error {
	n := 0
	for _, set := range []bool{s.Say != "", s.Expect != "", s.ExpectAudio, s.ExpectHangup, s.DTMF != "", s.Silence > 0, s.Pause > 0, s.Hangup} {
		if set {
			n++
		}
	}
	if n != 1 {
		return fmt.Errorf("want exactly one of say, expect, expect_audio, expect_hangup, dtmf, silence, pause, hangup; found %d", n)
	}
	if s.Timeout == 0 {
		s.Timeout = DefaultTimeout
	}
	if len(s.Say) > speechcodec.MaxText {
		return fmt.Errorf("say: %d bytes, more than %d", len(s.Say), speechcodec.MaxText)
	}
	for _, d := range []byte(s.DTMF) {
		if !isDigit(d) {
			return fmt.Errorf("dtmf: %q is not one of 0-9*#A-D", d)
		}
	}
	if s.Expect != "" {
		re, err := regexp.Compile(s.Expect)
		if err != nil {
			return fmt.Errorf("expect: %w", err)
		}
		s.re = re
	}
	return nil
}

// dialplanNumber is a number as the dialplan registers it.
var dialplanNumber = regexp.MustCompile(`^\+?[0-9]{1,20}$`)

func isDigit(d byte) bool {
	return d >= '0' && d <= '9' || d == '*' || d == '#' || d >= 'A' && d <= 'D'
}

// String describes the step as the script says it, for failure messages.
func (s *Step) String() string {
	switch {
	case s.Say != "":
		return fmt.Sprintf("say %q", s.Say)
	case s.Expect != "":
		return fmt.Sprintf("expect /%s/ within %s", s.Expect, s.Timeout)
	case s.ExpectAudio:
		return fmt.Sprintf("expect_audio within %s", s.Timeout)
	case s.ExpectHangup:
		return fmt.Sprintf("expect_hangup within %s", s.Timeout)
	case s.DTMF != "":
		return fmt.Sprintf("dtmf %q", s.DTMF)
	case s.Silence > 0:
		return fmt.Sprintf("silence %s", s.Silence)
	case s.Pause > 0:
		return fmt.Sprintf("pause %s", s.Pause)
	case s.Hangup:
		return "hangup"
	}
	return "empty step"
}
