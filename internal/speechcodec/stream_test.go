package speechcodec

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/tirevoice/assistant/internal/audio"
)

// A conversation's worth of phrases in one stream: each is heard, in order,
// before the next one starts.
func TestStreamSeparatePhrases(t *testing.T) {
	enc := NewEncoder()
	said := []string{"Здравствуйте! Чем могу помочь?", "Да", "205/55 R16, зимние, Nokian", "Номер заказа 12345", "ok 👍", "Спасибо, до свидания."}
	for _, rt := range []audio.Rate{audio.Rate8k, audio.Rate16k} {
		t.Run(rt.String(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, uint64(rt)))
			var stream audio.PCM16
			var starts, ends []int // in samples at 8 kHz
			stream = silence(200 * time.Millisecond)
			for _, s := range said {
				starts = append(starts, len(stream))
				stream = append(stream, mustEncode(t, enc, s)...)
				ends = append(ends, len(stream))
				stream = append(stream, silence(time.Duration(300+rng.IntN(400))*time.Millisecond)...)
			}
			delay := 0
			if rt != audio.Rate8k {
				r := audio.NewResampler(audio.Rate8k, rt)
				delay = audio.Rate8k.Samples(r.Delay())
				stream = r.Process(nil, stream)
			}
			stream = addNoise(rng, stream, 30)
			toInput := func(n8k int) int { return n8k * int(rt) / int(audio.Rate8k) }
			got := feed(NewDecoder(rt), stream, frames(rt))
			if len(got) != len(said) {
				t.Fatalf("heard %d phrases, want %d: %+v", len(got), len(said), got)
			}
			for i, h := range got {
				if !h.OK || h.Text != said[i] {
					t.Errorf("phrase %d: heard OK=%v %q, want %q", i, h.OK, h.Text, said[i])
				}
				if h.at < toInput(ends[i]+delay) {
					t.Errorf("phrase %d reported at sample %d, before it ended (%d)", i, h.at, toInput(ends[i]+delay))
				}
				if h.at > toInput(ends[i]+delay+audio.Rate8k.FrameSamples()) {
					t.Errorf("phrase %d reported at sample %d, over 20 ms after it ended (%d)", i, h.at, toInput(ends[i]+delay))
				}
				if i+1 < len(said) && h.at > toInput(starts[i+1]) {
					t.Errorf("phrase %d reported after the next one started", i)
				}
				if want := audio.Rate8k.Duration(starts[i] + delay); !near(h.Start, want, time.Millisecond) {
					t.Errorf("phrase %d starts at %v, want %v", i, h.Start, want)
				}
			}
		})
	}
}

// Whatever the decoder cannot make out it reports as unintelligible, and it
// never claims a text it did not hear; what its error correction can
// repair it hears.
func TestUnintelligible(t *testing.T) {
	enc := NewEncoder()
	rng := rand.New(rand.NewPCG(11, 12))
	const goodText = "Номер заказа 12345"
	const longText = "Здравствуйте! Чем могу помочь? Подберём шины и запишем на шиномонтаж."
	good := mustEncode(t, enc, goodText)
	long := mustEncode(t, enc, longText)
	gap := silence(500 * time.Millisecond)
	cat := func(parts ...audio.PCM16) audio.PCM16 {
		var out audio.PCM16
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	header := len(preamble) + (8*headerLen+symBits-1)/symBits // symbols up to the payload
	swap := func(p audio.PCM16, from, to, step int) audio.PCM16 {
		for i := from; i < to; i += step {
			p = swapSymbol(enc, p, i)
		}
		return p
	}
	noise := func(d time.Duration, level float64) audio.PCM16 {
		return addNoise(rng, silence(d), level)
	}
	loudNoise := func(from, to int) audio.PCM16 {
		p := append(audio.PCM16(nil), long...)
		for i := from; i < to; i++ {
			p[i] = clip(rng.NormFloat64() * 20000)
		}
		return p
	}
	const bad = "?" // an unintelligible phrase
	tests := []struct {
		name string
		in   audio.PCM16
		want []string // what each phrase heard says
	}{
		{"white noise burst", cat(gap, noise(time.Second, 3000), gap), []string{bad}},
		{"noise from the first sample", noise(2*time.Second, 3000), nil},
		{"uniform full-scale noise", func() audio.PCM16 {
			p := make(audio.PCM16, 8000)
			for i := range p {
				p[i] = int16(rng.Uint32())
			}
			return cat(gap, p, gap)
		}(), []string{bad}},
		{"a 1 kHz whistle", cat(gap, gain(tone(1000, 2*time.Second), 0), gap), []string{bad}},
		{"a whistle on one of the codec's tones", cat(gap, gain(tone(toneHz(3), 2*time.Second), 0), gap), []string{bad}},
		{"phrase cut off, then a good one", cat(gap, long[:len(long)*3/5], gap, good, gap), []string{bad, goodText}},
		{"phrase cut off at the end of the stream", cat(gap, long[:len(long)/2]), []string{bad}},
		{"cut within the preamble", cat(gap, long[:3*symLen], gap, good, gap), []string{bad, goodText}},
		{"a few symbols changed: corrected", cat(gap, swap(long, 10, len(long)/symLen, 37), gap, good, gap), []string{longText, goodText}},
		{"payload symbols changed beyond repair", cat(gap, swap(long, header, len(long)/symLen, 3), gap, good, gap), []string{bad, goodText}},
		{"header changed beyond repair", cat(gap, swap(long, len(preamble), header, 2), gap, good, gap), []string{bad, goodText}},
		{"loud noise over 200 ms of it: corrected", cat(gap, loudNoise(1000, 2600), gap), []string{longText}},
		{"loud noise over most of it", cat(gap, loudNoise(1000, len(long)-1000), gap), []string{bad}},
		{"preamble missing: a hole at the start", cat(gap, long[len(preamble)*symLen:], gap, good, gap), []string{longText, goodText}},
		{"preamble and header missing", cat(gap, long[header*symLen:], gap, good, gap), []string{bad, goodText}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := feed(NewDecoder(audio.Rate8k), tc.in, randomChunks(rng))
			var heard []string
			for _, h := range got {
				switch {
				case h.OK:
					heard = append(heard, h.Text)
				case h.Text != "":
					t.Errorf("unintelligible phrase with text %q", h.Text)
				default:
					heard = append(heard, bad)
				}
				if h.End < h.Start {
					t.Errorf("phrase ends (%v) before it starts (%v)", h.End, h.Start)
				}
			}
			if !slices.Equal(heard, tc.want) {
				t.Fatalf("heard %q, want %q", heard, tc.want)
			}
		})
	}
}

