package tune

// Numbers from Optuna 3.1, by testdata/tpe_reference.py (which also
// explains the one patch it makes to Optuna: the 1/σ of each component).

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// fixedDraws is a random source whose Float64 draws are given: NumPy's
// random_sample values are multiples of 2⁻⁵³, which rand.Float64 returns
// exactly from the integer Uint64 gives.
type fixedDraws struct {
	u []float64
	i int
}

func (f *fixedDraws) Uint64() uint64 {
	v := f.u[f.i]
	f.i++
	return uint64(v * (1 << 53))
}

func (f *fixedDraws) next() float64 {
	v := f.u[f.i]
	f.i++
	return v
}

var approx = cmpopts.EquateApprox(1e-12, 1e-13)

func TestParzenAgainstOptuna(t *testing.T) {
	cases := []struct {
		name                      string
		d                         Distribution
		prior                     bool
		priorWeight               float64
		clip, endpoints           bool
		obs, weights, mus, sigmas []float64
		probs                     [][]float64
		points, logPDF            []float64
		draws, samples            []float64
	}{
		{name: "float",
			d:     Distribution{Kind: FloatParam, Low: -5.0, High: 5.0, Step: 0.0, Log: false},
			prior: true, priorWeight: 1.0, clip: true, endpoints: false,
			obs:     []float64{1.0, -2.5, 3.3, 0.2},
			weights: []float64{0.2, 0.2, 0.2, 0.2, 0.2},
			mus:     []float64{1.0, -2.5, 3.3, 0.2, 0.0},
			sigmas:  []float64{2.3, 2.5, 2.3, 1.6666666666666667, 10.0},
			points:  []float64{-4.9, 0.0, 1.0, 4.99},
			logPDF:  []float64{-3.1162622150717936, -1.9610252140415787, -1.9557758865540318, -2.779566036415391},
			draws:   []float64{0.1802696888767692, 0.019475241487624584, 0.4632185264983446, 0.7249339291921478, 0.42020360458772743, 0.4854270981677824, 0.012780814590608647, 0.4873716073198716, 0.9418066523433661, 0.8507950893767787, 0.7299644702208186, 0.10873607186897494},
			samples: []float64{-3.8902742969865773, 0.8252377606783258, 4.676786863661686, 1.9219534412718329, 3.6599295901184403, 0.12719409419778716}},
		{name: "float log",
			d:     Distribution{Kind: FloatParam, Low: 0.0001, High: 0.1, Step: 0.0, Log: true},
			prior: true, priorWeight: 1.0, clip: true, endpoints: false,
			obs:     []float64{0.001, 0.05, 0.0002},
			weights: []float64{0.25, 0.25, 0.25, 0.25},
			mus:     []float64{-6.907755278982137, -2.995732273553991, -8.517193191416238, -5.756462732485113},
			sigmas:  []float64{1.6094379124341014, 2.7607304589311226, 1.6094379124341014, 6.907755278982137},
			points:  []float64{0.0001, 0.003, 0.09},
			logPDF:  []float64{-1.9169599621585254, -1.8960571246176496, -2.352655983662776},
			draws:   []float64{0.1802696888767692, 0.019475241487624584, 0.4632185264983446, 0.7249339291921478, 0.42020360458772743, 0.4854270981677824, 0.012780814590608647, 0.4873716073198716, 0.9418066523433661, 0.8507950893767787, 0.7299644702208186, 0.10873607186897494},
			samples: []float64{0.000113331256884781, 0.0011081488985611786, 0.07853948938233607, 0.0015802672958260462, 0.03310358384627001, 0.0009583728651857247}},
		{name: "float step",
			d:     Distribution{Kind: FloatParam, Low: 0.0, High: 1.0, Step: 0.1, Log: false},
			prior: true, priorWeight: 1.0, clip: true, endpoints: false,
			obs:     []float64{0.2, 0.5, 0.5, 0.9},
			weights: []float64{0.2, 0.2, 0.2, 0.2, 0.2},
			mus:     []float64{0.2, 0.5, 0.5, 0.9, 0.5},
			sigmas:  []float64{0.3, 0.3, 0.18333333333333335, 0.4, 1.1},
			points:  []float64{0.0, 0.5, 0.6, 1.0},
			logPDF:  []float64{-2.907544399416802, -2.0427681305636023, -2.1171094830926824, -2.871270814693206},
			draws:   []float64{0.1802696888767692, 0.019475241487624584, 0.4632185264983446, 0.7249339291921478, 0.42020360458772743, 0.4854270981677824, 0.012780814590608647, 0.4873716073198716, 0.9418066523433661, 0.8507950893767787, 0.7299644702208186, 0.10873607186897494},
			samples: []float64{0.0, 0.30000000000000004, 0.8, 1.0, 0.6000000000000001, 0.30000000000000004}},
		{name: "int",
			d:     Distribution{Kind: IntParam, Low: 1.0, High: 10.0, Step: 1.0, Log: false},
			prior: true, priorWeight: 1.0, clip: true, endpoints: false,
			obs:     []float64{3.0, 7.0, 7.0},
			weights: []float64{0.25, 0.25, 0.25, 0.25},
			mus:     []float64{3.0, 7.0, 7.0, 5.5},
			sigmas:  []float64{2.5, 2.0, 2.0, 10.0},
			points:  []float64{1.0, 3.0, 5.0, 10.0},
			logPDF:  []float64{-2.8270621497054975, -2.442766469763524, -2.0918570493451867, -2.83531847143719},
			draws:   []float64{0.1802696888767692, 0.019475241487624584, 0.4632185264983446, 0.7249339291921478, 0.42020360458772743, 0.4854270981677824, 0.012780814590608647, 0.4873716073198716, 0.9418066523433661, 0.8507950893767787, 0.7299644702208186, 0.10873607186897494},
			samples: []float64{1.0, 3.0, 10.0, 9.0, 8.0, 4.0}},
		{name: "int step",
			d:     Distribution{Kind: IntParam, Low: 0.0, High: 12.0, Step: 3.0, Log: false},
			prior: true, priorWeight: 2.0, clip: true, endpoints: false,
			obs:     []float64{3.0, 9.0},
			weights: []float64{0.25, 0.25, 0.5},
			mus:     []float64{3.0, 9.0, 6.0},
			sigmas:  []float64{3.75, 3.75, 15.0},
			points:  []float64{0.0, 6.0, 12.0},
			logPDF:  []float64{-1.7910435759204852, -1.4521730624741633, -1.7910435759204852},
			draws:   []float64{0.1802696888767692, 0.019475241487624584, 0.4632185264983446, 0.7249339291921478, 0.42020360458772743, 0.4854270981677824, 0.012780814590608647, 0.4873716073198716, 0.9418066523433661, 0.8507950893767787, 0.7299644702208186, 0.10873607186897494},
			samples: []float64{0.0, 3.0, 12.0, 12.0, 9.0, 3.0}},
		{name: "int log",
			d:     Distribution{Kind: IntParam, Low: 1.0, High: 1000.0, Step: 1.0, Log: true},
			prior: true, priorWeight: 1.0, clip: true, endpoints: false,
			obs:     []float64{10.0, 200.0, 3.0},
			weights: []float64{0.25, 0.25, 0.25, 0.25},
			mus:     []float64{2.302585092994046, 5.298317366548036, 1.0986122886681098, 3.1075539867319213},
			sigmas:  []float64{1.5202804669167467, 2.190763379816115, 1.5202804669167467, 7.601402334583733},
			points:  []float64{1.0, 10.0, 999.0},
			logPDF:  []float64{-2.1762292907915395, -1.71932722253862, -2.5719158359782464},
			draws:   []float64{0.1802696888767692, 0.019475241487624584, 0.4632185264983446, 0.7249339291921478, 0.42020360458772743, 0.4854270981677824, 0.012780814590608647, 0.4873716073198716, 0.9418066523433661, 0.8507950893767787, 0.7299644702208186, 0.10873607186897494},
			samples: []float64{1.0, 10.0, 737.0, 16.0, 282.0, 10.0}},
		{name: "categorical",
			d:     Distribution{Kind: CategoricalParam, Choices: []string{"a", "b", "c"}},
			prior: true, priorWeight: 1.0, clip: true, endpoints: false,
			obs:     []float64{0.0, 2.0, 2.0},
			weights: []float64{0.25, 0.25, 0.25, 0.25},
			probs:   [][]float64{{0.7142857142857143, 0.14285714285714285, 0.14285714285714285}, {0.14285714285714285, 0.14285714285714285, 0.7142857142857143}, {0.14285714285714285, 0.14285714285714285, 0.7142857142857143}, {0.3333333333333333, 0.3333333333333333, 0.3333333333333333}},
			points:  []float64{0.0, 1.0, 2.0},
			logPDF:  []float64{-1.0986122886681096, -1.6582280766035324, -0.7419373447293772},
			draws:   []float64{0.1802696888767692, 0.019475241487624584, 0.4632185264983446, 0.7249339291921478, 0.42020360458772743, 0.4854270981677824, 0.012780814590608647, 0.4873716073198716, 0.9418066523433661, 0.8507950893767787, 0.7299644702208186, 0.10873607186897494},
			samples: []float64{0.0, 0.0, 2.0, 2.0, 2.0, 0.0}},
		{name: "categorical no prior",
			d:     Distribution{Kind: CategoricalParam, Choices: []string{"a", "b"}},
			prior: false, priorWeight: 0.5, clip: true, endpoints: false,
			obs:     []float64{1.0, 1.0, 0.0},
			weights: []float64{0.3333333333333333, 0.3333333333333333, 0.3333333333333333},
			probs:   [][]float64{{0.12499999999999999, 0.875}, {0.12499999999999999, 0.875}, {0.875, 0.12499999999999999}},
			points:  []float64{0.0, 1.0},
			logPDF:  []float64{-0.9808292530117264, -0.47000362924573574},
			draws:   []float64{0.1802696888767692, 0.019475241487624584, 0.4632185264983446, 0.7249339291921478, 0.42020360458772743, 0.4854270981677824, 0.012780814590608647, 0.4873716073198716, 0.9418066523433661, 0.8507950893767787, 0.7299644702208186, 0.10873607186897494},
			samples: []float64{0.0, 1.0, 1.0, 0.0, 1.0, 0.0}},
		{name: "no prior, endpoints, no clip",
			d:     Distribution{Kind: FloatParam, Low: 0.0, High: 10.0, Step: 0.0, Log: false},
			prior: false, priorWeight: 1.0, clip: false, endpoints: true,
			obs:     []float64{1.0, 2.0, 8.0},
			weights: []float64{0.3333333333333333, 0.3333333333333333, 0.3333333333333333},
			mus:     []float64{1.0, 2.0, 8.0},
			sigmas:  []float64{1.0, 6.0, 6.0},
			points:  []float64{0.5, 2.0, 9.0},
			logPDF:  []float64{-1.618843215041885, -1.8208753287432935, -2.7914337786828534},
			draws:   []float64{0.1802696888767692, 0.019475241487624584, 0.4632185264983446, 0.7249339291921478, 0.42020360458772743, 0.4854270981677824, 0.012780814590608647, 0.4873716073198716, 0.9418066523433661, 0.8507950893767787, 0.7299644702208186, 0.10873607186897494},
			samples: []float64{0.04349399162954648, 1.1730725392055537, 8.97259323130626, 8.755262270061143, 6.298750037325517, 0.9125334385540522}},
		{name: "prior only",
			d:     Distribution{Kind: FloatParam, Low: 0.0, High: 1.0, Step: 0.0, Log: false},
			prior: true, priorWeight: 1.0, clip: true, endpoints: false,
			obs:     []float64{},
			weights: []float64{1.0},
			mus:     []float64{0.5},
			sigmas:  []float64{1.0},
			points:  []float64{0.1, 0.5},
			logPDF:  []float64{-0.039022199509050504, 0.04097780049094957},
			draws:   []float64{0.1802696888767692, 0.019475241487624584, 0.4632185264983446, 0.7249339291921478, 0.42020360458772743, 0.4854270981677824, 0.012780814590608647, 0.4873716073198716, 0.9418066523433661, 0.8507950893767787, 0.7299644702208186, 0.10873607186897494},
			samples: []float64{0.013853446776444622, 0.4878783349132976, 0.9376466569296303, 0.8433387461679286, 0.7225551499287868, 0.1151527385651212}},
		{name: "ramped weights",
			d:     Distribution{Kind: FloatParam, Low: 0.0, High: 1.0, Step: 0.0, Log: false},
			prior: true, priorWeight: 1.0, clip: true, endpoints: false,
			obs:     []float64{0.22199317108973948, 0.8707323061773764, 0.20671915533942642, 0.9186109079379216, 0.48841118879482914, 0.6117438629026457, 0.7659078564803156, 0.5184179878729432, 0.29680050157622195, 0.18772122866125163, 0.08074126876487486, 0.73844029619897, 0.4413092228959531, 0.1583098677126512, 0.8799370312012789, 0.27408646199222464, 0.4142350190810513, 0.29607993273364797, 0.6287879088794833, 0.579837810189545, 0.5999291966249876, 0.26581911753550724, 0.2846858806413638, 0.2535882057737875, 0.3275639476887341, 0.14416430065342045, 0.1656128612012676, 0.9639305290679419, 0.9602267152856938, 0.18841465559593518},
			weights: []float64{0.0011661807580174927, 0.009620991253644314, 0.018075801749271137, 0.026530612244897955, 0.034985422740524776, 0.034985422740524776, 0.034985422740524776, 0.034985422740524776, 0.034985422740524776, 0.034985422740524776, 0.034985422740524776, 0.034985422740524776, 0.034985422740524776, 0.034985422740524776, 0.034985422740524776, 0.034985422740524776, 0.034985422740524776, 0.034985422740524776, 0.034985422740524776, 0.034985422740524776, 0.034985422740524776, 0.034985422740524776, 0.034985422740524776, 0.034985422740524776, 0.034985422740524776, 0.034985422740524776, 0.034985422740524776, 0.034985422740524776, 0.034985422740524776, 0.034985422740524776, 0.034985422740524776},
			mus:     []float64{0.22199317108973948, 0.8707323061773764, 0.20671915533942642, 0.9186109079379216, 0.48841118879482914, 0.6117438629026457, 0.7659078564803156, 0.5184179878729432, 0.29680050157622195, 0.18772122866125163, 0.08074126876487486, 0.73844029619897, 0.4413092228959531, 0.1583098677126512, 0.8799370312012789, 0.27408646199222464, 0.4142350190810513, 0.29607993273364797, 0.6287879088794833, 0.579837810189545, 0.5999291966249876, 0.26581911753550724, 0.2846858806413638, 0.2535882057737875, 0.3275639476887341, 0.14416430065342045, 0.1656128612012676, 0.9639305290679419, 0.9602267152856938, 0.18841465559593518, 0.5},
			sigmas:  []float64{0.03159503468404801, 0.10482444969706084, 0.03125, 0.04161580734777226, 0.04710196589887605, 0.03125, 0.10482444969706084, 0.06141982231660181, 0.03125, 0.03125, 0.06342303188854559, 0.10965238731948668, 0.04710196589887605, 0.03125, 0.03867387673664269, 0.03125, 0.08667107139231722, 0.03125, 0.10965238731948668, 0.06141982231660181, 0.03125, 0.03125, 0.03125, 0.03159503468404801, 0.08667107139231722, 0.06342303188854559, 0.03125, 0.03125, 0.04161580734777226, 0.03125, 1.0},
			points:  []float64{0.05, 0.5, 0.95},
			logPDF:  []float64{-1.1169676290795125, -0.019212744552890237, 0.2104982441310359},
			draws:   []float64{0.1802696888767692, 0.019475241487624584, 0.4632185264983446, 0.7249339291921478, 0.42020360458772743, 0.4854270981677824, 0.012780814590608647, 0.4873716073198716, 0.9418066523433661, 0.8507950893767787, 0.7299644702208186, 0.10873607186897494},
			samples: []float64{0.3812793364966244, 0.20572978113881046, 0.3231527793268478, 0.28644228721989556, 0.9035514191391765, 0.3073458764342512}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newParzen(c.obs, c.d, parzenParams{prior: c.prior, priorWeight: c.priorWeight, magicClip: c.clip,
				considerEndpoints: c.endpoints, weights: defaultWeights})
			if d := cmp.Diff(c.weights, e.weights, approx); d != "" {
				t.Errorf("weights (-Optuna +tune):\n%s", d)
			}
			if d := cmp.Diff(c.mus, e.mus, approx); d != "" {
				t.Errorf("means (-Optuna +tune):\n%s", d)
			}
			if d := cmp.Diff(c.sigmas, e.sigmas, approx); d != "" {
				t.Errorf("deviations (-Optuna +tune):\n%s", d)
			}
			if d := cmp.Diff(c.probs, e.probs, approx); d != "" {
				t.Errorf("choice probabilities (-Optuna +tune):\n%s", d)
			}
			if d := cmp.Diff(c.logPDF, e.logPDF(c.points), approx); d != "" {
				t.Errorf("log densities (-Optuna +tune):\n%s", d)
			}
			draws := &fixedDraws{u: c.draws}
			if d := cmp.Diff(c.samples, e.sample(draws.next, len(c.samples)), cmpopts.EquateApprox(1e-10, 1e-12)); d != "" {
				t.Errorf("samples from the same draws (-Optuna +tune):\n%s", d)
			}
		})
	}
}

