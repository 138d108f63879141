package speechcodec

import (
	"math"
	"math/rand/v2"
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
// never claims a text it did not hear.
func TestUnintelligible(t *testing.T) {
	enc := NewEncoder()
	rng := rand.New(rand.NewPCG(11, 12))
	good := mustEncode(t, enc, "Номер заказа 12345")
	long := mustEncode(t, enc, "Здравствуйте! Чем могу помочь? Подберём шины и запишем на шиномонтаж.")
	gap := silence(500 * time.Millisecond)
	cat := func(parts ...audio.PCM16) audio.PCM16 {
		var out audio.PCM16
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	swapSymbol := func(p audio.PCM16, i int) audio.PCM16 { return swapSymbol(enc, p, i) }
	noise := func(d time.Duration, level float64) audio.PCM16 {
		return addNoise(rng, silence(d), level)
	}
	tests := []struct {
		name string
		in   audio.PCM16
		want []bool // OK of each phrase heard
	}{
		{"white noise burst", cat(gap, noise(time.Second, 3000), gap), []bool{false}},
		{"noise from the first sample", noise(2*time.Second, 3000), nil},
		{"uniform full-scale noise", func() audio.PCM16 {
			p := make(audio.PCM16, 8000)
			for i := range p {
				p[i] = int16(rng.Uint32())
			}
			return cat(gap, p, gap)
		}(), []bool{false}},
		{"a 1 kHz whistle", cat(gap, gain(tone(1000, 2*time.Second), 0), gap), []bool{false}},
		{"phrase cut off, then a good one", cat(gap, long[:len(long)*3/5], gap, good, gap), []bool{false, true}},
		{"phrase cut off at the end of the stream", cat(gap, long[:len(long)/2]), []bool{false}},
		{"cut within the preamble", cat(gap, long[:3*symLen], gap, good, gap), []bool{false, true}},
		{"payload symbol changed", cat(gap, swapSymbol(long, 40), gap, good, gap), []bool{false, true}},
		{"CRC symbol changed", cat(gap, swapSymbol(long, len(long)/symLen-1), gap), []bool{false}},
		{"length changed", cat(gap, swapSymbol(long, len(preamble)+2), gap, good, gap), []bool{false, true}},
		{"loud noise over part of it", func() audio.PCM16 {
			p := append(audio.PCM16(nil), long...)
			for i := 1000; i < 2600; i++ {
				p[i] = clip(rng.NormFloat64() * 20000)
			}
			return cat(gap, p, gap)
		}(), []bool{false}},
		{"preamble missing", cat(gap, long[len(preamble)*symLen:], gap, good, gap), []bool{false, true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := feed(NewDecoder(audio.Rate8k), tc.in, randomChunks(rng))
			var oks []bool
			for _, h := range got {
				oks = append(oks, h.OK)
				if h.OK && h.Text != "Номер заказа 12345" {
					t.Errorf("claimed to hear %q", h.Text)
				}
				if !h.OK && h.Text != "" {
					t.Errorf("unintelligible phrase with text %q", h.Text)
				}
				if h.End < h.Start {
					t.Errorf("phrase ends (%v) before it starts (%v)", h.End, h.Start)
				}
			}
			if len(oks) != len(tc.want) {
				t.Fatalf("heard %v, want %v", oks, tc.want)
			}
			for i := range oks {
				if oks[i] != tc.want[i] {
					t.Fatalf("heard %v, want %v", oks, tc.want)
				}
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

// An unintelligible phrase is reported once the line goes quiet, not before,
// and the decoder is busy all through it.
func TestUnintelligibleWhenQuiet(t *testing.T) {
	enc := NewEncoder()
	lead := silence(300 * time.Millisecond)
	bad := append(lead, swapSymbol(enc, mustEncode(t, enc, "Здравствуйте! Чем могу помочь?"), 20)...)
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
		case n >= len(lead)+160 && n+160 <= end && !d.Busy():
			t.Fatalf("not busy at %v, inside the phrase", audio.Rate8k.Duration(n))
		case out != nil:
			if len(out) != 1 || out[0].OK {
				t.Fatalf("heard %+v, want one unintelligible phrase", out)
			}
			if late := audio.Rate8k.Duration(n + 160 - end); late > 60*time.Millisecond {
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
