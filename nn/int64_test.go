package nn

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/tensor"
)

// TestEmbeddingInt64 checks that Int64 indices give the rows and the
// weight gradient that the same indices as float64 give, in a float64 and
// a float32 model, and that an index out of range, however large, is an
// ErrIndex naming it.
func TestEmbeddingInt64(t *testing.T) {
	ints := []int64{0, 4, 4, 2, 5, 0}
	floats := []float64{0, 4, 4, 2, 5, 0}
	for _, dtype := range []tensor.DType{tensor.Float64, tensor.Float32} {
		run := func(idx *tensor.Tensor) (*tensor.Tensor, *tensor.Tensor) {
			e := NewEmbedding(newRNG(), 6, 3, EmbeddingConfig{PaddingIdx: new(2)})
			To(e, dtype)
			out := e.Forward(autograd.Const(idx))
			out.Mul(autograd.Const(tensor.Arange(0, 18, 1).Reshape(2, 3, 3).To(dtype))).Sum().Backward()
			return out.Value, e.Weight.Grad
		}
		gotOut, gotGrad := run(tensor.NewInt64(ints, 2, 3))
		wantOut, wantGrad := run(tensor.New(floats, 2, 3))
		if gotOut.DType() != dtype || !tensor.Equal(gotOut, wantOut) || !tensor.Equal(gotGrad, wantGrad) {
			t.Errorf("%v: int64 indices give %v and gradient %v; float64 ones %v and %v", dtype, gotOut, gotGrad, wantOut, wantGrad)
		}
	}
	e := NewEmbedding(newRNG(), 5, 2, EmbeddingConfig{})
	for _, tt := range []struct {
		idx  []int64
		want string
	}{
		{[]int64{0, 5}, "element 1 of the input is 5; want a whole number in [0, 5)"},
		{[]int64{-1}, "element 0 of the input is -1"},
		{[]int64{1, 1<<53 + 1}, "element 1 of the input is 9007199254740993"},
		{[]int64{math.MinInt64}, "element 0 of the input is -9223372036854775808"},
	} {
		func() {
			defer func() {
				err, _ := recover().(error)
				if !errors.Is(err, tensor.ErrIndex) || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("indices %v: panic %v, want an ErrIndex containing %q", tt.idx, err, tt.want)
				}
			}()
			e.Forward(autograd.Const(tensor.NewInt64(tt.idx)))
		}()
	}
}

// TestClassTargetsInt64 checks that CrossEntropy (with every option) and
// NLL give the same loss and logits gradient for Int64 labels as for the
// same labels in float64, in float64 and float32, and that an Int64 label
// out of range is an ErrIndex.
func TestClassTargetsInt64(t *testing.T) {
	logits := tensor.Normal(newRNG(), 0, 2, 4, 3)
	ints, floats := []int64{2, 0, 1, 2}, []float64{2, 0, 1, 2}
	losses := map[string]Loss{
		"CrossEntropy": CrossEntropy,
		"CrossEntropy options": CrossEntropyLoss(CrossEntropyOptions{
			LabelSmoothing: 0.1, Weight: tensor.New([]float64{1, 2, 0.5}), IgnoreIndex: new(1), Reduction: Sum,
		}),
		"NLL":      func(x, y *autograd.Var) *autograd.Var { return NLL(x.LogSoftmax(1), y) },
		"NLL none": func(x, y *autograd.Var) *autograd.Var { return NLLLoss(None)(x.LogSoftmax(1), y).Sum() },
	}
	for name, loss := range losses {
		for _, dtype := range []tensor.DType{tensor.Float64, tensor.Float32} {
			run := func(target *tensor.Tensor) (*tensor.Tensor, *tensor.Tensor) {
				x := autograd.Param(logits.To(dtype))
				l := loss(x, autograd.Const(target))
				l.Backward()
				return l.Value, x.Grad
			}
			gotLoss, gotGrad := run(tensor.NewInt64(ints))
			floatTarget := tensor.New(floats).To(dtype)
			wantLoss, wantGrad := run(floatTarget)
			if gotLoss.DType() != dtype || !tensor.Equal(gotLoss, wantLoss) || !tensor.Equal(gotGrad, wantGrad) {
				t.Errorf("%s %v: int64 labels give %v and gradient %v; float labels %v and %v", name, dtype, gotLoss, gotGrad, wantLoss, wantGrad)
			}
		}
	}
	x := autograd.Const(logits)
	for _, tt := range []struct {
		name string
		fn   func()
		kind error
		want string
	}{
		{"label 3", func() { CrossEntropy(x, autograd.Const(tensor.NewInt64([]int64{0, 1, 3, 0}))) }, tensor.ErrIndex, "label 3 at position 2 is not a class index in [0, 3)"},
		{"huge label", func() { NLL(x, autograd.Const(tensor.NewInt64([]int64{0, 1 << 60, 0, 0}))) }, tensor.ErrIndex, "label 1152921504606846976 at position 1"},
		{"int64 probabilities", func() { CrossEntropy(x, autograd.Const(tensor.ZerosOf(tensor.Int64, 4, 3))) }, tensor.ErrDType, "int64"},
		{"int64 predictions", func() {
			CrossEntropy(autograd.Const(tensor.ZerosOf(tensor.Int64, 4, 3)), autograd.Const(tensor.NewInt64(ints)))
		}, tensor.ErrDType, "int64 predictions of shape [4 3]"},
		{"MSE int64 target", func() { MSE(x, autograd.Const(tensor.ZerosOf(tensor.Int64, 4, 3))) }, tensor.ErrDType, "convert with To(tensor.Float64)"},
	} {
		func() {
			defer func() {
				err, _ := recover().(error)
				if !errors.Is(err, tt.kind) || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("%s: panic %v, want %v containing %q", tt.name, err, tt.kind, tt.want)
				}
			}()
			tt.fn()
		}()
	}
}

