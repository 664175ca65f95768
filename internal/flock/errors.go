package flock

import "errors"

// ErrLocked is TryLock's error for a file another open file holds locked.
var ErrLocked = errors.New("flock: held by another open file")
