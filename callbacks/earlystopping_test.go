package callbacks

import (
	"bytes"
	"errors"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/optim"
	"github.com/minidl/minidl/tensor"
)

// epochModel is a model with one parameter that the test loop sets to the
// epoch number, so that restored weights tell which epoch they came from.
type epochModel struct{ w *autograd.Var }

func newEpochModel() *epochModel { return &epochModel{w: autograd.Param(tensor.Scalar(-1))} }

func (m *epochModel) Forward(x *autograd.Var) *autograd.Var { return x.Mul(m.w) }
func (m *epochModel) Parameters() []nn.Param                { return []nn.Param{{Name: "w", Var: m.w}} }
func (m *epochModel) epoch() int                            { return int(m.w.Value.Item()) }

type outcome struct {
	stopped  int        // the epoch the run stopped at, −1 if it ran out
	reason   StopReason // the callback's reason after training
	restored int        // the epoch whose weights the model holds at the end
	best     int        // BestEpoch
}

// simulate runs callbacks over a sequence of monitored values the way Fit
// does: at epoch e the model's weight is e and the logs carry val[e] (and
// train[e] as "loss").
func simulate(t *testing.T, val, trainErr []float64, cbs ...Callback) (*Run, *epochModel) {
	t.Helper()
	m := newEpochModel()
	r := &Run{Model: m, Epochs: len(val), Keys: []string{"loss", "val_loss", "val_accuracy", "lr"}}
	for _, cb := range cbs {
		if err := cb.OnTrainBegin(r); err != nil {
			t.Fatal(err)
		}
	}
	for e, v := range val {
		r.Epoch = e
		m.w.Value.Fill(float64(e))
		logs := Logs{"val_loss": v, "val_accuracy": v, "lr": 0.1}
		if trainErr != nil {
			logs["loss"] = trainErr[e]
		} else {
			logs["loss"] = v
		}
		for _, cb := range cbs {
			if err := cb.OnEpochEnd(r, e, logs); err != nil {
				t.Fatal(err)
			}
		}
		if r.Stopping() {
			break
		}
	}
	if !r.Stopping() {
		r.Stop(StopMaxEpochs, "")
	}
	for _, cb := range cbs {
		if err := cb.OnTrainEnd(r); err != nil {
			t.Fatal(err)
		}
	}
	return r, m
}

