// Package config loads the call-processor's settings from the environment.
//
// Every setting is one field of Config with an `env` tag naming its variable
// and a `default` tag holding its default; docs/configuration.md documents
// each variable once, and a test keeps the two in step. A bad value stops
// start-up with an error that names the variable.
package config

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tirevoice/assistant/internal/routing"
)

// Config is the whole configuration of call-processor.
type Config struct {
	Environment string `env:"ENVIRONMENT" default:"dev"` // production, staging, dev or test
	LogLevel    string `env:"LOG_LEVEL" default:"info"`  // debug, info, warn or error

	HTTPAddr     string        `env:"HTTP_ADDR" default:":8080"`   // health, readiness and metrics listener
	DrainTimeout time.Duration `env:"DRAIN_TIMEOUT" default:"30s"` // after SIGTERM, how long active calls may go on

	APIToken string `env:"API_TOKEN" default:"" secret:"true"` // bearer token of the HTTP API; empty disables the token-protected endpoints; production: at least 32 characters

	HTTP        HTTP
	AudioSocket AudioSocket
	Call        Call
	Providers   Providers
	Google      Google
	Claude      Claude
	Store       Store
	Database    Database
	Redis       Redis
	Readiness   Readiness
	Routing     Routing
}

// Routing chooses the operators queue a handed-over call goes to, by its
// topic (internal/routing; docs/deployment.md, "How the dialplan chooses
// the operator"). The names are Asterisk queues (queues.conf).
type Routing struct {
	DefaultQueue string `env:"OPERATOR_QUEUE_DEFAULT" default:"operators"` // the queue of a topic OPERATOR_QUEUES does not name
	Queues       string `env:"OPERATOR_QUEUES" default:""`                 // comma-separated topic=queue (topics: general, tires, orders, fitting, complaints); empty: all to the default
}

// Rule is the routing rule these settings describe; validate has checked them.
func (r Routing) Rule() (routing.Rule, error) { return routing.NewRule(r.DefaultQueue, r.Queues) }

// HTTP bounds what clients can hold of the HTTP server (HTTP_ADDR): its
// API is reachable from the internal network, the dialplan's endpoints and
// health without a token, so a slow or idle client must not keep a
// connection, a goroutine and a file descriptor for long, nor many of them.
type HTTP struct {
	ReadHeaderTimeout time.Duration `env:"HTTP_READ_HEADER_TIMEOUT" default:"5s"` // request line and headers, from the connection's first byte
	ReadTimeout       time.Duration `env:"HTTP_READ_TIMEOUT" default:"10s"`       // the whole request, body included: a trickled body is cut here
	WriteTimeout      time.Duration `env:"HTTP_WRITE_TIMEOUT" default:"30s"`      // from the end of the request headers to the end of the answer
	IdleTimeout       time.Duration `env:"HTTP_IDLE_TIMEOUT" default:"30s"`       // a keep-alive connection waiting for its next request is closed after this
	MaxHeaderBytes    int           `env:"HTTP_MAX_HEADER_BYTES" default:"16384"` // request line and headers; more is 431
	MaxConns          int           `env:"HTTP_MAX_CONNS" default:"512"`          // connections served at once; more wait in the kernel's accept queue
}

// Database configures PostgreSQL, where call records, the knowledge base and
// the operators live. Without a URL the processor keeps them in memory.
type Database struct {
	URL             string        `env:"DATABASE_URL" default:"" secret:"true"`      // postgres://user:password@host:5432/db?sslmode=...; empty keeps everything in memory
	MigrateOnStart  bool          `env:"DATABASE_MIGRATE_ON_START" default:"false"`  // apply the embedded migrations at start-up (else: call-processor migrate)
	CallTimeout     time.Duration `env:"DATABASE_CALL_TIMEOUT" default:"300ms"`      // deadline of a query on a call's path (the knowledge-base search); then the shipped articles answer
	SpoolDir        string        `env:"RECORD_SPOOL_DIR" default:"data/spool"`      // call records wait here while the database is unreachable
	SpoolMaxRecords int           `env:"RECORD_SPOOL_MAX_RECORDS" default:"10000"`   // spool bound; past it a finished call's record is lost and counted
	SpoolMaxBytes   int           `env:"RECORD_SPOOL_MAX_BYTES" default:"268435456"` // spool bound in bytes (256 MiB)
	SpoolRetryMax   time.Duration `env:"RECORD_SPOOL_RETRY_MAX" default:"30s"`
	SpoolFlush      time.Duration `env:"RECORD_SPOOL_FLUSH_TIMEOUT" default:"10s"`
	Retention       time.Duration `env:"CALL_RETENTION" default:"2160h"`       // calls older than this are deleted (personal data); 0 keeps them
	RetentionEvery  time.Duration `env:"CALL_RETENTION_INTERVAL" default:"1h"` // how often the retention job runs
}

