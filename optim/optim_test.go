package optim

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/tensor"
)

// The fixed least-squares problem of testdata/torch_optim.py.
var (
	problemX = tensor.New([]float64{0.5, -1.0, 2.0, 1.5, 0.25, -0.5, -1.0, 2.0, 0.75, 0.1, 0.2, 0.3}, 4, 3)
	problemY = tensor.New([]float64{1.0, -2.0, 0.5, 0.0, -1.5, 2.5, 0.3, 0.7}, 4, 2)
)

func problemParams() (w, b *autograd.Var) {
	return autograd.Param(tensor.New([]float64{0.1, -0.2, 0.3, -0.4, 0.5, -0.6}, 2, 3)),
		autograd.Param(tensor.New([]float64{0.05, -0.05}))
}

func problemStep(opt Optimizer, w, b *autograd.Var) {
	opt.ZeroGrad()
	x := autograd.Const(problemX)
	nn.MSE(x.MatMulT(w).Add(b), autograd.Const(problemY)).Backward()
	opt.Step()
}

// TestPyTorchParity runs five steps of each optimizer and compares the
// parameters with those PyTorch 1.13 reached (testdata/torch_optim.py).
func TestPyTorchParity(t *testing.T) {
	makers := parityMakers()
	want := []struct {
		name string
		vals []float64
	}{
		{"SGD", []float64{0.2946832840710228, -0.42010031930434794, 0.2102026888535668, -0.5021472940868437, 0.8113122084443459, -0.5025531157459112, 0.01799493540286294, 0.18887712683471414}},
		{"SGDMomentum", []float64{0.5536021345204759, -0.7062375960064808, 0.08733556141469644, -0.6298774030913444, 1.2163509331681879, -0.3767114423022086, -0.018255450811435283, 0.5031297421904465}},
		{"SGDNesterov", []float64{0.5679365980687848, -0.695752089807927, 0.07634873344901408, -0.6170046897279533, 1.2108954039919673, -0.42288937615079414, 0.014336839231265877, 0.5069686873208372}},
		{"SGDMomentumPlain", []float64{0.4798888474288325, -0.6270403079349287, 0.12484390722734771, -0.597265140109181, 1.1048609533738358, -0.4137796832906621, -0.009836808384075664, 0.414087222609674}},
		{"Adam", []float64{0.14987857423262985, -0.24982574358770135, 0.25053311873361767, -0.44976048963851906, 0.5498819623342204, -0.5503612901138523, 0.0014564401727883772, -0.00013385735706376162}},
		{"AdamPlain", []float64{0.19921457538145862, -0.2988554252367879, 0.2041376929283127, -0.498392796186165, 0.5992451982233694, -0.5027010579160014, -0.03607719077797222, 0.04913174970633531}},
		{"AdamAMSGrad", []float64{0.3436054441173554, -0.44047575112403803, 0.10957623829558813, -0.6312419085738006, 0.7444793172565185, -0.391392348717317, -0.02765996369600093, 0.19341991906808412}},
		{"AdamW", []float64{0.14928317695600907, -0.24873330444644726, 0.2491583289877314, -0.4476844001409744, 0.5472947240551357, -0.5474948482243824, 0.0013288079109147893, 1.3567925036555087e-05}},
		{"RMSprop", []float64{0.3580351267749348, -0.4538521051175947, 0.12698236408096572, -0.6126735210062914, 0.7705404158776327, -0.4519697301346581, 0.04383479825188648, 0.21753509953490788}},
		{"RMSpropCentered", []float64{0.28704565629022827, -0.3823496150950389, 0.15495398706250635, -0.5725625526231773, 0.6885500864586104, -0.44354713838123666, -0.01823029533285483, 0.13679126881365725}},
		{"Adagrad", []float64{0.3347793287525885, -0.4352757944644202, 0.1558813434823256, -0.573501414875864, 0.7596566620511916, -0.4583266167458292, 0.014387055586795098, 0.19872862216144302}},
	}
	for _, tt := range want {
		w, b := problemParams()
		opt := makers[tt.name](nn.ParametersOf(w, b))
		for range 5 {
			problemStep(opt, w, b)
		}
		got := append(w.Value.Clone().Data(), b.Value.Data()...)
		worst := 0.0
		for i := range got {
			worst = max(worst, math.Abs(got[i]-tt.vals[i])/math.Abs(tt.vals[i]))
		}
		t.Logf("%s: largest relative difference from PyTorch %.3g", tt.name, worst)
		if worst > 1e-12 {
			t.Errorf("%s: parameters differ from PyTorch's by %.3g relative\n got %v\nwant %v", tt.name, worst, got, tt.vals)
		}
	}
}

