// Package data feeds training: data sets held in memory, a Loader that cuts
// them into (optionally shuffled) batches, train/validation splits and
// k-fold indices, feature scalers, one-hot encoding, readers for CSV and IDX
// (the MNIST format), and small built-in data sets (XOR, two moons, circles,
// spirals, noisy regressions, Iris).
//
// Inputs and targets are tensors whose first axis indexes examples. Class
// labels are stored as float64 class indices in a tensor of shape [N], the
// form nn.CrossEntropy and &nn.Accuracy{} take.
//
// Everything random takes an explicit *rand.Rand, so the same seed gives the
// same batches, splits and data on every run. Readers return errors, never
// panic, on malformed input, and never allocate more than the input holds.
package data

import (
	"fmt"
	"iter"
	"math/rand/v2"

	"github.com/minidl/minidl/tensor"
)

// Dataset is a collection of examples that can be gathered into batches.
type Dataset interface {
	// Len returns the number of examples.
	Len() int
	// Batch returns the inputs and targets of the examples at the given
	// indices, stacked along a new first axis, in order.
	Batch(indices []int) (x, y *tensor.Tensor)
}

// TensorDataset is a Dataset held in two tensors whose first axes index the
// examples: X the inputs and Y the targets.
type TensorDataset struct {
	X, Y *tensor.Tensor
}

// NewTensorDataset returns the data set of the rows of x and y, which must
// have the same number of rows.
func NewTensorDataset(x, y *tensor.Tensor) *TensorDataset {
	if x.Dims() == 0 || y.Dims() == 0 || x.Dim(0) != y.Dim(0) {
		panic(&Error{Kind: tensor.ErrShape, Op: "NewTensorDataset", Detail: fmt.Sprintf("inputs %v and targets %v: want the same number of rows", x.Shape(), y.Shape())})
	}
	return &TensorDataset{X: x, Y: y}
}

// Len returns the number of examples.
func (d *TensorDataset) Len() int { return d.X.Dim(0) }

// Batch gathers the rows at indices: one copy into each result, no
// allocation per example.
func (d *TensorDataset) Batch(indices []int) (x, y *tensor.Tensor) {
	return d.X.IndexRows(indices), d.Y.IndexRows(indices)
}

// FillBatch gathers the rows at indices into x and y, which must have
// len(indices) rows of the data set's row shapes, without allocating.
func (d *TensorDataset) FillBatch(x, y *tensor.Tensor, indices []int) {
	x.GatherRows(d.X, indices)
	y.GatherRows(d.Y, indices)
}

// BatchFiller is implemented by data sets that can gather a batch into
// tensors the caller provides, so that a Loader can reuse them.
type BatchFiller interface {
	FillBatch(x, y *tensor.Tensor, indices []int)
}

// Subset returns the examples at indices as a new TensorDataset.
func (d *TensorDataset) Subset(indices []int) *TensorDataset {
	x, y := d.Batch(indices)
	return &TensorDataset{X: x, Y: y}
}

// Range returns examples [start, end) as a TensorDataset that shares d's
// tensors (see tensor.Rows): a split of a large data set costs no memory.
func (d *TensorDataset) Range(start, end int) *TensorDataset {
	return &TensorDataset{X: d.X.Rows(start, end), Y: d.Y.Rows(start, end)}
}

// LoaderConfig configures a Loader. The zero value gives batches of one
// example in order, as torch.utils.data.DataLoader does by default.
type LoaderConfig struct {
	BatchSize int        // examples per batch; 0 means 1
	Shuffle   bool       // a new random order every epoch, drawn from Rand
	Rand      *rand.Rand // required with Shuffle
	DropLast  bool       // drop the last batch if it is smaller than BatchSize
	// Prefetch gathers each batch on another goroutine while the caller
	// works on the one before, as a DataLoader with a worker does. The
	// batches and their order are the same; the gather, which waits on
	// memory, overlaps the caller's step. The data set is asked for one
	// batch at a time, from that goroutine; a panic there reaches the
	// caller, and an iteration that stops early waits for the batch in
	// flight before it returns.
	Prefetch bool
	// Sampler, if set, chooses each epoch's examples and their order, as
	// DataLoader(sampler=…); it excludes Shuffle, as in PyTorch.
	Sampler Sampler
}

