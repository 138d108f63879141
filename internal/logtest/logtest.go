// Package logtest gives tests a log destination that they read while the
// code under test writes to it from its own goroutines.
package logtest

import (
	"bytes"
	"sync"
)

// Buffer is a bytes.Buffer behind a mutex: the io.Writer of a test's
// slog handler, written by the goroutines of the code under test and read
// by the test at any time. The zero value is ready to use.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p; it never fails.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
