package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/golang-migrate/migrate/v4"
	migratepgx "github.com/golang-migrate/migrate/v4/database/pgx/v5"
	"github.com/golang-migrate/migrate/v4/source/iofs"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// SchemaVersion is the version of the newest embedded migration: the
// version Migrate leaves a database at. A test holds it to the files.
const SchemaVersion uint = 6

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrationLockTimeout bounds how long Migrate waits for another process
// that is migrating the same database (golang-migrate's advisory lock), and
// for the table locks a migration needs.
const migrationLockTimeout = time.Minute

// Migrate applies the embedded migrations that dsn's database lacks and
// returns the version it is at. Running it again is a no-op. Processes that
// run it at the same time take turns (golang-migrate holds a PostgreSQL
// advisory lock while it works), so every replica may run it at start-up.
//
// Each migration runs in one transaction. Cancelling ctx stops Migrate
// before the next migration, not inside one. A database left dirty by a
// migration that failed outside a transaction is an error until fixed by
// hand.
func Migrate(ctx context.Context, dsn string) (version uint, err error) {
	err = withMigrator(ctx, dsn, func(m *migrate.Migrate) error {
		if err := m.Up(); err != nil && !errors.Is(err, migrate.ErrNoChange) {
			return err
		}
		v, dirty, err := m.Version()
		if err != nil {
			return err
		}
		if dirty {
			return migrate.ErrDirty{Version: int(v)}
		}
		version = v
		return nil
	})
	if err != nil {
		return 0, err
	}
	return version, nil
}

// migrateDown reverts every migration, for the tests of the down files.
func migrateDown(ctx context.Context, dsn string) error {
	return withMigrator(ctx, dsn, func(m *migrate.Migrate) error {
		if err := m.Down(); err != nil && !errors.Is(err, migrate.ErrNoChange) {
			return err
		}
		return nil
	})
}

// withMigrator runs fn with a golang-migrate instance over the embedded
// migrations and one connection to dsn's database.
//
// The driver is given a *sql.DB built from pgx's parsed config rather than
// a pgx5:// URL: that way a key=value DSN works too, the connect timeout
// of Open applies, and no URL (with its password) can reach an error.
func withMigrator(ctx context.Context, dsn string, fn func(*migrate.Migrate) error) (err error) {
	cfg, err := parseConnConfig(dsn)
	if err != nil {
		return err
	}
	if _, ok := cfg.RuntimeParams["lock_timeout"]; !ok {
		cfg.RuntimeParams["lock_timeout"] = fmt.Sprint(migrationLockTimeout.Milliseconds())
	}
	sqlDB := stdlib.OpenDB(*cfg)
	defer func() {
		if sqlDB != nil {
			err = errors.Join(err, sqlDB.Close())
		}
	}()
	// The driver pings without a context; connect here, under ctx.
	if err := sqlDB.PingContext(ctx); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	drv, err := migratepgx.WithInstance(sqlDB, &migratepgx.Config{})
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	src, err := iofs.New(migrationFS, "migrations")
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	m, err := migrate.NewWithInstance("iofs", src, "pgx5", drv)
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	m.LockTimeout = migrationLockTimeout
	sqlDB = nil // m.Close closes it
	defer func() {
		srcErr, dbErr := m.Close()
		err = errors.Join(err, srcErr, dbErr)
	}()

	stop := make(chan struct{})
	defer close(stop)
	go func() {
		select {
		case <-ctx.Done():
			m.GracefulStop <- true // buffered: never blocks
		case <-stop:
		}
	}()
	if err := fn(m); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("postgres: migrate: %w", errors.Join(ctx.Err(), err))
		}
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	// A graceful stop is not an error to golang-migrate.
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	return nil
}

// MigrationVersion returns the version of the last migration applied to
// the database (0 when none is) and whether that migration failed half-way
// (dirty), which needs fixing by hand.
func (db *DB) MigrationVersion(ctx context.Context) (version uint, dirty bool, err error) {
	var v int64
	err = db.pool.QueryRow(ctx, "SELECT version, dirty FROM schema_migrations LIMIT 1").Scan(&v, &dirty)
	var pe *pgconn.PgError
	switch {
	case errors.As(err, &pe) && pe.Code == "42P01": // undefined_table: never migrated
		return 0, false, nil
	case errors.Is(err, pgx.ErrNoRows):
		return 0, false, nil
	case err != nil:
		return 0, false, fmt.Errorf("postgres: migration version: %w", err)
	case v < 0:
		return 0, dirty, nil // golang-migrate's "no version", dirty after a failed first migration
	}
	return uint(v), dirty, nil
}
