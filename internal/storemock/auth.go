package storemock

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// scope is what a token may do.
type scope int

const (
	scopeNone  scope = iota
	scopeShop        // the shop endpoints
	scopeAdmin       // the shop endpoints and /api/v1/admin/*
)

// requireScope returns a middleware that lets a request through only with
// a bearer token of at least want: no or an unknown token is 401, the shop
// token on an admin endpoint is 403. Tokens are compared in constant time
// (over their SHA-256, so their lengths do not leak either).
func requireScope(d Deps, want scope) func(http.Handler) http.Handler {
	shop, admin := sha256.Sum256([]byte(d.Token)), sha256.Sum256([]byte(d.AdminToken))
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got := scopeNone
			if tok, ok := bearer(r); ok {
				sum := sha256.Sum256([]byte(tok))
				isAdmin := subtle.ConstantTimeCompare(sum[:], admin[:]) == 1
				isShop := subtle.ConstantTimeCompare(sum[:], shop[:]) == 1
				switch {
				case isAdmin && d.AdminToken != "":
					got = scopeAdmin
				case isShop && d.Token != "":
					got = scopeShop
				}
			}
			switch {
			case got == scopeNone:
				w.Header().Set("WWW-Authenticate", `Bearer realm="store-api"`)
				writeError(w, apiError(http.StatusUnauthorized, "unauthorized", "missing or invalid bearer token"))
			case got < want:
				writeError(w, apiError(http.StatusForbidden, "forbidden", "this token may not use %s", r.URL.Path))
			default:
				next.ServeHTTP(w, r)
			}
		})
	}
}

// bearer returns the token of an "Authorization: Bearer <token>" header.
func bearer(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	tok = strings.TrimSpace(tok)
	return tok, ok && strings.EqualFold(scheme, "Bearer") && tok != ""
}
