package speechcodec

import "math"

// Alignment: which sent symbol each slot of the grid holds.
//
// A lost frame that the line joins over (a deletion) takes exactly two
// symbols out and leaves the grid where it was, so slot j holds sent symbol
// j+drift, where drift starts at the number of symbols lost before the first
// slot and grows by 2 for each frame lost after it. A lost frame that the
// line fills with silence (a hole) leaves drift alone and silences the slots
// it covers. The decoder finds the most likely drift of every slot with a
// Viterbi search over the mark bits (and the preamble's known tones): after
// a deletion not accounted for, the marks disagree within every pair (see
// mark). The search keeps a band of drifts around the best one, so its cost
// does not grow with the losses.
//
// Costs are in nats, roughly -log of the probability of what they stand for.
const (
	band       = 32  // drifts the search keeps at each slot, around the best one
	bandBelow  = 16  // of which this many below it
	maxLost    = 4   // frames one step may lose (a longer burst takes two steps)
	startMin   = -2  // slot 0 may be this many symbols before the phrase
	costLoss   = 4.0 // a loss event: frames joined over (at the start or end: lost)
	costSplice = 4.0 // less where a slot sounds spliced
	costHole   = 4.0 // a hole: the first of silent slots inside the phrase
	costSilent = 0.3 // each further one
	costOut    = 4.0 // a loud slot outside the phrase
	costTone   = 3.0 // a preamble slot on the wrong tone
	markWeight = 2.0 // a mark bit's cost per unit of log(pe/po)
	markClip   = 6.0 // and at most
	ambiguous  = 2.0 // another alignment within this cost makes a slot's symbol doubtful
	ambiguScan = 24  // slots to look on either side of a drift change
)

// aligner holds the Viterbi search's buffers: the band's lowest drift and
// the step taken into each state, slot by slot.
type aligner struct {
	lo   []int32
	back []uint8 // band per slot: frames lost on the way into the state
}

// cost is how unlikely it is that slot j holds sent symbol i of a phrase of
// nsym symbols (0: not yet known, so no end).
func (d *Decoder) cost(j, i, nsym int) float64 {
	s := &d.slots[j]
	if i < 0 || (nsym > 0 && i >= nsym) {
		if s.loud {
			return costOut
		}
		return 0
	}
	if !s.loud {
		if j > 0 && !d.slots[j-1].loud {
			return costSilent
		}
		return costHole
	}
	want, tone := mark(i), -1
	if i < len(preamble) {
		tone = preamble[i]
		want = tone & 1
	}
	c := markWeight * float64(s.mark)
	if want == 0 {
		c = -c
	}
	c = min(max(c, 0), markClip)
	if tone >= 0 {
		got := s.even
		if want == 1 {
			got = s.odd
		}
		if int(got) != tone {
			c += costTone
		}
	}
	return c
}

// lossCost is the cost of losing frames frames at one place: a single
// frame, or a burst of 2 or 3 (less likely), or two events together.
func lossCost(frames int) float64 {
	return [maxLost + 1]float64{0, costLoss, costLoss + 2, costLoss + 2.5, 2*costLoss + 2}[frames]
}

// splice is how much cheaper a loss is between slots j-1 and j: a deletion
// that falls inside a symbol leaves one slot holding two, between clean
// ones (and every deletion falls at the same place in a symbol: frames and
// symbols keep step). A run of mixed slots is noise, not a splice.
func (d *Decoder) splice(j int) float64 {
	if d.spliced(j-1) || d.spliced(j) {
		return costSplice
	}
	return 0
}

func (d *Decoder) spliced(j int) bool {
	clean := func(k int) bool { return k < 0 || k >= len(d.slots) || !d.slots[k].mixed }
	return j >= 0 && j < len(d.slots) && d.slots[j].mixed && clean(j-1) && clean(j+1)
}

