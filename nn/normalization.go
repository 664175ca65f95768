package nn

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/internal/gemm"
	"github.com/minidl/minidl/tensor"
)

// LayerNorm normalizes each example over its last dimensions, as
// torch.nn.LayerNorm: y = (x − mean)/√(var + ε)·Weight + Bias, the mean and
// the biased variance taken over the trailing dimensions that equal
// Shape. Weight and Bias have that shape (ones and zeros at first); both
// are nil without the elementwise affine. Training and evaluation compute
// the same: LayerNorm keeps no running statistics.
type LayerNorm struct {
	Shape        []int // the normalized trailing dimensions
	Eps          float64
	Weight, Bias *autograd.Var
}

// LayerNormConfig holds LayerNorm's options; the zero value is PyTorch's
// default.
type LayerNormConfig struct {
	// Eps is added to the variance; 0 means PyTorch's 1e-5.
	Eps float64
	// ElementwiseAffine, if set to false, leaves out Weight and Bias;
	// nil means true, as in PyTorch.
	ElementwiseAffine *bool
}

// NewLayerNorm returns a LayerNorm over trailing dimensions of the given
// shape (PyTorch's normalized_shape).
func NewLayerNorm(shape []int, cfg LayerNormConfig) *LayerNorm {
	if len(shape) == 0 {
		panic(&Error{Op: "NewLayerNorm", Detail: "the normalized shape is empty; want one or more trailing dimensions"})
	}
	for _, d := range shape {
		if d <= 0 {
			panic(&Error{Op: "NewLayerNorm", Detail: fmt.Sprintf("normalized shape %v has a dimension that is not positive", shape)})
		}
	}
	if cfg.Eps < 0 || cfg.Eps != cfg.Eps {
		panic(&Error{Op: "NewLayerNorm", Detail: fmt.Sprintf("eps is %v; want a non-negative number (0 for 1e-5)", cfg.Eps)})
	}
	l := &LayerNorm{Shape: slices.Clone(shape), Eps: cmp.Or(cfg.Eps, 1e-5)}
	if cfg.ElementwiseAffine == nil || *cfg.ElementwiseAffine {
		l.Weight = autograd.Param(tensor.Ones(shape...))
		l.Bias = autograd.Param(tensor.Zeros(shape...))
	}
	return l
}

// Forward normalizes x, whose trailing dimensions must equal l.Shape.
func (l *LayerNorm) Forward(x *autograd.Var) *autograd.Var {
	xs := x.Value.Shape()
	if len(xs) < len(l.Shape) || !slices.Equal(xs[len(xs)-len(l.Shape):], l.Shape) {
		panic(&Error{Op: "LayerNorm", Kind: tensor.ErrShape, Detail: fmt.Sprintf("input of shape %v does not end in the normalized shape %v", xs, l.Shape)})
	}
	axes := make([]int, len(l.Shape))
	for i := range axes {
		axes[i] = len(xs) - len(l.Shape) + i
	}
	centered := x.Sub(x.MeanKeepDims(axes...))
	variance := centered.Square().MeanKeepDims(axes...)
	y := centered.Div(variance.AddScalar(l.Eps).Sqrt())
	if l.Weight != nil {
		y = y.Mul(l.Weight)
	}
	if l.Bias != nil {
		y = y.Add(l.Bias)
	}
	return y
}

// Parameters returns "weight" and "bias", if the layer has them.
func (l *LayerNorm) Parameters() []Param {
	var ps []Param
	if l.Weight != nil {
		ps = append(ps, Param{Name: "weight", Var: l.Weight})
	}
	if l.Bias != nil {
		ps = append(ps, Param{Name: "bias", Var: l.Bias})
	}
	return ps
}

// String describes the layer as PyTorch prints it.
func (l *LayerNorm) String() string {
	dims := make([]string, len(l.Shape))
	for i, d := range l.Shape {
		dims[i] = fmt.Sprint(d)
	}
	shape := "(" + strings.Join(dims, ", ")
	if len(dims) == 1 {
		shape += ","
	}
	affine := "True"
	if l.Weight == nil {
		affine = "False"
	}
	return fmt.Sprintf("LayerNorm(%s), eps=%s, elementwise_affine=%s)", shape, pyFloat(l.Eps), affine)
}