func TestEarlyStoppingRules(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name  string
		cfg   EarlyStoppingConfig
		val   []float64
		train []float64
		want  outcome
	}{
		{"patience 0 stops at the first non-improvement", EarlyStoppingConfig{},
			[]float64{1, 0.9, 0.95, 0.5}, nil, outcome{2, StopPatience, 1, 1}},
		{"patience 1", EarlyStoppingConfig{Patience: 1},
			[]float64{1, 0.9, 0.95, 0.96}, nil, outcome{2, StopPatience, 1, 1}},
		{"patience 2 with a recovery", EarlyStoppingConfig{Patience: 2},
			[]float64{1, 0.9, 0.95, 0.85, 0.9, 0.91, 0.1}, nil, outcome{5, StopPatience, 3, 3}},
		{"a change of exactly MinDelta is not an improvement", EarlyStoppingConfig{Patience: 1, MinDelta: 0.25},
			[]float64{1, 0.75, 0.5}, nil, outcome{1, StopPatience, 0, 0}},
		{"a change beyond MinDelta is", EarlyStoppingConfig{Patience: 1, MinDelta: 0.25},
			[]float64{1, 0.7, 0.6}, nil, outcome{2, StopPatience, 1, 1}},
		{"ties are not improvements", EarlyStoppingConfig{Patience: 1},
			[]float64{1, 1, 1}, nil, outcome{1, StopPatience, 0, 0}},
		{"NaN first stops at once", EarlyStoppingConfig{Patience: 5},
			[]float64{nan, 0.5, 0.4}, nil, outcome{0, StopNonFinite, 0, -1}},
		{"NaN later stops at once and restores the best", EarlyStoppingConfig{Patience: 5},
			[]float64{1, 0.5, nan, 0.1}, nil, outcome{2, StopNonFinite, 1, 1}},
		{"infinity stops too", EarlyStoppingConfig{Patience: 5},
			[]float64{1, math.Inf(1)}, nil, outcome{1, StopNonFinite, 0, 0}},
		{"NaN allowed never improves, even first", EarlyStoppingConfig{Patience: 2, AllowNonFinite: true},
			[]float64{nan, 1, 0.5, nan, nan, 0.1}, nil, outcome{4, StopPatience, 2, 2}},
		{"a baseline never beaten", EarlyStoppingConfig{Patience: 3, Baseline: new(0.5)},
			[]float64{1, 0.9, 0.8, 0.7, 0.6}, nil, outcome{2, StopBaseline, 2, 2}},
		{"a baseline beaten", EarlyStoppingConfig{Patience: 2, Baseline: new(0.5)},
			[]float64{1, 0.4, 0.45, 0.46, 0.47}, nil, outcome{3, StopPatience, 1, 1}},
		{"start_from_epoch ignores the warm-up", EarlyStoppingConfig{Patience: 1, StartFromEpoch: 2},
			[]float64{0.1, 0.1, 1, 1.1, 1.2}, nil, outcome{3, StopPatience, 2, 2}},
		{"max mode inferred from the name", EarlyStoppingConfig{Monitor: "val_accuracy", Patience: 2},
			[]float64{0.5, 0.6, 0.6, 0.55, 0.9}, nil, outcome{3, StopPatience, 1, 1}},
		{"relative delta with negative values", EarlyStoppingConfig{Patience: 2, MinDelta: 0.1, RelativeDelta: true},
			[]float64{-10, -10.5, -11.5, -11.6, -11.7, -20}, nil, outcome{4, StopPatience, 2, 2}},
		{"stopping threshold keeps the epoch that reached it", EarlyStoppingConfig{Patience: 10, StoppingThreshold: new(0.1)},
			[]float64{1, 0.5, 0.09, 0.05}, nil, outcome{2, StopThreshold, 2, 2}},
		{"a value equal to the stopping threshold is not below it", EarlyStoppingConfig{Patience: 10, StoppingThreshold: new(0.5)},
			[]float64{1, 0.5, 0.4}, nil, outcome{2, StopThreshold, 2, 2}},
		{"MinDelta does not apply to the stopping threshold", EarlyStoppingConfig{Patience: 10, MinDelta: 0.25, StoppingThreshold: new(0.5)},
			[]float64{0.6, 0.45, 0.1}, nil, outcome{1, StopThreshold, 0, 0}},
		{"stopping threshold in max mode", EarlyStoppingConfig{Monitor: "val_accuracy", Patience: 10, StoppingThreshold: new(0.9)},
			[]float64{0.5, 0.9, 0.95, 0.2}, nil, outcome{2, StopThreshold, 2, 2}},
		{"divergence in max mode", EarlyStoppingConfig{Monitor: "val_accuracy", Patience: 10, DivergenceThreshold: new(0.1)},
			[]float64{0.5, 0.1, 0.05, 0.9}, nil, outcome{2, StopDivergence, 0, 0}},
		{"divergence threshold", EarlyStoppingConfig{Patience: 10, DivergenceThreshold: new(5.0)},
			[]float64{1, 2, 6, 0}, nil, outcome{2, StopDivergence, 0, 0}},
		{"MinEpochs holds back the rules", EarlyStoppingConfig{MinEpochs: 4},
			[]float64{1, 2, 3, 4, 5}, nil, outcome{3, StopPatience, 0, 0}},
		{"MinEpochs does not hold back the NaN check", EarlyStoppingConfig{MinEpochs: 4},
			[]float64{1, nan, 3}, nil, outcome{1, StopNonFinite, 0, 0}},
		{"max epochs, restoring the best", EarlyStoppingConfig{Patience: 10},
			[]float64{1, 0.5, 0.7, 0.8}, nil, outcome{-1, StopMaxEpochs, 1, 1}},
		{"GL", EarlyStoppingConfig{Patience: -1, GL: 10},
			[]float64{1, 0.8, 0.85, 0.9, 0.1}, nil, outcome{3, StopGL, 1, 1}},
		{"PQ at the end of a strip only", EarlyStoppingConfig{Patience: -1, PQ: 2.5, StripLength: 2},
			[]float64{1, 0.8, 0.9, 0.95, 0.1}, []float64{1, 0.9, 0.8, 0.79, 0.7}, outcome{3, StopPQ, 1, 1}},
		{"UP needs successive rising strips", EarlyStoppingConfig{Patience: -1, UP: 2, StripLength: 2},
			[]float64{1, 0.9, 0.95, 1.0, 0.8, 1.1, 1.2, 1.3}, nil, outcome{5, StopUP, 4, 4}},
		{"UP restarts when a strip falls", EarlyStoppingConfig{Patience: -1, UP: 2, StripLength: 1},
			[]float64{1, 1.1, 0.9, 1.0, 1.2, 0.1}, nil, outcome{4, StopUP, 2, 2}},
		{"patience off runs out the epochs", EarlyStoppingConfig{Patience: -1},
			[]float64{1, 2, 3}, nil, outcome{-1, StopMaxEpochs, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.RestoreBestWeights = true
			es := NewEarlyStopping(tt.cfg)
			r, m := simulate(t, tt.val, tt.train, es)
			got := outcome{r.StoppedEpoch(), es.StopReason(), m.epoch(), es.BestEpoch()}
			if tt.want.restored == 0 && tt.want.best == -1 {
				tt.want.restored = got.restored // nothing to restore: the weights stay as they were
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v (%s)", got, tt.want, es.Message())
			}
			if tt.want.stopped >= 0 && es.StoppedEpoch() != tt.want.stopped {
				t.Errorf("StoppedEpoch %d, want %d", es.StoppedEpoch(), tt.want.stopped)
			}
		})
	}
}

