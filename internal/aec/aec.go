package aec

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"time"

	"github.com/tirevoice/assistant/internal/audio"
)

// Errors returned by New.
var (
	ErrRate  = errors.New("aec: rate must split a 20 ms frame into 5 power-of-two blocks (8 or 16 kHz)")
	ErrDelay = errors.New("aec: MaxDelay must be between 0 and 2 s")
	ErrTail  = errors.New("aec: Tail must be between 4 ms and 128 ms")
)

// Config sets up a Canceller. Zero fields take their defaults.
type Config struct {
	Rate     audio.Rate    // sample rate of both directions; 8000 or 16000 (required)
	MaxDelay time.Duration // longest bulk echo delay searched; default 300 ms
	Tail     time.Duration // adaptive filter length after the bulk delay; default 32 ms
	// NoSuppress turns the residual echo suppressor off, leaving only the
	// linear filter (to measure it; calls keep the suppressor on).
	NoSuppress bool
}

// Tuning. Energies are sums of squares over one block, in int16 units.
const (
	blockDur              = 4 * time.Millisecond // 5 blocks per 20 ms frame
	blocksPerFrm          = 5
	preBlocks             = 2     // filter starts this many blocks before the estimated delay
	farActiveMS           = 1000  // far block mean square that counts as sound (-60 dBFS)
	nearMinMS             = 400   // near block mean square below which delay search ignores it
	mu                    = 1.6   // largest NLMS step
	delaySmooth           = 0.12  // per-update smoothing of delay costs (about 50 ms of far sound)
	delayInit             = 0.75  // starting cost of every lag: that of unrelated blocks
	delayMinHits          = 10    // updates a lag needs before it can win
	delayConfirmConverged = 50    // and this many (200 ms of sound) to replace a converged one
	divergedBlocks        = 50    // blocks (200 ms) of a louder error before an unconverged lock is dropped
	delayMaxCost          = 0.55  // a lag's cost (Jaccard distance) must be below this to win
	delayMargin           = 0.15  // and this much below the best lag not next to it
	delayConfirm          = 3     // consecutive wins a new lag needs to replace a locked one
	leakSmooth            = 0.05  // smoothing of the residual echo and echo path gain estimates
	floorBias             = 1.8   // mean noise block energy over its running minimum (32-64 samples)
	floorRise             = 1.002 // noise floor rises at most this much per block (2 dB/s)
	erlSmooth             = 0.01  // smoothing of the echo path gain (about 0.4 s)
	dtFactor              = 8.0   // near energy this many times the worst-case echo is the caller (9 dB)
	dtHangover            = 10    // blocks (40 ms) adaptation stays frozen after double talk
	minStep               = 0.03  // share of mu kept when the error is all line noise
	convergedSteps        = 25    // steps (100 ms) before the suppressor trusts the leak estimate
	trustSteps            = 12    // steps (48 ms) before the filter's output is used at all
	trustLeak             = 0.5   // and the share of its estimate it must leave (3 dB removed)
	gainFloor             = 0.03  // deepest residual suppression, -30 dB
	overSuppress          = 3.0   // residual echo estimate is multiplied by this
	binFloor              = 0.3   // share of the mean per-bin far power added to each bin's
	regularize            = 100.0 // far mean square added to per-bin power (RMS 10), keeps steps finite
)

// Canceller removes the echo of what was sent (Far) from what is received
// (Process). It is not safe for concurrent use; one call owns one Canceller.
type Canceller struct {
	cfg    Config
	frame  int // samples per 20 ms frame
	n, m   int // block length, FFT size (2n)
	bins   int // n+1
	k      int // filter partitions
	maxLag int // largest bulk delay searched, in blocks
	ring   int // far blocks kept
	fft    *realFFT

	// Far side, per block, indexed by absolute block number modulo ring.
	farRe, farIm []float32 // spectrum of the block and the one before it
	farE         []float32 // block energy
	farBits      []uint32  // binary spectrum for the delay search
	farOn        []bool    // the block holds sound
	farPrev      []float32 // last far block, for the next window
	farBlocks    int64     // far blocks written
	lastFarOn    int64     // last far block with sound (-1: none)

	// Near side.
	nearBlocks int64
	nearPrev   []float32
	win        []float32 // m-sample work buffer
	wre, wim   []float32 // spectrum work buffers
	dre, dim   []float32
	pow        []float32
	blk        []float32
	err        []float32

	// Adaptive filter: k partitions of bins complex weights.
	wRe, wIm []float32
	rot      int // next partition whose gradient is constrained

	// Delay search.
	cost     []float32
	hits     []int32
	lag      int // locked bulk delay, in blocks; -1 before the first lock
	start    int // first filter lag, in blocks
	cand     int
	candWins int

	// Step control and residual suppression.
	nf       float32 // near noise floor, block energy; 0 before the first block
	erl      float32 // echo estimate energy over the loudest far block in reach
	leak     float32 // residual echo energy over echo estimate energy
	sEe      float32 // smoothed error energy
	dtHold   int     // blocks left during which double talk freezes adaptation
	steps    int     // adaptation steps taken since the path was last lost
	gain     float32 // suppressor gain at the end of the last block
	diverged int     // blocks in a row where the filter made the error louder

	// What the last frame may still hold of the echo (see Residual).
	resid   float32
	residOK bool
}

