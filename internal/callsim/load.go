package callsim

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// LoadOptions tune a load: many runs of one scenario at once.
type LoadOptions struct {
	// Call are the options of every call; its ID and Out are ignored:
	// each call gets a fresh UUID and keeps no transcript.
	Call Options
	// Calls is how many calls to play; 0 means no limit, then Duration
	// must be set. With both, the load stops starting calls at whichever
	// comes first.
	Calls int
	// Concurrency is the most calls in progress at once (at least 1).
	Concurrency int
	// Ramp spaces the starts: two calls start at least Ramp/Concurrency
	// apart, so the first Concurrency calls are spread over Ramp instead
	// of all dialling in the same millisecond. 0 starts them at once.
	Ramp time.Duration
	// Duration, when set, stops starting calls this long after the load
	// began; calls in progress then run to their end.
	Duration time.Duration
}

// LoadReport sums up a load. Figures come from every call that connected,
// whatever its verdict (an interrupted call's up to its hang-up); only the
// figures are kept, not the calls' audio or transcripts.
type LoadReport struct {
	Scenario    string
	Planned     int // LoadOptions.Calls; 0 for a load bounded by Duration only
	Started     int // calls dialled
	Passed      int // every expectation held
	Failed      int // an expectation or the pacing check failed
	Errored     int // the call could not be made (refused, reset before the UUID went out)
	Interrupted int // still in progress when ctx was cancelled, and hung up
	Cancelled   bool

	Failures []Reason // failed calls grouped by reason, most frequent first
	Errors   []Reason // errored calls grouped by error, most frequent first

	Greeting  Dist // UUID frame to the bot's first audible frame, per call
	Answer    Dist // end of the caller's speech to the bot's answer, every turn of every call
	PacingGap Dist // each call's longest wait between two bot frames
	MaxLead   int  // most frames any call's bot audio ran ahead of real time

	MaxConcurrency int           // most calls in progress at once
	Wall           time.Duration // from the first start to the last call's end

	// Line is the line every call ran on: the scenario's, with
	// Options.Line merged in. LineStats are its counts summed over the
	// calls that connected (MaxJitter the largest); its Seed is the first
	// call's: call n (from 0) had Seed+n.
	Line      Line
	LineStats LineStats
}

// OK reports whether the load ran as asked and every call passed.
func (r *LoadReport) OK() bool {
	return !r.Cancelled && r.Started > 0 && r.Passed == r.Started
}

// CallsPerSecond is the rate of calls that ran to a verdict (passed or
// failed) over the wall time.
func (r *LoadReport) CallsPerSecond() float64 {
	if r.Wall <= 0 {
		return 0
	}
	return float64(r.Passed+r.Failed) / r.Wall.Seconds()
}

// Reason is one kind of failure or error and how many calls had it.
type Reason struct {
	Reason  string // the message with its per-call details (heard text, numbers, addresses) left out
	Count   int
	Example string // the first full message
}

// Dist summarises samples by nearest-rank percentiles: the p-th percentile
// of n sorted samples is the one at rank ceil(p/100*n) (1-based), always a
// measured value. All zero when N is 0.
type Dist struct {
	N                  int
	P50, P95, P99, Max time.Duration
}

// maxReasons bounds the distinct reasons kept; the rest are counted under
// otherReason.
const (
	maxReasons  = 20
	otherReason = "(other reasons)"
)

