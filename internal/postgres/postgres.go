// Package postgres is the PostgreSQL side of the service: finished calls
// with their turns and tool calls (call.Store), the knowledge base with
// Russian full-text search (kb.Store), the operators (operators.Store) and
// the environment mark, over one pgx connection pool. The schema lives in
// migrations/*.sql, embedded in the binary and applied by Migrate.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DefaultConnectTimeout bounds how long opening one connection may take
// (dial, TLS, authentication) when the DSN does not set connect_timeout:
// a dead or unreachable database makes calls fail in seconds, never hang.
const DefaultConnectTimeout = 5 * time.Second

// DB is a pool of connections to one database. It is safe for concurrent
// use.
type DB struct {
	pool *pgxpool.Pool
}

// Open returns a pool for dsn, a postgres:// URL or key=value pairs. It
// does not wait for the database: the first query connects, so a service
// can start while its database is down. Use Ping to check it. Errors never
// contain the DSN's password.
func Open(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := parsePoolConfig(dsn)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	return &DB{pool: pool}, nil
}

// parsePoolConfig parses dsn and fills in the connect timeout.
func parsePoolConfig(dsn string) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, errInvalidDSN(err)
	}
	setConnectTimeout(cfg.ConnConfig)
	return cfg, nil
}

// parseConnConfig parses dsn for a single connection (the migrations').
func parseConnConfig(dsn string) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, errInvalidDSN(err)
	}
	setConnectTimeout(cfg)
	return cfg, nil
}

func setConnectTimeout(cfg *pgx.ConnConfig) {
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
}

// errInvalidDSN reports a DSN that does not parse. pgx redacts passwords
// from its parse errors on a best-effort basis only (a malformed DSN can
// hide where the password is), so the DSN and pgx's message are left out.
func errInvalidDSN(err error) error {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) {
		return errors.New("postgres: cannot parse the DSN: want postgres://user:password@host:port/database?sslmode=... or host=... user=... key=value pairs")
	}
	return fmt.Errorf("postgres: DSN: %w", err) // not about the string itself (a missing passfile, say)
}

// Ping checks that the database answers a query.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.pool.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	return nil
}

// Close closes every connection, waiting for the ones in use to be
// released. It is idempotent.
func (db *DB) Close() { db.pool.Close() }

// Calls returns the call store over db.
func (db *DB) Calls() *Calls { return NewCalls(db) }

// KB returns the knowledge-base store over db.
func (db *DB) KB() *KB { return NewKB(db) }

// Operators returns the operator store over db.
func (db *DB) Operators() *Operators { return NewOperators(db) }

// validID reports whether id can be a key of an identity column
// (integer): any other is not found, rather than an error from the driver.
func validID(id int) bool { return id > 0 && id <= math.MaxInt32 }

// isInvalidData reports whether err is PostgreSQL refusing the data itself
// (SQLSTATE class 22, data exception, or 23, integrity constraint
// violation): sending it again cannot succeed.
func isInvalidData(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || len(pe.Code) != 5 {
		return false
	}
	class := pe.Code[:2]
	return class == "22" || class == "23"
}

// isUniqueViolation reports whether err is a unique violation of the
// constraint named constraint.
func isUniqueViolation(err error, constraint string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505" && pe.ConstraintName == constraint
}
