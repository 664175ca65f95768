package optim

import (
	"math"
	"testing"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/tensor"
)

// float32Grad is testdata/torch_optim32.py's gradient k of n elements:
// ((7j + 3k) mod 11 − 5) / 4, whole quarters, exact in float32.
func float32Grad(k, n, offset int, shape ...int) *tensor.Tensor {
	g := make([]float32, n)
	for j := range g {
		g[j] = float32((7*(j+offset)+3*k)%11-5) / 4
	}
	return tensor.NewFloat32(g, shape...)
}

func float32Params() (w, b *autograd.Var) {
	return autograd.Param(tensor.NewFloat32([]float32{0.1, -0.2, 0.3, -0.4, 0.5, -0.6}, 2, 3)),
		autograd.Param(tensor.NewFloat32([]float32{0.05, -0.05}, 2))
}

// TestFloat32PyTorchParity runs five steps of each optimizer of
// TestPyTorchParity on float32 parameters with fixed float32 gradients and
// compares them with PyTorch's float32 optimizers
// (testdata/torch_optim32.py). The state stays float32, as PyTorch's.
func TestFloat32PyTorchParity(t *testing.T) {
	makers := parityMakers()
	want := []struct {
		name string
		vals []float32
	}{
		{"SGD", []float32{0.25, -0.375, 0.3500000238418579, -0.40000003576278687, 0.44999998807907104, -0.42500001192092896, -0.10000000149011612, 0.02500000409781933}},
		{"SGDMomentum", []float32{0.6213083267211914, -0.6723198294639587, 0.37295106053352356, -0.6891770958900452, 0.32444536685943604, -0.21074366569519043, -0.18685877323150635, 0.08647621423006058}},
		{"SGDNesterov", []float32{0.7234787344932556, -0.8307419419288635, 0.40650200843811035, -0.6443161964416504, 0.29000023007392883, -0.07275580614805222, -0.2960740029811859, 0.16074252128601074}},
		{"SGDMomentumPlain", []float32{0.5254800319671631, -0.5768799781799316, 0.3778400421142578, -0.6510800719261169, 0.3710000216960907, -0.27428001165390015, -0.17319999635219574, 0.06887999176979065}},
		{"Adam", []float32{0.1279250830411911, -0.22961212694644928, 0.3106194734573364, -0.4161633253097534, 0.4798496961593628, -0.5750972628593445, 0.03732679411768913, -0.038733355700969696}},
		{"AdamPlain", []float32{0.1534564346075058, -0.25826725363731384, 0.32086890935897827, -0.430761456489563, 0.4612533450126648, -0.5515000820159912, 0.025096293538808823, -0.04654596373438835}},
		{"AdamAMSGrad", []float32{0.22834622859954834, -0.3420471251010895, 0.35065120458602905, -0.47269806265830994, 0.4066879451274872, -0.4824048578739166, -0.011593421921133995, -0.03927484154701233}},
		{"AdamW", []float32{0.12738476693630219, -0.2286091148853302, 0.30927595496177673, -0.41428738832473755, 0.4776325523853302, -0.5724397897720337, 0.037132732570171356, -0.04849081486463547}},
		{"RMSprop", []float32{0.21069371700286865, -0.38830360770225525, 0.3500174880027771, -0.43336671590805054, 0.3572480380535126, -0.4650777578353882, -0.05892481282353401, -0.047688595950603485}},
		{"RMSpropCentered", []float32{0.16534428298473358, -0.31255245208740234, 0.32357311248779297, -0.43594351410865784, 0.4096248745918274, -0.5264284014701843, -0.0013872432755306363, 0.011603808961808681}},
		{"Adagrad", []float32{0.2067861407995224, -0.36796900629997253, 0.3400023281574249, -0.4320847988128662, 0.3970281779766083, -0.47249636054039, -0.051917169243097305, -0.04305857792496681}},
	}
	for _, tt := range want {
		w, b := float32Params()
		opt := makers[tt.name](nn.ParametersOf(w, b))
		for k := range 5 {
			w.Grad, b.Grad = float32Grad(k, 6, 0, 2, 3), float32Grad(k, 2, 6, 2)
			opt.Step()
		}
		if w.Value.DType() != tensor.Float32 || b.Value.DType() != tensor.Float32 {
			t.Fatalf("%s: parameters became %v and %v", tt.name, w.Value.DType(), b.Value.DType())
		}
		got := append(w.Value.Float32s(), b.Value.Float32s()...)
		worst := 0.0
		for i := range got {
			worst = max(worst, math.Abs(float64(got[i]-tt.vals[i]))/math.Abs(float64(tt.vals[i])))
		}
		t.Logf("%s: largest relative difference from PyTorch float32 %.3g", tt.name, worst)
		// A few float32 ulps; centered RMSprop takes the root of s − ḡ², whose
		// cancellation multiplies an ulp of difference (PyTorch's kernels may
		// fuse a multiply-add where Go rounds twice) by up to ten.
		tol := 1e-6
		if tt.name == "RMSpropCentered" {
			tol = 1e-5
		}
		if worst > tol {
			t.Errorf("%s: parameters differ from PyTorch's by %.3g relative\n got %v\nwant %v", tt.name, worst, got, tt.vals)
		}
		for _, name := range opt.State().Names() {
			if s, _ := opt.State().Get(name); s.Size() == 6 && s.DType() != tensor.Float32 {
				t.Errorf("%s: state %s is %v, want float32 as its parameter", tt.name, name, s.DType())
			}
		}
	}
}

