package nn

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/tensor"
)

func newRNG() *rand.Rand { return rand.New(rand.NewPCG(1, 2)) }

func xorModel(rng *rand.Rand) *Sequential {
	return NewSequential(NewLinear(rng, 2, 8), Tanh(), NewLinear(rng, 8, 1), Sigmoid())
}

func TestSequentialNamesAndForward(t *testing.T) {
	m := xorModel(newRNG())
	var names []string
	for _, p := range m.Parameters() {
		names = append(names, p.Name)
	}
	if diff := cmp.Diff([]string{"0.weight", "0.bias", "2.weight", "2.bias"}, names); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	if got := m.Parameters(); len(got) != 4 || got[0].Var != m.Layers[0].(*Linear).Weight {
		t.Error("Parameters")
	}
	x := autograd.Const(tensor.New([]float64{0, 0, 0, 1, 1, 0, 1, 1}, 4, 2))
	out := m.Forward(x)
	l1, l2 := m.Layers[0].(*Linear), m.Layers[2].(*Linear)
	want := x.Value.MatMul(l1.Weight.Value.T()).Add(l1.Bias.Value).Tanh().MatMul(l2.Weight.Value.T()).Add(l2.Bias.Value).Sigmoid()
	if !tensor.AllClose(out.Value, want, 1e-15, 0) {
		t.Errorf("Forward = %v, want %v", out.Value, want)
	}
	if r := autograd.GradCheck(func(v ...*autograd.Var) *autograd.Var {
		l := &Linear{Weight: v[0], Bias: v[1]}
		return l.Forward(v[2]).Tanh()
	}, l1.Weight.Value, l1.Bias.Value, x.Value); r.MaxError > 1e-6 {
		t.Error(r)
	}
	s := m.String()
	for _, part := range []string{"(0): Linear(in_features=2, out_features=8, bias=True)", "(1): Tanh()", "(3): Sigmoid()"} {
		if !strings.Contains(s, part) {
			t.Errorf("String() lacks %q:\n%s", part, s)
		}
	}
	nested := NewSequential(m, ReLU())
	if p := nested.Parameters(); p[0].Name != "0.0.weight" {
		t.Errorf("nested name %q", p[0].Name)
	}
}

func TestLinearInit(t *testing.T) {
	rng := newRNG()
	l := NewLinear(rng, 400, 300)
	bound := 1 / math.Sqrt(400)
	for name, v := range map[string]*tensor.Tensor{"weight": l.Weight.Value, "bias": l.Bias.Value} {
		lo, hi := v.Min().Item(), v.Max().Item()
		if lo < -bound || hi > bound || lo > -0.95*bound || hi < 0.95*bound {
			t.Errorf("%s in [%v, %v], want to fill U(±%v)", name, lo, hi, bound)
		}
	}
	if got := l.Weight.Value.Shape(); !cmp.Equal(got, []int{300, 400}) {
		t.Errorf("weight shape %v, want out×in", got)
	}
	l.Bias = nil
	if len(l.Parameters()) != 1 || l.Forward(autograd.Const(tensor.Ones(2, 400))).Value.Dim(1) != 300 {
		t.Error("Linear without bias")
	}
	a, b := NewLinear(newRNG(), 3, 2), NewLinear(newRNG(), 3, 2)
	if !tensor.Equal(a.Weight.Value, b.Weight.Value) {
		t.Error("same seed, different weights")
	}
}