// Redis configures the live state shared by processor instances and the
// LLM limits. Without a URL each instance keeps them in memory.
type Redis struct {
	URL         string        `env:"REDIS_URL" default:"" secret:"true"` // redis://[:password@]host:6379/0; empty keeps live state and limits per process
	Prefix      string        `env:"REDIS_PREFIX" default:"tirevoice:"`  // key prefix, so that environments can share a server
	Instance    string        `env:"INSTANCE_ID" default:""`             // this instance's name in the live state, unique among running instances; empty: the host name
	CallTimeout time.Duration `env:"REDIS_CALL_TIMEOUT" default:"200ms"` // deadline of every Redis command (live state, LLM limits); then this instance's own memory answers
}

// Readiness says which dependencies /health/ready requires.
type Readiness struct {
	Required     []string       `env:"READY_REQUIRED" default:"stt,tts,responder"`      // comma-separated: database, redis, store_api, stt, tts, responder; the others are reported only
	DialplanNets []netip.Prefix `env:"DIALPLAN_ALLOWED_NETS" default:"127.0.0.0/8,::1"` // who may call the dialplan endpoints (register a call, what next)
}

// AudioSocket configures the listener Asterisk connects to.
type AudioSocket struct {
	Addr                   string         `env:"AUDIOSOCKET_ADDR" default:":9092"`                   // TCP listen address
	MaxConns               int            `env:"AUDIOSOCKET_MAX_CONNS" default:"1000"`               // concurrent calls (past the UUID frame); more are refused
	MaxHandshakes          int            `env:"AUDIOSOCKET_MAX_HANDSHAKES" default:"64"`            // connections waiting for their UUID frame, apart from calls; past it the oldest is closed
	MaxHandshakesPerSource int            `env:"AUDIOSOCKET_MAX_HANDSHAKES_PER_SOURCE" default:"16"` // of those, from one remote address; past it that address's oldest is closed
	UUIDTimeout            time.Duration  `env:"AUDIOSOCKET_UUID_TIMEOUT" default:"2s"`              // deadline for the first (UUID) frame
	DeadPeerTimeout        time.Duration  `env:"AUDIOSOCKET_DEAD_PEER_TIMEOUT" default:"5m"`         // nothing at all from Asterisk for this long ends the call; missing caller frames are silence until then
	WriteTimeout           time.Duration  `env:"AUDIOSOCKET_WRITE_TIMEOUT" default:"1s"`             // a peer that stops reading for this long ends the call
	MaxAudioBurst          time.Duration  `env:"AUDIOSOCKET_MAX_AUDIO_BURST" default:"2s"`           // how far a call's audio may run ahead of real time (a stall's bunch); past it the call ends as too fast
	AllowedNets            []netip.Prefix `env:"AUDIOSOCKET_ALLOWED_NETS" default:""`                // comma-separated CIDRs of the Asterisk hosts; empty allows all
}

