// Command store-api-mock serves a stand-in for the tire shop's Store API
// (api/store-openapi.yaml) over in-memory data seeded from fixtures, for
// development, staging and tests.
//
// Usage:
//
//	store-api-mock               serve (configuration from the environment)
//	store-api-mock healthcheck   GET /health of the local instance; exit 0 if UP, else 1
//	store-api-mock config        print every configuration variable and its default
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tirevoice/assistant/internal/healthcheck"
	"github.com/tirevoice/assistant/internal/logging"
	"github.com/tirevoice/assistant/internal/storemock"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "store-api-mock:", err)
		os.Exit(1)
	}
}

// run is the whole program; main only supplies the process's context,
// arguments, environment and output streams.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := ""
	if len(args) > 0 {
		cmd = args[0]
	}
	switch cmd {
	case "config":
		for _, v := range vars {
			fmt.Fprintf(stdout, "%s=%s\t# %s\n", v.name, v.def, v.meaning)
		}
		return nil
	case "", "serve", "healthcheck":
	default:
		return fmt.Errorf("unknown command %q (want none, healthcheck or config)", cmd)
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	if cmd == "healthcheck" {
		if err := healthcheck.Run(ctx, cfg.Addr, stdout); err != nil {
			return fmt.Errorf("STORE_API_ADDR: %w", err)
		}
		return nil
	}
	return serve(ctx, cfg, logging.New(stdout, cfg.LogLevel))
}

func serve(ctx context.Context, cfg config, log *slog.Logger) error {
	data, source, err := loadData(cfg.Fixtures)
	if err != nil {
		return err
	}
	if cfg.TokenIsDefault || cfg.AdminTokenIsDefault {
		log.Warn("using a development default token; set STORE_API_TOKEN and STORE_API_ADMIN_TOKEN outside development")
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("STORE_API_ADDR: %w", err)
	}
	srv := cfg.HTTP.Server(
		storemock.NewServer(storemock.Deps{
			Logger:     log,
			Token:      cfg.Token,
			AdminToken: cfg.AdminToken,
			Data:       data,
		}),
		slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	)
	c := data.Counts()
	log.Info("store-api-mock started", "addr", ln.Addr().String(), "data", source,
		"tires", c.Tires, "orders", c.Orders, "stations", c.Stations, "bookings", c.Bookings)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(cfg.HTTP.Listener(ln)) }()
	select {
	case <-ctx.Done():
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		log.Warn("shutdown", "err", err)
	}
	<-errc // http.ErrServerClosed
	log.Info("store-api-mock stopped")
	return nil
}

// loadData reads STORE_API_FIXTURES, or the embedded fixtures when it is
// empty, and says which it used.
func loadData(path string) (storemock.Dataset, string, error) {
	if path == "" {
		d, err := storemock.Fixtures()
		return d, "embedded", err
	}
	f, err := os.Open(path)
	if err != nil {
		return storemock.Dataset{}, "", fmt.Errorf("STORE_API_FIXTURES: %w", err)
	}
	defer f.Close()
	d, err := storemock.ParseDataset(f)
	if err != nil {
		return storemock.Dataset{}, "", fmt.Errorf("STORE_API_FIXTURES %s: %w", path, err)
	}
	return d, path, nil
}

// healthcheck asks the instance configured by STORE_API_ADDR on this host
// whether it is up, so that a container needs no curl.
