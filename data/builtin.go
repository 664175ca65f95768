package data

import (
	"bytes"
	_ "embed"
	"math"
	"math/rand/v2"

	"github.com/minidl/minidl/tensor"
)

// XOR returns the four points of the XOR problem, inputs [4 2] in the order
// 00, 01, 10, 11, and targets [4 1]: 0, 1, 1, 0.
func XOR() (x, y *tensor.Tensor) {
	return tensor.New([]float64{0, 0, 0, 1, 1, 0, 1, 1}, 4, 2), tensor.New([]float64{0, 1, 1, 0}, 4, 1)
}

// NoisyXOR returns n points scattered around the XOR corners: each picks a
// corner at random and adds Gaussian noise of standard deviation noise to
// both coordinates; its target [n 1] is the corner's XOR.
func NoisyXOR(rng *rand.Rand, n int, noise float64) (x, y *tensor.Tensor) {
	checkCount("NoisyXOR", n)
	x, y = tensor.Zeros(n, 2), tensor.Zeros(n, 1)
	for i := range n {
		a, b := rng.IntN(2), rng.IntN(2)
		x.Data()[2*i] = float64(a) + noise*rng.NormFloat64()
		x.Data()[2*i+1] = float64(b) + noise*rng.NormFloat64()
		y.Data()[i] = float64(a ^ b)
	}
	return x, y
}

// Moons returns two interleaving half circles, as scikit-learn's
// make_moons: n points [n 2], the first ⌈n/2⌉ on the upper moon (class 0),
// the rest on the lower (class 1), with Gaussian noise; labels [n].
func Moons(rng *rand.Rand, n int, noise float64) (x, y *tensor.Tensor) {
	checkCount("Moons", n)
	x, y = tensor.Zeros(n, 2), tensor.Zeros(n)
	outer := (n + 1) / 2
	for i := range n {
		var px, py float64
		if i < outer {
			t := math.Pi * float64(i) / float64(max(outer-1, 1))
			px, py = math.Cos(t), math.Sin(t)
		} else {
			inner := n - outer
			t := math.Pi * float64(i-outer) / float64(max(inner-1, 1))
			px, py = 1-math.Cos(t), 0.5-math.Sin(t)
			y.Data()[i] = 1
		}
		x.Data()[2*i] = px + noise*rng.NormFloat64()
		x.Data()[2*i+1] = py + noise*rng.NormFloat64()
	}
	return x, y
}

// Circles returns two concentric circles, as scikit-learn's make_circles:
// the outer of radius 1 (class 0, the first ⌈n/2⌉ points) and the inner of
// radius factor ∈ (0, 1) (class 1), with Gaussian noise; labels [n].
func Circles(rng *rand.Rand, n int, noise, factor float64) (x, y *tensor.Tensor) {
	checkCount("Circles", n)
	if !(factor > 0 && factor < 1) {
		panicf("Circles", "factor %v outside (0, 1)", factor)
	}
	x, y = tensor.Zeros(n, 2), tensor.Zeros(n)
	outer := (n + 1) / 2
	for i := range n {
		r, k, m := 1.0, i, outer
		if i >= outer {
			r, k, m = factor, i-outer, n-outer
			y.Data()[i] = 1
		}
		t := 2 * math.Pi * float64(k) / float64(m)
		x.Data()[2*i] = r*math.Cos(t) + noise*rng.NormFloat64()
		x.Data()[2*i+1] = r*math.Sin(t) + noise*rng.NormFloat64()
	}
	return x, y
}

// Spirals returns classes interleaved spiral arms of n points each (n·classes
// in all), the arms winding out from the origin, with Gaussian noise of
// standard deviation noise on the angle; labels [n·classes].
func Spirals(rng *rand.Rand, n, classes int, noise float64) (x, y *tensor.Tensor) {
	checkCount("Spirals", n)
	if classes < 2 {
		panicf("Spirals", "%d classes: want at least 2", classes)
	}
	x, y = tensor.Zeros(n*classes, 2), tensor.Zeros(n*classes)
	for c := range classes {
		for i := range n {
			r := float64(i) / float64(max(n-1, 1))
			t := 4*r + 2*math.Pi*float64(c)/float64(classes) + noise*rng.NormFloat64()
			k := c*n + i
			x.Data()[2*k] = r * math.Sin(t)
			x.Data()[2*k+1] = r * math.Cos(t)
			y.Data()[k] = float64(c)
		}
	}
	return x, y
}

// NoisyLinear returns n points of the line y = 2x − 1 with x uniform in
// [−1, 1] and Gaussian noise of standard deviation noise on y: inputs and
// targets [n 1].
func NoisyLinear(rng *rand.Rand, n int, noise float64) (x, y *tensor.Tensor) {
	return regression("NoisyLinear", rng, n, noise, -1, 1, func(v float64) float64 { return 2*v - 1 })
}

// NoisySine returns n points of y = sin(x) with x uniform in [−π, π] and
// Gaussian noise of standard deviation noise on y: inputs and targets [n 1].
func NoisySine(rng *rand.Rand, n int, noise float64) (x, y *tensor.Tensor) {
	return regression("NoisySine", rng, n, noise, -math.Pi, math.Pi, math.Sin)
}

func regression(op string, rng *rand.Rand, n int, noise, lo, hi float64, f func(float64) float64) (x, y *tensor.Tensor) {
	checkCount(op, n)
	x, y = tensor.Zeros(n, 1), tensor.Zeros(n, 1)
	for i := range n {
		v := lo + (hi-lo)*rng.Float64()
		x.Data()[i] = v
		y.Data()[i] = f(v) + noise*rng.NormFloat64()
	}
	return x, y
}

func checkCount(op string, n int) {
	if n <= 0 {
		panicf(op, "%d points: want at least 1", n)
	}
}

// irisCSV holds Fisher's Iris data (R. A. Fisher, "The use of multiple
// measurements in taxonomic problems", Annals of Eugenics 7(2), 1936): 150
// flowers, 50 of each species, measured in centimetres. The values are
// those of R's datasets::iris, which follow Fisher's paper (the UCI copy
// differs from it in two values).
//
//go:embed iris.csv
var irisCSV []byte

// Iris returns Fisher's Iris data: inputs [150 4] (sepal length, sepal
// width, petal length, petal width, in cm) and species labels [150] with
// classes 0 setosa, 1 versicolor, 2 virginica, in the data's order.
func Iris() (x, y *tensor.Tensor) {
	d, err := ReadCSV(bytes.NewReader(irisCSV), "iris.csv", CSVConfig{Header: true, Targets: []string{"species"}})
	if err != nil {
		panic(err) // the embedded file is part of the build
	}
	return d.X, d.Y
}
