package postgres

import "time"

// MigrateDown reverts every migration: the tests of the down files.
var MigrateDown = migrateDown

// ConnectTimeout returns the connect timeout db's connections use.
func ConnectTimeout(db *DB) time.Duration { return db.pool.Config().ConnConfig.ConnectTimeout }

// WithMinScore sets the threshold of Search, for the tests that look at
// every hit.
func (s *KB) WithMinScore(min float64) *KB { return &KB{db: s.db, minScore: min} }
