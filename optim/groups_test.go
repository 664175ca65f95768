package optim

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/tensor"
)

// TestGroupsMatchPyTorch runs five steps of each optimizer with the bias
// in a group of its own and compares the parameters with PyTorch's
// (testdata/torch_groups.py).
func TestGroupsMatchPyTorch(t *testing.T) {
	makers := map[string]func(w, b nn.Param) Optimizer{
		"SGD": func(w, b nn.Param) Optimizer {
			return NewSGD([]nn.Param{w, b}, SGDConfig{LR: 0.1, Momentum: 0.9, WeightDecay: 0.05, Groups: []Group{{Params: []nn.Param{b}, LR: new(0.3), WeightDecay: new(0.0)}}})
		},
		"SGDPlain": func(w, b nn.Param) Optimizer {
			return NewSGD([]nn.Param{w, b}, SGDConfig{LR: 0.1, Groups: []Group{{Params: []nn.Param{b}, LR: new(0.02)}}})
		},
		"SGDDecayOnBias": func(w, b nn.Param) Optimizer {
			return NewSGD([]nn.Param{w, b}, SGDConfig{LR: 0.1, Momentum: 0.5, Groups: []Group{{Params: []nn.Param{b}, WeightDecay: new(0.2)}}})
		},
		"Adam": func(w, b nn.Param) Optimizer {
			return NewAdam([]nn.Param{w, b}, AdamConfig{LR: 0.01, WeightDecay: 0.1, Groups: []Group{{Params: []nn.Param{b}, LR: new(0.05), WeightDecay: new(0.0)}}})
		},
		"AdamW": func(w, b nn.Param) Optimizer {
			return NewAdamW([]nn.Param{w, b}, AdamWConfig{LR: 0.01, WeightDecay: new(0.1), Groups: []Group{NoDecayGroup([]nn.Param{w, b})}})
		},
		"AdamWFrozenBias": func(w, b nn.Param) Optimizer {
			return NewAdamW([]nn.Param{w, b}, AdamWConfig{LR: 0.02, AMSGrad: true, Groups: []Group{{Params: []nn.Param{b}, LR: new(0.0)}}})
		},
		"RMSprop": func(w, b nn.Param) Optimizer {
			return NewRMSprop([]nn.Param{w, b}, RMSpropConfig{LR: 0.01, WeightDecay: 0.1, Groups: []Group{{Params: []nn.Param{b}, LR: new(0.001), WeightDecay: new(0.0)}}})
		},
		"Adagrad": func(w, b nn.Param) Optimizer {
			return NewAdagrad([]nn.Param{w, b}, AdagradConfig{LR: 0.1, LRDecay: 0.01, WeightDecay: 0.1, Groups: []Group{{Params: []nn.Param{b}, LR: new(0.5), WeightDecay: new(0.0)}}})
		},
	}
	want := []struct {
		name string
		vals []float64
	}{
		{"SGD", []float64{0.5762366178758503, -0.6980590412134619, 0.09265511866992178, -0.6944444893938603, 1.1277152326392088, -0.5054420970294786, -0.027266717016023307, 0.905009344650062}},
		{"SGDPlain", []float64{0.2927489633508113, -0.4224576116328324, 0.2062819860867153, -0.4899946567470789, 0.8262029876854596, -0.4776832596136298, 0.04229637204554897, 0.006003015018947975}},
		{"SGDDecayOnBias", []float64{0.3956156242483653, -0.5290151987324652, 0.16401365455781883, -0.5511220023729665, 0.9675215571466773, -0.4591456507706945, 0.0033597377151804476, 0.2967965375608227}},
		{"Adam", []float64{0.149962454436627, -0.24965907852097827, 0.25168542511982206, -0.44995553138755323, 0.549752658048541, -0.5510873509700579, -0.11502620847515628, 0.19681603059395253}},
		{"AdamW", []float64{0.14928306072281322, -0.24873344654379717, 0.24915725326598678, -0.4476841540914117, 0.5472948157946786, -0.5474941564140148, 0.0014733659972618312, -0.0001357898350254627}},
		{"AdamWFrozenBias", []float64{0.19913977692969095, -0.29911717875907967, 0.20137285214151085, -0.49793793201870534, 0.5990441016168453, -0.5005199184525706, 0.05, -0.05}},
		{"RMSprop", []float64{0.34693092863858166, -0.4499281240821757, 0.11046177571920184, -0.5333559659804203, 0.778518130118614, -0.3675331914353374, 0.04014765567487229, -0.02019323073596771}},
		{"Adagrad", []float64{0.3531970639350046, -0.4329488958663163, 0.1635768954581558, -0.6559616516986286, 0.7234470460796043, -0.5781464034513099, 0.015062680011953454, 0.5729620720552837}},
	}
	if len(want) != len(makers) {
		t.Fatalf("%d PyTorch cases for %d makers", len(want), len(makers))
	}
	for _, c := range want {
		w, b := problemParams()
		opt := makers[c.name](nn.Param{Name: "weight", Var: w}, nn.Param{Name: "bias", Var: b})
		for range 5 {
			problemStep(opt, w, b)
		}
		got := append(w.Value.Clone().Data(), b.Value.Data()...)
		for i := range got {
			if d := math.Abs(got[i]-c.vals[i]) / max(1, math.Abs(c.vals[i])); d > 1e-12 {
				t.Errorf("%s: parameter %d is %v, PyTorch %v", c.name, i, got[i], c.vals[i])
			}
		}
	}
}