func TestInitializers(t *testing.T) {
	rng := newRNG()
	stats := func(t *tensor.Tensor) (mean, std, absMax float64) {
		mean = t.Mean().Item()
		std = math.Sqrt(t.Sub(tensor.Scalar(mean)).Square().Mean().Item())
		return mean, std, t.Abs().Max().Item()
	}
	const out, in = 200, 300
	tests := []struct {
		name    string
		init    Initializer
		std     float64 // expected standard deviation
		uniform bool
	}{
		{"XavierUniform", XavierUniform(2), 2 * math.Sqrt(2.0/(in+out)), true},
		{"XavierNormal", XavierNormal(1), math.Sqrt(2.0 / (in + out)), false},
		{"KaimingUniformRelu", KaimingUniform(Kaiming{Nonlinearity: "relu"}), math.Sqrt(2.0 / in), true},
		{"KaimingNormalFanOut", KaimingNormal(Kaiming{Mode: FanOut, Nonlinearity: "tanh"}), 5.0 / 3 / math.Sqrt(out), false},
		{"KaimingDefault", KaimingNormal(Kaiming{}), math.Sqrt(2/(1+0.0)) / math.Sqrt(in), false},
	}
	for _, tt := range tests {
		w := tensor.Zeros(out, in)
		tt.init(rng, w)
		mean, std, absMax := stats(w)
		if math.Abs(mean) > 0.05*tt.std || math.Abs(std-tt.std) > 0.02*tt.std {
			t.Errorf("%s: mean %v std %v, want 0 and %v", tt.name, mean, std, tt.std)
		}
		if tt.uniform && absMax > math.Sqrt(3)*tt.std {
			t.Errorf("%s: |w| reaches %v beyond the bound %v", tt.name, absMax, math.Sqrt(3)*tt.std)
		}
	}
	w := tensor.Ones(2, 2)
	Zeros()(rng, w)
	Constant(0.5)(rng, w.Slice(0, 0, 1))
	if w.Sum().Item() != 0 {
		t.Error("Zeros")
	}
	c := tensor.Zeros(3)
	Constant(0.5)(rng, c)
	if c.Sum().Item() != 1.5 {
		t.Error("Constant")
	}
	gains := map[string]float64{"linear": 1, "identity": 1, "sigmoid": 1, "tanh": 5.0 / 3, "relu": math.Sqrt2, "selu": 0.75}
	for nl, g := range gains {
		if CalculateGain(nl, 0) != g {
			t.Errorf("gain of %s", nl)
		}
	}
	if g := CalculateGain("leaky_relu", 0.01); math.Abs(g-math.Sqrt(2/1.0001)) > 1e-15 {
		t.Errorf("leaky_relu gain %v", g)
	}
	if in, out := Fans([]int{4, 3, 5, 5}); in != 75 || out != 100 {
		t.Errorf("Fans = %d, %d", in, out)
	}
	mustPanic(t, `CalculateGain: unknown nonlinearity "swish"`, func() { CalculateGain("swish", 0) })
	mustPanic(t, "Fans: shape [3]", func() { Fans([]int{3}) })
	mustPanic(t, "Kaiming: shape [0 3] has a zero fan", func() { KaimingUniform(Kaiming{Mode: FanOut})(rng, tensor.Zeros(0, 3)) })
}

func TestActivations(t *testing.T) {
	x := autograd.Const(tensor.New([]float64{-2, -0.5, 0, 1.5}, 2, 2))
	tests := []struct {
		layer *Func
		want  []float64
	}{
		{ReLU(), []float64{0, 0, 0, 1.5}},
		{LeakyReLU(0.1), []float64{-0.2, -0.05, 0, 1.5}},
		{Tanh(), []float64{math.Tanh(-2), math.Tanh(-0.5), 0, math.Tanh(1.5)}},
		{Sigmoid(), []float64{tensor.Sigmoid(-2), tensor.Sigmoid(-0.5), 0.5, tensor.Sigmoid(1.5)}},
		{GELU(), []float64{-2 * 0.5 * (1 + math.Erf(-2/math.Sqrt2)), -0.5 * 0.5 * (1 + math.Erf(-0.5/math.Sqrt2)), 0, 1.5 * 0.5 * (1 + math.Erf(1.5/math.Sqrt2))}},
		{Identity(), []float64{-2, -0.5, 0, 1.5}},
		{Softmax(1), x.Value.Softmax(1).Data()},
		{LogSoftmax(-1), x.Value.LogSoftmax(1).Data()},
		{Flatten(), []float64{-2, -0.5, 0, 1.5}},
	}
	for _, tt := range tests {
		got := tt.layer.Forward(x)
		if diff := cmp.Diff(tt.want, got.Value.Data()); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.layer, diff)
		}
		if tt.layer.Parameters() != nil {
			t.Errorf("%s has parameters", tt.layer)
		}
	}
	img := autograd.Const(tensor.Zeros(2, 3, 4))
	if got := Flatten().Forward(img).Value.Shape(); !cmp.Equal(got, []int{2, 12}) {
		t.Errorf("Flatten shape %v", got)
	}
	mustPanic(t, "Flatten: input is a scalar", func() { Flatten().Forward(autograd.Const(tensor.Scalar(1))) })
}

