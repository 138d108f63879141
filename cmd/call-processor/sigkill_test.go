package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/tirevoice/assistant/internal/callsim"
	"github.com/tirevoice/assistant/internal/live"
	"github.com/tirevoice/assistant/internal/redistest"
)

// startChildProcessor runs call-processor in a child process (startChild)
// with env over the settings of startProcessor, and waits until it is
// ready.
func startChildProcessor(t *testing.T, env map[string]string) *child {
	t.Helper()
	c := startChild(t, processorEnv(t, env), "")
	started := c.logs.Find(t, "call-processor started", nil)
	c.http, c.audiosocket = started["http_addr"].(string), started["audiosocket_addr"].(string)
	waitReady(t, "http://"+c.http+"/health/ready")
	return c
}

// checkpointed returns the calls of ids with a checkpoint in the spool
// directory that holds at least one turn.
func checkpointed(t *testing.T, dir string, ids []string) int {
	t.Helper()
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue // replaced by a newer checkpoint meanwhile
		}
		var file struct {
			Checkpoint bool
			Record     struct {
				ID    string
				Turns []json.RawMessage
			}
		}
		if json.Unmarshal(data, &file) == nil && file.Checkpoint && want[file.Record.ID] && len(file.Record.Turns) > 0 {
			seen[file.Record.ID] = true
		}
	}
	return len(seen)
}

// liveOf returns how many live sessions instance holds in Redis.
func liveOf(t *testing.T, store *live.Redis, instance string) int {
	t.Helper()
	sessions, err := store.Sessions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range sessions {
		if s.Instance == instance {
			n++
		}
	}
	return n
}

// TestNoRecordLostToSIGKILL: the processor is killed with SIGKILL while
// it holds 20 calls, each past its first turn. Nothing of theirs is in
// the database then, and their live sessions stay in Redis as ghosts. The
// next start clears the ghosts before it takes a call and writes the 20
// records, outcome interrupted, each with the turns it had. A new call
// with one of their UUIDs is stored beside the earlier record, never over
// it.
func TestNoRecordLostToSIGKILL(t *testing.T) {
	const calls, instance = 20, "sigkill-1"
	db := newDatabase(t)
	client, prefix := redistest.New(t)
	sessions := live.NewRedis(client, live.RedisOptions{Prefix: prefix})
	spoolDir := t.TempDir()
	env := databaseEnv(db, spoolDir)
	env["REDIS_URL"], env["REDIS_PREFIX"], env["INSTANCE_ID"] = redistest.URL(), prefix, instance
	env["CALL_NO_INPUT_TIMEOUT"] = "60s" // the callers stay silent on the line until the kill

	first := startChildProcessor(t, env)
	sc := mustParse(t, `
steps:
  - expect: "Чем могу помочь"
  - say: "Сколько стоит хранение колёс?"
  - expect: "хранение комплекта шин"
  - silence: 2m
  - hangup: true
`)
	ids := make([]string, calls)
	var wg sync.WaitGroup
	for i := range ids {
		id := uuid.New()
		ids[i] = id.String()
		// Each call ends with the kill; only a failure before it counts.
		wg.Go(func() { callsim.Run(context.Background(), sc, callsim.Options{Addr: first.audiosocket, ID: id}) })
	}
	deadline := time.Now().Add(60 * time.Second)
	for checkpointed(t, spoolDir, ids) < calls {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d calls checkpointed after a turn", checkpointed(t, spoolDir, ids), calls)
		}
		time.Sleep(50 * time.Millisecond) // polling another process's files
	}
	if n := metricValue(t, first.http, "callproc_active_calls"); n != calls {
		t.Fatalf("%v active calls before the kill, want %d", n, calls)
	}
	first.kill(t)
	wg.Wait()

	db.wantRows(t, "after the kill", ids, 0, 0)
	if n := liveOf(t, sessions, instance); n != calls {
		t.Fatalf("%d live sessions of the killed instance in Redis, want its %d ghosts", n, calls)
	}

	second := startChildProcessor(t, env)
	if n := liveOf(t, sessions, instance); n != 0 {
		t.Errorf("%d ghost sessions left after the restart", n)
	}
	second.logs.Find(t, "live sessions of an earlier run cleared", func(l map[string]any) bool { return l["sessions"] == float64(calls) })
	waitMetric(t, &processor{http: second.http}, "callproc_records_written_total", calls)
	if n := metricValue(t, second.http, `callproc_calls_total{outcome="interrupted"}`); n != calls {
		t.Errorf(`callproc_calls_total{outcome="interrupted"} = %v, want %d`, n, calls)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, db.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var interrupted, withTurns int
	err = conn.QueryRow(ctx, `
		SELECT count(*), count(*) FILTER (WHERE EXISTS (SELECT 1 FROM call_turns WHERE call_id = calls.id))
		FROM calls WHERE id = ANY($1::uuid[]) AND outcome = 'interrupted' AND instance = $2`, ids, instance).Scan(&interrupted, &withTurns)
	if err != nil {
		t.Fatal(err)
	}
	if interrupted != calls || withTurns != calls {
		t.Fatalf("%d records with outcome interrupted, %d of them with turns; want %d and %d", interrupted, withTurns, calls, calls)
	}
	if n := spoolFiles(t, spoolDir); n != 0 {
		t.Errorf("%d files left in the spool", n)
	}

	// The first call's UUID, used again by a new call.
	again := uuid.MustParse(ids[0])
	var out strings.Builder
	res, err := callsim.Run(ctx, mustParse(t, `
steps:
  - expect: "Чем могу помочь"
  - hangup: true
`), callsim.Options{Addr: second.audiosocket, ID: again, Out: &out})
	if err != nil || !res.Passed {
		t.Fatalf("a call with a used UUID: %v %+v\n%s", err, res, out.String())
	}
	waitMetric(t, &processor{http: second.http}, "callproc_records_written_total", calls+1)
	var stored int
	var outcome string
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM calls WHERE call_uuid = $1`, again).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, `SELECT outcome FROM calls WHERE id = $1`, again).Scan(&outcome); err != nil {
		t.Fatal(err)
	}
	if stored != 2 || outcome != "interrupted" {
		t.Errorf("the UUID has %d records, and the one under it says %q; want 2, the first still interrupted", stored, outcome)
	}
}

func mustParse(t *testing.T, script string) *callsim.Scenario {
	t.Helper()
	sc, err := callsim.Parse([]byte(script))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// TestStaleSessionsClearedAtStart: live sessions in Redis under this
// instance's name, left by a run that was killed, are removed at start-up;
// another instance's stay.
func TestStaleSessionsClearedAtStart(t *testing.T) {
	client, prefix := redistest.New(t)
	store := live.NewRedis(client, live.RedisOptions{Prefix: prefix})
	ctx := context.Background()
	now := time.Now()
	for i, instance := range []string{"a", "a", "b"} {
		s := live.Session{ID: uuid.NewString(), Instance: instance, State: live.StateListening,
			Started: now.Add(time.Duration(i) * time.Second), LastActivity: now}
		if err := store.Update(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	p := startProcessor(t, map[string]string{"REDIS_URL": redistest.URL(), "REDIS_PREFIX": prefix, "INSTANCE_ID": "a"})
	got := liveSessions(t, p)
	if len(got) != 1 || got[0]["instance"] != "b" {
		t.Errorf("live sessions after the start of instance a: %v; want only b's", got)
	}
}