// LoadTest plays sc opt.Calls times (or for opt.Duration), at most
// opt.Concurrency calls at once, each with a fresh UUID. Cancelling ctx
// stops starting calls and hangs up those in progress; LoadTest then
// returns the report of what ran. An error means the options are invalid.
//
// (The engine is not called Load: that name reads a scenario file.)
func LoadTest(ctx context.Context, sc *Scenario, opt LoadOptions) (*LoadReport, error) {
	switch {
	case opt.Concurrency < 1:
		return nil, errors.New("concurrency: want at least 1")
	case opt.Calls < 0:
		return nil, errors.New("calls: want 0 or more")
	case opt.Calls == 0 && opt.Duration <= 0:
		return nil, errors.New("want a number of calls or a duration")
	case opt.Ramp < 0 || opt.Duration < 0:
		return nil, errors.New("ramp and duration: want 0 or more")
	}
	line, err := effectiveLine(sc, opt.Call.Line)
	if err != nil {
		return nil, err
	}
	l := &loader{sc: sc, opt: opt, rep: LoadReport{
		Scenario: sc.Name, Planned: opt.Calls,
		Line: line, LineStats: LineStats{Seed: lineSeed(sc, &line)},
	}}
	start := time.Now()
	var stop <-chan time.Time
	if opt.Duration > 0 {
		t := time.NewTimer(opt.Duration)
		defer t.Stop()
		stop = t.C
	}
	gap := opt.Ramp / time.Duration(opt.Concurrency)
	slots := make(chan struct{}, opt.Concurrency)
	var wg sync.WaitGroup
	next := start
launch:
	for i := 0; opt.Calls == 0 || i < opt.Calls; i++ {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			break launch
		case <-stop:
			break launch
		}
		if d := time.Until(next); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				break launch
			case <-stop:
				t.Stop()
				break launch
			}
		}
		// A ready slot may have won the select over a stop that was
		// also ready.
		if ctx.Err() != nil || opt.Duration > 0 && time.Since(start) >= opt.Duration {
			break
		}
		next = time.Now().Add(gap)
		l.started()
		wg.Go(func() {
			defer func() { <-slots }()
			l.call(ctx, uint64(i))
		})
	}
	wg.Wait()
	l.rep.Wall = time.Since(start)
	l.rep.Cancelled = ctx.Err() != nil
	return l.report(), nil
}

// loader gathers the figures of a load's calls as they end.
type loader struct {
	sc  *Scenario
	opt LoadOptions

	mu                          sync.Mutex // guards the fields below
	rep                         LoadReport
	inProgress                  int
	failures, errs              reasons
	greeting, answer, pacingGap []time.Duration
}

func (l *loader) started() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rep.Started++
	l.inProgress++
	l.rep.MaxConcurrency = max(l.rep.MaxConcurrency, l.inProgress)
}

// call plays call n (from 0) and keeps its figures; the Result, with
// what the bot said, is dropped here.
func (l *loader) call(ctx context.Context, n uint64) {
	opt := l.opt.Call
	opt.ID, opt.Out = uuid.New(), nil
	res, err := run(ctx, l.sc, opt, extras{seedOffset: n})

	l.mu.Lock()
	defer l.mu.Unlock()
	l.inProgress--
	switch {
	case ctx.Err() != nil && (err != nil || !res.Passed):
		l.rep.Interrupted++
	case err != nil:
		l.rep.Errored++
		l.errs.add(err.Error())
	case res.Passed:
		l.rep.Passed++
	default:
		l.rep.Failed++
		l.failures.add(res.Failure)
	}
	if res == nil {
		return
	}
	if res.GreetingLatency > 0 {
		l.greeting = append(l.greeting, res.GreetingLatency)
	}
	for _, t := range res.Turns {
		l.answer = append(l.answer, t.Latency)
	}
	if res.Pacing.Frames > 1 { // a gap needs two frames
		l.pacingGap = append(l.pacingGap, res.Pacing.MaxGap)
	}
	l.rep.MaxLead = max(l.rep.MaxLead, res.Pacing.MaxLead)
	st, c := &l.rep.LineStats, res.Line
	st.CallerFrames += c.CallerFrames
	st.CallerLost += c.CallerLost
	st.BotFrames += c.BotFrames
	st.BotLost += c.BotLost
	st.MaxJitter = max(st.MaxJitter, c.MaxJitter)
}

func (l *loader) report() *LoadReport {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.rep
	r.Failures, r.Errors = l.failures.list(), l.errs.list()
	r.Greeting, r.Answer, r.PacingGap = distOf(l.greeting), distOf(l.answer), distOf(l.pacingGap)
	return &r
}

// reasons counts messages by their reason.
type reasons struct {
	byReason map[string]*Reason
	order    []string // first-seen order, for a stable report
}

func (rs *reasons) add(msg string) {
	key := reasonOf(msg)
	if rs.byReason == nil {
		rs.byReason = map[string]*Reason{}
	}
	r, ok := rs.byReason[key]
	if !ok && len(rs.byReason) >= maxReasons {
		key = otherReason
		r, ok = rs.byReason[key]
	}
	if !ok {
		r = &Reason{Reason: key, Example: msg}
		rs.byReason[key] = r
		rs.order = append(rs.order, key)
	}
	r.Count++
}