// New returns a Canceller for cfg.
func New(cfg Config) (*Canceller, error) {
	if cfg.MaxDelay == 0 {
		cfg.MaxDelay = 300 * time.Millisecond
	}
	if cfg.Tail == 0 {
		cfg.Tail = 32 * time.Millisecond
	}
	frame := cfg.Rate.FrameSamples()
	n := frame / blocksPerFrm
	if cfg.Rate <= 0 || frame%blocksPerFrm != 0 || n < 4 || n&(n-1) != 0 {
		return nil, ErrRate
	}
	if cfg.MaxDelay < 0 || cfg.MaxDelay > 2*time.Second {
		return nil, ErrDelay
	}
	if cfg.Tail < blockDur || cfg.Tail > 128*time.Millisecond {
		return nil, ErrTail
	}
	c := &Canceller{cfg: cfg, frame: frame, n: n, m: 2 * n, bins: n + 1}
	c.k = int((cfg.Tail + blockDur - 1) / blockDur)
	c.maxLag = int((cfg.MaxDelay + blockDur - 1) / blockDur)
	c.ring = c.maxLag + c.k + 1
	c.fft = newRealFFT(c.m)
	c.farRe = make([]float32, c.ring*c.bins)
	c.farIm = make([]float32, c.ring*c.bins)
	c.farE = make([]float32, c.ring)
	c.farBits = make([]uint32, c.ring)
	c.farOn = make([]bool, c.ring)
	c.farPrev = make([]float32, n)
	c.nearPrev = make([]float32, n)
	c.win = make([]float32, c.m)
	c.wre, c.wim = make([]float32, c.bins), make([]float32, c.bins)
	c.dre, c.dim = make([]float32, c.bins), make([]float32, c.bins)
	c.pow = make([]float32, c.bins)
	c.blk = make([]float32, n)
	c.err = make([]float32, n)
	c.wRe = make([]float32, c.k*c.bins)
	c.wIm = make([]float32, c.k*c.bins)
	c.cost = make([]float32, c.maxLag+1)
	c.hits = make([]int32, c.maxLag+1)
	c.Reset()
	return c, nil
}

// Reset forgets the echo path and all history, as at the start of a call.
func (c *Canceller) Reset() {
	clear(c.farRe)
	clear(c.farIm)
	clear(c.farE)
	clear(c.farBits)
	clear(c.farOn)
	clear(c.farPrev)
	clear(c.nearPrev)
	clear(c.wRe)
	clear(c.wIm)
	clear(c.hits)
	for i := range c.cost {
		c.cost[i] = delayInit
	}
	c.farBlocks, c.nearBlocks, c.lastFarOn = 0, 0, -1
	c.resid, c.residOK = 0, true
	c.rot = 0
	c.lag, c.start, c.cand, c.candWins = -1, 0, -1, 0
	c.resetAdaptation()
}

// forgetPath drops the locked lag and the filter, as if no echo had been
// found yet.
func (c *Canceller) forgetPath() {
	clear(c.wRe)
	clear(c.wIm)
	clear(c.hits)
	for i := range c.cost {
		c.cost[i] = delayInit
	}
	c.lag, c.start, c.cand, c.candWins = -1, 0, -1, 0
	c.resetAdaptation()
}

func (c *Canceller) resetAdaptation() {
	c.diverged = 0
	c.erl, c.leak, c.sEe, c.dtHold, c.steps = 1, 1, 0, 0, 0
	c.gain = 1
}

func (c *Canceller) String() string {
	return fmt.Sprintf("aec (%s, delay up to %v, tail %v)", c.cfg.Rate, c.cfg.MaxDelay, time.Duration(c.k)*blockDur)
}

