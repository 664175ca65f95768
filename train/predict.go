package train

import (
	"slices"

	"github.com/minidl/minidl/callbacks"
	"github.com/minidl/minidl/data"
	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/tensor"
)

// DefaultBatchSize is the batch size PredictBatches and EvaluateBatches
// use when given 0: Keras's default for predict and evaluate.
const DefaultBatchSize = 32

// PredictBatches returns the model's output for x, as Predict does, but
// computed batchSize rows at a time (0 means DefaultBatchSize), as Keras's
// predict(x, batch_size): the graph-free forward pass then holds one
// batch's activations at a time, not the whole set's. Each batch's rows are
// Predict's over that batch, to the bit, and for every model whose output
// row depends on its input row alone (in evaluation mode, every layer of
// nn: batch normalization then uses its running statistics) they equal
// Predict's over the whole set up to the last bits: the matrix engine
// picks its kernel by the product's shape, and kernels round differently,
// as PyTorch's do (products small enough for one path give the same bits).
// It panics with a *Error if batchSize is negative, x is a scalar, or the
// model's output for a batch does not have one row per input row or the
// row shape of the batches before.
func PredictBatches(model nn.Module, x *tensor.Tensor, batchSize int) *tensor.Tensor {
	const op = "PredictBatches"
	batchSize = batchSizeOrDefault(op, batchSize)
	if x.Dims() == 0 {
		panic(shapeError(op, "x is a scalar: want a batch of rows along dimension 0"))
	}
	n := x.Dim(0)
	if n <= batchSize {
		return Predict(model, x)
	}
	var out *tensor.Tensor
	for start := 0; start < n; start += batchSize {
		end := min(start+batchSize, n)
		y := Predict(model, x.Rows(start, end))
		if y.Dims() == 0 || y.Dim(0) != end-start {
			panic(shapeError(op, "the model gave %v for rows [%d, %d) of %v: want one output row per input row", y.Shape(), start, end, x.Shape()))
		}
		if out == nil {
			shape := slices.Clone(y.Shape())
			shape[0] = n
			out = tensor.ZerosOf(y.DType(), shape...)
		}
		if !slices.Equal(y.Shape()[1:], out.Shape()[1:]) {
			panic(shapeError(op, "the model gave %v for rows [%d, %d), but rows of shape %v before", y.Shape(), start, end, out.Shape()[1:]))
		}
		out.Rows(start, end).CopyFrom(y)
	}
	return out
}

// EvaluateBatches returns the mean loss and the metrics of model over the
// examples x and targets y, as Evaluate computes them over a Loader of
// batchSize examples a batch (0 means DefaultBatchSize), in order: Keras's
// evaluate(x, y, batch_size). The loss is the mean over the examples of
// each batch's mean weighted by its size, the metrics are streamed over the
// batches, so each equals its value over the whole set. It panics with a
// *Error if batchSize is negative or x has no rows, and as
// data.NewTensorDataset does if x and y differ in rows.
func EvaluateBatches(model nn.Module, x, y *tensor.Tensor, batchSize int, loss nn.Loss, metrics map[string]nn.Metric) callbacks.Logs {
	const op = "EvaluateBatches"
	batchSize = batchSizeOrDefault(op, batchSize)
	if x.Dims() == 0 || x.Dim(0) == 0 {
		panic(shapeError(op, "x of shape %v has no rows: a mean over no examples has no value", x.Shape()))
	}
	loader := data.NewLoader(data.NewTensorDataset(x, y), data.LoaderConfig{BatchSize: batchSize})
	return Evaluate(model, loader, loss, metrics)
}

// batchSizeOrDefault returns the batch size to use for size, panicking on
// a negative one.
func batchSizeOrDefault(op string, size int) int {
	if size < 0 {
		panic(argError(op, "batch size %d is negative: want a positive size, or 0 for %d", size, DefaultBatchSize))
	}
	if size == 0 {
		return DefaultBatchSize
	}
	return size
}
