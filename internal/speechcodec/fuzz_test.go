package speechcodec

import (
	"slices"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tirevoice/assistant/internal/audio"
)

// fuzzInput is the seed form: one control byte (bit 0: 16 kHz, the rest
// seeds the chunk sizes) and then s16le samples.
func fuzzInput(ctl byte, p audio.PCM16) []byte {
	return audio.AppendS16LE([]byte{ctl}, p)
}

// FuzzDecoder feeds arbitrary samples in arbitrary chunks. The decoder must
// not panic, must hear the same whatever the chunking, and must claim as
// heard only texts the encoder could have sent.
func FuzzDecoder(f *testing.F) {
	enc := NewEncoder()
	da, _ := enc.Encode("Да")
	f.Add(fuzzInput(0, append(silence(50*time.Millisecond), da...)))
	f.Add(fuzzInput(3, resample(da, audio.Rate8k, audio.Rate16k)))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		r := audio.Rate8k
		if data[0]&1 != 0 {
			r = audio.Rate16k
		}
		p := audio.AppendFromS16LE(nil, data[1:])
		seed := uint32(data[0]>>1) + 1

		d := NewDecoder(r)
		var chunked []Phrase
		for rest := p; len(rest) > 0; {
			seed = seed*1664525 + 1013904223
			n := min(len(rest), 1+int(seed>>16)%500)
			chunked = append(chunked, d.Write(rest[:n])...)
			rest = rest[n:]
		}
		chunked = append(chunked, d.Flush()...)

		d2 := NewDecoder(r)
		whole := append(slices.Clone(d2.Write(p)), d2.Flush()...)
		if !slices.Equal(chunked, whole) {
			t.Fatalf("chunked %+v, in one piece %+v", chunked, whole)
		}

		total := r.Duration(len(p))
		for _, ph := range chunked {
			if ph.Start > ph.End || ph.End > total+10*time.Millisecond {
				t.Errorf("phrase at %v..%v in a stream of %v", ph.Start, ph.End, total)
			}
			if !ph.OK {
				if ph.Text != "" {
					t.Errorf("unintelligible phrase with text %q", ph.Text)
				}
				continue
			}
			if !utf8.ValidString(ph.Text) || len(ph.Text) > MaxText {
				t.Fatalf("heard %d bytes of text %q, valid UTF-8 %v", len(ph.Text), ph.Text, utf8.ValidString(ph.Text))
			}
			// It is a text the encoder sends, and sends as what was heard.
			q, err := enc.Encode(ph.Text)
			if err != nil {
				t.Fatalf("heard %q, which the encoder refuses: %v", ph.Text, err)
			}
			back := NewDecoder(audio.Rate8k)
			again := append(slices.Clone(back.Write(q)), back.Flush()...)
			if len(again) != 1 || again[0].Text != ph.Text || !again[0].OK {
				t.Fatalf("heard %q, which re-encoded decodes as %+v", ph.Text, again)
			}
		}
	})
}