// Loader iterates over a Dataset (or a MultiDataset, see NewMultiLoader)
// in batches, one epoch per call to All (AllInputs).
type Loader struct {
	ds  Dataset      // the data set of NewLoader; nil for NewMultiLoader's
	src MultiDataset // what the batches are gathered from: ds seen as one input, or the MultiDataset
	cfg LoaderConfig
}

// NewLoader returns a Loader over ds. It panics if the batch size is
// negative or Shuffle is set without a Rand.
func NewLoader(ds Dataset, cfg LoaderConfig) *Loader {
	l := newLoader("NewLoader", asMulti(ds), cfg)
	l.ds = ds
	return l
}

// newLoader checks the configuration and returns a loader over src.
func newLoader(op string, src MultiDataset, cfg LoaderConfig) *Loader {
	if cfg.BatchSize == 0 {
		cfg.BatchSize = 1
	}
	if cfg.BatchSize < 0 {
		panic(&Error{Op: op, Detail: fmt.Sprintf("batch size %d is negative", cfg.BatchSize)})
	}
	if cfg.Shuffle && cfg.Sampler != nil {
		panic(&Error{Op: op, Detail: "Shuffle and a Sampler both set; the Sampler chooses the order"})
	}
	if cfg.Shuffle && cfg.Rand == nil {
		panic(&Error{Op: op, Detail: "Shuffle needs a Rand"})
	}
	return &Loader{src: src, cfg: cfg}
}

// Dataset returns the data set the loader reads, or nil for a loader of a
// MultiDataset (see MultiDataset).
func (l *Loader) Dataset() Dataset { return l.ds }

// MultiDataset returns the multi-input data set the loader reads, or nil
// for a loader of a Dataset.
func (l *Loader) MultiDataset() MultiDataset {
	if l.ds != nil {
		return nil
	}
	return l.src
}

// Examples returns the number of examples of the data set.
func (l *Loader) Examples() int { return l.src.Len() }

// NumInputs returns the number of inputs of every example: 1 for a
// Dataset, the data set's count for a MultiDataset.
func (l *Loader) NumInputs() int { return l.src.NumInputs() }

// InputNames returns the names of the inputs, if the data set names them
// (MultiTensorDataset.WithNames), or nil.
func (l *Loader) InputNames() []string {
	if n, ok := l.src.(inputNamer); ok && l.ds == nil {
		return n.InputNames()
	}
	return nil
}

// BatchSize returns the number of examples per batch.
func (l *Loader) BatchSize() int { return l.cfg.BatchSize }

// Len returns the number of batches in one epoch.
func (l *Loader) Len() int {
	n, b := l.src.Len(), l.cfg.BatchSize
	if l.cfg.Sampler != nil {
		n = l.cfg.Sampler.Len()
	}
	if l.cfg.DropLast {
		return n / b
	}
	return (n + b - 1) / b
}

// All returns an iterator over one epoch of batches:
//
//	for x, y := range loader.All() { … }
//
// With Shuffle, each call draws a new order from the loader's Rand. One
// Loader must not be iterated by several goroutines at once when it
// shuffles, since they would share its Rand. A loader of a MultiDataset of
// several inputs panics with an *Error: its batches come from AllInputs.
func (l *Loader) All() iter.Seq2[*tensor.Tensor, *tensor.Tensor] {
	return oneInput("Loader.All", l, l.batches(false))
}

// Reused is All, except that every batch of a given size is gathered into
// the same two tensors, so that a batch is valid only until the next one is
// taken. It saves allocating and clearing a batch per step in loops that are
// done with each batch before they take the next, as train.Fit is. Data
// sets that are not BatchFillers get fresh tensors as with All.
func (l *Loader) Reused() iter.Seq2[*tensor.Tensor, *tensor.Tensor] {
	return oneInput("Loader.Reused", l, l.batches(true))
}

// AllInputs is All for a loader of any number of inputs: it yields each
// batch's inputs, in the data set's order (one tensor for a Dataset), and
// its targets:
//
//	for xs, y := range loader.AllInputs() { out := model.ForwardInputs(…xs…) }
func (l *Loader) AllInputs() iter.Seq2[[]*tensor.Tensor, *tensor.Tensor] { return l.batches(false) }

// ReusedInputs is Reused for a loader of any number of inputs: every batch
// of a given size is gathered into the same tensors (and the same slice of
// them), valid until the next batch is taken, when the data set is a
// BatchFiller or MultiBatchFiller.
func (l *Loader) ReusedInputs() iter.Seq2[[]*tensor.Tensor, *tensor.Tensor] { return l.batches(true) }

