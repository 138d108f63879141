package speechcodec

import (
	"encoding/binary"
	"math"
	"time"
	"unicode/utf8"

	"github.com/tirevoice/assistant/internal/audio"
)

// Encoder turns text into the audio of one phrase. It holds only read-only
// tables after NewEncoder, so one Encoder is safe for concurrent use.
type Encoder struct {
	// Every tone is a whole number of cycles per symbol, so each symbol is
	// the same 160 samples whatever came before it, and the phase is
	// continuous across symbol boundaries.
	sym  [numTones][symLen]int16
	ramp [rampLen]float64 // fade-in gains, 0 to 1
}

// NewEncoder returns an encoder.
func NewEncoder() *Encoder {
	e := &Encoder{}
	for k := range numTones {
		for i := range symLen {
			e.sym[k][i] = int16(math.Round(amplitude * math.Sin(2*math.Pi*toneHz(k)*float64(i)/float64(rate))))
		}
	}
	for i := range rampLen {
		e.ramp[i] = 0.5 - 0.5*math.Cos(math.Pi*(float64(i)+0.5)/rampLen)
	}
	return e
}

// Rate is the rate of the audio Encode returns: 8 kHz.
func (e *Encoder) Rate() audio.Rate { return rate }

// Encode returns the 8 kHz audio of text as one phrase, with no silence
// before or after it. Text must be valid UTF-8 of at most MaxText bytes.
func (e *Encoder) Encode(text string) (audio.PCM16, error) {
	return e.AppendEncode(nil, text)
}

// AppendEncode appends the audio of text to dst, like Encode, and returns the
// result. It allocates only for the byte form of text and when dst lacks
// capacity; on error dst is returned unchanged.
func (e *Encoder) AppendEncode(dst audio.PCM16, text string) (audio.PCM16, error) {
	if len(text) > MaxText {
		return dst, ErrTextTooLong
	}
	if !utf8.ValidString(text) {
		return dst, ErrInvalidUTF8
	}
	var stack [256]byte
	frame := binary.BigEndian.AppendUint16(stack[:0], uint16(textLen(text)))
	frame = append(frame, crc8(frame))
	frame = appendText(frame, text)
	frame = binary.BigEndian.AppendUint16(frame, crc16(frame))

	first := len(dst)
	for _, k := range preamble {
		dst = append(dst, e.sym[k][:]...)
	}
	for _, b := range frame {
		dst = append(dst, e.sym[b>>4][:]...)
		dst = append(dst, e.sym[b&0xF][:]...)
	}
	p := dst[first:]
	for i, g := range e.ramp {
		p[i] = int16(math.Round(float64(p[i]) * g))
		j := len(p) - 1 - i
		p[j] = int16(math.Round(float64(p[j]) * g))
	}
	return dst, nil
}

// Duration is how long the phrase for text lasts (0 if text cannot be
// encoded).
func (e *Encoder) Duration(text string) time.Duration {
	if len(text) > MaxText || !utf8.ValidString(text) {
		return 0
	}
	return rate.Duration(symbols(textLen(text)) * symLen)
}
