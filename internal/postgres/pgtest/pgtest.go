// Package pgtest gives tests a fresh PostgreSQL database of their own, on
// the server at TEST_POSTGRES_URL, dropped when the test ends. A test that
// needs one fails, never skips, when the server is not there: a skipped
// database test must not pass for green.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tirevoice/assistant/internal/faultproxy"
	"github.com/tirevoice/assistant/internal/postgres"
)

// DefaultURL is the server used when TEST_POSTGRES_URL is not set: a local
// PostgreSQL with trust authentication, as `make test` and CI start it.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// setupTimeout bounds creating, migrating and dropping a test database.
const setupTimeout = 30 * time.Second

// ServerURL returns TEST_POSTGRES_URL, or DefaultURL.
func ServerURL() string {
	if u := os.Getenv("TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return DefaultURL
}

// NewDatabase creates an empty database with a random name
// (tirevoice_test_...) on the server at ServerURL and returns its DSN. The
// database is dropped, with any connections still open to it, when the
// test and its subtests end. It calls t.Fatalf, saying how to start a
// server, when the server cannot be reached.
func NewDatabase(t testing.TB) (dsn string) {
	t.Helper()
	server := ServerURL()
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()

	cfg, err := pgx.ParseConfig(server)
	if err != nil {
		t.Fatalf("pgtest: TEST_POSTGRES_URL is not a PostgreSQL URL (want postgres://user@host:port/postgres?sslmode=disable): %v", redact(err, server))
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = postgres.DefaultConnectTimeout
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("pgtest: no PostgreSQL server at %s: %v\n"+
			"Start one with scripts/services.sh (finds, starts or installs a local server), or with\n"+
			"\tdocker run -d --rm -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres:17\n"+
			"or point TEST_POSTGRES_URL at a server where the user may CREATE DATABASE.",
			hostOf(cfg), redact(err, server))
	}
	defer conn.Close(ctx)

	var b [8]byte
	rand.Read(b[:])
	name := "tirevoice_test_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
		defer cancel()
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, redact(err, server))
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	return withDatabase(server, name)
}

// Migrated returns a fresh database with every migration applied, open;
// it is closed, then dropped, when the test ends.
func Migrated(t testing.TB) (*postgres.DB, string) {
	t.Helper()
	dsn := NewDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	if _, err := postgres.Migrate(ctx, dsn); err != nil {
		t.Fatalf("pgtest: migrate: %v", err)
	}
	db, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("pgtest: open: %v", err)
	}
	t.Cleanup(db.Close) // before the drop: cleanups run last in, first out
	return db, dsn
}

// Proxy starts a faultproxy in front of the server of dsn (a postgres://
// URL), closed when the test ends, and returns it and dsn through it: Cut
// takes the database away from the clients that connect through the
// proxy, Stall makes it hang, Restore gives it back. Cleanups run last in,
// first out: a pool opened on the proxied DSN after this call is closed
// before the proxy.
func Proxy(t testing.TB, dsn string) (p *faultproxy.Proxy, proxied string) {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil || u.Host == "" {
		t.Fatal("pgtest: proxy: the DSN is not a postgres://host:port/... URL")
	}
	p, err = faultproxy.Start(u.Host)
	if err != nil {
		t.Fatalf("pgtest: proxy to %s: %v", u.Host, err)
	}
	t.Cleanup(func() { p.Close() })
	u.Host = p.Addr()
	return p, u.String()
}

// ClosedDSN returns the DSN, with userinfo ("user:password"), of a server
// that is not there: a loopback port that the kernel has just handed out
// and taken back, so that a connection is refused at once.
func ClosedDSN(t testing.TB, userinfo string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "postgres://" + userinfo + "@" + addr + "/tirevoice?sslmode=disable"
}

// withDatabase returns server's DSN with the database name replaced.
func withDatabase(server, name string) string {
	if u, err := url.Parse(server); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		u.Path = "/" + name
		u.RawPath = ""
		return u.String()
	}
	// key=value form: a later dbname wins.
	return server + " dbname=" + name
}

func hostOf(cfg *pgx.ConnConfig) string {
	return net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))
}

// redact removes the password of server from err's message, in case a
// driver message quotes the URL.
func redact(err error, server string) string {
	msg := err.Error()
	if u, perr := url.Parse(server); perr == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			msg = strings.ReplaceAll(msg, pw, "xxxxx")
		}
	}
	return msg
}
