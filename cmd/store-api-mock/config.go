package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
)

// config is the program's whole configuration.
type config struct {
	Addr                string // STORE_API_ADDR, host:port to listen on; default ":8081"
	Token               string // STORE_API_TOKEN (or STORE_API_TOKEN_FILE); default "dev-store-token"
	AdminToken          string // STORE_API_ADMIN_TOKEN (or STORE_API_ADMIN_TOKEN_FILE); default "dev-store-admin-token"
	Fixtures            string // STORE_API_FIXTURES, path of a JSON data set; default "": the embedded fixtures
	LogLevel            string // LOG_LEVEL, debug|info|warn|error; default "info"
	TokenIsDefault      bool   // Token is the development default
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
	return c, nil
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
