package speechcodec

import (
	"encoding/binary"
	"time"

	"github.com/tirevoice/assistant/internal/audio"
)

// Phrase is one phrase heard by the decoder.
type Phrase struct {
	Text string // the text, when OK
	OK   bool   // false: something was said but could not be understood
	// Start and End are offsets in the decoder's input stream (since
	// NewDecoder or Reset) of the beginning and end of the phrase.
	Start, End time.Duration
}

// Decoder tuning. Energies are mean squares of 8 kHz samples.
const (
	blockLen     = 20   // energy block for onset and silence, 2.5 ms
	onsetBlocks  = 4    // this many loud blocks in a row start a phrase
	quietBlocks  = 8    // this many quiet blocks in a row end one (20 ms)
	minThreshold = 5000 // onset energy never below this (RMS 70, -53 dBFS)
	floorFactor  = 8    // onset when 9 dB above the noise floor
	floorDown    = 0.2  // noise floor tracking: quick to fall,
	floorUp      = 0.005
	floorUpBusy  = 0.0002 // slow to rise; slower still while waiting for silence (~3.5 s)
	syncBefore   = 100    // fine sync searches this many samples before
	syncAfter    = 40     // and after the coarse onset
	syncQuality  = 0.5    // share of each preamble symbol's energy on its tone
	warmUp       = 1600   // samples (200 ms) during which the floor is still being learnt
	symGuard     = 16     // samples skipped at each end of a symbol (2 ms)
	symWindow    = symLen - 2*symGuard
	quietSymbols = 2 // quiet symbols in a row cut a phrase short
)

type state int

const (
	stIdle  state = iota // silence: tracking the floor, looking for an onset
	stSync               // onset found, waiting for the preamble to arrive
	stData               // reading symbols
	stQuiet              // waiting for silence after a phrase
)

// Decoder is the streaming mock speech recogniser: it hears phrases made by
// the Encoder in audio at its rate and reports each one as soon as its last
// symbol has arrived. Anything else loud enough is reported, once it falls
// silent, as an unintelligible Phrase. A Decoder is not safe for concurrent
// use.
type Decoder struct {
	rate  audio.Rate
	rs    *audio.Resampler // to 8 kHz; nil when rate is 8 kHz
	rsOut audio.PCM16
	delay int64 // resampler delay in 8 kHz samples

	// buf holds 8 kHz samples from absolute index base on; n is the index
	// just past the last one.
	buf  []float32
	base int64

	st    state
	pos   int64 // next block (idle, quiet) to look at
	floor float64
	fset  bool // floor has been measured

	run      int   // loud blocks in a row (idle)
	runStart int64 // where they began
	still    int   // quiet blocks (stQuiet) or symbols (stData) in a row
	stillAt  int64 // where the quiet began

	start   int64 // first sample of the phrase's preamble
	sym     int   // next symbol to read, counting the preamble
	nsym    int   // symbols in the phrase, once the header is read
	frame   []byte
	pending bool // an unintelligible phrase to report when quiet

	coef [numTones]float64
	out  []Phrase
	text []byte
}

// NewDecoder returns a decoder for audio at rate r (any rate the resampler
// supports; AudioSocket sends 8 or 16 kHz).
func NewDecoder(r audio.Rate) *Decoder {
	d := &Decoder{rate: r}
	if r != rate {
		d.rs = audio.NewResampler(r, rate)
		d.delay = int64(rate.Samples(d.rs.Delay()))
	}
	for k := range numTones {
		d.coef[k] = goertzelCoef(toneHz(k))
	}
	d.frame = make([]byte, 0, headerLen+maxPayload+trailerLen)
	return d
}

// Rate is the rate of the audio Write takes.
func (d *Decoder) Rate() audio.Rate { return d.rate }

func (d *Decoder) String() string { return "speechcodec decoder (" + d.rate.String() + ")" }

// Write takes the next samples of the stream, at the decoder's rate, and
// returns the phrases that ended in them, in order: usually none (nil). The
// returned slice belongs to the decoder and is valid until the next call.
// Chunk boundaries do not matter: any split of a stream gives the same
// phrases. In steady state Write allocates only for the text of a phrase.
func (d *Decoder) Write(p audio.PCM16) []Phrase {
	d.out = d.out[:0]
	d.push(p)
	d.step()
	d.compact()
	if len(d.out) == 0 {
		return nil
	}
	return d.out
}