// Call holds the per-call behaviour (DESIGN.md, "Per-call behaviour").
type Call struct {
	Greeting        string        `env:"CALL_GREETING" default:"Здравствуйте! Шинный центр, голосовой помощник. Чем могу помочь?"`
	GreetingBudget  time.Duration `env:"CALL_GREETING_BUDGET" default:"300ms"`  // first bot audio after the UUID frame; later is logged and counted
	SpeechStart     time.Duration `env:"CALL_SPEECH_START" default:"100ms"`     // caller speech that opens a turn
	EndpointSilence time.Duration `env:"CALL_ENDPOINT_SILENCE" default:"500ms"` // silence after speech that ends the caller's turn
	MaxUtterance    time.Duration `env:"CALL_MAX_UTTERANCE" default:"30s"`      // a caller turn longer than this is cut and answered
	BargeIn         bool          `env:"CALL_BARGE_IN" default:"true"`          // caller speech may interrupt the bot
	BargeInSpeech   time.Duration `env:"CALL_BARGE_IN_SPEECH" default:"200ms"`  // caller speech over the bot that interrupts it
	EchoTail        time.Duration `env:"CALL_ECHO_TAIL" default:"300ms"`        // after the bot stops, the line may still carry its echo this long
	EchoCancel      bool          `env:"CALL_ECHO_CANCEL" default:"true"`       // remove the bot's echo from the caller's audio before detection and recognition
	EchoMaxDelay    time.Duration `env:"CALL_ECHO_MAX_DELAY" default:"250ms"`   // the longest echo delay of the line (beyond the playout lead) the canceller looks for
	NoInputTimeout  time.Duration `env:"CALL_NO_INPUT_TIMEOUT" default:"8s"`    // silence after the bot's turn before a re-prompt
	NoInputPrompts  int           `env:"CALL_NO_INPUT_REPROMPTS" default:"1"`   // re-prompts before a polite hang-up
	MaxDuration     time.Duration `env:"CALL_MAX_DURATION" default:"10m"`       // then a polite goodbye
	TurnTimeout     time.Duration `env:"CALL_TURN_TIMEOUT" default:"6s"`        // the bot's whole answer (transcript, reply, first audio) must start within this
	PlayoutLead     int           `env:"CALL_PLAYOUT_LEAD_FRAMES" default:"2"`  // 20 ms frames sent ahead of real time
	FirstAudioWait  time.Duration `env:"CALL_FIRST_AUDIO_WAIT" default:"200ms"` // wait for the caller's first frame to learn its rate
}

// Providers chooses the speech and dialog back-ends.
type Providers struct {
	STT       string `env:"STT_PROVIDER" default:"mock"` // mock (offline speech codec) or google
	TTS       string `env:"TTS_PROVIDER" default:"mock"` // mock (offline speech codec) or google
	Responder string `env:"RESPONDER" default:"rules"`   // rules (offline dialog engine), claude, or echo (repeats the caller)
}

// Google configures Google Cloud Speech-to-Text and Text-to-Speech.
// Credentials come the standard way (GOOGLE_APPLICATION_CREDENTIALS).
type Google struct {
	STTLanguage      string        `env:"GOOGLE_STT_LANGUAGE" default:"ru-RU"`
	STTModel         string        `env:"GOOGLE_STT_MODEL" default:"phone_call"`
	STTEndpoint      string        `env:"GOOGLE_STT_ENDPOINT" default:""`          // host:port; empty for Google's
	STTTimeout       time.Duration `env:"GOOGLE_STT_TIMEOUT" default:"3s"`         // end of speech to the final transcript
	STTStreamLimit   time.Duration `env:"GOOGLE_STT_STREAM_LIMIT" default:"290s"`  // a stream is renewed before Google's ~305 s limit
	STTMinConfidence float64       `env:"GOOGLE_STT_MIN_CONFIDENCE" default:"0.3"` // finals below count as not understood
	TTSLanguage      string        `env:"GOOGLE_TTS_LANGUAGE" default:"ru-RU"`
	TTSVoice         string        `env:"GOOGLE_TTS_VOICE" default:"ru-RU-Wavenet-D"`
	TTSSpeakingRate  float64       `env:"GOOGLE_TTS_SPEAKING_RATE" default:"1.0"`    // 0.25..4
	TTSEndpoint      string        `env:"GOOGLE_TTS_ENDPOINT" default:""`            // host:port; empty for Google's
	TTSTimeout       time.Duration `env:"GOOGLE_TTS_TIMEOUT" default:"5s"`           // per request
	Insecure         bool          `env:"GOOGLE_ENDPOINTS_INSECURE" default:"false"` // plaintext gRPC to local fakes and emulators; refused in production
}

