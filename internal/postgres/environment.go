package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// The environments a database can belong to (config's ENVIRONMENT).
const (
	EnvProduction = "production"
	EnvStaging    = "staging"
	EnvDev        = "dev"
	EnvTest       = "test"
)

// SetEnvironmentMark records that the database belongs to env
// (EnvProduction, EnvStaging, EnvDev or EnvTest). Marking it again for the
// same environment is a no-op; a database marked for another environment
// is ErrEnvironmentMarked and keeps its mark: a staging tool pointed at a
// production database by mistake must not be able to relabel it. (Clearing
// a mark is a deliberate act by hand: DELETE FROM environment_mark.)
func (db *DB) SetEnvironmentMark(ctx context.Context, env string) error {
	switch env {
	case EnvProduction, EnvStaging, EnvDev, EnvTest:
	default:
		return fmt.Errorf("%w %q: want %s, %s, %s or %s", ErrInvalidEnvironment, env, EnvProduction, EnvStaging, EnvDev, EnvTest)
	}
	// Two statements, so that the SELECT sees a row a concurrent mark has
	// just inserted.
	if _, err := db.pool.Exec(ctx, `
		INSERT INTO environment_mark (environment) VALUES ($1)
		ON CONFLICT (singleton) DO NOTHING`, env); err != nil {
		return fmt.Errorf("postgres: set environment mark: %w", err)
	}
	marked, err := db.EnvironmentMark(ctx)
	if err != nil {
		return err
	}
	if marked != env {
		return fmt.Errorf("%w: it is marked %q, not %q", ErrEnvironmentMarked, marked, env)
	}
	return nil
}

// EnvironmentMark returns the environment the database belongs to, or ""
// when it is not marked.
func (db *DB) EnvironmentMark(ctx context.Context) (string, error) {
	var env string
	err := db.pool.QueryRow(ctx, `SELECT environment FROM environment_mark`).Scan(&env)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("postgres: environment mark: %w", err)
	}
	return env, nil
}