// Flush ends the stream: it reports a phrase still in progress (cut short) as
// unintelligible, and a complete one that only needed the resampler's last
// samples as heard. The decoder is then Reset. The returned slice is valid
// until the next call.
func (d *Decoder) Flush() []Phrase {
	d.out = d.out[:0]
	if d.rs != nil {
		var zeros [64]int16
		for n := 2 * d.rate.Samples(d.rs.Delay()); n > 0; n -= len(zeros) {
			d.push(zeros[:min(n, len(zeros))])
		}
		d.step()
	}
	end := d.base + int64(len(d.buf))
	switch {
	case d.st == stSync:
		d.report(d.runStart, end)
	case d.st == stData:
		d.report(d.start, end)
	case d.st == stQuiet && d.pending:
		d.report(d.start, end)
	}
	out := d.out
	d.Reset()
	d.out = out
	if len(out) == 0 {
		return nil
	}
	return out
}

// Busy reports whether the decoder is inside a phrase: it has heard an
// onset and not yet the silence after it.
func (d *Decoder) Busy() bool { return d.st != stIdle }

// Reset forgets the stream, as if the decoder were new; offsets start at 0
// again.
func (d *Decoder) Reset() {
	if d.rs != nil {
		d.rs.Reset()
	}
	d.buf = d.buf[:0]
	d.base = 0
	d.st, d.pos, d.floor, d.fset = stIdle, 0, 0, false
	d.run, d.still, d.pending = 0, 0, false
	d.frame = d.frame[:0]
	d.out = d.out[:0]
}

// push appends p, converted to 8 kHz, to buf.
func (d *Decoder) push(p audio.PCM16) {
	if d.rs != nil {
		d.rsOut = d.rs.Process(d.rsOut[:0], p)
		p = d.rsOut
	}
	for _, s := range p {
		d.buf = append(d.buf, float32(s))
	}
}

// at returns the samples [i, j) by absolute index; i must not be before base.
func (d *Decoder) at(i, j int64) []float32 { return d.buf[i-d.base : j-d.base] }

func (d *Decoder) end() int64 { return d.base + int64(len(d.buf)) }

// compact drops samples no state can need again.
func (d *Decoder) compact() {
	keep := d.pos - syncBefore - onsetBlocks*blockLen
	switch d.st {
	case stSync:
		keep = d.runStart - syncBefore
	case stData:
		keep = d.start + int64(d.sym)*symLen
	}
	drop := int(min(keep, d.end()) - d.base)
	if drop < 4096 {
		return
	}
	n := copy(d.buf, d.buf[drop:])
	d.buf = d.buf[:n]
	d.base += int64(drop)
}

func (d *Decoder) threshold() float64 { return max(floorFactor*d.floor, minThreshold) }

func (d *Decoder) track(e, up float64) {
	switch {
	case !d.fset:
		d.floor, d.fset = e, true
	case e < d.floor:
		d.floor += floorDown * (e - d.floor)
	default:
		d.floor += up * (e - d.floor)
	}
}

func energy(p []float32) float64 {
	var s float64
	for _, x := range p {
		s += float64(x) * float64(x)
	}
	return s / float64(len(p))
}

// step runs the state machine over everything buffered.
func (d *Decoder) step() {
	for {
		var progressed bool
		switch d.st {
		case stIdle:
			progressed = d.stepIdle()
		case stSync:
			progressed = d.stepSync()
		case stData:
			progressed = d.stepData()
		case stQuiet:
			progressed = d.stepQuiet()
		}
		if !progressed {
			return
		}
	}
}

func (d *Decoder) stepIdle() bool {
	if d.pos+blockLen > d.end() {
		return false
	}
	e := energy(d.at(d.pos, d.pos+blockLen))
	if d.fset && e > d.threshold() {
		if d.run == 0 {
			d.runStart = d.pos
		}
		d.run++
		d.pos += blockLen
		if d.run >= onsetBlocks {
			d.run = 0
			d.st = stSync
		}
		return true
	}
	d.run = 0
	d.track(e, floorUp)
	d.pos += blockLen
	return true
}

// stepSync finds the exact start of the preamble near the coarse onset by
// trying every offset and keeping the one where the preamble's tones stand
// out most, then checks that it really is a preamble.
func (d *Decoder) stepSync() bool {
	lo := max(d.runStart-syncBefore, d.base)
	hi := d.runStart + syncAfter
	if hi+int64(len(preamble)*symLen) > d.end() {
		return false
	}
	best, bestM := lo, -1e300
	for o := lo; o <= hi; o += 4 {
		if m := d.preambleMetric(o); m > bestM {
			best, bestM = o, m
		}
	}
	for o := max(lo, best-3); o <= min(hi, best+3); o++ {
		if m := d.preambleMetric(o); m > bestM {
			best, bestM = o, m
		}
	}
	// Every preamble symbol must be there, loud and on its tone (not only
	// the last ones, as when the onset came early and a symbol too soon).
	found := true
	var total float64
	for i, k := range preamble {
		w := d.at(best+int64(i*symLen), best+int64((i+1)*symLen))
		e := energy(w)
		total += e
		if e < d.threshold()/2 || d.power(w, k) < syncQuality*e {
			found = false
		}
	}
	if !found {
		if d.runStart < warmUp {
			// The stream began with a sound the floor had not learnt yet
			// (line noise, a resampler's start-up): the blocks that made
			// the onset are the floor.
			d.floor = energy(d.at(d.runStart, d.runStart+onsetBlocks*blockLen))
			d.st, d.pos = stIdle, d.runStart+onsetBlocks*blockLen
			return true
		}
		d.giveUp(d.runStart)
		return true
	}
	d.start = best
	d.st = stData
	d.sym = len(preamble)
	d.nsym = 0
	d.still = 0
	d.frame = d.frame[:0]
	return true
}

