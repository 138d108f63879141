package audio

import (
	"bytes"
	"testing"
)

// Code points worked by hand from ITU-T G.711 tables 1 and 2 as the G.191
// reference implementation applies them (16-bit linear scaling, negative
// input in one's complement, so -100 and 100 land in different intervals).
func TestG711KnownValues(t *testing.T) {
	tests := []struct {
		name     string
		in       int16
		mu, a    byte
		muLinear int16 // MulawDecodeSample(mu)
		aLinear  int16 // AlawDecodeSample(a)
	}{
		{"zero", 0, 0xFF, 0xD5, 0, 8},
		{"minus one", -1, 0x7F, 0x55, 0, -8},
		{"small positive", 100, 0xF2, 0xD3, 104, 104},
		{"small negative", -100, 0x73, 0x53, -96, -104},
		{"mid positive", 1000, 0xCE, 0xFA, 988, 1008},
		{"mid negative", -1000, 0x4E, 0x7A, -988, -1008},
		{"full scale", 32767, 0x80, 0xAA, 32124, 32256},
		{"negative full scale", -32768, 0x00, 0x2A, -32124, -32256},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := MulawEncodeSample(tc.in); got != tc.mu {
				t.Errorf("MulawEncodeSample(%d) = %#02x, want %#02x", tc.in, got, tc.mu)
			}
			if got := AlawEncodeSample(tc.in); got != tc.a {
				t.Errorf("AlawEncodeSample(%d) = %#02x, want %#02x", tc.in, got, tc.a)
			}
			if got := MulawDecodeSample(tc.mu); got != tc.muLinear {
				t.Errorf("MulawDecodeSample(%#02x) = %d, want %d", tc.mu, got, tc.muLinear)
			}
			if got := AlawDecodeSample(tc.a); got != tc.aLinear {
				t.Errorf("AlawDecodeSample(%#02x) = %d, want %d", tc.a, got, tc.aLinear)
			}
		})
	}
}

// sunMulawDecode and sunAlawDecode are the widely used Sun Microsystems
// g711.c decoders, written independently of the G.191 formulas the tables are
// built from; both must agree on every code.
func sunMulawDecode(u byte) int16 {
	u = ^u
	t := (int32(u&0x0F) << 3) + 0x84
	t <<= (u & 0x70) >> 4
	if u&0x80 != 0 {
		return int16(0x84 - t)
	}
	return int16(t - 0x84)
}

func sunAlawDecode(a byte) int16 {
	a ^= 0x55
	t := int32(a&0x0F) << 4
	switch seg := (a & 0x70) >> 4; seg {
	case 0:
		t += 8
	case 1:
		t += 0x108
	default:
		t += 0x108
		t <<= seg - 1
	}
	if a&0x80 != 0 {
		return int16(t)
	}
	return int16(-t)
}

// sunMulawEncode and sunAlawEncode are the Sun encoders; they agree with G.191
// for non-negative input (they differ only in taking the two's complement
// magnitude of negative input).
func sunMulawEncode(pcm int16) byte {
	v := int32(pcm) >> 2
	mask := int32(0xFF)
	if v < 0 {
		v, mask = -v, 0x7F
	}
	v = min(v, 8159) + 33
	ends := [8]int32{0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF}
	seg := 0
	for seg < 8 && v > ends[seg] {
		seg++
	}
	if seg >= 8 {
		return byte(0x7F ^ mask)
	}
	return byte((int32(seg)<<4 | (v>>(seg+1))&0xF) ^ mask)
}

func sunAlawEncode(pcm int16) byte {
	v := int32(pcm) >> 3
	mask := int32(0xD5)
	if v < 0 {
		v, mask = -v-1, 0x55
	}
	ends := [8]int32{0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF}
	seg := 0
	for seg < 8 && v > ends[seg] {
		seg++
	}
	if seg >= 8 {
		return byte(0x7F ^ mask)
	}
	a := int32(seg) << 4
	if seg < 2 {
		a |= (v >> 1) & 0xF
	} else {
		a |= (v >> seg) & 0xF
	}
	return byte(a ^ mask)
}

