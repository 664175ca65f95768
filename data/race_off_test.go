//go:build !race

package data

// raceDetector says the test binary runs under the race detector.
const raceDetector = false
