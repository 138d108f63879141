package api

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/tirevoice/assistant/internal/live"
	"github.com/tirevoice/assistant/internal/logging"
	"github.com/tirevoice/assistant/internal/routing"
)

// The dialplan's endpoints: Asterisk registers a call before it connects
// it over AudioSocket (which carries no caller ID), and asks what to do
// once AudioSocket returns (DESIGN.md, "Call flow"). They take no token;
// only the configured networks may call them.

// refuseFunc answers a refused request in an endpoint's own format.
type refuseFunc func(w http.ResponseWriter, r *http.Request, status int, code, msg string)

// allowNets lets a request through only from a connection whose remote
// address is in nets (loopback only when nets is empty). The address is the
// TCP peer's own: X-Forwarded-For and its kin are ignored, since any client
// can send them.
func allowNets(nets []netip.Prefix, log *slog.Logger, refuse refuseFunc, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !fromNets(r.RemoteAddr, nets) {
			log.Warn("dialplan request from a network not allowed", "remote", r.RemoteAddr, "path", r.URL.Path)
			refuse(w, r, http.StatusForbidden, "forbidden", "this network may not call the dialplan endpoints")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// fromNets reports whether remote, a RemoteAddr ("ip:port"), is in nets, or
// a loopback address when nets is empty.
func fromNets(remote string, nets []netip.Prefix) bool {
	ap, err := netip.ParseAddrPort(remote)
	if err != nil {
		return false
	}
	ip := ap.Addr().Unmap().WithZone("")
	if len(nets) == 0 {
		return ip.IsLoopback()
	}
	for _, p := range nets {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// jsonRefusal is refuseFunc for the JSON endpoints.
func jsonRefusal(w http.ResponseWriter, _ *http.Request, status int, code, msg string) {
	writeError(w, status, code, msg)
}

// RegisterRequest is the body of POST /api/v1/calls, as JSON or as a form
// (Asterisk's CURL(url,data) posts application/x-www-form-urlencoded).
type RegisterRequest struct {
	UUID   string `json:"uuid"`   // the call's UUID, as AudioSocket will send it
	Caller string `json:"caller"` // the caller's number; "" or "anonymous" when withheld
	Called string `json:"called"` // the number dialled
}

// Registered is the answer to a registration.
type Registered struct {
	ID     string `json:"id"`
	Status string `json:"status"` // "registered"
}

// handleRegisterCall records who is calling before Asterisk connects the
// call over AudioSocket. Registering a call again replaces its registration.
func handleRegisterCall(d Deps) http.Handler {
	if d.Live == nil {
		return notConfigured("the live call state")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req RegisterRequest
		mt, err := mediaType(r)
		switch {
		case err == nil && mt == "application/x-www-form-urlencoded":
			if !decodeForm(w, r, &req) {
				return
			}
		case err == nil && (mt == "" || mt == "application/json"):
			if !decodeJSON(w, r, &req) {
				return
			}
		default:
			writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type",
				fmt.Sprintf("Content-Type %q: want application/json or application/x-www-form-urlencoded", r.Header.Get("Content-Type")))
			return
		}
		reg, err := registration(req)
		if err != nil {
			badRequest(w, "%v", err)
			return
		}
		reg.At = time.Now()
		if err := d.Live.Register(r.Context(), reg); err != nil {
			storeFailed(w, r, d.Logger, "registering a call", err)
			return
		}
		d.Logger.Info("call registered", "call_id", reg.ID, "caller", logging.MaskPhone(reg.Caller))
		writeJSON(w, http.StatusCreated, Registered{ID: reg.ID, Status: "registered"})
	})
}

// decodeForm reads a form body into req: at most maxBody bytes, the fields
// of RegisterRequest once each and no others. On failure it has answered
// and returns false.
func decodeForm(w http.ResponseWriter, r *http.Request, req *RegisterRequest) bool {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		writeError(w, http.StatusRequestEntityTooLarge, "payload_too_large", fmt.Sprintf("body over %d bytes", maxBody))
		return false
	}
	if err != nil {
		badRequest(w, "body: %v", err)
		return false
	}
	form, err := url.ParseQuery(string(data))
	if err != nil {
		badRequest(w, "body: %v", err)
		return false
	}
	fields := map[string]*string{"uuid": &req.UUID, "caller": &req.Caller, "called": &req.Called}
	for k, vs := range form {
		dst, ok := fields[k]
		switch {
		case !ok:
			badRequest(w, "body: unknown field %q", k)
			return false
		case len(vs) > 1:
			badRequest(w, "body: field %q given %d times", k, len(vs))
			return false
		}
		*dst = vs[0]
	}
	return true
}

// registration checks req; an error names the field.
func registration(req RegisterRequest) (live.Registration, error) {
	if req.UUID == "" {
		return live.Registration{}, errors.New("uuid: required")
	}
	id, ok := parseCallID(req.UUID)
	if !ok {
		return live.Registration{}, errors.New("uuid: want a UUID such as 6ba7b810-9dad-11d1-80b4-00c04fd430c8")
	}
	caller, err := dialplanNumber("caller", req.Caller)
	if err != nil {
		return live.Registration{}, err
	}
	called, err := dialplanNumber("called", req.Called)
	if err != nil {
		return live.Registration{}, err
	}
	return live.Registration{ID: id, Caller: caller, Called: called}, nil
}

// dialplanNumber checks a number as the dialplan sends it: digits with an
// optional leading "+", at most 20 of them; empty or "anonymous" (any
// case) when withheld, which becomes "": an unknown number.
func dialplanNumber(field, s string) (string, error) {
	if s == "" || strings.EqualFold(s, "anonymous") {
		return "", nil
	}
	if !phoneRE.MatchString(s) {
		return "", fmt.Errorf("%s: want digits with an optional leading +, at most 20, or anonymous", field)
	}
	return s, nil
}

// Fields of the "what next" answer, for ?field=.
const (
	fieldAction   = "action"
	fieldReason   = "reason"
	fieldOperator = "operator"
	fieldTopic    = "topic"
)

// handleNext tells the dialplan what to do with a call the processor has
// let go of, in plain text that Asterisk's CURL() can branch on: the
// action ("hangup" or "operator") on the first line, the reason on the
// second, the operators queue chosen by the routing rule on the third
// (empty: the dialplan's default), the topic on the fourth (empty for a
// hangup); ?field= answers one of them alone. Lines are only ever added
// at the end, so a dialplan reading the first ones keeps working.
//
// CURL() returns the body whatever the status, so every answer, errors
// included, has this shape and says "operator" when the processor cannot
// say better: a human should take a call the assistant cannot account for.
// A call still live or unknown is 404 with action operator.
func handleNext(d Deps) http.Handler {
	if d.Live == nil {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			writeNextError(w, r, http.StatusServiceUnavailable, "not_configured", "live call state not configured")
		})
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err == nil {
			for k, vs := range q {
				if k != "field" || len(vs) > 1 {
					err = fmt.Errorf("query: only one parameter, field, is taken")
					break
				}
			}
		}
		if err == nil {
			switch q.Get("field") {
			case "", fieldAction, fieldReason, fieldOperator, fieldTopic:
			default:
				err = errors.New("field: want action, reason, operator or topic")
			}
		}
		if err != nil {
			writeNext(w, http.StatusBadRequest, "", live.Next{Action: live.ActionOperator, Reason: err.Error(), Topic: string(routing.TopicGeneral)})
			return
		}
		id, ok := parseCallID(r.PathValue("uuid"))
		if !ok {
			writeNextError(w, r, http.StatusBadRequest, "bad_uuid", "the call id must be a UUID")
			return
		}
		next, err := d.Live.Next(r.Context(), id)
		switch {
		case errors.Is(err, live.ErrNotFound):
			writeNextError(w, r, http.StatusNotFound, "not_found", notDone(r, d.Live, id))
			return
		case err != nil:
			d.Logger.Error("reading what next", "call_id", id, "err", err)
			writeNextError(w, r, http.StatusServiceUnavailable, "storage_unavailable", "live call state unavailable")
			return
		}
		if next.Action != live.ActionHangup {
			next.Action = live.ActionOperator // anything else is not the dialplan's to interpret
			if _, ok := routing.ParseTopic(next.Topic); !ok {
				next.Topic = string(routing.TopicGeneral)
			}
		}
		writeNext(w, http.StatusOK, q.Get("field"), next)
	})
}