// preambleMetric is how much more energy the preamble's tones have than the
// alternate ones over the four symbols starting at o.
func (d *Decoder) preambleMetric(o int64) float64 {
	var m float64
	for i, k := range preamble {
		w := d.at(o+int64(i*symLen), o+int64((i+1)*symLen))
		m += d.power(w, k) - d.power(w, numTones-1-k)
	}
	return m
}

// power is the energy of w at tone k (Goertzel), in the units of energy.
func (d *Decoder) power(w []float32, k int) float64 {
	c := d.coef[k]
	var s1, s2 float64
	for _, x := range w {
		s1, s2 = float64(x)+c*s1-s2, s1
	}
	n := float64(len(w))
	return 2 * (s1*s1 + s2*s2 - c*s1*s2) / (n * n)
}

func (d *Decoder) stepData() bool {
	s0 := d.start + int64(d.sym)*symLen
	if s0+symLen-symGuard > d.end() {
		return false
	}
	w := d.at(s0+symGuard, s0+symLen-symGuard)
	if energy(w) < d.threshold()/2 {
		if d.still == 0 {
			d.stillAt = s0
		}
		d.still++
		if d.still >= quietSymbols {
			// The signal stopped before the announced length: cut short.
			d.report(d.start, d.stillAt)
			d.pos = s0 + symLen
			d.st = stIdle
			return true
		}
	} else {
		d.still = 0
	}
	nib := byte(d.symbol(w))
	i := d.sym - len(preamble)
	if i%2 == 0 {
		d.frame = append(d.frame, nib<<4)
	} else {
		d.frame[len(d.frame)-1] |= nib
	}
	d.sym++
	if i == 2*headerLen-1 {
		n := int(binary.BigEndian.Uint16(d.frame))
		if crc8(d.frame[:2]) != d.frame[2] || n > maxPayload {
			d.giveUp(s0 + symLen)
			return true
		}
		d.nsym = symbols(n)
	}
	if d.nsym == 0 || d.sym < d.nsym {
		return true
	}
	end := d.start + int64(d.nsym)*symLen
	body := d.frame[:len(d.frame)-trailerLen]
	if crc16(body) != binary.BigEndian.Uint16(d.frame[len(body):]) {
		d.giveUp(end)
		return true
	}
	var ok bool
	d.text, ok = appendDecodedText(d.text[:0], body[headerLen:])
	if !ok || len(d.text) > MaxText {
		d.giveUp(end)
		return true
	}
	d.out = append(d.out, Phrase{Text: string(d.text), OK: true, Start: d.time(d.start), End: d.time(end)})
	d.st, d.pos, d.still, d.pending = stQuiet, end, 0, false
	return true
}

// symbol returns the tone with the most energy in w.
func (d *Decoder) symbol(w []float32) int {
	best, bestP := 0, -1.0
	for k := range numTones {
		if p := d.power(w, k); p > bestP {
			best, bestP = k, p
		}
	}
	return best
}

// giveUp abandons the phrase that began at d.start (or at the onset): it is
// reported as unintelligible once the signal has gone quiet.
func (d *Decoder) giveUp(from int64) {
	if d.st == stSync {
		d.start = d.runStart
	}
	d.st, d.pos, d.still, d.pending = stQuiet, from, 0, true
}

func (d *Decoder) stepQuiet() bool {
	if d.pos+blockLen > d.end() {
		return false
	}
	e := energy(d.at(d.pos, d.pos+blockLen))
	if e < d.threshold()/2 {
		if d.still == 0 {
			d.stillAt = d.pos
		}
		d.still++
	} else {
		d.still = 0
	}
	d.track(e, floorUpBusy)
	d.pos += blockLen
	if d.still >= quietBlocks {
		if d.pending {
			d.report(d.start, d.stillAt)
		}
		d.st, d.run, d.pending = stIdle, 0, false
	}
	return true
}

// report adds an unintelligible phrase from sample a to sample b.
func (d *Decoder) report(a, b int64) {
	d.out = append(d.out, Phrase{Start: d.time(a), End: d.time(max(a, b))})
}

// time converts an absolute 8 kHz sample index to an offset in the input
// stream, taking off the resampler's delay.
func (d *Decoder) time(i int64) time.Duration {
	return rate.Duration(int(max(i-d.delay, 0)))
}