func tone(hz float64, d time.Duration) audio.PCM16 {
	p := silence(d)
	for i := range p {
		p[i] = clip(5000 * math.Sin(2*math.Pi*hz*float64(i)/8000))
	}
	return p
}

// swapSymbol returns a copy of phrase p with symbol i (counting the
// preamble) sent on another tone.
func swapSymbol(enc *Encoder, p audio.PCM16, i int) audio.PCM16 {
	q := append(audio.PCM16(nil), p...)
	w := q[i*symLen : (i+1)*symLen]
	k := 0
	if w[symLen/2] == enc.sym[0][symLen/2] {
		k = 5
	}
	copy(w, enc.sym[k][:])
	return q
}

// An unintelligible phrase is reported once the line has gone quiet for as
// long as a gap that ends a phrase, not before, and the decoder is busy all
// through it.
func TestUnintelligibleWhenQuiet(t *testing.T) {
	enc := NewEncoder()
	lead := silence(300 * time.Millisecond)
	phrase := mustEncode(t, enc, "Здравствуйте! Чем могу помочь?")
	for i := len(preamble); i < len(phrase)/symLen; i += 2 {
		phrase = swapSymbol(enc, phrase, i)
	}
	bad := append(lead, phrase...)
	end := len(bad)
	bad = append(bad, silence(time.Second)...)
	d := NewDecoder(audio.Rate8k)
	for n := 0; n < len(bad); n += 160 {
		out := d.Write(bad[n : n+160])
		switch {
		case n+160 <= end && out != nil:
			t.Fatalf("reported %+v at %v, while the phrase still sounds", out, audio.Rate8k.Duration(n))
		case n+160 <= len(lead) && d.Busy():
			t.Fatalf("busy at %v, before the phrase", audio.Rate8k.Duration(n))
		case n >= len(lead)+160 && n+160 <= end+gapSymbols*symLen && !d.Busy():
			t.Fatalf("not busy at %v, inside the phrase or the gap after it", audio.Rate8k.Duration(n))
		case out != nil:
			if len(out) != 1 || out[0].OK {
				t.Fatalf("heard %+v, want one unintelligible phrase", out)
			}
			if late := audio.Rate8k.Duration(n + 160 - end); late > rate.Duration(gapSymbols*symLen)+40*time.Millisecond {
				t.Errorf("reported %v after the end", late)
			}
			if !near(out[0].Start, audio.Rate8k.Duration(len(lead)), time.Millisecond) || !near(out[0].End, audio.Rate8k.Duration(end), 5*time.Millisecond) {
				t.Errorf("reported at %v..%v, sounded %v..%v", out[0].Start, out[0].End, audio.Rate8k.Duration(len(lead)), audio.Rate8k.Duration(end))
			}
			if d.Busy() {
				t.Error("still busy after reporting")
			}
			return
		}
	}
	t.Fatal("nothing reported")
}
