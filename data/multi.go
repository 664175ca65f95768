package data

import (
	"fmt"
	"slices"

	"github.com/minidl/minidl/tensor"
)

// MultiDataset is a collection of examples with several inputs each, such
// as the category codes and the numeric features of a table, that a model
// takes apart (an nn.MultiInput). NewMultiLoader cuts it into batches.
type MultiDataset interface {
	// Len returns the number of examples.
	Len() int
	// NumInputs returns the number of inputs of every example.
	NumInputs() int
	// BatchInputs returns the inputs and targets of the examples at the
	// given indices, each stacked along a new first axis, in order: one
	// tensor per input, in the data set's order of inputs.
	BatchInputs(indices []int) (xs []*tensor.Tensor, y *tensor.Tensor)
}

// MultiBatchFiller is implemented by multi-input data sets that can gather
// a batch into tensors the caller provides, so that a Loader can reuse
// them.
type MultiBatchFiller interface {
	FillBatchInputs(xs []*tensor.Tensor, y *tensor.Tensor, indices []int)
}

// MultiTensorDataset is a MultiDataset held in tensors whose first axes
// index the examples: Inputs, in order, and the targets Y. Names, if set,
// names the inputs (one name each, distinct), so that train.Fit can check
// them against a model's nn.NamedInputs.
type MultiTensorDataset struct {
	Inputs []*tensor.Tensor
	Names  []string
	Y      *tensor.Tensor
}

// NewMultiTensorDataset returns the data set of the rows of the inputs and
// of y, which must all have the same number of rows. It panics with an
// *Error of kind tensor.ErrShape if they do not, or if there is no input.
func NewMultiTensorDataset(inputs []*tensor.Tensor, y *tensor.Tensor) *MultiTensorDataset {
	const op = "NewMultiTensorDataset"
	if len(inputs) == 0 {
		panicKind(tensor.ErrShape, op, "no inputs: want at least one")
	}
	if y.Dims() == 0 {
		panicKind(tensor.ErrShape, op, "targets %v: want a first axis of examples", y.Shape())
	}
	for i, x := range inputs {
		if x.Dims() == 0 || x.Dim(0) != y.Dim(0) {
			panicKind(tensor.ErrShape, op, "input %d %v and targets %v: want the same number of rows", i, x.Shape(), y.Shape())
		}
	}
	return &MultiTensorDataset{Inputs: slices.Clone(inputs), Y: y}
}

// WithNames names the inputs, in order, and returns d. It panics with an
// *Error if the count differs from the inputs' or a name is empty or
// repeated.
func (d *MultiTensorDataset) WithNames(names ...string) *MultiTensorDataset {
	checkInputNames("MultiTensorDataset.WithNames", names, len(d.Inputs))
	d.Names = slices.Clone(names)
	return d
}

// checkInputNames panics unless names are n distinct non-empty names.
func checkInputNames(op string, names []string, n int) {
	if len(names) != n {
		panicf(op, "%d names for %d inputs", len(names), n)
	}
	for i, name := range names {
		if name == "" {
			panicf(op, "input %d has an empty name", i)
		}
		if j := slices.Index(names[:i], name); j >= 0 {
			panicf(op, "inputs %d and %d are both named %q", j, i, name)
		}
	}
}

// Len returns the number of examples.
func (d *MultiTensorDataset) Len() int { return d.Y.Dim(0) }

// NumInputs returns the number of inputs.
func (d *MultiTensorDataset) NumInputs() int { return len(d.Inputs) }

// InputNames returns the inputs' names, or nil if they have none.
func (d *MultiTensorDataset) InputNames() []string { return d.Names }

// BatchInputs gathers the rows at indices: one copy into each result, no
// allocation per example.
func (d *MultiTensorDataset) BatchInputs(indices []int) (xs []*tensor.Tensor, y *tensor.Tensor) {
	xs = make([]*tensor.Tensor, len(d.Inputs))
	for i, x := range d.Inputs {
		xs[i] = x.IndexRows(indices)
	}
	return xs, d.Y.IndexRows(indices)
}

