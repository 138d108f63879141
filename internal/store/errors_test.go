package store

import (
	"errors"
	"testing"
)

func TestAPIErrorIs(t *testing.T) {
	tests := []struct {
		status int
		code   string
		want   error
	}{
		{404, "not_found", ErrNotFound},
		{409, CodeSlotTaken, ErrConflict},
		{409, CodeInsufficientStock, ErrOutOfStock},
		{400, "bad_request", ErrInvalid},
		{422, "invalid_slot", ErrInvalid},
		{413, "payload_too_large", ErrInvalid},
		{401, "unauthorized", ErrUnauthorized},
		{403, "forbidden", ErrUnauthorized},
		{503, "x", ErrUnavailable},
		{429, "x", ErrUnavailable},
	}
	for _, tt := range tests {
		err := error(&APIError{Status: tt.status, Code: tt.code})
		if !errors.Is(err, tt.want) {
			t.Errorf("%d %s is not %v", tt.status, tt.code, tt.want)
		}
	}
	if errors.Is(&APIError{Status: 409, Code: CodeSlotTaken}, ErrOutOfStock) {
		t.Error("a taken slot is ErrOutOfStock")
	}
}
