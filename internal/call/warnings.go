package call

import (
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tirevoice/assistant/internal/logging"
	"github.com/tirevoice/assistant/internal/metrics"
)

// frameWarning is a kind of trouble with the caller's frames that the call
// lives through; its String is the kind label of
// callproc_audiosocket_frame_warnings_total.
type frameWarning int

const (
	warnRateChange      frameWarning = iota // the caller's sample rate changed mid-call
	warnDTMFFlood                           // a digit beyond a human's pace, dropped
	warnUnexpectedFrame                     // a frame of a kind that has no place mid-call (a second UUID frame), ignored
	warnEventDropped                        // the supervisor had no room for an event
	numFrameWarnings
)

func (w frameWarning) String() string {
	switch w {
	case warnRateChange:
		return "rate_change"
	case warnDTMFFlood:
		return "dtmf_flood"
	case warnUnexpectedFrame:
		return "unexpected_frame"
	case warnEventDropped:
		return "event_dropped"
	}
	return "unknown"
}

// warnEvery is how often a call writes a line about one kind of warning.
const warnEvery = time.Second

// frameWarnings counts one call's warnings and thins out their log lines: a
// peer that repeats a fault on every frame, or at wire speed, gets one line
// a second per kind, which says how many were held back since the last one.
// It belongs to the reader goroutine; noting a warning takes no lock and
// does not allocate.
type frameWarnings struct {
	counters [numFrameWarnings]prometheus.Counter
	limits   [numFrameWarnings]*logging.Limiter
}

func newFrameWarnings(m *metrics.Metrics) *frameWarnings {
	fw := &frameWarnings{}
	for w := range numFrameWarnings {
		// Looked up once per call: a per-frame WithLabelValues would take
		// the vector's lock on every frame of a flood.
		fw.counters[w] = m.FrameWarnings.WithLabelValues(w.String())
		fw.limits[w] = logging.NewLimiter(warnEvery)
	}
	return fw
}

// note counts one warning of kind w and reports whether a line may be
// written about it, and how many lines of its kind were held back before it
// (for the logging.Suppressed attribute).
func (fw *frameWarnings) note(w frameWarning) (write bool, held int64) {
	fw.counters[w].Inc()
	return fw.limits[w].Allow()
}

// flush writes, at the end of the call, one line with the warnings held back
// since their kind's last line, so that the log's counts add up.
func (fw *frameWarnings) flush(log *slog.Logger) {
	var attrs []any
	for w := range numFrameWarnings {
		if n := fw.limits[w].Held(); n > 0 {
			attrs = append(attrs, w.String(), n)
		}
	}
	if len(attrs) > 0 {
		log.Warn("frame warnings held back until the end of the call", attrs...)
	}
}
