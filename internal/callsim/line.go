package callsim

import (
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tirevoice/assistant/internal/audio"
)

// Line describes the caller's telephone line and the network between the
// caller's phone and Asterisk (docs/scenarios.md, "The line"). The zero
// Line is a clean one.
type Line struct {
	Codec     string        `yaml:"codec"`      // none (default), mulaw or alaw: the caller's audio passes through it both ways
	GainDB    float64       `yaml:"gain_db"`    // applied to the caller's voice, -20..+6
	NoiseDBFS float64       `yaml:"noise_dbfs"` // white noise on the caller's line; 0 = none, else -100..0 dBFS, e.g. -50
	EchoDB    float64       `yaml:"echo_db"`    // the bot's voice comes back on the caller's line at this level; 0 = no echo, else -60..0, e.g. -12
	EchoDelay time.Duration `yaml:"echo_delay"` // and this much later, 0..1s, e.g. 80ms
	// DTX is silence suppression: the caller's phone sends no frames at
	// all while the caller is not speaking (as Asterisk forwards a phone
	// with VAD/DTX, or comfort noise it drops), only the frames that carry
	// speech, and DTMF.
	DTX bool `yaml:"dtx"`

	// Loss is the share of 20 ms frames the network loses, each frame
	// independently, in both directions: a lost caller frame is not sent
	// (Asterisk forwards nothing for a lost RTP packet), a lost bot frame
	// is played to the caller as silence. DTMF is never lost (RFC 2833
	// events go redundantly). 0..20 %, written with its % sign.
	Loss Percent `yaml:"loss"`
	// LossBurst loses runs of consecutive frames as well, both ways.
	LossBurst LossBurst `yaml:"loss_burst"`
	// Jitter holds each caller frame back by a random time up to this
	// long, 0..500ms; a frame never overtakes the one before it, so the
	// frames held longest release those behind them in a burst.
	Jitter time.Duration `yaml:"jitter"`
	// Seed makes the loss and jitter reproducible; 0 derives it from the
	// scenario's name. The transcript prints the one used.
	Seed uint64 `yaml:"seed"`
}

// LossBurst is the bursty part of a line's loss: a burst starts at each
// frame with the probability that makes Every the mean time between
// bursts, and loses Frames frames in a row. A burst never runs into the
// next: the frame after one is not the start of another.
type LossBurst struct {
	Every  time.Duration `yaml:"every"`  // mean time between bursts, per direction; 0 = no bursts
	Frames FrameRange    `yaml:"frames"` // frames lost by one burst: 3, or 2-3 for 2 or 3 at random; 1..25
}

// maxLoss bounds a line's loss, independent and bursty together, in
// percent: beyond it no caller is understood and the test says nothing.
const maxLoss = 20

// Percent is a share written with its % sign ("2%", "0.5%"); the value is
// in percent (2 means 2 %).
type Percent float64

// UnmarshalYAML reads "2%": a bare number is refused, since 0.02 and 2
// would both be plausible.
func (p *Percent) UnmarshalYAML(n *yaml.Node) error {
	v, err := parsePercent(n.Value)
	if err != nil {
		return err
	}
	*p = v
	return nil
}

func parsePercent(s string) (Percent, error) {
	num, ok := strings.CutSuffix(strings.TrimSpace(s), "%")
	v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if !ok || err != nil {
		return 0, fmt.Errorf("%q is not a percentage such as 2%%", s)
	}
	return Percent(v), nil
}

func (p Percent) String() string { return strconv.FormatFloat(float64(p), 'g', -1, 64) + "%" }

// FrameRange is a number of frames, fixed ("3") or picked at random from
// Min to Max ("2-3").
type FrameRange struct{ Min, Max int }

// UnmarshalYAML reads "3" or "2-3".
func (r *FrameRange) UnmarshalYAML(n *yaml.Node) error {
	v, err := parseFrameRange(n.Value)
	if err != nil {
		return err
	}
	*r = v
	return nil
}

func parseFrameRange(s string) (FrameRange, error) {
	lo, hi, isRange := strings.Cut(strings.TrimSpace(s), "-")
	a, errA := strconv.Atoi(strings.TrimSpace(lo))
	b, errB := a, error(nil)
	if isRange {
		b, errB = strconv.Atoi(strings.TrimSpace(hi))
	}
	if errA != nil || errB != nil || a > b {
		return FrameRange{}, fmt.Errorf("%q is not a number of frames such as 3, or a range such as 2-3", s)
	}
	return FrameRange{a, b}, nil
}

