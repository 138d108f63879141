package api

import "net/http"

// addRoutes is the whole HTTP surface of call-processor
// (api/call-processor.openapi.yaml describes it). Health and metrics are
// open (the internal network scrapes them); the dialplan endpoints are
// limited to d.DialplanNets; everything else needs the bearer token.
func addRoutes(mux router, d Deps) {
	auth := func(h http.Handler) http.Handler { return requireToken(d.APIToken, h) }
	dialplan := func(h http.Handler) http.Handler { return allowNets(d.DialplanNets, d.Logger, jsonRefusal, h) }
	dialplanText := func(h http.Handler) http.Handler { return allowNets(d.DialplanNets, d.Logger, writeNextError, h) }

	mux.Handle("GET /health", handleHealth())
	mux.Handle("GET /health/ready", handleReady(d))
	mux.Handle("GET /metrics", handleMetrics(d))

	mux.Handle("POST /api/v1/calls", dialplan(handleRegisterCall(d)))
	mux.Handle("GET /api/v1/calls/{uuid}/next", dialplanText(handleNext(d)))

	mux.Handle("GET /api/v1/calls", auth(handleListCalls(d)))
	mux.Handle("GET /api/v1/calls/{uuid}", auth(handleGetCall(d)))

	mux.Handle("GET /api/v1/live", auth(handleLiveCalls(d)))
	mux.Handle("GET /api/v1/live/{uuid}", auth(handleLiveCall(d)))

	mux.Handle("GET /api/v1/kb/articles", auth(handleArticles(d)))
	mux.Handle("GET /api/v1/kb/articles/{id}", auth(handleArticle(d)))
	mux.Handle("POST /api/v1/kb/articles", auth(handleCreateArticle(d)))
	mux.Handle("PUT /api/v1/kb/articles/{id}", auth(handleUpdateArticle(d)))
	mux.Handle("GET /api/v1/kb/search", auth(handleSearchKB(d)))

	mux.Handle("GET /api/v1/operators", auth(handleOperators(d)))
	mux.Handle("GET /api/v1/operators/{id}", auth(handleOperator(d)))
	mux.Handle("POST /api/v1/operators", auth(handleCreateOperator(d)))
	mux.Handle("PUT /api/v1/operators/{id}", auth(handleUpdateOperator(d)))
}
