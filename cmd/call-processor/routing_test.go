package main

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/uuid"

	"github.com/tirevoice/assistant/internal/callsim"
)

// TestOperatorRouting is the dialplan's view of a handed-over call: the
// "what next" answer names the queue the routing rule gives the call's
// topic (OPERATOR_QUEUES), or the default queue (OPERATOR_QUEUE_DEFAULT),
// and the topic itself, for the operator's phone.
func TestOperatorRouting(t *testing.T) {
	p := startProcessor(t, map[string]string{
		"OPERATOR_QUEUE_DEFAULT": "front",
		"OPERATOR_QUEUES":        "orders=orders,fitting=fitting,complaints=senior",
	})
	for _, tc := range []struct {
		name, script, want string
	}{
		{"an angry caller goes to the complaints queue", `
steps:
  - expect: "Чем могу помочь"
  - say: "Да вы меня не понимаете!"
  - expect: "оператором"
  - expect_hangup: true
`, "operator\ncaller is frustrated\nsenior\ncomplaints\n"},
		{"a request for a person during a booking goes to fitting", `
steps:
  - expect: "Чем могу помочь"
  - say: "Запишите меня на шиномонтаж."
  - expect: "В каком городе"
  - say: "Соедините меня с живым человеком."
  - expect: "оператором"
  - expect_hangup: true
`, "operator\ncaller asked for a human\nfitting\nfitting\n"},
		{"0 pressed goes to the default queue as general", `
steps:
  - expect: "Чем могу помочь"
  - dtmf: "0"
  - expect: "оператор"
  - expect_hangup: true
`, "operator\ncaller pressed 0\nfront\ngeneral\n"},
		{"a goodbye hangs up with no queue and no topic", `
steps:
  - expect: "Чем могу помочь"
  - say: "Спасибо, до свидания."
  - expect: "свидания"
  - expect_hangup: true
`, "hangup\ncaller said goodbye\n\n\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := uuid.New()
			if code, body := apiRequest(t, p, http.MethodPost, "/api/v1/calls",
				url.Values{"uuid": {id.String()}, "caller": {"+79035551234"}, "called": {"5000"}}, false); code != http.StatusCreated {
				t.Fatalf("register: %d %s", code, body)
			}
			sc, err := callsim.Parse([]byte(tc.script))
			if err != nil {
				t.Fatal(err)
			}
			res, err := callsim.Run(context.Background(), sc, callsim.Options{Addr: p.audiosocket, ID: id})
			if err != nil || !res.Passed {
				t.Fatalf("call: %v %+v", err, res)
			}
			code, body := apiRequest(t, p, http.MethodGet, "/api/v1/calls/"+id.String()+"/next", nil, false)
			if code != http.StatusOK || body != tc.want {
				t.Errorf("next: %d %q, want 200 %q", code, body, tc.want)
			}
		})
	}
}
