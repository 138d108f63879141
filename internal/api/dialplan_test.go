package api

import (
	"context"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tirevoice/assistant/internal/live"
)

func TestRegisterCall(t *testing.T) {
	e := newEnv(t, envOptions{})
	form := "application/x-www-form-urlencoded"
	tests := []struct {
		name               string
		body, contentType  string
		bad                bool
		want               int
		errCode            string
		wantCaller, called string
	}{
		{name: "json", body: `{"uuid":"%s","caller":"+79161234567","called":"84951234567"}`,
			want: 201, wantCaller: "+79161234567", called: "84951234567"},
		{name: "form, as Asterisk's CURL posts it", contentType: form,
			body: "uuid=%s&caller=" + url.QueryEscape("+79161234567") + "&called=100",
			want: 201, wantCaller: "+79161234567", called: "100"},
		{name: "json with a charset", contentType: "application/json; charset=utf-8", body: `{"uuid":"%s","caller":"89161234567"}`,
			want: 201, wantCaller: "89161234567"},
		{name: "uuid in upper case", body: `{"uuid":"UPPER","caller":"anonymous"}`, want: 201},
		{name: "anonymous, any case", contentType: form, body: "uuid=%s&caller=Anonymous&called=", want: 201},
		{name: "no numbers", body: `{"uuid":"%s"}`, want: 201},
		{name: "no uuid", body: `{"caller":"+79161234567"}`, bad: true, want: 400, errCode: "bad_request"},
		{name: "bad uuid", body: `{"uuid":"1;drop"}`, bad: true, want: 400, errCode: "bad_request"},
		{name: "uuid without dashes", body: `{"uuid":"6ba7b8109dad11d180b400c04fd430c8"}`, bad: true, want: 400, errCode: "bad_request"},
		{name: "caller with letters", body: `{"uuid":"%s","caller":"+7916abc"}`, bad: true, want: 400, errCode: "bad_request"},
		{name: "caller too long", body: `{"uuid":"%s","caller":"+123456789012345678901"}`, bad: true, want: 400, errCode: "bad_request"},
		{name: "form plus not encoded", contentType: form, body: "uuid=%s&caller=+79161234567", bad: true, want: 400, errCode: "bad_request"},
		{name: "called with a space", body: `{"uuid":"%s","called":"8 495"}`, bad: true, want: 400, errCode: "bad_request"},
		{name: "unknown json field", body: `{"uuid":"%s","channel":"PJSIP/1"}`, bad: true, want: 400, errCode: "bad_request"},
		// kin-openapi does not hold form fields to additionalProperties.
		{name: "unknown form field", contentType: form, body: "uuid=%s&channel=x", want: 400, errCode: "bad_request"},
		{name: "form field twice", contentType: form, body: "uuid=%s&caller=1&caller=2", want: 400, errCode: "bad_request"},
		{name: "not json", body: `uuid=%s`, bad: true, want: 400, errCode: "bad_request"},
		{name: "empty body", contentType: "application/json", bad: true, want: 400, errCode: "bad_request"},
		{name: "text", contentType: "text/plain", body: "%s", bad: true, want: 415, errCode: "unsupported_media_type"},
		{name: "too large json", body: `{"uuid":"%s","called":"` + strings.Repeat("1", maxBody) + `"}`, bad: true, want: 413, errCode: "payload_too_large"},
		{name: "too large form", contentType: form, body: "uuid=%s&called=" + strings.Repeat("1", maxBody), bad: true, want: 413, errCode: "payload_too_large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := uuid.New().String()
			body := tt.body
			if strings.Contains(body, "UPPER") {
				body = strings.Replace(body, "UPPER", strings.ToUpper(id), 1)
			} else if strings.Contains(body, "%s") {
				body = strings.Replace(body, "%s", id, 1)
			}
			rq := request{method: "POST", path: "/api/v1/calls", body: body, contentType: tt.contentType, bad: tt.bad}
			if tt.name == "empty body" {
				rq.header = map[string]string{"Content-Type": tt.contentType}
			}
			r := e.do(t, rq)
			expect(t, r, tt.want, tt.errCode)
			reg, err := e.live.Registration(context.Background(), id)
			if tt.want != http.StatusCreated {
				if err == nil {
					t.Errorf("a refused registration was stored: %+v", reg)
				}
				return
			}
			if got := r.json(t); got["id"] != id || got["status"] != "registered" {
				t.Errorf("answer %s, want id %s", r.body, id)
			}
			if err != nil {
				t.Fatalf("registration not stored: %v", err)
			}
			if reg.Caller != tt.wantCaller || reg.Called != tt.called || reg.At.IsZero() {
				t.Errorf("registration = %+v, want caller %q, called %q", reg, tt.wantCaller, tt.called)
			}
		})
	}
	if logs := e.logs.String(); !strings.Contains(logs, `"caller":"+7********67"`) {
		t.Errorf("no registration log line with the masked caller:\n%s", logs)
	}
}