// align finds the most likely drift of slots [0, m), writes it to each
// slot, and marks as ambiguous the slots next to a drift change that
// another alignment explains almost as well. When whole, the phrase is
// d.lay, and slot m-1 is the last of it heard so far: if it does not hold
// the last data symbol, the ones after were lost. (The tail carries no
// data, and may be still to come.)
func (d *Decoder) align(m int, whole bool) {
	nsym := 0
	if whole {
		nsym = d.lay.nsym
	}
	a := &d.aligner
	a.lo = a.lo[:0]
	a.back = a.back[:0]
	var cur, next [band]float64
	inf := math.Inf(1)

	lo := startMin
	for w := range band {
		dr := lo + w
		cur[w] = d.cost(0, dr, nsym)
		if dr > 0 {
			cur[w] += costLoss + 0.1*float64(dr)
		}
	}
	a.lo = append(a.lo, int32(lo))
	for range band {
		a.back = append(a.back, 0)
	}
	for j := 1; j < m; j++ {
		bw := 0
		for w := range band {
			if cur[w] < cur[bw] {
				bw = w
			}
		}
		// The band follows the best drift up, but slowly, and only over
		// clean tones: early on, with little evidence, in a hole (which
		// the end of the phrase explains as well until it sounds again)
		// or in noise, the best can be far from the true one.
		prevLo := lo
		if s := &d.slots[j]; s.loud && !s.mixed {
			lo = max(lo, min(prevLo+bw-bandBelow, prevLo+1))
		}
		a.lo = append(a.lo, int32(lo))
		splice := d.splice(j)
		for w := range band {
			dr := lo + w
			best, step := inf, 0
			for k := 0; k <= maxLost; k++ {
				pw := dr - 2*k - prevLo
				if pw < 0 {
					break
				}
				if pw >= band {
					continue
				}
				c := cur[pw] + lossCost(k)
				if k > 0 {
					c -= splice
				}
				if c < best {
					best, step = c, k
				}
			}
			if best < inf {
				best += d.cost(j, j+dr, nsym)
			}
			next[w] = best
			a.back = append(a.back, uint8(step))
		}
		cur = next
	}
	bw, best := 0, inf
	for w := range band {
		c := cur[w]
		if i := m - 1 + lo + w; whole && i < d.lay.data0-1 {
			c += costLoss // the phrase's last data symbols are lost
		}
		if c < best {
			bw, best = w, c
		}
	}
	dr := lo + bw
	for j := m - 1; j >= 0; j-- {
		d.slots[j].drift = int32(dr)
		d.slots[j].amb = false
		k := int(a.back[j*band+dr-int(a.lo[j])])
		dr -= 2 * k
	}
	d.markAmbiguous(m, nsym)
}

// markAmbiguous marks the slots around each drift change that moving the
// change there would explain almost as well: which symbol they hold is not
// known.
func (d *Decoder) markAmbiguous(m, nsym int) {
	prev := 0
	for c := 1; c < m; c++ {
		before, after := int(d.slots[c-1].drift), int(d.slots[c].drift)
		if before == after {
			continue
		}
		next := c + 1
		for next < m && int(d.slots[next].drift) == after {
			next++
		}
		// The change later: slots c.. keep the drift before it.
		acc := d.splice(c)
		for j := c; j < min(next, c+ambiguScan); j++ {
			acc += d.cost(j, j+before, nsym) - d.cost(j, j+after, nsym)
			if acc > ambiguous+2*markClip+costSplice {
				break
			}
			if acc-d.splice(j+1) <= ambiguous {
				for k := c; k <= j; k++ {
					d.slots[k].amb = true
				}
			}
		}
		// The change earlier: slots ..c-1 take the drift after it.
		acc = d.splice(c)
		for j := c - 1; j >= max(prev, c-ambiguScan); j-- {
			acc += d.cost(j, j+after, nsym) - d.cost(j, j+before, nsym)
			if acc > ambiguous+2*markClip+costSplice {
				break
			}
			if acc-d.splice(j) <= ambiguous {
				for k := j; k < c; k++ {
					d.slots[k].amb = true
				}
			}
		}
		prev = c
	}
}
