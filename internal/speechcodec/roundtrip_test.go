package speechcodec

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tirevoice/assistant/internal/audio"
)

// line is one impairment of the path between the encoder and the decoder,
// applied to the whole 8 kHz stream (phrase with its silences); it returns
// the stream at the decoder's rate.
type line struct {
	name    string
	rate    audio.Rate // what the decoder hears
	delay   int        // resamplers in the line, each delaying the phrase
	lead    bool       // random leading and trailing silence
	chunked bool       // random chunk sizes 1..500 instead of 20 ms frames
	apply   func(rng *rand.Rand, p audio.PCM16, level float64) audio.PCM16
}

func noiseAt20dB(rng *rand.Rand, p audio.PCM16, level float64) audio.PCM16 {
	return addNoise(rng, p, level/10)
}

var lines = []line{
	{name: "clean", rate: audio.Rate8k},
	{name: "mu-law", rate: audio.Rate8k, apply: func(_ *rand.Rand, p audio.PCM16, _ float64) audio.PCM16 { return mulaw(p) }},
	{name: "A-law", rate: audio.Rate8k, apply: func(_ *rand.Rand, p audio.PCM16, _ float64) audio.PCM16 { return alaw(p) }},
	{name: "8 to 16 kHz", rate: audio.Rate16k, delay: 1, apply: func(_ *rand.Rand, p audio.PCM16, _ float64) audio.PCM16 {
		return resample(p, audio.Rate8k, audio.Rate16k)
	}},
	{name: "8 to 16 to 8 kHz", rate: audio.Rate8k, delay: 2, apply: func(_ *rand.Rand, p audio.PCM16, _ float64) audio.PCM16 {
		return resample(resample(p, audio.Rate8k, audio.Rate16k), audio.Rate16k, audio.Rate8k)
	}},
	{name: "gain -20 dB", rate: audio.Rate8k, apply: func(_ *rand.Rand, p audio.PCM16, _ float64) audio.PCM16 { return gain(p, -20) }},
	{name: "gain -10 dB", rate: audio.Rate8k, apply: func(_ *rand.Rand, p audio.PCM16, _ float64) audio.PCM16 { return gain(p, -10) }},
	{name: "gain 0 dB", rate: audio.Rate8k, apply: func(_ *rand.Rand, p audio.PCM16, _ float64) audio.PCM16 { return gain(p, 0) }},
	{name: "gain +6 dB", rate: audio.Rate8k, apply: func(_ *rand.Rand, p audio.PCM16, _ float64) audio.PCM16 { return gain(p, 6) }},
	{name: "random chunks", rate: audio.Rate8k, chunked: true},
	{name: "leading and trailing silence", rate: audio.Rate8k, lead: true},
	{name: "white noise 20 dB SNR", rate: audio.Rate8k, apply: noiseAt20dB},
	{name: "all at -20 dB, decoded at 16 kHz", rate: audio.Rate16k, delay: 1, lead: true, chunked: true,
		apply: func(rng *rand.Rand, p audio.PCM16, level float64) audio.PCM16 {
			p = noiseAt20dB(rng, gain(p, -20), level/10)
			return resample(mulaw(p), audio.Rate8k, audio.Rate16k)
		}},
	{name: "all at +6 dB, back at 8 kHz", rate: audio.Rate8k, delay: 2, lead: true, chunked: true,
		apply: func(rng *rand.Rand, p audio.PCM16, level float64) audio.PCM16 {
			p = alaw(noiseAt20dB(rng, gain(p, 6), level*2))
			return resample(resample(p, audio.Rate8k, audio.Rate16k), audio.Rate16k, audio.Rate8k)
		}},
}

func TestRoundTrip(t *testing.T) {
	enc := NewEncoder()
	for li, ln := range lines {
		t.Run(ln.name, func(t *testing.T) {
			t.Parallel()
			for ti, tx := range texts {
				t.Run(tx.name, func(t *testing.T) {
					rng := rand.New(rand.NewPCG(uint64(li), uint64(ti)))
					phrase := mustEncode(t, enc, tx.text)
					var lead, trail time.Duration
					if ln.lead {
						lead = time.Duration(rng.IntN(2000)) * time.Millisecond
						trail = time.Duration(rng.IntN(2000)) * time.Millisecond
					}
					stream := append(append(silence(lead), phrase...), silence(trail)...)
					if ln.apply != nil {
						stream = ln.apply(rng, stream, rms(phrase))
					}
					chunk := frames(ln.rate)
					if ln.chunked {
						chunk = randomChunks(rng)
					}
					got := feed(NewDecoder(ln.rate), stream, chunk)
					if len(got) != 1 {
						t.Fatalf("heard %d phrases, want 1: %+v", len(got), got)
					}
					ph := got[0]
					if !ph.OK || ph.Text != tx.text {
						t.Fatalf("heard OK=%v %.60q, want %.60q", ph.OK, ph.Text, tx.text)
					}
					start := lead + time.Duration(ln.delay)*audio.NewResampler(audio.Rate8k, audio.Rate16k).Delay()
					end := start + enc.Duration(tx.text)
					if !near(ph.Start, start, time.Millisecond) || !near(ph.End, end, time.Millisecond) {
						t.Errorf("phrase heard at %v..%v, arrived at %v..%v", ph.Start, ph.End, start, end)
					}
				})
			}
		})
	}
}

func TestEncodeErrors(t *testing.T) {
	enc := NewEncoder()
	tests := []struct {
		name string
		text string
		err  error
	}{
		{"too long", fullText() + "x", ErrTextTooLong},
		{"invalid UTF-8", "abc\xff", ErrInvalidUTF8},
		{"lone surrogate half", "\xed\xa0\x80", ErrInvalidUTF8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dst := audio.PCM16{1, 2, 3}
			got, err := enc.AppendEncode(dst, tc.text)
			if err != tc.err {
				t.Errorf("err = %v, want %v", err, tc.err)
			}
			if len(got) != 3 {
				t.Errorf("dst changed on error: %d samples", len(got))
			}
			if d := enc.Duration(tc.text); d != 0 {
				t.Errorf("Duration = %v, want 0", d)
			}
		})
	}
	if len(fullText()) != MaxText {
		t.Fatalf("fullText is %d bytes", len(fullText()))
	}
}

func TestAppendEncodeAppends(t *testing.T) {
	enc := NewEncoder()
	a := mustEncode(t, enc, "раз")
	b := mustEncode(t, enc, "два")
	both, err := enc.AppendEncode(append(audio.PCM16(nil), a...), "два")
	if err != nil {
		t.Fatal(err)
	}
	if len(both) != len(a)+len(b) || enc.Rate() != audio.Rate8k {
		t.Fatalf("AppendEncode gave %d samples, want %d", len(both), len(a)+len(b))
	}
	if d := enc.Duration("два"); d != audio.Rate8k.Duration(len(b)) {
		t.Errorf("Duration = %v, audio lasts %v", d, audio.Rate8k.Duration(len(b)))
	}
}
