package googleapi

import (
	"errors"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestUnavailableOnce: Unavailable is retried once after the delay; any
// other error, and a second Unavailable, is not. (The providers' tests
// check the whole policy against their fake servers.)
func TestUnavailableOnce(t *testing.T) {
	unavailable := status.Error(codes.Unavailable, "try later")
	tests := []struct {
		name string
		errs []error
		want []bool
	}{
		{"unavailable twice", []error{unavailable, unavailable}, []bool{true, false}},
		{"deadline", []error{status.Error(codes.DeadlineExceeded, "slow")}, []bool{false}},
		{"not a status", []error{errors.New("boom")}, []bool{false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &unavailableOnce{left: 1, delay: 70 * time.Millisecond}
			for i, err := range tt.errs {
				d, ok := r.Retry(err)
				if ok != tt.want[i] || (ok && d != 70*time.Millisecond) {
					t.Errorf("Retry #%d (%v) = %v, %v; want retry %v after 70ms", i+1, err, d, ok, tt.want[i])
				}
			}
		})
	}
}