func TestG711MatchesReferenceOnEveryInput(t *testing.T) {
	for c := range 256 {
		if got, want := MulawDecodeSample(byte(c)), sunMulawDecode(byte(c)); got != want {
			t.Fatalf("mu-law decode %#02x = %d, reference %d", c, got, want)
		}
		if got, want := AlawDecodeSample(byte(c)), sunAlawDecode(byte(c)); got != want {
			t.Fatalf("A-law decode %#02x = %d, reference %d", c, got, want)
		}
	}
	for x := -32768; x <= 32767; x++ {
		s := int16(x)
		wantMu, wantA := sunMulawEncode(s), sunAlawEncode(s)
		if s < 0 {
			// G.191 codes a negative x like the magnitude ^x = -x-1.
			wantMu, wantA = sunMulawEncode(^s)&^0x80, sunAlawEncode(^s)&^0x80
		}
		if got := MulawEncodeSample(s); got != wantMu {
			t.Fatalf("mu-law encode %d = %#02x, reference %#02x", x, got, wantMu)
		}
		if got := AlawEncodeSample(s); got != wantA {
			t.Fatalf("A-law encode %d = %#02x, reference %#02x", x, got, wantA)
		}
	}
}

func TestG711RoundTripAllCodes(t *testing.T) {
	for c := range 256 {
		b := byte(c)
		// 0x7F is mu-law's negative zero: it decodes to 0, which encodes as
		// the positive zero 0xFF. Every other code survives.
		if got := MulawEncodeSample(MulawDecodeSample(b)); got != b && b != 0x7F {
			t.Errorf("mu-law %#02x -> %d -> %#02x", b, MulawDecodeSample(b), got)
		}
		if got := AlawEncodeSample(AlawDecodeSample(b)); got != b {
			t.Errorf("A-law %#02x -> %d -> %#02x", b, AlawDecodeSample(b), got)
		}
	}
}

// The quantisation error stays within half a step (plus truncation) of the
// segment the sample falls in: about 3% of the magnitude, and clipping only
// above the top decision level.
func TestG711ErrorBound(t *testing.T) {
	for x := -32768; x <= 32767; x++ {
		s := int16(x)
		mag := max(x, -x)
		if e := int(MulawDecodeSample(MulawEncodeSample(s))) - x; max(e, -e) > mag/32+8 && mag < 32124 {
			t.Fatalf("mu-law error %d at %d", e, x)
		}
		if e := int(AlawDecodeSample(AlawEncodeSample(s))) - x; max(e, -e) > mag/32+16 && mag < 32256 {
			t.Fatalf("A-law error %d at %d", e, x)
		}
	}
}

func TestG711Slices(t *testing.T) {
	p := PCM16{0, -1, 100, -100, 32767, -32768}
	mu := MulawEncode([]byte{0xAB}, p)
	if want := []byte{0xAB, 0xFF, 0x7F, 0xF2, 0x73, 0x80, 0x00}; !bytes.Equal(mu, want) {
		t.Errorf("MulawEncode = % x, want % x", mu, want)
	}
	a := AlawEncode(nil, p)
	if want := []byte{0xD5, 0x55, 0xD3, 0x53, 0xAA, 0x2A}; !bytes.Equal(a, want) {
		t.Errorf("AlawEncode = % x, want % x", a, want)
	}
	got := MulawDecode(PCM16{7}, mu[1:])
	want := PCM16{7, 0, 0, 104, -96, 32124, -32124}
	if len(got) != len(want) {
		t.Fatalf("MulawDecode = %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("MulawDecode = %v, want %v", got, want)
		}
	}
	if got := AlawDecode(nil, a); got[0] != 8 || got[5] != -32256 {
		t.Errorf("AlawDecode = %v", got)
	}
	buf := make([]byte, 0, 160)
	frame := make(PCM16, 160)
	if n := testing.AllocsPerRun(100, func() { buf = MulawEncode(buf[:0], frame) }); n != 0 {
		t.Errorf("MulawEncode into a large enough buffer allocates %v times", n)
	}
}

func BenchmarkMulawEncode(b *testing.B) {
	frame := make(PCM16, 160)
	for i := range frame {
		frame[i] = int16(i * 200)
	}
	buf := make([]byte, 0, 160)
	b.ReportAllocs()
	b.SetBytes(320)
	for b.Loop() {
		buf = MulawEncode(buf[:0], frame)
	}
}
