package speechcodec

import (
	"math"
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
	quietBlocks  = 8    // this many quiet blocks in a row after a phrase (20 ms) let the next one start
	minThreshold = 5000 // onset energy never below this (RMS 70, -53 dBFS)
	floorFactor  = 8    // onset when 9 dB above the noise floor
	floorDown    = 0.2  // noise floor tracking: quick to fall,
	floorUp      = 0.005
	floorUpBusy  = 0.0002 // slow to rise; slower still while waiting for silence (~3.5 s)
	floorMemory  = 0.995  // the onset threshold forgets a higher floor slowly (20 dB in 1.2 s): the line's noise coming back after a hole is no onset
	warmUp       = 1600   // samples (200 ms) during which the floor is still being learnt
	symGuard     = 8      // samples skipped at each end of a symbol (1 ms)

	syncSpan    = 40  // the grid search tries one symbol of offsets from this many samples before the onset
	syncSymbols = 12  // over this many symbols
	syncPure    = 4   // of which at least this many must be clean tones
	syncQuality = 0.5 // share of a symbol's energy on one tone to count as clean
	keepSlots   = 32  // symbols of audio kept behind the one being read

	presentLevel = 0.1  // a symbol with less energy than this share of the phrase's tone power is a hole
	strongLevel  = 0.35 // a symbol is read only if its tone has this share of the phrase's tone power
	strongShare  = 0.45 // and of the symbol's own energy (less: cut by a hole or spliced by a deletion)
	spliceShare  = 0.6  // a symbol whose tone has less of its energy
	spliceLevel  = 0.75 // at this share of the phrase's level or more may be two spliced by a deletion
	gapSymbols   = 16   // this many silent symbols (160 ms) end a phrase: longer than the holes it survives (doc.go)
	headerWait   = 16   // symbols heard past the header before it is decoded, so the alignment there is settled
	headerTries  = 3    // and again this many symbols later, up to this many times
)

type state int

const (
	stIdle  state = iota // silence: tracking the floor, looking for an onset
	stSync               // onset found, waiting for enough of the phrase to find its symbol grid
	stData               // reading symbols
	stDone               // decoded, waiting for the stream to reach the phrase's end
	stQuiet              // waiting for silence after a phrase
)

// slot is what the decoder heard in one symbol period of the grid.
type slot struct {
	energy float32 // mean square over the window
	pe, po float32 // power of the loudest even and the loudest odd tone
	even   uint8   // the loudest even tone
	odd    uint8   // the loudest odd tone
	mark   float32 // log(pe/po): > 0 says mark bit 0
	drift  int32   // after alignment: this slot holds sent symbol (slot index + drift)
	loud   bool    // energy above presentLevel: not a hole
	mixed  bool    // at full level, but its loudest tone has little of its energy: two symbols spliced by a deletion, or noise
	amb    bool    // after alignment: which symbol it holds is uncertain
}

// Decoder is the streaming mock speech recogniser: it hears phrases made by
// the Encoder in audio at its rate, through the losses doc.go lists, and
// reports each one as soon as the input reaches its end. Anything else loud
// enough is reported, once it falls silent, as an unintelligible Phrase. A
// Decoder is not safe for concurrent use.
type Decoder struct {
	rate  audio.Rate
	rs    *audio.Resampler // to 8 kHz; nil when rate is 8 kHz
	rsOut audio.PCM16
	delay int64 // resampler delay in 8 kHz samples

	// buf holds 8 kHz samples from absolute index base on.
	buf  []float32
	base int64

	st     state
	pos    int64 // next block (idle, quiet) to look at
	floor  float64
	recent float64 // the floor, falling slowly (floorMemory)
	fset   bool    // floor has been measured

	run      int   // loud blocks in a row (idle)
	runStart int64 // where they began
	still    int   // quiet blocks in a row (quiet)
	stillAt  int64 // where the quiet began
	need     int   // quiet blocks that end the quiet state
	pending  bool  // an unintelligible phrase to report when quiet

	// The phrase being read.
	start   int64   // first sample of slot 0, on the phrase's symbol grid
	ref     float64 // tone power of a clean symbol of this phrase
	slots   []slot
	silent  int // silent slots in a row at the end of slots
	last    int // the last loud slot, -1 before any
	lay     layout
	known   bool // the header is decoded: lay holds
	drift0  int  // drift where the header was decoded: the data should end at slot lay.data0-1-drift0
	tries   int  // header decodes tried
	aligner aligner

	// The phrase decoded, reported when the input reaches its end.
	heard   Phrase
	heardTo int64  // the end of its last slot heard before it was decoded
	sent    []byte // its tones as sent

	// Tables.
	coef  [numTones]float64         // Goertzel coefficient of each tone
	omega [numTones]float64         // phase step of each tone per sample
	rot   [numTones][2]float64      // cos and sin of omega
	wave  [numTones][symLen]float32 // each tone as the encoder sends it

	// Scratch, sized once.
	gridTop []float64 // grid search: the loudest tone's share at each offset
	syms    []int8    // sent data symbols as read: the value, +doubtful if in doubt, -1 if lost
	coded   []byte    // coded bytes as read, header first
	trust   []uint8   // of each coded byte: sure, doubt or lost
	words   []byte    // the payload codewords one after another
	wtrust  []uint8   // and the trust in their bytes
	out     []Phrase
	text    []byte
}