func TestDropout(t *testing.T) {
	d := NewDropout(newRNG(), 0.25)
	x := autograd.Param(tensor.Ones(100, 100))
	y := d.Forward(x)
	zeros := 0
	for _, v := range y.Value.Data() {
		switch v {
		case 0:
			zeros++
		case 1 / 0.75:
		default:
			t.Fatalf("dropout output %v is neither 0 nor 1/(1-p)", v)
		}
	}
	if frac := float64(zeros) / 10000; math.Abs(frac-0.25) > 0.02 {
		t.Errorf("dropped %v of the inputs, want about 0.25", frac)
	}
	y.Sum().Backward()
	if !tensor.Equal(x.Grad, y.Value) {
		t.Error("dropout gradient is not its mask")
	}
	m := NewSequential(d)
	if got := m.Forward(x.Eval()); !tensor.Equal(got.Value, x.Value) {
		t.Error("dropout in evaluation mode changed its input")
	}
	if got := m.Forward(autograd.NoGrad(x.Value)); got.Value != x.Value {
		t.Error("dropout on a NoGrad input changed it")
	}
	if got := m.Forward(autograd.NoGrad(x.Value).Train()); tensor.Equal(got.Value, x.Value) {
		t.Error("dropout on NoGrad(x).Train() did not drop")
	}
	if got := NewDropout(newRNG(), 1).Forward(x).Value.Sum().Item(); got != 0 {
		t.Errorf("p = 1 kept %v", got)
	}
	if NewDropout(newRNG(), 0).Forward(x) != x {
		t.Error("p = 0 changed its input")
	}
	if d.String() != "Dropout(p=0.25, inplace=False)" || d.Parameters() != nil {
		t.Error("Dropout String/Params")
	}
	mustPanic(t, "NewDropout: probability 1.5 outside [0, 1]", func() { NewDropout(newRNG(), 1.5) })
	mustPanic(t, "NewLinear: in 0 and out 2", func() { NewLinear(newRNG(), 0, 2) })
}

type customModel struct {
	Hidden, Out *Linear
}

func (m *customModel) Forward(x *autograd.Var) *autograd.Var {
	return m.Out.Forward(m.Hidden.Forward(x).ReLU())
}

func (m *customModel) Parameters() []Param { return JoinParameters("hidden", m.Hidden, "out", m.Out) }

func TestCustomModuleAndStateDict(t *testing.T) {
	m := &customModel{Hidden: NewLinear(newRNG(), 3, 4), Out: NewLinear(newRNG(), 4, 2)}
	s := StateOf(m)
	if diff := cmp.Diff([]string{"hidden.weight", "hidden.bias", "out.weight", "out.bias"}, s.Names()); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	snap := Snapshot(m)
	m.Hidden.Weight.Value.Fill(7)
	if w, _ := snap.Get("hidden.weight"); w.At(0, 0) == 7 {
		t.Error("Snapshot shares data with the model")
	}
	if w, _ := s.Get("hidden.weight"); w.At(0, 0) != 7 {
		t.Error("StateOf does not share data with the model")
	}
	if err := LoadState(m, snap); err != nil {
		t.Fatal(err)
	}
	if w, _ := snap.Get("hidden.weight"); !tensor.Equal(m.Hidden.Weight.Value, w) {
		t.Error("LoadState did not restore the weights")
	}
	if s.Len() != 4 {
		t.Errorf("Len %d", s.Len())
	}
	odd := []any{"a"}
	mustPanic(t, "JoinParameters: want alternating", func() { JoinParameters(odd...) })
	mustPanic(t, "JoinParameters: argument 0: want a name and a Module, got int", func() { JoinParameters(1, m) })
}

