package postgres_test

import (
	"context"
	"errors"
	"os"
	"regexp"
	"strconv"
	"testing"

	"github.com/tirevoice/assistant/internal/postgres"
	"github.com/tirevoice/assistant/internal/postgres/pgtest"
)

// tablesSQL counts the tables of the public schema other than
// golang-migrate's own.
const tablesSQL = `SELECT count(*) FROM information_schema.tables
	WHERE table_schema = 'public' AND table_name <> 'schema_migrations'`

func TestSchemaVersionIsNewestMigration(t *testing.T) {
	entries, err := os.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^(\d+)_\w+\.(up|down)\.sql$`)
	var newest uint64
	ups, downs := map[uint64]bool{}, map[uint64]bool{}
	for _, e := range entries {
		m := re.FindStringSubmatch(e.Name())
		if m == nil {
			t.Errorf("migrations/%s: want NNNNNN_name.up.sql or .down.sql", e.Name())
			continue
		}
		v, _ := strconv.ParseUint(m[1], 10, 64)
		newest = max(newest, v)
		if m[2] == "up" {
			ups[v] = true
		} else {
			downs[v] = true
		}
	}
	if uint64(postgres.SchemaVersion) != newest {
		t.Errorf("SchemaVersion = %d, newest migration is %d", postgres.SchemaVersion, newest)
	}
	for v := range ups {
		if !downs[v] {
			t.Errorf("migration %d has no down file", v)
		}
	}
}

func TestMigrateUpDownUp(t *testing.T) {
	t.Parallel()
	dsn := pgtest.NewDatabase(t)
	ctx := context.Background()
	db, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	if v, dirty, err := db.MigrationVersion(ctx); err != nil || v != 0 || dirty {
		t.Fatalf("empty database: MigrationVersion = %d, %v, %v; want 0, false, nil", v, dirty, err)
	}
	for i := range 2 { // the second run is a no-op
		v, err := postgres.Migrate(ctx, dsn)
		if err != nil || v != postgres.SchemaVersion {
			t.Fatalf("Migrate #%d = %d, %v; want %d", i+1, v, err, postgres.SchemaVersion)
		}
	}
	if v, dirty, err := db.MigrationVersion(ctx); err != nil || v != postgres.SchemaVersion || dirty {
		t.Fatalf("MigrationVersion = %d, %v, %v; want %d", v, dirty, err, postgres.SchemaVersion)
	}
	if n := queryInt(t, dsn, tablesSQL); n != 6 {
		t.Errorf("%d tables after up, want 6", n)
	}

	if err := postgres.MigrateDown(ctx, dsn); err != nil {
		t.Fatalf("down: %v", err)
	}
	if v, _, err := db.MigrationVersion(ctx); err != nil || v != 0 {
		t.Errorf("after down: MigrationVersion = %d, %v; want 0", v, err)
	}
	if n := queryInt(t, dsn, tablesSQL); n != 0 {
		t.Errorf("%d tables left after down", n)
	}
	if n := queryInt(t, dsn, `SELECT count(*) FROM pg_proc WHERE proname LIKE 'kb\_%'`); n != 0 {
		t.Errorf("%d kb_ functions left after down", n)
	}

	if v, err := postgres.Migrate(ctx, dsn); err != nil || v != postgres.SchemaVersion {
		t.Fatalf("up again = %d, %v", v, err)
	}
	if err := db.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	// The schema serves the stores after a round trip.
	if _, err := db.KB().Articles(ctx); err != nil {
		t.Errorf("Articles after down and up: %v", err)
	}
}

func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	dsn := pgtest.NewDatabase(t)
	const n = 4
	type result struct {
		v   uint
		err error
	}
	results := make(chan result, n)
	for range n {
		go func() {
			v, err := postgres.Migrate(context.Background(), dsn)
			results <- result{v, err}
		}()
	}
	for range n {
		r := <-results
		if r.err != nil || r.v != postgres.SchemaVersion {
			t.Errorf("concurrent Migrate = %d, %v; want %d", r.v, r.err, postgres.SchemaVersion)
		}
	}
	if n := queryInt(t, dsn, tablesSQL); n != 6 {
		t.Errorf("%d tables, want 6", n)
	}
}

func TestMigrateCancelled(t *testing.T) {
	t.Parallel()
	dsn := pgtest.NewDatabase(t)
	if _, err := postgres.Migrate(cancelled(), dsn); !errors.Is(err, context.Canceled) {
		t.Errorf("Migrate with a cancelled context: %v, want context.Canceled", err)
	}
}
