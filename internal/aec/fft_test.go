package aec

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestRealFFT(t *testing.T) {
	for _, m := range []int{4, 8, 64, 128} {
		f := newRealFFT(m)
		rng := rand.New(rand.NewPCG(1, uint64(m)))
		x := make([]float32, m)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		re, im := make([]float32, m/2+1), make([]float32, m/2+1)
		f.forward(x, re, im)
		for k := range m/2 + 1 {
			var wr, wi float64
			for n, v := range x {
				a := -2 * math.Pi * float64(k*n) / float64(m)
				wr += float64(v) * math.Cos(a)
				wi += float64(v) * math.Sin(a)
			}
			if math.Abs(wr-float64(re[k])) > 1e-4*float64(m) || math.Abs(wi-float64(im[k])) > 1e-4*float64(m) {
				t.Fatalf("m=%d bin %d: got %v%+vi, want %v%+vi", m, k, re[k], im[k], wr, wi)
			}
		}
		y := make([]float32, m)
		f.inverse(re, im, y)
		for i := range x {
			if math.Abs(float64(x[i]-y[i])) > 1e-4 {
				t.Fatalf("m=%d sample %d: round trip %v, want %v", m, i, y[i], x[i])
			}
		}
	}
}
