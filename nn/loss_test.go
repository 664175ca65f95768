package nn

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/tensor"
)

// The fixed inputs of testdata/torch_losses.py.
var (
	lossPred   = []float64{0.3, -1.2, 2.5, 0.0, 40.0, -40.0}
	lossTarget = []float64{0.5, -1.0, 0.0, 0.0, 1.0, 0.0}
	lossProbs  = []float64{0.2, 0.9, 1e-20, 1.0, 0.0, 0.5}
	lossPTarg  = []float64{0.0, 1.0, 1.0, 0.0, 1.0, 0.3}
	lossLogits = []float64{2.0, -1.0, 0.5, 1000.0, 0.0, -1000.0, 0.1, 0.2, 0.3, -50.0, 50.0, 0.0}
	lossLabels = []float64{0, 2, 1, 1}
	lossSoft   = []float64{0.7, 0.2, 0.1, 0.0, 0.0, 1.0, 0.3, 0.3, 0.4, 0.5, 0.5, 0.0}
	// PyTorch's default ignore_index, −100, in the second example.
	lossIgnored = []float64{0, -100, 2, 1}
	lossClassW  = tensor.New([]float64{0.2, 1.0, 3.0}, 3)
)

// TestLossesMatchPyTorch compares every loss and reduction with the value
// and gradient PyTorch 1.13 computes on the same inputs, extremes included
// (logits of ±1000, probabilities of exactly 0 and 1). The gradient is that
// of Σ wᵢ·lossᵢ with weights 1, 2, 3, … so that each output counts apart.
func TestLossesMatchPyTorch(t *testing.T) {
	logProbs := tensor.New(lossLogits, 4, 3).LogSoftmax(1).Data()
	inputs := map[string][2][]float64{
		"MSE": {lossPred, lossTarget}, "L1": {lossPred, lossTarget}, "Huber": {lossPred, lossTarget}, "Huber2": {lossPred, lossTarget},
		"BCE": {lossProbs, lossPTarg}, "BCEWithLogits": {lossPred, lossPTarg},
		"CrossEntropy": {lossLogits, lossLabels}, "CrossEntropySmooth": {lossLogits, lossLabels},
		"CrossEntropySoft": {lossLogits, lossSoft}, "CrossEntropySoftSmooth": {lossLogits, lossSoft},
		"NLL":                  {logProbs, lossLabels},
		"CrossEntropyWeighted": {lossLogits, lossLabels}, "CrossEntropyIgnore": {lossLogits, lossLabels},
		"CrossEntropyIgnoreNegative": {lossLogits, lossIgnored}, "CrossEntropyWeightedSmoothIgnore": {lossLogits, lossIgnored},
		"CrossEntropySoftWeighted": {lossLogits, lossSoft},
		"BCEWithLogitsPos":         {lossPred, lossPTarg}, "BCEWithLogitsPos1": {lossPred, lossPTarg},
	}
	losses := map[string]func(Reduction) Loss{
		"MSE": MSELoss, "L1": L1Loss, "BCE": BCELoss, "BCEWithLogits": BCEWithLogitsLoss, "NLL": NLLLoss,
		"Huber":  func(r Reduction) Loss { return HuberLoss(1, r) },
		"Huber2": func(r Reduction) Loss { return HuberLoss(2, r) },
		"CrossEntropy": func(r Reduction) Loss {
			return CrossEntropyLoss(CrossEntropyOptions{Reduction: r})
		},
		"CrossEntropySmooth": func(r Reduction) Loss {
			return CrossEntropyLoss(CrossEntropyOptions{LabelSmoothing: 0.1, Reduction: r})
		},
		"CrossEntropySoft": func(r Reduction) Loss {
			return CrossEntropyLoss(CrossEntropyOptions{Reduction: r})
		},
		"CrossEntropySoftSmooth": func(r Reduction) Loss {
			return CrossEntropyLoss(CrossEntropyOptions{LabelSmoothing: 0.2, Reduction: r})
		},
		"CrossEntropyWeighted": func(r Reduction) Loss {
			return CrossEntropyLoss(CrossEntropyOptions{Weight: lossClassW, Reduction: r})
		},
		"CrossEntropyIgnore": func(r Reduction) Loss {
			return CrossEntropyLoss(CrossEntropyOptions{IgnoreIndex: new(1), Reduction: r})
		},
		"CrossEntropyIgnoreNegative": func(r Reduction) Loss {
			return CrossEntropyLoss(CrossEntropyOptions{IgnoreIndex: new(-100), Reduction: r})
		},
		"CrossEntropyWeightedSmoothIgnore": func(r Reduction) Loss {
			return CrossEntropyLoss(CrossEntropyOptions{Weight: lossClassW, LabelSmoothing: 0.1, IgnoreIndex: new(-100), Reduction: r})
		},
		"CrossEntropySoftWeighted": func(r Reduction) Loss {
			return CrossEntropyLoss(CrossEntropyOptions{Weight: lossClassW, LabelSmoothing: 0.2, Reduction: r})
		},
		"BCEWithLogitsPos": func(r Reduction) Loss {
			return BCEWithLogitsLossWith(BCEWithLogitsOptions{PosWeight: tensor.New([]float64{0.5, 2, 3, 1, 4, 0.25}, 6), Reduction: r})
		},
		"BCEWithLogitsPos1": func(r Reduction) Loss {
			return BCEWithLogitsLossWith(BCEWithLogitsOptions{PosWeight: tensor.New([]float64{2}, 1), Reduction: r})
		},
	}
	want := []struct {
		name      string
		reduction Reduction
		value     []float64
		grad      []float64
	}{
		{"MSE", Mean, []float64{521.2216666666667}, []float64{-0.06666666666666667, -0.06666666666666665, 0.8333333333333333, 0.0, 13.0, -13.333333333333332}},
		{"MSE", Sum, []float64{3127.33}, []float64{-0.4, -0.3999999999999999, 5.0, 0.0, 78.0, -80.0}},
		{"MSE", None, []float64{0.04000000000000001, 0.03999999999999998, 6.25, 0.0, 1521.0, 1600.0}, []float64{-0.4, -0.7999999999999998, 15.0, 0.0, 390.0, -480.0}},
		{"L1", Mean, []float64{13.65}, []float64{-0.16666666666666666, -0.16666666666666666, 0.16666666666666666, 0.0, 0.16666666666666666, -0.16666666666666666}},
		{"L1", Sum, []float64{81.9}, []float64{-1.0, -1.0, 1.0, 0.0, 1.0, -1.0}},
		{"L1", None, []float64{0.2, 0.19999999999999996, 2.5, 0.0, 39.0, 40.0}, []float64{-1.0, -2.0, 3.0, 0.0, 5.0, -6.0}},
		{"Huber", Mean, []float64{13.339999999999998}, []float64{-0.03333333333333333, -0.033333333333333326, 0.16666666666666666, 0.0, 0.16666666666666666, -0.16666666666666666}},
		{"Huber", Sum, []float64{80.03999999999999}, []float64{-0.2, -0.19999999999999996, 1.0, 0.0, 1.0, -1.0}},
		{"Huber", None, []float64{0.020000000000000004, 0.01999999999999999, 2.0, 0.0, 38.5, 39.5}, []float64{-0.2, -0.3999999999999999, 3.0, 0.0, 5.0, -6.0}},
		{"Huber2", Mean, []float64{26.173333333333336}, []float64{-0.03333333333333333, -0.033333333333333326, 0.3333333333333333, 0.0, 0.3333333333333333, -0.3333333333333333}},
		{"Huber2", Sum, []float64{157.04000000000002}, []float64{-0.2, -0.19999999999999996, 2.0, 0.0, 2.0, -2.0}},
		{"Huber2", None, []float64{0.020000000000000004, 0.01999999999999999, 3.0, 0.0, 76.0, 78.0}, []float64{-0.2, -0.3999999999999999, 6.0, 0.0, 10.0, -12.0}},
		{"BCE", Mean, []float64{41.17889218456882}, []float64{0.2083333333333333, -0.1851851851851852, -166666667332.63382, 166666667332.63382, -166666667332.63382, 0.13333333333333333}},
		{"BCE", Sum, []float64{247.07335310741288}, []float64{1.2499999999999998, -1.1111111111111112, -1000000003995.8029, 1000000003995.8029, -1000000003995.8029, 0.8}},
		{"BCE", None, []float64{0.2231435513142097, 0.10536051565782628, 46.051701859880914, 100.0, 100.0, 0.6931471805599453}, []float64{1.2499999999999998, -2.2222222222222223, -3000000011987.408, 4000000015983.2114, -5000000019979.014, 4.800000000000001}},
		{"BCEWithLogits", Mean, []float64{2.514945771109842}, []float64{0.09574041946860984, -0.12808746391650294, -0.012643030003540575, 0.08333333333333333, 0.0, -0.049999999999999996}},
		{"BCEWithLogits", Sum, []float64{15.089674626659052}, []float64{0.574442516811659, -0.7685247834990176, -0.07585818002124345, 0.5, 0.0, -0.3}},
		{"BCEWithLogits", None, []float64{0.854355244468527, 1.4632824673380314, 0.07888973429254957, 0.6931471805599453, 0.0, 12.0}, []float64{0.574442516811659, -1.5370495669980353, -0.22757454006373035, 2.0, 0.0, -1.7999999999999998}},
		{"CrossEntropy", Mean, []float64{500.3358135362216}, []float64{-0.05360074135268103, 0.009778143317671862, 0.04382259803500917, 0.25, 0.0, -0.25, 0.07515240133893183, -0.16694375161666317, 0.09179135027773137, 9.30018994005209e-45, 0.0, 4.8218746199097946e-23}},
		{"CrossEntropy", Sum, []float64{2001.3432541448865}, []float64{-0.21440296541072412, 0.03911257327068745, 0.1752903921400367, 1.0, 0.0, -1.0, 0.30060960535572734, -0.6677750064666527, 0.3671654011109255, 3.720075976020836e-44, 0.0, 1.9287498479639178e-22}},
		{"CrossEntropy", None, []float64{0.24131129665715703, 2000.0, 1.101942848229244, 0.0}, []float64{-0.21440296541072412, 0.03911257327068745, 0.1752903921400367, 2.0, 0.0, -2.0, 0.901828816067182, -2.003325019399958, 1.1014962033327764, 1.4880303904083344e-43, 0.0, 7.714999391855671e-22}},
		{"CrossEntropySmooth", Mean, []float64{476.62331353622164}, []float64{-0.03693407468601437, 0.0014448099843385291, 0.03548926470167584, 0.24166666666666667, -0.008333333333333333, -0.23333333333333334, 0.0668190680055985, -0.1502770849499965, 0.08345801694439804, -0.008333333333333333, 0.016666666666666663, -0.008333333333333333}},
		{"CrossEntropySmooth", Sum, []float64{1906.4932541448866}, []float64{-0.14773629874405747, 0.0057792399373541165, 0.14195705880670337, 0.9666666666666667, -0.03333333333333333, -0.9333333333333333, 0.267276272022394, -0.601108339799986, 0.33383206777759217, -0.03333333333333333, 0.06666666666666665, -0.03333333333333333}},
		{"CrossEntropySmooth", None, []float64{0.391311296657157, 1900.0, 1.101942848229244, 5.0}, []float64{-0.14773629874405747, 0.0057792399373541165, 0.14195705880670337, 1.9333333333333333, -0.06666666666666667, -1.8666666666666667, 0.8018288160671821, -1.8033250193999582, 1.0014962033327766, -0.13333333333333333, 0.2666666666666666, -0.13333333333333333}},
		{"CrossEntropySoft", Mean, []float64{513.0208135362217}, []float64{0.02139925864731896, -0.04022185668232814, 0.01882259803500917, 0.25, 0.0, -0.25, 0.00015240133893183738, 0.008056248383336836, -0.008208649722268632, -0.125, 0.125, 4.8218746199097946e-23}},
		{"CrossEntropySoft", Sum, []float64{2052.0832541448867}, []float64{0.08559703458927584, -0.16088742672931255, 0.07529039214003667, 1.0, 0.0, -1.0, 0.0006096053557273495, 0.032224993533347346, -0.03283459888907453, -0.5, 0.5, 1.9287498479639178e-22}},
		{"CrossEntropySoft", None, []float64{0.9913112966571571, 2000.0, 1.0919428482292441, 50.0}, []float64{0.08559703458927584, -0.16088742672931255, 0.07529039214003667, 2.0, 0.0, -2.0, 0.001828816067182104, 0.09667498060004209, -0.0985037966672237, -2.0, 2.0, 7.714999391855671e-22}},
		{"CrossEntropySoftSmooth", Mean, []float64{463.05881353622163}, []float64{0.03973259198065232, -0.04688852334899481, 0.007155931368342507, 0.23333333333333334, -0.016666666666666666, -0.21666666666666667, -0.0015142653277348261, 0.006389581716670173, -0.004875316388935305, -0.11666666666666667, 0.13333333333333333, -0.016666666666666666}},
		{"CrossEntropySoftSmooth", Sum, []float64{1852.2352541448865}, []float64{0.15893036792260928, -0.18755409339597923, 0.028623725473370026, 0.9333333333333333, -0.06666666666666667, -0.8666666666666667, -0.0060570613109393046, 0.025558326866680692, -0.01950126555574122, -0.4666666666666667, 0.5333333333333333, -0.06666666666666667}},
		{"CrossEntropySoftSmooth", None, []float64{1.141311296657157, 1800.0000000000002, 1.093942848229244, 50.0}, []float64{0.15893036792260928, -0.18755409339597923, 0.028623725473370026, 1.8666666666666667, -0.13333333333333333, -1.7333333333333334, -0.018171183932817914, 0.07667498060004208, -0.05850379666722366, -1.8666666666666667, 2.1333333333333333, -0.26666666666666666}},
		{"CrossEntropyWeighted", Mean, []float64{1154.0673471360694}, []float64{-0.008246267900412467, 0.0015043297411802866, 0.006741938159232181, 0.5769230769230769, 0.0, -0.5769230769230769, 0.05780953949148602, -0.12841827047435628, 0.07060873098287028, 7.15399226157853e-45, 0.0, 3.709134323007534e-23}},
		{"CrossEntropyWeighted", Sum, []float64{6001.150205107561}, []float64{-0.04288059308214483, 0.00782251465413749, 0.03505807842800734, 3.0, 0.0, -3.0, 0.30060960535572734, -0.6677750064666527, 0.3671654011109255, 3.720075976020836e-44, 0.0, 1.9287498479639178e-22}},
		{"CrossEntropyWeighted", None, []float64{0.04826225933143141, 6000.0, 1.101942848229244, 0.0}, []float64{-0.04288059308214483, 0.00782251465413749, 0.03505807842800734, 6.0, 0.0, -6.0, 0.901828816067182, -2.003325019399958, 1.1014962033327764, 1.4880303904083344e-43, 0.0, 7.714999391855671e-22}},
		{"CrossEntropyIgnore", Mean, []float64{1000.1206556483286}, []float64{-0.10720148270536206, 0.019556286635343725, 0.08764519607001835, 0.5, 0.0, -0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0}},
		{"CrossEntropyIgnore", Sum, []float64{2000.2413112966572}, []float64{-0.21440296541072412, 0.03911257327068745, 0.1752903921400367, 1.0, 0.0, -1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0}},
		{"CrossEntropyIgnore", None, []float64{0.24131129665715703, 2000.0, 0.0, 0.0}, []float64{-0.21440296541072412, 0.03911257327068745, 0.1752903921400367, 2.0, 0.0, -2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0}},
		{"CrossEntropyIgnoreNegative", Mean, []float64{0.4144180482954671}, []float64{-0.07146765513690803, 0.013037524423562482, 0.05843013071334556, 0.0, 0.0, 0.0, 0.10020320178524245, 0.11074166451111578, -0.21094486629635817, 1.2400253253402787e-44, 0.0, 6.429166159879725e-23}},
		{"CrossEntropyIgnoreNegative", Sum, []float64{1.2432541448864012}, []float64{-0.21440296541072412, 0.03911257327068745, 0.1752903921400367, 0.0, 0.0, 0.0, 0.30060960535572734, 0.33222499353334733, -0.6328345988890745, 3.720075976020836e-44, 0.0, 1.9287498479639178e-22}},
		{"CrossEntropyIgnoreNegative", None, []float64{0.24131129665715703, 0.0, 1.001942848229244, 0.0}, []float64{-0.21440296541072412, 0.03911257327068745, 0.1752903921400367, 0.0, 0.0, 0.0, 0.901828816067182, 0.996674980600042, -1.8985037966672236, 1.4880303904083344e-43, 0.0, 7.714999391855671e-22}},
		{"CrossEntropyWeightedSmoothIgnore", Mean, []float64{2.1057311041034943}, []float64{0.015410567714738484, -0.004956502353979368, -0.010454065360759107, 0.0, 0.0, 0.0, 0.20168205060561878, 0.21671086864318403, -0.41839291924880273, -0.0015873015873015873, 0.02539682539682539, -0.023809523809523808}},
		{"CrossEntropyWeightedSmoothIgnore", Sum, []float64{8.844070637234676}, []float64{0.0647243844019016, -0.020817309886713348, -0.043907074515188264, 0.0, 0.0, 0.0, 0.8470646125435991, 0.9101856483013732, -1.7572502608449718, -0.006666666666666667, 0.10666666666666669, -0.1}},
		{"CrossEntropyWeightedSmoothIgnore", None, []float64{0.3272196149302902, 0.0, 2.85018435563772, 5.666666666666667}, []float64{0.0647243844019016, -0.020817309886713348, -0.043907074515188264, 0.0, 0.0, 0.0, 2.5411938376307974, 2.73055694490412, -5.271750782534917, -0.02666666666666667, 0.42666666666666675, -0.4}},
		{"CrossEntropySoftWeighted", Mean, []float64{1322.276255138095}, []float64{0.1242148795153433, -0.04892237715907056, -0.07529250235627273, 0.6666666666666667, -0.016666666666666666, -0.65, 0.09949953591255452, 0.050243280863072025, -0.1497428167756265, -0.023333333333333334, 0.07333333333333333, -0.05}},
		{"CrossEntropySoftWeighted", Sum, []float64{5289.10502055238}, []float64{0.4968595180613732, -0.19568950863628223, -0.3011700094250909, 2.666666666666667, -0.06666666666666667, -2.6, 0.3979981436502181, 0.2009731234522881, -0.598971267102506, -0.09333333333333334, 0.29333333333333333, -0.2}},
		{"CrossEntropySoftWeighted", None, []float64{1.5311185469524684, 5266.666666666667, 1.5739020054276183, 19.333333333333336}, []float64{0.4968595180613732, -0.19568950863628223, -0.3011700094250909, 5.333333333333334, -0.13333333333333333, -5.2, 1.1939944309506543, 0.6029193703568644, -1.7969138013075179, -0.37333333333333335, 1.1733333333333333, -0.8}},
		{"BCEWithLogitsPos", Mean, []float64{1.285122760430364}, []float64{0.09574041946860984, -0.2561749278330059, -0.037929090010621724, 0.08333333333333333, 0.0, -0.012499999999999999}},
		{"BCEWithLogitsPos", Sum, []float64{7.710736562582184}, []float64{0.574442516811659, -1.5370495669980353, -0.22757454006373035, 0.5, 0.0, -0.075}},
		{"BCEWithLogitsPos", None, []float64{0.854355244468527, 2.9265649346760627, 0.2366692028776487, 0.6931471805599453, 0.0, 3.0}, []float64{0.574442516811659, -3.0740991339960706, -0.682723620191191, 2.0, 0.0, -0.44999999999999996}},
		{"BCEWithLogitsPos1", Mean, []float64{4.771974471381605}, []float64{0.09574041946860984, -0.2561749278330059, -0.02528606000708115, 0.08333333333333333, 0.0, -0.09999999999999999}},
		{"BCEWithLogitsPos1", Sum, []float64{28.63184682828963}, []float64{0.574442516811659, -1.5370495669980353, -0.1517163600424869, 0.5, 0.0, -0.6}},
		{"BCEWithLogitsPos1", None, []float64{0.854355244468527, 2.9265649346760627, 0.15777946858509914, 0.6931471805599453, 0.0, 24.0}, []float64{0.574442516811659, -3.0740991339960706, -0.4551490801274607, 2.0, 0.0, -3.5999999999999996}},
		{"NLL", Mean, []float64{500.3358135362216}, []float64{-0.25, 0.0, 0.0, 0.0, 0.0, -0.25, 0.0, -0.25, 0.0, 0.0, -0.25, 0.0}},
		{"NLL", Sum, []float64{2001.3432541448865}, []float64{-1.0, 0.0, 0.0, 0.0, 0.0, -1.0, 0.0, -1.0, 0.0, 0.0, -1.0, 0.0}},
		{"NLL", None, []float64{0.24131129665715703, 2000.0, 1.101942848229244, 0.0}, []float64{-1.0, 0.0, 0.0, 0.0, 0.0, -2.0, 0.0, -3.0, 0.0, 0.0, -4.0, 0.0}},
	}
	for _, tt := range want {
		in := inputs[tt.name]
		predShape, targetShape := []int{6}, []int{6}
		if strings.HasPrefix(tt.name, "Cross") || tt.name == "NLL" {
			predShape, targetShape = []int{4, 3}, []int{4}
			if strings.Contains(tt.name, "Soft") {
				targetShape = []int{4, 3}
			}
		}
		pred := autograd.Param(tensor.New(append([]float64(nil), in[0]...), predShape...))
		target := autograd.Const(tensor.New(in[1], targetShape...))
		out := losses[tt.name](tt.reduction)(pred, target)
		w := tensor.Arange(1, float64(out.Value.Size())+1, 1).Reshape(out.Value.Shape()...)
		out.Mul(autograd.Const(w)).Sum().Backward()
		worst := maxRelDiff(out.Value.Data(), tt.value)
		worst = max(worst, maxRelDiff(pred.Grad.Data(), tt.grad))
		t.Logf("%s/%v: largest relative difference from PyTorch %.3g", tt.name, tt.reduction, worst)
		if worst > 1e-12 {
			t.Errorf("%s/%v: differs from PyTorch by %.3g\nvalue %v\n want %v\n grad %v\n want %v", tt.name, tt.reduction, worst, out.Value.Data(), tt.value, pred.Grad.Data(), tt.grad)
		}
	}
}