// FrameSamples is the length of the frames Far and Process take.
func (c *Canceller) FrameSamples() int { return c.frame }

// Delay is the estimated bulk delay of the echo, and whether there is one
// yet.
func (c *Canceller) Delay() (time.Duration, bool) {
	if c.lag < 0 {
		return 0, false
	}
	return time.Duration(c.lag) * blockDur, true
}

// Idle reports whether no echo is possible: nothing audible was sent within
// the delay range and the filter tail. Process then only copies its input.
func (c *Canceller) Idle() bool {
	return c.lastFarOn < 0 || c.farBlocks-c.lastFarOn > int64(c.ring)
}

// Far records one frame (FrameSamples samples) of what was sent, exactly as
// sent, silence included. Call it once per sent frame, in order, before
// Process for the frame received at the same tick. A short frame is padded
// with silence; extra samples are ignored. Far does not allocate.
func (c *Canceller) Far(frame []int16) {
	n := c.n
	for b := range blocksPerFrm {
		slot := int(c.farBlocks % int64(c.ring))
		blk := c.blk
		var e float32
		for i := range n {
			var v float32
			if j := b*n + i; j < len(frame) {
				v = float32(frame[j])
			}
			blk[i] = v
			e += v * v
		}
		prevOn := c.farBlocks > 0 && c.farOn[int((c.farBlocks-1)%int64(c.ring))]
		on := e > farActiveMS*float32(n)
		re := c.farRe[slot*c.bins : (slot+1)*c.bins]
		im := c.farIm[slot*c.bins : (slot+1)*c.bins]
		if on || prevOn {
			copy(c.win, c.farPrev)
			copy(c.win[n:], blk)
			c.fft.forward(c.win, re, im)
			c.farBits[slot] = binarySpectrum(re, im)
		} else {
			// Nothing audible in the window: its echo is below the line
			// noise, so the block takes no part in filtering or search.
			clear(re)
			clear(im)
			c.farBits[slot] = 0
		}
		c.farE[slot] = e
		c.farOn[slot] = on
		if on {
			c.lastFarOn = c.farBlocks
		}
		copy(c.farPrev, blk)
		c.farBlocks++
	}
}

// binarySpectrum marks the bins from 125 Hz to 4 kHz (1 to 32 with 125 Hz
// bins) louder than their mean: a level-free fingerprint of the block that
// survives the echo path's gain and colouring.
func binarySpectrum(re, im []float32) uint32 {
	hi := min(len(re)-1, 32)
	var sum float32
	for f := 1; f <= hi; f++ {
		sum += re[f]*re[f] + im[f]*im[f]
	}
	mean := sum / float32(hi)
	var b uint32
	for f := 1; f <= hi; f++ {
		if re[f]*re[f]+im[f]*im[f] > mean {
			b |= 1 << (f - 1)
		}
	}
	return b
}

// Process cancels the echo in one received frame (FrameSamples samples) and
// writes the result to out, which must be at least as long; out may be near
// itself. It does not allocate.
func (c *Canceller) Process(near, out []int16) {
	if len(out) < len(near) || len(near) != c.frame {
		panic(fmt.Sprintf("aec: Process with %d near and %d out samples, want %d", len(near), len(out), c.frame))
	}
	c.resid, c.residOK = 0, true
	if c.Idle() {
		copy(out, near)
		// Keep the last block so the next active window starts from real
		// audio, and keep near time in step with far time.
		for i, v := range near[c.frame-c.n:] {
			c.nearPrev[i] = float32(v)
		}
		for b := range blocksPerFrm {
			var e float32
			for _, v := range near[b*c.n : (b+1)*c.n] {
				e += float32(v) * float32(v)
			}
			c.trackFloor(e)
		}
		c.nearBlocks += blocksPerFrm
		c.gain = 1
		return
	}
	for b := range blocksPerFrm {
		c.block(near[b*c.n:(b+1)*c.n], out[b*c.n:(b+1)*c.n])
	}
}

// Residual is the echo the last frame given to Process may still hold, as
// a mean square (see audio.Energy), an upper bound: the estimate of the echo
// times three times the share the filter has been leaving, before the
// suppressor. ok is false when the canceller cannot say: something was sent
// within reach, and the echo path is not known or not learnt yet. With
// nothing sent within reach it is 0, ok.
func (c *Canceller) Residual() (energy float64, ok bool) {
	return float64(c.resid) / float64(c.frame), c.residOK
}