// BatchNorm normalizes each channel over the batch, as torch.nn.BatchNorm1d
// (inputs [batch C] or [batch C length]) and BatchNorm2d ([batch C height
// width]). In training it uses the batch's mean and biased variance and
// updates the running statistics, as PyTorch does: running = (1−m)·running
// + m·batch, with the unbiased variance, or the cumulative average of all
// batches when CumulativeAverage is set (PyTorch's momentum=None). In
// evaluation (an input from autograd.NoGrad or Var.Eval, as Predict,
// Evaluate and Fit's validation give it) it uses the running statistics.
//
// RunningMean, RunningVar and NumBatchesTracked are in Parameters as
// entries that do not train (RequiresGrad is false), marked as buffers,
// PyTorch's name for them, so that state dicts hold them under PyTorch's
// names ("running_mean", "running_var", "num_batches_tracked") and load
// into torch.nn.BatchNorm2d and back. A BatchNorm in training must not
// run in several goroutines at once: the running statistics change.
// nn.To converts the running statistics with the parameters, so a float32
// BatchNorm keeps float32 running statistics, as PyTorch's model.float()
// does; NumBatchesTracked is int64 in any dtype, as PyTorch's.
type BatchNorm struct {
	Weight, Bias                               *autograd.Var // nil without the affine
	RunningMean, RunningVar, NumBatchesTracked *autograd.Var
	Eps, Momentum                              float64
	CumulativeAverage                          bool
	dims                                       int // of the input: 2 or 3 for 1d, 4 for 2d
}

// BatchNormConfig holds BatchNorm's options; the zero value is PyTorch's
// default.
type BatchNormConfig struct {
	// Eps is added to the variance; 0 means PyTorch's 1e-5.
	Eps float64
	// Momentum weighs each batch in the running statistics; nil means
	// PyTorch's 0.1 (and 0 keeps them as they are).
	Momentum *float64
	// CumulativeAverage makes the running statistics the plain average of
	// every batch's, PyTorch's momentum=None.
	CumulativeAverage bool
	// Affine, if set to false, leaves out Weight and Bias; nil means true.
	Affine *bool
}

// NewBatchNorm1d returns a BatchNorm over the channels of inputs [batch
// channels] or [batch channels length].
func NewBatchNorm1d(channels int, cfg BatchNormConfig) *BatchNorm {
	return newBatchNorm("NewBatchNorm1d", channels, cfg, 3)
}

// NewBatchNorm2d returns a BatchNorm over the channels of inputs [batch
// channels height width].
func NewBatchNorm2d(channels int, cfg BatchNormConfig) *BatchNorm {
	return newBatchNorm("NewBatchNorm2d", channels, cfg, 4)
}

func newBatchNorm(op string, channels int, cfg BatchNormConfig, dims int) *BatchNorm {
	momentum := 0.1
	if cfg.Momentum != nil {
		momentum = *cfg.Momentum
	}
	if channels <= 0 || !(cfg.Eps >= 0) || !(momentum >= 0 && momentum <= 1) {
		panic(&Error{Op: op, Detail: fmt.Sprintf("%d channels, eps %v, momentum %v: want channels > 0, eps ≥ 0 and momentum in [0, 1]", channels, cfg.Eps, momentum)})
	}
	b := &BatchNorm{
		RunningMean: autograd.Const(tensor.Zeros(channels)), RunningVar: autograd.Const(tensor.Ones(channels)),
		NumBatchesTracked: autograd.Const(tensor.ZerosOf(tensor.Int64)),
		Eps:               cmp.Or(cfg.Eps, 1e-5), Momentum: momentum, CumulativeAverage: cfg.CumulativeAverage, dims: dims,
	}
	if cfg.Affine == nil || *cfg.Affine {
		b.Weight, b.Bias = autograd.Param(tensor.Ones(channels)), autograd.Param(tensor.Zeros(channels))
	}
	return b
}