func TestDialplanNetworks(t *testing.T) {
	reg := func(e *env, header map[string]string) response {
		return e.do(t, request{method: "POST", path: "/api/v1/calls", header: header,
			body: `{"uuid":"` + uuid.New().String() + `","caller":"` + testCaller + `"}`})
	}
	next := func(e *env, query string) response {
		return e.do(t, request{method: "GET", path: "/api/v1/calls/" + uuid.New().String() + "/next" + query})
	}

	// The Asterisk hosts are elsewhere; the test client, on 127.0.0.1, is not one.
	elsewhere := newEnv(t, envOptions{nets: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}})
	expect(t, reg(elsewhere, nil), http.StatusForbidden, "forbidden")
	expect(t, reg(elsewhere, map[string]string{"X-Forwarded-For": "10.1.2.3", "X-Real-IP": "10.1.2.3"}), http.StatusForbidden, "forbidden")
	r := next(elsewhere, "")
	expect(t, r, http.StatusForbidden, "")
	if !strings.HasPrefix(string(r.body), "operator\n") {
		t.Errorf("next refused: %q, want operator first", r.body)
	}
	if r = next(elsewhere, "?field=action"); string(r.body) != "operator\n" {
		t.Errorf("next?field=action refused: %q, want operator alone", r.body)
	}
	if sessions, _ := elsewhere.live.Sessions(context.Background()); len(sessions) != 0 {
		t.Errorf("sessions after refused requests: %v", sessions)
	}
	if !strings.Contains(elsewhere.logs.String(), "dialplan request from a network not allowed") {
		t.Errorf("refusals not logged:\n%s", elsewhere.logs.String())
	}

	// The loopback network named explicitly, and by default.
	here := newEnv(t, envOptions{nets: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("127.0.0.0/8")}})
	expect(t, reg(here, nil), http.StatusCreated, "")
	expect(t, next(here, ""), http.StatusNotFound, "")
	byDefault := newEnv(t, envOptions{})
	expect(t, reg(byDefault, nil), http.StatusCreated, "")
}

func TestFromNets(t *testing.T) {
	asterisk := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	tests := []struct {
		remote string
		nets   []netip.Prefix
		want   bool
	}{
		{"10.1.2.3:5000", asterisk, true},
		{"[::ffff:10.1.2.3]:5000", asterisk, true},
		{"[fd00::5]:5000", asterisk, true},
		{"127.0.0.1:5000", asterisk, false},
		{"192.168.1.1:5000", asterisk, false},
		{"127.0.0.1:5000", nil, true},
		{"127.8.9.10:5000", nil, true},
		{"[::1]:5000", nil, true},
		{"[::ffff:127.0.0.1]:5000", nil, true},
		{"10.1.2.3:5000", nil, false},
		{"[fe80::1%eth0]:5000", []netip.Prefix{netip.MustParsePrefix("fe80::/10")}, true},
		{"10.1.2.3", asterisk, false},
		{"", nil, false},
		{"@", nil, false},
	}
	for _, tt := range tests {
		if got := fromNets(tt.remote, tt.nets); got != tt.want {
			t.Errorf("fromNets(%q, %v) = %v, want %v", tt.remote, tt.nets, got, tt.want)
		}
	}
}

