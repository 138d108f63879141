package spool_test

import (
	"fmt"
	"testing"

	"github.com/tirevoice/assistant/internal/spool"
)

// BenchmarkPut is the call's side of writing a record: JSON, fsync,
// rename, fsync of the directory. The sink is down, so nothing is taken
// out meanwhile.
func BenchmarkPut(b *testing.B) {
	s, err := spool.Open(spool.Config{Dir: b.TempDir(), MaxRecords: 1 << 30, MaxBytes: 1 << 40}, newSink(false))
	if err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		i++
		if err := s.Put(record(fmt.Sprintf("00000000-0000-4000-8000-%012d", i), "completed")); err != nil {
			b.Fatal(err)
		}
	}
}
