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
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

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
		return healthcheck(ctx, cfg.Addr, stdout)
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
	srv := &http.Server{
		Handler: storemock.NewServer(storemock.Deps{
			Logger:     log,
			Token:      cfg.Token,
			AdminToken: cfg.AdminToken,
			Data:       data,
		}),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	c := data.Counts()
	log.Info("store-api-mock started", "addr", ln.Addr().String(), "data", source,
		"tires", c.Tires, "orders", c.Orders, "stations", c.Stations, "bookings", c.Bookings)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
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
func healthcheck(ctx context.Context, addr string, stdout io.Writer) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("STORE_API_ADDR %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	url := "http://" + net.JoinHostPort(host, port) + "/health"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	var h struct{ Status string }
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &h) != nil || h.Status != "UP" {
		return fmt.Errorf("healthcheck: %s answered %d %s", url, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	fmt.Fprintln(stdout, string(bytes.TrimSpace(body)))
	return nil
}
