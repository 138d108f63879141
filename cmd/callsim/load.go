package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/tirevoice/assistant/internal/callsim"
)

// The default ramp is one start per 20 ms frame, which also spreads the
// calls' frame clocks over the frame period, but at most maxDefaultRamp so
// that the first calls have not ended before the last of the first
// --concurrency start (a scripted call lasts several seconds).
const (
	rampPerCall    = 20 * time.Millisecond
	maxDefaultRamp = 5 * time.Second
)

// runLoad plays a scenario as many calls and prints the report.
func runLoad(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("callsim load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:9092", "call-processor AudioSocket address")
	path := fs.String("scenario", "", "scenario file (YAML)")
	calls := fs.Int("calls", 0, "calls to play (0: as many as fit in --duration)")
	concurrency := fs.Int("concurrency", 1, "most calls in progress at once")
	ramp := fs.Duration("ramp", 0, "spread the first --concurrency starts over this long; starts are at least ramp/concurrency apart (default concurrency × 20ms, at most 5s)")
	duration := fs.Duration("duration", 0, "stop starting calls after this long, keeping --concurrency in progress until then")
	apiAddr := fs.String("api", "", "call-processor HTTP address, e.g. http://127.0.0.1:8080, for scenarios that register a caller or check the call record")
	apiToken := fs.String("api-token", os.Getenv("CALLSIM_API_TOKEN"), "bearer token of the call-processor API (default $CALLSIM_API_TOKEN)")
	asJSON := fs.Bool("json", false, "print the report as one JSON object")
	lineSpec := fs.String("line", "", lineUsage)
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case *path == "":
		return errors.New("--scenario is required")
	case *calls < 0:
		return errors.New("--calls: want 0 or more")
	case *calls == 0 && *duration <= 0:
		return errors.New("--calls or --duration is required")
	case *concurrency < 1:
		return errors.New("--concurrency: want at least 1")
	case *ramp < 0 || *duration < 0:
		return errors.New("--ramp and --duration: want 0 or more")
	}
	rampSet := false
	fs.Visit(func(f *flag.Flag) { rampSet = rampSet || f.Name == "ramp" })
	if !rampSet {
		*ramp = min(time.Duration(*concurrency)*rampPerCall, maxDefaultRamp)
	}
	sc, err := callsim.Load(*path)
	if err != nil {
		return err
	}
	line, err := lineOverride(*lineSpec, sc, *path)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "callsim: load %s against %s: %s, %d at once, ramp %s\n",
		sc.Name, *addr, plan(*calls, *duration), *concurrency, *ramp)
	rep, err := callsim.LoadTest(ctx, sc, callsim.LoadOptions{
		Call:        callsim.Options{Addr: *addr, API: *apiAddr, APIToken: *apiToken, Line: line},
		Calls:       *calls,
		Concurrency: *concurrency,
		Ramp:        *ramp,
		Duration:    *duration,
	})
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(jsonReport(rep)); err != nil {
			return err
		}
	} else {
		fmt.Fprint(stdout, rep)
	}
	if !rep.OK() {
		return errFailed
	}
	return nil
}

func plan(calls int, d time.Duration) string {
	switch {
	case d <= 0:
		return fmt.Sprintf("%d calls", calls)
	case calls == 0:
		return fmt.Sprintf("calls for %s", d)
	}
	return fmt.Sprintf("%d calls within %s", calls, d)
}

// loadJSON is the report for scripts: durations in milliseconds (wall time
// in seconds), field names that stay put.
type loadJSON struct {
	Scenario       string       `json:"scenario"`
	Planned        int          `json:"planned"`
	Started        int          `json:"started"`
	Passed         int          `json:"passed"`
	Failed         int          `json:"failed"`
	Errored        int          `json:"errored"`
	Interrupted    int          `json:"interrupted"`
	Cancelled      bool         `json:"cancelled"`
	Failures       []reasonJSON `json:"failures"`
	Errors         []reasonJSON `json:"errors"`
	GreetingMS     distJSON     `json:"greeting_ms"`
	AnswerMS       distJSON     `json:"answer_ms"`
	PacingGapMS    distJSON     `json:"pacing_gap_ms"`
	MaxLeadFrames  int          `json:"max_lead_frames"`
	MaxConcurrency int          `json:"max_concurrency"`
	WallS          float64      `json:"wall_s"`
	CallsPerSecond float64      `json:"calls_per_second"`
	Line           lineJSON     `json:"line"`
}

// lineJSON is the line the calls ran on and what it did, summed over them.
type lineJSON struct {
	Spec         string  `json:"spec"` // as a --line spec, without the seed; "clean" for a perfect line
	Seed         uint64  `json:"seed"` // the first call's; call n had seed + n
	CallerFrames int     `json:"caller_frames"`
	CallerLost   int     `json:"caller_lost"`
	BotFrames    int     `json:"bot_frames"`
	BotLost      int     `json:"bot_lost"`
	MaxJitterMS  float64 `json:"max_jitter_ms"`
}

type reasonJSON struct {
	Reason  string `json:"reason"`
	Count   int    `json:"count"`
	Example string `json:"example"`
}

type distJSON struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

func jsonReport(r *callsim.LoadReport) loadJSON {
	return loadJSON{
		Scenario: r.Scenario, Planned: r.Planned, Started: r.Started,
		Passed: r.Passed, Failed: r.Failed, Errored: r.Errored,
		Interrupted: r.Interrupted, Cancelled: r.Cancelled,
		Failures: reasonsJSON(r.Failures), Errors: reasonsJSON(r.Errors),
		GreetingMS: msDist(r.Greeting), AnswerMS: msDist(r.Answer), PacingGapMS: msDist(r.PacingGap),
		MaxLeadFrames:  r.MaxLead,
		MaxConcurrency: r.MaxConcurrency,
		WallS:          r.Wall.Seconds(),
		CallsPerSecond: r.CallsPerSecond(),
		Line:           lineReport(r),
	}
}

func lineReport(r *callsim.LoadReport) lineJSON {
	l, st := r.Line, r.LineStats
	l.Seed = 0
	return lineJSON{
		Spec: l.String(), Seed: st.Seed,
		CallerFrames: st.CallerFrames, CallerLost: st.CallerLost,
		BotFrames: st.BotFrames, BotLost: st.BotLost,
		MaxJitterMS: ms(st.MaxJitter),
	}
}

func reasonsJSON(rs []callsim.Reason) []reasonJSON {
	out := make([]reasonJSON, 0, len(rs)) // [] rather than null
	for _, r := range rs {
		out = append(out, reasonJSON{r.Reason, r.Count, r.Example})
	}
	return out
}

func msDist(d callsim.Dist) distJSON {
	return distJSON{N: d.N, P50: ms(d.P50), P95: ms(d.P95), P99: ms(d.P99), Max: ms(d.Max)}
}

// ms is d in milliseconds with microsecond precision.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