// Forward normalizes x with the batch's statistics in training and the
// running ones in evaluation, in x's dtype, which must be the layer's.
func (b *BatchNorm) Forward(x *autograd.Var) *autograd.Var {
	b.checkDType(x.Value)
	c := b.RunningMean.Value.Dim(0)
	xs := x.Value.Shape()
	okDims := len(xs) == b.dims || (b.dims == 3 && len(xs) == 2)
	if !okDims || xs[1] != c {
		want := "[batch %d height width]"
		if b.dims == 3 {
			want = "[batch %d] or [batch %d length]"
		}
		panic(&Error{Op: b.name(), Kind: tensor.ErrShape, Detail: fmt.Sprintf("input of shape %v; want "+strings.ReplaceAll(want, "%d", fmt.Sprint(c)), xs)})
	}
	n, spatial := xs[0], 1
	for _, d := range xs[2:] {
		spatial *= d
	}
	training := !x.Evaluating()
	inputs := []*autograd.Var{x}
	if b.Weight != nil {
		inputs = append(inputs, b.Weight, b.Bias)
	}
	if n*spatial == 0 {
		// Nothing to normalize: an empty output and zero gradients. Training
		// counts the batch and leaves the statistics, as PyTorch does.
		if training {
			b.countBatch()
		}
		return autograd.Custom(tensor.ZerosLike(x.Value), func(*tensor.Tensor) []*tensor.Tensor {
			grads := make([]*tensor.Tensor, len(inputs))
			for i, in := range inputs {
				grads[i] = tensor.ZerosLike(in.Value)
			}
			return grads
		}, inputs...)
	}
	if training && n*spatial == 1 {
		panic(&Error{Op: b.name(), Kind: tensor.ErrShape, Detail: fmt.Sprintf("input of shape %v has 1 value per channel; training needs more than 1", xs)})
	}
	if x.Value.DType() == tensor.Float32 {
		return batchNorm(b, (*tensor.Tensor).Float32s, inputs, n, c, spatial, training)
	}
	return batchNorm(b, (*tensor.Tensor).Data, inputs, n, c, spatial, training)
}

// checkDType panics unless x, the parameters and the running statistics
// share one dtype, naming what to convert. An Int64 input is refused
// apart: the fix is to convert it, never the model.
func (b *BatchNorm) checkDType(x *tensor.Tensor) {
	if x.DType() == tensor.Int64 {
		panic(&Error{Op: b.name(), Kind: tensor.ErrDType, Detail: fmt.Sprintf("an int64 input %v: batch normalization computes on float tensors; convert it with To(%s)", x.Shape(), dtypeConstant(DTypeOf(b)))})
	}
	for _, p := range b.Parameters() {
		if d := p.Var.Value.DType(); d != x.DType() && d != tensor.Int64 { // the batch count is int64 in any model
			panic(&Error{Op: b.name(), Kind: tensor.ErrDType, Detail: fmt.Sprintf("a %v input %v and a %v %s: dtypes differ; convert the model with nn.To(model, %s) or the input with To(%s)",
				x.DType(), x.Shape(), d, p.Name, dtypeConstant(x.DType()), dtypeConstant(d))})
		}
	}
}

