package tensor

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Helpers for parallel products come from a small pool of goroutines that,
// after a job, keep polling for the next one for a short while before they
// block. Waking a parked thread takes 50-100 µs on the virtual machines this
// was measured on — a third of a 784×128 product — and a training step runs
// such products back to back; a helper that is still polling starts at
// once. (Measured with cmd/mnist, interleaved runs: medians of 53k
// training samples/s with a new goroutine per product, 65k with helpers
// polling 0.5 ms, 73k polling 2 ms.) For the same reason the caller waits
// for its helpers by polling too (onWorkers).
//
// This is the package's one piece of shared machinery besides the packing
// buffers. It holds no data and changes no result: which goroutine computes
// a tile never changes the tile. Products from different goroutines, say two
// models training side by side, share the helpers, which is what one wants
// on a machine with as many cores as helpers.
var helpers struct {
	once sync.Once
	jobs chan func()
}

// helperPoll is how long an idle helper polls for work before it blocks.
const helperPoll = 2 * time.Millisecond

// runHelper runs job on a pooled helper goroutine, starting the pool (one
// helper per processor but the caller's) on first use.
func runHelper(job func()) {
	helpers.once.Do(func() {
		n := max(runtime.GOMAXPROCS(0)-1, 1)
		helpers.jobs = make(chan func(), 4*n)
		for range n {
			go helperLoop()
		}
	})
	helpers.jobs <- job
}

func helperLoop() {
	for {
		var job func()
		select {
		case job = <-helpers.jobs:
		default:
			job = pollJob()
		}
		job()
	}
}

// pollJob polls for a job for up to helperPoll, now and then yielding the
// processor, then waits for one.
func pollJob() func() {
	deadline := time.Now().Add(helperPoll)
	for i := 0; ; i++ {
		select {
		case job := <-helpers.jobs:
			return job
		default:
		}
		if i%64 == 63 && time.Now().After(deadline) {
			return <-helpers.jobs
		}
		// Yielding on every poll would take the scheduler's lock each time;
		// every sixteenth keeps other goroutines running on this processor.
		if i%16 == 15 {
			runtime.Gosched()
		}
	}
}

// onWorkers runs work on the calling goroutine and on up to workers−1
// pooled helpers at once, and returns when all that started have returned.
// The work shares itself out, typically by taking numbered pieces from an
// atomic counter, so that any of them can finish it alone: a helper that
// has not started by the time the caller is done is called off rather than
// waited for (the host may be running something else on its core).
func onWorkers(workers int, work func()) {
	if workers <= 1 {
		work()
		return
	}
	const queued, running, finished, calledOff = 0, 1, 2, 3
	states := make([]atomic.Int32, workers-1)
	for i := range states {
		state := &states[i]
		runHelper(func() {
			if state.CompareAndSwap(queued, running) {
				work()
				state.Store(finished)
			}
		})
	}
	work()
	for i := range states {
		states[i].CompareAndSwap(queued, calledOff)
	}
	// The helpers that started finish within microseconds of the caller:
	// spin rather than park, since a parked goroutine takes a thread
	// wake-up to resume (the MNIST training loop: 67-85k → 91-112k
	// samples/s in a busy hour, interleaved runs).
	spinUntil(func() bool {
		for i := range states {
			if states[i].Load() == running {
				return false
			}
		}
		return true
	})
}

// spinUntil polls done until it reports true, yielding the processor every
// sixteenth poll so that goroutines waiting for it, such as the ones being
// waited for, still run.
func spinUntil(done func() bool) {
	for i := 0; !done(); i++ {
		if i%16 == 15 {
			runtime.Gosched()
		}
	}
}

// splitWork calls body on consecutive chunks [lo, hi) that cover [0, n),
// one per processor, on the calling goroutine and pooled helpers, and
// returns when all are done. Chunks start at multiples of 64 elements
// (eight cache lines) so that no two threads write one cache line; below
// minSplit elements the caller does it all.
func splitWork(n int, body func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), n/minSplit)
	chunk := (n/max(workers, 1) + 63) &^ 63
	var next atomic.Int64
	onWorkers(workers, func() {
		for {
			lo := int(next.Add(1)-1) * chunk
			if lo >= n {
				return
			}
			body(lo, min(lo+chunk, n))
		}
	})
}

// minSplit is the fewest elements per thread for which splitWork shares an
// elementwise loop: below it, handing work over costs more than it saves.
const minSplit = 1 << 15
