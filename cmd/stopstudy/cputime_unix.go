//go:build unix

package main

import (
	"syscall"
	"time"
)

// cpuTime returns the processor time the process has used, user and
// system, so that a calibration counts the work, not the waits of a
// machine shared with others.
func cpuTime() time.Duration {
	var u syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &u) != nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
