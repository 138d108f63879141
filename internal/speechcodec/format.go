package speechcodec

import (
	"math"

	"github.com/tirevoice/assistant/internal/audio"
)

// MaxText is the longest text, in UTF-8 bytes, that one phrase carries.
const MaxText = 1024

// The signal format; doc.go describes it.
const (
	rate      = audio.Rate8k
	symLen    = 80   // samples per symbol: 10 ms at 8 kHz, so a 20 ms frame is two symbols
	numTones  = 16   // 3 data bits and the mark bit per symbol
	baseHz    = 1100 // tone k is baseHz + k*stepHz
	stepHz    = 100  // a whole number of cycles per symbol for every tone
	symBits   = 3    // data bits per symbol
	amplitude = 5800 // peak, about -15 dBFS
	fadeIn    = 40   // raised-cosine fade in, 5 ms (the first symbol is a known preamble tone)
	fadeOut   = 16   // and out, 2 ms (the last is data: most of it stays at full level)

	lenBytes     = 2                       // the header's length field, big-endian
	headerParity = 12                      // Reed-Solomon parity bytes of the header
	headerLen    = lenBytes + headerParity // bytes
	crcLen       = 2                       // CRC-16 after the text
	maxWordData  = 190                     // data bytes per payload codeword, at most
	parityMin    = 6                       // parity bytes per payload codeword: parityMin
	parityPer    = 4                       // and one for every parityPer data bytes
)

// preamble is the tone sequence that opens every phrase: far apart tones, no
// two neighbours or next-but-one neighbours alike, so that a shifted or cut
// copy matches it nowhere. Never written.
var preamble = [...]int{1, 14, 6, 11, 0, 9, 15, 4}

func toneHz(k int) float64 { return float64(baseHz + k*stepHz) }

// mark is the mark bit of symbol i (i counts from the first preamble
// symbol): the low bit of every data symbol's tone, a fixed sequence by
// which the decoder tells how many symbols lost frames took away, and
// where. A lost frame takes two symbols, so after it symbol i+2 stands where
// i should. So the marks go in pairs, and each pair differs from the one
// before it, taking one of the other three values at random: shifted by
// two, the marks never match over a whole pair; shifted by four or six
// (bursts) they match a pair one time in three or 2 in 9; and a shift does
// not go unseen for long, as it does in a sequence with a period or blocks.
func mark(i int) int { return int(marks[i/2]>>(i%2)) & 1 }

// marks holds the mark pairs, two bits each. Never written.
var marks = newMarks()

func newMarks() *[maxSymbols/2 + 1]uint8 {
	var m [maxSymbols/2 + 1]uint8
	for a := 1; a < len(m); a++ {
		m[a] = (m[a-1] + 1 + uint8(mix(uint32(a))%3)) % 4
	}
	return &m
}

// whiten is the byte XORed onto byte q of the coded stream, so that no text
// (a run of spaces, of zeros) makes a run of one tone.
func whiten(q int) byte { return byte(mix(uint32(q) + 0x9e3779b9)) }

// mix is the finaliser of MurmurHash3: neighbouring inputs give unrelated
// outputs.
func mix(x uint32) uint32 {
	x ^= x >> 16
	x *= 0x85ebca6b
	x ^= x >> 13
	x *= 0xc2b2ae35
	x ^= x >> 16
	return x
}

// layout is the shape of the phrase for a text whose byte form is n bytes.
type layout struct {
	n     int // text bytes
	words int // payload codewords, interleaved byte by byte
	data  int // payload data bytes: the text and its CRC
	bytes int // coded bytes after the preamble: header, then the payload codewords
	data0 int // symbols up to the last one with data, preamble included
	nsym  int // symbols in all: data0 and one or two tail symbols (whole 20 ms frames)
}

func newLayout(n int) layout {
	l := layout{n: n, data: n + crcLen}
	l.words = (l.data + maxWordData - 1) / maxWordData
	l.bytes = headerLen
	for w := range l.words {
		l.bytes += l.wordLen(w)
	}
	l.data0 = len(preamble) + (8*l.bytes+symBits-1)/symBits
	// The tail carries no data: the decoder has the phrase before its
	// last symbol has all arrived (its own resampler lags), and reports it
	// when it has.
	l.nsym = l.data0 + 1
	l.nsym += l.nsym % 2
	return l
}

// wordData is the number of data bytes of payload codeword w.
func (l layout) wordData(w int) int {
	k := l.data / l.words
	if w < l.data%l.words {
		k++
	}
	return k
}

func wordParity(k int) int { return parityMin + (k+parityPer-1)/parityPer }

func (l layout) wordLen(w int) int { k := l.wordData(w); return k + wordParity(k) }

// interleave calls f(w, j) for byte j of payload codeword w in the order they
// are sent: byte 0 of every codeword, then byte 1, and so on.
func (l layout) interleave(f func(w, j int)) {
	longest := l.wordLen(0)
	for j := range longest {
		for w := range l.words {
			if j < l.wordLen(w) {
				f(w, j)
			}
		}
	}
}

// wordStart is the offset of payload codeword w when the codewords lie one
// after another.
func (l layout) wordStart(w int) int {
	off := 0
	for v := range w {
		off += l.wordLen(v)
	}
	return off
}

// maxCoded bounds the coded bytes of a phrase (header and payload of the
// longest text; a test checks it).
const maxCoded = 2048

// maxSymbols bounds the symbols of a phrase.
const maxSymbols = len(preamble) + (8*maxCoded+symBits-1)/symBits + 2

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

// goertzelCoef is 2cos(2*pi*hz/rate), the Goertzel feedback coefficient.
func goertzelCoef(hz float64) float64 { return 2 * math.Cos(2*math.Pi*hz/float64(rate)) }