// parityMakers are the optimizers, with their settings, that the parity
// tests compare with testdata/torch_optim.py and torch_optim32.py.
func parityMakers() map[string]func(ps []nn.Param) Optimizer {
	return map[string]func(ps []nn.Param) Optimizer{
		"SGD": func(ps []nn.Param) Optimizer { return NewSGD(ps, SGDConfig{LR: 0.1}) },
		"SGDMomentum": func(ps []nn.Param) Optimizer {
			return NewSGD(ps, SGDConfig{LR: 0.1, Momentum: 0.9, Dampening: 0.1, WeightDecay: 0.01})
		},
		"SGDMomentumPlain": func(ps []nn.Param) Optimizer {
			return NewSGD(ps, SGDConfig{LR: 0.1, Momentum: 0.8, Dampening: 0.2})
		},
		"SGDNesterov": func(ps []nn.Param) Optimizer {
			return NewSGD(ps, SGDConfig{LR: 0.1, Momentum: 0.9, Nesterov: true})
		},
		"AdamPlain": func(ps []nn.Param) Optimizer {
			return NewAdam(ps, AdamConfig{LR: 0.02, Beta1: 0.85, Beta2: 0.995, Eps: 1e-6})
		},
		"Adam": func(ps []nn.Param) Optimizer { return NewAdam(ps, AdamConfig{LR: 0.01, WeightDecay: 0.01}) },
		"AdamAMSGrad": func(ps []nn.Param) Optimizer {
			return NewAdam(ps, AdamConfig{LR: 0.05, Beta1: 0.8, Beta2: 0.9, AMSGrad: true})
		},
		"AdamW":   func(ps []nn.Param) Optimizer { return NewAdamW(ps, AdamWConfig{LR: 0.01, WeightDecay: new(0.1)}) },
		"RMSprop": func(ps []nn.Param) Optimizer { return NewRMSprop(ps, RMSpropConfig{LR: 0.01}) },
		"RMSpropCentered": func(ps []nn.Param) Optimizer {
			return NewRMSprop(ps, RMSpropConfig{LR: 0.01, Alpha: 0.9, Momentum: 0.5, Centered: true, WeightDecay: 0.01})
		},
		"Adagrad": func(ps []nn.Param) Optimizer {
			return NewAdagrad(ps, AdagradConfig{LR: 0.1, LRDecay: 0.01, WeightDecay: 0.01, InitialAccumulator: 0.1})
		},
	}
}

// TestChainedSchedules runs schedules and plateau rules together on one
// optimizer and compares the rates with PyTorch's
// (testdata/torch_schedules.py): a reduction stays, and schedules multiply.
func TestChainedSchedules(t *testing.T) {
	vals := []float64{1, 0.9, 0.95, 0.97, 0.8, 0.85, 0.86, 0.87, 0.7, 0.71, 0.72, 0.73}
	tests := []struct {
		name    string
		make    func(o Optimizer) (*Plateau, []*Schedule)
		epochs  int
		pytorch []float64
	}{
		{"step+plateau", func(o Optimizer) (*Plateau, []*Schedule) {
			return NewPlateau(o, PlateauConfig{Patience: new(1), Threshold: new(0.0), ThresholdMode: Abs}), []*Schedule{NewStepLR(o, 3, 0.5)}
		}, 12, []float64{0.1, 0.1, 0.1, 0.05, 0.005000000000000001, 0.005000000000000001, 0.0025000000000000005, 0.00025000000000000006, 0.00025000000000000006, 0.00012500000000000003, 0.00012500000000000003, 1.2500000000000004e-05, 6.250000000000002e-06}},
		{"step+exponential", func(o Optimizer) (*Plateau, []*Schedule) {
			return nil, []*Schedule{NewStepLR(o, 2, 0.5), NewExponentialLR(o, 0.9)}
		}, 8, []float64{0.1, 0.09000000000000001, 0.04050000000000001, 0.03645000000000001, 0.016402500000000004, 0.014762250000000005, 0.0066430125000000026, 0.005978711250000003, 0.0026904200625000015}},
		{"multistep+linear", func(o Optimizer) (*Plateau, []*Schedule) {
			return nil, []*Schedule{NewMultiStepLR(o, []int{2, 5}, 0.1), NewLinearLR(o, 0.25, 1.0, 4)}
		}, 8, []float64{0.025, 0.043750000000000004, 0.00625, 0.008125, 0.01, 0.001, 0.001, 0.001, 0.001}},
		{"cosine", func(o Optimizer) (*Plateau, []*Schedule) {
			return nil, []*Schedule{NewCosineAnnealingLR(o, 4, 0.01)}
		}, 10, []float64{0.1, 0.08681980515339464, 0.05500000000000001, 0.023180194846605363, 0.01, 0.023180194846605363, 0.05500000000000002, 0.08681980515339469, 0.10000000000000006, 0.0868198051533947, 0.05500000000000005}},
		{"cosine+plateau", func(o Optimizer) (*Plateau, []*Schedule) {
			return NewPlateau(o, PlateauConfig{Factor: 0.5, Patience: new(0), Threshold: new(0.0), ThresholdMode: Abs}), []*Schedule{NewCosineAnnealingLR(o, 6, 0)}
		}, 12, []float64{0.1, 0.09330127018922195, 0.07500000000000001, 0.025, 0.006250000000000003, 0.0016746824526945162, 0.0, 0.006698729810778065, 0.0125, 0.02500000000000002, 0.01875000000000002, 0.011662658773652752, 0.006250000000000006}},
		// Schedules stepped per batch.
		{"lambda", func(o Optimizer) (*Plateau, []*Schedule) {
			return nil, []*Schedule{NewLambdaLR(o, func(e int) float64 { return math.Pow(0.95, float64(e)) * float64(1+e%3) })}
		}, 10, []float64{0.1, 0.19, 0.27075, 0.0857375, 0.16290125, 0.23213428124999994, 0.07350918906249998, 0.13966745921874996, 0.1990261293867187, 0.0630249409724609, 0.11974738784767575}},
		{"warm-restarts", func(o Optimizer) (*Plateau, []*Schedule) {
			return nil, []*Schedule{NewCosineAnnealingWarmRestarts(o, 3, 2, 0.001)}
		}, 20, []float64{0.1, 0.07525000000000001, 0.025750000000000012, 0.1, 0.09336825748732973, 0.07525000000000001, 0.0505, 0.025750000000000012, 0.007631742512670284, 0.1, 0.09831332840130888, 0.09336825748732973, 0.0855017856687341, 0.07525000000000001, 0.06331154273257478, 0.0505, 0.03768845726742523, 0.025750000000000012, 0.0154982143312659, 0.007631742512670284, 0.0026866715986911243}},
		{"warmup+cosine", func(o Optimizer) (*Plateau, []*Schedule) {
			return nil, []*Schedule{NewSequentialLR(o, []int{5},
				func(o Optimizer) *Schedule { return NewLinearLR(o, 0.1, 1, 5) },
				func(o Optimizer) *Schedule { return NewCosineAnnealingLR(o, 15, 0) })}
		}, 25, []float64{0.010000000000000002, 0.028000000000000004, 0.046000000000000006, 0.064, 0.082, 0.1, 0.09890738003669029, 0.09567727288213004, 0.09045084971874738, 0.08345653031794292, 0.07500000000000001, 0.06545084971874739, 0.05522642316338269, 0.04477357683661735, 0.03454915028125265, 0.02500000000000002, 0.01654346968205711, 0.009549150281252635, 0.004322727117869953, 0.001092619963309716, 0.0, 0.0010926199633097156, 0.004322727117869957, 0.009549150281252621, 0.016543469682057076, 0.024999999999999977}},
		{"sequential3", func(o Optimizer) (*Plateau, []*Schedule) {
			return nil, []*Schedule{NewSequentialLR(o, []int{3, 7},
				func(o Optimizer) *Schedule { return NewExponentialLR(o, 0.9) },
				func(o Optimizer) *Schedule { return NewStepLR(o, 2, 0.5) },
				func(o Optimizer) *Schedule { return NewLinearLR(o, 0.5, 1, 3) })}
		}, 12, []float64{0.1, 0.09000000000000001, 0.08100000000000002, 0.1, 0.1, 0.05, 0.05, 0.05, 0.06666666666666667, 0.08333333333333333, 0.09999999999999999, 0.09999999999999999, 0.09999999999999999}},
	}
	for _, tt := range tests {
		opt := NewSGD(nil, SGDConfig{LR: 0.1})
		plateau, schedules := tt.make(opt)
		got := []float64{opt.LR()}
		for e := range tt.epochs {
			if plateau != nil {
				plateau.Step(vals[e])
			}
			for _, s := range schedules {
				s.Step()
			}
			got = append(got, opt.LR())
		}
		if diff := cmp.Diff(tt.pytorch, got, cmpopts.EquateApprox(1e-12, 1e-15)); diff != "" {
			t.Errorf("%s (-pytorch +minidl):\n%s", tt.name, diff)
		}
	}
}