// TestPrecheltByHand checks GL and PQ against values worked out by hand.
func TestPrecheltByHand(t *testing.T) {
	es := NewEarlyStopping(EarlyStoppingConfig{Patience: -1, PQ: 2.9, StripLength: 2})
	for e, v := range [][2]float64{{1, 1}, {0.8, 0.9}, {0.9, 0.8}} {
		if stop, err := es.ObserveLogs(e, Logs{"val_loss": v[0], "loss": v[1]}); stop || err != nil {
			t.Fatalf("stopped at %d: %v", e, err)
		}
	}
	// Epoch 3 ends a strip: GL = 100·(0.95/0.8 − 1) = 18.75, the strip's
	// training errors 0.8 and 0.79 give P = 1000·(1.59/1.58 − 1) = 6.3291…,
	// and GL/P = 2.9625 > 2.9.
	stop, _ := es.ObserveLogs(3, Logs{"val_loss": 0.95, "loss": 0.79})
	if !stop || es.StopReason() != StopPQ || !strings.Contains(es.Message(), "= 2.962") {
		t.Errorf("PQ: stop %v %v %q", stop, es.StopReason(), es.Message())
	}
	es = NewEarlyStopping(EarlyStoppingConfig{Patience: -1, PQ: 2.97, StripLength: 2})
	for e, v := range [][2]float64{{1, 1}, {0.8, 0.9}, {0.9, 0.8}, {0.95, 0.79}} {
		if stop, _ := es.ObserveLogs(e, Logs{"val_loss": v[0], "loss": v[1]}); stop {
			t.Errorf("PQ with α just above 2.9625 stopped at %d", e)
		}
	}
}

func TestEarlyStoppingMessage(t *testing.T) {
	var out bytes.Buffer
	es := NewEarlyStopping(EarlyStoppingConfig{Patience: 2, MinDelta: 1e-6, RestoreBestWeights: true, Verbose: true, Out: &out})
	simulate(t, []float64{0.5, 0.0132, 0.02, 0.03}, nil, es)
	want := "Epoch 3: early stopping: val_loss did not improve by more than 1e-06 for 2 epochs; best 0.0132 at epoch 1; restored its weights"
	if es.Message() != want {
		t.Errorf("Message()\n got %q\nwant %q", es.Message(), want)
	}
	if strings.TrimSpace(out.String()) != want {
		t.Errorf("verbose output %q", out.String())
	}
	es = NewEarlyStopping(EarlyStoppingConfig{Patience: 1})
	simulate(t, []float64{1, 2}, nil, es)
	if es.Message() != "Epoch 1: early stopping: val_loss did not improve for 1 epochs; best 1 at epoch 0" {
		t.Errorf("Message() = %q", es.Message())
	}
	es = NewEarlyStopping(EarlyStoppingConfig{Patience: 1, MinDelta: 0.5, RelativeDelta: true})
	simulate(t, []float64{1, 2}, nil, es)
	if !strings.Contains(es.Message(), "by more than 0.5 relative") {
		t.Errorf("Message() = %q", es.Message())
	}
	es = NewEarlyStopping(EarlyStoppingConfig{Patience: 9})
	simulate(t, []float64{1, 2}, nil, es)
	if es.Message() != "no early stop (max_epochs); best 1 at epoch 0" {
		t.Errorf("Message() = %q", es.Message())
	}
}

// TestTwoStoppingCallbacks: both want to stop at the same epoch; the run
// takes the first one's reason and each reports its own.
func TestTwoStoppingCallbacks(t *testing.T) {
	a := NewEarlyStopping(EarlyStoppingConfig{Patience: 1})
	b := NewEarlyStopping(EarlyStoppingConfig{Patience: 5, StoppingThreshold: new(0.6)})
	r, _ := simulate(t, []float64{1, 0.5, 0.7}, nil, a, b)
	if r.StopReason() != StopThreshold || r.StoppedEpoch() != 1 {
		t.Errorf("run: %v at %d", r.StopReason(), r.StoppedEpoch())
	}
	if a.StopReason() != StopCallback || a.Stopped() {
		t.Errorf("a: %v stopped %v", a.StopReason(), a.Stopped())
	}
	a2 := NewEarlyStopping(EarlyStoppingConfig{Patience: 1})
	b2 := NewEarlyStopping(EarlyStoppingConfig{Patience: 1, Monitor: "loss"})
	r, _ = simulate(t, []float64{1, 2}, nil, a2, b2)
	if r.StopReason() != StopPatience || a2.StopReason() != StopPatience || b2.StopReason() != StopPatience || !a2.Stopped() || !b2.Stopped() {
		t.Errorf("both at once: run %v, a %v, b %v", r.StopReason(), a2.StopReason(), b2.StopReason())
	}
}

func TestEarlyStoppingReuse(t *testing.T) {
	es := NewEarlyStopping(EarlyStoppingConfig{Patience: 1, RestoreBestWeights: true})
	simulate(t, []float64{1, 2}, nil, es)
	_, m := simulate(t, []float64{5, 4, 3, 3.5, 0}, nil, es)
	if es.StoppedEpoch() != 3 || es.BestEpoch() != 2 || m.epoch() != 2 || es.Best() != 3 {
		t.Errorf("second run: stopped %d best %d (%v) restored %d", es.StoppedEpoch(), es.BestEpoch(), es.Best(), m.epoch())
	}
}

