package aec

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tirevoice/assistant/internal/audio"
	"github.com/tirevoice/assistant/internal/speechcodec"
)

// Phrases the bot and the caller say in the tests.
const (
	botText1   = "Здравствуйте! Шиномонтаж на Ленинском, чем могу помочь?"
	botText2   = "Зимние шины 205/55 R16 есть в наличии, запись на завтра."
	callerText = "Мне нужны четыре шины Nokian, заказ 12345"
)

// say returns the mock-TTS audio of text at rate r.
func say(t testing.TB, r audio.Rate, text string) audio.PCM16 {
	t.Helper()
	p, err := speechcodec.NewEncoder().Encode(text)
	if err != nil {
		t.Fatal(err)
	}
	if r == audio.Rate8k {
		return p
	}
	rs := audio.NewResampler(audio.Rate8k, r)
	out := rs.Process(nil, p)
	// Flush the resampler's delay with silence so the phrase ends whole.
	return rs.Process(out, make(audio.PCM16, audio.Rate8k.Samples(rs.Delay())+8))
}

// speechNoise is a noise-like stand-in for speech: white noise coloured by
// a one-pole low-pass, in syllables of 150-300 ms, at rms level dBFS.
func speechNoise(r audio.Rate, d time.Duration, dbfs float64, seed uint64) audio.PCM16 {
	rng := rand.New(rand.NewPCG(seed, 7))
	p := make(audio.PCM16, r.Samples(d))
	sd := 32768 * math.Pow(10, dbfs/20)
	var lp float64
	env, left := 0.0, 0
	for i := range p {
		if left == 0 {
			left = r.Samples(time.Duration(150+rng.IntN(150)) * time.Millisecond)
			env = 0.3 + 1.4*rng.Float64()
		}
		left--
		lp = 0.6*lp + 0.4*rng.NormFloat64()
		p[i] = clip(lp * 2.0 * env * sd)
	}
	return p
}

func clip(v float64) int16 {
	return int16(max(math.MinInt16, min(math.MaxInt16, math.Round(v))))
}

func dbfsNoise(n int, dbfs float64, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 3))
	sd := 32768 * math.Pow(10, dbfs/20)
	out := make([]float64, n)
	for i := range out {
		out[i] = rng.NormFloat64() * sd
	}
	return out
}

// mulaw passes p through a G.711 mu-law link.
func mulaw(p audio.PCM16) audio.PCM16 {
	return audio.MulawDecode(nil, audio.MulawEncode(nil, p))
}

// echoPath is a hybrid: a bulk delay, then a short decaying dispersive
// response (6 ms) whose energy gain is levelDB.
func echoPath(r audio.Rate, delay time.Duration, levelDB float64, seed uint64) []float64 {
	d := r.Samples(delay)
	l := r.Samples(6 * time.Millisecond)
	h := make([]float64, d+l)
	rng := rand.New(rand.NewPCG(seed, 11))
	var e float64
	for i := range l {
		v := rng.NormFloat64() * math.Exp(-float64(i)/float64(l/4))
		h[d+i] = v
		e += v * v
	}
	g := math.Sqrt(math.Pow(10, levelDB/10) / e)
	for i := d; i < len(h); i++ {
		h[i] *= g
	}
	return h
}

func convolve(x audio.PCM16, h []float64) []float64 {
	out := make([]float64, len(x))
	first := 0
	for first < len(h) && h[first] == 0 {
		first++
	}
	for n := range out {
		var s float64
		for k := first; k < len(h) && k <= n; k++ {
			s += h[k] * float64(x[n-k])
		}
		out[n] = s
	}
	return out
}

// call is one simulated stretch of a call: what the bot sent, what the line
// brought back, and its parts.
type call struct {
	rate   audio.Rate
	far    audio.PCM16 // what the processor sent
	near   audio.PCM16 // what it received: mu-law(echo + noise + caller)
	clean  audio.PCM16 // mu-law(noise + caller): the near side with no echo
	echo   []float64   // the echo alone, before the line
	onset  int         // sample where the bot's first words start
	delay  int         // echo delay in samples
	frames int
}