func TestSchedules(t *testing.T) {
	makers := map[string]func(o Optimizer) *Schedule{
		"StepLR":            func(o Optimizer) *Schedule { return NewStepLR(o, 3, 0.5) },
		"MultiStepLR":       func(o Optimizer) *Schedule { return NewMultiStepLR(o, []int{6, 2, 5}, 0.1) },
		"ExponentialLR":     func(o Optimizer) *Schedule { return NewExponentialLR(o, 0.9) },
		"CosineAnnealingLR": func(o Optimizer) *Schedule { return NewCosineAnnealingLR(o, 4, 0.05) },
		"LinearLR":          func(o Optimizer) *Schedule { return NewLinearLR(o, 0.25, 1, 4) },
	}
	want := []struct {
		name  string
		rates []float64
	}{
		{"StepLR", []float64{0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125, 0.125, 0.125, 0.0625}},
		{"MultiStepLR", []float64{0.5, 0.5, 0.05, 0.05, 0.05, 0.005000000000000001, 0.0005000000000000001, 0.0005000000000000001, 0.0005000000000000001, 0.0005000000000000001}},
		{"ExponentialLR", []float64{0.5, 0.45, 0.405, 0.36450000000000005, 0.32805000000000006, 0.2952450000000001, 0.2657205000000001, 0.23914845000000007, 0.21523360500000008, 0.19371024450000007}},
		{"CosineAnnealingLR", []float64{0.5, 0.4340990257669732, 0.275, 0.11590097423302684, 0.05, 0.1159009742330268, 0.275, 0.43409902576697335, 0.5000000000000002, 0.4340990257669734}},
		{"LinearLR", []float64{0.125, 0.21875, 0.3125, 0.40625, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5}},
	}
	for _, tt := range want {
		opt := NewSGD(nil, SGDConfig{LR: 0.5})
		s := makers[tt.name](opt)
		var got []float64
		for range 10 {
			got = append(got, opt.LR())
			s.Step()
		}
		if diff := cmp.Diff(tt.rates, got, cmpopts.EquateApprox(1e-12, 0)); diff != "" {
			t.Errorf("%s (-pytorch +minidl):\n%s", tt.name, diff)
		}
		if s.Epoch() != 10 {
			t.Errorf("%s: Epoch() = %d", tt.name, s.Epoch())
		}
	}
}

