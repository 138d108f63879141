package call

import (
	"context"
	"sync"
	"time"

	"github.com/tirevoice/assistant/internal/dialog"
	"github.com/tirevoice/assistant/internal/live"
	"github.com/tirevoice/assistant/internal/metrics"
	"github.com/tirevoice/assistant/internal/routing"
)

// Bounds on the live-state store, which may be a remote Redis: a slow or
// dead one costs a call at most these, and never on the audio path. Each
// Redis command within them has its own, shorter deadline
// (REDIS_CALL_TIMEOUT, live.Dial), after which the store answers from
// this instance's memory, so these are rarely reached.
const (
	registrationWait = 300 * time.Millisecond // for the dialplan's registration, before the first turn
	liveWriteTimeout = time.Second            // per session update, on the publisher's goroutine
	endWriteTimeout  = 500 * time.Millisecond // for the "what next" answer, before the hangup frame
	liveRefresh      = 30 * time.Second       // a quiet call's session is renewed this often (its TTL is longer)
)

// presence publishes what the call is doing to the live state, from its own
// goroutine: the supervisor and the player only post the latest state, which
// replaces one not yet written, so they never wait for the store.
type presence struct {
	store live.Store
	ss    *session

	mu      sync.Mutex
	pending *live.Session
	wake    chan struct{}
	done    chan struct{}
	stopped chan struct{}

	regReady chan struct{}     // closed once the registration was looked up
	reg      live.Registration // valid after regReady
}

// startPresence starts publishing the call's state, beginning with a
// lookup of the dialplan's registration. It returns nil without a live
// store; a nil *presence does nothing.
func (ss *session) startPresence() *presence {
	if ss.svc.deps.Live == nil {
		return nil
	}
	p := &presence{
		store: ss.svc.deps.Live, ss: ss,
		wake: make(chan struct{}, 1), done: make(chan struct{}), stopped: make(chan struct{}),
		regReady: make(chan struct{}),
	}
	go p.run()
	return p
}

// registration returns what the dialplan registered for the call (a zero
// value if nothing), waiting at most registrationWait for the lookup.
func (p *presence) registration() live.Registration {
	if p == nil {
		return live.Registration{}
	}
	<-p.regReady
	return p.reg
}

// post publishes the call's state; it never blocks.
func (p *presence) post(state string, turn int) {
	if p == nil {
		return
	}
	s := live.Session{ID: p.ss.rec.ID, State: state, Instance: p.ss.svc.deps.Instance,
		Started: p.ss.started, LastActivity: time.Now(), Turn: turn}
	p.mu.Lock()
	p.pending = &s
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (p *presence) run() {
	defer close(p.stopped)
	ctx, cancel := context.WithTimeout(context.Background(), registrationWait)
	r, err := p.store.Registration(ctx, p.ss.rec.ID)
	cancel()
	if err != nil {
		p.ss.log.Debug("no registration for the call", "err", err)
	}
	p.reg = r
	close(p.regReady)

	refresh := time.NewTicker(liveRefresh)
	defer refresh.Stop()
	var last live.Session
	for {
		select {
		case <-p.done:
			return
		case <-refresh.C:
			if last.ID != "" {
				last.LastActivity = time.Now()
				p.write(last)
			}
		case <-p.wake:
			p.mu.Lock()
			s := p.pending
			p.pending = nil
			p.mu.Unlock()
			if s != nil {
				s.Caller, s.Called = p.reg.Caller, p.reg.Called
				last = *s
				p.write(last)
			}
		}
	}
}

func (p *presence) write(s live.Session) {
	ctx, cancel := context.WithTimeout(context.Background(), liveWriteTimeout)
	defer cancel()
	if err := p.store.Update(ctx, s); err != nil {
		p.ss.log.Debug("live state not updated", "err", err)
	}
}

// end stops publishing and stores the dialplan's answer for the call, so
// that it is there when Asterisk, seeing the hangup, asks for it. A call
// for the operators carries its topic and the queue Deps.Routing gives it.
func (p *presence) end(rec *Record, topic routing.Topic) {
	if p == nil {
		return
	}
	close(p.done)
	<-p.stopped
	next := live.Next{Action: live.ActionHangup, Reason: rec.Reason}
	if rec.Disposition == DispositionOperator {
		next.Action = live.ActionOperator
		next.Topic = string(topic.OrGeneral())
		next.Operator = p.ss.svc.deps.Routing.Queue(topic)
	}
	ctx, cancel := context.WithTimeout(context.Background(), endWriteTimeout)
	defer cancel()
	if err := p.store.End(ctx, rec.ID, next); err != nil {
		p.ss.log.Warn("the dialplan's next step was not stored", "err", err)
	}
}

// begin starts the conversation once the caller's number is known.
func (ss *session) begin() {
	if ss.conv != nil {
		return
	}
	ss.conv = ss.svc.deps.Responder.Begin(dialog.Call{ID: ss.rec.ID, Caller: ss.presence.registration().Caller})
}

// disposition is where an outcome sends the call.
func disposition(outcome string) Disposition {
	if outcome == metrics.OutcomeOperator {
		return DispositionOperator
	}
	return DispositionHangup
}