// Missing stands for a received frame that never came (a frame lost on the
// line, or a caller with silence suppression): call it instead of Process
// after the Far of that tick. Time moves on for both directions, so the
// frames that follow stay aligned with what was sent, but nothing is
// learnt from audio that was not heard. It does not allocate.
func (c *Canceller) Missing() {
	clear(c.nearPrev)
	c.nearBlocks += blocksPerFrm
	c.dtHold = 0
}

// far returns the spectrum of far block idx, or ok false when it holds no
// sound or is outside the history.
func (c *Canceller) far(idx int64) (re, im []float32, ok bool) {
	if idx < 0 || idx >= c.farBlocks || idx <= c.farBlocks-int64(c.ring) {
		return nil, nil, false
	}
	slot := int(idx % int64(c.ring))
	if !c.farOn[slot] && (idx == 0 || !c.farOn[int((idx-1)%int64(c.ring))]) {
		return nil, nil, false
	}
	return c.farRe[slot*c.bins : (slot+1)*c.bins], c.farIm[slot*c.bins : (slot+1)*c.bins], true
}

func (c *Canceller) block(near, out []int16) {
	n, bins := c.n, c.bins
	j := c.nearBlocks
	c.nearBlocks++
	d := c.blk
	var ed float32
	for i, v := range near {
		d[i] = float32(v)
		ed += d[i] * d[i]
	}
	c.trackFloor(ed)
	copy(c.win, c.nearPrev)
	copy(c.win[n:], d)
	copy(c.nearPrev, d)

	// Only blocks well above the line noise tell where the echo is.
	// A converged filter needs the search only to notice a moved path,
	// so it looks at one block in four.
	if ed > nearMinMS*float32(n) && ed > 4*c.nf && c.dtHold == 0 && (j%4 == 0 || !c.converged()) {
		c.searchDelay(j)
	}
	if c.lag < 0 {
		// Something was sent within reach, and where its echo is is not
		// known yet.
		c.residOK = false
		copy(out, near)
		return
	}

	// Echo estimate: Y = sum over partitions of W_p * X(j-start-p), and the
	// per-bin far power over the same partitions for the NLMS step.
	yr, yi, pw := c.wre, c.wim, c.pow
	clear(yr)
	clear(yi)
	reg := float32(regularize) * float32(c.m) * float32(c.k)
	for f := range pw {
		pw[f] = reg
	}
	var exMax float32
	active := false
	for p := range c.k {
		idx := j - int64(c.start+p)
		xr, xi, ok := c.far(idx)
		if !ok {
			continue
		}
		active = true
		exMax = max(exMax, c.farE[int(idx%int64(c.ring))])
		wr := c.wRe[p*bins : (p+1)*bins]
		wi := c.wIm[p*bins : (p+1)*bins]
		for f := range bins {
			ar, ai := xr[f], xi[f]
			yr[f] += wr[f]*ar - wi[f]*ai
			yi[f] += wr[f]*ai + wi[f]*ar
			pw[f] += ar*ar + ai*ai
		}
	}
	if !active {
		// Nothing sent within the filter's reach: no echo to remove, if
		// the filter is where the echo is.
		if !c.converged() {
			c.residOK = false
		}
		c.rampGain(1, near, d, out)
		return
	}
	c.fft.inverse(yr, yi, c.win)
	e := c.err
	var ey, ee float32
	for i := range n {
		y := c.win[n+i]
		ey += y * y
		e[i] = d[i] - y
		ee += e[i] * e[i]
	}
	if c.converged() {
		c.resid += overSuppress * c.leak * ey
	} else {
		c.residOK = false
	}
	c.sEe += 0.3 * (ee - c.sEe)

	// Double talk (Geigel on energies): the near side is louder than the
	// loudest far block in reach could make it through the path as learnt
	// so far (0 dB before any learning).
	if ed > dtFactor*max(c.erl, ey/max(exMax, 1))*exMax+dtFactor*c.nf {
		c.dtHold = dtHangover
	}
	// Once the filter has converged the error is small and predictable:
	// much more than the residual it has been leaving is a caller talking
	// at a level the far-end comparison above cannot tell from echo.
	if c.converged() && ee > dtFactor*(c.leak*ey+c.nf) {
		c.dtHold = dtHangover
	}
	if c.dtHold > 0 {
		c.dtHold--
	} else {
		c.adapt(j, e, ee)
		c.learnPath(ee, ey, exMax)
	}

	if ee > ed {
		// The estimate adds more than it removes: there is no echo at the
		// locked lag (a caller who sounds like the bot can fool the delay
		// search) or the filter is still wrong. The input is the better
		// output, and the caller is never made louder or mixed with bot
		// audio.
		c.diverged++
		if c.diverged >= divergedBlocks && !c.converged() {
			c.forgetPath()
		}
		c.rampGain(1, near, d, out)
		return
	}
	c.diverged = 0
	if !c.trusted() {
		// A lock is only a hypothesis until the filter shows it removes
		// what the far end explains: a caller whose sounds resemble the
		// bot's at some lag can win the delay search, and a filter
		// adapting on the caller would carve the caller's own sounds out.
		c.rampGain(1, near, d, out)
		return
	}
	g := float32(1)
	if !c.cfg.NoSuppress && c.converged() && ee > 0 {
		r := overSuppress * c.leak * ey
		g = max(gainFloor, min(1, (ee-r)/ee))
	}
	c.rampGain(g, nil, e, out)
}

