package google

import (
	"encoding/binary"
	"fmt"

	"github.com/tirevoice/assistant/internal/audio"
)

// decode turns the service's audio content into samples. The PCM encoding
// has no header; should a server answer with a WAV file instead (LINEAR16
// does, and an older or regional deployment might ignore PCM), its header
// is parsed and stripped. A trailing odd byte is ignored.
func decode(b []byte) (audio.PCM16, error) {
	if isWAV(b) {
		data, err := wavData(b)
		if err != nil {
			return nil, err
		}
		b = data
	}
	return audio.AppendFromS16LE(make(audio.PCM16, 0, len(b)/2), b), nil
}

// isWAV reports whether b starts like a RIFF/WAVE file. 16-bit PCM that
// happens to start with these 12 bytes would need the samples 0x4952,
// 0x4646, any, any, 0x4157, 0x4556 in a row: not speech.
func isWAV(b []byte) bool {
	return len(b) >= 12 && string(b[0:4]) == "RIFF" && string(b[8:12]) == "WAVE"
}

// wavData returns the sound data of a RIFF/WAVE file after checking that its
// format chunk says 16-bit mono PCM at 8 kHz. Chunks are walked in order
// (LIST and other chunks may precede the data, and each is padded to an
// even size); a data chunk whose size is unknown (0 or 0xFFFFFFFF, as
// streaming writers leave it) or past the end runs to the end of b.
func wavData(b []byte) ([]byte, error) {
	p := b[12:]
	formatOK := false
	for len(p) >= 8 {
		id, size := string(p[0:4]), uint64(binary.LittleEndian.Uint32(p[4:8]))
		p = p[8:]
		if id == "data" {
			if !formatOK {
				return nil, fmt.Errorf("%w: WAV data before its format chunk", ErrAudioFormat)
			}
			if size == 0 || size == 0xFFFFFFFF || size > uint64(len(p)) {
				size = uint64(len(p))
			}
			return p[:size], nil
		}
		if size > uint64(len(p)) {
			return nil, fmt.Errorf("%w: WAV chunk %q truncated", ErrAudioFormat, id)
		}
		if id == "fmt " {
			if err := checkFormat(p[:size]); err != nil {
				return nil, err
			}
			formatOK = true
		}
		p = p[min(size+size&1, uint64(len(p))):]
	}
	return nil, fmt.Errorf("%w: WAV without a data chunk", ErrAudioFormat)
}

// WAVE format tags: plain PCM, and the extensible form Google does not use
// but other writers do for the same data.
const (
	wavePCM        = 1
	waveExtensible = 0xFFFE
)

func checkFormat(f []byte) error {
	if len(f) < 16 {
		return fmt.Errorf("%w: WAV format chunk of %d bytes", ErrAudioFormat, len(f))
	}
	tag := binary.LittleEndian.Uint16(f[0:2])
	channels := binary.LittleEndian.Uint16(f[2:4])
	hz := binary.LittleEndian.Uint32(f[4:8])
	bits := binary.LittleEndian.Uint16(f[14:16])
	if tag != wavePCM && tag != waveExtensible || channels != 1 || hz != uint32(rate) || bits != 16 {
		return fmt.Errorf("%w: WAV format %#x, %d channels, %d Hz, %d bits; want PCM, 1, %d, 16",
			ErrAudioFormat, tag, channels, hz, bits, int(rate))
	}
	return nil
}