func TestLoadStateErrors(t *testing.T) {
	m := xorModel(newRNG())
	before := Snapshot(m)
	bad := Snapshot(m)
	bad.Set("0.weight", tensor.Zeros(8, 3))
	bad.Set("9.weight", tensor.Zeros(1))
	partial := NewStateDict()
	w, _ := before.Get("0.weight")
	partial.Set("0.weight", tensor.Full(0.5, w.Shape()...))

	err := LoadState(m, bad)
	var se *StateDictError
	if !errors.As(err, &se) || !cmp.Equal(se.Unexpected, []string{"9.weight"}) || len(se.Mismatched) != 1 ||
		!strings.Contains(err.Error(), "0.weight: checkpoint [8 3], model [8 2]") {
		t.Errorf("LoadState error %v", err)
	}
	err = LoadState(m, partial)
	if !errors.As(err, &se) || !cmp.Equal(se.Missing, []string{"0.bias", "2.weight", "2.bias"}) || !strings.Contains(err.Error(), "missing 0.bias, 2.weight, 2.bias") {
		t.Errorf("LoadState error %v", err)
	}
	for _, name := range before.Names() {
		a, _ := before.Get(name)
		b, _ := StateOf(m).Get(name)
		if !tensor.Equal(a, b) {
			t.Fatalf("a failed load changed %s", name)
		}
	}
	missing, unexpected, err := LoadStateNonStrict(m, partial)
	if err != nil || len(missing) != 3 || len(unexpected) != 0 {
		t.Errorf("LoadStateNonStrict: %v %v %v", missing, unexpected, err)
	}
	if m.Layers[0].(*Linear).Weight.Value.At(0, 0) != 0.5 {
		t.Error("LoadStateNonStrict did not load the entry present")
	}
	if _, _, err := LoadStateNonStrict(m, bad); err == nil {
		t.Error("LoadStateNonStrict accepted a shape mismatch")
	}
}

// handBuiltFile is a safetensors file assembled byte by byte from the
// format's description: an F64 tensor "a" of shape [2] and an F32 tensor
// "b" of shape [1 1], with metadata.
func handBuiltFile() []byte {
	header := `{"__metadata__":{"format":"pt"},"a":{"dtype":"F64","shape":[2],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[1,1],"data_offsets":[16,20]}}`
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, uint64(len(header)))
	b.WriteString(header)
	binary.Write(&b, binary.LittleEndian, 1.5)
	binary.Write(&b, binary.LittleEndian, -2.0)
	binary.Write(&b, binary.LittleEndian, float32(0.25))
	return b.Bytes()
}

func TestReadSafetensorsHandBuilt(t *testing.T) {
	s, meta, err := ReadSafetensors(handBuiltFile())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"format": "pt"}, meta); diff != "" {
		t.Errorf("metadata (-want +got):\n%s", diff)
	}
	a, _ := s.Get("a")
	b, _ := s.Get("b")
	if !tensor.Equal(a, tensor.New([]float64{1.5, -2})) || !tensor.Equal(b, tensor.New([]float64{0.25}, 1, 1)) || !cmp.Equal(s.Names(), []string{"a", "b"}) {
		t.Errorf("read a=%v b=%v names %v", a, b, s.Names())
	}
}

