package callsim

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/tirevoice/assistant/internal/api"
	"github.com/tirevoice/assistant/internal/live"
)

// startDialplanAPI serves the processor's real HTTP surface over an
// in-memory live store, for its registration endpoint.
func startDialplanAPI(t *testing.T) (string, *live.Memory) {
	t.Helper()
	store := live.NewMemory(live.MemoryOptions{})
	srv := httptest.NewServer(api.NewServer(api.Deps{Live: store}))
	t.Cleanup(srv.Close)
	return srv.URL, store
}

// TestScenarioCallerIsRegistered: a scenario's caller reaches the
// processor's registration before the call, by the call's UUID, as the
// dialplan sends it; "anonymous" is registered as a withheld number.
func TestScenarioCallerIsRegistered(t *testing.T) {
	addr := startProcessor(t)
	apiURL, store := startDialplanAPI(t)
	tests := []struct {
		caller, called string
		want           live.Registration
	}{
		{"+79161234567", "+74951234567", live.Registration{Caller: "+79161234567", Called: "+74951234567"}},
		{"anonymous", "", live.Registration{}},
	}
	for _, tt := range tests {
		t.Run(tt.caller, func(t *testing.T) {
			sc := parse(t, `
caller: "`+tt.caller+`"
called: "`+tt.called+`"
steps:
  - expect: "Здравствуйте"
  - hangup: true
`)
			id := uuid.New()
			res, err := Run(context.Background(), sc, Options{Addr: addr, ID: id, API: apiURL})
			if err != nil || !res.Passed {
				t.Fatalf("Run: %v %+v", err, res)
			}
			reg, err := store.Registration(context.Background(), id.String())
			if err != nil {
				t.Fatalf("no registration for the call: %v", err)
			}
			if reg.ID != id.String() || reg.Caller != tt.want.Caller || reg.Called != tt.want.Called {
				t.Errorf("registered %+v, want caller %q called %q", reg, tt.want.Caller, tt.want.Called)
			}
		})
	}
}

func TestCallerWithoutAPIIsAnError(t *testing.T) {
	sc := parse(t, `
caller: "+79161234567"
steps:
  - hangup: true
`)
	// No address to dial either: the registration must fail first.
	if _, err := Run(context.Background(), sc, Options{Addr: "127.0.0.1:1"}); err == nil || !strings.Contains(err.Error(), "--api") {
		t.Fatalf("Run without --api: %v", err)
	}
}

func TestScenarioChecksCallerAndNever(t *testing.T) {
	for _, bad := range []string{`caller: "+7 916 123"`, `called: "x"`, `never: ["("]`} {
		if _, err := Parse([]byte(bad + "\nsteps:\n  - hangup: true\n")); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

// TestNeverFailsTheRun: a phrase the bot must never say fails the run
// even though every expectation held.
func TestNeverFailsTheRun(t *testing.T) {
	addr := startProcessor(t)
	sc := parse(t, `
never: ["летние"]
steps:
  - expect: "Здравствуйте"
  - say: "Нужны летние шины"
  - expect: "Вы сказали"
  - hangup: true
`)
	res, err := Run(context.Background(), sc, Options{Addr: addr})
	if err != nil {
		t.Fatal(err)
	}
	if res.Passed || !strings.Contains(res.Failure, "never /летние/") {
		t.Errorf("passed %v, failure %q", res.Passed, res.Failure)
	}
}
