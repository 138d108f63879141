package speechcodec

import (
	"math"
	"slices"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tirevoice/assistant/internal/audio"
)

// The fuzz input describes audio rather than holding it, so that a few dozen
// bytes reach every state of the decoder (a raw PCM input needs kilobytes
// per phrase, and the fuzzer cannot find a preamble in random samples):
//
//	byte 0     control: bit 0 the line is 16 kHz, bit 1 it went through
//	           mu-law, bits 2-7 seed the chunk sizes the decoder is fed in
//	then ops   one byte each, below, until the input or the audio budget
//	           runs out
//
// An op below 0x80 is one 10 ms symbol: its low nibble is the tone, bits
// 4-6 how it sounds (the style constants). An op from 0x80 up is raw audio
// at the line's rate: the next 2*(op&0x7f+1) bytes are s16le samples, as
// many as there are.
const (
	fuzz16k   = 1 << 0
	fuzzMulaw = 1 << 1

	opRaw = 0x80
	// maxFuzzSymbols bounds the audio of one input: 160 symbols, 1.6 s,
	// room for a phrase of 30 payload bytes. Longer inputs cost more per
	// exec and reach no state that shorter ones do not.
	maxFuzzSymbols = 160
)

// How a symbol op sounds, bits 4-6 of the op.
const (
	styleClean  = iota // the tone as the encoder sends it
	styleHalf          // 6 dB quieter
	styleFaint         // 30 dB quieter
	styleMixed         // the tone and its alternate (15-k) at once
	styleLate          // the tone shifted by half a symbol: a symbol boundary out of sync
	styleSilent        // silence
	styleNoise         // loud white noise
	styleLow           // a tone below the band (500 Hz), as speech or a DTMF row has
)

// fuzzSounds holds the sounds the ops are made of at one line rate. At
// 16 kHz they are synthesised at that rate rather than resampled, which
// would cost more than the decoding under test.
type fuzzSounds struct {
	rate audio.Rate
	tone [numTones][]int16 // a symbol of each tone
	low  []int16           // a symbol of 500 Hz
}

func newFuzzSounds(enc *Encoder, r audio.Rate) *fuzzSounds {
	fs := &fuzzSounds{rate: r}
	n := symLen * int(r) / int(rate)
	sine := func(hz float64) []int16 {
		s := make([]int16, n)
		for i := range s {
			s[i] = int16(math.Round(amplitude * math.Sin(2*math.Pi*hz*float64(i)/float64(r))))
		}
		return s
	}
	for k := range numTones {
		if r == rate {
			fs.tone[k] = enc.sym[k][:] // exactly what the encoder sends
		} else {
			fs.tone[k] = sine(toneHz(k))
		}
	}
	fs.low = sine(500)
	return fs
}

// audio renders the ops of a fuzz input.
func (fs *fuzzSounds) audio(ops []byte) audio.PCM16 {
	n := symLen * int(fs.rate) / int(rate)
	limit := maxFuzzSymbols * n
	var p audio.PCM16
	noise := uint32(1)
	for len(ops) > 0 && len(p) < limit {
		op := ops[0]
		ops = ops[1:]
		if op >= opRaw {
			k := min(2*(int(op&^opRaw)+1), len(ops))
			p = audio.AppendFromS16LE(p, ops[:k])
			ops = ops[k:]
			continue
		}
		k := int(op & 0x0f)
		sym := fs.tone[k]
		switch op >> 4 {
		case styleClean:
			p = append(p, sym...)
		case styleHalf:
			for _, s := range sym {
				p = append(p, s/2)
			}
		case styleFaint:
			for _, s := range sym {
				p = append(p, s/32)
			}
		case styleMixed:
			alt := fs.tone[numTones-1-k]
			for i, s := range sym {
				p = append(p, s/2+alt[i]/2)
			}
		case styleLate:
			p = append(p, sym[n/2:]...)
			p = append(p, sym[:n/2]...)
		case styleSilent:
			p = append(p, make(audio.PCM16, n)...)
		case styleNoise:
			for range n {
				noise = noise*1664525 + 1013904223
				p = append(p, int16(noise>>16)/4)
			}
		case styleLow:
			p = append(p, fs.low...)
		}
	}
	return p[:min(len(p), limit)]
}

// phraseOps is the op form of the phrase for text: its clean symbols.
func phraseOps(text string) []byte { return appendTones(nil, text) }

// FuzzDecoder feeds the decoder audio described by the input (see the
// constants above). Invariants: no panic; the phrases heard are the same
// whatever the chunking; each phrase lies inside the stream and the phrases
// come in order; a phrase heard as text is one the encoder sends, sends as
// exactly that text, and spans no more than the encoder's duration of it
// (less when symbols were lost).
//
// Seeds in testdata/fuzz/FuzzDecoder: whole phrases at 8 and 16 kHz and
// through mu-law, ones with symbols lost, silenced or changed (within and
// beyond repair), cut ones, an escape rune, noise and raw samples.
func FuzzDecoder(f *testing.F) {
	enc := NewEncoder()
	sounds := map[audio.Rate]*fuzzSounds{
		audio.Rate8k:  newFuzzSounds(enc, audio.Rate8k),
		audio.Rate16k: newFuzzSounds(enc, audio.Rate16k),
	}
	// One seed made from the format itself, so that the corpus keeps a
	// whole phrase if the format changes.
	silent := byte(styleSilent << 4)
	f.Add(append([]byte{0, silent, silent}, append(phraseOps("Да"), silent, silent)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		ctl := data[0]
		r := audio.Rate8k
		if ctl&fuzz16k != 0 {
			r = audio.Rate16k
		}
		p := sounds[r].audio(data[1:])
		if ctl&fuzzMulaw != 0 {
			p = audio.MulawDecode(nil, audio.MulawEncode(nil, p))
		}
		seed := uint32(ctl>>2) + 1

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
		var last time.Duration
		for _, ph := range chunked {
			if ph.Start > ph.End || ph.End > total+10*time.Millisecond {
				t.Errorf("phrase at %v..%v in a stream of %v", ph.Start, ph.End, total)
			}
			if ph.Start < last {
				t.Errorf("phrase at %v..%v starts before the previous one ended (%v)", ph.Start, ph.End, last)
			}
			last = ph.End
			if !ph.OK {
				if ph.Text != "" {
					t.Errorf("unintelligible phrase with text %q", ph.Text)
				}
				continue
			}
			if !utf8.ValidString(ph.Text) || len(ph.Text) > MaxText {
				t.Fatalf("heard %d bytes of text %q, valid UTF-8 %v", len(ph.Text), ph.Text, utf8.ValidString(ph.Text))
			}
			// The span is the phrase's symbols that were heard.
			if d := enc.Duration(ph.Text); ph.End-ph.Start > d {
				t.Errorf("heard %q over %v, the encoder's phrase lasts %v", ph.Text, ph.End-ph.Start, d)
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
