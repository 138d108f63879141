package aec

import "math"

// realFFT transforms m real samples (m a power of two, at least 4) to the m/2+1
// bins of their spectrum and back. It packs the real signal into an m/2-point
// complex FFT and splits the result, which halves the work of a complex FFT
// on real data. Tables are built once; transforms do not allocate.
type realFFT struct {
	m, h   int       // real size, complex size (m/2)
	rev    []int32   // bit reversal permutation of h
	twr    []float32 // h/2 twiddles exp(-2*pi*i*k/h), real parts
	twi    []float32 // and imaginary parts
	splr   []float32 // h+1 split twiddles exp(-2*pi*i*k/m)
	spli   []float32
	zr, zi []float32 // h-point work buffer
}

func newRealFFT(m int) *realFFT {
	h := m / 2
	f := &realFFT{
		m: m, h: h,
		rev: make([]int32, h),
		twr: make([]float32, h/2), twi: make([]float32, h/2),
		splr: make([]float32, h+1), spli: make([]float32, h+1),
		zr: make([]float32, h), zi: make([]float32, h),
	}
	bits := 0
	for 1<<bits < h {
		bits++
	}
	for i := range h {
		r := 0
		for b := range bits {
			if i&(1<<b) != 0 {
				r |= 1 << (bits - 1 - b)
			}
		}
		f.rev[i] = int32(r)
	}
	for k := range h / 2 {
		a := -2 * math.Pi * float64(k) / float64(h)
		f.twr[k], f.twi[k] = float32(math.Cos(a)), float32(math.Sin(a))
	}
	for k := range h + 1 {
		a := -2 * math.Pi * float64(k) / float64(m)
		f.splr[k], f.spli[k] = float32(math.Cos(a)), float32(math.Sin(a))
	}
	return f
}

// fft is an in-place, unscaled, forward radix-2 transform of zr+i*zi.
func (f *realFFT) fft(zr, zi []float32) {
	h := f.h
	zr, zi = zr[:h], zi[:h]
	for i, r := range f.rev {
		if j := int(r); j > i {
			zr[i], zr[j] = zr[j], zr[i]
			zi[i], zi[j] = zi[j], zi[i]
		}
	}
	// First stage: twiddle 1, no multiplications.
	for i := 0; i+1 < h; i += 2 {
		ar, ai, br, bi := zr[i], zi[i], zr[i+1], zi[i+1]
		zr[i], zi[i], zr[i+1], zi[i+1] = ar+br, ai+bi, ar-br, ai-bi
	}
	for size := 4; size <= h; size <<= 1 {
		half, step := size/2, h/size
		// Twiddle outer, groups inner: each twiddle is loaded once.
		for k := range half {
			wr, wi := f.twr[k*step], f.twi[k*step]
			for a := k; a < h; a += size {
				b := a + half
				tr := wr*zr[b] - wi*zi[b]
				ti := wr*zi[b] + wi*zr[b]
				zr[b], zi[b] = zr[a]-tr, zi[a]-ti
				zr[a], zi[a] = zr[a]+tr, zi[a]+ti
			}
		}
	}
}

// forward writes the h+1 bins of the unscaled DFT of the m samples of x to
// re and im.
func (f *realFFT) forward(x, re, im []float32) {
	h := f.h
	x = x[:f.m]
	re, im = re[:h+1], im[:h+1]
	zr, zi := f.zr, f.zi
	for k := range h {
		zr[k], zi[k] = x[2*k], x[2*k+1]
	}
	f.fft(zr, zi)
	// X[k] = E[k] + W^k O[k], with E and O the transforms of the even and
	// odd samples recovered from Z[k] and conj(Z[h-k]).
	re[0], im[0] = zr[0]+zi[0], 0
	re[h], im[h] = zr[0]-zi[0], 0
	for k := 1; k < h; k++ {
		ar, ai := zr[k], zi[k]
		br, bi := zr[h-k], -zi[h-k]
		er, ei := 0.5*(ar+br), 0.5*(ai+bi)
		// O = -i/2 (Z[k] - conj(Z[h-k]))
		or, oi := 0.5*(ai-bi), -0.5*(ar-br)
		wr, wi := f.splr[k], f.spli[k]
		re[k] = er + wr*or - wi*oi
		im[k] = ei + wr*oi + wi*or
	}
}

// inverse writes the m samples whose spectrum is the h+1 bins re, im to x,
// scaled so that inverse(forward(x)) == x.
func (f *realFFT) inverse(re, im, x []float32) {
	h := f.h
	re, im = re[:h+1], im[:h+1]
	x = x[:f.m]
	zr, zi := f.zr, f.zi
	for k := range h {
		ar, ai := re[k], im[k]
		br, bi := re[h-k], -im[h-k]
		er, ei := 0.5*(ar+br), 0.5*(ai+bi)
		dr, di := 0.5*(ar-br), 0.5*(ai-bi)
		// O = D * conj(W^k); Z = E + i O. Conjugating Z lets the forward
		// transform compute the inverse one.
		wr, wi := f.splr[k], -f.spli[k]
		or, oi := dr*wr-di*wi, dr*wi+di*wr
		zr[k], zi[k] = er-oi, -(ei + or)
	}
	f.fft(zr, zi)
	s := 1 / float32(h)
	for k := range h {
		x[2*k], x[2*k+1] = zr[k]*s, -zi[k]*s
	}
}