// TestHandWrittenLoop uses EarlyStopping without a Run, as the seed loop of
// the design does.
func TestHandWrittenLoop(t *testing.T) {
	m := newEpochModel()
	stop := NewEarlyStopping(EarlyStoppingConfig{Patience: 2, RestoreBestWeights: true})
	stop.Watch(m)
	vals := []float64{3, 2, 1, 1.5, 1.2, 0.1}
	last := -1
	for epoch, v := range vals {
		m.w.Value.Fill(float64(epoch))
		last = epoch
		if stop.Observe(epoch, v) {
			break
		}
		if epoch == 2 && !stop.Improved() {
			t.Error("Improved false after an improvement")
		}
	}
	if err := stop.RestoreBest(); err != nil {
		t.Fatal(err)
	}
	if last != 4 || m.epoch() != 2 || stop.Wait() != 2 {
		t.Errorf("stopped after epoch %d, restored %d, wait %d", last, m.epoch(), stop.Wait())
	}
	if !stop.Observe(5, 0.1) {
		t.Error("Observe after a stop must keep saying stop")
	}
}

func TestEarlyStoppingMissingMonitor(t *testing.T) {
	es := NewEarlyStopping(EarlyStoppingConfig{Monitor: "val_mse"})
	r := &Run{Model: newEpochModel(), Keys: []string{"loss", "lr"}}
	err := es.OnTrainBegin(r)
	if err == nil || !strings.Contains(err.Error(), `monitor "val_mse" will never be logged; the logs carry loss, lr`) {
		t.Errorf("OnTrainBegin: %v", err)
	}
	if _, err := es.ObserveLogs(0, Logs{"loss": 1}); err == nil || !strings.Contains(err.Error(), `epoch 0: "val_mse" is not in the logs, which hold loss`) {
		t.Errorf("ObserveLogs: %v", err)
	}
	pq := NewEarlyStopping(EarlyStoppingConfig{PQ: 1, TrainingMonitor: "train_err"})
	if err := pq.OnTrainBegin(&Run{Keys: []string{"val_loss"}}); err == nil || !strings.Contains(err.Error(), `"train_err"`) {
		t.Errorf("PQ OnTrainBegin: %v", err)
	}
	var out bytes.Buffer
	lax := NewEarlyStopping(EarlyStoppingConfig{AllowMissing: true, Out: &out})
	if err := lax.OnTrainBegin(r); err != nil {
		t.Fatal(err)
	}
	for e := range 3 {
		if stop, err := lax.ObserveLogs(e, Logs{"loss": 1, "lr": 0.1}); stop || err != nil {
			t.Fatalf("non-strict: %v %v", stop, err)
		}
	}
	if got := out.String(); strings.Count(got, "\n") != 1 || !strings.Contains(got, `"val_loss" is not in the logs, which hold loss, lr`) {
		t.Errorf("warning %q, want one line naming the keys", got)
	}
	// Observe follows the same policy as ObserveLogs: it stops, and Err
	// says why.
	pqHand := NewEarlyStopping(EarlyStoppingConfig{PQ: 1})
	if !pqHand.Observe(0, 1) || pqHand.StopReason() != StopError || !errors.Is(pqHand.Err(), ErrConfig) ||
		!strings.Contains(pqHand.Err().Error(), `"loss" is not in the logs`) {
		t.Errorf("Observe with a PQ rule: stop reason %v, Err %v", pqHand.StopReason(), pqHand.Err())
	}
	if !pqHand.Observe(1, 1) || pqHand.Err() == nil {
		t.Error("Observe after an error must keep saying stop")
	}
}

// TestObserveWithTraining: a hand loop passes PQ both errors, and the
// rule runs as it does on logs (the values of TestPrecheltByHand).
func TestObserveWithTraining(t *testing.T) {
	es := NewEarlyStopping(EarlyStoppingConfig{PQ: 2.9, StripLength: 2})
	for e, v := range [][2]float64{{1, 1}, {0.8, 0.9}, {0.9, 0.8}} {
		if es.ObserveWithTraining(e, v[0], v[1]) {
			t.Fatalf("stopped at %d: %v", e, es.Err())
		}
	}
	if !es.ObserveWithTraining(3, 0.95, 0.79) || es.StopReason() != StopPQ || es.Err() != nil {
		t.Errorf("PQ by hand: %v %v", es.StopReason(), es.Err())
	}
}

// TestEarlyStoppingNeedsItsModel: RestoreBestWeights in a hand loop that
// forgot Watch is an error at the first observation, not a silent no-op.
func TestEarlyStoppingNeedsItsModel(t *testing.T) {
	es := NewEarlyStopping(EarlyStoppingConfig{Patience: 3, RestoreBestWeights: true})
	if !es.Observe(0, 1) || !strings.Contains(es.Err().Error(), "RestoreBestWeights needs the model: call Watch(model)") {
		t.Errorf("without Watch: Err %v", es.Err())
	}
	if err := es.OnTrainBegin(&Run{Keys: []string{"val_loss"}}); err == nil || !errors.Is(err, ErrConfig) {
		t.Errorf("OnTrainBegin without a model: %v", err)
	}
	es = NewEarlyStopping(EarlyStoppingConfig{Patience: 3, RestoreBestWeights: true})
	es.Watch(newEpochModel())
	if es.Observe(0, 1) || es.Err() != nil {
		t.Errorf("with Watch: %v", es.Err())
	}
}