// notDone says why a call has no answer yet, for the 404's reason line.
func notDone(r *http.Request, s live.Store, id string) string {
	if _, err := s.Session(r.Context(), id); err == nil {
		return "call still in progress"
	}
	if _, err := s.Registration(r.Context(), id); err == nil {
		return "call registered but not connected"
	}
	return "unknown call"
}

// writeNextError answers a dialplan "what next" request that failed: the
// action is operator, the reason says why. It is a refuseFunc.
func writeNextError(w http.ResponseWriter, r *http.Request, status int, _, msg string) {
	field := r.URL.Query().Get("field")
	switch field {
	case fieldAction, fieldReason, fieldOperator, fieldTopic:
	default:
		field = ""
	}
	writeNext(w, status, field, live.Next{Action: live.ActionOperator, Reason: msg, Topic: string(routing.TopicGeneral)})
}

// writeNext writes n as plain text: the four lines, or the one field.
// Each line ends in "\n" (CURL() trims it).
func writeNext(w http.ResponseWriter, status int, field string, n live.Next) {
	reason, operator, topic := oneLine(n.Reason), oneLine(n.Operator), oneLine(n.Topic)
	var body string
	switch field {
	case fieldAction:
		body = n.Action + "\n"
	case fieldReason:
		body = reason + "\n"
	case fieldOperator:
		body = operator + "\n"
	case fieldTopic:
		body = topic + "\n"
	default:
		body = n.Action + "\n" + reason + "\n" + operator + "\n" + topic + "\n"
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body) // the client went away; nothing to do
}

// oneLine replaces control characters, line breaks among them, with
// spaces, so that a value cannot break the answer's lines.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}