func TestNext(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	transferred, finished, talking, registered, unknown := uuid.New().String(), uuid.New().String(), uuid.New().String(), uuid.New().String(), uuid.New().String()
	unrouted := uuid.New().String()
	now := time.Now()
	for _, id := range []string{transferred, finished, talking, registered, unrouted} {
		if err := e.live.Register(ctx, live.Registration{ID: id, Caller: testCaller, At: now}); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{transferred, finished, talking, unrouted} {
		if err := e.live.Update(ctx, live.Session{ID: id, Caller: testCaller, State: live.StateListening, Started: now, LastActivity: now}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.live.End(ctx, transferred, live.Next{Action: live.ActionOperator, Reason: "caller pressed 0\r\nX-Injected: yes", Operator: "orders", Topic: "orders"}); err != nil {
		t.Fatal(err)
	}
	// An answer stored without a queue or topic (an older instance, an
	// unclassified transfer): the dialplan's default queue, general.
	if err := e.live.End(ctx, unrouted, live.Next{Action: live.ActionOperator, Reason: "providers failed twice in a row"}); err != nil {
		t.Fatal(err)
	}
	if err := e.live.End(ctx, finished, live.Next{Action: live.ActionHangup, Reason: "caller said goodbye"}); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, id, query string
		bad             bool
		want            int
		body            string
	}{
		{"operator", transferred, "", false, 200, "operator\ncaller pressed 0  X-Injected: yes\norders\norders\n"},
		{"operator, action", transferred, "?field=action", false, 200, "operator\n"},
		{"operator, reason", transferred, "?field=reason", false, 200, "caller pressed 0  X-Injected: yes\n"},
		{"operator, queue", transferred, "?field=operator", false, 200, "orders\n"},
		{"operator, topic", transferred, "?field=topic", false, 200, "orders\n"},
		{"operator without a queue or topic", unrouted, "", false, 200, "operator\nproviders failed twice in a row\n\ngeneral\n"},
		{"hangup", finished, "", false, 200, "hangup\ncaller said goodbye\n\n\n"},
		{"hangup, topic", finished, "?field=topic", false, 200, "\n"},
		{"hangup, action", finished, "?field=action", false, 200, "hangup\n"},
		{"hangup, operator", finished, "?field=operator", false, 200, "\n"},
		{"hangup, upper-case uuid", strings.ToUpper(finished), "?field=action", false, 200, "hangup\n"},
		{"still live", talking, "", false, 404, "operator\ncall still in progress\n\ngeneral\n"},
		{"still live, action", talking, "?field=action", false, 404, "operator\n"},
		{"registered, never connected", registered, "", false, 404, "operator\ncall registered but not connected\n\ngeneral\n"},
		{"unknown", unknown, "", false, 404, "operator\nunknown call\n\ngeneral\n"},
		{"unknown, reason", unknown, "?field=reason", false, 404, "unknown call\n"},
		{"unknown, operator", unknown, "?field=operator", false, 404, "\n"},
		{"bad uuid", "not-a-uuid", "", true, 400, "operator\nthe call id must be a UUID\n\ngeneral\n"},
		{"bad uuid, action", "not-a-uuid", "?field=action", true, 400, "operator\n"},
		{"bad field", finished, "?field=everything", true, 400, "operator\nfield: want action, reason, operator or topic\n\ngeneral\n"},
		{"unknown parameter", finished, "?format=json", false, 400, "operator\nquery: only one parameter, field, is taken\n\ngeneral\n"},
		{"field twice", finished, "?field=action&field=reason", false, 400, "operator\nquery: only one parameter, field, is taken\n\ngeneral\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(t, request{method: "GET", path: "/api/v1/calls/" + tt.id + "/next" + tt.query, bad: tt.bad})
			if r.code != tt.want || string(r.body) != tt.body {
				t.Errorf("%d %q, want %d %q", r.code, r.body, tt.want, tt.body)
			}
			if ct := r.header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
}
