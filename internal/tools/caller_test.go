package tools

import (
	"context"
	"testing"
)

func TestNewCallerTakesOnlyPhoneNumbers(t *testing.T) {
	for registered, want := range map[string]string{
		"+79161234567": "+79161234567",
		"89161234567":  "+79161234567",
		"79161234567":  "+79161234567",
		"":             "",
		"anonymous":    "",
		"101":          "", // an internal extension is no phone to look orders up by
	} {
		if got := NewCaller(registered).Phone(); got != want {
			t.Errorf("NewCaller(%q).Phone() = %q, want %q", registered, got, want)
		}
	}
}

func TestCallerState(t *testing.T) {
	c := NewCaller("+79161234567")
	if c.Verified("100001") {
		t.Fatal("verified before anything was proved")
	}
	c.MarkVerified("100001")
	if !c.Verified("100001") || c.Verified("100002") {
		t.Error("verified orders")
	}
	if n := c.ProofFailed(); n != 1 || c.FailedProofs() != 1 {
		t.Errorf("failed proofs %d, %d", n, c.FailedProofs())
	}

	c.NextTurn()
	c.ReadBack("+79035551234")
	if c.ReadBackBefore("+79035551234") {
		t.Error("confirmed in the turn of the read-back")
	}
	c.NextTurn()
	if !c.ReadBackBefore("+79035551234") || c.ReadBackBefore("+79035559999") || c.ReadBackBefore("") {
		t.Error("confirmation in the next turn")
	}
}

// TestNilCallerKnowsNothing: a context without a Caller is a withheld
// number that has proved nothing and cannot prove anything.
func TestNilCallerKnowsNothing(t *testing.T) {
	c := CallerFrom(context.Background())
	if c != nil {
		t.Fatal("a Caller out of nowhere")
	}
	c.MarkVerified("100001")
	c.NextTurn()
	c.ReadBack("+79035551234")
	c.NextTurn()
	if c.Phone() != "" || c.Verified("100001") || c.ReadBackBefore("+79035551234") || c.FailedProofs() < 3 || c.ProofFailed() < 3 {
		t.Error("a nil Caller holds state")
	}
	own := NewCaller("+79161234567")
	if CallerFrom(WithCaller(context.Background(), own)) != own {
		t.Error("WithCaller/CallerFrom")
	}
}