func TestPlateauMatchesPyTorch(t *testing.T) {
	metrics := []float64{1.0, 0.95, 0.94, 0.93, 0.92, 0.5, 0.49, 0.48, 0.47, 0.46, 0.45, 0.44, 0.43, 0.1, 0.2}
	want := []float64{1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25}
	opt := NewSGD(nil, SGDConfig{LR: 1})
	p := NewPlateau(opt, PlateauConfig{Factor: 0.5, Patience: new(2), Threshold: new(0.1), Cooldown: 1, MinLR: 0.2})
	var got []float64
	for _, m := range metrics {
		p.Step(m)
		got = append(got, opt.LR())
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("learning rates (-pytorch +minidl):\n%s", diff)
	}
	if p.Best() != 0.1 || !strings.Contains(p.String(), "best 0.1") {
		t.Errorf("Best %v, %v", p.Best(), p)
	}
}

func TestPlateauMaxAndMinLR(t *testing.T) {
	opt := NewSGD(nil, SGDConfig{LR: 1})
	p := NewPlateau(opt, PlateauConfig{Mode: Max, ThresholdMode: Abs, Threshold: new(0.5), Patience: new(0), MinLR: 0.05})
	steps := []struct {
		metric  float64
		reduced bool
		lr      float64
	}{
		{1, false, 1},    // first value is the best
		{1.5, true, 0.1}, // +0.5 exactly is not an improvement; patience 0
		{3, false, 0.1},  // improvement
		{2, true, 0.05},  // clipped at MinLR
		{1, false, 0.05}, // a reduction smaller than Eps is skipped
		{math.NaN(), false, 0.05},
	}
	for i, s := range steps {
		if got := p.Step(s.metric); got != s.reduced || opt.LR() != s.lr {
			t.Errorf("step %d (%v): reduced %v lr %v, want %v %v", i, s.metric, got, opt.LR(), s.reduced, s.lr)
		}
	}
}

func TestTracker(t *testing.T) {
	inf := math.Inf(1)
	tests := []struct {
		tracker       Tracker
		current, best float64
		want          bool
	}{
		{Tracker{Mode: Min, MinDelta: 0.1}, 0.9, 1, false}, // exactly min_delta
		{Tracker{Mode: Min, MinDelta: 0.1}, 0.89, 1, true},
		{Tracker{Mode: Max, MinDelta: 0.1}, 1.1, 1, false},
		{Tracker{Mode: Max, MinDelta: 0.1}, 1.11, 1, true},
		{Tracker{Mode: Min, MinDelta: 0.1, Relative: true}, -11.5, -10, true}, // negative values: |best|
		{Tracker{Mode: Min, MinDelta: 0.1, Relative: true}, -10.5, -10, false},
		{Tracker{Mode: Min, MinDelta: 0.1, Relative: true}, -9.5, -10, false}, // PyTorch would say true
		{Tracker{Mode: Max, MinDelta: 0.1, Relative: true}, -8.9, -10, true},
		{Tracker{Mode: Min}, 5, inf, true},
		{Tracker{Mode: Max, MinDelta: 0.5, Relative: true}, -5, math.Inf(-1), true},
		{Tracker{Mode: Min}, math.NaN(), inf, false},
		{Tracker{Mode: Min}, 1, math.NaN(), true},
		{Tracker{Mode: Min}, 1, 1, false}, // ties are not improvements
		{Tracker{}, 0.5, 1, true},         // Auto means Min
	}
	for _, tt := range tests {
		if got := tt.tracker.Better(tt.current, tt.best); got != tt.want {
			t.Errorf("%+v.Better(%v, %v) = %v, want %v", tt.tracker, tt.current, tt.best, got, tt.want)
		}
	}
	if (&Tracker{Mode: Max}).Worst() != math.Inf(-1) || (&Tracker{}).Worst() != inf {
		t.Error("Worst")
	}
	if Max.String() != "max" || Min.String() != "min" || Auto.String() != "auto" || Mode(7).String() != "Mode(7)" {
		t.Error("Mode.String")
	}

	// Observing: best, its epoch, the count since, and a baseline.
	tr := Tracker{Baseline: new(0.5)}
	type step struct {
		v        float64
		improved bool
		best     float64
		epoch    int
		wait     int
	}
	for e, s := range []step{
		{math.NaN(), false, inf, -1, 1},
		{1, true, 1, 1, 2}, // an improvement that misses the baseline keeps counting
		{0.9, true, 0.9, 2, 3},
		{0.95, false, 0.9, 2, 4},
		{0.4, true, 0.4, 4, 0}, // beats the baseline: the count restarts
		{0.4, false, 0.4, 4, 1},
	} {
		if got := tr.Observe(e, s.v); got != s.improved || tr.Best() != s.best || tr.BestEpoch() != s.epoch || tr.Wait() != s.wait {
			t.Errorf("epoch %d (%v): improved %v best %v at %d wait %d, want %+v", e, s.v, got, tr.Best(), tr.BestEpoch(), tr.Wait(), s)
		}
	}
	if !tr.BaselineBeaten() || (&Tracker{Baseline: new(0.0)}).BaselineBeaten() {
		t.Error("BaselineBeaten")
	}
	saved := tr
	tr.Reset()
	if tr.BestEpoch() != -1 || tr.Wait() != 0 || tr.Best() != inf {
		t.Errorf("after Reset: %v at %d, wait %d", tr.Best(), tr.BestEpoch(), tr.Wait())
	}
	tr.Restore(saved.Best(), saved.BestEpoch(), saved.Wait())
	if tr.Best() != 0.4 || tr.BestEpoch() != 4 || tr.Wait() != 1 {
		t.Errorf("after Restore: %v at %d, wait %d", tr.Best(), tr.BestEpoch(), tr.Wait())
	}
}