// maxRelDiff is the largest |a−b|/max(|b|, 1e-300) (0 for exact matches).
func maxRelDiff(a, b []float64) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	worst := 0.0
	for i := range a {
		if a[i] == b[i] {
			continue
		}
		worst = max(worst, math.Abs(a[i]-b[i])/max(math.Abs(b[i]), 1e-300))
	}
	return worst
}

func TestLossGradients(t *testing.T) {
	target := tensor.New([]float64{0.1, 0.9, 0.5, 0.0, 1.0, 0.3}, 2, 3)
	labels := tensor.New([]float64{2, 0})
	x := tensor.New([]float64{0.3, -0.7, 1.2, 0.05, 2.2, -1.4}, 2, 3)
	p := x.Sigmoid()
	cases := []struct {
		name string
		f    func(v ...*autograd.Var) *autograd.Var
		in   []*tensor.Tensor
	}{
		{"MSE", func(v ...*autograd.Var) *autograd.Var { return MSE(v[0], v[1]) }, []*tensor.Tensor{x, target}},
		{"L1", func(v ...*autograd.Var) *autograd.Var { return L1(v[0], v[1]) }, []*tensor.Tensor{x, target}},
		{"Huber", func(v ...*autograd.Var) *autograd.Var { return HuberLoss(0.5, Sum)(v[0], v[1]) }, []*tensor.Tensor{x, target}},
		{"BCE", func(v ...*autograd.Var) *autograd.Var { return BCE(v[0], v[1]) }, []*tensor.Tensor{p, target}},
		{"BCEWithLogits", func(v ...*autograd.Var) *autograd.Var { return BCEWithLogits(v[0], v[1]) }, []*tensor.Tensor{x, target}},
		{"CrossEntropy", func(v ...*autograd.Var) *autograd.Var {
			return CrossEntropyLoss(CrossEntropyOptions{LabelSmoothing: 0.1, Reduction: None})(v[0], autograd.Const(labels))
		}, []*tensor.Tensor{x}},
		{"CrossEntropySoft", func(v ...*autograd.Var) *autograd.Var {
			return CrossEntropyLoss(CrossEntropyOptions{LabelSmoothing: 0.1})(v[0], v[1])
		}, []*tensor.Tensor{x, target}},
		{"NLL", func(v ...*autograd.Var) *autograd.Var { return NLL(v[0].LogSoftmax(1), autograd.Const(labels)) }, []*tensor.Tensor{x}},
		{"CrossEntropyWeighted", func(v ...*autograd.Var) *autograd.Var {
			o := CrossEntropyOptions{Weight: tensor.New([]float64{0.5, 2, 1}, 3), LabelSmoothing: 0.1}
			return CrossEntropyLoss(o)(v[0], autograd.Const(labels))
		}, []*tensor.Tensor{x}},
		{"CrossEntropyIgnore", func(v ...*autograd.Var) *autograd.Var {
			o := CrossEntropyOptions{Weight: tensor.New([]float64{0.5, 2, 1}, 3), IgnoreIndex: new(0), Reduction: Sum}
			return CrossEntropyLoss(o)(v[0], autograd.Const(labels))
		}, []*tensor.Tensor{x}},
		{"CrossEntropySoftWeighted", func(v ...*autograd.Var) *autograd.Var {
			return CrossEntropyLoss(CrossEntropyOptions{Weight: tensor.New([]float64{0.5, 2, 1}, 3), LabelSmoothing: 0.1})(v[0], v[1])
		}, []*tensor.Tensor{x, target}},
		{"BCEWithLogitsPos", func(v ...*autograd.Var) *autograd.Var {
			return BCEWithLogitsLossWith(BCEWithLogitsOptions{PosWeight: tensor.New([]float64{0.5, 3, 2}, 3)})(v[0], v[1])
		}, []*tensor.Tensor{x, target}},
	}
	for _, c := range cases {
		if r := autograd.GradCheck(c.f, c.in...); r.MaxError > 1e-6 {
			t.Errorf("%s: %v", c.name, r)
		}
	}
}

