// Command call-processor answers phone calls that Asterisk streams to it
// over AudioSocket and holds the conversation.
//
// Usage:
//
//	call-processor               run the service (configuration from the environment)
//	call-processor migrate       apply the embedded database migrations (DATABASE_URL)
//	call-processor seed          fill a staging or dev database and store mock with test data
//	call-processor config        print every configuration variable and its default
//	call-processor healthcheck   GET /health of the local instance; exit 0 if UP, else 1
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"sync"
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
	"github.com/tirevoice/assistant/internal/healthcheck"
	"github.com/tirevoice/assistant/internal/httpjson"
	"github.com/tirevoice/assistant/internal/kb"
	"github.com/tirevoice/assistant/internal/limits"
	"github.com/tirevoice/assistant/internal/logging"
	"github.com/tirevoice/assistant/internal/metrics"
	"github.com/tirevoice/assistant/internal/postgres"
	"github.com/tirevoice/assistant/internal/seed"
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
	cmd := ""
	if len(args) > 0 {
		cmd = args[0]
	}
	switch cmd {
	case "config":
		for _, v := range config.Vars() {
			fmt.Fprintf(stdout, "%s=%s\n", v.Name, v.Default)
		}
		return nil
	case "", "healthcheck", "migrate", "seed":
	default:
		return fmt.Errorf("unknown command %q (want none, migrate, seed, healthcheck or config)", cmd)
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	switch cmd {
	case "migrate":
		if cfg.Database.URL == "" {
			return errors.New("migrate: DATABASE_URL is not set")
		}
		version, err := migrate(ctx, cfg.Database.URL, cfg.Environment)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		fmt.Fprintf(stdout, "database schema at version %d\n", version)
		return nil
	case "seed":
		return runSeed(ctx, cfg, stdout)
	case "healthcheck":
		if err := healthcheck.Run(ctx, cfg.HTTPAddr, stdout); err != nil {
			return fmt.Errorf("HTTP_ADDR: %w", err)
		}
		return nil
	}
	log := logging.New(stdout, cfg.LogLevel)
	return serve(ctx, cfg, log)
}