// TestMetricsInt64Targets checks that every metric reading class labels
// gives the same value for Int64 labels as for float64 ones.
func TestMetricsInt64Targets(t *testing.T) {
	pred := tensor.Normal(newRNG(), 0, 1, 8, 4)
	ints := []int64{0, 3, 1, 1, 2, 0, 3, 2}
	floats := make([]float64, len(ints))
	for i, v := range ints {
		floats[i] = float64(v)
	}
	prob := tensor.New([]float64{0.9, 0.2, 0.6, 0.4})
	for name, m := range map[string]func() Metric{
		"Accuracy":     func() Metric { return &Accuracy{} },
		"TopKAccuracy": func() Metric { return &TopKAccuracy{K: 2} },
		"Confusion":    func() Metric { return &ConfusionMatrix{} },
		"Precision":    func() Metric { return &Precision{Average: Macro} },
		"Recall":       func() Metric { return &Recall{Average: Macro} },
		"F1":           func() Metric { return &F1{Average: Macro} },
	} {
		a, b := m(), m()
		a.Update(pred, tensor.NewInt64(ints))
		b.Update(pred, tensor.New(floats))
		if a.Value() != b.Value() {
			t.Errorf("%s: %v for int64 labels, %v for float64 ones", name, a.Value(), b.Value())
		}
	}
	for name, m := range map[string]func() Metric{
		"BinaryAccuracy": func() Metric { return &BinaryAccuracy{} },
		"ROCAUC":         func() Metric { return &ROCAUC{} },
		"F1 binary":      func() Metric { return &F1{} },
	} {
		a, b := m(), m()
		a.Update(prob, tensor.NewInt64([]int64{1, 0, 0, 1}))
		b.Update(prob, tensor.New([]float64{1, 0, 0, 1}))
		if a.Value() != b.Value() {
			t.Errorf("%s: %v for int64 labels, %v for float64 ones", name, a.Value(), b.Value())
		}
	}
}

// counter is a module with an Int64 buffer, as a layer counting steps or
// holding a vocabulary's indices would have.
type counter struct {
	W, Count *autograd.Var
}

func (c *counter) Forward(x *autograd.Var) *autograd.Var { return x.Mul(c.W) }
func (c *counter) Parameters() []Param {
	return []Param{{Name: "w", Var: c.W}, {Name: "count", Var: c.Count, Buffer: true}}
}

