// Package audio holds the sample types of the media path and the small,
// allocation-free stages that work on them: G.711, resampling, voice activity
// detection and real-time playout.
package audio

import (
	"encoding/binary"
	"fmt"
	"time"
)

// Rate is a sample rate in Hz.
type Rate int

// The rates AudioSocket can carry.
const (
	Rate8k    Rate = 8000
	Rate12k   Rate = 12000
	Rate16k   Rate = 16000
	Rate24k   Rate = 24000
	Rate32k   Rate = 32000
	Rate44k1  Rate = 44100
	Rate48k   Rate = 48000
	Rate96k   Rate = 96000
	Rate192k  Rate = 192000
	FrameTime      = 20 * time.Millisecond // one AudioSocket frame
)

// FrameSamples is the number of samples in one 20 ms frame at r
// (160 at 8 kHz, 320 at 16 kHz, 882 at 44.1 kHz).
func (r Rate) FrameSamples() int { return int(r) / 50 }

// FrameBytes is the size of one 20 ms frame of s16le mono at r.
func (r Rate) FrameBytes() int { return 2 * r.FrameSamples() }

// Samples is the number of samples that last d at r.
func (r Rate) Samples(d time.Duration) int { return int(int64(r) * int64(d) / int64(time.Second)) }

// Duration is how long n samples last at r.
func (r Rate) Duration(n int) time.Duration {
	return time.Duration(int64(n) * int64(time.Second) / int64(r))
}

func (r Rate) String() string { return fmt.Sprintf("%g kHz", float64(r)/1000) }

// PCM16 is signed 16-bit linear mono audio. The rate travels beside it.
type PCM16 []int16

// AppendS16LE appends p to dst as little-endian bytes and returns the result.
// It allocates only when dst lacks capacity.
func AppendS16LE(dst []byte, p PCM16) []byte {
	for _, s := range p {
		dst = binary.LittleEndian.AppendUint16(dst, uint16(s))
	}
	return dst
}

// AppendFromS16LE appends the samples of little-endian bytes b to dst; an odd
// trailing byte is ignored. It allocates only when dst lacks capacity.
func AppendFromS16LE(dst PCM16, b []byte) PCM16 {
	for i := 0; i+1 < len(b); i += 2 {
		dst = append(dst, int16(binary.LittleEndian.Uint16(b[i:])))
	}
	return dst
}

// Energy is the mean square of p (0 for empty p), in squared sample units.
func Energy(p PCM16) float64 {
	if len(p) == 0 {
		return 0
	}
	var sum float64
	for _, s := range p {
		v := float64(s)
		sum += v * v
	}
	return sum / float64(len(p))
}

// Writer is one push stage of the media path. WriteSample takes samples at
// SampleRate and must not keep p after it returns. String names the stage so
// that a pipeline can print its own shape.
type Writer interface {
	WriteSample(p PCM16) error
	SampleRate() Rate
	String() string
}