// TestSchedulesOnGroups checks that every schedule and the plateau rule
// move each group's rate from its own, as PyTorch's do, on an SGD whose two
// groups start at 0.5 and 0.1 (testdata/torch_groups.py).
func TestSchedulesOnGroups(t *testing.T) {
	plateauMetrics := []float64{1, 0.9, 0.95, 0.97, 0.8, 0.85, 0.86, 0.87, 0.7, 0.71}
	cases := map[string]func(Optimizer) func(step int){
		"cosine": func(o Optimizer) func(int) { s := NewCosineAnnealingLR(o, 4, 0.01); return func(int) { s.Step() } },
		"step":   func(o Optimizer) func(int) { s := NewStepLR(o, 2, 0.5); return func(int) { s.Step() } },
		"lambda": func(o Optimizer) func(int) {
			s := NewLambdaLR(o, func(e int) float64 { return math.Pow(0.9, float64(e)) })
			return func(int) { s.Step() }
		},
		"warm-restarts": func(o Optimizer) func(int) {
			s := NewCosineAnnealingWarmRestarts(o, 2, 2, 0.01)
			return func(int) { s.Step() }
		},
		"warmup+cosine": func(o Optimizer) func(int) {
			s := NewSequentialLR(o, []int{3},
				func(o Optimizer) *Schedule { return NewLinearLR(o, 0.1, 1, 3) },
				func(o Optimizer) *Schedule { return NewCosineAnnealingLR(o, 5, 0) })
			return func(int) { s.Step() }
		},
		"onecycle": func(o Optimizer) func(int) {
			s := NewOneCycleLR(o, OneCycleConfig{MaxLRs: []float64{1, 0.2}, TotalSteps: 10})
			return func(int) { s.Step() }
		},
		"onecycle-one-max": func(o Optimizer) func(int) {
			s := NewOneCycleLR(o, OneCycleConfig{MaxLR: 0.8, TotalSteps: 6, CycleMomentum: new(false)})
			return func(int) { s.Step() }
		},
		"plateau-floors": func(o Optimizer) func(int) {
			p := NewPlateau(o, PlateauConfig{Factor: 0.5, Patience: new(0), Threshold: new(0.0), ThresholdMode: Abs, MinLRs: []float64{0.2, 0.01}})
			return func(e int) { p.Step(plateauMetrics[e]) }
		},
		"plateau": func(o Optimizer) func(int) {
			p := NewPlateau(o, PlateauConfig{Factor: 0.5, Patience: new(1), Threshold: new(0.0), ThresholdMode: Abs, MinLR: 0.04})
			return func(e int) { p.Step(plateauMetrics[e]) }
		},
	}
	want := []struct {
		name  string
		group int
		lrs   []float64
	}{
		{"cosine", 0, []float64{0.5, 0.4282411613907041, 0.255, 0.08175883860929586, 0.01, 0.08175883860929584, 0.255, 0.42824116139070423, 0.5000000000000001}},
		{"cosine", 1, []float64{0.1, 0.08681980515339464, 0.05500000000000001, 0.023180194846605363, 0.01, 0.023180194846605363, 0.05500000000000002, 0.08681980515339469, 0.10000000000000006}},
		{"step", 0, []float64{0.5, 0.5, 0.25, 0.25, 0.125, 0.125, 0.0625}},
		{"step", 1, []float64{0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.0125}},
		{"lambda", 0, []float64{0.5, 0.45, 0.405, 0.36450000000000005, 0.32805, 0.29524500000000004}},
		{"lambda", 1, []float64{0.1, 0.09000000000000001, 0.08100000000000002, 0.0729, 0.06561, 0.05904900000000001}},
		{"warm-restarts", 0, []float64{0.5, 0.255, 0.5, 0.4282411613907041, 0.255, 0.08175883860929586, 0.5, 0.48135048546526527, 0.4282411613907041}},
		{"warm-restarts", 1, []float64{0.1, 0.05500000000000001, 0.1, 0.08681980515339464, 0.05500000000000001, 0.023180194846605363, 0.1, 0.0965745789630079, 0.08681980515339464}},
		{"warmup+cosine", 0, []float64{0.05, 0.19999999999999998, 0.35, 0.5, 0.45225424859373686, 0.32725424859373686, 0.17274575140626314, 0.04774575140626316, 0.0, 0.04774575140626314}},
		{"warmup+cosine", 1, []float64{0.010000000000000002, 0.04, 0.07, 0.1, 0.09045084971874738, 0.06545084971874737, 0.03454915028125263, 0.009549150281252633, 0.0, 0.009549150281252628}},
		{"onecycle", 0, []float64{0.040000000000000036, 0.52, 1.0, 0.9504846320134737, 0.8117456539497631, 0.6112620219362893, 0.38874197806371075, 0.18825834605023697, 0.049519367986526286, 4e-06}},
		{"onecycle", 1, []float64{0.008000000000000007, 0.10400000000000001, 0.2, 0.19009692640269477, 0.1623491307899526, 0.12225240438725786, 0.07774839561274215, 0.0376516692100474, 0.009903873597305258, 8e-07}},
		{"onecycle-one-max", 0, []float64{0.03200000000000003, 0.7955323483607295, 0.6493965231598104, 0.37010968213358003, 0.10678202415106448, 3.2e-06}},
		{"onecycle-one-max", 1, []float64{0.03200000000000003, 0.7955323483607295, 0.6493965231598104, 0.37010968213358003, 0.10678202415106448, 3.2e-06}},
		{"plateau", 0, []float64{0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125, 0.125, 0.125, 0.125}},
		{"plateau", 1, []float64{0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.04, 0.04, 0.04, 0.04}},
		{"plateau-floors", 0, []float64{0.5, 0.5, 0.5, 0.25, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2}},
		{"plateau-floors", 1, []float64{0.1, 0.1, 0.1, 0.05, 0.025, 0.025, 0.0125, 0.01, 0.01, 0.01, 0.01}},
	}
	for name, start := range cases {
		ps := nn.ParametersOf(problemParams())
		w, b := ps[0], ps[1]
		opt := NewSGD([]nn.Param{w, b}, SGDConfig{LR: 0.5, Momentum: 0.9, Groups: []Group{{Params: []nn.Param{b}, LR: new(0.1)}}})
		step := start(opt)
		var got [2][]float64
		steps := 0
		for _, c := range want {
			if c.name == name {
				steps = len(c.lrs) - 1
			}
		}
		if steps == 0 {
			t.Fatalf("%s: no PyTorch rates", name)
		}
		for e := 0; ; e++ {
			lrs := opt.LRs()
			got[0], got[1] = append(got[0], lrs[0]), append(got[1], lrs[1])
			if e == steps {
				break
			}
			step(e)
		}
		for _, c := range want {
			if c.name != name {
				continue
			}
			for e, lr := range c.lrs {
				if math.Abs(got[c.group][e]-lr) > 1e-12*max(1, lr) {
					t.Errorf("%s: group %d at step %d: rate %v, PyTorch %v", name, c.group, e, got[c.group][e], lr)
				}
			}
		}
	}
}

