package tensor

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// int64Refused lists every exported operation that must refuse an Int64
// operand, each called with one, and the op its panic names. A new
// exported function or method must be added here or to int64Accepted:
// TestInt64Coverage fails until it is.
func int64Refused() []struct {
	name, op string
	fn       func(i, f *Tensor)
} {
	return []struct {
		name, op string
		fn       func(i, f *Tensor)
	}{
		{"FullOf", "FullOf", func(i, f *Tensor) { FullOf(Int64, 3, 2) }},
		{"Add", "Add", func(i, f *Tensor) { i.Add(i) }},
		{"Add mixed", "Add", func(i, f *Tensor) { f.Add(i) }},
		{"Sub", "Sub", func(i, f *Tensor) { i.Sub(i) }},
		{"Mul", "Mul", func(i, f *Tensor) { i.Mul(f) }},
		{"Div", "Div", func(i, f *Tensor) { i.Div(i) }},
		{"Pow", "Pow", func(i, f *Tensor) { i.Pow(i) }},
		{"Maximum", "Maximum", func(i, f *Tensor) { i.Maximum(i) }},
		{"Minimum", "Minimum", func(i, f *Tensor) { i.Minimum(i) }},
		{"Eq", "Eq", func(i, f *Tensor) { i.Eq(i) }},
		{"Ne", "Ne", func(i, f *Tensor) { i.Ne(i) }},
		{"Gt", "Gt", func(i, f *Tensor) { i.Gt(i) }},
		{"Ge", "Ge", func(i, f *Tensor) { i.Ge(i) }},
		{"Lt", "Lt", func(i, f *Tensor) { i.Lt(i) }},
		{"Le", "Le", func(i, f *Tensor) { i.Le(i) }},
		{"AddScalar", "AddScalar", func(i, f *Tensor) { i.AddScalar(1) }},
		{"SubScalar", "SubScalar", func(i, f *Tensor) { i.SubScalar(1) }},
		{"MulScalar", "MulScalar", func(i, f *Tensor) { i.MulScalar(2) }},
		{"DivScalar", "DivScalar", func(i, f *Tensor) { i.DivScalar(2) }},
		{"PowScalar", "PowScalar", func(i, f *Tensor) { i.PowScalar(3) }},
		{"PowScalar 1", "PowScalar", func(i, f *Tensor) { i.PowScalar(1) }},
		{"PowScalar 2", "PowScalar", func(i, f *Tensor) { i.PowScalar(2) }},
		{"Map", "Map", func(i, f *Tensor) { i.Map(math.Sin) }},
		{"Neg", "Neg", func(i, f *Tensor) { i.Neg() }},
		{"Exp", "Exp", func(i, f *Tensor) { i.Exp() }},
		{"Log", "Log", func(i, f *Tensor) { i.Log() }},
		{"Sqrt", "Sqrt", func(i, f *Tensor) { i.Sqrt() }},
		{"Abs", "Abs", func(i, f *Tensor) { i.Abs() }},
		{"Square", "Square", func(i, f *Tensor) { i.Square() }},
		{"Tanh", "Tanh", func(i, f *Tensor) { i.Tanh() }},
		{"Sigmoid", "Sigmoid", func(i, f *Tensor) { i.Sigmoid() }},
		{"ReLU", "ReLU", func(i, f *Tensor) { i.ReLU() }},
		{"Clip", "Clip", func(i, f *Tensor) { i.Clip(0, 1) }},
		{"AddScaled", "AddScaled", func(i, f *Tensor) { i.AddScaled(1, i) }},
		{"AddScaled into float", "AddScaled", func(i, f *Tensor) { f.AddScaled(1, i) }},
		{"Scale", "Scale", func(i, f *Tensor) { i.Scale(2) }},
		{"Fill", "Fill", func(i, f *Tensor) { i.Fill(1) }},
		{"MatMul", "MatMul", func(i, f *Tensor) { i.MatMul(i.T()) }},
		{"MatMulT", "MatMulT", func(i, f *Tensor) { i.MatMulT(i) }},
		{"TMatMul", "TMatMul", func(i, f *Tensor) { i.TMatMul(i) }},
		{"SetMatMul", "SetMatMul", func(i, f *Tensor) { ZerosOf(Int64, 2, 2).SetMatMul(i, i, false, true) }},
		{"AddMatMul", "AddMatMul", func(i, f *Tensor) { ZerosOf(Int64, 2, 2).AddMatMul(i, i, false, true) }},
		{"Sum", "Sum", func(i, f *Tensor) { i.Sum() }},
		{"SumKeepDims", "Sum", func(i, f *Tensor) { i.SumKeepDims(0) }},
		{"Mean", "Mean", func(i, f *Tensor) { i.Mean() }},
		{"MeanKeepDims", "MeanKeepDims", func(i, f *Tensor) { i.MeanKeepDims(1) }},
		{"Max", "Max", func(i, f *Tensor) { i.Max() }},
		{"MaxKeepDims", "Max", func(i, f *Tensor) { i.MaxKeepDims(0) }},
		{"Min", "Min", func(i, f *Tensor) { i.Min() }},
		{"MinKeepDims", "Min", func(i, f *Tensor) { i.MinKeepDims(0) }},
		{"Var", "Var", func(i, f *Tensor) { i.Var() }},
		{"VarKeepDims", "Var", func(i, f *Tensor) { i.VarKeepDims(0) }},
		{"SumTo", "SumTo", func(i, f *Tensor) { i.SumTo(2, 3) }},
		{"SumTo reduced", "SumTo", func(i, f *Tensor) { i.SumTo(1, 3) }},
		{"ArgMax", "ArgMax", func(i, f *Tensor) { i.ArgMax(1) }},
		{"Softmax", "Softmax", func(i, f *Tensor) { i.Softmax(1) }},
		{"LogSoftmax", "LogSoftmax", func(i, f *Tensor) { i.LogSoftmax(1) }},
		{"LogSumExp", "LogSumExp", func(i, f *Tensor) { i.LogSumExp(1) }},
		{"ScatterAddRows", "ScatterAddRows", func(i, f *Tensor) { i.ScatterAddRows(i, []int{0, 1}) }},
		{"Data", "Data", func(i, f *Tensor) { i.Data() }},
		{"Float32s", "Float32s", func(i, f *Tensor) { i.Float32s() }},
		{"Int64s of float", "Int64s", func(i, f *Tensor) { f.Int64s() }},
		{"Concat mixed", "Concat", func(i, f *Tensor) { Concat(0, i, f) }},
		{"GatherRows mixed", "GatherRows", func(i, f *Tensor) { Zeros(1, 3).GatherRows(i, []int{0}) }},
	}
}