// trusted reports whether the filter has shown that it removes echo:
// enough steps, and a residual well under the estimate.
func (c *Canceller) trusted() bool { return c.steps >= trustSteps && c.leak < trustLeak }

// converged reports whether the filter has had time to learn the path and
// removes at least 6 dB of it.
func (c *Canceller) converged() bool { return c.steps >= convergedSteps && c.leak < 0.25 }

// trackFloor follows the near side's noise floor: down at once, up slowly,
// so the gaps between words set it and speech or echo does not.
func (c *Canceller) trackFloor(ed float32) {
	switch {
	case c.nf == 0 || ed < c.nf:
		c.nf = max(ed, 1)
	default:
		c.nf *= floorRise
	}
}

// adapt takes one NLMS step on every partition of the multidelay block
// frequency-domain filter (MDF). The gradient of one rotating partition is
// made causal each block; the others' wrap-around is cleaned up on later
// turns, which keeps the cost at two extra transforms a block whatever the
// filter length.
func (c *Canceller) adapt(j int64, e []float32, ee float32) {
	n, bins := c.n, c.bins
	// The step shrinks as the error becomes line noise, which the filter
	// cannot remove: a full step there only adds misadjustment.
	share := max(minStep, min(1, 1-c.nf/max(c.sEe, 1)))
	rate := float32(mu) * share
	// Bins the far end hardly reaches (between the tones of a voiced
	// sound, or outside the band) would get huge normalised steps driven by
	// noise: a floor tied to the mean power keeps them small.
	var mean float32
	for _, v := range c.pow {
		mean += v
	}
	floor := binFloor * mean / float32(bins)
	clear(c.win[:n])
	copy(c.win[n:], e)
	er, ei := c.dre, c.dim
	c.fft.forward(c.win, er, ei)
	for f := range bins {
		s := rate / (c.pow[f] + floor)
		er[f] *= s
		ei[f] *= s
	}
	c.rot = (c.rot + 1) % c.k
	for p := range c.k {
		xr, xi, ok := c.far(j - int64(c.start+p))
		if !ok {
			continue
		}
		wr := c.wRe[p*bins : (p+1)*bins]
		wi := c.wIm[p*bins : (p+1)*bins]
		for f := range bins {
			// W += conj(X) * E * step
			wr[f] += xr[f]*er[f] + xi[f]*ei[f]
			wi[f] += xr[f]*ei[f] - xi[f]*er[f]
		}
		if p == c.rot {
			c.constrain(wr, wi)
		}
	}
	c.steps++
}

// constrain zeroes the second half of a partition's impulse response, which
// a linear (not circular) convolution of n taps leaves empty.
func (c *Canceller) constrain(wr, wi []float32) {
	c.fft.inverse(wr, wi, c.win)
	clear(c.win[c.n:])
	c.fft.forward(c.win, wr, wi)
}

// learnPath updates, outside double talk, the echo path gain the detector
// compares against and the share of the echo estimate left in the error
// above the noise floor, which the suppressor removes.
func (c *Canceller) learnPath(ee, ey, exMax float32) {
	// The path gain is learnt only from a filter that has had time to
	// grow, and slowly: an early, small filter would make the detector
	// take the echo itself for double talk and freeze for good.
	if exMax > 0 && c.steps >= convergedSteps {
		c.erl += erlSmooth * (min(1, ey/exMax) - c.erl)
	}
	if ey > c.nf {
		r := max(0, ee-c.nf) / ey
		c.leak += leakSmooth * (min(1, r) - c.leak)
	}
}

