// Command call-processor answers phone calls that Asterisk streams to it
// over AudioSocket and holds the conversation.
//
// Usage:
//
//	call-processor          run the service (configuration from the environment)
//	call-processor config   print every configuration variable and its default
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tirevoice/assistant/internal/api"
	"github.com/tirevoice/assistant/internal/audiosocket"
	"github.com/tirevoice/assistant/internal/call"
	"github.com/tirevoice/assistant/internal/config"
	"github.com/tirevoice/assistant/internal/dialog"
	"github.com/tirevoice/assistant/internal/dialog/claude"
	"github.com/tirevoice/assistant/internal/dialog/echo"
	"github.com/tirevoice/assistant/internal/dialog/rules"
	"github.com/tirevoice/assistant/internal/kb"
	"github.com/tirevoice/assistant/internal/limits"
	"github.com/tirevoice/assistant/internal/logging"
	"github.com/tirevoice/assistant/internal/memstore"
	"github.com/tirevoice/assistant/internal/metrics"
	"github.com/tirevoice/assistant/internal/store"
	"github.com/tirevoice/assistant/internal/stt"
	googlestt "github.com/tirevoice/assistant/internal/stt/google"
	sttmock "github.com/tirevoice/assistant/internal/stt/mock"
	"github.com/tirevoice/assistant/internal/tools"
	shoptools "github.com/tirevoice/assistant/internal/tools/shop"
	"github.com/tirevoice/assistant/internal/tts"
	googletts "github.com/tirevoice/assistant/internal/tts/google"
	ttsmock "github.com/tirevoice/assistant/internal/tts/mock"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "call-processor:", err)
		os.Exit(1)
	}
}

// run is the whole program; main only supplies the process's context,
// arguments, environment and output streams.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "config":
			for _, v := range config.Vars() {
				fmt.Fprintf(stdout, "%s=%s\n", v.Name, v.Default)
			}
			return nil
		default:
			return fmt.Errorf("unknown command %q (want no command, or config)", args[0])
		}
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	log := logging.New(stdout, cfg.LogLevel)
	return serve(ctx, cfg, log)
}

func serve(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)

	shop, err := store.New(store.Config{BaseURL: cfg.Store.URL, Token: cfg.Store.Token, Timeout: cfg.Store.Timeout})
	if err != nil {
		return fmt.Errorf("STORE_API_URL: %w", err)
	}
	articles, err := kb.Load()
	if err != nil {
		return err
	}
	registry, err := tools.NewRegistry(append(shoptools.Tools(shop, time.Now), kb.Tool(kb.NewMemory(articles)))...)
	if err != nil {
		return err
	}
	transcriber, synthesizer, responder, closeProviders, err := providers(ctx, cfg, registry, log)
	if err != nil {
		return err
	}
	defer closeProviders()
	calls := memstore.NewCalls(recentCalls)
	svc, err := call.NewService(ctx, call.Deps{
		Config:      cfg.Call,
		Transcriber: transcriber,
		Synthesizer: synthesizer,
		Responder:   responder,
		Metrics:     m,
		Logger:      log,
		Recorder: func(ctx context.Context, rec *call.Record) {
			if err := calls.SaveCall(ctx, rec); err != nil {
				log.Error("call record not saved", "call_id", rec.ID, "err", err)
			}
		},
	})
	if err != nil {
		return err
	}

	asLn, err := net.Listen("tcp", cfg.AudioSocket.Addr)
	if err != nil {
		return fmt.Errorf("AUDIOSOCKET_ADDR: %w", err)
	}
	httpLn, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		asLn.Close()
		return fmt.Errorf("HTTP_ADDR: %w", err)
	}

	var draining atomic.Bool
	httpSrv := &http.Server{
		Handler: api.NewServer(api.Deps{
			Logger:   log,
			Gatherer: reg,
			Draining: &draining,
			Calls:    calls,
			APIToken: cfg.APIToken,
			Checks: []api.Check{
				{Name: "store_api", Required: false, Probe: shop.Ping},
				{Name: "stt:" + transcriber.Name(), Required: true, Probe: func(context.Context) error { return nil }},
				{Name: "tts:" + synthesizer.Name(), Required: true, Probe: func(context.Context) error { return nil }},
				{Name: "responder:" + responder.Name(), Required: true, Probe: func(context.Context) error { return nil }},
			},
		}),
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	asSrv := &audiosocket.Server{
		Handler:      svc,
		MaxConns:     cfg.AudioSocket.MaxConns,
		UUIDTimeout:  cfg.AudioSocket.UUIDTimeout,
		IdleTimeout:  cfg.AudioSocket.IdleTimeout,
		WriteTimeout: cfg.AudioSocket.WriteTimeout,
		AllowedNets:  cfg.AudioSocket.AllowedNets,
		Logger:       log,
		Observer:     socketObserver{m},
	}

	log.Info("call-processor started",
		"environment", cfg.Environment,
		"audiosocket_addr", asLn.Addr().String(),
		"http_addr", httpLn.Addr().String(),
		"stt", transcriber.Name(), "tts", synthesizer.Name(), "responder", responder.Name(),
		"store_api", cfg.Store.URL,
		"storage", fmt.Sprintf("in memory: the last %d calls (no database configured)", recentCalls),
	)

	httpErr := make(chan error, 1)
	go func() { httpErr <- httpSrv.Serve(httpLn) }()
	// Serve gets a context that outlives ctx: SIGTERM starts a drain, not
	// an abrupt stop.
	asErr := make(chan error, 1)
	go func() { asErr <- asSrv.Serve(context.WithoutCancel(ctx), asLn) }()

	var runErr error
	select {
	case <-ctx.Done():
	case err := <-asErr:
		runErr = fmt.Errorf("audiosocket server: %w", err)
	case err := <-httpErr:
		runErr = fmt.Errorf("http server: %w", err)
	}

	// Drain: readiness answers 429, no new calls, active calls may finish
	// within DRAIN_TIMEOUT, then they are ended politely.
	draining.Store(true)
	m.Draining.Set(1)
	log.Info("draining", "active_calls", asSrv.Active(), "drain_timeout", cfg.DrainTimeout.String())
	drainCtx, cancel := context.WithTimeout(context.Background(), cfg.DrainTimeout)
	defer cancel()
	if err := asSrv.Shutdown(drainCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		log.Warn("audiosocket shutdown", "err", err)
	}
	httpCtx, cancelHTTP := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancelHTTP()
	if err := httpSrv.Shutdown(httpCtx); err != nil {
		log.Warn("http shutdown", "err", err)
	}
	log.Info("call-processor stopped")
	return runErr
}

