package speechcodec

// Reed-Solomon codes over GF(256) (primitive polynomial x^8+x^4+x^3+x^2+1,
// 0x11d, generator 2), systematic, with the generator polynomial's roots at
// 2^0 .. 2^(p-1) for p parity bytes. A codeword is its data bytes followed by
// its parity bytes; byte j of a codeword of n bytes is the coefficient of
// x^(n-1-j). The decoder corrects e errors and f erasures (bytes known to be
// unreliable) whenever 2e+f <= p.

// maxParity bounds the parity bytes of one codeword.
const maxParity = 64

// gfTables holds the exponentials and logarithms of GF(256).
type gfTables struct {
	exp [510]byte // exp[i] = 2^i, twice over so that exp[log a + log b] needs no mod
	log [256]byte // log[2^i] = i; log[0] is unused
}

// gf holds the field's tables. Never written after package initialisation.
var gf = newGFTables()

func newGFTables() *gfTables {
	t := &gfTables{}
	x := 1
	for i := range 255 {
		t.exp[i], t.exp[i+255] = byte(x), byte(x)
		t.log[x] = byte(i)
		x <<= 1
		if x&0x100 != 0 {
			x ^= 0x11d
		}
	}
	return t
}

func gfMul(a, b byte) byte {
	if a == 0 || b == 0 {
		return 0
	}
	return gf.exp[int(gf.log[a])+int(gf.log[b])]
}

// gfDiv is a/b; b must not be 0.
func gfDiv(a, b byte) byte {
	if a == 0 {
		return 0
	}
	return gf.exp[int(gf.log[a])+255-int(gf.log[b])]
}

// gfPow2 is 2^i for any i >= 0.
func gfPow2(i int) byte { return gf.exp[i%255] }

// rsGenerator writes the generator polynomial of p parity bytes to g,
// highest degree first (g[0] = 1), and returns it as g[:p+1].
func rsGenerator(g *[maxParity + 1]byte, p int) []byte {
	g[0] = 1
	for i := range p {
		// Multiply by (x - 2^i).
		r := gfPow2(i)
		g[i+1] = 0
		for j := i + 1; j > 0; j-- {
			g[j] ^= gfMul(g[j-1], r)
		}
	}
	return g[:p+1]
}

// rsEncode writes the parity bytes of data to parity (len(parity) of them,
// at most maxParity).
func rsEncode(data, parity []byte) {
	var gen [maxParity + 1]byte
	g := rsGenerator(&gen, len(parity))
	clear(parity)
	for _, m := range data {
		fb := m ^ parity[0]
		copy(parity, parity[1:])
		parity[len(parity)-1] = 0
		if fb != 0 {
			for j := range parity {
				parity[j] ^= gfMul(g[j+1], fb)
			}
		}
	}
}

// rsDecode corrects codeword cw, whose last p bytes are parity, in place,
// given the positions of its erased bytes (whatever values they hold), and
// reports whether it could, and how many errors (wrong bytes not among the
// erased) it corrected. On failure cw may have been changed. It allocates
// nothing.
func rsDecode(cw []byte, p int, erased []int) (errs int, ok bool) {
	n := len(cw)
	if len(erased) > p || p > maxParity || n > 255 || n <= p {
		return 0, false
	}
	var synd [maxParity]byte
	s := synd[:p]
	if rsSyndromes(cw, s) {
		return 0, true
	}
	// Errata locator, lowest degree first: it starts as the erasure locator
	// prod(1 - X_k x), X_k = 2^(n-1-j_k), and Berlekamp-Massey extends it
	// to the errors (Blahut's errors-and-erasures form).
	var lam, b, t [maxParity + 1]byte
	lam[0] = 1
	deg := 0
	for _, j := range erased {
		x := gfPow2(n - 1 - j)
		for i := deg + 1; i > 0; i-- {
			lam[i] ^= gfMul(lam[i-1], x)
		}
		deg++
	}
	b = lam
	f := len(erased)
	l := f
	for r := f; r < p; r++ {
		var delta byte
		for i := 0; i <= l && i <= r; i++ {
			delta ^= gfMul(lam[i], s[r-i])
		}
		// b = x*b
		copy(b[1:], b[:maxParity])
		b[0] = 0
		if delta == 0 {
			continue
		}
		t = lam
		for i := range p + 1 {
			t[i] ^= gfMul(delta, b[i])
		}
		if 2*l <= r+f {
			l = r + 1 + f - l
			inv := gfDiv(1, delta)
			for i := range p + 1 {
				b[i] = gfMul(lam[i], inv)
			}
		}
		lam = t
	}
	if 2*l-f > p {
		return 0, false
	}
	deg = 0
	for i := p; i > 0; i-- {
		if lam[i] != 0 {
			deg = i
			break
		}
	}
	// Omega = S * Lambda mod x^p.
	var omega [maxParity]byte
	for i := range p {
		for k := 0; k <= i && k <= deg; k++ {
			omega[i] ^= gfMul(lam[k], s[i-k])
		}
	}
	// Chien search over the codeword's own positions, Forney for each root.
	roots := 0
	for j := range n {
		e := (n - 1 - j) % 255
		xinv := gfPow2(255 - e) // X^-1
		var v byte
		xp := byte(1)
		for i := 0; i <= deg; i++ {
			v ^= gfMul(lam[i], xp)
			xp = gfMul(xp, xinv)
		}
		if v != 0 {
			continue
		}
		roots++
		// Forney, first root 2^0: value = X * Omega(X^-1) / Lambda'(X^-1).
		var om, dl byte
		xp = 1
		for i := range p {
			om ^= gfMul(omega[i], xp)
			xp = gfMul(xp, xinv)
		}
		xp = 1 // (X^-1)^(i-1) for odd i
		x2 := gfMul(xinv, xinv)
		for i := 1; i <= deg; i += 2 {
			dl ^= gfMul(lam[i], xp)
			xp = gfMul(xp, x2)
		}
		if dl == 0 {
			return 0, false
		}
		cw[j] ^= gfMul(gfPow2(e), gfDiv(om, dl))
	}
	if roots != deg || !rsSyndromes(cw, s) {
		return 0, false
	}
	return l - f, true
}

// rsSyndromes writes cw(2^i) to s[i] for each i and reports whether all
// are 0, that is whether cw is a codeword.
func rsSyndromes(cw []byte, s []byte) bool {
	zero := true
	for i := range s {
		r := gfPow2(i)
		var v byte
		for _, c := range cw {
			v = gfMul(v, r) ^ c
		}
		s[i] = v
		if v != 0 {
			zero = false
		}
	}
	return zero
}
