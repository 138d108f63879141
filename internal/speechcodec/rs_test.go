package speechcodec

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

func TestGF256(t *testing.T) {
	for a := 1; a < 256; a++ {
		if gfMul(byte(a), gfDiv(1, byte(a))) != 1 {
			t.Fatalf("%d * 1/%d != 1", a, a)
		}
	}
	if gfPow2(8) != 0x1d || gfPow2(255) != 1 {
		t.Fatalf("2^8 = %#x, 2^255 = %#x", gfPow2(8), gfPow2(255))
	}
}

// Within its capacity (2 errors + 1 erasure per parity byte) the decoder
// always restores the codeword; beyond it, it mostly says so.
func TestReedSolomon(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var wrong, refused int
	for trial := range 3000 {
		p := 2 + rng.IntN(maxParity-1)
		n := p + 1 + rng.IntN(255-p)
		cw := make([]byte, n)
		for i := range n - p {
			cw[i] = byte(rng.Uint32())
		}
		rsEncode(cw[:n-p], cw[n-p:])
		var s [maxParity]byte
		if !rsSyndromes(cw, s[:p]) {
			t.Fatalf("trial %d: encoded word is not a codeword", trial)
		}
		beyond := trial%4 == 3
		f := rng.IntN(p + 1)
		e := (p - f) / 2
		if beyond {
			e += 1 + rng.IntN(3)
			f = min(f, p)
		}
		got := bytes.Clone(cw)
		pos := rng.Perm(n)[:min(n, f+e)]
		erased := pos[:min(f, len(pos))]
		for _, j := range pos {
			got[j] ^= byte(1 + rng.IntN(255))
		}
		_, ok := rsDecode(got, p, erased)
		switch {
		case !beyond && (!ok || !bytes.Equal(got, cw)):
			t.Fatalf("trial %d: n=%d p=%d, %d erasures and %d errors not corrected (ok=%v)", trial, n, p, len(erased), len(pos)-len(erased), ok)
		case beyond && ok && !bytes.Equal(got, cw):
			wrong++
		case beyond && !ok:
			refused++
		}
	}
	if wrong > refused/10 {
		t.Errorf("beyond capacity: %d miscorrected, %d refused", wrong, refused)
	}
	t.Logf("beyond capacity: %d miscorrected, %d refused", wrong, refused)
}
