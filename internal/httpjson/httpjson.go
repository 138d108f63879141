// Package httpjson holds what this module's JSON HTTP servers (the
// call-processor API and the Store API mock) share below their own error
// bodies: the limits on their connections and requests (Limits), how an
// *http.ServeMux would answer a request that no route matches, and strict
// decoding of a JSON request body. Each server writes the answers in its
// own error format.
package httpjson

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// Unmatched reports how mux would answer r when none of its patterns
// matches r: http.StatusNotFound, http.StatusMethodNotAllowed with allow
// (the methods its Allow header would name), or a redirect for an unclean
// path (mux sends it to the clean one first). For a request that a pattern
// matches, status is 0. The servers answer 404 and 405 in their own format
// and leave the rest to mux.ServeHTTP.
func Unmatched(mux *http.ServeMux, r *http.Request) (status int, allow string) {
	h, pattern := mux.Handler(r)
	if pattern != "" {
		return 0, ""
	}
	probe := &statusProbe{header: http.Header{}}
	h.ServeHTTP(probe, r)
	return probe.status, probe.header.Get("Allow")
}

// statusProbe records what a handler would answer and discards the body.
type statusProbe struct {
	header http.Header
	status int
}

func (p *statusProbe) Header() http.Header { return p.header }

func (p *statusProbe) WriteHeader(code int) {
	if p.status == 0 {
		p.status = code
	}
}

func (p *statusProbe) Write(b []byte) (int, error) {
	p.WriteHeader(http.StatusOK)
	return len(b), nil
}

// Error is a request body that Decode refused: the status to answer, a
// machine-readable code and an English message for the client.
type Error struct {
	Status  int    // 400, 413 or 415
	Code    string // "bad_request", "payload_too_large" or "unsupported_media_type"
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message)
}

// Decode reads r's JSON body into v strictly: at most limit bytes, no
// unknown fields, exactly one value, and a JSON content type if one is
// named. It returns nil or the answer the request deserves: 415
// unsupported_media_type, 413 payload_too_large or 400 bad_request. w is
// the response being written: http.MaxBytesReader closes the connection
// after an oversized body through it.
func Decode(w http.ResponseWriter, r *http.Request, limit int64, v any) *Error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return &Error{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type",
				Message: fmt.Sprintf("Content-Type %q: want application/json", ct)}
		}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("data after the JSON value")
	}
	var tooBig *http.MaxBytesError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &tooBig):
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: "payload_too_large", Message: fmt.Sprintf("body over %d bytes", limit)}
	case errors.Is(err, io.EOF):
		return &Error{Status: http.StatusBadRequest, Code: "bad_request", Message: "empty body: want a JSON object"}
	}
	return &Error{Status: http.StatusBadRequest, Code: "bad_request", Message: "body: " + strings.TrimPrefix(err.Error(), "json: ")}
}