func (r FrameRange) String() string {
	if r.Min == r.Max {
		return strconv.Itoa(r.Min)
	}
	return fmt.Sprintf("%d-%d", r.Min, r.Max)
}

// mean is the mean number of frames of the range.
func (r FrameRange) mean() float64 { return float64(r.Min+r.Max) / 2 }

// yamlError places err at n's line in the file, when it has one (a value
// of --line has none).
func yamlError(n *yaml.Node, err error) error {
	if n.Line > 0 {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	return err
}

// UnmarshalYAML reads the line: mapping key by key, with the keys --line
// knows, so that an error names its key and an unknown key (a typo that
// would leave the line clean) is one.
func (l *Line) UnmarshalYAML(n *yaml.Node) error {
	keys := lineKeys()
	var errs []error
	var walk func(prefix string, n *yaml.Node)
	walk = func(prefix string, n *yaml.Node) {
		if n.Kind != yaml.MappingNode {
			errs = append(errs, yamlError(n, fmt.Errorf("line%s: want a mapping of keys (%s)", strings.TrimSuffix("."+prefix, "."), keyNames(keys, prefix))))
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			name := prefix + k.Value
			if keyNames(keys, name+".") != "" {
				walk(name+".", v)
				continue
			}
			j := indexKey(keys, name)
			if j < 0 {
				errs = append(errs, yamlError(k, fmt.Errorf("line.%s: unknown key; the keys are %s", name, keyNames(keys, prefix))))
				continue
			}
			if err := keys[j].decode(l, v); err != nil {
				errs = append(errs, yamlError(v, fmt.Errorf("line.%s: %w", name, err)))
			}
		}
	}
	walk("", n)
	return errors.Join(errs...)
}

// impaired reports whether the line loses or delays frames, which is what
// its seed is for.
func (l *Line) impaired() bool {
	return l.Loss > 0 || l.LossBurst.Every > 0 || l.Jitter > 0
}

// lineKey is one key of line:, as the YAML and --line name it.
type lineKey struct {
	name  string
	want  string               // what a value looks like, for errors
	field func(l *Line) any    // a pointer to the field, to decode into
	show  func(l *Line) string // the value as written, "" when not set
	check func(l *Line) string // "" when the value is valid, else what is wrong
}

// lineKeys are the keys of line:, in the order the docs list them.
func lineKeys() []lineKey {
	num := func(v float64) string {
		if v == 0 {
			return ""
		}
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	dur := func(d time.Duration) string {
		if d == 0 {
			return ""
		}
		return d.String()
	}
	within := func(v, lo, hi float64, unit string) string {
		if v < lo || v > hi {
			return fmt.Sprintf("%g is outside %g..%g%s", v, lo, hi, unit)
		}
		return ""
	}
	durWithin := func(d, hi time.Duration) string {
		if d < 0 || d > hi {
			return fmt.Sprintf("%s is outside 0..%s", d, hi)
		}
		return ""
	}
	return []lineKey{
		{"codec", "none, mulaw or alaw",
			func(l *Line) any { return &l.Codec },
			func(l *Line) string {
				if l.Codec == "none" {
					return ""
				}
				return l.Codec
			},
			func(l *Line) string {
				switch l.Codec {
				case "", "none", "mulaw", "alaw":
					return ""
				}
				return fmt.Sprintf("%q is not none, mulaw or alaw", l.Codec)
			}},
		{"gain_db", "a number of dB such as -10",
			func(l *Line) any { return &l.GainDB },
			func(l *Line) string { return num(l.GainDB) },
			func(l *Line) string { return within(l.GainDB, -20, 6, " dB") }},
		{"noise_dbfs", "a level in dBFS such as -55",
			func(l *Line) any { return &l.NoiseDBFS },
			func(l *Line) string { return num(l.NoiseDBFS) },
			func(l *Line) string { return within(l.NoiseDBFS, -100, 0, " dBFS (0 = no noise)") }},
		{"echo_db", "a number of dB such as -12",
			func(l *Line) any { return &l.EchoDB },
			func(l *Line) string { return num(l.EchoDB) },
			func(l *Line) string { return within(l.EchoDB, -60, 0, " dB (0 = no echo)") }},
		{"echo_delay", "a duration such as 120ms",
			func(l *Line) any { return &l.EchoDelay },
			func(l *Line) string { return dur(l.EchoDelay) },
			func(l *Line) string { return durWithin(l.EchoDelay, time.Second) }},
		{"dtx", "true or false",
			func(l *Line) any { return &l.DTX },
			func(l *Line) string {
				if !l.DTX {
					return ""
				}
				return "true"
			},
			func(*Line) string { return "" }},
		{"loss", "a percentage such as 2%",
			func(l *Line) any { return &l.Loss },
			func(l *Line) string {
				if l.Loss == 0 {
					return ""
				}
				return l.Loss.String()
			},
			func(l *Line) string { return within(float64(l.Loss), 0, maxLoss, " %") }},
		{"loss_burst.every", "a duration such as 5s",
			func(l *Line) any { return &l.LossBurst.Every },
			func(l *Line) string { return dur(l.LossBurst.Every) },
			func(l *Line) string {
				if l.LossBurst.Every < 0 {
					return fmt.Sprintf("%s is negative", l.LossBurst.Every)
				}
				return ""
			}},
		{"loss_burst.frames", "a number of frames such as 3, or a range such as 2-3",
			func(l *Line) any { return &l.LossBurst.Frames },
			func(l *Line) string {
				if l.LossBurst.Frames == (FrameRange{}) {
					return ""
				}
				return l.LossBurst.Frames.String()
			},
			func(l *Line) string {
				if r := l.LossBurst.Frames; r != (FrameRange{}) && (r.Min < 1 || r.Max > 25) {
					return fmt.Sprintf("%s is outside 1..25 frames", r)
				}
				return ""
			}},
		{"jitter", "a duration such as 60ms",
			func(l *Line) any { return &l.Jitter },
			func(l *Line) string { return dur(l.Jitter) },
			func(l *Line) string { return durWithin(l.Jitter, 500*time.Millisecond) }},
		{"seed", "a whole number from 0 to 18446744073709551615",
			func(l *Line) any { return &l.Seed },
			func(l *Line) string {
				if l.Seed == 0 {
					return ""
				}
				return strconv.FormatUint(l.Seed, 10)
			},
			func(*Line) string { return "" }},
	}
}

// check returns what is wrong with the line, each error naming its key
// after prefix ("line." in a scenario, "" in --line).
func (l *Line) check(prefix string) []error {
	var errs []error
	for _, k := range lineKeys() {
		if msg := k.check(l); msg != "" {
			errs = append(errs, fmt.Errorf("%s%s: %s", prefix, k.name, msg))
		}
	}
	if l.LossBurst.Every > 0 && l.LossBurst.Frames == (FrameRange{}) {
		errs = append(errs, fmt.Errorf("%sloss_burst.frames: missing: loss_burst.every needs it (such as 2-3)", prefix))
	}
	if share := l.lossShare(); share > maxLoss {
		errs = append(errs, fmt.Errorf("%sloss: loss and loss_burst together lose about %.1f %% of the frames, more than %d %%", prefix, share, maxLoss))
	}
	return errs
}

// lossShare is about how many frames the line loses, in percent: the
// independent loss plus a burst's mean length per mean interval.
func (l *Line) lossShare() float64 {
	share := float64(l.Loss)
	if b := l.LossBurst; b.Every > 0 {
		share += 100 * b.Frames.mean() * float64(audio.FrameTime) / float64(b.Every)
	}
	return share
}

// String is the line as a --line spec of the keys it sets ("clean" for
// none), so a transcript's line can be replayed.
func (l Line) String() string {
	var parts []string
	for _, k := range lineKeys() {
		if v := k.show(&l); v != "" {
			parts = append(parts, k.name+"="+v)
		}
	}
	if len(parts) == 0 {
		return "clean"
	}
	return strings.Join(parts, ",")
}

// linePresets are the named lines --line accepts, as specs.
func linePresets() []struct{ name, spec string } {
	return []struct{ name, spec string }{
		// A perfect line: every key back to its zero value.
		{"clean", "codec=none,gain_db=0,noise_dbfs=0,echo_db=0,echo_delay=0s,dtx=false,loss=0%,loss_burst.every=0s,loss_burst.frames=0,jitter=0s,seed=0"},
		// The line of scenarios/line-echo.yaml.
		{"echo", "codec=mulaw,gain_db=-10,noise_dbfs=-55,echo_db=-12,echo_delay=120ms"},
		// A mobile caller on a poor network.
		{"lossy", "loss=2%,loss_burst.every=5s,loss_burst.frames=2-3,jitter=20ms"},
	}
}

// LineOverride is a partial line, from --line: the keys it sets replace
// the scenario's, the others keep the scenario's values (a DTX scenario
// stays DTX; the rate, not a line key, is never touched).
type LineOverride struct {
	spec string
	sets []lineSet // in the order given; a later one wins
}

type lineSet struct {
	key   lineKey
	value string
}

// ParseLine reads a line override: comma-separated key=value items with
// the keys of line: ("codec=mulaw,echo_db=-12", "loss=2%",
// "loss_burst.frames=2-3") and preset names (clean, echo, lossy), applied
// left to right, so "clean,loss=2%" is a line with only that loss and
// "lossy,seed=7" the lossy preset with another seed. Each value is read as
// the YAML would read it and checked on its own; rules between keys are
// checked when the override meets a scenario (Apply).
func ParseLine(spec string) (*LineOverride, error) {
	o := &LineOverride{spec: spec}
	if err := o.add(spec, true); err != nil {
		return nil, err
	}
	var zero Line
	for _, s := range o.sets {
		if err := s.decode(&zero); err != nil {
			return nil, err
		}
		if msg := s.key.check(&zero); msg != "" {
			return nil, fmt.Errorf("%s: %s", s.key.name, msg)
		}
	}
	return o, nil
}

func (o *LineOverride) add(spec string, presets bool) error {
	keys := lineKeys()
	for item := range strings.SplitSeq(spec, ",") {
		item = strings.TrimSpace(item)
		name, value, isSet := strings.Cut(item, "=")
		name = strings.TrimSpace(name)
		if !isSet {
			if p, ok := presetSpec(name); ok && presets {
				if err := o.add(p, false); err != nil {
					return fmt.Errorf("preset %s: %w", name, err)
				}
				continue
			}
			if item == "" {
				return fmt.Errorf("an empty item in %q: want key=value or a preset (%s)", spec, presetNames())
			}
			return fmt.Errorf("%q is neither key=value nor a preset (%s)", item, presetNames())
		}
		i := indexKey(keys, name)
		if i < 0 {
			return fmt.Errorf("unknown key %q: the keys are %s", name, keyNames(keys, ""))
		}
		value = strings.TrimSpace(value)
		if value == "" {
			return fmt.Errorf("%s: no value; want %s", name, keys[i].want)
		}
		o.sets = append(o.sets, lineSet{keys[i], value})
	}
	return nil
}

// decode sets the key's field of l from the value, read as YAML reads it.
func (s lineSet) decode(l *Line) error {
	if err := s.key.decode(l, &yaml.Node{Kind: yaml.ScalarNode, Value: s.value}); err != nil {
		return fmt.Errorf("%s: %w", s.key.name, err)
	}
	return nil
}

// decode sets the key's field of l from the value v.
func (k lineKey) decode(l *Line, v *yaml.Node) error {
	if v.Kind != yaml.ScalarNode {
		return fmt.Errorf("want one value, %s", k.want)
	}
	if v.Decode(k.field(l)) != nil {
		return fmt.Errorf("%q is not %s", v.Value, k.want)
	}
	return nil
}

// Apply returns l with the override's keys set, checked as a scenario's
// line is: an error names the key.
func (o *LineOverride) Apply(l Line) (Line, error) {
	for _, s := range o.sets {
		if err := s.decode(&l); err != nil {
			return Line{}, err
		}
	}
	if err := errors.Join(l.check("line.")...); err != nil {
		return Line{}, fmt.Errorf("with --line %s: %w", o.spec, err)
	}
	return l, nil
}

// String is the override as it was given.
func (o *LineOverride) String() string { return o.spec }

func presetSpec(name string) (string, bool) {
	for _, p := range linePresets() {
		if p.name == name {
			return p.spec, true
		}
	}
	return "", false
}

func presetNames() string {
	var names []string
	for _, p := range linePresets() {
		names = append(names, p.name)
	}
	return strings.Join(names, ", ")
}

func indexKey(keys []lineKey, name string) int {
	for i, k := range keys {
		if k.name == name {
			return i
		}
	}
	return -1
}

// keyNames lists the keys under prefix ("" for all, "loss_burst." for
// its own), without the prefix; "" when there are none.
func keyNames(keys []lineKey, prefix string) string {
	var names []string
	for _, k := range keys {
		if rest, ok := strings.CutPrefix(k.name, prefix); ok {
			names = append(names, rest)
		}
	}
	return strings.Join(names, ", ")
}

// lineSeed is the seed of a call's loss and jitter: the line's, else one
// derived from the scenario's name (FNV-1a), so that every run of a
// scenario loses the same frames unless told otherwise.
func lineSeed(sc *Scenario, l *Line) uint64 {
	if l.Seed != 0 {
		return l.Seed
	}
	h := fnv.New64a()
	h.Write([]byte(sc.Name))
	return h.Sum64()
}