// int64Accepted names every exported function and method that works on an
// Int64 tensor, or takes no tensor operand, or is no operation on
// elements; TestInt64Accepted checks the ones that take Int64 operands.
var int64Accepted = []string{
	// no tensor operand, or float64 constructors
	"DType.String", "DType.ItemSize", "NewFloat32", "NewInt64", "New", "Elements", "Zeros", "Ones", "Full",
	"Scalar", "Arange", "Linspace", "Eye", "Normal", "Uniform", "BroadcastShapes", "Sigmoid",
	"Error.Error", "Error.Unwrap",
	// accept Int64
	"ZerosOf", "ZerosLike", "Tensor.DType", "Tensor.Int64s", "Tensor.Float64s", "Tensor.To", "Tensor.String",
	"Tensor.CopyFrom", "Tensor.BroadcastTo", "Tensor.T", "Tensor.Permute", "Concat", "Stack", "Tensor.Slice",
	"Tensor.Rows", "Tensor.IndexRows", "Tensor.GatherRows", "Tensor.Clone", "Tensor.Shape", "Tensor.Dims",
	"Tensor.Dim", "Tensor.Size", "Tensor.SameShape", "Tensor.Reshape", "Tensor.At", "Tensor.Set",
	"Tensor.Item", "Equal", "AllClose",
}

// TestInt64Refused checks that every arithmetic operation panics on an
// Int64 operand with an ErrDType naming the operation (a typed accessor
// names the accessor to use instead), rather than reading the missing
// float slice.
func TestInt64Refused(t *testing.T) {
	for _, tt := range int64Refused() {
		t.Run(tt.name, func(t *testing.T) {
			i := NewInt64([]int64{0, 1, 2, 3, 4, 5}, 2, 3)
			f := Zeros(2, 3)
			defer func() {
				e, ok := recover().(*Error)
				if !ok || !errors.Is(e, ErrDType) || e.Op != tt.op {
					t.Fatalf("panic %v, want an ErrDType *tensor.Error from %s", e, tt.op)
				}
				if !strings.Contains(e.Error(), "int64") || !strings.Contains(e.Error(), "To(tensor.") {
					t.Errorf("message %q does not name int64 and the conversion to make", e)
				}
			}()
			tt.fn(i, f)
		})
	}
}