func TestLossExtremes(t *testing.T) {
	// Huge logits must give finite, exact losses and gradients.
	x := autograd.Param(tensor.New([]float64{1e4, -1e4}))
	y := autograd.Const(tensor.New([]float64{0, 1}))
	loss := BCEWithLogits(x, y)
	loss.Backward()
	if loss.Item() != 1e4 || !cmp.Equal(x.Grad.Data(), []float64{0.5, -0.5}) {
		t.Errorf("BCEWithLogits at ±1e4: %v, grad %v", loss.Item(), x.Grad.Data())
	}
	// BCE clamps its logs: a confident wrong answer costs 100, not Inf.
	if l := BCE(autograd.Const(tensor.New([]float64{0})), autograd.Const(tensor.New([]float64{1}))).Item(); l != 100 {
		t.Errorf("BCE(0, 1) = %v, want 100", l)
	}
	ce := CrossEntropy(autograd.Const(tensor.New([]float64{1e300, -1e300}, 1, 2)), autograd.Const(tensor.New([]float64{1})))
	if math.IsNaN(ce.Item()) || math.IsInf(ce.Item(), -1) {
		t.Errorf("CrossEntropy on ±1e300: %v", ce.Item())
	}
}

func TestLossPanics(t *testing.T) {
	v := func(shape ...int) *autograd.Var { return autograd.Const(tensor.Zeros(shape...)) }
	tests := []struct {
		want string
		f    func()
	}{
		{"MSE: prediction [4 1] and target [4]: shapes differ", func() { MSE(v(4, 1), v(4)) }},
		{"L1: prediction", func() { L1(v(2), v(3)) }},
		{"Huber: prediction", func() { Huber(v(2), v(3)) }},
		{"BCE: prediction", func() { BCE(v(2), v(3)) }},
		{"BCEWithLogits: prediction", func() { BCEWithLogits(v(2), v(3)) }},
		{"BCE: prediction 2 at position 0 is not a probability", func() {
			BCE(autograd.Const(tensor.New([]float64{2})), v(1))
		}},
		{"HuberLoss: delta 0", func() { HuberLoss(0, Mean) }},
		{"CrossEntropyLoss: label smoothing 2", func() { CrossEntropyLoss(CrossEntropyOptions{LabelSmoothing: 2}) }},
		{"CrossEntropy: logits of shape [3]", func() { CrossEntropy(v(3), v(3)) }},
		{"CrossEntropy: labels of shape [2 1]", func() { CrossEntropy(v(2, 3), v(2, 1)) }},
		{"CrossEntropy: label 3 at position 1 is not a class index in [0, 3)", func() {
			CrossEntropy(v(2, 3), autograd.Const(tensor.New([]float64{0, 3})))
		}},
		{"NLL: label 0.5", func() { NLL(v(1, 3), autograd.Const(tensor.New([]float64{0.5}))) }},
		{"NLL: log-probabilities of shape [3]", func() { NLL(v(3), v(3)) }},
		{"Reduction: unknown reduction 7", func() { Reduction(7).apply(v(1)) }},
		{"CrossEntropyLoss: class weights of shape [1 3]", func() { CrossEntropyLoss(CrossEntropyOptions{Weight: tensor.Ones(1, 3)}) }},
		{"CrossEntropyLoss: class weight 1 is -1; want a finite number ≥ 0", func() {
			CrossEntropyLoss(CrossEntropyOptions{Weight: tensor.New([]float64{1, -1}, 2)})
		}},
		{"class weight 0 is NaN", func() { CrossEntropyLoss(CrossEntropyOptions{Weight: tensor.New([]float64{math.NaN()}, 1)}) }},
		{"CrossEntropy: 2 class weights for logits of 3 classes", func() {
			CrossEntropyLoss(CrossEntropyOptions{Weight: tensor.Ones(2)})(v(2, 3), v(2))
		}},
		{"CrossEntropy: IgnoreIndex is for class labels", func() {
			CrossEntropyLoss(CrossEntropyOptions{IgnoreIndex: new(0)})(v(2, 3), v(2, 3))
		}},
		{"CrossEntropy: label -100 at position 0 is not a class index", func() {
			CrossEntropyLoss(CrossEntropyOptions{IgnoreIndex: new(-1)})(v(1, 3), autograd.Const(tensor.New([]float64{-100})))
		}},
		{"BCEWithLogitsLoss: positive weight 0 is +Inf", func() {
			BCEWithLogitsLossWith(BCEWithLogitsOptions{PosWeight: tensor.New([]float64{math.Inf(1)}, 1)})
		}},
		{"BCEWithLogits: positive weights of shape [3] do not broadcast to targets of shape [2 2]", func() {
			BCEWithLogitsLossWith(BCEWithLogitsOptions{PosWeight: tensor.Ones(3)})(v(2, 2), v(2, 2))
		}},
		{"BCEWithLogits: positive weights of shape [2 2 2]", func() {
			BCEWithLogitsLossWith(BCEWithLogitsOptions{PosWeight: tensor.Ones(2, 2, 2)})(v(2, 2), v(2, 2))
		}},
	}
	for _, tt := range tests {
		mustPanic(t, tt.want, tt.f)
	}
}

