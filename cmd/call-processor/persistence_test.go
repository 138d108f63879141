package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/tirevoice/assistant/internal/callsim"
	"github.com/tirevoice/assistant/internal/faultproxy"
	"github.com/tirevoice/assistant/internal/postgres"
	"github.com/tirevoice/assistant/internal/postgres/pgtest"
	"github.com/tirevoice/assistant/internal/redistest"
	"github.com/tirevoice/assistant/internal/seed"
	"github.com/tirevoice/assistant/internal/storemock"
)

// twoTurns is a short call with two caller turns.
const twoTurns = `
steps:
  - expect: "Чем могу помочь"
  - say: "Сколько стоит хранение колёс?"
  - expect: "хранение комплекта шин"
  - say: "До свидания"
  - expect_hangup: true
`

// oneQuestion is a short call with one knowledge-base question.
const oneQuestion = `
steps:
  - expect: "Чем могу помочь"
  - say: "Сколько стоит хранение колёс?"
  - expect: "хранение комплекта шин"
  - hangup: true
`

// database is a fresh migrated PostgreSQL database reached through a proxy
// that the test can cut.
type database struct {
	dsn     string // direct, for the test's own checks
	proxied string // through the proxy, for the processor
	proxy   *faultproxy.Proxy
}

func newDatabase(t *testing.T) *database {
	t.Helper()
	dsn := pgtest.NewDatabase(t)
	if _, err := postgres.Migrate(context.Background(), dsn); err != nil {
		t.Fatal(err)
	}
	proxy, proxied := pgtest.Proxy(t, dsn)
	return &database{dsn: dsn, proxied: proxied, proxy: proxy}
}

// wantRows fails the test unless PostgreSQL, asked directly, holds calls
// rows of calls and turns rows of call_turns that belong to ids; when says
// at which point of the test.
func (d *database) wantRows(t *testing.T, when string, ids []string, calls, turns int) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, d.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var c, n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM calls WHERE id = ANY($1::uuid[])`, ids).Scan(&c); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM call_turns WHERE call_id = ANY($1::uuid[])`, ids).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if c != calls || n != turns {
		t.Fatalf("%s: %d calls and %d turns, want %d and %d", when, c, n, calls, turns)
	}
}

// callsWhileCut cuts p's database off, makes n twoTurns calls on p and
// waits until their n records wait in the spool. The database stays cut.
func (d *database) callsWhileCut(t *testing.T, p *processor, n int) []string {
	t.Helper()
	d.proxy.Cut()
	ids := makeCalls(t, p, twoTurns, n)
	waitMetric(t, p, "callproc_records_waiting", float64(n))
	return ids
}

