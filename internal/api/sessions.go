package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/tirevoice/assistant/internal/live"
)

// SessionView is a call in progress as the API shows it. Numbers are
// shown in full: the API is behind the token.
type SessionView struct {
	ID           string    `json:"id"`
	Caller       string    `json:"caller"`
	Called       string    `json:"called"`
	State        string    `json:"state"`
	Instance     string    `json:"instance"` // the processor instance that holds the call
	Started      time.Time `json:"started"`
	LastActivity time.Time `json:"last_activity"`
	Turn         int       `json:"turn"` // turns completed so far
}

// SessionList is the answer of GET /api/v1/live.
type SessionList struct {
	Sessions []SessionView `json:"sessions"` // oldest first
}

func sessionView(s live.Session) SessionView {
	return SessionView{
		ID: s.ID, Caller: s.Caller, Called: s.Called, State: s.State, Instance: s.Instance,
		Started: s.Started, LastActivity: s.LastActivity, Turn: s.Turn,
	}
}

// handleLiveCalls lists the calls in progress on every instance.
func handleLiveCalls(d Deps) http.Handler {
	if d.Live == nil {
		return notConfigured("the live call state")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ss, err := d.Live.Sessions(r.Context())
		if err != nil {
			storeFailed(w, r, d.Logger, "listing live calls", err)
			return
		}
		out := SessionList{Sessions: make([]SessionView, 0, len(ss))}
		for _, s := range ss {
			out.Sessions = append(out.Sessions, sessionView(s))
		}
		writeJSON(w, http.StatusOK, out)
	})
}

// handleLiveCall shows one call in progress.
func handleLiveCall(d Deps) http.Handler {
	if d.Live == nil {
		return notConfigured("the live call state")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := parseCallID(r.PathValue("uuid"))
		if !ok {
			writeError(w, http.StatusBadRequest, "bad_uuid", "the call id must be a UUID")
			return
		}
		s, err := d.Live.Session(r.Context(), id)
		switch {
		case errors.Is(err, live.ErrNotFound):
			writeError(w, http.StatusNotFound, "not_found", "no live call with this id")
			return
		case err != nil:
			storeFailed(w, r, d.Logger, "reading a live call", err)
			return
		}
		writeJSON(w, http.StatusOK, sessionView(s))
	})
}