// TestCustomRule plugs a rule of the user's own into EarlyStopping: it is
// asked after the built-in ones, sees the progress, and gives its reason.
func TestCustomRule(t *testing.T) {
	var seen []int
	rule := RuleFunc(func(p *Progress) (StopReason, string) {
		seen = append(seen, len(p.Values))
		if p.Value() < 0.5 && p.Improved && p.BestEpoch == p.Epoch {
			return "good_enough", "below 0.5"
		}
		return NotStopped, ""
	})
	es := NewEarlyStopping(EarlyStoppingConfig{Patience: 2, RestoreBestWeights: true, Rules: []Rule{rule}})
	r, m := simulate(t, []float64{1, 0.9, 0.4, 0.3}, nil, es)
	if r.StoppedEpoch() != 2 || es.StopReason() != "good_enough" || m.epoch() != 2 || !strings.Contains(es.Message(), "Epoch 2: early stopping: below 0.5") {
		t.Errorf("stopped %d, %v, restored %d: %s", r.StoppedEpoch(), es.StopReason(), m.epoch(), es.Message())
	}
	if !slices.Equal(seen, []int{1, 2, 3}) {
		t.Errorf("the rule saw %v values", seen)
	}
	// A built-in rule that fires first wins.
	es = NewEarlyStopping(EarlyStoppingConfig{Patience: 1, Rules: []Rule{rule}})
	simulate(t, []float64{1, 2, 0.1}, nil, es)
	if es.StopReason() != StopPatience {
		t.Errorf("patience first: %v", es.StopReason())
	}
}

func TestEarlyStoppingConfigPanics(t *testing.T) {
	tests := []struct {
		cfg  EarlyStoppingConfig
		want string
	}{
		{EarlyStoppingConfig{MinDelta: -1}, "MinDelta -1 is negative"},
		{EarlyStoppingConfig{UP: -1}, "must not be negative"},
		{EarlyStoppingConfig{Monitor: "val_accuracy", GL: 5}, "Prechelt's criteria need a quantity to minimize"},
		{EarlyStoppingConfig{Mode: Mode(9)}, "unknown mode 9"},
	}
	for _, tt := range tests {
		func() {
			defer func() {
				e, ok := recover().(*ConfigError)
				if !ok || !strings.Contains(e.Error(), tt.want) {
					t.Errorf("panic %v, want a *ConfigError containing %q", e, tt.want)
				}
			}()
			NewEarlyStopping(tt.cfg)
		}()
	}
	// Explicit modes work for any name.
	NewEarlyStopping(EarlyStoppingConfig{Monitor: "val_widgets", Mode: Max})
	NewEarlyStopping(EarlyStoppingConfig{Monitor: "widgets", Mode: Min})
}

// TestUninferableMode: a name whose mode cannot be told is an error when
// training starts, after the check that it will be logged at all (a typo
// says so first), or at the first observation of a hand-written loop.
func TestUninferableMode(t *testing.T) {
	es := NewEarlyStopping(EarlyStoppingConfig{Monitor: "val_widgets"})
	err := es.OnTrainBegin(&Run{Keys: []string{"val_widgets"}})
	if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), `cannot tell whether "val_widgets" should be minimized or maximized`) {
		t.Errorf("OnTrainBegin: %v", err)
	}
	typo := NewEarlyStopping(EarlyStoppingConfig{Monitor: "val_los"})
	err = typo.OnTrainBegin(&Run{Keys: []string{"loss", "val_loss"}})
	if err == nil || !strings.Contains(err.Error(), `monitor "val_los" will never be logged; the logs carry loss, val_loss`) {
		t.Errorf("a typo: %v", err)
	}
	if !es.Observe(0, 1) || !strings.Contains(es.Err().Error(), "cannot tell whether") {
		t.Errorf("Observe: %v", es.Err())
	}
	for _, cb := range []Callback{
		NewReduceLROnPlateau(ReduceLROnPlateauConfig{Monitor: "val_widgets"}),
		NewModelCheckpoint(ModelCheckpointConfig{Path: "x", Monitor: "val_widgets", SaveBestOnly: true}),
	} {
		err := cb.OnTrainBegin(&Run{Keys: []string{"val_widgets"}, Optimizer: optim.NewSGD(nil, optim.SGDConfig{})})
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "cannot tell whether") {
			t.Errorf("%T: %v", cb, err)
		}
	}
}

func TestInferMode(t *testing.T) {
	for name, want := range map[string]Mode{
		"val_loss": Min, "loss": Min, "val_mse": Min, "error_rate": Min, "accuracy_loss": Min,
		"val_accuracy": Max, "acc": Max, "val_auc": Max, "f1_score": Max, "val_recall": Max,
	} {
		got, err := resolveMode(Auto, name)
		if err != nil || got != want {
			t.Errorf("%s: %v %v, want %v", name, got, err, want)
		}
	}
}