// batchNorm records the normalization of inputs[0] (x [n c spatial…], in
// training with the batch's statistics) by b for the element type E of x
// and of b's tensors, whose slices values gives. The statistics, the sums
// of the backward pass and each output element are computed in float64
// and rounded once to E: that is what makes a float32 batch norm
// numerically stable here (no float32 sum over a large batch loses the
// small terms), and in float64 it is the plain computation.
func batchNorm[E float](b *BatchNorm, values func(*tensor.Tensor) []E, inputs []*autograd.Var, n, c, spatial int, training bool) *autograd.Var {
	x := inputs[0]
	// Per channel: the mean and 1/√(var + ε) used, the batch's in training
	// and the running ones in evaluation.
	mean, inv := make([]float64, c), make([]float64, c)
	xd := values(x.Value)
	count := float64(n * spatial)
	if training {
		variance := make([]float64, c)
		gemm.ParallelFor(c, n*spatial, func(lo, hi int) {
			for ch := lo; ch < hi; ch++ {
				var sum, sq partialSums
				for i := range n {
					sumInto(&sum, xd[(i*c+ch)*spatial:][:spatial])
				}
				mean[ch] = sum.total() / count
				for i := range n {
					sumSquaredDeviationsInto(&sq, xd[(i*c+ch)*spatial:][:spatial], mean[ch])
				}
				variance[ch] = sq.total() / count
				inv[ch] = 1 / math.Sqrt(variance[ch]+b.Eps)
			}
		})
		trackStats(b, values, mean, variance, n*spatial)
	} else {
		for ch, v := range values(b.RunningMean.Value) {
			mean[ch] = float64(v)
		}
		for ch, v := range values(b.RunningVar.Value) {
			inv[ch] = 1 / math.Sqrt(float64(v)+b.Eps)
		}
	}
	gamma := func(ch int) float64 { return 1 }
	beta := func(ch int) float64 { return 0 }
	if b.Weight != nil {
		gamma = func(ch int) float64 { return float64(values(b.Weight.Value)[ch]) }
		beta = func(ch int) float64 { return float64(values(b.Bias.Value)[ch]) }
	}
	out := tensor.ZerosLike(x.Value)
	od := values(out)
	// Channels are independent: each thread takes whole channels, and every
	// sum runs over the batch and then the positions (in partialSums), in
	// the same order whoever computes it.
	perChannel := func(body func(ch int)) {
		gemm.ParallelFor(c, n*spatial, func(lo, hi int) {
			for ch := lo; ch < hi; ch++ {
				body(ch)
			}
		})
	}
	perChannel(func(ch int) {
		g, bt, m, s := gamma(ch), beta(ch), mean[ch], inv[ch]
		for i := range n {
			src, dst := xd[(i*c+ch)*spatial:][:spatial], od[(i*c+ch)*spatial:][:spatial]
			for j, v := range src {
				dst[j] = E((float64(v)-m)*s*g + bt)
			}
		}
	})
	return autograd.Custom(out, func(gr *tensor.Tensor) []*tensor.Tensor {
		gd := values(gr)
		// Σg and Σg·x̂ per channel: the bias's and the weight's gradients.
		sumG, sumGX := make([]float64, c), make([]float64, c)
		dx := tensor.ZerosLike(x.Value)
		dd := values(dx)
		perChannel(func(ch int) {
			m, s, g := mean[ch], inv[ch], gamma(ch)
			var sg, sgx partialSums // locals: neighbouring channels' sums share cache lines
			for i := range n {
				row := gd[(i*c+ch)*spatial:][:spatial]
				sumInto(&sg, row)
				sumNormalizedProductsInto(&sgx, row, xd[(i*c+ch)*spatial:][:spatial], m, s)
			}
			sumG[ch], sumGX[ch] = sg.total(), sgx.total()
			for i := range n {
				src, dst := gd[(i*c+ch)*spatial:][:spatial], dd[(i*c+ch)*spatial:][:spatial]
				if !training { // the statistics are constants
					for j, v := range src {
						dst[j] = E(float64(v) * g * s)
					}
					continue
				}
				// dx = γ/σ · (g − mean(g) − x̂·mean(g·x̂)), the batch's statistics depending on x.
				mg, mgx := sumG[ch]/count, sumGX[ch]/count
				for j, v := range src {
					xhat := (float64(xd[(i*c+ch)*spatial+j]) - m) * s
					dst[j] = E(g * s * (float64(v) - mg - xhat*mgx))
				}
			}
		})
		if b.Weight == nil {
			return []*tensor.Tensor{dx}
		}
		dtype := x.Value.DType()
		return []*tensor.Tensor{dx, tensor.New(sumGX, c).To(dtype), tensor.New(sumG, c).To(dtype)}
	}, inputs...)
}

// countBatch adds one to NumBatchesTracked and returns the new count. The
// count is an int64, as PyTorch's: in a float32 model's dtype it would stop
// growing at 2^24 batches without a word.
func (b *BatchNorm) countBatch() float64 {
	n := b.NumBatchesTracked.Value.Int64s()
	n[0]++
	return float64(n[0])
}

// trackStats updates b's running statistics, of element type E, with a
// batch's mean and biased variance over n values per channel, computing
// in float64 and rounding once.
func trackStats[E float](b *BatchNorm, values func(*tensor.Tensor) []E, mean, biasedVar []float64, n int) {
	count := b.countBatch()
	m := b.Momentum
	if b.CumulativeAverage {
		m = 1 / count
	}
	rm, rv := values(b.RunningMean.Value), values(b.RunningVar.Value)
	for i := range rm {
		rm[i] = E((1-m)*float64(rm[i]) + m*mean[i])
		rv[i] = E((1-m)*float64(rv[i]) + m*biasedVar[i]*float64(n)/float64(n-1))
	}
}