// TestToLeavesInt64Buffers checks that nn.To converts float parameters and
// leaves an Int64 buffer as it is, that DTypeOf looks past it, and that
// converting a model to Int64 is refused.
func TestToLeavesInt64Buffers(t *testing.T) {
	c := &counter{W: autograd.Param(tensor.Ones(2)), Count: autograd.Const(tensor.NewInt64([]int64{1<<53 + 1}))}
	To(c, tensor.Float32)
	if c.W.Value.DType() != tensor.Float32 || c.Count.Value.DType() != tensor.Int64 || c.Count.Value.Int64s()[0] != 1<<53+1 {
		t.Errorf("after To(Float32): w %v, count %v; want w float32 and count int64 unchanged", c.W.Value, c.Count.Value)
	}
	if d := DTypeOf(c); d != tensor.Float32 {
		t.Errorf("DTypeOf = %v, want float32 (the int64 buffer does not count)", d)
	}
	if got := c.Parameters(); len(got) != 2 {
		t.Errorf("DTypeOf changed the module's parameters: %v", got)
	}
	mustPanic(t, "a model computes in a float dtype", func() { To(c, tensor.Int64) })
}

// TestSafetensorsInt64 checks that an Int64 tensor is written as I64,
// whose bytes PyTorch reads as torch.int64, and read back as float64 (as
// every dtype is), and that an I64 value float64 cannot hold is a
// FormatError rather than a rounded number.
func TestSafetensorsInt64(t *testing.T) {
	s := NewStateDict()
	s.Set("codes", tensor.NewInt64([]int64{3, -1, 1 << 40}, 3, 1))
	var buf bytes.Buffer
	if err := WriteSafetensors(&buf, s, nil); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	n := binary.LittleEndian.Uint64(b)
	header, data := string(b[8:8+n]), b[8+n:]
	if !strings.Contains(header, `"dtype":"I64"`) || !strings.Contains(header, `"shape":[3,1]`) {
		t.Errorf("header %s: want dtype I64, shape [3,1]", header)
	}
	var got []int64
	for i := 0; i+8 <= len(data); i += 8 {
		got = append(got, int64(binary.LittleEndian.Uint64(data[i:])))
	}
	if !slices.Equal(got, []int64{3, -1, 1 << 40}) {
		t.Errorf("data %v, want the int64 values little-endian", got)
	}
	r, _, err := ReadSafetensors(b)
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := r.Get("codes"); !tensor.Equal(c, tensor.New([]float64{3, -1, 1 << 40}, 3, 1)) {
		t.Errorf("read back %v, want float64 [3 -1 2^40]", c)
	}
	s.Set("codes", tensor.NewInt64([]int64{0, -(1 << 53) - 1}))
	buf.Reset()
	if err := WriteSafetensors(&buf, s, nil); err != nil {
		t.Fatal(err)
	}
	_, _, err = ReadSafetensors(buf.Bytes())
	if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), `tensor "codes": I64 value -9007199254740993 at position 1 is beyond ±2⁵³`) {
		t.Errorf("reading an I64 beyond 2⁵³: %v, want a FormatError naming it", err)
	}
}

