package main

import (
	"embed"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"path"

	"github.com/minidl/minidl/data"
	"github.com/minidl/minidl/tensor"
)

//go:embed datasets/*.csv
var datasets embed.FS

// task is one learning problem of the corpus: its data, which the runs
// split three ways, and the model families trained on it.
type task struct {
	name    string
	x, y    *tensor.Tensor // inputs [N features], targets (labels [N] or values [N 1])
	classes int            // 0 for a regression; errors are then the loss
	// image, if set, is the channels, height and width of the inputs,
	// which are pixels in [0, 1]: convolutional nets train on them.
	image [3]int
	// tokens, if positive, says the inputs are ids in [0, tokens): the
	// embedding models train on them, and they are not scaled.
	tokens   int
	families []string // "mlp", "cnn", "embed", drawn uniformly (list one twice to weigh it double)
	runs     int      // runs in the full plan
}

// tasks returns the corpus's tasks in a fixed order. mnistDir, if not
// empty, is the folder of the MNIST files (data.FetchMNIST), for the task
// of 14×14 MNIST images; without it that task is left out.
func tasks(mnistDir string) ([]task, error) {
	var ts []task
	ix, iy := data.Iris()
	ts = append(ts, task{name: "iris", x: ix, y: iy, classes: 3})
	for _, d := range []struct {
		name    string
		classes int
	}{{"wine", 3}, {"breast_cancer", 2}, {"digits", 10}, {"diabetes", 0}, {"gotokens", vocabulary}} {
		t, err := loadCSVTask(d.name, d.classes)
		if err != nil {
			return nil, err
		}
		ts = append(ts, t)
	}
	digits := &ts[3]
	digits.x = digits.x.Scale(1.0 / 16) // pixels 0-16
	digits.image = [3]int{1, 8, 8}
	digits.families = []string{"mlp", "cnn"}
	tokens := &ts[5]
	tokens.tokens, tokens.families = vocabulary, []string{"embed"}

	// Synthetic sets, set up to overfit: few points, much noise.
	rng := rand.New(rand.NewPCG(2026, 12))
	mx, my := data.Moons(rng, 200, 0.35)
	ts = append(ts, task{name: "moons", x: mx, y: my, classes: 2})
	sx, sy := data.Spirals(rng, 300, 3, 0.25)
	ts = append(ts, task{name: "spirals", x: sx, y: sy, classes: 3})
	cx, cy := data.Circles(rng, 300, 0.15, 0.5)
	ts = append(ts, task{name: "circles", x: cx, y: cy, classes: 2})
	nx, ny := data.NoisySine(rng, 150, 0.3)
	ts = append(ts, task{name: "sine", x: nx, y: ny})
	fx, fy := friedman(rng, 300, 2)
	ts = append(ts, task{name: "friedman", x: fx, y: fy})
	if mnistDir != "" {
		full, _, err := data.MNIST(mnistDir)
		if err != nil {
			return nil, err
		}
		sub := full.Range(0, mnistImages)
		ts = append(ts, task{name: "mnist14", x: halve(sub.X, 28, 28), y: sub.Y, classes: 10, image: [3]int{1, 14, 14},
			families: []string{"cnn", "cnn", "mlp"}}) // two CNNs for an MLP
	}
	for i := range ts {
		if ts[i].families == nil {
			ts[i].families = []string{"mlp"}
		}
		ts[i].runs = plannedRuns[ts[i].name]
	}
	return ts, nil
}

// vocabulary is the number of token names of gotokens.csv
// (datasets/gotokens_vocab.txt).
const vocabulary = 94

// mnistImages is how many of MNIST's training images the mnist14 task
// takes (the first ones).
const mnistImages = 1500

// loadCSVTask reads one of the embedded data sets, whose target is a
// class index if classes is positive.
func loadCSVTask(name string, classes int) (task, error) {
	f, err := datasets.Open(path.Join("datasets", name+".csv"))
	if err != nil {
		return task{}, err
	}
	defer f.Close()
	d, err := data.ReadCSV(f, name+".csv", data.CSVConfig{Header: true, Classes: classes > 0})
	if err != nil {
		return task{}, err
	}
	return task{name: name, x: d.X, y: d.Y, classes: classes}, nil
}

// friedman returns n points of Friedman's first regression problem
// (Friedman 1991, as scikit-learn's make_friedman1): ten inputs uniform in
// [0, 1] of which five matter, y = 10 sin(π x₁x₂) + 20 (x₃ − ½)² + 10 x₄ +
// 5 x₅ plus Gaussian noise of standard deviation noise.
func friedman(rng *rand.Rand, n int, noise float64) (x, y *tensor.Tensor) {
	x, y = tensor.Zeros(n, 10), tensor.Zeros(n, 1)
	xd, yd := x.Data(), y.Data()
	for i := range n {
		v := xd[i*10 : (i+1)*10]
		for j := range v {
			v[j] = rng.Float64()
		}
		yd[i] = 10*math.Sin(math.Pi*v[0]*v[1]) + 20*(v[2]-0.5)*(v[2]-0.5) + 10*v[3] + 5*v[4] + noise*rng.NormFloat64()
	}
	return x, y
}

// halve averages the 2×2 blocks of images [N h·w] into [N h/2·w/2].
func halve(x *tensor.Tensor, h, w int) *tensor.Tensor {
	n := x.Dim(0)
	out := tensor.Zeros(n, (h/2)*(w/2))
	xd, od := x.Data(), out.Data()
	for i := range n {
		img, dst := xd[i*h*w:(i+1)*h*w], od[i*(h/2)*(w/2):(i+1)*(h/2)*(w/2)]
		for r := range h / 2 {
			for c := range w / 2 {
				dst[r*(w/2)+c] = (img[2*r*w+2*c] + img[2*r*w+2*c+1] + img[(2*r+1)*w+2*c] + img[(2*r+1)*w+2*c+1]) / 4
			}
		}
	}
	return out
}

// stream returns a number of its own for a name, to seed the random
// sources of a task's runs apart from other tasks'.
func stream(name string) uint64 {
	h := fnv.New64a()
	fmt.Fprint(h, name)
	return h.Sum64()
}
