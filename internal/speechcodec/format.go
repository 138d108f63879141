package speechcodec

import (
	"math"

	"github.com/tirevoice/assistant/internal/audio"
)

// MaxText is the longest text, in UTF-8 bytes, that one phrase carries.
const MaxText = 1024

// The signal format; doc.go describes it.
const (
	rate       = audio.Rate8k
	symLen     = 160  // samples per symbol: 20 ms at 8 kHz
	numTones   = 16   // 4 bits per symbol
	baseHz     = 1100 // tone k is baseHz + k*stepHz
	stepHz     = 100
	amplitude  = 5800 // peak, about -15 dBFS
	rampLen    = 40   // raised-cosine fade in and out, 5 ms
	headerLen  = 3    // length (2 bytes, big-endian) and its CRC-8
	trailerLen = 2    // CRC-16 of header and payload
)

// preamble is the tone sequence that opens every phrase: alternating far
// apart tones, so that the symbol boundaries show up sharply in a
// correlation. Never written.
var preamble = [...]int{0, numTones - 1, 0, numTones - 1}

func toneHz(k int) float64 { return float64(baseHz + k*stepHz) }

// symbols is the number of symbols of a phrase whose payload is n bytes.
func symbols(n int) int { return len(preamble) + 2*(headerLen+n+trailerLen) }

// crc16 is CRC-16/CCITT-FALSE (polynomial 0x1021, initial value 0xFFFF).
func crc16(b []byte) uint16 {
	crc := uint16(0xFFFF)
	for _, c := range b {
		crc ^= uint16(c) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// crc8 is CRC-8 with polynomial 0x07 (as in ATM HEC), over the length field.
func crc8(b []byte) byte {
	var crc byte
	for _, c := range b {
		crc ^= c
		for range 8 {
			if crc&0x80 != 0 {
				crc = crc<<1 ^ 0x07
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// goertzelCoef is 2cos(2*pi*hz/rate), the Goertzel feedback coefficient.
func goertzelCoef(hz float64) float64 { return 2 * math.Cos(2*math.Pi*hz/float64(rate)) }
