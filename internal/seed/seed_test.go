package seed

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/tirevoice/assistant/internal/call"
	"github.com/tirevoice/assistant/internal/postgres"
	"github.com/tirevoice/assistant/internal/postgres/pgtest"
	"github.com/tirevoice/assistant/internal/routing"
	"github.com/tirevoice/assistant/internal/storemock"
)

const adminToken = "seed-test-admin"

func storeMock(t *testing.T) *httptest.Server {
	t.Helper()
	data, err := storemock.Fixtures()
	if err != nil {
		t.Fatal(err)
	}
	data.Tires = data.Tires[:3] // not the shipped set, so that seeding visibly replaces it
	srv := httptest.NewServer(storemock.NewServer(storemock.Deps{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Token:  "seed-test-token", AdminToken: adminToken, Data: data,
	}))
	t.Cleanup(srv.Close)
	return srv
}

// dump is every seeded table's business content, in a stable order.
func dump(t *testing.T, dsn string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var out strings.Builder
	for _, q := range []string{
		`SELECT to_jsonb(t) - 'updated_at' - 'created_at' FROM kb_articles t ORDER BY id`,
		`SELECT to_jsonb(t) - 'updated_at' - 'created_at' FROM operators t ORDER BY id`,
		`SELECT to_jsonb(t) - 'updated_at' - 'created_at' FROM calls t ORDER BY id`,
		`SELECT to_jsonb(t) - 'updated_at' - 'created_at' FROM call_turns t ORDER BY call_id, n`,
		`SELECT to_jsonb(t) - 'updated_at' - 'created_at' FROM call_tool_calls t ORDER BY call_id, turn_n, seq`,
	} {
		rows, err := conn.Query(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out.WriteString(s + "\n")
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return out.String()
}

func storeData(t *testing.T, url string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url+"/api/v1/admin/data", nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("export: %d %s", resp.StatusCode, b)
	}
	return string(b)
}

func TestSeedIsIdempotent(t *testing.T) {
	ctx := context.Background()
	db, dsn := pgtest.Migrated(t)
	if err := db.SetEnvironmentMark(ctx, postgres.EnvStaging); err != nil {
		t.Fatal(err)
	}
	store := storeMock(t)
	cfg := Config{DB: db, StoreURL: store.URL, StoreAdminToken: adminToken}

	r, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if r.Articles < 20 || r.Operators != len(Operators()) || r.Calls != len(pastCalls) || r.StoreData == "" {
		t.Errorf("report %+v", r)
	}
	first, firstStore := dump(t, dsn), storeData(t, store.URL)
	if !strings.Contains(first, "Хранение") || strings.Count(firstStore, `"id"`) < 200 {
		t.Fatalf("seeded data looks empty: %d bytes in PostgreSQL, %d in the store", len(first), len(firstStore))
	}
	if _, err := Run(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if second := dump(t, dsn); second != first {
		t.Errorf("a second seed changed PostgreSQL:\nfirst:\n%.2000s\nsecond:\n%.2000s", first, second)
	}
	if again := storeData(t, store.URL); again != firstStore {
		t.Error("a second seed changed the store mock's data")
	}
	page, err := db.Calls().ListCalls(ctx, callFilterAll)
	if err != nil || page.Total != len(pastCalls) {
		t.Errorf("calls after two seeds: %d (%v), want %d", page.Total, err, len(pastCalls))
	}
}

func TestSeedRefusesOtherDatabases(t *testing.T) {
	ctx := context.Background()
	for _, mark := range []string{"", postgres.EnvProduction, postgres.EnvTest} {
		t.Run("mark "+mark, func(t *testing.T) {
			db, dsn := pgtest.Migrated(t)
			if mark != "" {
				if err := db.SetEnvironmentMark(ctx, mark); err != nil {
					t.Fatal(err)
				}
			}
			before := dump(t, dsn)
			_, err := Run(ctx, Config{DB: db})
			if !errors.Is(err, ErrNotStaging) {
				t.Fatalf("seeding a database marked %q: %v, want ErrNotStaging", mark, err)
			}
			if after := dump(t, dsn); after != before {
				t.Error("a refused seed changed the database")
			}
		})
	}
}

func TestSeedReportsAStoreThatRefuses(t *testing.T) {
	ctx := context.Background()
	db, _ := pgtest.Migrated(t)
	if err := db.SetEnvironmentMark(ctx, postgres.EnvDev); err != nil {
		t.Fatal(err)
	}
	store := storeMock(t)
	_, err := Run(ctx, Config{DB: db, StoreURL: store.URL, StoreAdminToken: "wrong"})
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("seeding with a wrong admin token: %v", err)
	}
}

var callFilterAll = call.ListFilter{Limit: call.MaxListLimit}

// TestOperatorSkillsAreTopics: a skill the routing rule does not know
// would put an operator in a queue no call is routed to.
func TestOperatorSkillsAreTopics(t *testing.T) {
	seen := map[string]bool{}
	for _, op := range Operators() {
		if seen[op.Extension] {
			t.Errorf("extension %s seeded twice", op.Extension)
		}
		seen[op.Extension] = true
		for _, s := range op.Skills {
			if _, ok := routing.ParseTopic(s); !ok {
				t.Errorf("operator %s: skill %q is not a routing topic %v", op.Extension, s, routing.Topics)
			}
		}
	}
}
