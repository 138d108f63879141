//go:build race

package speechcodec

// raceDetector thins the loss sweeps to a third or a fifth: the race
// detector makes the decoder (and the resampler at 16 kHz) ten times slower,
// and the sweeps exercise no concurrency. A plain go test runs them whole.
const raceDetector = true