type scene struct {
	rate     audio.Rate
	far      audio.PCM16 // bot audio (before the mu-law link)
	caller   audio.PCM16 // caller audio at the caller's end, or nil
	callerAt time.Duration
	delay    time.Duration
	levelDB  float64 // echo level; math.Inf(-1) for no echo
	noiseDB  float64
}

func (s scene) build(t testing.TB) call {
	t.Helper()
	fr := s.rate.FrameSamples()
	n := (len(s.far) + fr - 1) / fr * fr
	if s.caller != nil {
		n = max(n, (s.rate.Samples(s.callerAt)+len(s.caller)+fr-1)/fr*fr)
	}
	far := make(audio.PCM16, n)
	copy(far, s.far)
	c := call{rate: s.rate, far: far, frames: n / fr, delay: s.rate.Samples(s.delay), onset: -1}
	for i, v := range far {
		if v != 0 {
			c.onset = i
			break
		}
	}
	c.echo = make([]float64, n)
	if !math.IsInf(s.levelDB, -1) {
		c.echo = convolve(mulaw(far), echoPath(s.rate, s.delay, s.levelDB, 1))
	}
	noise := dbfsNoise(n, s.noiseDB, 2)
	rest := make([]float64, n)
	copy(rest, noise)
	if s.caller != nil {
		at := s.rate.Samples(s.callerAt)
		for i, v := range s.caller {
			rest[at+i] += float64(v)
		}
	}
	near := make(audio.PCM16, n)
	clean := make(audio.PCM16, n)
	for i := range near {
		near[i] = clip(c.echo[i] + rest[i])
		clean[i] = clip(rest[i])
	}
	c.near, c.clean = mulaw(near), mulaw(clean)
	return c
}

// run feeds the call through a canceller frame by frame, as the call
// pipeline does, and returns the output.
func (c call) run(t testing.TB, cfg Config) (audio.PCM16, *Canceller) {
	t.Helper()
	cfg.Rate = c.rate
	ac, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	fr := c.rate.FrameSamples()
	out := make(audio.PCM16, len(c.near))
	for i := 0; i < len(c.near); i += fr {
		ac.Far(c.far[i : i+fr])
		ac.Process(c.near[i:i+fr], out[i:i+fr])
	}
	return out, ac
}

// erle is the echo return loss enhancement over samples [from, to): echo
// energy in over echo energy left in out (out less the echo-free near
// side), in dB.
func (c call) erle(out audio.PCM16, from, to int) float64 {
	from, to = max(0, from), min(len(out), to)
	var ein, eout float64
	for i := from; i < to; i++ {
		ein += c.echo[i] * c.echo[i]
		r := float64(out[i]) - float64(c.clean[i])
		eout += r * r
	}
	return 10 * math.Log10(ein/max(eout, 1e-9))
}

func energyDB(p audio.PCM16) float64 {
	var s float64
	for _, v := range p {
		s += float64(v) * float64(v)
	}
	return 10 * math.Log10(max(s, 1e-9))
}

// hear returns the phrases the mock recogniser decodes from p.
func hear(r audio.Rate, p audio.PCM16) []string {
	d := speechcodec.NewDecoder(r)
	var got []string
	fr := r.FrameSamples()
	for i := 0; i+fr <= len(p); i += fr {
		for _, ph := range d.Write(p[i : i+fr]) {
			if ph.OK {
				got = append(got, ph.Text)
			} else {
				got = append(got, "?")
			}
		}
	}
	for _, ph := range d.Flush() {
		if ph.OK {
			got = append(got, ph.Text)
		} else {
			got = append(got, "?")
		}
	}
	return got
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// botTurn is the bot's turn: 200 ms of silence, two phrases 300 ms apart,
// then a second of silence for the echo to die out.
func botTurn(t testing.TB, r audio.Rate) audio.PCM16 {
	var p audio.PCM16
	p = append(p, make(audio.PCM16, r.Samples(200*time.Millisecond))...)
	p = append(p, say(t, r, botText1)...)
	p = append(p, make(audio.PCM16, r.Samples(300*time.Millisecond))...)
	p = append(p, say(t, r, botText2)...)
	p = append(p, make(audio.PCM16, r.Samples(time.Second))...)
	return p
}