func serve(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	openFiles, err := raiseOpenFileLimit()
	if err != nil {
		log.Warn("open-file limit not raised", "open_files_limit", openFiles, "err", err)
	}
	// Connections waiting for their UUID may reach four times their budget
	// in a flood faster than their grace period (audiosocket.Server).
	if need := uint64(cfg.AudioSocket.MaxConns + 4*cfg.AudioSocket.MaxHandshakes + cfg.HTTP.MaxConns + fdReserve); openFiles < need {
		log.Warn("open-file limit below what AUDIOSOCKET_MAX_CONNS, AUDIOSOCKET_MAX_HANDSHAKES and HTTP_MAX_CONNS need: raise the hard limit (ulimit -Hn, docker --ulimit nofile)",
			"open_files_limit", openFiles, "need", need)
	}
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)

	shop, err := store.New(store.Config{BaseURL: cfg.Store.URL, Token: cfg.Store.Token, Timeout: cfg.Store.Timeout})
	if err != nil {
		return fmt.Errorf("STORE_API_URL: %w", err)
	}
	b, err := openBackends(ctx, cfg, log, m)
	if err != nil {
		return err
	}
	defer b.shutdown(context.Background())
	registry, err := tools.NewRegistry(append(shoptools.Tools(shop, time.Now, shoptools.CountProofs(m.OrderProofFailures.Inc, m.OrderProofLockouts.Inc)), kb.Tool(b.searcher))...)
	if err != nil {
		return err
	}
	transcriber, synthesizer, responder, closeProviders, err := providers(ctx, cfg, registry, b.limiter, log)
	if err != nil {
		return err
	}
	defer closeProviders()
	rule, err := cfg.Routing.Rule()
	if err != nil {
		return fmt.Errorf("OPERATOR_QUEUES: %w", err) // validated by config.Load; kept for a hand-made Config
	}
	svc, err := call.NewService(ctx, call.Deps{
		Config:      cfg.Call,
		Transcriber: transcriber,
		Synthesizer: synthesizer,
		Responder:   responder,
		Metrics:     m,
		Logger:      log,
		Recorder:    b.record,
		Checkpoint:  b.checkpoint,
		Live:        b.live,
		Routing:     rule,
		Instance:    instanceName(cfg),
		Environment: cfg.Environment,
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

	up := func(context.Context) error { return nil }
	checks := append(b.checks,
		api.Check{Name: "store_api", Required: cfg.Requires("store_api"), Probe: shop.Ping},
		api.Check{Name: "stt:" + transcriber.Name(), Required: cfg.Requires("stt"), Probe: up},
		api.Check{Name: "tts:" + synthesizer.Name(), Required: cfg.Requires("tts"), Probe: up},
		api.Check{Name: "responder:" + responder.Name(), Required: cfg.Requires("responder"), Probe: up},
	)
	for i, c := range checks {
		checks[i].Probe = watched(c, m)
	}
	for _, reason := range []string{"conn_limit", "handler_panic"} { // alerted on at their first occurrence
		m.ProtocolErrors.WithLabelValues(reason)
	}
	var draining atomic.Bool
	httpLimits := httpjson.Limits{
		ReadHeaderTimeout: cfg.HTTP.ReadHeaderTimeout,
		ReadTimeout:       cfg.HTTP.ReadTimeout,
		WriteTimeout:      cfg.HTTP.WriteTimeout,
		IdleTimeout:       cfg.HTTP.IdleTimeout,
		MaxHeaderBytes:    cfg.HTTP.MaxHeaderBytes,
		MaxConns:          cfg.HTTP.MaxConns,
	}
	httpSrv := httpLimits.Server(
		api.NewServer(api.Deps{
			Logger:       log,
			Gatherer:     reg,
			Draining:     &draining,
			Calls:        b.calls,
			KB:           b.kb,
			Operators:    b.operators,
			Live:         b.live,
			DialplanNets: cfg.Readiness.DialplanNets,
			APIToken:     cfg.APIToken,
			Checks:       checks,
		}),
		slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	)
	asSrv := &audiosocket.Server{
		Handler:                svc,
		MaxConns:               cfg.AudioSocket.MaxConns,
		MaxHandshakes:          cfg.AudioSocket.MaxHandshakes,
		MaxHandshakesPerSource: cfg.AudioSocket.MaxHandshakesPerSource,
		UUIDTimeout:            cfg.AudioSocket.UUIDTimeout,
		DeadPeerTimeout:        cfg.AudioSocket.DeadPeerTimeout,
		WriteTimeout:           cfg.AudioSocket.WriteTimeout,
		MaxAudioBurst:          cfg.AudioSocket.MaxAudioBurst,
		AllowedNets:            cfg.AudioSocket.AllowedNets,
		Logger:                 log,
		Observer:               socketObserver{m},
	}

	log.Info("call-processor started",
		"environment", cfg.Environment,
		"instance", instanceName(cfg),
		"audiosocket_addr", asLn.Addr().String(),
		"http_addr", httpLn.Addr().String(),
		"stt", transcriber.Name(), "tts", synthesizer.Name(), "responder", responder.Name(),
		"store_api", cfg.Store.URL,
		"storage", b.storage,
		"live_state", b.state,
		"open_files_limit", openFiles,
	)

	// Background work (the record spool, retention, dependency checks)
	// stops after the calls have drained, so that their records still go
	// through it.
	bgCtx, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	var bg sync.WaitGroup
	for _, f := range b.run {
		bg.Go(func() { f(bgCtx) })
	}
	bg.Go(func() { checkDependencies(bgCtx, checks, dependencyInterval) })

	httpErr := make(chan error, 1)
	go func() { httpErr <- httpSrv.Serve(httpLimits.Listener(httpLn)) }()
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
	stopBackground()
	bg.Wait()
	b.shutdown(context.Background()) // writes what the spool still holds
	httpCtx, cancelHTTP := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancelHTTP()
	if err := httpSrv.Shutdown(httpCtx); err != nil {
		log.Warn("http shutdown", "err", err)
	}
	log.Info("call-processor stopped")
	return runErr
}

// fdReserve is the file descriptors the process needs beside its
// AudioSocket and HTTP connections: the listeners, the database and Redis
// pools, the spool's files, the providers' and the Store API's connections.
const fdReserve = 128

// raiseOpenFileLimit raises the soft limit on open files to the hard limit
// and returns the limit in force. Every call and every HTTP connection
// holds a descriptor, and the usual soft default, 1,024, is below
// AUDIOSOCKET_MAX_CONNS + HTTP_MAX_CONNS: past it, accepting a call fails.
// Go's os package already raises it at start-up on Linux; doing it here
// does not depend on that, and gives the start-up log its figure.
func raiseOpenFileLimit() (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, fmt.Errorf("getrlimit: %w", err)
	}
	if lim.Cur < lim.Max {
		raised := syscall.Rlimit{Cur: lim.Max, Max: lim.Max}
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised); err != nil {
			return lim.Cur, fmt.Errorf("setrlimit: %w", err)
		}
		lim = raised
	}
	return lim.Cur, nil
}