// list returns the reasons, most frequent first, then in first-seen order.
func (rs *reasons) list() []Reason {
	out := make([]Reason, 0, len(rs.order))
	for _, k := range rs.order {
		out = append(out, *rs.byReason[k])
	}
	slices.SortStableFunc(out, func(a, b Reason) int { return cmp.Compare(b.Count, a.Count) })
	return out
}

// reasonRewrites take per-call details out of failure and error messages,
// so that calls that failed the same way group together.
var reasonRewrites = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`), "<uuid>"},
	{regexp.MustCompile(`(tcp|tcp4|tcp6) \S+->`), "$1 "}, // the call's own ephemeral port
	{regexp.MustCompile(`^pacing: bot audio ran \d+ frames`), "pacing: bot audio ran too many frames"},
	{regexp.MustCompile(`^pacing: \S+ without a frame`), "pacing: too long without a frame"},
	{regexp.MustCompile(` \(line seed \d+\)$`), ""}, // each call has its own
}

// reasonOf is msg without what differs from call to call: what the bot
// said (after the first "; "), UUIDs, local ports and measured figures.
func reasonOf(msg string) string {
	msg, _, _ = strings.Cut(msg, "; ")
	for _, rw := range reasonRewrites {
		msg = rw.re.ReplaceAllString(msg, rw.with)
	}
	return msg
}

// distOf sorts samples in place and summarises them.
func distOf(samples []time.Duration) Dist {
	slices.Sort(samples)
	return Dist{
		N:   len(samples),
		P50: percentile(samples, 50),
		P95: percentile(samples, 95),
		P99: percentile(samples, 99),
		Max: percentile(samples, 100),
	}
}

// percentile is the nearest-rank p-th percentile (0 < p <= 100) of sorted:
// the sample at rank ceil(p/100*n), counting from 1; 0 when there are none.
func percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(n)))
	return sorted[min(max(rank, 1), n)-1]
}

// String is the report in a few lines, for people.
func (r *LoadReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "load %s: %d calls started", r.Scenario, r.Started)
	if r.Planned > 0 {
		fmt.Fprintf(&b, " of %d", r.Planned)
	}
	fmt.Fprintf(&b, ": %d passed, %d failed, %d errored", r.Passed, r.Failed, r.Errored)
	if r.Interrupted > 0 || r.Cancelled {
		fmt.Fprintf(&b, ", %d interrupted (cancelled)", r.Interrupted)
	}
	b.WriteString("\n")
	for _, g := range []struct {
		what string
		rs   []Reason
	}{{"failures", r.Failures}, {"errors", r.Errors}} {
		if len(g.rs) == 0 {
			continue
		}
		fmt.Fprintf(&b, "%s:\n", g.what)
		for _, x := range g.rs {
			fmt.Fprintf(&b, "  %5d  %s\n", x.Count, x.Reason)
			if x.Example != x.Reason {
				fmt.Fprintf(&b, "         e.g. %s\n", x.Example)
			}
		}
	}
	fmt.Fprintf(&b, "greeting latency  %s\n", r.Greeting)
	fmt.Fprintf(&b, "answer latency    %s\n", r.Answer)
	fmt.Fprintf(&b, "pacing worst gap  %s; max lead %d frames\n", r.PacingGap, r.MaxLead)
	if r.Line.impaired() {
		shown := r.Line
		shown.Seed = 0 // each call has its own
		fmt.Fprintf(&b, "line %s: %s; seed %d + the call's number (from 0)\n", shown, r.LineStats.counts(), r.LineStats.Seed)
	}
	fmt.Fprintf(&b, "max concurrency %d, wall time %.1f s, %.2f calls/s\n", r.MaxConcurrency, r.Wall.Seconds(), r.CallsPerSecond())
	return b.String()
}

// String is the distribution in milliseconds.
func (d Dist) String() string {
	if d.N == 0 {
		return "no samples"
	}
	return fmt.Sprintf("p50 %.1f ms  p95 %.1f ms  p99 %.1f ms  max %.1f ms  (%d samples)",
		ms(d.P50), ms(d.P95), ms(d.P99), ms(d.Max), d.N)
}