// A whole TPE draw: the trials' ranking (complete before pruned, pruned
// later before pruned earlier), the split, the two estimators and the
// candidate chosen from the same draws as Optuna's.
func TestTPEAgainstOptuna(t *testing.T) {
	cases := []struct {
		direction    Direction
		trials       []FrozenTrial
		below, above []int
		draws        []float64
		chosen       float64
	}{
		{direction: Minimize,
			trials: []FrozenTrial{
				{State: Complete, Params: map[string]any{"x": 1.0159580514915092}, Distributions: map[string]Distribution{"x": {Kind: FloatParam, Low: -10, High: 10}}, Reports: map[int]float64{}, Value: 0.9683385564243873},
				{State: Complete, Params: map[string]any{"x": 4.162956452362096}, Distributions: map[string]Distribution{"x": {Kind: FloatParam, Low: -10, High: 10}}, Reports: map[int]float64{}, Value: 4.678380614814823},
				{State: Complete, Params: map[string]any{"x": -4.181905221741113}, Distributions: map[string]Distribution{"x": {Kind: FloatParam, Low: -10, High: 10}}, Reports: map[int]float64{}, Value: 38.21595217059004},
				{State: Pruned, Params: map[string]any{"x": 0.2165521039532603}, Distributions: map[string]Distribution{"x": {Kind: FloatParam, Low: -10, High: 10}}, Reports: map[int]float64{0: 8.180686397913542}, Value: math.NaN()},
				{State: Complete, Params: map[string]any{"x": 7.858939086953093}, Distributions: map[string]Distribution{"x": {Kind: FloatParam, Low: -10, High: 10}}, Reports: map[int]float64{}, Value: 34.32716722462674},
				{State: Complete, Params: map[string]any{}, Distributions: map[string]Distribution{}, Reports: map[int]float64{}, Value: 50.0},
				{State: Complete, Params: map[string]any{"x": -7.488293790723275}, Distributions: map[string]Distribution{"x": {Kind: FloatParam, Low: -10, High: 10}}, Reports: map[int]float64{}, Value: 90.02771905907787},
				{State: Pruned, Params: map[string]any{"x": -5.855142437236265}, Distributions: map[string]Distribution{"x": {Kind: FloatParam, Low: -10, High: 10}}, Reports: map[int]float64{0: 66.70326270927009, 1: 65.70326270927009}, Value: math.NaN()},
				{State: Complete, Params: map[string]any{"x": -8.970655933983402}, Distributions: map[string]Distribution{"x": {Kind: FloatParam, Low: -10, High: 10}}, Reports: map[int]float64{}, Value: 120.35529162184523},
				{State: Complete, Params: map[string]any{"x": -1.1838031269872715}, Distributions: map[string]Distribution{"x": {Kind: FloatParam, Low: -10, High: 10}}, Reports: map[int]float64{}, Value: 10.136602351413929},
				{State: Complete, Params: map[string]any{"x": -9.402475782428661}, Distributions: map[string]Distribution{"x": {Kind: FloatParam, Low: -10, High: 10}}, Reports: map[int]float64{}, Value: 130.0164539688721},
				{State: Pruned, Params: map[string]any{"x": -0.8633355121057775}, Distributions: map[string]Distribution{"x": {Kind: FloatParam, Low: -10, High: 10}}, Reports: map[int]float64{0: 13.198690254886055, 1: 12.198690254886055, 2: 11.198690254886055}, Value: math.NaN()},
				{State: Complete, Params: map[string]any{"x": 2.982880952295215}, Distributions: map[string]Distribution{"x": {Kind: FloatParam, Low: -10, High: 10}}, Reports: map[int]float64{}, Value: 0.9660549663847485},
				{State: Complete, Params: map[string]any{"x": -4.430254347040494}, Distributions: map[string]Distribution{"x": {Kind: FloatParam, Low: -10, High: 10}}, Reports: map[int]float64{}, Value: 41.348170967633166},
			},
			below: []int{0, 12}, above: []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13},
			draws:  []float64{0.04872488080912729, 0.28910965978981684, 0.7209663468312298, 0.021616249915949792, 0.20592276526743902, 0.0507732566953768, 0.30227189396461684, 0.6639102946247, 0.30811439323687884, 0.5835912762185987, 0.06957095461260054, 0.8674044839930883, 0.13324051925174774, 0.17812466155949835, 0.4959295498261558, 0.8636996445582236, 0.7589438355121143, 0.9704851253491577, 0.7593025527855528, 0.3842500320901294, 0.40871832944373254, 0.7133604278844787, 0.27066977267313375, 0.854102871991344, 0.9131639696118056, 0.7607560696646062, 0.5166685377580662, 0.16783576522150734, 0.2986922916088657, 0.28394304503063383, 0.32721257661773095, 0.46014033379297603, 0.5443683594576376, 0.21740086975972195, 0.7998683269389765, 0.7266844492965354, 0.8492927133912169, 0.2675218045820723, 0.6148247111484346, 0.6527560731939891, 0.38681643413428557, 0.41035417857281875, 0.8101575494926372, 0.6003692653821349, 0.8983403385846943, 0.490032225049018, 0.8283181322162818, 0.8588894711682389},
			chosen: 3.662685477283252},
		{direction: Maximize,
			trials: []FrozenTrial{
				{State: Complete, Params: map[string]any{"x": 1.0159580514915092}, Distributions: map[string]Distribution{"x": {Kind: FloatParam, Low: -10, High: 10}}, Reports: map[int]float64{}, Value: 0.9683385564243873},
				{State: Complete, Params: map[string]any{"x": 4.162956452362096}, Distributions: map[string]Distribution{"x": {Kind: FloatParam, Low: -10, High: 10}}, Reports: map[int]float64{}, Value: 4.678380614814823},
				{State: Complete, Params: map[string]any{"x": -4.181905221741113}, Distributions: map[string]Distribution{"x": {Kind: FloatParam, Low: -10, High: 10}}, Reports: map[int]float64{}, Value: 38.21595217059004},
				{State: Pruned, Params: map[string]any{"x": 0.2165521039532603}, Distributions: map[string]Distribution{"x": {Kind: FloatParam, Low: -10, High: 10}}, Reports: map[int]float64{0: 8.180686397913542}, Value: math.NaN()},
				{State: Complete, Params: map[string]any{"x": 7.858939086953093}, Distributions: map[string]Distribution{"x": {Kind: FloatParam, Low: -10, High: 10}}, Reports: map[int]float64{}, Value: 34.32716722462674},
				{State: Complete, Params: map[string]any{}, Distributions: map[string]Distribution{}, Reports: map[int]float64{}, Value: 50.0},
				{State: Complete, Params: map[string]any{"x": -7.488293790723275}, Distributions: map[string]Distribution{"x": {Kind: FloatParam, Low: -10, High: 10}}, Reports: map[int]float64{}, Value: 90.02771905907787},
				{State: Pruned, Params: map[string]any{"x": -5.855142437236265}, Distributions: map[string]Distribution{"x": {Kind: FloatParam, Low: -10, High: 10}}, Reports: map[int]float64{0: 66.70326270927009, 1: 65.70326270927009}, Value: math.NaN()},
				{State: Complete, Params: map[string]any{"x": -8.970655933983402}, Distributions: map[string]Distribution{"x": {Kind: FloatParam, Low: -10, High: 10}}, Reports: map[int]float64{}, Value: 120.35529162184523},
				{State: Complete, Params: map[string]any{"x": -1.1838031269872715}, Distributions: map[string]Distribution{"x": {Kind: FloatParam, Low: -10, High: 10}}, Reports: map[int]float64{}, Value: 10.136602351413929},
				{State: Complete, Params: map[string]any{"x": -9.402475782428661}, Distributions: map[string]Distribution{"x": {Kind: FloatParam, Low: -10, High: 10}}, Reports: map[int]float64{}, Value: 130.0164539688721},
				{State: Pruned, Params: map[string]any{"x": -0.8633355121057775}, Distributions: map[string]Distribution{"x": {Kind: FloatParam, Low: -10, High: 10}}, Reports: map[int]float64{0: 13.198690254886055, 1: 12.198690254886055, 2: 11.198690254886055}, Value: math.NaN()},
				{State: Complete, Params: map[string]any{"x": 2.982880952295215}, Distributions: map[string]Distribution{"x": {Kind: FloatParam, Low: -10, High: 10}}, Reports: map[int]float64{}, Value: 0.9660549663847485},
				{State: Complete, Params: map[string]any{"x": -4.430254347040494}, Distributions: map[string]Distribution{"x": {Kind: FloatParam, Low: -10, High: 10}}, Reports: map[int]float64{}, Value: 41.348170967633166},
			},
			below: []int{8, 10}, above: []int{0, 1, 2, 3, 4, 5, 6, 7, 9, 11, 12, 13},
			draws:  []float64{0.04872488080912729, 0.28910965978981684, 0.7209663468312298, 0.021616249915949792, 0.20592276526743902, 0.0507732566953768, 0.30227189396461684, 0.6639102946247, 0.30811439323687884, 0.5835912762185987, 0.06957095461260054, 0.8674044839930883, 0.13324051925174774, 0.17812466155949835, 0.4959295498261558, 0.8636996445582236, 0.7589438355121143, 0.9704851253491577, 0.7593025527855528, 0.3842500320901294, 0.40871832944373254, 0.7133604278844787, 0.27066977267313375, 0.854102871991344, 0.9131639696118056, 0.7607560696646062, 0.5166685377580662, 0.16783576522150734, 0.2986922916088657, 0.28394304503063383, 0.32721257661773095, 0.46014033379297603, 0.5443683594576376, 0.21740086975972195, 0.7998683269389765, 0.7266844492965354, 0.8492927133912169, 0.2675218045820723, 0.6148247111484346, 0.6527560731939891, 0.38681643413428557, 0.41035417857281875, 0.8101575494926372, 0.6003692653821349, 0.8983403385846943, 0.490032225049018, 0.8283181322162818, 0.8588894711682389},
			chosen: -8.501925831826595},
	}
	for _, c := range cases {
		t.Run(c.direction.String(), func(t *testing.T) {
			s, err := NewStudy(StudyConfig{Direction: c.direction})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			for _, tr := range c.trials {
				if _, err := s.AddTrial(tr); err != nil {
					t.Fatal(err)
				}
			}
			obs := observations(s.Trials(), c.direction, "x")
			below, above := split(obs, defaultGamma(len(obs)))
			if d := cmp.Diff(c.below, below); d != "" {
				t.Errorf("good trials (-Optuna +tune):\n%s", d)
			}
			if d := cmp.Diff(c.above, above); d != "" {
				t.Errorf("other trials (-Optuna +tune):\n%s", d)
			}
			d := c.trials[0].Distributions["x"]
			got := NewTPESampler(TPEConfig{}).Sample(s, FrozenTrial{Number: len(c.trials)}, "x", d, rand.New(&fixedDraws{u: c.draws}))
			if math.Abs(got-c.chosen) > 1e-10*math.Abs(c.chosen) {
				t.Errorf("chose %v, Optuna %v", got, c.chosen)
			}
		})
	}
}
