package callsim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/tirevoice/assistant/internal/api"
)

// recordWait bounds the wait for the processor to store the finished call.
const recordWait = 10 * time.Second

// checkRecord fetches the call's record from the processor's HTTP API and
// compares it with want. It returns the failure, or "".
func checkRecord(ctx context.Context, opt Options, want *RecordCheck) string {
	if opt.API == "" {
		return "record: the scenario checks the call record but no --api address was given"
	}
	url := strings.TrimRight(opt.API, "/") + "/api/v1/calls/" + opt.ID.String()
	deadline := time.Now().Add(recordWait)
	var view api.CallView
	for {
		code, err := getJSON(ctx, url, opt.APIToken, &view)
		if err == nil && code == http.StatusOK {
			break
		}
		if code != http.StatusNotFound || time.Now().After(deadline) {
			return fmt.Sprintf("record: GET %s: %d %v", url, code, err)
		}
		// The processor stores the call just after the connection closes;
		// poll its API as any client would.
		select {
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
			return "record: " + ctx.Err().Error()
		}
	}
	var ran []string
	for _, t := range view.Turns {
		for _, c := range t.Tools {
			ran = append(ran, c.Name)
		}
	}
	switch {
	case !subsequence(want.Tools, ran):
		return fmt.Sprintf("record: tools %v did not run in order; the bot ran %v", want.Tools, ran)
	case want.Disposition != "" && view.Disposition != want.Disposition:
		return fmt.Sprintf("record: disposition %q, want %q", view.Disposition, want.Disposition)
	case want.Outcome != "" && view.Outcome != want.Outcome:
		return fmt.Sprintf("record: outcome %q, want %q", view.Outcome, want.Outcome)
	}
	return ""
}

func getJSON(ctx context.Context, url, token string, v any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, nil
	}
	return resp.StatusCode, json.NewDecoder(resp.Body).Decode(v)
}

// subsequence reports whether want appears in got in order.
func subsequence(want, got []string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}
