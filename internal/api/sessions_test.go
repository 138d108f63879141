package api

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tirevoice/assistant/internal/live"
)

func TestLiveCalls(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()

	r := e.do(t, request{method: "GET", path: "/api/v1/live", token: testToken})
	expect(t, r, http.StatusOK, "")
	if got := r.json(t)["sessions"].([]any); len(got) != 0 {
		t.Errorf("sessions of an idle instance: %s", r.body)
	}

	older, newer := uuid.New().String(), uuid.New().String()
	start := time.Date(2026, 1, 13, 10, 0, 0, 0, time.UTC)
	for i, id := range []string{newer, older} { // stored newest first; listed oldest first
		s := live.Session{ID: id, Caller: testCaller, Called: "100", State: live.StateSpeaking, Instance: "cp-1",
			Started: start.Add(time.Duration(1-i) * time.Minute), LastActivity: start.Add(2 * time.Minute), Turn: 3}
		if err := e.live.Update(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	r = e.do(t, request{method: "GET", path: "/api/v1/live", token: testToken})
	expect(t, r, http.StatusOK, "")
	got := r.json(t)["sessions"].([]any)
	if len(got) != 2 || got[0].(map[string]any)["id"] != older || got[1].(map[string]any)["id"] != newer {
		t.Errorf("sessions = %s, want %s then %s", r.body, older, newer)
	}

	r = e.do(t, request{method: "GET", path: "/api/v1/live/" + older, token: testToken})
	expect(t, r, http.StatusOK, "")
	if v := r.json(t); v["caller"] != testCaller || v["state"] != live.StateSpeaking || v["instance"] != "cp-1" || v["turn"] != 3.0 {
		t.Errorf("session = %s", r.body)
	}
	expect(t, e.do(t, request{method: "GET", path: "/api/v1/live/" + uuid.New().String(), token: testToken}), http.StatusNotFound, "not_found")
	expect(t, e.do(t, request{method: "GET", path: "/api/v1/live/42", token: testToken, bad: true}), http.StatusBadRequest, "bad_uuid")

	// An ended call leaves the live list.
	if err := e.live.End(ctx, older, live.Next{Action: live.ActionHangup}); err != nil {
		t.Fatal(err)
	}
	expect(t, e.do(t, request{method: "GET", path: "/api/v1/live/" + older, token: testToken}), http.StatusNotFound, "not_found")
}
