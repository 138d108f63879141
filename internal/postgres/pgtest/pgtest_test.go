package pgtest_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tirevoice/assistant/internal/postgres/pgtest"
)

func TestNewDatabaseIsDroppedAtCleanup(t *testing.T) {
	var (
		name string
		held *pgx.Conn
	)
	t.Run("user", func(t *testing.T) {
		dsn := pgtest.NewDatabase(t)
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatal(err)
		}
		name = strings.TrimPrefix(u.Path, "/")
		if !strings.HasPrefix(name, "tirevoice_test_") {
			t.Errorf("database %q, want a tirevoice_test_ name", name)
		}
		// Left open on purpose: the drop must force it closed.
		held, err = pgx.Connect(context.Background(), dsn)
		if err != nil {
			t.Fatalf("connect to the new database: %v", err)
		}
	})
	if held != nil {
		defer held.Close(context.Background())
	}
	conn, err := pgx.Connect(context.Background(), pgtest.ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM pg_database WHERE datname = $1`, name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("database %s still there after the test", name)
	}
}

func TestMigrated(t *testing.T) {
	db, dsn := pgtest.Migrated(t)
	if err := db.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	if v, dirty, err := db.MigrationVersion(context.Background()); err != nil || v == 0 || dirty {
		t.Errorf("MigrationVersion = %d, %v, %v", v, dirty, err)
	}
	if dsn == "" {
		t.Error("no DSN")
	}
}

// TestProxy: a client of the proxied DSN reaches the database until Cut
// and again after Restore.
func TestProxy(t *testing.T) {
	proxy, proxied := pgtest.Proxy(t, pgtest.NewDatabase(t))
	ping := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, proxied)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		return conn.Ping(ctx)
	}
	if err := ping(); err != nil {
		t.Fatalf("through the proxy: %v", err)
	}
	proxy.Cut()
	if err := ping(); err == nil {
		t.Error("the database is reachable through a cut proxy")
	}
	proxy.Restore()
	if err := ping(); err != nil {
		t.Errorf("through the restored proxy: %v", err)
	}
}

// fatalTB records Fatalf and stops the function under test, as t.Fatalf
// would.
type fatalTB struct {
	testing.TB
	msg string
}

type fatalStop struct{}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	panic(fatalStop{})
}

func TestNoServerFailsWithHowToStartOne(t *testing.T) {
	t.Setenv("TEST_POSTGRES_URL", pgtest.ClosedDSN(t, "postgres:s3cretpw"))

	f := &fatalTB{TB: t}
	func() {
		defer func() {
			if r := recover(); r != nil {
				if _, ok := r.(fatalStop); !ok {
					panic(r)
				}
			}
		}()
		pgtest.NewDatabase(f)
	}()
	switch {
	case f.msg == "":
		t.Fatal("NewDatabase with no server did not fail the test")
	case !strings.Contains(f.msg, "docker run") || !strings.Contains(f.msg, "TEST_POSTGRES_URL"):
		t.Errorf("message does not say how to start a server: %s", f.msg)
	case strings.Contains(f.msg, "s3cretpw"):
		t.Errorf("message shows the password: %s", f.msg)
	}
	t.Log(f.msg)
}