// TestLoadStateInt64Buffer checks that an Int64 buffer saved to a file
// (as I64, read back as float64) loads back exactly, and that a checkpoint
// value that is not a whole number is a StateDictError, not a panic.
func TestLoadStateInt64Buffer(t *testing.T) {
	c := &counter{W: autograd.Param(tensor.Ones(2)), Count: autograd.Const(tensor.NewInt64([]int64{7}))}
	var buf bytes.Buffer
	if err := WriteSafetensors(&buf, StateOf(c), nil); err != nil {
		t.Fatal(err)
	}
	s, _, err := ReadSafetensors(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	c.Count.Value.Int64s()[0] = 0
	if err := LoadState(c, s); err != nil || c.Count.Value.DType() != tensor.Int64 || c.Count.Value.Int64s()[0] != 7 {
		t.Errorf("LoadState: %v, count %v; want int64 7", err, c.Count.Value)
	}
	s.Set("count", tensor.New([]float64{2.5}))
	var se *StateDictError
	if err := LoadState(c, s); !errors.As(err, &se) || !strings.Contains(err.Error(), "count: checkpoint value 2.5 at position 0 for an int64 buffer") {
		t.Errorf("LoadState of 2.5 into an int64 buffer: %v, want a StateDictError naming it", err)
	}
}

// TestLayersRefuseInt64 checks that every layer with a kernel of its own
// refuses an Int64 input with an ErrDType that says to convert the input,
// never the model to Int64: indices belong in an Embedding.
func TestLayersRefuseInt64(t *testing.T) {
	rng := newRNG()
	x4 := autograd.Const(tensor.ZerosOf(tensor.Int64, 1, 1, 4, 4))
	x3 := autograd.Const(tensor.ZerosOf(tensor.Int64, 2, 3, 4))
	for name, f := range map[string]func(){
		"Linear":             func() { NewLinear(rng, 4, 2).Forward(x3) },
		"LayerNorm":          func() { NewLayerNorm([]int{4}, LayerNormConfig{}).Forward(x3) },
		"Conv2d":             func() { NewConv2d(rng, 1, 1, [2]int{2, 2}, autograd.Conv2dOptions{}).Forward(x4) },
		"Conv1d":             func() { NewConv1d(rng, 3, 1, 2, autograd.Conv1dOptions{}).Forward(x3) },
		"BatchNorm2d":        func() { NewBatchNorm2d(1, BatchNormConfig{}).Forward(x4) },
		"MaxPool2d":          func() { MaxPool2d(autograd.PoolOptions{Kernel: [2]int{2, 2}}).Forward(x4) },
		"LSTM":               func() { NewLSTM(rng, 4, 3, RNNConfig{}).Forward(x3) },
		"GRU":                func() { NewGRU(rng, 4, 3, RNNConfig{}).Forward(x3) },
		"MultiheadAttention": func() { NewMultiheadAttention(rng, 4, 2, MultiheadAttentionConfig{}).Forward(x3) },
	} {
		func() {
			defer func() {
				err, _ := recover().(error)
				if !errors.Is(err, tensor.ErrDType) {
					t.Fatalf("%s: panic %v, want an ErrDType", name, err)
				}
				if msg := err.Error(); !strings.Contains(msg, "int64") || !strings.Contains(msg, "To(tensor.Float64)") || strings.Contains(msg, "tensor.Int64") || strings.Contains(msg, ": Data:") {
					t.Errorf("%s: message %q: want it to say to convert the int64 input with To(tensor.Float64)", name, msg)
				}
			}()
			f()
		}()
	}
}

// TestBatchNormCountsInInt64: BatchNorm's num_batches_tracked is int64 in a
// float64 and a float32 model, as PyTorch's, is written as I64, and loads
// back exactly from an I64 checkpoint and from the F64 count older
// checkpoints hold.
func TestBatchNormCountsInInt64(t *testing.T) {
	for _, dtype := range []tensor.DType{tensor.Float64, tensor.Float32} {
		bn := NewBatchNorm1d(2, BatchNormConfig{})
		To(bn, dtype)
		for range 3 {
			bn.Forward(autograd.Const(tensor.Normal(newRNG(), 0, 1, 4, 2).To(dtype)))
		}
		if n := bn.NumBatchesTracked.Value; n.DType() != tensor.Int64 || n.Int64s()[0] != 3 {
			t.Fatalf("%v model: batches tracked %v %v, want int64 3", dtype, n.DType(), n)
		}
		var buf bytes.Buffer
		if err := WriteSafetensors(&buf, StateOf(bn), nil); err != nil {
			t.Fatal(err)
		}
		entry, _, _ := bytes.Cut(buf.Bytes()[bytes.Index(buf.Bytes(), []byte(`"num_batches_tracked":`)):], []byte("}"))
		if !bytes.Contains(entry, []byte(`"dtype":"I64"`)) {
			t.Errorf("%v model: the checkpoint does not hold num_batches_tracked as I64", dtype)
		}
		s, _, err := ReadSafetensors(buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		fresh := NewBatchNorm1d(2, BatchNormConfig{})
		To(fresh, dtype)
		if err := LoadState(fresh, s); err != nil || fresh.NumBatchesTracked.Value.Int64s()[0] != 3 {
			t.Errorf("%v model from I64: %v, batches tracked %v; want 3", dtype, err, fresh.NumBatchesTracked.Value)
		}
		s.Set("num_batches_tracked", tensor.Full(41)) // an older minidl checkpoint's F64 count
		if err := LoadState(fresh, s); err != nil || fresh.NumBatchesTracked.Value.Int64s()[0] != 41 {
			t.Errorf("%v model from an F64 count: %v, batches tracked %v; want 41", dtype, err, fresh.NumBatchesTracked.Value)
		}
	}
}
