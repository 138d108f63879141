package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/tirevoice/assistant/internal/httpjson"
)

// config is the program's whole configuration.
type config struct {
	Addr                string          // STORE_API_ADDR, host:port to listen on; default ":8081"
	Token               string          // STORE_API_TOKEN (or STORE_API_TOKEN_FILE); default "dev-store-token"
	AdminToken          string          // STORE_API_ADMIN_TOKEN (or STORE_API_ADMIN_TOKEN_FILE); default "dev-store-admin-token"
	Fixtures            string          // STORE_API_FIXTURES, path of a JSON data set; default "": the embedded fixtures
	LogLevel            string          // LOG_LEVEL, debug|info|warn|error; default "info"
	HTTP                httpjson.Limits // HTTP_READ_HEADER_TIMEOUT ... HTTP_MAX_CONNS, as call-processor's
	TokenIsDefault      bool            // Token is the development default
	AdminTokenIsDefault bool
}

// envVar documents one configuration variable.
type envVar struct{ name, def, meaning string }

var vars = []envVar{
	{"STORE_API_ADDR", ":8081", "host:port to listen on"},
	{"STORE_API_TOKEN", "dev-store-token", "bearer token of the shop endpoints; STORE_API_TOKEN_FILE reads it from a file"},
	{"STORE_API_ADMIN_TOKEN", "dev-store-admin-token", "bearer token of /api/v1/admin/*; STORE_API_ADMIN_TOKEN_FILE reads it from a file"},
	{"STORE_API_FIXTURES", "", "path of a JSON data set used instead of the embedded fixtures (and restored by admin reset)"},
	{"LOG_LEVEL", "info", "debug, info, warn or error; debug logs every request"},
	// The HTTP limits: the same variables, defaults and meaning as
	// call-processor's (docs/configuration.md).
	{"HTTP_READ_HEADER_TIMEOUT", "5s", "request line and headers must arrive within this"},
	{"HTTP_READ_TIMEOUT", "10s", "the whole request, body included; a trickled body is cut here"},
	{"HTTP_WRITE_TIMEOUT", "30s", "from the end of the request headers to the end of the answer"},
	{"HTTP_IDLE_TIMEOUT", "30s", "an idle keep-alive connection is closed after this"},
	{"HTTP_MAX_HEADER_BYTES", "16384", "request line and headers, in bytes; more is 431"},
	{"HTTP_MAX_CONNS", "512", "connections served at once; more wait in the kernel's accept queue"},
}

// defaultOf is the default of variable name in vars ("" for a name not
// there, which the parse then refuses, naming it).
func defaultOf(name string) string {
	for _, v := range vars {
		if v.name == name {
			return v.def
		}
	}
	return ""
}

// limits reads the HTTP_* variables.
func limits(getenv func(string) string) (httpjson.Limits, error) {
	var l httpjson.Limits
	var errs []error
	duration := func(name string) time.Duration {
		raw := or(getenv(name), defaultOf(name))
		d, err := time.ParseDuration(raw)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("%s %q: want a positive duration such as 10s", name, raw))
		}
		return d
	}
	number := func(name string) int {
		raw := or(getenv(name), defaultOf(name))
		n, err := strconv.Atoi(raw)
		if err != nil || n <= 0 {
			errs = append(errs, fmt.Errorf("%s %q: want a positive whole number", name, raw))
		}
		return n
	}
	l.ReadHeaderTimeout = duration("HTTP_READ_HEADER_TIMEOUT")
	l.ReadTimeout = duration("HTTP_READ_TIMEOUT")
	l.WriteTimeout = duration("HTTP_WRITE_TIMEOUT")
	l.IdleTimeout = duration("HTTP_IDLE_TIMEOUT")
	l.MaxHeaderBytes = number("HTTP_MAX_HEADER_BYTES")
	l.MaxConns = number("HTTP_MAX_CONNS")
	if len(errs) == 0 && l.ReadTimeout < l.ReadHeaderTimeout {
		errs = append(errs, errors.New("HTTP_READ_TIMEOUT: must be at least HTTP_READ_HEADER_TIMEOUT (it covers the headers too)"))
	}
	return l, errors.Join(errs...)
}

// errNoValue is for a *_FILE that names an empty file.
var errNoValue = errors.New("empty")

// loadConfig reads the environment. An invalid value is an error naming
// its variable.
func loadConfig(getenv func(string) string) (config, error) {
	c := config{
		Addr:     or(getenv("STORE_API_ADDR"), ":8081"),
		Fixtures: getenv("STORE_API_FIXTURES"),
		LogLevel: or(getenv("LOG_LEVEL"), "info"),
	}
	var err error
	if c.Token, c.TokenIsDefault, err = secret(getenv, "STORE_API_TOKEN", "dev-store-token"); err != nil {
		return c, err
	}
	if c.AdminToken, c.AdminTokenIsDefault, err = secret(getenv, "STORE_API_ADMIN_TOKEN", "dev-store-admin-token"); err != nil {
		return c, err
	}
	if c.Token == c.AdminToken {
		return c, fmt.Errorf("STORE_API_TOKEN and STORE_API_ADMIN_TOKEN must differ")
	}
	if !strings.Contains(c.Addr, ":") {
		return c, fmt.Errorf("STORE_API_ADDR %q: want host:port or :port", c.Addr)
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return c, fmt.Errorf("LOG_LEVEL %q: want debug, info, warn or error", c.LogLevel)
	}
	c.HTTP, err = limits(getenv)
	return c, err
}

// secret reads NAME, or the file NAME_FILE names (for Docker secrets),
// or falls back to def.
func secret(getenv func(string) string, name, def string) (string, bool, error) {
	v, file := getenv(name), getenv(name+"_FILE")
	switch {
	case v != "" && file != "":
		return "", false, fmt.Errorf("%s and %s_FILE are both set", name, name)
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", false, fmt.Errorf("%s_FILE: %w", name, err)
		}
		if v = strings.TrimSpace(string(b)); v == "" {
			return "", false, fmt.Errorf("%s_FILE %s: %w", name, file, errNoValue)
		}
		return v, false, nil
	case v != "":
		return v, false, nil
	}
	return def, true, nil
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