// rampGain writes src*gain to out, moving the gain linearly from its last
// value to g over the block so that changes do not click. With g and the
// gain both 1 and raw set, the input is copied exactly.
func (c *Canceller) rampGain(g float32, raw []int16, src []float32, out []int16) {
	if g == 1 && c.gain == 1 && raw != nil {
		copy(out, raw)
		return
	}
	// Fall at once, rise over about three blocks: a caller's onset keeps
	// most of its first block, a burst of residual echo does not leak.
	if g > c.gain {
		g = c.gain + 0.4*(g-c.gain)
		if g > 0.99 {
			g = 1
		}
	}
	step := (g - c.gain) / float32(len(src))
	a := c.gain
	for i, v := range src {
		a += step
		out[i] = clamp16(v * a)
	}
	c.gain = g
}

func clamp16(v float32) int16 {
	switch {
	case v >= math.MaxInt16:
		return math.MaxInt16
	case v <= math.MinInt16:
		return math.MinInt16
	case v != v: // NaN: never expected; silence is the safe answer
		return 0
	}
	return int16(v + 0.5*sign(v))
}

func sign(v float32) float32 {
	if v < 0 {
		return -1
	}
	return 1
}

// searchDelay compares the binary spectrum of near block j (its window is
// in c.win) with the far blocks at every lag, and moves the filter when one
// lag clearly and repeatedly wins.
func (c *Canceller) searchDelay(j int64) {
	c.fft.forward(c.win, c.dre, c.dim)
	nb := binarySpectrum(c.dre, c.dim)
	if nb == 0 {
		return
	}
	best, bestCost := -1, float32(2)
	for lag := 0; lag <= c.maxLag; lag++ {
		idx := j - int64(lag)
		if idx < 0 || idx >= c.farBlocks || idx <= c.farBlocks-int64(c.ring) {
			continue
		}
		slot := int(idx % int64(c.ring))
		if !c.farOn[slot] {
			continue
		}
		fb := c.farBits[slot]
		// Jaccard distance: 0 for the same bins, 1 for disjoint ones.
		dist := float32(bits.OnesCount32(nb^fb)) / float32(bits.OnesCount32(nb|fb))
		c.cost[lag] += delaySmooth * (dist - c.cost[lag])
		c.hits[lag]++
	}
	for lag, v := range c.cost {
		if c.hits[lag] >= delayMinHits && v < bestCost {
			best, bestCost = lag, v
		}
	}
	if best < 0 || bestCost > delayMaxCost {
		return
	}
	second := float32(2)
	for lag, v := range c.cost {
		if (lag < best-1 || lag > best+1) && c.hits[lag] >= delayMinHits && v < second {
			second = v
		}
	}
	if second < bestCost+delayMargin || best == c.lag {
		c.cand, c.candWins = -1, 0
		return
	}
	if best == c.cand {
		c.candWins++
	} else {
		c.cand, c.candWins = best, 1
	}
	// A converged filter is strong evidence for its lag: a caller whose
	// sounds happen to resemble the bot's must not drag it away, so moving
	// it needs the new lag to win for longer and the old one to have
	// failed.
	need := delayConfirm
	if c.converged() {
		need = delayConfirmConverged
		if c.cost[c.lag] < delayMaxCost {
			return
		}
	}
	if c.lag >= 0 && c.candWins < need {
		return
	}
	c.moveFilter(best)
	c.cand, c.candWins = -1, 0
}

// moveFilter re-centres the filter on a new bulk delay, keeping the taps
// that still fall inside it.
func (c *Canceller) moveFilter(lag int) {
	start := max(0, lag-preBlocks)
	shift := start - c.start
	bins := c.bins
	switch {
	case c.lag < 0:
	case shift >= c.k || -shift >= c.k:
		clear(c.wRe)
		clear(c.wIm)
		c.resetAdaptation()
	case shift > 0:
		// Partition p now holds what partition p+shift held.
		copy(c.wRe, c.wRe[shift*bins:])
		copy(c.wIm, c.wIm[shift*bins:])
		clear(c.wRe[(c.k-shift)*bins:])
		clear(c.wIm[(c.k-shift)*bins:])
	case shift < 0:
		copy(c.wRe[-shift*bins:], c.wRe)
		copy(c.wIm[-shift*bins:], c.wIm)
		clear(c.wRe[:-shift*bins])
		clear(c.wIm[:-shift*bins])
	}
	c.lag, c.start = lag, start
}