func TestStateRoundTrip(t *testing.T) {
	run := func(resume bool) []float64 {
		w, b := problemParams()
		opt := NewAdam(nn.ParametersOf(w, b), AdamConfig{LR: 0.05, AMSGrad: true})
		for range 3 {
			problemStep(opt, w, b)
		}
		if resume {
			saved := opt.State()
			opt = NewAdam(nn.ParametersOf(w, b), AdamConfig{LR: 0.05, AMSGrad: true})
			if err := opt.LoadState(saved); err != nil {
				t.Fatal(err)
			}
		}
		for range 3 {
			problemStep(opt, w, b)
		}
		return append(w.Value.Clone().Data(), b.Value.Data()...)
	}
	if diff := cmp.Diff(run(false), run(true)); diff != "" {
		t.Errorf("resumed run differs (-straight +resumed):\n%s", diff)
	}
	w, b := problemParams()
	opt := NewSGD(nn.ParametersOf(w, b), SGDConfig{Momentum: 0.9})
	s := opt.State()
	s.Set("extra", tensor.Scalar(1))
	s.Set("0.momentum_buffer", tensor.Zeros(3))
	err := opt.LoadState(s)
	if !errors.Is(err, nn.ErrState) || !strings.Contains(err.Error(), "unexpected extra") || !strings.Contains(err.Error(), "0.momentum_buffer: state [3], optimizer [2 3]") {
		t.Errorf("LoadState error %v", err)
	}
	if err := opt.LoadState(nn.NewStateDict()); err == nil || !strings.Contains(err.Error(), "missing lr") {
		t.Errorf("LoadState of empty dict: %v", err)
	}
	// Values no State could have written are refused, each by name, and
	// leave the optimizer as it was.
	adam := NewAdam(nn.ParametersOf(problemParams()), AdamConfig{AMSGrad: true})
	for name, value := range map[string]float64{"lr": math.NaN(), "1.step": 2.5, "0.step": -1, "0.exp_avg_sq": -1, "1.max_exp_avg_sq": -0.5, "0.exp_avg": math.Inf(1)} {
		bad := adam.State()
		old, _ := bad.Get(name)
		t2 := tensor.Full(value, old.Shape()...)
		bad.Set(name, t2)
		err := adam.LoadState(bad)
		var se *nn.StateDictError
		if !errors.As(err, &se) || len(se.Mismatched) != 1 || !strings.HasPrefix(se.Mismatched[0], name+": ") {
			t.Errorf("%s = %v: %v", name, value, err)
		}
		if adam.LR() != 1e-3 {
			t.Errorf("%s = %v: a refused state changed the rate to %v", name, value, adam.LR())
		}
	}
	opt.SetLR(0.25)
	if opt.LR() != 0.25 {
		t.Error("SetLR")
	}
}

// TestStepAllocatesNothing checks the steady state of every optimizer.
func TestStepAllocatesNothing(t *testing.T) {
	w, b := problemParams()
	ps := nn.ParametersOf(w, b)
	w.Grad, b.Grad = tensor.Ones(2, 3), tensor.Ones(2)
	for _, opt := range []Optimizer{
		NewSGD(ps, SGDConfig{Momentum: 0.9, WeightDecay: 0.1}),
		NewAdam(ps, AdamConfig{AMSGrad: true}),
		NewAdamW(ps, AdamWConfig{}),
		NewRMSprop(ps, RMSpropConfig{Centered: true, Momentum: 0.1}),
		NewAdagrad(ps, AdagradConfig{}),
	} {
		opt.Step()
		if n := testing.AllocsPerRun(100, opt.Step); n != 0 {
			t.Errorf("%T.Step allocates %v times", opt, n)
		}
	}
}

func TestSkipsParamsWithoutGrad(t *testing.T) {
	w, b := problemParams()
	before := w.Value.Clone()
	b.Grad = tensor.Ones(2)
	NewAdam(nn.ParametersOf(w, b), AdamConfig{}).Step()
	if !tensor.Equal(before, w.Value) {
		t.Error("a parameter without a gradient was updated")
	}
}

