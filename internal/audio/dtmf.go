package audio

import "math"

// ToneEnergy is the energy of p at frequency hz by the Goertzel algorithm,
// in the units of Energy: a sine of amplitude A at exactly hz gives about
// A*A/2, as does Energy of that sine alone. The frequency resolution is about
// rate/len(p) Hz. It returns 0 for empty p.
func ToneEnergy(p PCM16, rate Rate, hz float64) float64 {
	if len(p) == 0 {
		return 0
	}
	c := 2 * math.Cos(2*math.Pi*hz/float64(rate))
	var s1, s2 float64
	for _, x := range p {
		s1, s2 = float64(x)+c*s1-s2, s1
	}
	n := float64(len(p))
	return 2 * (s1*s1 + s2*s2 - c*s1*s2) / (n * n)
}

// DTMF frequencies in Hz (ITU-T Q.23): the row (low) group and the column
// (high) group. A digit is one tone from each group sounding together. These
// are never written.
var (
	dtmfLow  = [4]float64{697, 770, 852, 941}
	dtmfHigh = [4]float64{1209, 1336, 1477, 1633}
)

// DTMFFrequencies returns the row (low) and column (high) group frequencies
// in Hz.
func DTMFFrequencies() (low, high [4]float64) { return dtmfLow, dtmfHigh }

const dtmfKeys = "123A456B789C*0#D" // row-major, rows by dtmfLow

// DTMFTone returns the row and column frequencies of digit (one of
// 0-9, *, #, A-D) and whether it is a DTMF digit.
func DTMFTone(digit byte) (low, high float64, ok bool) {
	for i := 0; i < len(dtmfKeys); i++ {
		if dtmfKeys[i] == digit {
			return dtmfLow[i/4], dtmfHigh[i%4], true
		}
	}
	return 0, 0, false
}

// Detection limits, after Q.24 and the Asterisk detector.
const (
	dtmfMinEnergy    = 30 * 30 // mean square: about -61 dBFS, quieter is silence
	dtmfToTotal      = 0.5     // row+column tones hold at least this share of the energy
	dtmfNormalTwist  = 6.3     // row louder than column by at most 8 dB
	dtmfReverseTwist = 2.5     // column louder than row by at most 4 dB
	dtmfRelativePeak = 4.0     // the chosen tone beats the others in its group by 6 dB
)

// DetectDTMF reports the DTMF digit present throughout p, if any. p should
// hold one analysis block of 20 to 40 ms; shorter blocks cannot tell the
// tones of a group apart. A digit is reported when one row tone and one
// column tone are each clearly the strongest of their group, their levels are
// within the twist limits, and together they hold most of the block's energy
// (so speech, noise and single tones are not taken for digits).
func DetectDTMF(p PCM16, rate Rate) (digit byte, ok bool) {
	total := Energy(p)
	if total < dtmfMinEnergy {
		return 0, false
	}
	var low, high [4]float64
	bl, bh := 0, 0
	for i := range 4 {
		low[i] = ToneEnergy(p, rate, dtmfLow[i])
		high[i] = ToneEnergy(p, rate, dtmfHigh[i])
		if low[i] > low[bl] {
			bl = i
		}
		if high[i] > high[bh] {
			bh = i
		}
	}
	el, eh := low[bl], high[bh]
	if el+eh < dtmfToTotal*total {
		return 0, false
	}
	if el > dtmfNormalTwist*eh || eh > dtmfReverseTwist*el {
		return 0, false
	}
	for i := range 4 {
		if i != bl && low[i]*dtmfRelativePeak > el {
			return 0, false
		}
		if i != bh && high[i]*dtmfRelativePeak > eh {
			return 0, false
		}
	}
	return dtmfKeys[bl*4+bh], true
}