// TestReadSafetensorsDtypes builds one tensor of each dtype by hand.
func TestReadSafetensorsDtypes(t *testing.T) {
	le := binary.LittleEndian
	tests := []struct {
		dtype string
		data  []byte
		want  []float64
	}{
		{"F16", le.AppendUint16(le.AppendUint16(le.AppendUint16(le.AppendUint16(nil, 0x3c00), 0xc000), 0x0001), 0x7c00), []float64{1, -2, math.Ldexp(1, -24), math.Inf(1)}},
		{"BF16", le.AppendUint16(le.AppendUint16(nil, 0x3f80), 0xc040), []float64{1, -3}},
		{"I64", le.AppendUint64(le.AppendUint64(nil, 7), uint64(1<<64-2)), []float64{7, -2}},
		{"I32", le.AppendUint32(nil, uint32(1<<32-5)), []float64{-5}},
		{"I16", le.AppendUint16(nil, 300), []float64{300}},
		{"I8", []byte{0xff, 3}, []float64{-1, 3}},
		{"U8", []byte{0xff, 3}, []float64{255, 3}},
		{"BOOL", []byte{0, 1, 2}, []float64{0, 1, 1}},
	}
	for _, tt := range tests {
		header := fmt.Sprintf(`{"x":{"dtype":%q,"shape":[%d],"data_offsets":[0,%d]}}`, tt.dtype, len(tt.want), len(tt.data))
		var b bytes.Buffer
		binary.Write(&b, binary.LittleEndian, uint64(len(header)))
		b.WriteString(header)
		b.Write(tt.data)
		s, _, err := ReadSafetensors(b.Bytes())
		if err != nil {
			t.Errorf("%s: %v", tt.dtype, err)
			continue
		}
		x, _ := s.Get("x")
		if diff := cmp.Diff(tt.want, x.Data()); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.dtype, diff)
		}
	}
	if got := halfToFloat(0xfc01); !math.IsNaN(got) {
		t.Errorf("half NaN decoded as %v", got)
	}
	if got := halfToFloat(0x8000); got != 0 || !math.Signbit(got) {
		t.Errorf("half -0 decoded as %v", got)
	}
}

func TestWriteSafetensorsBytes(t *testing.T) {
	s := NewStateDict()
	s.Set("w", tensor.New([]float64{1, 2}, 1, 2))
	s.Set("s", tensor.Scalar(3))
	var got bytes.Buffer
	if err := WriteSafetensors(&got, s, map[string]string{"epoch": "3"}); err != nil {
		t.Fatal(err)
	}
	header := `{"__metadata__":{"epoch":"3"},"w":{"data_offsets":[0,16],"dtype":"F64","shape":[1,2]},"s":{"data_offsets":[16,24],"dtype":"F64","shape":[]}}`
	for len(header)%8 != 0 {
		header += " "
	}
	var want bytes.Buffer
	binary.Write(&want, binary.LittleEndian, uint64(len(header)))
	want.WriteString(header)
	for _, v := range []float64{1, 2, 3} {
		binary.Write(&want, binary.LittleEndian, v)
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Errorf("bytes differ:\n got %q\nwant %q", got.Bytes(), want.Bytes())
	}
	back, meta, err := ReadSafetensors(got.Bytes())
	if err != nil || meta["epoch"] != "3" {
		t.Fatal(err, meta)
	}
	for _, name := range s.Names() {
		a, _ := s.Get(name)
		b, _ := back.Get(name)
		if !tensor.Equal(a, b) {
			t.Errorf("%s: wrote %v, read %v", name, a, b)
		}
	}
	bad := NewStateDict()
	bad.Set("__metadata__", tensor.Scalar(1))
	if err := WriteSafetensors(io.Discard, bad, nil); err == nil {
		t.Error("wrote a tensor named __metadata__")
	}
}