// oneInput adapts batches of one input to All's form.
func oneInput(op string, l *Loader, seq iter.Seq2[[]*tensor.Tensor, *tensor.Tensor]) iter.Seq2[*tensor.Tensor, *tensor.Tensor] {
	if n := l.NumInputs(); n != 1 {
		panicf(op, "the data set has %s per example: iterate with AllInputs or ReusedInputs", inputCount(n))
	}
	return func(yield func(x, y *tensor.Tensor) bool) {
		for xs, y := range seq {
			if !yield(xs[0], y) {
				return
			}
		}
	}
}

func (l *Loader) batches(reuse bool) iter.Seq2[[]*tensor.Tensor, *tensor.Tensor] {
	filler, canFill := l.src.(MultiBatchFiller)
	reuse = reuse && canFill
	return func(yield func(xs []*tensor.Tensor, y *tensor.Tensor) bool) {
		n, b := l.src.Len(), l.cfg.BatchSize
		order := make([]int, n)
		for i := range order {
			order[i] = i
		}
		if l.cfg.Shuffle {
			l.cfg.Rand.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
		}
		if l.cfg.Sampler != nil {
			order = samplerOrder(l.cfg.Sampler, n)
			n = len(order)
		}
		var batchIndices [][]int
		for start := 0; start < n; start += b {
			end := min(start+b, n)
			if l.cfg.DropLast && end-start < b {
				break
			}
			batchIndices = append(batchIndices, order[start:end])
		}
		// With reuse, batches go into buffers kept per batch size (full and
		// last); prefetching alternates two sets, one being filled while the
		// caller holds the other.
		var bufX [2][2][]*tensor.Tensor
		var bufY [2][2]*tensor.Tensor
		gather := func(k int) (x []*tensor.Tensor, y *tensor.Tensor) {
			idx := batchIndices[k]
			slot, set := 0, 0
			if len(idx) < b {
				slot = 1
			}
			if l.cfg.Prefetch {
				set = k % 2
			}
			if reuse && bufX[set][slot] != nil {
				x, y = bufX[set][slot], bufY[set][slot]
				filler.FillBatchInputs(x, y, idx)
				return x, y
			}
			x, y = l.src.BatchInputs(idx)
			if reuse {
				bufX[set][slot], bufY[set][slot] = x, y
			}
			return x, y
		}
		if !l.cfg.Prefetch {
			for k := range batchIndices {
				if !yield(gather(k)) {
					return
				}
			}
			return
		}
		type batch struct {
			x        []*tensor.Tensor
			y        *tensor.Tensor
			panicked any // a panic of the data set, raised again in the caller
		}
		next := make(chan batch, 1)
		fetch := func(k int) {
			go func() {
				var bt batch
				defer func() {
					if p := recover(); p != nil {
						bt.panicked = p
					}
					next <- bt
				}()
				bt.x, bt.y = gather(k)
			}()
		}
		if len(batchIndices) > 0 {
			fetch(0)
		}
		for k := range batchIndices {
			bt := <-next
			if bt.panicked != nil {
				panic(bt.panicked)
			}
			if k+1 < len(batchIndices) {
				fetch(k + 1)
			}
			if !yield(bt.x, bt.y) {
				if k+1 < len(batchIndices) {
					<-next // let the batch in flight land before returning
				}
				return
			}
		}
	}
}

// Error is the value data panics with when it is called with arguments that
// cannot be right, such as a negative batch size. Problems with files are
// returned as errors instead (see ParseError).
type Error struct {
	Op     string
	Kind   error // tensor.ErrShape, tensor.ErrIndex, or nil for tensor.ErrArgument
	Detail string
}

// Error returns the message, prefixed with the package and operation.
func (e *Error) Error() string { return "data: " + e.Op + ": " + e.Detail }

// Unwrap returns the error's kind, one of tensor's, for errors.Is.
func (e *Error) Unwrap() error {
	if e.Kind == nil {
		return tensor.ErrArgument
	}
	return e.Kind
}

func panicf(op, format string, args ...any) { panicKind(nil, op, format, args...) }

func panicKind(kind error, op, format string, args ...any) {
	panic(&Error{Op: op, Kind: kind, Detail: fmt.Sprintf(format, args...)})
}
