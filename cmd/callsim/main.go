// Command callsim plays the part of Asterisk and a caller against
// call-processor: it runs a scripted conversation over AudioSocket and
// checks what the bot said (docs/scenarios.md). Its load mode plays the
// same scenario as many calls at once and reports latency percentiles.
//
// Usage:
//
//	callsim run --addr HOST:PORT --scenario FILE.yaml [--uuid UUID] [--quiet]
//	            [--api http://HOST:PORT --api-token TOKEN] [--line SPEC]
//	callsim load --addr HOST:PORT --scenario FILE.yaml --calls N --concurrency C
//	            [--ramp DURATION] [--duration D] [--api URL --api-token T] [--json] [--line SPEC]
//
// --line SPEC merges into the scenario's line: comma-separated key=value
// items with the keys of line: and the presets clean, echo and lossy
// ("--line loss=2%", "--line echo,jitter=20ms"); docs/scenarios.md.
//
// Exit status of run: 0 when every expectation held, 1 when one failed
// (named in the output), 2 for bad usage or a call that could not be made.
// Of load: 0 when every call passed, 1 when any failed, errored or was cut
// short by Ctrl-C (the report is printed all the same), 2 for bad usage.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/google/uuid"

	"github.com/tirevoice/assistant/internal/callsim"
)

// errFailed marks a scenario whose expectations did not hold.
var errFailed = errors.New("scenario failed")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	code := exitCode(err)
	if code == 2 {
		fmt.Fprintln(os.Stderr, "callsim:", err)
	}
	os.Exit(code)
}

// exitCode is 0 for success, 1 for a failed scenario or load, 2 for bad
// usage or a call that could not be made.
func exitCode(err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errFailed):
		return 1
	}
	return 2
}

const usage = `usage:
  callsim run --addr HOST:PORT --scenario FILE.yaml [--uuid UUID] [--quiet] [--api URL --api-token TOKEN] [--line SPEC]
  callsim load --addr HOST:PORT --scenario FILE.yaml --calls N --concurrency C [--ramp DURATION] [--duration D]
               [--api URL --api-token TOKEN] [--json] [--line SPEC]`

// lineUsage is the --line flag's help.
const lineUsage = "merge into the scenario's line: comma-separated key=value with the keys of line: " +
	"(codec, gain_db, noise_dbfs, echo_db, echo_delay, dtx, loss, loss_burst.every, loss_burst.frames, jitter, seed) " +
	"and presets (clean, echo, lossy), e.g. loss=2% or echo,jitter=20ms"

// lineOverride reads --line; nil when it was not given. It checks the
// override against the scenario's line, so that a rule between keys
// fails here, with the file named, rather than when the call is made.
func lineOverride(spec string, sc *callsim.Scenario, path string) (*callsim.LineOverride, error) {
	if spec == "" {
		return nil, nil
	}
	o, err := callsim.ParseLine(spec)
	if err != nil {
		return nil, fmt.Errorf("--line: %w", err)
	}
	if _, err := o.Apply(sc.Line); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := ""
	if len(args) > 0 {
		cmd = args[0]
	}
	switch cmd {
	case "run":
		return runOne(ctx, args[1:], stdout, stderr)
	case "load":
		return runLoad(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprintln(stderr, usage)
	return errors.New("want the run or load command")
}

// runOne plays one call with its transcript.
func runOne(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("callsim run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:9092", "call-processor AudioSocket address")
	path := fs.String("scenario", "", "scenario file (YAML)")
	id := fs.String("uuid", "", "call UUID (default: random)")
	quiet := fs.Bool("quiet", false, "print only the verdict")
	apiAddr := fs.String("api", "", "call-processor HTTP address, e.g. http://127.0.0.1:8080, for scenarios that register a caller or check the call record")
	apiToken := fs.String("api-token", os.Getenv("CALLSIM_API_TOKEN"), "bearer token of the call-processor API (default $CALLSIM_API_TOKEN)")
	lineSpec := fs.String("line", "", lineUsage)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *path == "" {
		return errors.New("--scenario is required")
	}
	sc, err := callsim.Load(*path)
	if err != nil {
		return err
	}
	line, err := lineOverride(*lineSpec, sc, *path)
	if err != nil {
		return err
	}
	opt := callsim.Options{Addr: *addr, Out: stdout, API: *apiAddr, APIToken: *apiToken, Line: line}
	if *id != "" {
		if opt.ID, err = uuid.Parse(*id); err != nil {
			return fmt.Errorf("--uuid: %w", err)
		}
	}
	if *quiet {
		opt.Out = io.Discard
	}
	res, err := callsim.Run(ctx, sc, opt)
	if err != nil {
		return err
	}
	if *quiet {
		verdict := "PASS"
		if !res.Passed {
			verdict = "FAIL: " + res.Failure
		}
		fmt.Fprintf(stdout, "%s %s\n", sc.Name, verdict)
	}
	if !res.Passed {
		return errFailed
	}
	return nil
}