// Claude configures the Anthropic language model and its limits.
type Claude struct {
	APIKey            string        `env:"ANTHROPIC_API_KEY" default:"" secret:"true"`
	Model             string        `env:"CLAUDE_MODEL" default:"claude-sonnet-5-5"`
	MaxTokens         int           `env:"CLAUDE_MAX_TOKENS" default:"300"`     // per model request
	TurnTimeout       time.Duration `env:"CLAUDE_TURN_TIMEOUT" default:"4s"`    // the model part of a turn, tools included; then the rule engine answers
	MaxToolRounds     int           `env:"CLAUDE_MAX_TOOL_ROUNDS" default:"4"`  // tool rounds per turn
	BaseURL           string        `env:"CLAUDE_BASE_URL" default:""`          // empty for Anthropic's
	RequestsPerMinute int           `env:"LLM_REQUESTS_PER_MINUTE" default:"0"` // 0 = unlimited
	TokensPerDay      int           `env:"LLM_TOKENS_PER_DAY" default:"0"`      // 0 = unlimited
}

// Store is the shop's Store API.
type Store struct {
	URL     string        `env:"STORE_API_URL" default:"http://127.0.0.1:8081"`           // base URL
	Token   string        `env:"STORE_API_TOKEN" default:"dev-store-token" secret:"true"` // bearer token; the default is the dev mock's
	Timeout time.Duration `env:"STORE_API_TIMEOUT" default:"2s"`                          // per request attempt
	// AdminToken is the store mock's admin token, used only by
	// `call-processor seed` (staging and dev) to load its data.
	AdminToken string `env:"STORE_API_ADMIN_TOKEN" default:"dev-store-admin-token" secret:"true"`
}

// Load reads the configuration through getenv (os.Getenv in production). An
// unset or empty variable takes its default.
func Load(getenv func(string) string) (Config, error) {
	var c Config
	var errs []error
	walk(reflect.ValueOf(&c).Elem(), func(f reflect.StructField, v reflect.Value) {
		name := f.Tag.Get("env")
		raw, ok := strings.TrimSpace(getenv(name)), true
		if f.Tag.Get("secret") == "true" && raw == "" {
			// NAME_FILE names a file holding the secret (Docker secrets).
			if path := strings.TrimSpace(getenv(name + "_FILE")); path != "" {
				b, err := os.ReadFile(path)
				if err != nil {
					errs = append(errs, fmt.Errorf("%s_FILE: %w", name, err))
					return
				}
				raw = strings.TrimSpace(string(b))
			}
		}
		if raw == "" {
			raw, ok = f.Tag.Get("default"), false
		}
		if err := set(v, raw); err != nil {
			src := "value"
			if !ok {
				src = "default"
			}
			errs = append(errs, fmt.Errorf("%s: bad %s %q: %w", name, src, raw, err))
		}
	})
	// A retired variable fails loudly: left set, it would read as a promise
	// that silent callers are cut off after it, or hide a stale deployment.
	if strings.TrimSpace(getenv("AUDIOSOCKET_IDLE_TIMEOUT")) != "" {
		errs = append(errs, errors.New("AUDIOSOCKET_IDLE_TIMEOUT: no longer used: a caller may send no frames for seconds (silence suppression, a hold); set AUDIOSOCKET_DEAD_PEER_TIMEOUT instead"))
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, err
	}
	return c, c.validate()
}

// Var is one documented variable.
type Var struct {
	Name, Default string
	Secret        bool // may also come from the file named by Name_FILE
}

// Vars lists every variable Load reads, in declaration order.
func Vars() []Var {
	var vars []Var
	walk(reflect.ValueOf(&Config{}).Elem(), func(f reflect.StructField, _ reflect.Value) {
		vars = append(vars, Var{Name: f.Tag.Get("env"), Default: f.Tag.Get("default"), Secret: f.Tag.Get("secret") == "true"})
	})
	return vars
}

func walk(v reflect.Value, fn func(reflect.StructField, reflect.Value)) {
	t := v.Type()
	for i := range t.NumField() {
		f, fv := t.Field(i), v.Field(i)
		if f.Type.Kind() == reflect.Struct && f.Tag.Get("env") == "" {
			walk(fv, fn)
			continue
		}
		fn(f, fv)
	}
}

var (
	durationType = reflect.TypeFor[time.Duration]()
	prefixesType = reflect.TypeFor[[]netip.Prefix]()
	stringsType  = reflect.TypeFor[[]string]()
)