func TestReadSafetensorsErrors(t *testing.T) {
	file := func(header string, data int) []byte {
		var b bytes.Buffer
		binary.Write(&b, binary.LittleEndian, uint64(len(header)))
		b.WriteString(header)
		b.Write(make([]byte, data))
		return b.Bytes()
	}
	huge := make([]byte, 8)
	binary.LittleEndian.PutUint64(huge, 1<<62)
	tests := []struct {
		name string
		b    []byte
		want string
	}{
		{"short", []byte{1, 2, 3}, "shorter than the 8-byte header length"},
		{"huge header", huge, "exceeds the limit"},
		{"header past end", append([]byte{100, 0, 0, 0, 0, 0, 0, 0}, '{', '}'), "header length 100 exceeds the 2 bytes"},
		{"not object", file(`[1]`, 0), "not a JSON object"},
		{"bad json", file(`{"a":`, 0), "not valid JSON"},
		{"trailing", file(`{}{}`, 0), "data after its JSON object"},
		{"duplicate", file(`{"a":{"dtype":"F64","shape":[],"data_offsets":[0,8]},"a":{"dtype":"F64","shape":[],"data_offsets":[0,8]}}`, 8), `tensor "a": appears twice`},
		{"unknown field", file(`{"a":{"dtype":"F64","shape":[],"data_offsets":[0,8],"x":1}}`, 8), `tensor "a": entry is not`},
		{"missing field", file(`{"a":{"dtype":"F64","shape":[]}}`, 8), `tensor "a": entry lacks`},
		{"dtype", file(`{"a":{"dtype":"C64","shape":[],"data_offsets":[0,8]}}`, 8), `dtype "C64" is not supported`},
		{"offsets order", file(`{"a":{"dtype":"F64","shape":[],"data_offsets":[8,0]}}`, 8), "want [begin, end]"},
		{"negative dim", file(`{"a":{"dtype":"F64","shape":[-1],"data_offsets":[0,8]}}`, 8), "negative dimension"},
		{"absurd shape", file(`{"a":{"dtype":"F64","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,8]}}`, 8), "shape [4294967296 4294967296 4294967296] is too large"},
		{"size mismatch", file(`{"a":{"dtype":"F64","shape":[2],"data_offsets":[0,8]}}`, 8), "needs 16 bytes, data_offsets [0 8] give 8"},
		{"overlap", file(`{"a":{"dtype":"F64","shape":[2],"data_offsets":[0,16]},"b":{"dtype":"F64","shape":[],"data_offsets":[8,16]}}`, 16), `tensor "b": data_offsets [8 16] overlap tensor "a"`},
		{"gap", file(`{"a":{"dtype":"F64","shape":[],"data_offsets":[8,16]}}`, 16), "leave a gap of 8 bytes"},
		{"beyond data", file(`{"a":{"dtype":"F64","shape":[],"data_offsets":[0,8]}}`, 4), "cover 8 bytes of data but the file holds 4"},
		{"trailing data", file(`{"a":{"dtype":"F64","shape":[],"data_offsets":[0,8]}}`, 12), "cover 8 bytes of data but the file holds 12"},
		{"metadata type", file(`{"__metadata__":{"a":1}}`, 0), "metadata is not an object of strings"},
		{"key not string", file(`{1:2}`, 0), "not valid JSON"},
	}
	for _, tt := range tests {
		_, _, err := ReadSafetensors(tt.b)
		var fe *FormatError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want a *FormatError containing %q", tt.name, err, tt.want)
		}
	}
}

func TestSaveLoadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.safetensors")
	m := xorModel(newRNG())
	if err := Save(path, m, map[string]string{"note": "xor"}); err != nil {
		t.Fatal(err)
	}
	other := xorModel(rand.New(rand.NewPCG(9, 9)))
	if err := Load(path, other); err != nil {
		t.Fatal(err)
	}
	for i, p := range other.Parameters() {
		if !tensor.Equal(p.Var.Value, m.Parameters()[i].Var.Value) {
			t.Errorf("%s differs after a round trip", p.Name)
		}
	}
	_, meta, err := LoadFile(path)
	if err != nil || meta["note"] != "xor" {
		t.Errorf("metadata %v, %v", meta, err)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o644 {
		t.Errorf("mode %v", info.Mode())
	}
	// A load into a model of another shape names the tensors.
	wide := NewSequential(NewLinear(newRNG(), 2, 16), Tanh(), NewLinear(newRNG(), 16, 1), Sigmoid())
	if err := Load(path, wide); err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "0.weight: checkpoint [8 2], model [16 2]") {
		t.Errorf("load into a wider model: %v", err)
	}
	// A corrupt file names itself.
	bad := filepath.Join(dir, "bad.safetensors")
	os.WriteFile(bad, []byte{1, 2}, 0o644)
	if _, _, err := LoadFile(bad); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("corrupt file error %v", err)
	}
	if err := Load(filepath.Join(dir, "none"), m); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file error %v", err)
	}
	if err := Save(filepath.Join(dir, "no", "such", "dir", "m.safetensors"), m, nil); err == nil {
		t.Error("saved into a folder that does not exist")
	}
}

