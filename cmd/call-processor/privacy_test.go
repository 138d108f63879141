package main

import "testing"

// TestProofFailuresAreCounted: the wrong proofs of an order's ownership
// and the lockout that follows reach the service's metrics (the shop tools
// count them through the counters main gives them).
func TestProofFailuresAreCounted(t *testing.T) {
	p := startProcessor(t, nil)
	playFile(t, p, "../../scenarios/order-proof-failures.yaml")
	for series, want := range map[string]float64{
		"callproc_order_proof_failures_total": 3,
		"callproc_order_proof_lockouts_total": 1,
	} {
		if got := metricValue(t, p.http, series); got != want {
			t.Errorf("%s = %g, want %g", series, got, want)
		}
	}
}