func set(v reflect.Value, raw string) error {
	switch {
	case v.Type() == durationType:
		d, err := time.ParseDuration(raw)
		if err != nil {
			return errors.New("want a duration such as 500ms or 10m")
		}
		if d < 0 {
			return errors.New("must not be negative")
		}
		v.SetInt(int64(d))
	case v.Type() == prefixesType:
		var nets []netip.Prefix
		for part := range strings.SplitSeq(raw, ",") {
			if part = strings.TrimSpace(part); part == "" {
				continue
			}
			p, err := netip.ParsePrefix(part)
			if err != nil {
				a, aerr := netip.ParseAddr(part)
				if aerr != nil {
					return fmt.Errorf("want CIDRs such as 10.0.0.0/8: %w", err)
				}
				p = netip.PrefixFrom(a, a.BitLen())
			}
			nets = append(nets, p.Masked())
		}
		v.Set(reflect.ValueOf(nets))
	case v.Type() == stringsType:
		var list []string
		for part := range strings.SplitSeq(raw, ",") {
			if part = strings.TrimSpace(part); part != "" {
				list = append(list, part)
			}
		}
		v.Set(reflect.ValueOf(list))
	case v.Kind() == reflect.String:
		v.SetString(raw)
	case v.Kind() == reflect.Int:
		n, err := strconv.Atoi(raw)
		if err != nil {
			return errors.New("want a whole number")
		}
		if n < 0 {
			return errors.New("must not be negative")
		}
		v.SetInt(int64(n))
	case v.Kind() == reflect.Float64:
		f, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			return errors.New("want a number such as 0.5")
		}
		if f < 0 {
			return errors.New("must not be negative")
		}
		v.SetFloat(f)
	case v.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return errors.New("want true or false")
		}
		v.SetBool(b)
	default:
		return fmt.Errorf("unsupported type %s", v.Type())
	}
	return nil
}

