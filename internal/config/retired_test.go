package config

import (
	"strings"
	"testing"
)

// TestRetiredIdleTimeout: AUDIOSOCKET_IDLE_TIMEOUT cut off callers whose
// phones send no frames while silent; a deployment that still sets it must
// hear that it is gone rather than keep a limit it believes in.
func TestRetiredIdleTimeout(t *testing.T) {
	env := map[string]string{"AUDIOSOCKET_IDLE_TIMEOUT": "5s"}
	_, err := Load(func(k string) string { return env[k] })
	if err == nil || !strings.Contains(err.Error(), "AUDIOSOCKET_DEAD_PEER_TIMEOUT") {
		t.Fatalf("Load with AUDIOSOCKET_IDLE_TIMEOUT set: %v; want an error naming AUDIOSOCKET_DEAD_PEER_TIMEOUT", err)
	}
	c, err := Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if course := c.Call.NoInputTimeout * 3; c.AudioSocket.DeadPeerTimeout <= course {
		t.Errorf("default AUDIOSOCKET_DEAD_PEER_TIMEOUT %v is not above the no-input course (%v)", c.AudioSocket.DeadPeerTimeout, course)
	}
}
