package google

import (
	"encoding/binary"
	"errors"
	"slices"
	"testing"

	"github.com/tirevoice/assistant/internal/audio"
	"github.com/tirevoice/assistant/internal/tts/google/ttstest"
)

// riff builds a RIFF/WAVE file from chunks given as id, body pairs.
func riff(chunks ...string) []byte {
	var body []byte
	for i := 0; i < len(chunks); i += 2 {
		body = append(body, chunks[i]...)
		body = binary.LittleEndian.AppendUint32(body, uint32(len(chunks[i+1])))
		body = append(body, chunks[i+1]...)
		if len(chunks[i+1])%2 == 1 {
			body = append(body, 0)
		}
	}
	b := append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(4+len(body)))...)
	return append(append(b, "WAVE"...), body...)
}

// format is a fmt chunk body.
func format(tag, channels uint16, hz uint32, bits uint16) string {
	b := binary.LittleEndian.AppendUint16(nil, tag)
	b = binary.LittleEndian.AppendUint16(b, channels)
	b = binary.LittleEndian.AppendUint32(b, hz)
	b = binary.LittleEndian.AppendUint32(b, hz*uint32(channels)*uint32(bits)/8)
	b = binary.LittleEndian.AppendUint16(b, channels*bits/8)
	b = binary.LittleEndian.AppendUint16(b, bits)
	return string(b)
}

func TestDecode(t *testing.T) {
	samples := audio.PCM16{1, -2, 300, -32768, 32767}
	data := string(audio.AppendS16LE(nil, samples))
	mono8k := format(1, 1, 8000, 16)
	unknownSize := riff("fmt ", mono8k, "data", "")
	binary.LittleEndian.PutUint32(unknownSize[len(unknownSize)-4:], 0xFFFFFFFF)
	unknownSize = append(unknownSize, data...)

	for _, tc := range []struct {
		name string
		in   []byte
		want audio.PCM16
		err  error
	}{
		{"bare PCM", []byte(data), samples, nil},
		{"bare PCM, odd byte ignored", []byte(data + "x"), samples, nil},
		{"empty", nil, audio.PCM16{}, nil},
		{"Google's 44-byte header", ttstest.WAV([]byte(data), audio.Rate8k), samples, nil},
		{"LIST chunk of odd size before data", riff("fmt ", mono8k, "LIST", "INFOabc", "data", data), samples, nil},
		{"extensible format", riff("fmt ", format(0xFFFE, 1, 8000, 16)+"\x16\x00"+string(make([]byte, 22)), "data", data), samples, nil},
		{"data size unknown", unknownSize, samples, nil},
		{"data size past the end", riff("fmt ", mono8k, "data", data)[:44+4], samples[:2], nil},
		{"16 kHz", riff("fmt ", format(1, 1, 16000, 16), "data", data), nil, ErrAudioFormat},
		{"stereo", riff("fmt ", format(1, 2, 8000, 16), "data", data), nil, ErrAudioFormat},
		{"8-bit", riff("fmt ", format(1, 1, 8000, 8), "data", data), nil, ErrAudioFormat},
		{"mu-law", riff("fmt ", format(7, 1, 8000, 8), "data", data), nil, ErrAudioFormat},
		{"short format chunk", riff("fmt ", "\x01\x00", "data", data), nil, ErrAudioFormat},
		{"data before format", riff("data", data, "fmt ", mono8k), nil, ErrAudioFormat},
		{"no data", riff("fmt ", mono8k), nil, ErrAudioFormat},
		{"truncated chunk", riff("fmt ", mono8k)[:30], nil, ErrAudioFormat},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decode(tc.in)
			if !errors.Is(err, tc.err) {
				t.Fatalf("decode error %v, want %v", err, tc.err)
			}
			if tc.err == nil && !slices.Equal(got, tc.want) {
				t.Errorf("decode = %v, want %v", got, tc.want)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4})
	f.Add(ttstest.WAV([]byte{1, 2, 3, 4}, audio.Rate8k))
	f.Add(riff("fmt ", format(1, 1, 8000, 16), "LIST", "abc", "data", "\x01\x02"))
	f.Fuzz(func(t *testing.T, b []byte) {
		pcm, err := decode(b)
		if err != nil {
			if !isWAV(b) || !errors.Is(err, ErrAudioFormat) {
				t.Fatalf("decode error %v", err)
			}
			return
		}
		if len(pcm) > len(b)/2 || !isWAV(b) && len(pcm) != len(b)/2 {
			t.Fatalf("%d samples from %d bytes", len(pcm), len(b))
		}
	})
}