// name is the layer as errors name it: BatchNorm2d(channels).
func (b *BatchNorm) name() string { return fmt.Sprintf("%s(%d)", b.kind(), b.RunningMean.Value.Dim(0)) }

func (b *BatchNorm) kind() string {
	if b.dims == 4 {
		return "BatchNorm2d"
	}
	return "BatchNorm1d"
}

// Parameters returns "weight" and "bias" (if the layer has them), then
// the buffers "running_mean", "running_var" and "num_batches_tracked",
// which do not train.
func (b *BatchNorm) Parameters() []Param {
	var ps []Param
	if b.Weight != nil {
		ps = append(ps, Param{Name: "weight", Var: b.Weight}, Param{Name: "bias", Var: b.Bias})
	}
	return append(ps, Param{Name: "running_mean", Var: b.RunningMean, Buffer: true}, Param{Name: "running_var", Var: b.RunningVar, Buffer: true},
		Param{Name: "num_batches_tracked", Var: b.NumBatchesTracked, Buffer: true})
}

// String describes the layer as PyTorch prints it.
func (b *BatchNorm) String() string {
	momentum := pyFloat(b.Momentum)
	if b.CumulativeAverage {
		momentum = "None"
	}
	affine := "True"
	if b.Weight == nil {
		affine = "False"
	}
	return fmt.Sprintf("%s(%d, eps=%s, momentum=%s, affine=%s, track_running_stats=True)", b.kind(), b.RunningMean.Value.Dim(0), pyFloat(b.Eps), momentum, affine)
}

// partialSums is a sum over a channel in four float64 accumulators, value
// j of each row going to accumulator j mod 4: four independent chains of
// additions keep the processor's adders busy where one chain waits out each
// addition's latency. total adds them pairwise, so a channel of one value
// a row (BatchNorm1d) sums in plain order.
type partialSums [4]float64

func (p *partialSums) total() float64 { return (p[0] + p[1]) + (p[2] + p[3]) }

// sumInto adds the values of row to p.
func sumInto[E float](p *partialSums, row []E) {
	s0, s1, s2, s3 := p[0], p[1], p[2], p[3]
	j := 0
	for ; j+4 <= len(row); j += 4 {
		s0 += float64(row[j])
		s1 += float64(row[j+1])
		s2 += float64(row[j+2])
		s3 += float64(row[j+3])
	}
	*p = partialSums{s0, s1, s2, s3}
	for ; j < len(row); j++ {
		p[j%4] += float64(row[j])
	}
}

// sumSquaredDeviationsInto adds (v − mean)² for the values v of row to p.
func sumSquaredDeviationsInto[E float](p *partialSums, row []E, mean float64) {
	s0, s1, s2, s3 := p[0], p[1], p[2], p[3]
	j := 0
	for ; j+4 <= len(row); j += 4 {
		d0, d1, d2, d3 := float64(row[j])-mean, float64(row[j+1])-mean, float64(row[j+2])-mean, float64(row[j+3])-mean
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
	}
	*p = partialSums{s0, s1, s2, s3}
	for ; j < len(row); j++ {
		d := float64(row[j]) - mean
		p[j%4] += d * d
	}
}

// sumNormalizedProductsInto adds g·x̂ = g·(x − mean)·inv for the values g
// of grad and x of row (of one length) to p.
func sumNormalizedProductsInto[E float](p *partialSums, grad, row []E, mean, inv float64) {
	row = row[:len(grad)]
	s0, s1, s2, s3 := p[0], p[1], p[2], p[3]
	j := 0
	for ; j+4 <= len(grad); j += 4 {
		s0 += float64(grad[j]) * (float64(row[j]) - mean) * inv
		s1 += float64(grad[j+1]) * (float64(row[j+1]) - mean) * inv
		s2 += float64(grad[j+2]) * (float64(row[j+2]) - mean) * inv
		s3 += float64(grad[j+3]) * (float64(row[j+3]) - mean) * inv
	}
	*p = partialSums{s0, s1, s2, s3}
	for ; j < len(grad); j++ {
		p[j%4] += float64(grad[j]) * (float64(row[j]) - mean) * inv
	}
}
