package speechcodec

import "testing"

// The layout of every text length fits the bounds the encoder's and the
// decoder's buffers are sized by, and a longer text never makes a shorter
// phrase (the decoder reads the length from the header alone).
func TestLayout(t *testing.T) {
	prev := 0
	for n := 0; n <= maxPayload; n++ {
		l := newLayout(n)
		if l.bytes > maxCoded || l.nsym > maxSymbols {
			t.Fatalf("text of %d bytes: %d coded bytes, %d symbols; bounds %d, %d", n, l.bytes, l.nsym, maxCoded, maxSymbols)
		}
		if l.nsym%2 != 0 || l.nsym < prev || l.nsym-l.data0 < 1 {
			t.Fatalf("text of %d bytes: %d symbols (%d with data), after %d", n, l.nsym, l.data0, prev)
		}
		prev = l.nsym
		total := headerLen
		for w := range l.words {
			k := l.wordData(w)
			if p := l.wordLen(w) - k; l.wordLen(w) > 255 || p > maxParity || p < parityMin {
				t.Fatalf("text of %d bytes: codeword %d of %d bytes, %d parity", n, w, l.wordLen(w), p)
			}
			total += l.wordLen(w)
		}
		if total != l.bytes {
			t.Fatalf("text of %d bytes: codewords add up to %d, layout says %d", n, total, l.bytes)
		}
		q := 0
		l.interleave(func(int, int) { q++ })
		if q != l.bytes-headerLen {
			t.Fatalf("text of %d bytes: %d bytes interleaved, %d in codewords", n, q, l.bytes-headerLen)
		}
	}
}