// TestFloat32StateRoundTrip: a float32 optimizer's state loads into a new
// optimizer, which then takes the same step.
func TestFloat32StateRoundTrip(t *testing.T) {
	w, b := float32Params()
	opt := NewAdam(nn.ParametersOf(w, b), AdamConfig{LR: 0.01})
	for k := range 3 {
		w.Grad, b.Grad = float32Grad(k, 6, 0, 2, 3), float32Grad(k, 2, 6, 2)
		opt.Step()
	}
	w2, b2 := autograd.Param(w.Value.Clone()), autograd.Param(b.Value.Clone())
	opt2 := NewAdam(nn.ParametersOf(w2, b2), AdamConfig{LR: 0.01})
	if err := opt2.LoadState(opt.State()); err != nil {
		t.Fatal(err)
	}
	w.Grad, b.Grad = float32Grad(3, 6, 0, 2, 3), float32Grad(3, 2, 6, 2)
	w2.Grad, b2.Grad = w.Grad.Clone(), b.Grad.Clone()
	opt.Step()
	opt2.Step()
	if !tensor.Equal(w.Value, w2.Value) || !tensor.Equal(b.Value, b2.Value) {
		t.Errorf("after loading the state: %v %v, want %v %v", w2.Value, b2.Value, w.Value, b.Value)
	}
}

// TestFloat32Clipping: clipping float32 gradients gives PyTorch's float32
// results (testdata/torch_optim32.py), the norm accumulated in float64.
func TestFloat32Clipping(t *testing.T) {
	w, b := float32Params()
	w.Grad, b.Grad = float32Grad(1, 6, 0, 2, 3), float32Grad(1, 2, 6, 2)
	norm := ClipGradNorm(nn.ParametersOf(w, b), 1.5)
	want := []float32{-0.33541005849838257, 0.8385251760482788, 0.16770502924919128, -0.5031150579452515, 0.6708201169967651, 0.0, -0.6708201169967651, 0.5031150579452515}
	got := append(w.Grad.Float32s(), b.Grad.Float32s()...)
	if math.Abs(norm-2.2360680103302) > 1e-6 {
		t.Errorf("norm %v, want PyTorch's 2.2360680103302", norm)
	}
	for i := range got {
		if math.Abs(float64(got[i]-want[i])) > 1e-6*math.Abs(float64(want[i])) {
			t.Errorf("clipped gradients %v, want %v", got, want)
			break
		}
	}
	ClipGradValue(nn.ParametersOf(w, b), 0.5)
	for _, g := range append(w.Grad.Float32s(), b.Grad.Float32s()...) {
		if g > 0.5 || g < -0.5 {
			t.Errorf("ClipGradValue left %v beyond 0.5", g)
		}
	}
}