// runSeed is `call-processor seed`.
func runSeed(ctx context.Context, cfg config.Config, stdout io.Writer) error {
	if cfg.Database.URL == "" {
		return errors.New("seed: DATABASE_URL is not set")
	}
	db, err := postgres.Open(ctx, cfg.Database.URL)
	if err != nil {
		return fmt.Errorf("seed: DATABASE_URL: %w", err)
	}
	defer db.Close()
	r, err := seed.Run(ctx, seed.Config{DB: db, StoreURL: cfg.Store.URL, StoreAdminToken: cfg.Store.AdminToken})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "seeded the %s database: %d knowledge-base articles, %d operators, %d past calls\n",
		r.Environment, r.Articles, r.Operators, r.Calls)
	fmt.Fprintf(stdout, "seeded the store mock at %s: %s\n", cfg.Store.URL, r.StoreData)
	return nil
}

// dependencyInterval is how often the dependencies are probed for
// callproc_dependency_up, between readiness requests.
const dependencyInterval = 15 * time.Second

// watched wraps a readiness probe so that every answer sets
// callproc_dependency_up for the dependency.
func watched(c api.Check, m *metrics.Metrics) func(context.Context) error {
	gauge := m.DependencyUp.WithLabelValues(c.Name)
	probe := c.Probe
	return func(ctx context.Context) error {
		err := probe(ctx)
		if err != nil {
			gauge.Set(0)
		} else {
			gauge.Set(1)
		}
		return err
	}
}

// checkDependencies probes every dependency now and then every interval,
// until ctx ends, so that the dependency gauges stay current.
func checkDependencies(ctx context.Context, checks []api.Check, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		var wg sync.WaitGroup
		for _, c := range checks {
			wg.Go(func() {
				pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
				defer cancel()
				_ = c.Probe(pctx)
			})
		}
		wg.Wait()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// providers builds the speech and dialog back-ends chosen by
// configuration. close releases them.
func providers(ctx context.Context, cfg config.Config, reg *tools.Registry, lim limits.Limiter, log *slog.Logger) (t stt.Transcriber, s tts.Synthesizer, r dialog.Responder, close func(), err error) {
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
	return t, tts.Pronounce(s, tts.RussianLexicon()), r, close, nil // every reply, the rule engine's and the model's, read with the shop's lexicon
}

// socketObserver counts AudioSocket connections and protocol errors.
type socketObserver struct{ m *metrics.Metrics }

func (o socketObserver) ConnOpened() { o.m.Connections.Inc() }
func (o socketObserver) ConnClosed() {}
func (o socketObserver) ProtocolError(reason string) {
	o.m.ProtocolErrors.WithLabelValues(reason).Inc()
}