// TestGroupStateRoundTrip checks that State keeps every group's rate and a
// cycled momentum, so that a resumed run takes the same steps, and that a
// state of other groups is refused by name.
func TestGroupStateRoundTrip(t *testing.T) {
	makeOpt := func() (Optimizer, *Schedule, nn.Param, nn.Param) {
		w, b := problemParams()
		pw, pb := nn.Param{Name: "weight", Var: w}, nn.Param{Name: "bias", Var: b}
		opt := NewSGD([]nn.Param{pw, pb}, SGDConfig{LR: 0.1, Momentum: 0.9, WeightDecay: 0.01, Groups: []Group{{Params: []nn.Param{pb}, LR: new(0.05)}}})
		return opt, NewOneCycleLR(opt, OneCycleConfig{MaxLRs: []float64{0.2, 0.1}, TotalSteps: 8}), pw, pb
	}
	run := func(resume bool) []float64 {
		opt, sched, w, b := makeOpt()
		for range 3 {
			problemStep(opt, w.Var, b.Var)
			sched.Step()
		}
		if resume {
			saved := opt.State()
			var w2, b2 nn.Param
			opt, sched, w2, b2 = makeOpt()
			w2.Var.Value.CopyFrom(w.Var.Value)
			b2.Var.Value.CopyFrom(b.Var.Value)
			w, b = w2, b2
			if err := opt.LoadState(saved); err != nil {
				t.Fatal(err)
			}
			sched.SetEpoch(3)
		}
		for range 3 {
			problemStep(opt, w.Var, b.Var)
			sched.Step()
		}
		return append(append(w.Var.Value.Clone().Data(), b.Var.Value.Data()...), opt.LRs()...)
	}
	straight, resumed := run(false), run(true)
	for i := range straight {
		if straight[i] != resumed[i] {
			t.Fatalf("resumed run differs at %d: %v, straight %v", i, resumed, straight)
		}
	}

	opt, _, _, _ := makeOpt()
	s := opt.State()
	for _, name := range []string{"lr", "group.1.lr", "group.1.params", "momentum", "0.step", "1.momentum_buffer"} {
		if _, ok := s.Get(name); !ok {
			t.Errorf("State has no %q: %v", name, s.Names())
		}
	}
	// The same parameters grouped otherwise.
	w, b := problemParams()
	other := NewSGD(nn.ParametersOf(w, b), SGDConfig{Momentum: 0.9, Groups: []Group{{Params: nn.ParametersOf(w)}}})
	err := other.LoadState(s)
	if !errors.Is(err, nn.ErrState) || !strings.Contains(err.Error(), "group.1.params: the state's group holds parameters [1], the optimizer's [0]") {
		t.Errorf("LoadState of another grouping: %v", err)
	}
	// One group fewer.
	single := NewSGD(nn.ParametersOf(w, b), SGDConfig{Momentum: 0.9})
	if err := single.LoadState(s); err == nil || !strings.Contains(err.Error(), "unexpected group.1.lr, group.1.params") {
		t.Errorf("LoadState into one group: %v", err)
	}
	bad := opt.State()
	bad.Set("momentum", tensor.Scalar(-0.5))
	if err := opt.LoadState(bad); err == nil || !strings.Contains(err.Error(), "momentum: -0.5 is not positive") {
		t.Errorf("LoadState of momentum -0.5: %v", err)
	}
	adam := NewAdam(nn.ParametersOf(w, b), AdamConfig{})
	badAdam := adam.State()
	badAdam.Set("beta1", tensor.Scalar(1))
	if err := adam.LoadState(badAdam); err == nil || !strings.Contains(err.Error(), "beta1: 1 is outside (0, 1)") {
		t.Errorf("LoadState of beta1 1: %v", err)
	}
	// A momentum of 1 or more is PyTorch's to allow, and survives the round trip.
	heavy := NewSGD(nn.ParametersOf(w, b), SGDConfig{Momentum: 1.2})
	if err := heavy.LoadState(heavy.State()); err != nil {
		t.Errorf("SGD with momentum 1.2: %v", err)
	}
}

