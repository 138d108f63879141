// Package aec is the line echo canceller: it removes from the caller's audio
// the echo of what the processor itself sent, before the detectors and
// recognition hear it, so a caller who answers as the bot stops, or talks
// over it, is heard without the bot's own words.
//
// # Contract
//
// Audio is signed 16-bit mono PCM at 8 or 16 kHz (Config.Rate), in 20 ms
// frames: 160 samples at 8 kHz, 320 at 16 kHz (FrameSamples). For every
// 20 ms tick the caller of the package passes the frame it sent to Far
// (silence included, exactly as sent) and then the frame it received to
// Process, which writes the cleaned frame, with no added latency, to out
// (which may be the input itself). A Canceller belongs to one call and is
// not safe for concurrent use; Far and Process never allocate. Reset
// forgets everything, as at the start of a call.
//
// Nothing is done while no echo is possible: when nothing audible (above
// -60 dBFS) was sent within the delay range and the filter tail (MaxDelay
// + Tail, 332 ms by default), Process copies its input (Idle reports it),
// which costs about 0.5 µs a frame. The learnt path is kept across such
// pauses, so the next bot turn starts converged.
//
// # Algorithm
//
// Work is done in 4 ms blocks (32 samples at 8 kHz, 64 at 16 kHz), five to
// a frame, with 2-block real FFTs (125 Hz bins).
//
//  1. Bulk delay: each block's spectrum becomes a binary fingerprint (bins
//     from 125 Hz to 4 kHz above the block's mean), level-free, so the echo
//     path's gain and colouring do not change it. Every near block well above
//     the line noise is compared with the far fingerprints at every lag up to
//     MaxDelay (Jaccard distance, smoothed over about 30 ms of sound); a lag
//     that clearly and repeatedly wins becomes the delay. Resolution is one
//     block (4 ms); the filter starts 8 ms before the delay to cover it.
//     A lag once converged on moves only if it stops matching and another
//     wins for 200 ms.
//  2. Adaptive filter: a multidelay block frequency-domain NLMS filter (MDF),
//     Tail long (32 ms by default: 8 partitions of one block) from there,
//     each bin normalised by its far power over the filter plus a floor of
//     a tenth of the mean (so bins between tones do not random-walk). One
//     rotating partition's gradient is made causal per block. The step
//     shrinks as the error approaches the line-noise floor.
//  3. Double talk freezes adaptation for 40 ms: when the near side is 9 dB
//     louder than the loudest far block in reach could make it through the
//     path learnt so far (0 dB before learning), or, once converged, when
//     the error is 9 dB above the residual the filter has been leaving.
//  4. Output selection: a lock is a hypothesis until the filter shows that it
//     removes what the far end explains (12 steps, and a residual under half
//     of its estimate): until then the input passes unchanged, so a caller
//     whose sounds resemble the bot's at some lag, which can win the delay
//     search for a while (the mock TTS talking to itself does), is never
//     carved up by a filter adapting on the caller. When the estimate makes
//     a block louder (no echo at the lag, or a filter still wrong) the input
//     passes unchanged too; 200 ms of that before convergence drops the lock.
//  5. Residual suppression: once converged (6 dB), a broadband gain per
//     block, (E - 3·leak·Y)/E floored at -30 dB, where leak is the learnt
//     share of the echo estimate Y left in the error E. Caller speech makes E
//     large, so the gain stays near 1 in double talk. No comfort noise.
//
// # Figures
//
// Measured by the tests (linear filter alone, hybrid path with 6 ms
// dispersion, mu-law both ways, white noise at -55 dBFS): after convergence
// ERLE is 33-34 dB at -6 dB echo and 27-29 dB at -20 dB on speech-like
// noise, 22-27 dB on the mock TTS (single tones, the hard case), for delays
// of 20 to 250 ms. 300-500 ms after the first echo it is 21-29 dB on noise
// (one case, 250 ms at -6 dB, locks late: 3 dB) and 18-23 dB on the mock
// TTS. CPU, amd64, active and adapting: about 17-18 µs a frame at 8 kHz (the
// rate the call pipeline runs it at for every caller) and 36-46 µs at
// 16 kHz, 0.6 µs idle, 0 allocations (go test -bench . ./internal/aec/).
// docs/deployment.md has the table.
//
// Known limits: a long delay with a loud echo (250 ms at -6 dB) locks late,
// so its output starts about 500 ms after the first echo. An echo path that
// changes in mid-call is re-learnt only slowly once converged.
package aec
