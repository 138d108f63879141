package storemock

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/tirevoice/assistant/internal/httpjson"
	"github.com/tirevoice/assistant/internal/store"
)

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v) // the client went away; nothing to do
}

// writeError answers with the API's error body: {"status", "error", "message"}.
func writeError(w http.ResponseWriter, e *store.APIError) {
	writeJSON(w, e.Status, e)
}

func apiError(status int, code, format string, a ...any) *store.APIError {
	return &store.APIError{Status: status, Code: code, Message: fmt.Sprintf(format, a...)}
}

func badRequest(format string, a ...any) *store.APIError {
	return apiError(http.StatusBadRequest, "bad_request", format, a...)
}

func notFound(format string, a ...any) *store.APIError {
	return apiError(http.StatusNotFound, "not_found", format+" not found", a...)
}

func unprocessable(format string, a ...any) *store.APIError {
	return apiError(http.StatusUnprocessableEntity, "invalid_slot", format, a...)
}

// decodeBody reads r's JSON body into v strictly (httpjson.Decode): at
// most limit bytes, no unknown fields, exactly one value, and a JSON
// content type if one is named. Errors: 413, 415 or 400.
func decodeBody(w http.ResponseWriter, r *http.Request, limit int64, v any) *store.APIError {
	if e := httpjson.Decode(w, r, limit, v); e != nil {
		return &store.APIError{Status: e.Status, Code: e.Code, Message: e.Message}
	}
	return nil
}

// queryParams returns r's query, refusing names not in allowed and names
// given twice, so that a misspelt filter is an error rather than ignored.
func queryParams(r *http.Request, allowed ...string) (url.Values, *store.APIError) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, badRequest("query: %v", err)
	}
	for k, vs := range q {
		if !slices.Contains(allowed, k) {
			return nil, badRequest("unknown query parameter %q (allowed: %s)", k, strings.Join(allowed, ", "))
		}
		if len(vs) > 1 {
			return nil, badRequest("query parameter %q given %d times", k, len(vs))
		}
	}
	return q, nil
}