func TestGroupSettings(t *testing.T) {
	w, b := problemParams()
	ps := []nn.Param{{Name: "weight", Var: w}, {Name: "bias", Var: b}}
	g := NoDecayGroup(ps)
	if len(g.Params) != 1 || g.Params[0].Name != "bias" || g.WeightDecay == nil || *g.WeightDecay != 0 || g.LR != nil {
		t.Errorf("NoDecayGroup: %+v", g)
	}
	opt := NewAdamW(ps, AdamWConfig{LR: 0.01, Groups: []Group{{LR: new(0.5)}, g}})
	if got := opt.LRs(); len(got) != 3 || got[0] != 0.01 || got[1] != 0.5 || got[2] != 0.01 {
		t.Errorf("LRs %v, want [0.01 0.5 0.01] (an empty group keeps its number)", got)
	}
	opt.SetLR(0.2)
	if got := opt.LRs(); got[0] != 0.2 || got[1] != 0.2 || got[2] != 0.2 || opt.LR() != 0.2 {
		t.Errorf("after SetLR(0.2): %v", got)
	}
	opt.SetLRs([]float64{0.3, 0.2, 0.1})
	if got := opt.LRs(); got[0] != 0.3 || got[2] != 0.1 || opt.LR() != 0.3 {
		t.Errorf("after SetLRs: %v", got)
	}
	wantPanic := func(name, msg string, f func()) {
		t.Helper()
		defer func() {
			e, ok := recover().(*Error)
			if !ok || !strings.Contains(e.Error(), msg) {
				t.Errorf("%s: panic %v, want one containing %q", name, e, msg)
			}
		}()
		f()
	}
	stranger := nn.ParametersOf(problemParams())
	wantPanic("a stranger", `group 1: parameter "0" is not among the optimizer's parameters`, func() {
		NewSGD(ps, SGDConfig{Groups: []Group{{Params: stranger[:1]}}})
	})
	wantPanic("twice", `group 2: parameter "bias" is in group 1 too`, func() {
		NewSGD(ps, SGDConfig{Groups: []Group{{Params: ps[1:]}, {Params: ps[1:]}}})
	})
	wantPanic("negative rate", "group 1: learning rate -1 is negative", func() {
		NewAdam(ps, AdamConfig{Groups: []Group{{Params: ps[1:], LR: new(-1.0)}}})
	})
	wantPanic("negative decay", "group 1: weight decay -0.1 is negative", func() {
		NewRMSprop(ps, RMSpropConfig{Groups: []Group{{Params: ps[1:], WeightDecay: new(-0.1)}}})
	})
	wantPanic("SetLRs length", "2 learning rates for 3 parameter groups", func() { opt.SetLRs([]float64{1, 2}) })
	wantPanic("SetLRs negative", "group 1: learning rate -1 is negative", func() { opt.SetLRs([]float64{1, -1, 2}) })
	wantPanic("OneCycle max rates", "3 max rates for 2 parameter groups", func() {
		NewOneCycleLR(NewSGD(ps, SGDConfig{Momentum: 0.9, Groups: []Group{{Params: ps[1:]}}}), OneCycleConfig{MaxLRs: []float64{1, 2, 3}, TotalSteps: 5})
	})
	wantPanic("Plateau floors", "1 minimum rates for 3 parameter groups", func() { NewPlateau(opt, PlateauConfig{MinLRs: []float64{0.1}}) })
	wantPanic("OneCycle both", "both MaxLR and MaxLRs are set", func() {
		NewOneCycleLR(NewSGD(ps, SGDConfig{Momentum: 0.9}), OneCycleConfig{MaxLR: 1, MaxLRs: []float64{1}, TotalSteps: 5})
	})
}
