package audio

import (
	"fmt"
	"math"
	"time"
)

// Resampler converts a stream from one rate to another with a rational
// polyphase FIR filter: the stream is notionally upsampled by L, low-pass
// filtered and decimated by M (L/M = to/from in lowest terms), computing only
// the output samples that are kept.
//
// The prototype filter is a Kaiser-windowed sinc (beta 8, about 80 dB of
// stopband) spanning 64 samples at the lower of the two rates, with its cutoff
// at 0.85 of the lower Nyquist frequency: at 8 kHz the passband is flat to
// about 3.1 kHz and everything above about 3.7 kHz is removed, so nothing
// aliases when going down and no images remain when going up. The group delay
// is 32 samples at the lower rate (4 ms between 8 and 16 kHz), see Delay.
//
// Process keeps the filter history between calls, so a stream cut into
// chunks of any size gives exactly the output of one call. A Resampler is
// not safe for concurrent use.
type Resampler struct {
	from, to Rate
	l, m     int       // upsample by l, decimate by m
	taps     int       // taps per phase, in input samples
	coef     []float32 // l phases of taps coefficients, oldest input first
	hist     []float32 // 2*taps: the last taps inputs, stored twice
	pos      int       // next write index in hist, 0..taps-1
	acc      int       // phase accumulator: output due while acc < l
}

// Filter design, see the type comment.
const (
	resampleSpan   = 64   // filter length in samples at the lower rate
	resampleCutoff = 0.85 // cutoff as a fraction of the lower Nyquist
	resampleBeta   = 8.0  // Kaiser window shape
)

// NewResampler returns a resampler from rate from to rate to. Both must be
// positive; when they are equal Process copies its input.
func NewResampler(from, to Rate) *Resampler {
	if from <= 0 || to <= 0 {
		panic(fmt.Sprintf("audio: resampler rates must be positive, got %d -> %d", from, to))
	}
	g := gcd(int(from), int(to))
	r := &Resampler{from: from, to: to, l: int(to) / g, m: int(from) / g}
	if from == to {
		return r
	}
	lower := min(from, to)
	r.taps = int(math.Ceil(resampleSpan * float64(from) / float64(lower)))
	r.hist = make([]float32, 2*r.taps)
	r.coef = make([]float32, r.l*r.taps)

	// Cutoff in cycles per input sample, and the filter centre in input
	// samples back from the newest one.
	fc := resampleCutoff * float64(lower) / 2 / float64(from)
	half := float64(r.taps) / 2
	i0b := besselI0(resampleBeta)
	for p := 0; p < r.l; p++ {
		row := r.coef[p*r.taps : (p+1)*r.taps]
		var sum float64
		for k := 0; k < r.taps; k++ {
			// Input k samples before the newest one, for an output p/l of a
			// sample after that newest input.
			t := float64(k) + float64(p)/float64(r.l) - half
			v := 2 * fc * sinc(2*fc*t)
			if u := t / half; u < 1 && u > -1 {
				v *= besselI0(resampleBeta*math.Sqrt(1-u*u)) / i0b
			} else {
				v = 0
			}
			row[r.taps-1-k] = float32(v)
			sum += v
		}
		// Unit gain at DC for every phase, so a constant stays constant.
		for k := range row {
			row[k] = float32(float64(row[k]) / sum)
		}
	}
	return r
}

// Process appends to dst the output for the input samples src and returns the
// result. It allocates only when dst lacks capacity; about len(src)*to/from
// samples are appended (the exact count depends on the filter phase carried
// over from the previous call).
func (r *Resampler) Process(dst, src PCM16) PCM16 {
	if r.from == r.to {
		return append(dst, src...)
	}
	taps, l, m := r.taps, r.l, r.m
	hist, coef := r.hist, r.coef
	pos, acc := r.pos, r.acc
	for _, s := range src {
		v := float32(s)
		hist[pos] = v
		hist[pos+taps] = v
		pos++
		if pos == taps {
			pos = 0
		}
		// hist[pos:pos+taps] now holds the last taps inputs, oldest first.
		win := hist[pos : pos+taps]
		for acc < l {
			dst = append(dst, clamp16(dot(coef[acc*taps:acc*taps+taps], win)))
			acc += m
		}
		acc -= l
	}
	r.pos, r.acc = pos, acc
	return dst
}

// Reset forgets the filter history, as if the resampler were new.
func (r *Resampler) Reset() {
	clear(r.hist)
	r.pos, r.acc = 0, 0
}

// From is the input rate.
func (r *Resampler) From() Rate { return r.from }

// To is the output rate.
func (r *Resampler) To() Rate { return r.to }

// Delay is the group delay of the filter: a feature of the input appears this
// much later in the output (zero when the rates are equal).
func (r *Resampler) Delay() time.Duration {
	if r.from == r.to {
		return 0
	}
	return time.Duration(float64(r.taps) / 2 / float64(r.from) * float64(time.Second))
}

func (r *Resampler) String() string {
	return fmt.Sprintf("resample(%v -> %v)", r.from, r.to)
}

// dot is the inner product of c and x (same length), in four partial sums
// so that the multiplies pipeline.
func dot(c, x []float32) float32 {
	x = x[:len(c)]
	var y0, y1, y2, y3 float32
	k := 0
	for ; k+4 <= len(c); k += 4 {
		y0 += c[k] * x[k]
		y1 += c[k+1] * x[k+1]
		y2 += c[k+2] * x[k+2]
		y3 += c[k+3] * x[k+3]
	}
	for ; k < len(c); k++ {
		y0 += c[k] * x[k]
	}
	return (y0 + y1) + (y2 + y3)
}

func clamp16(y float32) int16 {
	switch {
	case y >= math.MaxInt16:
		return math.MaxInt16
	case y <= math.MinInt16:
		return math.MinInt16
	case y >= 0:
		return int16(y + 0.5)
	default:
		return int16(y - 0.5)
	}
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(math.Pi*x) / (math.Pi * x)
}

// besselI0 is the modified Bessel function of the first kind, order zero,
// by its power series (enough terms for the arguments a Kaiser window uses).
func besselI0(x float64) float64 {
	sum, term := 1.0, 1.0
	q := x * x / 4
	for k := 1; k < 64; k++ {
		term *= q / float64(k*k)
		sum += term
		if term < sum*1e-17 {
			break
		}
	}
	return sum
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