// TestEarlyStoppingResume saves the state halfway through a run and
// resumes in a fresh callback: it must stop where the straight run does,
// with the same best weights.
func TestEarlyStoppingResume(t *testing.T) {
	vals := []float64{1, 0.8, 0.9, 0.7, 0.75, 0.76, 0.77}
	cfg := EarlyStoppingConfig{Patience: 3, RestoreBestWeights: true, GL: 50}
	straight := NewEarlyStopping(cfg)
	_, ms := simulate(t, vals, nil, straight)

	m := newEpochModel()
	first := NewEarlyStopping(cfg)
	first.Watch(m)
	for e, v := range vals[:4] {
		m.w.Value.Fill(float64(e))
		first.Observe(e, v)
	}
	saved, meta := first.State()
	var buf bytes.Buffer
	if err := nn.WriteSafetensors(&buf, saved, meta); err != nil {
		t.Fatal(err)
	}
	loaded, loadedMeta, err := nn.ReadSafetensors(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	second := NewEarlyStopping(cfg)
	second.Watch(m)
	if err := second.LoadState(loaded, loadedMeta); err != nil {
		t.Fatal(err)
	}
	stopped := -1
	for e := 4; e < len(vals); e++ {
		m.w.Value.Fill(float64(e))
		if second.Observe(e, vals[e]) {
			stopped = e
			break
		}
	}
	second.RestoreBest()
	if stopped != straight.StoppedEpoch() || second.BestEpoch() != straight.BestEpoch() || m.epoch() != ms.epoch() {
		t.Errorf("resumed: stopped %d best %d restored %d; straight: %d %d %d",
			stopped, second.BestEpoch(), m.epoch(), straight.StoppedEpoch(), straight.BestEpoch(), ms.epoch())
	}
	if second.StopReason() != straight.StopReason() || second.Message() != straight.Message() {
		t.Errorf("resumed: %v %q; straight: %v %q", second.StopReason(), second.Message(), straight.StopReason(), straight.Message())
	}
}

// TestEarlyStoppingLoadStateRefuses checks that every field of a saved
// state is validated, with an error naming it, and that a refused state
// leaves the callback as it was.
func TestEarlyStoppingLoadStateRefuses(t *testing.T) {
	cfg := EarlyStoppingConfig{Patience: 3, RestoreBestWeights: true, PQ: 5}
	es := NewEarlyStopping(cfg)
	m := newEpochModel()
	es.Watch(m)
	for e, v := range []float64{1, 0.8, 0.9} {
		es.ObserveLogs(e, Logs{"val_loss": v, "loss": v})
	}
	good, goodMeta := es.State()
	tests := []struct {
		field string
		edit  func(s *nn.StateDict, meta map[string]string)
	}{
		{"reason", func(_ *nn.StateDict, meta map[string]string) { meta["reason"] = "-1" }},
		{"reason", func(_ *nn.StateDict, meta map[string]string) { meta["reason"] = "patience" }}, // not stopped
		{"wait", func(_ *nn.StateDict, meta map[string]string) { meta["wait"] = "NaN" }},
		{"wait", func(_ *nn.StateDict, meta map[string]string) { meta["wait"] = "1e300" }},
		{"wait", func(_ *nn.StateDict, meta map[string]string) { meta["wait"] = "99" }},
		{"best_epoch", func(_ *nn.StateDict, meta map[string]string) { meta["best_epoch"] = "-7" }},
		{"stopped_epoch", func(_ *nn.StateDict, meta map[string]string) { delete(meta, "stopped_epoch") }},
		{"best", func(_ *nn.StateDict, meta map[string]string) { meta["best"] = "NaN" }},
		{"best", func(_ *nn.StateDict, meta map[string]string) { meta["best"] = strings.Repeat("9", 1000) + "x" }},
		{"values", func(s *nn.StateDict, _ map[string]string) { s.Set("values", tensor.Zeros(2, 2)) }},
		{"train", func(s *nn.StateDict, _ map[string]string) { s.Set("train", tensor.Zeros(2)) }},
		{"best_weights.", func(s *nn.StateDict, _ map[string]string) { s.Set("best_weights.w", tensor.Zeros(3)) }},
		{"best_weights.", func(s *nn.StateDict, _ map[string]string) { s.Set("best_weights.extra", tensor.Zeros(1)) }},
	}
	for _, tt := range tests {
		s, meta := good.Clone(), maps.Clone(goodMeta)
		tt.edit(s, meta)
		fresh := NewEarlyStopping(cfg)
		fresh.Watch(m)
		err := fresh.LoadState(s, meta)
		var se *StateError
		if !errors.As(err, &se) || se.Field != tt.field || !errors.Is(err, ErrState) {
			t.Errorf("%s: %v", tt.field, err)
			continue
		}
		if len(err.Error()) > 300 {
			t.Errorf("%s: error of %d bytes quotes too much", tt.field, len(err.Error()))
		}
		if fresh.BestEpoch() != -1 || len(fresh.progress.Values) != 0 {
			t.Errorf("%s: a refused state changed the callback", tt.field)
		}
	}
	if err := NewEarlyStopping(cfg).LoadState(good, goodMeta); err != nil {
		t.Errorf("the good state: %v", err)
	}
}

// TestNewRules checks smoothing, the patience increase and MinEpochs'
// re-asking against sequences worked out by hand.
func TestNewRules(t *testing.T) {
	slow := []float64{1, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4}
	for v := 0.45; len(slow) < 22; v += 0.01 {
		slow = append(slow, v)
	}
	tests := []struct {
		name string
		cfg  EarlyStoppingConfig
		val  []float64
		want outcome
		best float64
	}{
		// EMA, α 0.5, bias-corrected: m/w = 0.5/0.5, 0.5/0.75, 1/0.875,
		// 0.7/0.9375 = 1, 2/3, 8/7, 0.7467: two epochs without improving on
		// 2/3 (the raw values would never stop patience 2).
		{"EMA", EarlyStoppingConfig{Patience: 2, SmoothEMA: 0.5}, []float64{1, 0.5, 1.5, 0.4, 1.6, 0.3, 1.7}, outcome{3, StopPatience, 1, 1}, 2.0 / 3},
		{"raw", EarlyStoppingConfig{Patience: 2}, []float64{1, 0.5, 1.5, 0.4, 1.6, 0.3, 1.7}, outcome{-1, StopMaxEpochs, 5, 5}, 0.3},
		// Median of 3: 1, 3, 1, 0.9, 0.9, 0.8, 0.75, 0.75, 0.76, 0.77 rides
		// out the outliers 5 and 6; raw, patience 3 stops at epoch 8.
		{"median", EarlyStoppingConfig{Patience: 3, SmoothMedian: 3}, []float64{1, 5, 0.9, 0.8, 6, 0.7, 0.75, 0.76, 0.77, 0.78, 0.79}, outcome{9, StopPatience, 6, 6}, 0.75},
		{"median raw", EarlyStoppingConfig{Patience: 3}, []float64{1, 5, 0.9, 0.8, 6, 0.7, 0.75, 0.76, 0.77, 0.78, 0.79}, outcome{8, StopPatience, 5, 5}, 0.7},
		// Patience 2 grown to ⌈2·6⌉ = 12 by the best epoch 6: stop at 18.
		{"patience increase", EarlyStoppingConfig{Patience: 2, PatienceIncrease: 2}, slow, outcome{18, StopPatience, 6, 6}, 0.4},
		{"no increase", EarlyStoppingConfig{Patience: 2}, slow, outcome{8, StopPatience, 6, 6}, 0.4},
		// UP₁ on strips of 2 would fire at epoch 3 (1.1 > 0.9), held by
		// MinEpochs 5; re-asked at epoch 4 on the last whole strip, it fires.
		{"MinEpochs re-asks a strip rule", EarlyStoppingConfig{UP: 1, StripLength: 2, MinEpochs: 5}, []float64{1, 0.9, 1.0, 1.1, 0.95, 0.96, 0.97}, outcome{4, StopUP, 1, 1}, 0.9},
		// Patience 1 would fire at epoch 1, held by MinEpochs 4; by epoch 3
		// the value improved, so nothing was locked in: stop at 4.
		{"MinEpochs locks nothing in", EarlyStoppingConfig{Patience: 1, MinEpochs: 4}, []float64{1, 2, 3, 0.5, 0.6, 0.1}, outcome{4, StopPatience, 3, 3}, 0.5},
	}
	for _, tt := range tests {
		tt.cfg.RestoreBestWeights = true
		es := NewEarlyStopping(tt.cfg)
		r, m := simulate(t, tt.val, nil, es)
		got := outcome{r.StoppedEpoch(), es.StopReason(), m.epoch(), es.BestEpoch()}
		if got != tt.want || math.Abs(es.Best()-tt.best) > 1e-12 {
			t.Errorf("%s: %+v best %v, want %+v best %v (%s)", tt.name, got, es.Best(), tt.want, tt.best, es.Message())
		}
	}
	es := NewEarlyStopping(EarlyStoppingConfig{Patience: 2, PatienceIncrease: 2})
	simulate(t, slow, nil, es)
	if !strings.Contains(es.Message(), "(patience grown to 12 with the best epoch 6)") {
		t.Errorf("message %q", es.Message())
	}
	for _, cfg := range []EarlyStoppingConfig{{SmoothEMA: 0.5, SmoothMedian: 3}, {SmoothEMA: 2}, {PatienceIncrease: -1}} {
		func() {
			defer func() {
				if _, ok := recover().(*ConfigError); !ok {
					t.Errorf("%+v did not panic with a *ConfigError", cfg)
				}
			}()
			NewEarlyStopping(cfg)
		}()
	}
}

// TestSmoothingResumes: the smoothing's state is saved and loaded with
// the rest, so a resumed run smooths as the straight one does.
func TestSmoothingResumes(t *testing.T) {
	vals := []float64{1, 5, 0.9, 0.8, 6, 0.7, 0.75, 0.76, 0.77, 0.78, 0.79}
	for _, cfg := range []EarlyStoppingConfig{{Patience: 3, SmoothMedian: 3}, {Patience: 6, SmoothEMA: 0.3}} {
		straight := NewEarlyStopping(cfg)
		simulate(t, vals, nil, straight)
		if straight.StoppedEpoch() <= 4 {
			t.Fatalf("%+v stops at %d, before the interruption", cfg, straight.StoppedEpoch())
		}
		first := NewEarlyStopping(cfg)
		for e, v := range vals[:4] {
			first.Observe(e, v)
		}
		s, meta := first.State()
		second := NewEarlyStopping(cfg)
		if err := second.LoadState(s, meta); err != nil {
			t.Fatal(err)
		}
		stopped := -1
		for e := 4; e < len(vals); e++ {
			if second.Observe(e, vals[e]) {
				stopped = e
				break
			}
		}
		if stopped != straight.StoppedEpoch() || second.Best() != straight.Best() {
			t.Errorf("%+v: resumed stops at %d best %v, straight at %d best %v", cfg, stopped, second.Best(), straight.StoppedEpoch(), straight.Best())
		}
	}
}

// TestAlsoMonitor: training goes on while any monitored quantity improves,
// and the best epoch is chosen lexicographically (val_loss, then
// val_accuracy among epochs that tie on it).
func TestAlsoMonitor(t *testing.T) {
	loss := []float64{1, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8}
	acc := []float64{0.5, 0.6, 0.7, 0.8, 0.8, 0.8, 0.8}
	run := func(cfg EarlyStoppingConfig) (*EarlyStopping, *epochModel, int) {
		es := NewEarlyStopping(cfg)
		m := newEpochModel()
		es.Watch(m)
		for e := range loss {
			m.w.Value.Fill(float64(e))
			if stop, err := es.ObserveLogs(e, Logs{"val_loss": loss[e], "val_accuracy": acc[e]}); stop || err != nil {
				es.RestoreBest()
				return es, m, e
			}
		}
		return es, m, -1
	}
	alone, _, at := run(EarlyStoppingConfig{Patience: 2, RestoreBestWeights: true})
	if at != 3 || alone.BestEpoch() != 1 {
		t.Errorf("val_loss alone: stopped at %d, best %d", at, alone.BestEpoch())
	}
	both, m, at := run(EarlyStoppingConfig{Patience: 2, RestoreBestWeights: true, AlsoMonitor: []Monitored{{Name: "val_accuracy"}}})
	if at != 5 || both.BestEpoch() != 3 || m.epoch() != 3 || both.Best() != 0.8 {
		t.Errorf("with val_accuracy: stopped at %d, best %v at %d, restored %d (%s)", at, both.Best(), both.BestEpoch(), m.epoch(), both.Message())
	}
	if !strings.Contains(both.Message(), "val_loss and val_accuracy did not improve for 2 epochs") {
		t.Errorf("message %q", both.Message())
	}
	// Replayed on a curve, the same.
	curve := Curve{Series: map[string][]float64{"val_loss": loss, "val_accuracy": acc}}
	if r := Replay(EarlyStoppingConfig{Patience: 2, AlsoMonitor: []Monitored{{Name: "val_accuracy"}}}, curve); r.StopEpoch != 5 || r.BestEpoch != 3 {
		t.Errorf("replayed: %+v", r)
	}
	// Saved halfway and resumed, the same.
	cfg := EarlyStoppingConfig{Patience: 2, AlsoMonitor: []Monitored{{Name: "val_accuracy"}}}
	first := NewEarlyStopping(cfg)
	for e := range 3 {
		first.ObserveLogs(e, Logs{"val_loss": loss[e], "val_accuracy": acc[e]})
	}
	s, meta := first.State()
	second := NewEarlyStopping(cfg)
	if err := second.LoadState(s, meta); err != nil {
		t.Fatal(err)
	}
	stopped := -1
	for e := 3; e < len(loss); e++ {
		if stop, _ := second.ObserveLogs(e, Logs{"val_loss": loss[e], "val_accuracy": acc[e]}); stop {
			stopped = e
			break
		}
	}
	if stopped != 5 || second.BestEpoch() != 3 {
		t.Errorf("resumed: stopped at %d, best %d", stopped, second.BestEpoch())
	}
	// A further monitor that is missing, never logged, or of unknown mode.
	es := NewEarlyStopping(cfg)
	if _, err := es.ObserveLogs(0, Logs{"val_loss": 1}); err == nil || !strings.Contains(err.Error(), `"val_accuracy" is not in the logs`) {
		t.Errorf("missing: %v", err)
	}
	if err := NewEarlyStopping(cfg).OnTrainBegin(&Run{Keys: []string{"val_loss"}}); err == nil || !strings.Contains(err.Error(), `monitor "val_accuracy" will never be logged`) {
		t.Errorf("never logged: %v", err)
	}
	odd := NewEarlyStopping(EarlyStoppingConfig{AlsoMonitor: []Monitored{{Name: "widgets"}}})
	if !odd.Observe(0, 1) || !strings.Contains(odd.Err().Error(), `"widgets" should be minimized or maximized`) {
		t.Errorf("uninferable: %v", odd.Err())
	}
}
