package storemock

// addRoutes is the whole HTTP surface of the Store API mock. Everything
// but /health needs a bearer token; /api/v1/admin/* needs the admin token.
func addRoutes(mux router, d Deps, s *state) {
	shop, admin := requireScope(d, scopeShop), requireScope(d, scopeAdmin)

	mux.Handle("GET /health", handleHealth())

	mux.Handle("GET /api/v1/tires/search", shop(handleSearchTires(s)))
	mux.Handle("GET /api/v1/tires/{id}", shop(handleTire(s)))

	mux.Handle("GET /api/v1/orders", shop(handleOrdersByPhone(s)))
	mux.Handle("GET /api/v1/orders/{id}", shop(handleOrder(s)))
	mux.Handle("POST /api/v1/orders", shop(handleCreateOrder(s, d.MaxBody)))

	mux.Handle("GET /api/v1/stations", shop(handleStations(s)))
	mux.Handle("GET /api/v1/stations/{id}/slots", shop(handleSlots(s)))
	mux.Handle("POST /api/v1/bookings", shop(handleBook(s, d.MaxBody)))

	mux.Handle("GET /api/v1/admin/data", admin(handleExport(s)))
	mux.Handle("PUT /api/v1/admin/data", admin(handleReplace(s, d.Logger, 16*d.MaxBody)))
	mux.Handle("POST /api/v1/admin/reset", admin(handleReset(s, d.Logger, d.Data)))
}