func mustPanic(t *testing.T, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		e, ok := recover().(*Error)
		if !ok || !strings.Contains(e.Error(), want) {
			t.Errorf("panic %v, want an *nn.Error containing %q", e, want)
		}
	}()
	f()
}

var _ = cmpopts.EquateApprox

// TestBCENaN: a NaN prediction gives a NaN loss and NaN gradients, not a
// panic, so that a diverging model is stopped with a reason.
func TestBCENaN(t *testing.T) {
	pred := autograd.Param(tensor.New([]float64{0.5, math.NaN()}))
	loss := BCE(pred, autograd.Const(tensor.New([]float64{1, 0})))
	if !math.IsNaN(loss.Item()) {
		t.Fatalf("BCE with a NaN prediction = %v, want NaN", loss.Item())
	}
	loss.Backward()
	if !math.IsNaN(pred.Grad.At(1)) || math.IsNaN(pred.Grad.At(0)) {
		t.Errorf("gradient %v, want NaN only where the prediction is", pred.Grad)
	}
}

// TestCrossEntropyAllIgnored: a batch whose every label is ignored has a
// mean of 0/0, NaN, as in PyTorch, and a zero sum.
func TestCrossEntropyAllIgnored(t *testing.T) {
	logits := autograd.Param(tensor.New([]float64{1, 2, 3, 4, 5, 6}, 2, 3))
	labels := autograd.Const(tensor.New([]float64{2, 2}, 2))
	if got := CrossEntropyLoss(CrossEntropyOptions{IgnoreIndex: new(2)})(logits, labels).Item(); !math.IsNaN(got) {
		t.Errorf("mean over no labels = %v; want NaN", got)
	}
	sum := CrossEntropyLoss(CrossEntropyOptions{IgnoreIndex: new(2), Reduction: Sum})(logits, labels)
	sum.Backward()
	if sum.Item() != 0 || slices.ContainsFunc(logits.Grad.Data(), func(g float64) bool { return g != 0 }) {
		t.Errorf("sum over no labels = %v, gradient %v; want 0 and zeros", sum.Item(), logits.Grad.Data())
	}
}
