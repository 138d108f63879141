// Package metrics defines every Prometheus metric call-processor exports.
//
// Names follow DESIGN.md: prefix callproc_, base units, counters end in
// _total, and no label carries a per-call value.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics holds the service's collectors. Build one per process with New.
type Metrics struct {
	ActiveCalls      prometheus.Gauge
	Calls            *prometheus.CounterVec // by outcome
	CallDuration     prometheus.Histogram
	TurnLatency      prometheus.Histogram // caller's end of speech (after endpointing) to the bot's first frame
	GreetingLatency  prometheus.Histogram // UUID frame to the greeting's first frame
	STTFinalLatency  prometheus.Histogram // end of speech to the final transcript
	ResponderLatency prometheus.Histogram // transcript to the first piece of the reply (LLM time to first token)
	TTSFirstByte     prometheus.Histogram
	BargeIns         prometheus.Counter
	NoInput          prometheus.Counter
	DTMF             *prometheus.CounterVec // by action
	PlayoutUnderruns prometheus.Counter
	PlayoutLate      prometheus.Counter
	ProviderRequests *prometheus.CounterVec // by provider
	ProviderErrors   *prometheus.CounterVec // by provider
	ProtocolErrors   *prometheus.CounterVec // AudioSocket, by reason
	Connections      prometheus.Counter
	FrameWarnings    *prometheus.CounterVec // AudioSocket frames a call did not use as sent, by kind
	Draining         prometheus.Gauge

	RecordsWaiting  prometheus.Gauge       // call records spooled on disk, not yet in the database
	RecordsWritten  prometheus.Counter     // call records written to the database
	RecordsFailed   prometheus.Counter     // call records that could not be kept (spool full, or refused by the database)
	DependencyUp    *prometheus.GaugeVec   // 1 when the dependency answered its last check, by dependency
	DependencyError *prometheus.CounterVec // failed operations on a dependency (the call went on with a fallback), by dependency

	OrderProofFailures prometheus.Counter // wrong proofs that an order is the caller's (last four digits of its phone)
	OrderProofLockouts prometheus.Counter // calls sent to an operator after too many wrong proofs
}

// Outcomes of a call, the values of callproc_calls_total{outcome}.
const (
	OutcomeCompleted    = "completed"     // the bot or the caller ended it normally
	OutcomeOperator     = "operator"      // handed to a human
	OutcomeCallerHangup = "caller_hangup" // the caller hung up
	OutcomeNoInput      = "no_input"      // the caller stayed silent
	OutcomeMaxDuration  = "max_duration"  // hit CALL_MAX_DURATION
	OutcomeShutdown     = "shutdown"      // ended by a drain that timed out
	OutcomeError        = "error"         // protocol or provider failure
	// OutcomeInterrupted: the process died mid-call (SIGKILL, the OOM
	// killer, a lost node); the record is the call's last checkpoint,
	// written by the next start of the instance, which counts it.
	OutcomeInterrupted = "interrupted"
)

// latencyBuckets cover 20 ms to 10 s: turn latencies live around 0.1-2 s.
var latencyBuckets = []float64{.02, .05, .1, .15, .2, .3, .5, .75, 1, 1.5, 2, 3, 5, 10}

