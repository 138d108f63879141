//go:build !race

package speechcodec

const raceDetector = false