// FillBatchInputs gathers the rows at indices into xs and y, which must
// have len(indices) rows of the data set's row shapes, without allocating.
func (d *MultiTensorDataset) FillBatchInputs(xs []*tensor.Tensor, y *tensor.Tensor, indices []int) {
	if len(xs) != len(d.Inputs) {
		panicKind(tensor.ErrShape, "MultiTensorDataset.FillBatchInputs", "%d tensors for %d inputs", len(xs), len(d.Inputs))
	}
	for i, x := range d.Inputs {
		xs[i].GatherRows(x, indices)
	}
	y.GatherRows(d.Y, indices)
}

// Subset returns the examples at indices as a new MultiTensorDataset, with
// the same names: with SplitIndices, a train/validation split.
func (d *MultiTensorDataset) Subset(indices []int) *MultiTensorDataset {
	xs, y := d.BatchInputs(indices)
	return &MultiTensorDataset{Inputs: xs, Names: slices.Clone(d.Names), Y: y}
}

// Range returns examples [start, end) as a MultiTensorDataset that shares
// d's tensors (see tensor.Rows).
func (d *MultiTensorDataset) Range(start, end int) *MultiTensorDataset {
	xs := make([]*tensor.Tensor, len(d.Inputs))
	for i, x := range d.Inputs {
		xs[i] = x.Rows(start, end)
	}
	return &MultiTensorDataset{Inputs: xs, Names: slices.Clone(d.Names), Y: d.Y.Rows(start, end)}
}

// CodeTensor returns category codes (whole numbers ≥ 0, such as the codes
// of a CSV file's categorical columns, for nn.Embedding) as an Int64 tensor
// of the given shape, as PyTorch carries indices (a LongTensor): exact
// whatever their size, moved by loaders unchanged and never converted to a
// model's float dtype. Every code tensor of the package is made here. It
// panics with an *Error if a code is negative or the shape does not hold
// len(codes) elements.
func CodeTensor(codes []int, shape ...int) *tensor.Tensor {
	v := make([]int64, len(codes))
	for i, c := range codes {
		if c < 0 {
			panicKind(tensor.ErrIndex, "CodeTensor", "code %d at %d: want a whole number ≥ 0", c, i)
		}
		v[i] = int64(c)
	}
	if size, ok := tensor.Elements(shape...); !ok || size != len(codes) {
		panicKind(tensor.ErrShape, "CodeTensor", "%d codes into shape %v", len(codes), shape)
	}
	return tensor.NewInt64(v, shape...)
}

// inputNamer is a data set whose inputs have names.
type inputNamer interface{ InputNames() []string }

// single is a one-input Dataset seen as a MultiDataset, so that one
// Loader serves both.
type single struct{ ds Dataset }

func (s single) Len() int       { return s.ds.Len() }
func (s single) NumInputs() int { return 1 }
func (s single) BatchInputs(indices []int) ([]*tensor.Tensor, *tensor.Tensor) {
	x, y := s.ds.Batch(indices)
	return []*tensor.Tensor{x}, y
}

// singleFiller is a single whose data set is a BatchFiller.
type singleFiller struct {
	single
	f BatchFiller
}

func (s singleFiller) FillBatchInputs(xs []*tensor.Tensor, y *tensor.Tensor, indices []int) {
	s.f.FillBatch(xs[0], y, indices)
}

// asMulti returns ds as a MultiDataset.
func asMulti(ds Dataset) MultiDataset {
	if f, ok := ds.(BatchFiller); ok {
		return singleFiller{single{ds}, f}
	}
	return single{ds}
}

// NewMultiLoader returns a Loader over a data set of several inputs: its
// AllInputs and ReusedInputs yield each batch's inputs, in order, and
// targets. The configuration is NewLoader's, and so are the batches: the
// same seed shuffles a MultiDataset and a Dataset of as many examples into
// the same order. It panics as NewLoader does, or if ds has no input.
func NewMultiLoader(ds MultiDataset, cfg LoaderConfig) *Loader {
	if ds.NumInputs() < 1 {
		panicf("NewMultiLoader", "the data set has %d inputs: want at least one", ds.NumInputs())
	}
	l := newLoader("NewMultiLoader", ds, cfg)
	if n, ok := ds.(inputNamer); ok && n.InputNames() != nil {
		checkInputNames("NewMultiLoader", n.InputNames(), ds.NumInputs())
	}
	return l
}

// inputCount describes an input count for messages: "1 input", "3 inputs".
func inputCount(n int) string {
	if n == 1 {
		return "1 input"
	}
	return fmt.Sprintf("%d inputs", n)
}
