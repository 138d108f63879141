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
	// the same 80 samples whatever came before it, and the phase is
	// continuous across symbol boundaries.
	sym [numTones][symLen]int16
	in  [fadeIn]float64  // fade-in gains, 0 to 1
	out [fadeOut]float64 // fade-out gains, 1 to 0
}

// NewEncoder returns an encoder.
func NewEncoder() *Encoder {
	e := &Encoder{}
	for k := range numTones {
		for i := range symLen {
			e.sym[k][i] = int16(math.Round(amplitude * math.Sin(2*math.Pi*toneHz(k)*float64(i)/float64(rate))))
		}
	}
	for i := range fadeIn {
		e.in[i] = 0.5 - 0.5*math.Cos(math.Pi*(float64(i)+0.5)/fadeIn)
	}
	for i := range fadeOut {
		e.out[i] = 0.5 + 0.5*math.Cos(math.Pi*(float64(i)+0.5)/fadeOut)
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
// result. It allocates only when dst lacks capacity; on error dst is
// returned unchanged.
func (e *Encoder) AppendEncode(dst audio.PCM16, text string) (audio.PCM16, error) {
	if len(text) > MaxText {
		return dst, ErrTextTooLong
	}
	if !utf8.ValidString(text) {
		return dst, ErrInvalidUTF8
	}
	var buf [maxSymbols]byte
	first := len(dst)
	for _, k := range appendTones(buf[:0], text) {
		dst = append(dst, e.sym[k][:]...)
	}
	p := dst[first:]
	for i, g := range e.in {
		p[i] = int16(math.Round(float64(p[i]) * g))
	}
	tail := p[len(p)-fadeOut:]
	for i, g := range e.out {
		tail[i] = int16(math.Round(float64(tail[i]) * g))
	}
	return dst, nil
}

// appendTones appends the tone of each symbol of the phrase for valid text
// of at most MaxText bytes to dst.
func appendTones(dst []byte, text string) []byte {
	var buf [maxPayload + crcLen]byte
	payload := appendText(buf[:0], text)
	l := newLayout(len(payload))
	payload = binary.BigEndian.AppendUint16(payload, crc16(payload))

	// The header, then the payload codewords interleaved byte by byte,
	// whitened.
	var coded, words [maxCoded]byte
	c := coded[:l.bytes]
	binary.BigEndian.PutUint16(c, uint16(l.n))
	rsEncode(c[:lenBytes], c[lenBytes:headerLen])
	off, from := 0, 0
	for w := range l.words {
		k := l.wordData(w)
		copy(words[off:], payload[from:from+k])
		rsEncode(words[off:off+k], words[off+k:off+l.wordLen(w)])
		off += l.wordLen(w)
		from += k
	}
	q := headerLen
	l.interleave(func(w, j int) {
		c[q] = words[l.wordStart(w)+j]
		q++
	})
	for q := range c {
		c[q] ^= whiten(q)
	}

	for _, k := range preamble {
		dst = append(dst, byte(k))
	}
	for i := len(preamble); i < l.nsym; i++ {
		dst = append(dst, byte(2*symbolBits(c, i-len(preamble))+mark(i)))
	}
	return dst
}

// symbolBits returns data symbol s of the coded bytes c: bits 3s..3s+2 of c,
// most significant first, zero past the end.
func symbolBits(c []byte, s int) int {
	v := 0
	for b := symBits * s; b < symBits*(s+1); b++ {
		v <<= 1
		if q := b / 8; q < len(c) {
			v |= int(c[q]>>(7-b%8)) & 1
		}
	}
	return v
}

// Duration is how long the phrase for text lasts (0 if text cannot be
// encoded).
func (e *Encoder) Duration(text string) time.Duration {
	if len(text) > MaxText || !utf8.ValidString(text) {
		return 0
	}
	return rate.Duration(newLayout(textLen(text)).nsym * symLen)
}
