package live

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// clock is a fake clock that tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func session(id string, started time.Duration) Session {
	return Session{
		ID:           id,
		Caller:       "+79161234567",
		Called:       "+74951112233",
		State:        StateListening,
		Instance:     "proc-1",
		Started:      t0.Add(started),
		LastActivity: t0.Add(started + 5*time.Second),
		Turn:         2,
	}
}

// testStore checks the behaviour every Store shares. newStore returns an
// empty store.
func testStore(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()

	t.Run("registration", func(t *testing.T) {
		s := newStore(t)
		r := Registration{ID: "c1", Caller: "+79161234567", Called: "+74951112233", At: t0}
		if err := s.Register(ctx, r); err != nil {
			t.Fatal(err)
		}
		got, err := s.Registration(ctx, "c1")
		if err != nil {
			t.Fatal(err)
		}
		if !sameRegistration(got, r) {
			t.Errorf("Registration = %+v, want %+v", got, r)
		}
		if _, err := s.Registration(ctx, "c2"); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown registration: err = %v, want ErrNotFound", err)
		}
	})

	t.Run("sessions oldest first", func(t *testing.T) {
		s := newStore(t)
		for _, ss := range []Session{
			session("b", 2*time.Second),
			session("z", 0),
			session("a", 2*time.Second), // same start as b: by id
			session("m", time.Second),
		} {
			if err := s.Update(ctx, ss); err != nil {
				t.Fatal(err)
			}
		}
		// An update replaces the session and keeps its place.
		m := session("m", time.Second)
		m.State, m.Turn = StateSpeaking, 3
		if err := s.Update(ctx, m); err != nil {
			t.Fatal(err)
		}
		got, err := s.Sessions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ids := sessionIDs(got); ids != "z m a b" {
			t.Errorf("Sessions = %q, want %q", ids, "z m a b")
		}
		one, err := s.Session(ctx, "m")
		if err != nil {
			t.Fatal(err)
		}
		if !sameSession(one, m) {
			t.Errorf("Session = %+v, want %+v", one, m)
		}
		if _, err := s.Session(ctx, "x"); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown session: err = %v, want ErrNotFound", err)
		}
	})

	t.Run("end", func(t *testing.T) {
		s := newStore(t)
		for _, ss := range []Session{session("c1", 0), session("c2", time.Second)} {
			if err := s.Update(ctx, ss); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Next(ctx, "c1"); !errors.Is(err, ErrNotFound) {
			t.Errorf("Next of a live call: err = %v, want ErrNotFound", err)
		}
		want := Next{Action: ActionOperator, Reason: "caller pressed 0", Operator: "queue-tires", Topic: "tires"}
		if err := s.End(ctx, "c1", want); err != nil {
			t.Fatal(err)
		}
		got, err := s.Next(ctx, "c1")
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("Next = %+v, want %+v", got, want)
		}
		if _, err := s.Session(ctx, "c1"); !errors.Is(err, ErrNotFound) {
			t.Errorf("Session of an ended call: err = %v, want ErrNotFound", err)
		}
		all, err := s.Sessions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ids := sessionIDs(all); ids != "c2" {
			t.Errorf("Sessions after End = %q, want %q", ids, "c2")
		}
		// A call that was never live can be ended too (the processor
		// lost it before its first update).
		if err := s.End(ctx, "c3", Next{Action: ActionHangup}); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Next(ctx, "c3"); err != nil || got != (Next{Action: ActionHangup}) {
			t.Errorf("Next = %+v, %v; want hangup", got, err)
		}
		if _, err := s.Next(ctx, "c9"); !errors.Is(err, ErrNotFound) {
			t.Errorf("Next of an unknown call: err = %v, want ErrNotFound", err)
		}
	})

	t.Run("empty", func(t *testing.T) {
		s := newStore(t)
		got, err := s.Sessions(ctx)
		if err != nil || len(got) != 0 {
			t.Errorf("Sessions = %v, %v; want none", got, err)
		}
	})
}

func sameRegistration(a, b Registration) bool {
	return a.ID == b.ID && a.Caller == b.Caller && a.Called == b.Called && a.At.Equal(b.At)
}

func sameSession(a, b Session) bool {
	return a.ID == b.ID && a.Caller == b.Caller && a.Called == b.Called && a.State == b.State &&
		a.Instance == b.Instance && a.Started.Equal(b.Started) &&
		a.LastActivity.Equal(b.LastActivity) && a.Turn == b.Turn
}

func sessionIDs(s []Session) string {
	var out string
	for i, ss := range s {
		if i > 0 {
			out += " "
		}
		out += ss.ID
	}
	return out
}