// TestAtomicWrite checks that a write failing halfway leaves the previous
// file whole and no temporary file behind.
func TestAtomicWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ckpt.safetensors")
	if err := os.WriteFile(path, []byte("previous"), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk full")
	err := writeFileAtomic(path, func(w io.Writer) error {
		w.Write([]byte("half a chec"))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("error %v, want the write's", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "previous" {
		t.Errorf("previous file now holds %q", b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
}

func FuzzReadSafetensors(f *testing.F) {
	f.Add(handBuiltFile())
	var b bytes.Buffer
	s := NewStateDict()
	s.Set("x", tensor.New([]float64{1, 2, 3}, 3, 1))
	WriteSafetensors(&b, s, map[string]string{"k": "v"})
	f.Add(b.Bytes())
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		s, _, err := ReadSafetensors(data)
		if err != nil {
			if s != nil {
				t.Error("error with a result")
			}
			// Quoted names and excerpts are bounded, whatever the file.
			if len(err.Error()) > 1500 {
				t.Errorf("an error of %d bytes: %.200s…", len(err.Error()), err)
			}
			return
		}
		// Whatever reads must write and read back to the same tensors.
		var out bytes.Buffer
		if err := WriteSafetensors(&out, s, nil); err != nil {
			t.Fatal(err)
		}
		back, _, err := ReadSafetensors(out.Bytes())
		if err != nil {
			t.Fatalf("re-reading a written file: %v", err)
		}
		for _, name := range s.Names() {
			a, _ := s.Get(name)
			c, _ := back.Get(name)
			if !a.SameShape(c) {
				t.Fatalf("%s changed shape", name)
			}
		}
	})
}

// TestErrorKinds checks that nn's errors match their kinds with errors.Is
// and their types with errors.As.
func TestErrorKinds(t *testing.T) {
	catch := func(f func()) (err error) {
		defer func() { err, _ = recover().(error) }()
		f()
		return nil
	}
	rng := rand.New(rand.NewPCG(1, 2))
	shape := catch(func() { MSE(autograd.Const(tensor.Ones(2)), autograd.Const(tensor.Ones(3))) })
	label := catch(func() { CrossEntropy(autograd.Const(tensor.Ones(1, 2)), autograd.Const(tensor.New([]float64{7}))) })
	arg := catch(func() { NewDropout(rng, 2) })
	var ne *Error
	if !errors.As(shape, &ne) || !errors.Is(shape, tensor.ErrShape) || !errors.Is(label, tensor.ErrIndex) || !errors.Is(arg, tensor.ErrArgument) {
		t.Errorf("panics: %v; %v; %v", shape, label, arg)
	}
	_, _, err := ReadSafetensors([]byte{1, 2, 3})
	var fe *FormatError
	if !errors.As(err, &fe) || !errors.Is(err, ErrFormat) || errors.Is(err, ErrState) {
		t.Errorf("a short file: %v", err)
	}
	err = LoadState(NewSequential(NewLinear(rng, 2, 1)), NewStateDict())
	var se *StateDictError
	if !errors.As(err, &se) || !errors.Is(err, ErrState) || errors.Is(err, ErrFormat) {
		t.Errorf("an empty state: %v", err)
	}
	if _, _, err := LoadFile(filepath.Join(t.TempDir(), "none")); !errors.Is(err, os.ErrNotExist) || errors.Is(err, ErrFormat) {
		t.Errorf("a missing file: %v", err)
	}
}

// TestHeaderDecodedOnce: a header of many entries is decoded by one JSON
// decoder, not one per entry (which cost 27 allocations and 2 KB an entry).
func TestHeaderDecodedOnce(t *testing.T) {
	const n = 20000
	s := NewStateDict()
	for i := range n {
		s.Set(fmt.Sprintf("layer.%d.weight", i), tensor.Zeros(1))
	}
	var buf bytes.Buffer
	if err := WriteSafetensors(&buf, s, map[string]string{"epoch": "3"}); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	allocs := testing.AllocsPerRun(1, func() {
		if _, _, err := ReadSafetensors(buf.Bytes()); err != nil {
			t.Fatal(err)
		}
	})
	runtime.ReadMemStats(&after)
	perEntry := float64(after.TotalAlloc-before.TotalAlloc) / 2 / n // AllocsPerRun runs twice
	if allocs/n > 20 || perEntry > 1400 {
		t.Errorf("%.1f allocations and %.0f bytes per header entry", allocs/n, perEntry)
	}
}

// FuzzLoadState loads arbitrary safetensors files into a model: LoadState
// never panics, refuses with a *StateDictError and leaves the model as it
// was, or loads a state that fits it exactly.
func FuzzLoadState(f *testing.F) {
	model := func() *Sequential {
		return NewSequential(NewLinear(rand.New(rand.NewPCG(1, 2)), 3, 2), ReLU(), NewLinear(rand.New(rand.NewPCG(3, 4)), 2, 1))
	}
	var b bytes.Buffer
	WriteSafetensors(&b, StateOf(model()), nil)
	f.Add(bytes.Clone(b.Bytes()))
	s := StateOf(model()).Clone()
	s.Set("extra", tensor.Zeros(2))
	b.Reset()
	WriteSafetensors(&b, s, map[string]string{"epoch": "3"})
	f.Add(bytes.Clone(b.Bytes()))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, _, err := ReadSafetensors(data)
		if err != nil {
			return
		}
		m := model()
		before := Snapshot(m)
		if err := LoadState(m, s); err != nil {
			if !errors.Is(err, ErrState) {
				t.Fatalf("LoadState error %v is not of kind ErrState", err)
			}
			for _, name := range before.Names() {
				w, _ := before.Get(name)
				got, _ := StateOf(m).Get(name)
				if !slices.Equal(w.Data(), got.Data()) {
					t.Fatalf("a refused state changed %s", name)
				}
			}
			return
		}
		if StateOf(m).Len() != s.Len() {
			t.Fatalf("loaded %d tensors into a model of %d", s.Len(), StateOf(m).Len())
		}
	})
}

// TestStateDictErrorBounded: a checkpoint with thousands of unexpected
// names gives an error of a few lines, naming the first and counting the
// rest.
func TestStateDictErrorBounded(t *testing.T) {
	m := NewSequential(NewLinear(rand.New(rand.NewPCG(1, 2)), 2, 1))
	s := StateOf(m).Clone()
	for i := range 5000 {
		s.Set(fmt.Sprintf("extra.%d.%s", i, strings.Repeat("x", 200)), tensor.Zeros(1))
	}
	err := LoadState(m, s)
	if err == nil || len(err.Error()) > 2000 || !strings.Contains(err.Error(), "and 4997 more") {
		t.Errorf("error of %d bytes: %.200s", len(err.Error()), err)
	}
}

func TestPyFloat(t *testing.T) {
	for _, tt := range []struct {
		f    float64
		want string
	}{
		{1, "1.0"}, {0, "0.0"}, {0.1, "0.1"}, {1e-5, "1e-05"}, {1e-4, "0.0001"}, {0.00012, "0.00012"},
		{123456789, "123456789.0"}, {1e16, "1e+16"}, {1.5e300, "1.5e+300"}, {-2.5, "-2.5"}, {1.0 / 3, "0.3333333333333333"},
	} {
		if got := pyFloat(tt.f); got != tt.want {
			t.Errorf("pyFloat(%v) = %q, Python's repr %q", tt.f, got, tt.want)
		}
	}
}
