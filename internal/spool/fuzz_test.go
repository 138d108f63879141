package spool

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to decode, as a crash or a bad disk may
// leave them in a spool file. Invariants: no panic; every error wraps
// errCorrupt (so the file is set aside, not retried); a record that decodes
// encodes again, and that encoding is a fixed point of decode and encode.
//
// Seeds (whole, truncated and altered record files) are in
// testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := decode(data)
		if err != nil {
			if !errors.Is(err, errCorrupt) {
				t.Fatalf("error %v does not wrap errCorrupt", err)
			}
			return
		}
		if rec == nil {
			t.Fatal("nil record without an error")
		}
		once, err := encode(rec)
		if err != nil {
			t.Fatalf("a decoded record does not encode: %v", err)
		}
		back, err := decode(once)
		if err != nil {
			t.Fatalf("an encoded record does not decode: %v\n%s", err, once)
		}
		twice, err := encode(back)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(once, twice) {
			t.Fatalf("encoding is not stable:\n%s\n%s", once, twice)
		}
	})
}
