package audio

// G.711 companding, bit-exact with the ITU-T reference implementation
// (G.191 Software Tool Library, g711.c): 16-bit linear input is truncated to
// the 14-bit (mu-law) or 13-bit (A-law) range G.711 is defined on, negative
// values use one's complement as in the reference, and decoding returns the
// midpoint of each quantisation interval scaled back to 16 bits.
//
// Encoding and decoding are table lookups; the tables are built once from the
// reference formulas and never written afterwards.

// MulawEncodeSample returns the G.711 mu-law code of s.
func MulawEncodeSample(s int16) byte { return mulawEnc[uint16(s)>>2] }

// MulawDecodeSample returns the 16-bit linear value of mu-law code b.
func MulawDecodeSample(b byte) int16 { return mulawDec[b] }

// AlawEncodeSample returns the G.711 A-law code of s.
func AlawEncodeSample(s int16) byte { return alawEnc[uint16(s)>>4] }

// AlawDecodeSample returns the 16-bit linear value of A-law code b.
func AlawDecodeSample(b byte) int16 { return alawDec[b] }

// MulawEncode appends the mu-law codes of p to dst (one byte per sample) and
// returns the result. It allocates only when dst lacks capacity.
func MulawEncode(dst []byte, p PCM16) []byte {
	for _, s := range p {
		dst = append(dst, mulawEnc[uint16(s)>>2])
	}
	return dst
}

// MulawDecode appends the linear samples of mu-law codes b to dst and returns
// the result. It allocates only when dst lacks capacity.
func MulawDecode(dst PCM16, b []byte) PCM16 {
	for _, c := range b {
		dst = append(dst, mulawDec[c])
	}
	return dst
}

// AlawEncode appends the A-law codes of p to dst (one byte per sample) and
// returns the result. It allocates only when dst lacks capacity.
func AlawEncode(dst []byte, p PCM16) []byte {
	for _, s := range p {
		dst = append(dst, alawEnc[uint16(s)>>4])
	}
	return dst
}

// AlawDecode appends the linear samples of A-law codes b to dst and returns
// the result. It allocates only when dst lacks capacity.
func AlawDecode(dst PCM16, b []byte) PCM16 {
	for _, c := range b {
		dst = append(dst, alawDec[c])
	}
	return dst
}

// The encoders depend only on the top 14 (mu-law) or 12 (A-law) bits of the
// sample, so the encode tables are indexed by those bits, sign included.
var (
	mulawEnc = buildMulawEnc()
	mulawDec = buildMulawDec()
	alawEnc  = buildAlawEnc()
	alawDec  = buildAlawDec()
)

// mulawRef is the G.191 ulaw_compress of one sample.
func mulawRef(s int16) byte {
	x := int32(s)
	var abs int32
	if x < 0 {
		abs = (^x)>>2 + 33 // one's complement, as in the reference
	} else {
		abs = x>>2 + 33
	}
	if abs > 0x1FFF {
		abs = 0x1FFF
	}
	seg := int32(1)
	for i := abs >> 6; i != 0; i >>= 1 {
		seg++
	}
	hi := 8 - seg
	lo := 0xF - (abs>>seg)&0xF
	code := hi<<4 | lo
	if x >= 0 {
		code |= 0x80
	}
	return byte(code)
}

// mulawExpandRef is the G.191 ulaw_expand of one code.
func mulawExpandRef(c byte) int16 {
	sign := int32(1)
	if c < 0x80 {
		sign = -1
	}
	m := int32(^c)
	exp := (m >> 4) & 7
	seg := exp + 1
	m &= 0xF
	step := int32(4) << seg
	return int16(sign * ((0x80 << exp) + step*m + step/2 - 4*33))
}

// alawRef is the G.191 alaw_compress of one sample.
func alawRef(s int16) byte {
	x := int32(s)
	var ix int32
	if x < 0 {
		ix = (^x) >> 4
	} else {
		ix = x >> 4
	}
	if ix > 15 {
		exp := int32(1)
		for ix > 16+15 {
			ix >>= 1
			exp++
		}
		ix -= 16
		ix += exp << 4
	}
	if x >= 0 {
		ix |= 0x80
	}
	return byte(ix ^ 0x55)
}

// alawExpandRef is the G.191 alaw_expand of one code.
func alawExpandRef(c byte) int16 {
	ix := int32(c^0x55) & 0x7F
	exp := ix >> 4
	m := ix & 0xF
	if exp > 0 {
		m += 16
	}
	m = m<<4 + 8
	if exp > 1 {
		m <<= exp - 1
	}
	if c > 127 {
		return int16(m)
	}
	return int16(-m)
}

func buildMulawEnc() *[1 << 14]byte {
	var t [1 << 14]byte
	for i := range t {
		t[i] = mulawRef(int16(uint16(i) << 2))
	}
	return &t
}

func buildMulawDec() *[256]int16 {
	var t [256]int16
	for i := range t {
		t[i] = mulawExpandRef(byte(i))
	}
	return &t
}

func buildAlawEnc() *[1 << 12]byte {
	var t [1 << 12]byte
	for i := range t {
		t[i] = alawRef(int16(uint16(i) << 4))
	}
	return &t
}

func buildAlawDec() *[256]int16 {
	var t [256]int16
	for i := range t {
		t[i] = alawExpandRef(byte(i))
	}
	return &t
}
