package postgres_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/tirevoice/assistant/internal/postgres"
	"github.com/tirevoice/assistant/internal/postgres/pgtest"
)

func TestOpenPing(t *testing.T) {
	t.Parallel()
	db, _ := pgtest.Migrated(t)
	if err := db.Ping(context.Background()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if got := postgres.ConnectTimeout(db); got != postgres.DefaultConnectTimeout {
		t.Errorf("connect timeout %v, want the default %v", got, postgres.DefaultConnectTimeout)
	}
	if err := db.Ping(cancelled()); !errors.Is(err, context.Canceled) {
		t.Errorf("Ping with a cancelled context: %v, want context.Canceled", err)
	}
	db.Close()
	db.Close() // idempotent
}

func TestOpenKeepsConnectTimeoutOfDSN(t *testing.T) {
	t.Parallel()
	db, err := postgres.Open(context.Background(), "postgres://u@127.0.0.1:1/x?connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := postgres.ConnectTimeout(db); got.Seconds() != 2 {
		t.Errorf("connect timeout %v, want the DSN's 2s", got)
	}
}

func TestClosedPortFails(t *testing.T) {
	t.Parallel()
	dsn := pgtest.ClosedDSN(t, "postgres:s3cretpw")
	db, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("Open does not connect, so it must not fail: %v", err)
	}
	defer db.Close()
	err = db.Ping(context.Background())
	if err == nil {
		t.Fatal("Ping of a closed port succeeded")
	}
	if strings.Contains(err.Error(), "s3cretpw") {
		t.Errorf("error shows the password: %v", err)
	}
	if _, err := postgres.Migrate(context.Background(), dsn); err == nil {
		t.Error("Migrate on a closed port succeeded")
	} else if strings.Contains(err.Error(), "s3cretpw") {
		t.Errorf("Migrate error shows the password: %v", err)
	}
}

// A server that accepts the connection and never answers is what a hung
// database looks like: the connect timeout must end the wait.
func TestSilentServerFailsWithinConnectTimeout(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
		close(accepted)
	}()
	defer func() {
		ln.Close()
		for c := range accepted {
			c.Close()
		}
	}()

	db, err := postgres.Open(context.Background(), "postgres://u:s3cretpw@"+ln.Addr().String()+"/x?sslmode=disable&connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Ping(context.Background()) // no deadline but the connect timeout
	if err == nil {
		t.Fatal("Ping of a silent server succeeded")
	}
	if strings.Contains(err.Error(), "s3cretpw") {
		t.Errorf("error shows the password: %v", err)
	}
}

func TestInvalidDSNHidesPassword(t *testing.T) {
	t.Parallel()
	for _, dsn := range []string{
		"postgres://user:s3cretpw@127.0.0.1:notaport/db",
		"postgres://user:s3cretpw@127.0.0.1/db?connect_timeout=never",
		"postgres://user:s3cret pw%zz@127.0.0.1/db",
		"host=127.0.0.1 password=s3cretpw connect_timeout=x",
		"host=127.0.0.1 password='s3cretpw",
	} {
		_, err := postgres.Open(context.Background(), dsn)
		if err == nil {
			t.Errorf("Open(%q) succeeded", dsn)
			continue
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("Open error shows the password: %v", err)
		}
		_, err = postgres.Migrate(context.Background(), dsn)
		if err == nil {
			t.Errorf("Migrate(%q) succeeded", dsn)
		} else if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("Migrate error shows the password: %v", err)
		}
	}
}

func TestEnvironmentMark(t *testing.T) {
	t.Parallel()
	db, _ := pgtest.Migrated(t)
	ctx := context.Background()
	if env, err := db.EnvironmentMark(ctx); err != nil || env != "" {
		t.Fatalf("unmarked: EnvironmentMark = %q, %v; want \"\", nil", env, err)
	}
	if err := db.SetEnvironmentMark(ctx, "qa"); !errors.Is(err, postgres.ErrInvalidEnvironment) {
		t.Errorf("SetEnvironmentMark(qa): %v, want ErrInvalidEnvironment", err)
	}
	for range 2 { // again: a no-op
		if err := db.SetEnvironmentMark(ctx, postgres.EnvStaging); err != nil {
			t.Fatalf("SetEnvironmentMark(staging): %v", err)
		}
	}
	if err := db.SetEnvironmentMark(ctx, postgres.EnvProduction); !errors.Is(err, postgres.ErrEnvironmentMarked) {
		t.Errorf("relabelling staging as production: %v, want ErrEnvironmentMarked", err)
	}
	if env, err := db.EnvironmentMark(ctx); err != nil || env != postgres.EnvStaging {
		t.Errorf("EnvironmentMark = %q, %v; want staging", env, err)
	}
	if _, err := db.EnvironmentMark(cancelled()); !errors.Is(err, context.Canceled) {
		t.Errorf("EnvironmentMark with a cancelled context: %v", err)
	}
}