// makeCalls plays script n times at once against p and returns the calls' ids.
func makeCalls(t *testing.T, p *processor, script string, n int) []string {
	t.Helper()
	sc, err := callsim.Parse([]byte(script))
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range ids {
		id := uuid.New()
		ids[i] = id.String()
		wg.Go(func() {
			var out strings.Builder
			res, err := callsim.Run(context.Background(), sc, callsim.Options{Addr: p.audiosocket, ID: id, Out: &out})
			if err != nil || !res.Passed {
				t.Errorf("call %s: %v %+v\n%s", id, err, res, out.String())
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	return ids
}

// waitMetric polls p's /metrics, as Prometheus would, until series has want.
func waitMetric(t *testing.T, p *processor, series string, want float64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := metricValue(t, p.http, series)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s = %v, want %v", series, got, want)
		}
		time.Sleep(50 * time.Millisecond) // polling an external endpoint
	}
}

func spoolFiles(t *testing.T, dir string) int {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	return len(files)
}

func databaseEnv(db *database, spoolDir string) map[string]string {
	return map[string]string{
		"DATABASE_URL": db.proxied, "RECORD_SPOOL_DIR": spoolDir,
		"RECORD_SPOOL_RETRY_MAX": "500ms", "RECORD_SPOOL_FLUSH_TIMEOUT": "2s",
	}
}

// TestRecordsSurviveADatabaseOutage: calls made while PostgreSQL cannot be
// reached (every connection cut, new ones refused) are spooled on disk and
// written, every call and every turn exactly once, when it returns.
func TestRecordsSurviveADatabaseOutage(t *testing.T) {
	db := newDatabase(t)
	spoolDir := t.TempDir()
	p := startProcessor(t, databaseEnv(db, spoolDir))

	ids := db.callsWhileCut(t, p, 3)
	db.wantRows(t, "while the database was cut off", ids, 0, 0)
	if n := spoolFiles(t, spoolDir); n != 3 {
		t.Fatalf("%d records spooled on disk, want 3", n)
	}

	db.proxy.Restore()
	waitMetric(t, p, "callproc_records_waiting", 0)
	db.wantRows(t, "after the outage", ids, 3, 6)
	if n := metricValue(t, p.http, "callproc_records_written_total"); n != 3 {
		t.Errorf("callproc_records_written_total = %v, want 3", n)
	}
	var view struct {
		Turns []struct {
			CallerText string `json:"caller_text"`
		} `json:"turns"`
	}
	if err := json.Unmarshal(getCall(t, p, ids[0]), &view); err != nil || len(view.Turns) != 2 || view.Turns[0].CallerText != "Сколько стоит хранение колёс?" {
		t.Errorf("the API reads the call back as %+v (%v)", view, err)
	}
}

// TestSpooledRecordsSurviveShutdown: records still spooled at SIGTERM stay
// on disk and are written exactly once by the next start; and records
// spooled when the database has just come back are written at shutdown.
func TestSpooledRecordsSurviveShutdown(t *testing.T) {
	db := newDatabase(t)
	spoolDir := t.TempDir()

	first := startProcessor(t, databaseEnv(db, spoolDir))
	ids := db.callsWhileCut(t, first, 2)
	first.shutdown(t) // the database is still unreachable
	if n := spoolFiles(t, spoolDir); n != 2 {
		t.Fatalf("%d records left on disk after shutdown, want 2", n)
	}
	first.logs.Find(t, "call records left in the spool for the next start", nil)

	db.proxy.Restore()
	second := startProcessor(t, databaseEnv(db, spoolDir))
	waitMetric(t, second, "callproc_records_waiting", 0)
	db.wantRows(t, "after the restart", ids, 2, 4)

	// Records spooled while the database was away, then SIGTERM right as
	// it returns: the shutdown writes them.
	more := db.callsWhileCut(t, second, 2)
	db.proxy.Restore()
	second.shutdown(t)
	if n := spoolFiles(t, spoolDir); n != 0 {
		t.Errorf("%d records still on disk after a shutdown with the database back", n)
	}
	db.wantRows(t, "after the second shutdown", append(ids, more...), 4, 8)
}

// apiRequest makes an HTTP request to p and returns the status and body.
func apiRequest(t *testing.T, p *processor, method, path string, form url.Values, token bool) (int, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, "http://"+p.http+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if token {
		req.Header.Set("Authorization", "Bearer "+apiToken)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestDialplanFlow is what Asterisk's dialplan does, over HTTP and
// AudioSocket, with PostgreSQL and Redis: register the call, connect it,
// the caller presses 0, and "what next" answers operator.
func TestDialplanFlow(t *testing.T) {
	db := newDatabase(t)
	_, prefix := redistest.New(t)
	env := databaseEnv(db, t.TempDir())
	env["REDIS_URL"], env["REDIS_PREFIX"] = redistest.URL(), prefix
	p := startProcessor(t, env)

	id := uuid.New()
	code, body := apiRequest(t, p, http.MethodPost, "/api/v1/calls",
		url.Values{"uuid": {id.String()}, "caller": {"+79035551234"}, "called": {"5000"}}, false)
	if code != http.StatusCreated {
		t.Fatalf("register: %d %s", code, body)
	}
	sc, err := callsim.Parse([]byte(`
steps:
  - expect: "Чем могу помочь"
  - dtmf: "0"
  - expect: "оператор"
  - expect_hangup: true
`))
	if err != nil {
		t.Fatal(err)
	}
	res, err := callsim.Run(context.Background(), sc, callsim.Options{Addr: p.audiosocket, ID: id})
	if err != nil || !res.Passed {
		t.Fatalf("call: %v %+v", err, res)
	}
	if code, body := apiRequest(t, p, http.MethodGet, "/api/v1/calls/"+id.String()+"/next?field=action", nil, false); code != http.StatusOK || strings.TrimSpace(body) != "operator" {
		t.Fatalf("next: %d %q, want 200 operator", code, body)
	}
	waitMetric(t, p, "callproc_records_written_total", 1)
	var view struct {
		Caller, Called, Disposition, Environment string
	}
	if err := json.Unmarshal(getCall(t, p, id.String()), &view); err != nil {
		t.Fatal(err)
	}
	if view.Caller != "+79035551234" || view.Called != "5000" || view.Disposition != "operator" || view.Environment != "test" {
		t.Errorf("the call record says %+v", view)
	}
	if strings.Contains(p.logs.String(), "79035551234") {
		t.Error("the caller's number reached the log unmasked")
	}
}

func TestMigrateCommand(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	env := map[string]string{"DATABASE_URL": dsn, "ENVIRONMENT": "staging"}
	var out strings.Builder
	for range 2 { // the second run has nothing to do
		out.Reset()
		if err := run(context.Background(), []string{"migrate"}, func(k string) string { return env[k] }, &out, io.Discard); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.Contains(out.String(), "database schema at version") {
		t.Errorf("migrate printed %q", out.String())
	}
	db, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if mark, err := db.EnvironmentMark(context.Background()); err != nil || mark != "staging" {
		t.Errorf("environment mark %q (%v), want staging", mark, err)
	}
	err = run(context.Background(), []string{"migrate"}, func(string) string { return "" }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "DATABASE_URL") {
		t.Errorf("migrate without a database: %v", err)
	}
}

func TestProductionRefusesEmbeddedDefaults(t *testing.T) {
	env := map[string]string{"ENVIRONMENT": "production", "STORE_API_TOKEN": "real", "AUDIOSOCKET_ALLOWED_NETS": "10.0.0.0/8"}
	err := run(context.Background(), nil, func(k string) string { return env[k] }, io.Discard, io.Discard)
	for _, name := range []string{"DATABASE_URL", "REDIS_URL"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("production start-up without %s: %v", name, err)
		}
	}
}

// liveSessions reads p's live calls.
func liveSessions(t *testing.T, p *processor) []map[string]any {
	t.Helper()
	code, body := apiRequest(t, p, http.MethodGet, "/api/v1/live", nil, true)
	if code != http.StatusOK {
		t.Fatalf("GET /api/v1/live: %d %s", code, body)
	}
	var out struct {
		Sessions []map[string]any `json:"sessions"`
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatalf("GET /api/v1/live: %v: %s", err, body)
	}
	return out.Sessions
}

// TestTwoInstancesShareRedis: a call registered with instance A and taken
// by instance B is live on A's API, with the caller's number, and A answers
// the dialplan's "what next" for it; the LLM's daily token budget is spent
// across both.
func TestTwoInstancesShareRedis(t *testing.T) {
	_, prefix := redistest.New(t)
	fake := &fakeClaude{}
	model := httptest.NewServer(fake)
	t.Cleanup(model.Close)
	env := func(instance string) map[string]string {
		return map[string]string{
			"REDIS_URL": redistest.URL(), "REDIS_PREFIX": prefix, "INSTANCE_ID": instance,
			"RESPONDER": "claude", "ANTHROPIC_API_KEY": "test-secret-key", "CLAUDE_BASE_URL": model.URL,
			// One model request (the fake reports 70 tokens) spends it.
			"LLM_TOKENS_PER_DAY": "60",
		}
	}
	a, b := startProcessor(t, env("a")), startProcessor(t, env("b"))

	id := uuid.New()
	if code, body := apiRequest(t, a, http.MethodPost, "/api/v1/calls",
		url.Values{"uuid": {id.String()}, "caller": {"+79161234567"}, "called": {"5000"}}, false); code != http.StatusCreated {
		t.Fatalf("register on A: %d %s", code, body)
	}
	sc, err := callsim.Parse([]byte(`
steps:
  - expect: "Чем могу помочь"
  - say: "Здравствуйте"
  - expect: "Какие шины вам нужны"
  - silence: 2s
  - say: "До свидания"
  - expect_hangup: true
`))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		var out strings.Builder
		res, err := callsim.Run(context.Background(), sc, callsim.Options{Addr: b.audiosocket, ID: id, Out: &out})
		if err == nil && !res.Passed {
			err = errors.New(res.Failure + "\n" + out.String())
		}
		done <- err
	}()
	// While B holds the call, A sees it.
	deadline := time.Now().Add(20 * time.Second)
	for seen := false; !seen; {
		for _, s := range liveSessions(t, a) {
			if s["id"] == id.String() {
				if s["instance"] != "b" || s["caller"] != "+79161234567" {
					t.Fatalf("A shows the call as %v", s)
				}
				seen = true
			}
		}
		if !seen && time.Now().After(deadline) {
			t.Fatal("the call on B never appeared on A")
		}
		time.Sleep(50 * time.Millisecond) // polling an API
	}
	if err := <-done; err != nil {
		t.Fatalf("call on B: %v", err)
	}
	// A answers what next for B's call.
	code, body := apiRequest(t, a, http.MethodGet, "/api/v1/calls/"+id.String()+"/next?field=action", nil, false)
	if code != http.StatusOK || strings.TrimSpace(body) != "hangup" {
		t.Fatalf("next on A: %d %q, want hangup", code, body)
	}

	// The call on B spent the day's tokens: a call on A is answered by the
	// rule engine, without asking the model.
	fake.mu.Lock()
	asked := fake.requests
	fake.mu.Unlock()
	if asked == 0 {
		t.Fatal("the model was never asked")
	}
	makeCalls(t, a, oneQuestion, 1)
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if fake.requests != asked {
		t.Errorf("the model was asked %d more times on A after B spent the shared budget", fake.requests-asked)
	}
}

// TestCallGoesOnWhileRedisIsDown: Redis goes away mid-call; the call goes
// on, readiness shows Redis DOWN (not required by default, so the instance
// stays ready), and "what next" is answered from the instance's own memory.
func TestCallGoesOnWhileRedisIsDown(t *testing.T) {
	_, prefix := redistest.New(t)
	proxy := redistest.Proxy(t)
	p := startProcessor(t, map[string]string{"REDIS_URL": "redis://" + proxy.Addr() + "/0", "REDIS_PREFIX": prefix})

	id := uuid.New()
	if code, body := apiRequest(t, p, http.MethodPost, "/api/v1/calls",
		url.Values{"uuid": {id.String()}, "caller": {"+79161234567"}}, false); code != http.StatusCreated {
		t.Fatalf("register: %d %s", code, body)
	}
	sc, err := callsim.Parse([]byte(twoTurns))
	if err != nil {
		t.Fatal(err)
	}
	heard := make(chan struct{})
	var once sync.Once
	out := writerFunc(func(b []byte) {
		if strings.Contains(string(b), "Чем могу помочь") {
			once.Do(func() { proxy.Cut(); close(heard) })
		}
	})
	res, err := callsim.Run(context.Background(), sc, callsim.Options{Addr: p.audiosocket, ID: id, Out: out})
	if err != nil || !res.Passed {
		t.Fatalf("call with Redis cut after the greeting: %v %+v", err, res)
	}
	<-heard

	code, body := apiRequest(t, p, http.MethodGet, "/health/ready", nil, false)
	var ready struct {
		Status       string
		Dependencies map[string]struct{ Status string }
	}
	if err := json.Unmarshal([]byte(body), &ready); err != nil || code != http.StatusOK || ready.Dependencies["redis"].Status != "DOWN" {
		t.Fatalf("readiness with Redis down: %d %s", code, body)
	}
	if code, body := apiRequest(t, p, http.MethodGet, "/api/v1/calls/"+id.String()+"/next?field=action", nil, false); code != http.StatusOK || strings.TrimSpace(body) != "hangup" {
		t.Fatalf("next with Redis down: %d %q", code, body)
	}
	if n := metricValue(t, p.http, `callproc_dependency_errors_total{dependency="redis"}`); n == 0 {
		t.Error("no Redis errors counted")
	}
	if v := metricValue(t, p.http, `callproc_dependency_up{dependency="redis"}`); v != 0 {
		t.Errorf(`callproc_dependency_up{dependency="redis"} = %v, want 0`, v)
	}
	// The caller's number was registered before the outage.
	if rec := getCall(t, p, id.String()); !strings.Contains(string(rec), "+79161234567") {
		t.Errorf("the record lost the caller's number: %s", rec)
	}
}

// writerFunc is an io.Writer that hands every write to a function.
type writerFunc func([]byte)

func (f writerFunc) Write(b []byte) (int, error) { f(b); return len(b), nil }

// TestSeedCommand: `migrate` marks a new staging database, `seed` fills it
// and the store mock, twice without harm; a test database is refused.
func TestSeedCommand(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	store := httptest.NewServer(storemock.NewServer(storemock.Deps{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Token: "t", AdminToken: "staging-admin",
	}))
	t.Cleanup(store.Close)
	env := map[string]string{"DATABASE_URL": dsn, "ENVIRONMENT": "staging", "STORE_API_URL": store.URL, "STORE_API_ADMIN_TOKEN": "staging-admin"}
	getenv := func(k string) string { return env[k] }
	if err := run(context.Background(), []string{"migrate"}, getenv, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		var out strings.Builder
		if err := run(context.Background(), []string{"seed"}, getenv, &out, io.Discard); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "seeded the staging database") || !strings.Contains(out.String(), "seeded the store mock") {
			t.Errorf("seed printed %q", out.String())
		}
	}

	other := pgtest.NewDatabase(t)
	env2 := map[string]string{"DATABASE_URL": other, "ENVIRONMENT": "test"}
	if err := run(context.Background(), []string{"migrate"}, func(k string) string { return env2[k] }, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	err := run(context.Background(), []string{"seed"}, func(k string) string { return env2[k] }, io.Discard, io.Discard)
	if !errors.Is(err, seed.ErrNotStaging) {
		t.Errorf("seeding a test database: %v", err)
	}
}

// TestKnowledgeBaseWhileTheDatabaseStalls: PostgreSQL hangs (connections
// stay open, nothing comes back) rather than going away; a caller's
// knowledge-base question is answered from the shipped articles within
// the turn, not with an apology after CALL_TURN_TIMEOUT.
func TestKnowledgeBaseWhileTheDatabaseStalls(t *testing.T) {
	db := newDatabase(t)
	p := startProcessor(t, databaseEnv(db, t.TempDir()))
	db.proxy.Stall()
	t.Cleanup(db.proxy.Restore) // before the processor's shutdown, so that its spool drains

	sc := mustParse(t, oneQuestion)
	var out strings.Builder
	res, err := callsim.Run(context.Background(), sc, callsim.Options{Addr: p.audiosocket, Out: &out})
	if err != nil || !res.Passed {
		t.Fatalf("knowledge-base question with the database stalled: %v %+v\n%s", err, res, out.String())
	}
	// End of speech to the answer's first frame: the 500 ms endpointing,
	// DATABASE_CALL_TIMEOUT (300 ms) and the rest of the turn, well
	// within CALL_TURN_TIMEOUT (6 s), whose end brings the apology.
	latency := res.Turns[0].Latency
	t.Logf("turn latency with the database stalled: %v", latency)
	if latency > 3*time.Second {
		t.Errorf("the answer took %v with the database stalled", latency)
	}
	if n := metricValue(t, p.http, `callproc_dependency_errors_total{dependency="database"}`); n == 0 {
		t.Error("the stalled search was not counted as a database error")
	}
}

// TestCallWhileRedisStalls: Redis hangs (connections open, nothing
// answered) from before the call: the call is greeted within its budget,
// goes through its turns, and "what next" is answered from the instance's
// memory, each Redis operation costing at most REDIS_CALL_TIMEOUT.
func TestCallWhileRedisStalls(t *testing.T) {
	_, prefix := redistest.New(t)
	proxy := redistest.Proxy(t)
	const callTimeout = 100 * time.Millisecond // under the client's 500 ms read timeout
	p := startProcessor(t, map[string]string{"REDIS_URL": "redis://" + proxy.Addr() + "/0", "REDIS_PREFIX": prefix,
		"REDIS_CALL_TIMEOUT": callTimeout.String()})
	proxy.Stall()
	t.Cleanup(proxy.Restore) // before the processor's shutdown

	id := uuid.New()
	var out strings.Builder
	res, err := callsim.Run(context.Background(), mustParse(t, twoTurns), callsim.Options{Addr: p.audiosocket, ID: id, Out: &out})
	if err != nil || !res.Passed {
		t.Fatalf("call with Redis stalled: %v %+v\n%s", err, res, out.String())
	}
	// The budget of the first audio frame (CALL_GREETING_BUDGET).
	if res.GreetingLatency > 300*time.Millisecond {
		t.Errorf("greeting after %v with Redis stalled", res.GreetingLatency)
	}
	// One Redis read, then the instance's memory; the margin is for a
	// loaded machine, and stays under the socket's read timeout.
	start := time.Now()
	code, body := apiRequest(t, p, http.MethodGet, "/api/v1/calls/"+id.String()+"/next?field=action", nil, false)
	took := time.Since(start)
	t.Logf("greeting after %v, next answered after %v, with Redis stalled", res.GreetingLatency, took)
	if code != http.StatusOK || strings.TrimSpace(body) != "hangup" || took > callTimeout+300*time.Millisecond {
		t.Errorf("next with Redis stalled: %d %q after %v", code, body, took)
	}
	if n := metricValue(t, p.http, `callproc_dependency_errors_total{dependency="redis"}`); n == 0 {
		t.Error("no Redis errors counted")
	}
}
