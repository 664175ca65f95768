//go:build race

package main

// raceDetector is whether the tests run under the race detector, which
// makes the study some ten times slower.
const raceDetector = true
