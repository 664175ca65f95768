//go:build race

package data

// raceDetector says the test binary runs under the race detector, whose
// shadow memory makes a process's resident memory meaningless to bound.
const raceDetector = true