func TestClipping(t *testing.T) {
	a, b := autograd.Param(tensor.Zeros(2)), autograd.Param(tensor.Zeros(1))
	a.Grad, b.Grad = tensor.New([]float64{3, 0}), tensor.New([]float64{4})
	ps := nn.ParametersOf(a, b, autograd.Param(tensor.Zeros(1)))
	if norm := ClipGradNorm(ps, 1); norm != 5 {
		t.Errorf("norm %v, want 5", norm)
	}
	coef := 1 / (5 + 1e-6)
	if diff := cmp.Diff([]float64{3 * coef, 0, 4 * coef}, append(a.Grad.Clone().Data(), b.Grad.Data()...), cmpopts.EquateApprox(1e-15, 0)); diff != "" {
		t.Errorf("clipped (-want +got):\n%s", diff)
	}
	if norm := ClipGradNorm(ps, 10); math.Abs(norm-1) > 1e-6 || math.Abs(a.Grad.At(0)-3*coef) > 1e-15 {
		t.Errorf("a norm below the limit changed the gradients: %v %v", norm, a.Grad)
	}
	a.Grad = tensor.New([]float64{-3, 0.5})
	ClipGradValue(ps, 1)
	if diff := cmp.Diff([]float64{-1, 0.5}, a.Grad.Data()); diff != "" {
		t.Errorf("ClipGradValue (-want +got):\n%s", diff)
	}
}

func TestInvalidSettingsPanic(t *testing.T) {
	tests := []struct {
		want string
		f    func()
	}{
		{"SGD: learning rate -1 is negative", func() { NewSGD(nil, SGDConfig{LR: -1}) }},
		{"SGD: Nesterov momentum needs", func() { NewSGD(nil, SGDConfig{Nesterov: true}) }},
		{"SGD: momentum -1", func() { NewSGD(nil, SGDConfig{Momentum: -1}) }},
		{"SGD: weight decay -1", func() { NewSGD(nil, SGDConfig{WeightDecay: -1}) }},
		{"Adam: betas 1, 0.999", func() { NewAdam(nil, AdamConfig{Beta1: 1}) }},
		{"Adam: eps -1", func() { NewAdam(nil, AdamConfig{Eps: -1}) }},
		{"AdamW: weight decay -1", func() { NewAdamW(nil, AdamWConfig{WeightDecay: new(-1.0)}) }},
		{"RMSprop: alpha 2", func() { NewRMSprop(nil, RMSpropConfig{Alpha: 2}) }},
		{"RMSprop: eps -1", func() { NewRMSprop(nil, RMSpropConfig{Eps: -1}) }},
		{"RMSprop: momentum -1", func() { NewRMSprop(nil, RMSpropConfig{Momentum: -1}) }},
		{"Adagrad: lr decay -1", func() { NewAdagrad(nil, AdagradConfig{LRDecay: -1}) }},
		{"ClipGradNorm: max norm 0", func() { ClipGradNorm(nil, 0) }},
		{"ClipGradValue: limit -1", func() { ClipGradValue(nil, -1) }},
		{"StepLR: step size 0", func() { NewStepLR(NewSGD(nil, SGDConfig{}), 0, 0.1) }},
		{"CosineAnnealingLR: tMax 0", func() { NewCosineAnnealingLR(NewSGD(nil, SGDConfig{}), 0, 0) }},
		{"LinearLR: factors 0 → 1", func() { NewLinearLR(NewSGD(nil, SGDConfig{}), 0, 1, 5) }},
		{"LinearLR: total 0", func() { NewLinearLR(NewSGD(nil, SGDConfig{}), 0.5, 1, 0) }},
		{"Plateau: factor 2", func() { NewPlateau(NewSGD(nil, SGDConfig{}), PlateauConfig{Factor: 2}) }},
		{"Plateau: patience", func() { NewPlateau(NewSGD(nil, SGDConfig{}), PlateauConfig{Patience: new(-1)}) }},
		{"SGD: learning rate -2", func() { NewSGD(nil, SGDConfig{}).SetLR(-2) }},
		{"Adam: parameters 0 (\"0\") and 1 (\"1\") are the same Var", func() {
			w := autograd.Param(tensor.Zeros(1))
			NewAdam(nn.ParametersOf(w, w), AdamConfig{})
		}},
		{"SGD: parameter 0 (\"0\") is nil", func() { NewSGD(nn.ParametersOf(nil), SGDConfig{}) }},
		{"OneCycleLR: *optim.Adagrad has no momentum to cycle", func() {
			NewOneCycleLR(NewAdagrad(nil, AdagradConfig{}), OneCycleConfig{MaxLR: 1, TotalSteps: 5})
		}},
		{"SGD.SetMomentum: this SGD was made without momentum", func() { NewOneCycleLR(NewSGD(nil, SGDConfig{}), OneCycleConfig{MaxLR: 1, TotalSteps: 5}) }},
		{"OneCycleLR: total steps 0", func() { NewOneCycleLR(NewSGD(nil, SGDConfig{}), OneCycleConfig{MaxLR: 1}) }},
		{"OneCycleLR: max rate 0", func() { NewOneCycleLR(NewSGD(nil, SGDConfig{}), OneCycleConfig{TotalSteps: 5}) }},
		{"OneCycleLR: PctStart 1 outside (0, 1)", func() { NewOneCycleLR(NewSGD(nil, SGDConfig{}), OneCycleConfig{MaxLR: 1, TotalSteps: 5, PctStart: 1}) }},
		{"SequentialLR: 1 schedules for 1 milestones", func() {
			NewSequentialLR(NewSGD(nil, SGDConfig{}), []int{3}, func(o Optimizer) *Schedule { return NewStepLR(o, 1, 0.5) })
		}},
		{"SequentialLR: milestones [3 3]", func() {
			m := func(o Optimizer) *Schedule { return NewStepLR(o, 1, 0.5) }
			NewSequentialLR(NewSGD(nil, SGDConfig{}), []int{3, 3}, m, m, m)
		}},
		{"CosineAnnealingWarmRestarts: tMult 0", func() { NewCosineAnnealingWarmRestarts(NewSGD(nil, SGDConfig{}), 3, 0, 0) }},
		{"LambdaLR: no factor function", func() { NewLambdaLR(NewSGD(nil, SGDConfig{}), nil) }},
	}
	for _, tt := range tests {
		func() {
			defer func() {
				e, ok := recover().(*Error)
				if !ok || !strings.Contains(e.Error(), tt.want) {
					t.Errorf("panic %v, want *optim.Error containing %q", e, tt.want)
				}
			}()
			tt.f()
		}()
	}
}