// NewDecoder returns a decoder for audio at rate r (any rate the resampler
// supports; AudioSocket sends 8 or 16 kHz).
func NewDecoder(r audio.Rate) *Decoder {
	d := &Decoder{rate: r}
	if r != rate {
		d.rs = audio.NewResampler(r, rate)
		d.delay = int64(rate.Samples(d.rs.Delay()))
	}
	enc := NewEncoder()
	for k := range numTones {
		d.coef[k] = goertzelCoef(toneHz(k))
		d.omega[k] = 2 * math.Pi * toneHz(k) / float64(rate)
		d.rot[k] = [2]float64{math.Cos(d.omega[k]), math.Sin(d.omega[k])}
		for i, v := range enc.sym[k] {
			d.wave[k][i] = float32(v)
		}
	}
	d.sent = make([]byte, 0, maxSymbols)
	d.gridTop = make([]float64, syncSymbols*symLen+1)
	d.coded = make([]byte, maxCoded)
	d.trust = make([]uint8, maxCoded)
	d.words = make([]byte, maxCoded)
	d.wtrust = make([]uint8, maxCoded)
	d.last = -1
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

// Flush ends the stream: it reports a phrase still in progress as heard if
// what arrived of it can still be decoded, and as unintelligible if not.
// The decoder is then Reset. The returned slice is valid until the next
// call.
func (d *Decoder) Flush() []Phrase {
	d.out = d.out[:0]
	if d.rs != nil {
		var zeros [64]int16
		for n := 2 * d.rate.Samples(d.rs.Delay()); n > 0; n -= len(zeros) {
			d.push(zeros[:min(n, len(zeros))])
		}
		d.step()
	}
	end := d.end()
	switch d.st {
	case stSync:
		d.report(d.runStart, end)
	case stData:
		d.finish()
	}
	if d.st == stDone {
		d.done()
	}
	if d.st == stQuiet && d.pending {
		d.report(d.start, max(d.pos, d.start))
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
	d.st, d.pos, d.floor, d.recent, d.fset = stIdle, 0, 0, 0, false
	d.run, d.still, d.pending = 0, 0, false
	d.slots = d.slots[:0]
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
	keep := d.pos - onsetBlocks*blockLen - syncSpan - symLen
	switch d.st {
	case stSync:
		keep = d.runStart - syncSpan - symLen
	case stData:
		keep = d.start + int64(max(len(d.slots)-keepSlots, 0))*symLen
	case stDone:
		keep = d.heardTo
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

// onsetThreshold is the energy a block needs to start a phrase: over the
// floor as it was lately, not only as it is (a hole in the line's noise
// takes the floor down at once).
func (d *Decoder) onsetThreshold() float64 {
	return max(floorFactor*max(d.floor, d.recent), minThreshold)
}

func (d *Decoder) track(e, up float64) {
	switch {
	case !d.fset:
		d.floor, d.fset = e, true
	case e < d.floor:
		d.floor += floorDown * (e - d.floor)
	default:
		d.floor += up * (e - d.floor)
	}
	d.recent = max(d.floor, d.recent*floorMemory)
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
		case stDone:
			progressed = d.stepDone()
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
	if d.fset && e > d.onsetThreshold() {
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

// stepSync finds the phrase's symbol grid near the onset: the offset, to
// the sample, at which the symbols that follow are the cleanest tones. It
// needs no particular symbol to be there (the preamble may be lost), and a
// lost frame does not move the grid (a frame is two symbols). Unless enough
// of those symbols are clean tones, the sound is not a phrase of ours.
func (d *Decoder) stepSync() bool {
	lo := max(d.runStart-syncSpan, d.base)
	if lo+int64((syncSymbols+1)*symLen) > d.end() {
		return false
	}
	best := lo + d.gridSearch(d.at(lo, lo+(syncSymbols+1)*symLen))
	// The grid is known modulo a symbol, and to 2 or 3 samples (every tone
	// starts and ends a symbol at phase 0, so a window a little off still
	// holds one clean tone); the phrase starts at the grid point nearest
	// the onset, which comes up to 2.5 ms late, or 7.5 ms in a fade-in. It
	// may lie a few samples before the first one buffered: symbols are
	// read inside their guards.
	if b, at := best-symLen, d.runStart-blockLen; b+symGuard >= d.base && at-b <= best-at {
		best = b
	}
	var clean, energies [syncSymbols]float64
	n := 0
	var p [numTones]float64
	for s := range int64(syncSymbols) {
		w := d.window(best + s*symLen)
		e := energy(w)
		d.tones(w, &p)
		energies[s] = e
		if top := maxOf(&p); e >= d.threshold()/2 && top >= syncQuality*e {
			clean[n] = top
			n++
		}
	}
	if n < syncPure {
		if d.runStart < warmUp {
			// The stream began with a sound the floor had not learnt yet
			// (line noise, a resampler's start-up): the blocks that made
			// the onset are the floor.
			d.floor = energy(d.at(d.runStart, d.runStart+onsetBlocks*blockLen))
			d.recent = d.floor
			d.st, d.pos = stIdle, d.runStart+onsetBlocks*blockLen
			return true
		}
		d.start = d.runStart
		d.giveUp(d.runStart, quietBlocks)
		return true
	}
	d.ref = median(clean[:n])
	// The onset may have come early, on noise: the phrase starts at the
	// first symbol at its level.
	first := int64(0)
	for first < syncSymbols-1 && energies[first] < presentLevel*d.ref {
		first++
	}
	d.start = best + first*symLen
	d.st = stData
	d.slots = d.slots[:0]
	d.silent, d.last = 0, -1
	d.known, d.tries = false, 0
	return true
}

// gridSearch returns the offset in x, under a symbol, where the symbols
// that follow it hold the cleanest tones: the sum over syncSymbols symbols,
// each taken whole, of the share of its energy on its loudest tone is
// largest on the grid (the tones are orthogonal over a symbol) and falls
// off on either side. x holds syncSymbols+1 symbols. A sliding DFT gives
// every tone's power at every offset: since each tone makes whole cycles in
// a symbol, sliding the window by one sample only rotates each tone's sum
// by its phase step.
func (d *Decoder) gridSearch(x []float32) int64 {
	top := d.gridTop[:len(x)-symLen+1]
	var re, im [numTones]float64
	var e float64
	for m, v := range x[:symLen] {
		e += float64(v) * float64(v)
		for k := range numTones {
			sin, cos := math.Sincos(-d.omega[k] * float64(m))
			re[k] += float64(v) * cos
			im[k] += float64(v) * sin
		}
	}
	for n := range top {
		var t float64
		for k := range numTones {
			t = max(t, re[k]*re[k]+im[k]*im[k])
		}
		// A tone of amplitude A gives |X|^2 = (A*symLen/2)^2 and
		// e = A^2*symLen/2.
		top[n] = t / (symLen / 2 * (e + 1))
		if n+symLen < len(x) {
			in, out := float64(x[n+symLen]), float64(x[n])
			e = max(e+in*in-out*out, 0)
			diff := in - out
			for k := range numTones {
				r, i := re[k]+diff, im[k]
				re[k] = r*d.rot[k][0] - i*d.rot[k][1]
				im[k] = r*d.rot[k][1] + i*d.rot[k][0]
			}
		}
	}
	best, bestM := 0, -1.0
	for o := range symLen {
		var m float64
		for s := range syncSymbols {
			m += top[o+s*symLen]
		}
		if m > bestM {
			best, bestM = o, m
		}
	}
	return int64(best)
}

// window is the part of the symbol starting at sample s that the decoder
// listens to: the edges, where a resampler smears one symbol into the next,
// are left out.
func (d *Decoder) window(s int64) []float32 { return d.at(s+symGuard, s+symLen-symGuard) }

// tones writes the energy of w at each tone (Goertzel, four tones at a
// time) to p, in the units of energy.
func (d *Decoder) tones(w []float32, p *[numTones]float64) {
	n2 := float64(len(w)) * float64(len(w))
	for k := 0; k < numTones; k += 4 {
		c0, c1, c2, c3 := d.coef[k], d.coef[k+1], d.coef[k+2], d.coef[k+3]
		var a1, a2, b1, b2, e1, e2, f1, f2 float64
		for _, x := range w {
			v := float64(x)
			a1, a2 = v+c0*a1-a2, a1
			b1, b2 = v+c1*b1-b2, b1
			e1, e2 = v+c2*e1-e2, e1
			f1, f2 = v+c3*f1-f2, f1
		}
		p[k] = 2 * (a1*a1 + a2*a2 - c0*a1*a2) / n2
		p[k+1] = 2 * (b1*b1 + b2*b2 - c1*b1*b2) / n2
		p[k+2] = 2 * (e1*e1 + e2*e2 - c2*e1*e2) / n2
		p[k+3] = 2 * (f1*f1 + f2*f2 - c3*f1*f2) / n2
	}
}

func maxOf(p *[numTones]float64) float64 {
	m := p[0]
	for _, v := range p[1:] {
		m = max(m, v)
	}
	return m
}

// median sorts v (a few values) and returns its middle one.
func median(v []float64) float64 {
	for i := 1; i < len(v); i++ {
		for j := i; j > 0 && v[j] < v[j-1]; j-- {
			v[j], v[j-1] = v[j-1], v[j]
		}
	}
	return v[len(v)/2]
}

// stepData reads the next slot of the grid and decides whether the phrase
// is complete.
func (d *Decoder) stepData() bool {
	s0 := d.start + int64(len(d.slots))*symLen
	if s0+symLen-symGuard > d.end() {
		return false
	}
	d.slots = append(d.slots, d.read(d.window(s0)))
	j := len(d.slots) - 1
	if d.slots[j].loud {
		d.silent, d.last = 0, j
	} else {
		d.silent++
	}
	headerAt := len(preamble) + (8*headerLen+symBits-1)/symBits + headerWait
	switch {
	case d.silent >= gapSymbols:
		// Longer than any hole: the phrase is over, complete or not.
		d.finish()
	case !d.known && len(d.slots) == headerAt+d.tries*headerWait:
		d.readHeader(len(d.slots))
		if !d.known && d.tries >= headerTries {
			d.giveUp(d.phraseEnd(), gapBlocks)
		}
	case d.known && len(d.slots) >= d.lay.data0-d.drift0 && (d.slots[j].loud || d.silent == 1 && d.over()):
		// Every data symbol the phrase has left after the lost ones it
		// is known to have is in; or the line went silent where the
		// phrase, by the marks heard so far, has lost its last data
		// symbols. (Silent where it has not: a hole, and the rest is to
		// come.)
		d.finish()
	}
	return true
}

// read measures one slot.
func (d *Decoder) read(w []float32) slot {
	var p [numTones]float64
	d.tones(w, &p)
	s := slot{energy: float32(energy(w))}
	for k := 0; k < numTones; k += 2 {
		if v := float32(p[k]); v > s.pe {
			s.pe, s.even = v, uint8(k)
		}
		if v := float32(p[k+1]); v > s.po {
			s.po, s.odd = v, uint8(k+1)
		}
	}
	floor := float32(0.01 * d.ref)
	s.mark = float32(math.Log(float64((s.pe + floor) / (s.po + floor))))
	s.loud = float64(s.energy) >= presentLevel*d.ref
	// A tone cut by a hole has as small a share as it has level; two
	// spliced have the level of one.
	s.mixed = float64(s.energy) >= spliceLevel*d.ref && max(s.pe, s.po) < spliceShare*s.energy
	return s
}

// readHeader aligns the first n slots and decodes the header from them.
func (d *Decoder) readHeader(n int) {
	d.tries++
	d.align(n, false)
	d.readCoded(n, headerLen)
	if !correct(d.coded[:headerLen], headerParity, d.trust[:headerLen]) {
		return
	}
	length := int(d.coded[0])<<8 | int(d.coded[1])
	if length > maxPayload {
		return
	}
	d.lay, d.known = newLayout(length), true
	d.drift0 = int(d.slots[n-1].drift)
}

// over reports whether the slots up to the last loud one hold the phrase's
// last data symbol, as far as the marks tell: the frames lost in it took the
// rest.
func (d *Decoder) over() bool {
	d.align(d.last+1, false)
	return d.last+int(d.slots[d.last].drift) >= d.lay.data0-1
}

// finish decodes the phrase from the slots read, up to the last loud one,
// and reports it, or gives it up.
func (d *Decoder) finish() {
	n := d.last + 1
	if n == 0 {
		d.giveUp(d.phraseEnd(), gapBlocks)
		return
	}
	if !d.known {
		d.readHeader(n)
		if !d.known {
			d.giveUp(d.phraseEnd(), gapBlocks)
			return
		}
	}
	l := d.lay
	d.align(n, true)
	d.readCoded(n, l.bytes)
	payload := d.words[:0]
	ok := true
	for w := range l.words {
		cw := d.wordBytes(w)
		k := l.wordData(w)
		if !correct(cw, len(cw)-k, d.wtrust[l.wordStart(w):l.wordStart(w)+len(cw)]) {
			ok = false
			break
		}
		payload = append(payload, cw[:k]...) // in place: words is laid out the same way
	}
	var text []byte
	if ok {
		body := payload[:l.n]
		ok = crc16(body) == uint16(payload[l.n])<<8|uint16(payload[l.n+1])
		if ok {
			text, ok = appendDecodedText(d.text[:0], body)
			d.text = text
			ok = ok && len(text) <= MaxText
		}
	}
	first, last := -1, -1
	for j := range n {
		if s := &d.slots[j]; s.loud {
			if i := j + int(s.drift); i >= 0 && i < l.nsym {
				if first < 0 {
					first = j
				}
				last = j
			}
		}
	}
	if !ok || first < 0 {
		d.giveUp(d.phraseEnd(), gapBlocks)
		return
	}
	heard := string(text)
	d.sent = appendTones(d.sent[:0], heard)
	d.start += d.refine(n)
	// The phrase ends where its last symbol ends, after the symbols still
	// to come (the tail) or lost at the end.
	d.heardTo = d.start + int64(last+1)*symLen
	end := d.heardTo + int64(l.nsym-1-(last+int(d.slots[last].drift)))*symLen
	d.heard = Phrase{Text: heard, OK: true, Start: d.time(d.start + int64(first)*symLen), End: d.time(end)}
	d.st, d.pos, d.still, d.pending = stDone, end, 0, false
}

// stepDone reports the phrase decoded once the input has reached its end
// (the decoder's own resampler lags the input by delay).
func (d *Decoder) stepDone() bool {
	if d.end()+d.delay < d.pos {
		return false
	}
	d.done()
	return true
}

// done reports the phrase decoded. It ends where its tail ends, unless the
// tail was lost: nothing sounds where it should (as far as the decoder has
// it when the input reaches the phrase's end), or the stream ended first.
func (d *Decoder) done() {
	a, b := d.heardTo+symGuard, d.pos-d.delay-symGuard
	if b > d.end() || b > a && energy(d.at(a, b)) < presentLevel*d.ref {
		d.pos = d.heardTo
		d.heard.End = d.time(d.pos)
	}
	d.out = append(d.out, d.heard)
	d.st, d.need = stQuiet, quietBlocks
	d.pos = max(d.pos, d.base)
}

// refine returns the shift, within a few samples, that lines the grid up
// with the tones of the phrase as decoded (in sent): the grid search could
// only tell the symbol boundaries to 2 or 3 samples, as every tone starts
// and ends a symbol at phase 0.
func (d *Decoder) refine(n int) int64 {
	const reach, enough = 4, 24
	var score [2*reach + 1]float64
	used := 0
	for j := 0; j < n && used < enough; j++ {
		s := &d.slots[j]
		i := j + int(s.drift)
		x := d.start + int64(j)*symLen
		if !s.loud || s.amb || s.mixed || i < 0 || i >= len(d.sent) || x-reach < d.base || x+symLen+reach > d.end() {
			continue
		}
		used++
		ref := &d.wave[d.sent[i]]
		for k := range score {
			var c float64
			for m, v := range d.at(x+int64(k-reach), x+int64(k-reach)+symLen) {
				c += float64(v * ref[m])
			}
			score[k] += math.Abs(c)
		}
	}
	best := reach
	for k := range score {
		if score[k] > score[best] {
			best = k
		}
	}
	return int64(best - reach)
}

// wordBytes gathers payload codeword w from the coded bytes into words (and
// the trust in its bytes into wtrust) and returns it.
func (d *Decoder) wordBytes(w int) []byte {
	l := d.lay
	off := l.wordStart(w)
	n := l.wordLen(w)
	q := headerLen
	l.interleave(func(v, j int) {
		if v == w {
			d.words[off+j] = d.coded[q]
			d.wtrust[off+j] = d.trust[q]
		}
		q++
	})
	return d.words[off : off+n]
}

// readCoded fills coded and trust with the first n coded bytes as the
// aligned slots [0, m) give them. A symbol is lost where no slot holds it,
// or the one that does is silent; it is doubtful where the alignment is
// unsure (ambiguous) or its tone is weak, cut by a hole or spliced to
// another by a deletion.
func (d *Decoder) readCoded(m, n int) {
	nsym := len(preamble) + (8*n+symBits-1)/symBits
	if cap(d.syms) < nsym {
		d.syms = make([]int8, nsym)
	}
	syms := d.syms[:nsym]
	for i := range syms {
		syms[i] = -1
	}
	for j := range m {
		s := &d.slots[j]
		i := j + int(s.drift)
		if i < len(preamble) || i >= nsym || !s.loud {
			continue
		}
		tone, pw := s.even, s.pe
		if mark(i) == 1 {
			tone, pw = s.odd, s.po
		}
		syms[i] = int8(tone >> 1)
		if s.amb || float64(pw) < strongLevel*d.ref || pw < strongShare*s.energy {
			syms[i] += doubtful
		}
	}
	syms = syms[len(preamble):]
	for q := range n {
		var v byte
		t := sure
		for b := 8 * q; b < 8*q+8; b++ {
			sv := syms[b/symBits]
			if sv < 0 {
				t = lost
				break
			}
			if sv >= doubtful {
				t, sv = doubt, sv-doubtful
			}
			v = v<<1 | byte(sv>>(symBits-1-b%symBits))&1
		}
		d.coded[q], d.trust[q] = v^whiten(q), t
	}
}

// How far a coded byte is trusted, and the mark of a doubtful symbol.
const (
	sure  uint8 = 0
	doubt uint8 = 1
	lost  uint8 = 2

	doubtful = 8 // added to a symbol's value
)

// correct decodes codeword cw of p parity bytes in place, given the trust
// in each of its bytes: first with the lost bytes erased and the doubtful
// ones taken as heard (right more often than not, and an erasure costs a
// parity byte where an error costs two), then with the doubtful ones erased
// too. The first try must leave two parity bytes to spare, so that it does
// not pass off too many wrong doubtful bytes as a codeword.
func correct(cw []byte, p int, trust []uint8) bool {
	var keep [255]byte
	var erased [255]int
	copy(keep[:], cw)
	for _, from := range [...]uint8{lost, doubt} {
		f := 0
		for j, t := range trust {
			if t >= from {
				erased[f] = j
				f++
			}
		}
		if f > p {
			continue
		}
		copy(cw, keep[:len(cw)])
		errs, ok := rsDecode(cw, p, erased[:f])
		if ok && (from == doubt || 2*errs+f <= p-2) {
			return true
		}
	}
	copy(cw, keep[:len(cw)])
	return false
}

// giveUp abandons the phrase: it is reported as unintelligible once the
// signal has been quiet for need blocks from sample from on. Inside a phrase
// that is as long as a gap that ends one, so that the rest of a phrase
// after a hole is not taken for another.
func (d *Decoder) giveUp(from int64, need int) {
	d.st, d.pos, d.still, d.need, d.pending = stQuiet, max(from, d.base), 0, need, true
}

// gapBlocks is gapSymbols in energy blocks.
const gapBlocks = gapSymbols * symLen / blockLen

// phraseEnd is where the last loud slot read ends (or the phrase starts).
func (d *Decoder) phraseEnd() int64 { return d.start + int64(d.last+1)*symLen }

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
	if d.still >= d.need {
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
