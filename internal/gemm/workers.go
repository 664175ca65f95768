package gemm

import (
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Helpers for parallel products come from a small pool of goroutines that,
// after a job, keep polling for the next one for a short while before they
// block: waking a parked thread costs tens of microseconds, a sizeable part
// of a training step's products, which run back to back. The pool grows to
// one helper per processor but the caller's whenever GOMAXPROCS rises (a
// helper beyond the current count just stays blocked), and every wait in
// this file spins for a bounded time before it blocks or sleeps.
//
// The pool is the one piece of package-level mutable state in minidl
// (DESIGN.md says why it pays). It holds no data and changes no result:
// which goroutine computes a tile never changes the tile.
var helpers struct {
	mu      sync.Mutex
	started int
	jobs    chan func()
}

// helperPoll is how long an idle helper polls for work before it blocks.
const helperPoll = 2 * time.Millisecond

// maxSpin bounds how long a caller spins for its helpers before it sleeps
// between polls: long enough for any product's last tile, short enough that
// a helper whose core the host has lent elsewhere costs no more CPU.
const maxSpin = 5 * time.Millisecond

// runHelper runs job on a pooled helper goroutine, starting helpers as
// needed so that there is one per processor but the caller's.
func runHelper(job func()) {
	helpers.mu.Lock()
	if helpers.jobs == nil {
		helpers.jobs = make(chan func(), 256)
	}
	for want := runtime.GOMAXPROCS(0) - 1; helpers.started < max(want, 1); helpers.started++ {
		go helperLoop(helpers.jobs)
	}
	jobs := helpers.jobs
	helpers.mu.Unlock()
	jobs <- job
}

func helperLoop(jobs chan func()) {
	for {
		var job func()
		select {
		case job = <-jobs:
		default:
			job = pollJob(jobs)
		}
		job()
	}
}

// pollJob polls for a job for up to helperPoll, now and then yielding the
// processor, then waits for one.
func pollJob(jobs chan func()) func() {
	deadline := time.Now().Add(helperPoll)
	for i := 0; ; i++ {
		select {
		case job := <-jobs:
			return job
		default:
		}
		if i%64 == 63 && time.Now().After(deadline) {
			return <-jobs
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
	// wake-up to resume.
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
// waited for, still run; after maxSpin it sleeps between polls instead.
func spinUntil(done func() bool) {
	var deadline time.Time
	for i := 0; !done(); i++ {
		if i%16 != 15 {
			continue
		}
		runtime.Gosched()
		if i%1024 != 1023 {
			continue
		}
		now := time.Now()
		switch {
		case deadline.IsZero():
			deadline = now.Add(maxSpin)
		case now.After(deadline):
			time.Sleep(50 * time.Microsecond)
		}
	}
}

// SplitWork calls body on consecutive chunks [lo, hi) that cover [0, n),
// one per processor, on the calling goroutine and pooled helpers, and
// returns when all are done. Chunks start at multiples of 64 elements
// (eight cache lines) so that no two threads write one cache line; below
// minSplit elements the caller does it all.
func SplitWork(n int, body func(lo, hi int)) {
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

// minSplit is the fewest elements per thread for which SplitWork shares an
// elementwise loop: below it, handing work over costs more than it saves.
const minSplit = 1 << 15

// ParallelFor calls body on ranges [lo, hi) that together cover [0, n)
// once, sharing them among the calling goroutine and pooled helpers, and
// returns when all are done: a loop over independent items (the images of
// a batch, the channels of a layer), whose results therefore never depend
// on which goroutine took which range. cost is about how many elements one
// item touches; loops of fewer than minSplit elements in all run on the
// caller alone, since handing work over would cost more than it saves.
func ParallelFor(n, cost int, body func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), n, n*cost/minSplit)
	if workers <= 1 {
		body(0, n)
		return
	}
	chunk := max(1, n/(4*workers)) // a few pieces per thread, so that they finish together
	var next atomic.Int64
	onWorkers(workers, func() {
		for {
			lo := int(next.Add(int64(chunk))) - chunk
			if lo >= n {
				return
			}
			body(lo, min(lo+chunk, n))
		}
	})
}

// bufferPool recycles large temporary slices by size class (a power of
// two), so that a buffer is never handed out for a request much larger than
// it.
type bufferPool[E float] [64]sync.Pool

// buffers64 and buffers32 are the pools behind Buffer and Buffer32.
var (
	buffers64 bufferPool[float64]
	buffers32 bufferPool[float32]
)

func (b *bufferPool[E]) get(n int) *[]E {
	class := bits.Len(uint(max(n-1, 0)))
	if p, ok := b[class].Get().(*[]E); ok {
		*p = (*p)[:n]
		return p
	}
	s := make([]E, n, 1<<class)
	return &s
}

func (b *bufferPool[E]) put(p *[]E) {
	b[bits.Len(uint(cap(*p)-1))].Put(p)
}

// Buffer returns a slice of n elements whose contents are arbitrary, for a
// temporary that is written before it is read; Release gives it back.
func Buffer(n int) *[]float64 { return buffers64.get(n) }

// Release returns a slice from Buffer to the pool; it must not be used
// after.
func Release(p *[]float64) { buffers64.put(p) }

// Buffer32 is Buffer for float32; Release32 gives the slice back.
func Buffer32(n int) *[]float32 { return buffers32.get(n) }

// Release32 returns a slice from Buffer32 to the pool; it must not be used
// after.
func Release32(p *[]float32) { buffers32.put(p) }