func TestDefaults(t *testing.T) {
	if lr := NewSGD(nil, SGDConfig{}).LR(); lr != 1e-3 {
		t.Errorf("SGD default lr %v", lr)
	}
	a := NewAdam(nil, AdamConfig{})
	if a.cfg.LR != 1e-3 || a.cfg.Beta1 != 0.9 || a.cfg.Beta2 != 0.999 || a.cfg.Eps != 1e-8 || a.cfg.WeightDecay != 0 {
		t.Errorf("Adam defaults %+v", a.cfg)
	}
	if aw := NewAdamW(nil, AdamWConfig{}); aw.cfg.WeightDecay != 0.01 {
		t.Errorf("AdamW default weight decay %v", aw.cfg.WeightDecay)
	}
	// PyTorch's weight_decay=0 can be said, and means no decay at all.
	w, b := problemParams()
	aw := NewAdamW(nn.ParametersOf(w, b), AdamWConfig{LR: 0.1, WeightDecay: new(0.0)})
	ad := NewAdam(nn.ParametersOf(problemParams()), AdamConfig{LR: 0.1})
	if aw.cfg.WeightDecay != 0 {
		t.Errorf("AdamW with WeightDecay new(0.0): %v", aw.cfg.WeightDecay)
	}
	w.Grad, b.Grad = tensor.Ones(2, 3), tensor.Ones(2)
	ad.params[0].Grad, ad.params[1].Grad = tensor.Ones(2, 3), tensor.Ones(2)
	aw.Step()
	ad.Step()
	if !tensor.Equal(w.Value, ad.params[0].Value) {
		t.Error("AdamW without weight decay differs from Adam")
	}
	r := NewRMSprop(nil, RMSpropConfig{})
	if r.cfg.LR != 0.01 || r.cfg.Alpha != 0.99 || r.cfg.Eps != 1e-8 {
		t.Errorf("RMSprop defaults %+v", r.cfg)
	}
	if p := NewPlateau(NewSGD(nil, SGDConfig{}), PlateauConfig{}); p.patience != 10 || p.tracker.MinDelta != 1e-4 || !p.tracker.Relative || p.tracker.Mode == Max || p.cfg.Factor != 0.1 {
		t.Errorf("Plateau defaults: patience %d, %+v, %+v", p.patience, p.tracker, p.cfg)
	}
	g := NewAdagrad(nil, AdagradConfig{})
	if g.cfg.LR != 0.01 || g.cfg.Eps != 1e-10 {
		t.Errorf("Adagrad defaults %+v", g.cfg)
	}
}

func TestErrConfig(t *testing.T) {
	defer func() {
		err, _ := recover().(error)
		var oe *Error
		if !errors.As(err, &oe) || !errors.Is(err, ErrConfig) {
			t.Errorf("negative rate: %v", err)
		}
	}()
	NewSGD(nil, SGDConfig{LR: -1})
}

// FuzzLoadState loads arbitrary states into every optimizer: LoadState
// never panics, refuses with a *nn.StateDictError, and after a state it
// accepts a step with finite gradients keeps the parameters finite.
func FuzzLoadState(f *testing.F) {
	makers := []func([]nn.Param) Optimizer{
		func(ps []nn.Param) Optimizer { return NewSGD(ps, SGDConfig{LR: 0.1, Momentum: 0.9}) },
		func(ps []nn.Param) Optimizer { return NewAdam(ps, AdamConfig{AMSGrad: true}) },
		func(ps []nn.Param) Optimizer { return NewAdamW(ps, AdamWConfig{}) },
		func(ps []nn.Param) Optimizer { return NewRMSprop(ps, RMSpropConfig{Centered: true, Momentum: 0.5}) },
		func(ps []nn.Param) Optimizer { return NewAdagrad(ps, AdagradConfig{}) },
	}
	for _, mk := range makers {
		w, b := problemParams()
		opt := mk(nn.ParametersOf(w, b))
		problemStep(opt, w, b)
		var buf bytes.Buffer
		nn.WriteSafetensors(&buf, opt.State(), nil)
		f.Add(buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, _, err := nn.ReadSafetensors(data)
		if err != nil {
			return
		}
		for _, mk := range makers {
			w, b := problemParams()
			opt := mk(nn.ParametersOf(w, b))
			if err := opt.LoadState(s); err != nil {
				if !errors.Is(err, nn.ErrState) {
					t.Fatalf("LoadState error %v is not of kind nn.ErrState", err)
				}
				continue
			}
			if huge(s) {
				continue // huge but valid values can overflow any step
			}
			problemStep(opt, w, b)
			for _, v := range append(w.Value.Data(), b.Value.Data()...) {
				if math.IsNaN(v) {
					t.Fatalf("%T: NaN after a step from an accepted state", opt)
				}
			}
		}
	})
}