// recentCalls is how many finished calls the in-memory store keeps.
const recentCalls = 1000

// providers builds the speech and dialog back-ends chosen by
// configuration. close releases them.
func providers(ctx context.Context, cfg config.Config, reg *tools.Registry, log *slog.Logger) (t stt.Transcriber, s tts.Synthesizer, r dialog.Responder, close func(), err error) {
	var closers []func()
	close = func() {
		for _, c := range closers {
			c()
		}
	}
	defer func() {
		if err != nil {
			close()
		}
	}()
	g := cfg.Google
	switch cfg.Providers.STT {
	case "mock":
		t = sttmock.Transcriber{}
	case "google":
		gt, err := googlestt.New(ctx, googlestt.Config{
			Language: g.STTLanguage, Model: g.STTModel, Endpoint: g.STTEndpoint, StreamLimit: g.STTStreamLimit,
			Timeout: g.STTTimeout, MinConfidence: float32(g.STTMinConfidence), Insecure: g.Insecure,
		})
		if err != nil {
			return nil, nil, nil, nil, fmt.Errorf("STT_PROVIDER=google: %w", err)
		}
		closers = append(closers, func() { gt.Close() })
		t = gt
	}
	switch cfg.Providers.TTS {
	case "mock":
		s = ttsmock.New()
	case "google":
		gs, err := googletts.New(ctx, googletts.Config{
			Language: g.TTSLanguage, Voice: g.TTSVoice, SpeakingRate: g.TTSSpeakingRate, Endpoint: g.TTSEndpoint,
			Timeout: g.TTSTimeout, Insecure: g.Insecure,
		})
		if err != nil {
			return nil, nil, nil, nil, fmt.Errorf("TTS_PROVIDER=google: %w", err)
		}
		closers = append(closers, func() { gs.Close() })
		s = gs
	}
	ruleEngine := rules.New(reg, time.Now)
	switch cfg.Providers.Responder {
	case "rules":
		r = ruleEngine
	case "echo":
		r = echo.Responder{}
	case "claude":
		c := cfg.Claude
		lim := limits.NewLocal(limits.Config{RequestsPerMinute: c.RequestsPerMinute, TokensPerDay: c.TokensPerDay}, time.Now)
		cr, err := claude.New(claude.Config{
			APIKey: c.APIKey, Model: c.Model, MaxTokens: c.MaxTokens, TurnTimeout: c.TurnTimeout,
			BaseURL: c.BaseURL, MaxToolRounds: c.MaxToolRounds,
		}, reg, ruleEngine, lim, log)
		if err != nil {
			return nil, nil, nil, nil, fmt.Errorf("RESPONDER=claude: %w", err)
		}
		closers = append(closers, func() { cr.Close() })
		r = cr
	}
	if t == nil || s == nil || r == nil {
		return nil, nil, nil, nil, fmt.Errorf("providers: unknown choice in %+v", cfg.Providers)
	}
	return t, s, r, close, nil
}

// socketObserver counts AudioSocket connections and protocol errors.
type socketObserver struct{ m *metrics.Metrics }

func (o socketObserver) ConnOpened() { o.m.Connections.Inc() }
func (o socketObserver) ConnClosed() {}
func (o socketObserver) ProtocolError(reason string) {
	o.m.ProtocolErrors.WithLabelValues(reason).Inc()
}