// TestInt64Coverage checks that every exported function and method of the
// package is in int64Refused or int64Accepted, so that a new operation
// cannot forget the Int64 question.
func TestInt64Coverage(t *testing.T) {
	listed := map[string]bool{}
	for _, n := range int64Accepted {
		listed[n] = true
	}
	for _, tt := range int64Refused() {
		name := strings.Fields(tt.name)[0]
		if recv := "Tensor." + name; !slices.Contains([]string{"FullOf", "Concat", "Stack"}, name) {
			listed[recv] = true
		}
		listed[name] = true
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, file, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || !fn.Name.IsExported() {
				continue
			}
			name := fn.Name.Name
			if fn.Recv != nil {
				typ := fn.Recv.List[0].Type
				if star, ok := typ.(*ast.StarExpr); ok {
					typ = star.X
				}
				name = typ.(*ast.Ident).Name + "." + name
			}
			if !listed[name] {
				t.Errorf("%s (%s) is in neither int64Refused nor int64Accepted: decide whether it works on Int64", name, file)
			}
		}
	}
}

// TestInt64Accepted checks the operations that only move elements on an
// Int64 tensor: the result is Int64 with the elements in the right places.
func TestInt64Accepted(t *testing.T) {
	x := NewInt64([]int64{0, 1, 2, 3, 4, 1 << 60}, 2, 3)
	check := func(name string, got *Tensor, want []int64, shape ...int) {
		t.Helper()
		if got.DType() != Int64 || !slices.Equal(got.Int64s(), want) || !slices.Equal(got.Shape(), shape) {
			t.Errorf("%s = %v, want %v of shape %v dtype int64", name, got, want, shape)
		}
	}
	check("Reshape", x.Reshape(3, -1), []int64{0, 1, 2, 3, 4, 1 << 60}, 3, 2)
	check("Clone", x.Clone(), []int64{0, 1, 2, 3, 4, 1 << 60}, 2, 3)
	check("T", x.T(), []int64{0, 3, 1, 4, 2, 1 << 60}, 3, 2)
	check("Permute", x.Reshape(1, 2, 3).Permute(2, 0, 1), []int64{0, 3, 1, 4, 2, 1 << 60}, 3, 1, 2)
	check("Slice", x.Slice(1, 1, 3), []int64{1, 2, 4, 1 << 60}, 2, 2)
	check("Rows", x.Rows(1, 2), []int64{3, 4, 1 << 60}, 1, 3)
	check("IndexRows", x.IndexRows([]int{1, 1, 0}), []int64{3, 4, 1 << 60, 3, 4, 1 << 60, 0, 1, 2}, 3, 3)
	check("GatherRows", ZerosOf(Int64, 1, 3).GatherRows(x, []int{1}), []int64{3, 4, 1 << 60}, 1, 3)
	check("Concat", Concat(1, x, x.Slice(1, 0, 1)), []int64{0, 1, 2, 0, 3, 4, 1 << 60, 3}, 2, 4)
	check("Stack", Stack(0, x.Rows(0, 1), x.Rows(1, 2)), []int64{0, 1, 2, 3, 4, 1 << 60}, 2, 1, 3)
	check("BroadcastTo", NewInt64([]int64{7, 8}, 2, 1).BroadcastTo(2, 2), []int64{7, 7, 8, 8}, 2, 2)
	check("ZerosOf", ZerosOf(Int64, 2), []int64{0, 0}, 2)
	check("ZerosLike", ZerosLike(x), make([]int64, 6), 2, 3)
	check("CopyFrom", ZerosOf(Int64, 2).CopyFrom(New([]float64{-3, 5})), []int64{-3, 5}, 2)
	check("CopyFrom int64", ZerosOf(Int64, 2).CopyFrom(NewInt64([]int64{9, 8})), []int64{9, 8}, 2)
	y := ZerosOf(Int64, 2, 3)
	y.Set(-7, 1, 2)
	check("Set", y, []int64{0, 0, 0, 0, 0, -7}, 2, 3)
	if !Equal(x, x.Clone()) || Equal(x, x.Reshape(3, 2)) || Equal(x.Slice(1, 0, 2), New([]float64{0, 1, 3, 4}, 2, 2)) {
		t.Error("Equal on int64 tensors does not compare dtype, shape and elements")
	}
	if x.Size() != 6 || x.Dims() != 2 || x.Dim(-1) != 3 || !x.SameShape(Zeros(2, 3)) || x.DType() != Int64 {
		t.Error("Size, Dims, Dim, SameShape or DType wrong on an int64 tensor")
	}
	if x.At(1, 1) != 4 || NewInt64([]int64{42}, 1).Item() != 42 {
		t.Error("At or Item wrong on an int64 tensor")
	}
	if !AllClose(x.Slice(1, 0, 2), New([]float64{0, 1, 3, 4}, 2, 2), 0, 0) {
		t.Error("AllClose does not compare int64 with float64 values")
	}
	if got := x.Slice(1, 0, 2).Float64s(); !slices.Equal(got, []float64{0, 1, 3, 4}) {
		t.Errorf("Float64s = %v", got)
	}
	if Int64.String() != "int64" || Int64.ItemSize() != 8 {
		t.Errorf("Int64: String %q, ItemSize %d; want int64, 8", Int64.String(), Int64.ItemSize())
	}
}