// huge reports whether any value of s is beyond ±1e100.
func huge(s *nn.StateDict) bool {
	for _, name := range s.Names() {
		t, _ := s.Get(name)
		for _, v := range t.Data() {
			if math.Abs(v) > 1e100 {
				return true
			}
		}
	}
	return false
}

// TestOneCycleLR compares the rate and the momentum at every step with
// PyTorch's OneCycleLR (testdata/torch_schedules.py): cosine with SGD's
// momentum, and linear, three-phase with Adam's β₁.
func TestOneCycleLR(t *testing.T) {
	tests := []struct {
		name    string
		opt     MomentumOptimizer
		cfg     OneCycleConfig
		lr, mom []float64
		after   float64 // the rate after step TotalSteps
	}{
		{"onecycle", NewSGD(nil, SGDConfig{LR: 0.1, Momentum: 0.9}), OneCycleConfig{MaxLR: 1, TotalSteps: 20},
			[]float64{0.040000000000000036, 0.1316718427000253, 0.3716718427000253, 0.6683281572999747, 0.9083281572999747, 1.0, 0.9874640062350873, 0.9504846320134737, 0.89091617757105, 0.8117456539497631, 0.7169430017913008, 0.6112620219362893, 0.500002, 0.38874197806371075, 0.28306099820869923, 0.18825834605023697, 0.10908782242895004, 0.049519367986526286, 0.012539993764912554, 4e-06},
			[]float64{0.95, 0.9404508497187474, 0.9154508497187474, 0.8845491502812526, 0.8595491502812526, 0.85, 0.8512536043909088, 0.854951556604879, 0.8609084258765984, 0.8688255099070633, 0.878305813044122, 0.8888739533021842, 0.8999999999999999, 0.9111260466978157, 0.9216941869558779, 0.9311744900929366, 0.9390915741234015, 0.945048443395121, 0.9487463956090911, 0.95},
			0.012539993764912554},
		{"onecycle-adam", NewAdam(nil, AdamConfig{LR: 0.1}), OneCycleConfig{MaxLR: 0.5, TotalSteps: 17, PctStart: 0.25, Linear: true, ThreePhase: true, DivFactor: 10, FinalDivFactor: 100},
			[]float64{0.05, 0.18846153846153846, 0.3269230769230769, 0.4653846153846154, 0.39615384615384613, 0.25769230769230766, 0.11923076923076925, 0.04739473684210527, 0.042184210526315796, 0.03697368421052632, 0.03176315789473684, 0.026552631578947373, 0.021342105263157895, 0.01613157894736842, 0.01092105263157895, 0.0057105263157894715, 0.0005000000000000004},
			[]float64{0.95, 0.9192307692307692, 0.8884615384615384, 0.8576923076923076, 0.8730769230769231, 0.9038461538461539, 0.9346153846153846, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95},
			0.0005}, // PyTorch's −0.0047 would be a negative rate: the final rate, 0.5/10/100
	}
	for _, tt := range tests {
		s := NewOneCycleLR(tt.opt, tt.cfg)
		lr, mom := []float64{tt.opt.LR()}, []float64{tt.opt.Momentum()}
		for range tt.cfg.TotalSteps - 1 {
			s.Step()
			lr, mom = append(lr, tt.opt.LR()), append(mom, tt.opt.Momentum())
		}
		if diff := cmp.Diff(tt.lr, lr, cmpopts.EquateApprox(1e-12, 1e-15)); diff != "" {
			t.Errorf("%s rates (-pytorch +minidl):\n%s", tt.name, diff)
		}
		if diff := cmp.Diff(tt.mom, mom, cmpopts.EquateApprox(1e-12, 1e-15)); diff != "" {
			t.Errorf("%s momenta (-pytorch +minidl):\n%s", tt.name, diff)
		}
		s.Step() // after the last batch of the cycle: allowed, as in PyTorch
		if got := tt.opt.LR(); math.Abs(got-tt.after) > 1e-15 {
			t.Errorf("%s: rate %v after the cycle; want %v", tt.name, got, tt.after)
		}
		func() {
			defer func() {
				if e, _ := recover().(error); !errors.Is(e, ErrConfig) {
					t.Errorf("%s: stepping past the total steps panics with %v; want an ErrConfig", tt.name, e)
				}
			}()
			s.Step()
		}()
	}
	NewOneCycleLR(NewSGD(nil, SGDConfig{}), OneCycleConfig{MaxLR: 1, TotalSteps: 5, CycleMomentum: new(false)}) // no momentum needed
}