// New creates the collectors and registers them, with the Go and process
// collectors, on reg.
func New(reg prometheus.Registerer) *Metrics {
	hist := func(name, help string, buckets []float64) prometheus.Histogram {
		return prometheus.NewHistogram(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets})
	}
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	}
	vec := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	}
	m := &Metrics{
		ActiveCalls:      prometheus.NewGauge(prometheus.GaugeOpts{Name: "callproc_active_calls", Help: "Calls in progress on this instance."}),
		Calls:            vec("callproc_calls_total", "Finished calls by outcome.", "outcome"),
		CallDuration:     hist("callproc_call_duration_seconds", "Call duration from the UUID frame to teardown.", []float64{5, 15, 30, 60, 120, 180, 300, 450, 600, 900}),
		TurnLatency:      hist("callproc_turn_latency_seconds", "From the caller's end of speech (after endpointing) to the bot's first audio frame.", latencyBuckets),
		GreetingLatency:  hist("callproc_greeting_latency_seconds", "From the UUID frame to the greeting's first audio frame.", latencyBuckets),
		STTFinalLatency:  hist("callproc_stt_final_latency_seconds", "From the caller's end of speech to the final transcript.", latencyBuckets),
		ResponderLatency: hist("callproc_llm_first_token_seconds", "From the final transcript to the first piece of the reply.", latencyBuckets),
		TTSFirstByte:     hist("callproc_tts_first_byte_seconds", "From a text piece to its first synthesised audio.", latencyBuckets),
		BargeIns:         counter("callproc_barge_ins_total", "Bot turns interrupted by caller speech."),
		NoInput:          counter("callproc_no_input_total", "No-input timeouts (re-prompts and hang-ups)."),
		DTMF:             vec("callproc_dtmf_total", "DTMF digits received, by the action taken.", "action"),
		PlayoutUnderruns: counter("callproc_playout_underruns_total", "Silence frames sent in the middle of a bot utterance because audio was late."),
		PlayoutLate:      counter("callproc_playout_late_frames_total", "Playout ticks skipped because the process stalled."),
		ProviderRequests: vec("callproc_provider_requests_total", "Requests to speech and dialog providers.", "provider"),
		ProviderErrors:   vec("callproc_provider_errors_total", "Failed provider requests (errors and timeouts).", "provider"),
		ProtocolErrors:   vec("callproc_audiosocket_protocol_errors_total", "AudioSocket connections ended by a protocol problem, by reason.", "reason"),
		Connections:      counter("callproc_audiosocket_connections_total", "AudioSocket connections accepted."),
		FrameWarnings:    vec("callproc_audiosocket_frame_warnings_total", "Frames from Asterisk a call did not use as sent, by kind: rate_change, dtmf_flood (digits beyond a human's pace, dropped), unexpected_frame, event_dropped.", "kind"),
		Draining:         prometheus.NewGauge(prometheus.GaugeOpts{Name: "callproc_draining", Help: "1 while the instance drains before shutdown."}),
		RecordsWaiting:   prometheus.NewGauge(prometheus.GaugeOpts{Name: "callproc_records_waiting", Help: "Call records spooled on local disk, waiting to be written to the database."}),
		RecordsWritten:   counter("callproc_records_written_total", "Call records written to the database."),
		RecordsFailed:    counter("callproc_records_failed_total", "Call records that could not be kept: the spool was full, or the database refused them (kept aside in the spool's failed folder)."),
		DependencyUp: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "callproc_dependency_up",
			Help: "1 when the dependency answered its last readiness check, 0 when it did not, by dependency."}, []string{"dependency"}),
		DependencyError: vec("callproc_dependency_errors_total", "Operations on a dependency that failed (the call went on with a local fallback), by dependency.", "dependency"),
		OrderProofFailures: counter("callproc_order_proof_failures_total",
			"Wrong proofs that an order is the caller's (the last four digits of the phone on it), unknown orders included."),
		OrderProofLockouts: counter("callproc_order_proof_lockouts_total",
			"Calls sent to an operator after too many wrong proofs of an order's ownership."),
	}
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.ActiveCalls, m.Calls, m.CallDuration, m.TurnLatency, m.GreetingLatency,
		m.STTFinalLatency, m.ResponderLatency, m.TTSFirstByte, m.BargeIns, m.NoInput,
		m.DTMF, m.PlayoutUnderruns, m.PlayoutLate, m.ProviderRequests, m.ProviderErrors,
		m.ProtocolErrors, m.Connections, m.Draining, m.FrameWarnings,
		m.RecordsWaiting, m.RecordsWritten, m.RecordsFailed, m.DependencyUp, m.DependencyError,
		m.OrderProofFailures, m.OrderProofLockouts,
	)
	// Every outcome is exported from the start, at 0, so that increase()
	// sees the first call of each kind after a restart.
	for _, o := range []string{OutcomeCompleted, OutcomeOperator, OutcomeCallerHangup, OutcomeNoInput, OutcomeMaxDuration, OutcomeShutdown, OutcomeError, OutcomeInterrupted} {
		m.Calls.WithLabelValues(o)
	}
	return m
}
