package callsim

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// registerTimeout bounds the registration, as the dialplan's CURL options
// do (1 s to connect, 2 s in all).
const registerTimeout = 3 * time.Second

// register tells the processor who is calling before the call connects,
// as Asterisk's dialplan does (asterisk/extensions.conf): POST
// /api/v1/calls with the form uuid, caller and called. AudioSocket carries
// no caller ID; this is where the processor learns the number. Any 2xx
// answer is success.
func register(ctx context.Context, opt Options, sc *Scenario) error {
	if opt.API == "" {
		return fmt.Errorf("the scenario has a caller (%s): registering the call needs the processor's HTTP address (--api)", sc.Caller)
	}
	ctx, cancel := context.WithTimeout(ctx, registerTimeout)
	defer cancel()
	form := url.Values{"uuid": {opt.ID.String()}, "caller": {sc.Caller}, "called": {sc.Called}}
	u := strings.TrimRight(opt.API, "/") + "/api/v1/calls"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("registering the call: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("registering the call: POST %s: %s %s", u, resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}