func (c Config) validate() error {
	var errs []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	check(oneOf(c.Environment, "production", "staging", "dev", "test"), "ENVIRONMENT: %q is not one of production, staging, dev, test", c.Environment)
	check(oneOf(c.LogLevel, "debug", "info", "warn", "error"), "LOG_LEVEL: %q is not one of debug, info, warn, error", c.LogLevel)
	check(c.HTTP.ReadHeaderTimeout > 0, "HTTP_READ_HEADER_TIMEOUT: must be positive")
	check(c.HTTP.ReadTimeout >= c.HTTP.ReadHeaderTimeout, "HTTP_READ_TIMEOUT: must be at least HTTP_READ_HEADER_TIMEOUT (it covers the headers too)")
	check(c.HTTP.WriteTimeout >= 3*time.Second, "HTTP_WRITE_TIMEOUT: must be at least 3s (a readiness probe may take 2s)")
	check(c.HTTP.IdleTimeout > 0, "HTTP_IDLE_TIMEOUT: must be positive")
	check(c.HTTP.MaxHeaderBytes >= 4096, "HTTP_MAX_HEADER_BYTES: must be at least 4096")
	check(c.HTTP.MaxConns > 0, "HTTP_MAX_CONNS: must be at least 1")
	check(c.AudioSocket.MaxConns > 0, "AUDIOSOCKET_MAX_CONNS: must be at least 1")
	check(c.AudioSocket.UUIDTimeout > 0, "AUDIOSOCKET_UUID_TIMEOUT: must be positive")
	check(c.AudioSocket.DeadPeerTimeout >= time.Second, "AUDIOSOCKET_DEAD_PEER_TIMEOUT: must be at least 1s (and should outlast the no-input re-prompts and goodbye, see docs/configuration.md)")
	check(c.AudioSocket.WriteTimeout > 0, "AUDIOSOCKET_WRITE_TIMEOUT: must be positive")
	check(c.AudioSocket.MaxHandshakes > 0, "AUDIOSOCKET_MAX_HANDSHAKES: must be at least 1")
	check(c.AudioSocket.MaxHandshakesPerSource > 0 && c.AudioSocket.MaxHandshakesPerSource <= c.AudioSocket.MaxHandshakes,
		"AUDIOSOCKET_MAX_HANDSHAKES_PER_SOURCE: must be between 1 and AUDIOSOCKET_MAX_HANDSHAKES")
	check(c.AudioSocket.MaxAudioBurst >= 200*time.Millisecond, "AUDIOSOCKET_MAX_AUDIO_BURST: must be at least 200ms (frames bunch after any network hiccup)")
	check(strings.TrimSpace(c.Call.Greeting) != "", "CALL_GREETING: must not be empty")
	check(c.Call.EndpointSilence >= 100*time.Millisecond, "CALL_ENDPOINT_SILENCE: must be at least 100ms")
	check(c.Call.SpeechStart >= 20*time.Millisecond, "CALL_SPEECH_START: must be at least 20ms")
	check(c.Call.BargeInSpeech >= 20*time.Millisecond, "CALL_BARGE_IN_SPEECH: must be at least 20ms")
	check(c.Call.NoInputTimeout >= time.Second, "CALL_NO_INPUT_TIMEOUT: must be at least 1s")
	check(c.Call.MaxDuration >= 10*time.Second, "CALL_MAX_DURATION: must be at least 10s")
	check(c.Call.MaxUtterance >= time.Second, "CALL_MAX_UTTERANCE: must be at least 1s")
	check(c.Call.TurnTimeout >= 500*time.Millisecond, "CALL_TURN_TIMEOUT: must be at least 500ms")
	check(c.Call.EchoMaxDelay >= 20*time.Millisecond && c.Call.EchoMaxDelay <= 1500*time.Millisecond, "CALL_ECHO_MAX_DELAY: must be between 20ms and 1.5s")
	check(c.Call.PlayoutLead >= 1 && c.Call.PlayoutLead <= 10, "CALL_PLAYOUT_LEAD_FRAMES: must be between 1 and 10")
	check(oneOf(c.Providers.STT, "mock", "google"), "STT_PROVIDER: %q is not one of mock, google", c.Providers.STT)
	check(oneOf(c.Providers.TTS, "mock", "google"), "TTS_PROVIDER: %q is not one of mock, google", c.Providers.TTS)
	check(oneOf(c.Providers.Responder, "rules", "claude", "echo"), "RESPONDER: %q is not one of rules, claude, echo", c.Providers.Responder)
	check(c.Providers.Responder != "claude" || c.Claude.APIKey != "", "ANTHROPIC_API_KEY: RESPONDER=claude needs it (or ANTHROPIC_API_KEY_FILE)")
	check(c.Claude.MaxTokens > 0, "CLAUDE_MAX_TOKENS: must be at least 1")
	check(c.Claude.TurnTimeout > 0, "CLAUDE_TURN_TIMEOUT: must be positive")
	check(c.Google.TTSSpeakingRate >= 0.25 && c.Google.TTSSpeakingRate <= 4, "GOOGLE_TTS_SPEAKING_RATE: must be between 0.25 and 4")
	check(c.Google.STTMinConfidence <= 1, "GOOGLE_STT_MIN_CONFIDENCE: must be between 0 and 1")
	check(strings.HasPrefix(c.Store.URL, "http://") || strings.HasPrefix(c.Store.URL, "https://"), "STORE_API_URL: %q is not an http(s) URL", c.Store.URL)
	check(c.Store.Timeout > 0, "STORE_API_TIMEOUT: must be positive")
	check(c.Database.URL == "" || strings.HasPrefix(c.Database.URL, "postgres://") || strings.HasPrefix(c.Database.URL, "postgresql://"),
		"DATABASE_URL: want a postgres:// URL")
	check(c.Redis.URL == "" || strings.HasPrefix(c.Redis.URL, "redis://") || strings.HasPrefix(c.Redis.URL, "rediss://"),
		"REDIS_URL: want a redis:// or rediss:// URL")
	check(c.Database.URL == "" || strings.TrimSpace(c.Database.SpoolDir) != "", "RECORD_SPOOL_DIR: must not be empty with a database")
	check(c.Database.SpoolMaxRecords > 0, "RECORD_SPOOL_MAX_RECORDS: must be at least 1")
	check(c.Database.SpoolMaxBytes >= 1<<20, "RECORD_SPOOL_MAX_BYTES: must be at least 1048576 (1 MiB)")
	check(c.Database.SpoolRetryMax >= 100*time.Millisecond, "RECORD_SPOOL_RETRY_MAX: must be at least 100ms")
	check(c.Database.CallTimeout >= 10*time.Millisecond && c.Database.CallTimeout < c.Call.TurnTimeout,
		"DATABASE_CALL_TIMEOUT: must be at least 10ms and less than CALL_TURN_TIMEOUT (the fallback answers within the turn)")
	check(c.Redis.CallTimeout >= 10*time.Millisecond && c.Redis.CallTimeout <= 10*time.Second, "REDIS_CALL_TIMEOUT: must be between 10ms and 10s")
	check(c.Database.RetentionEvery >= time.Minute, "CALL_RETENTION_INTERVAL: must be at least 1m")
	check(c.Database.Retention == 0 || c.Database.Retention >= 24*time.Hour, "CALL_RETENTION: must be 0 (keep) or at least 24h")
	check(c.Routing.DefaultQueue != "", "OPERATOR_QUEUE_DEFAULT: must not be empty (the dialplan queues unrouted calls there)")
	if _, err := c.Routing.Rule(); err != nil {
		errs = append(errs, fmt.Errorf("OPERATOR_QUEUE_DEFAULT, OPERATOR_QUEUES: %w", err))
	}
	for _, r := range c.Readiness.Required {
		check(oneOf(r, Dependencies...), "READY_REQUIRED: %q is not one of %s", r, strings.Join(Dependencies, ", "))
	}
	if c.Environment == "production" {
		check(c.Database.URL != "", "DATABASE_URL: production needs PostgreSQL (call records are business records)")
		check(c.Redis.URL != "", "REDIS_URL: production needs Redis (live state and limits shared by instances)")
		check(!c.Google.Insecure, "GOOGLE_ENDPOINTS_INSECURE: not allowed in production")
		check(c.Store.Token != "dev-store-token", "STORE_API_TOKEN: production needs the real Store API token")
		check(len(c.AudioSocket.AllowedNets) > 0, "AUDIOSOCKET_ALLOWED_NETS: production needs the Asterisk networks (AudioSocket has no authentication)")
		for _, n := range c.AudioSocket.AllowedNets {
			check(!openNet(n), "AUDIOSOCKET_ALLOWED_NETS: %s lets anyone in; production needs the Asterisk networks (AudioSocket has no authentication)", n)
		}
		for _, n := range c.Readiness.DialplanNets {
			check(!openNet(n), "DIALPLAN_ALLOWED_NETS: %s lets anyone in; production needs the Asterisk networks (the dialplan endpoints have no token)", n)
		}
		check(utf8.RuneCountInString(c.APIToken) >= MinAPITokenLen,
			"API_TOKEN: production needs a token of at least %d characters (or API_TOKEN_FILE), e.g. openssl rand -hex 32", MinAPITokenLen)
		check(c.LogLevel != "debug", "LOG_LEVEL: debug is not allowed in production (it logs every caller's words)")
		check(c.Database.Retention > 0, "CALL_RETENTION: production must delete old calls (personal data); 0 keeps them for ever")
		check(!strings.HasPrefix(c.Store.URL, "http://"), "STORE_API_URL: production needs https:// (the Store API token and callers' data cross the network)")
		check(c.Claude.BaseURL == "" || strings.HasPrefix(c.Claude.BaseURL, "https://"), "CLAUDE_BASE_URL: production needs https:// (the API key and callers' words cross the network)")
	}
	return errors.Join(errs...)
}

// MinAPITokenLen is the shortest API_TOKEN production accepts.
const MinAPITokenLen = 32

// openNet reports whether an allowed network is too wide to mean "these
// hosts": wider than 10.0.0.0/8 for IPv4 (0.0.0.0/0 above all) or than
// fc00::/7 for IPv6 (::/0), in either form (::ffff:0.0.0.0/96 is every
// IPv4 address).
func openNet(p netip.Prefix) bool {
	switch a := p.Addr(); {
	case a.Is4():
		return p.Bits() < 8
	case a.Is4In6():
		return p.Bits() < 96+8
	default:
		return p.Bits() < 7
	}
}

// Dependencies are the names readiness reports on, for READY_REQUIRED.
var Dependencies = []string{"database", "redis", "store_api", "stt", "tts", "responder"}

// Requires reports whether readiness requires dependency name.
func (c Config) Requires(name string) bool { return slices.Contains(c.Readiness.Required, name) }

func oneOf(s string, options ...string) bool { return slices.Contains(options, s) }