// TestInt64To checks conversions between all three dtypes both ways, and
// that a conversion which would change a value panics naming the value and
// its index instead of truncating (as PyTorch does) or rounding.
func TestInt64To(t *testing.T) {
	vals := []int64{-3, 0, 7, 1 << 24, -(1 << 53)}
	x := NewInt64(vals)
	if got := x.To(Float64); got.DType() != Float64 || !slices.Equal(got.Data(), []float64{-3, 0, 7, 1 << 24, -(1 << 53)}) {
		t.Errorf("To(Float64) = %v", got)
	}
	if got := x.Slice(0, 0, 4).To(Float32); got.DType() != Float32 || !slices.Equal(got.Float32s(), []float32{-3, 0, 7, 1 << 24}) {
		t.Errorf("To(Float32) = %v", got)
	}
	if got := x.To(Float64).To(Int64); !Equal(got, x) {
		t.Errorf("float64 round trip = %v, want %v", got, x)
	}
	if got := NewFloat32([]float32{-2, 5}).To(Int64); !slices.Equal(got.Int64s(), []int64{-2, 5}) {
		t.Errorf("float32 To(Int64) = %v", got)
	}
	if x.To(Int64) != x {
		t.Error("To(Int64) of an int64 tensor is not the tensor itself")
	}
	if got := New([]float64{-(1 << 63), 1<<63 - 1024}).To(Int64).Int64s(); !slices.Equal(got, []int64{math.MinInt64, 1<<63 - 1024}) {
		t.Errorf("int64 range edges = %v", got)
	}
	for _, tt := range []struct {
		name, want string
		fn         func()
	}{
		{"fraction", "To: element 1 is 2.5: want a whole number in int64's range (PyTorch would truncate it; minidl refuses)", func() { New([]float64{1, 2.5}).To(Int64) }},
		{"NaN", "element 0 is NaN", func() { New([]float64{math.NaN()}).To(Int64) }},
		{"Inf", "element 0 is -Inf", func() { New([]float64{math.Inf(-1)}).To(Int64) }},
		{"2⁶³", "element 0 is 9.223372036854776e+18", func() { New([]float64{1 << 63}).To(Int64) }},
		{"float32 fraction", "element 2 is 0.5", func() { NewFloat32([]float32{0, 1, 0.5}).To(Int64) }},
		{"CopyFrom", "CopyFrom: element 0 is 0.25", func() { ZerosOf(Int64, 1).CopyFrom(New([]float64{0.25})) }},
		{"Set", "Set: element 3 is 1.5", func() { ZerosOf(Int64, 2, 2).Set(1.5, 1, 1) }},
		{"to float32", "To: element 1 is 16777217: float32 cannot hold it exactly", func() { NewInt64([]int64{1, 1<<24 + 1}).To(Float32) }},
		{"to float64", "To: element 0 is 9007199254740993: float64 cannot hold it exactly", func() { NewInt64([]int64{1<<53 + 1}).To(Float64) }},
		{"max to float64", "element 0 is 9223372036854775807", func() { NewInt64([]int64{math.MaxInt64}).To(Float64) }},
		{"At", "At: element 2 is 9007199254740993", func() { NewInt64([]int64{0, 1, 1<<53 + 1}, 1, 3).At(0, 2) }},
		{"Item", "Item: element 0 is -9007199254740993", func() { NewInt64([]int64{-(1 << 53) - 1}, 1, 1).Item() }},
		{"AllClose", "Float64s: element 0 is 9007199254740993", func() { AllClose(NewInt64([]int64{1<<53 + 1}), Zeros(1), 0, 0) }},
		{"Float64s", "Float64s: element 1 is -9007199254740993", func() { NewInt64([]int64{0, -(1 << 53) - 1}).Float64s() }},
		{"NewInt64", "NewInt64: 3 values do not fill shape [2 2]", func() { NewInt64(make([]int64, 3), 2, 2) }},
	} {
		t.Run(tt.name, func(t *testing.T) { mustPanic(t, tt.want, tt.fn) })
	}
}

// TestInt64String checks that an int64 tensor prints its elements whole,
// every digit, as PyTorch prints a LongTensor.
func TestInt64String(t *testing.T) {
	for _, tt := range []struct {
		x    *Tensor
		want string
	}{
		{NewInt64([]int64{3, 10, -1}), "[ 3 10 -1] shape [3] dtype int64"},
		{NewInt64([]int64{1234567890123, 0}, 2, 1), "[[1234567890123]\n [            0]] shape [2 1] dtype int64"},
		{NewInt64([]int64{5}, []int{}...).Reshape(), "5 shape [] dtype int64"},
	} {
		if got := tt.x.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}
