package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/tirevoice/assistant/internal/httpjson"
)

// maxBody bounds every request body: 1 MiB. A larger one is 413.
const maxBody = 1 << 20

// badRequest answers 400 with the API's error body.
func badRequest(w http.ResponseWriter, format string, a ...any) {
	writeError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf(format, a...))
}

// mediaType returns the media type of r's body, "" when none is named.
func mediaType(r *http.Request) (string, error) {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return "", nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	return mt, err
}

// decodeJSON reads r's JSON body into v strictly (httpjson.Decode): at
// most maxBody bytes, no unknown fields, exactly one value, and a JSON
// content type if one is named. On failure it has answered (413, 415 or
// 400) and returns false.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if e := httpjson.Decode(w, r, maxBody, v); e != nil {
		writeError(w, e.Status, e.Code, e.Message)
		return false
	}
	return true
}

// queryParams returns r's query, refusing names not in allowed and names
// given twice, so that a misspelt filter is an error rather than ignored.
// On failure it has answered 400 and returns false.
func queryParams(w http.ResponseWriter, r *http.Request, allowed ...string) (url.Values, bool) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		badRequest(w, "query: %v", err)
		return nil, false
	}
	for k, vs := range q {
		switch {
		case !slices.Contains(allowed, k):
			badRequest(w, "unknown query parameter %q; this endpoint takes: %s", k, strings.Join(allowed, ", "))
			return nil, false
		case len(vs) > 1:
			badRequest(w, "query parameter %q given %d times", k, len(vs))
			return nil, false
		}
	}
	return q, true
}

// intParam parses query parameter name as an integer in [lo, hi]; absent,
// it is def.
func intParam(q url.Values, name string, def, lo, hi int) (int, error) {
	s := q.Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%s: want an integer from %d to %d", name, lo, hi)
	}
	return n, nil
}

// pathID parses the {id} path value of r: a positive integer.
func pathID(r *http.Request) (int, bool) {
	n, err := strconv.Atoi(r.PathValue("id"))
	return n, err == nil && n > 0
}

// parseCallID accepts a call UUID in its canonical 36-character form (any
// case), as Asterisk's UUID() and AudioSocket give it, and returns it in
// lower case.
func parseCallID(s string) (string, bool) {
	if len(s) != 36 {
		return "", false
	}
	id, err := uuid.Parse(s)
	if err != nil {
		return "", false
	}
	return id.String(), true
}

// phoneRE is a number as the dialplan knows it: digits, an optional
// leading "+", at most 20 digits.
var phoneRE = regexp.MustCompile(`^\+?[0-9]{1,20}$`)

// storeFailed answers 503 storage_unavailable for a store that failed and
// logs the error, unless the client went away first. The error is the
// store's own: it holds no token, and the callers pass no number.
func storeFailed(w http.ResponseWriter, r *http.Request, log *slog.Logger, what string, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return // nobody to answer
	}
	log.Error(what, "method", r.Method, "path", r.URL.Path, "err", err)
	writeError(w, http.StatusServiceUnavailable, "storage_unavailable", "the store did not answer; try again")
}

// notConfigured answers 503 not_configured on every request: the instance
// runs without the store the endpoint needs.
func notConfigured(what string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusServiceUnavailable, "not_configured", what+" is not configured on this instance")
	})
}
