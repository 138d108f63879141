// Command callsim plays the part of Asterisk and a caller against
// call-processor: it runs a scripted conversation over AudioSocket and
// checks what the bot said (docs/scenarios.md).
//
// Usage:
//
//	callsim run --addr HOST:PORT --scenario FILE.yaml [--uuid UUID] [--quiet]
//	            [--api http://HOST:PORT --api-token TOKEN]
//
// Exit status: 0 when every expectation held, 1 when one failed (named in
// the output), 2 for bad usage or a call that could not be made.
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
	switch {
	case err == nil:
	case errors.Is(err, errFailed):
		os.Exit(1)
	default:
		fmt.Fprintln(os.Stderr, "callsim:", err)
		os.Exit(2)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "run" {
		fmt.Fprintln(stderr, "usage: callsim run --addr HOST:PORT --scenario FILE.yaml [--uuid UUID] [--quiet] [--api URL --api-token TOKEN]")
		return errors.New("want the run command")
	}
	fs := flag.NewFlagSet("callsim run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:9092", "call-processor AudioSocket address")
	path := fs.String("scenario", "", "scenario file (YAML)")
	id := fs.String("uuid", "", "call UUID (default: random)")
	quiet := fs.Bool("quiet", false, "print only the verdict")
	apiAddr := fs.String("api", "", "call-processor HTTP address, e.g. http://127.0.0.1:8080, for scenarios that check the call record")
	apiToken := fs.String("api-token", os.Getenv("CALLSIM_API_TOKEN"), "bearer token of the call-processor API (default $CALLSIM_API_TOKEN)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *path == "" {
		return errors.New("--scenario is required")
	}
	sc, err := callsim.Load(*path)
	if err != nil {
		return err
	}
	opt := callsim.Options{Addr: *addr, Out: stdout, API: *apiAddr, APIToken: *apiToken}
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
