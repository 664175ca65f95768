//go:build !unix

package main

import "time"

var started = time.Now()

// cpuTime returns the time since the program started: where the processor
// time is not at hand, a calibration counts the wall clock.
func cpuTime() time.Duration { return time.Since(started) }
