package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/minidl/minidl/tensor"
)

// Initializer fills a tensor in place with initial weights drawn from rng,
// as the functions of torch.nn.init do. Apply one to a layer's weight with
//
//	nn.XavierUniform(1)(rng, layer.Weight.Value)
type Initializer func(rng *rand.Rand, t *tensor.Tensor)

// FanMode chooses which fan Kaiming initialization preserves the variance
// of: the forward pass (FanIn, the default) or the backward pass (FanOut).
type FanMode int

const (
	FanIn  FanMode = iota // preserve the variance of the forward pass
	FanOut                // preserve the variance of the backward pass
)

// Kaiming configures KaimingUniform and KaimingNormal. The zero value is
// PyTorch's default: a = 0, fan-in, leaky_relu.
type Kaiming struct {
	A            float64 // negative slope of the rectifier after this layer (leaky_relu only)
	Mode         FanMode
	Nonlinearity string // as for CalculateGain; "" means "leaky_relu"
}

// CalculateGain returns the recommended gain for a nonlinearity, as
// torch.nn.init.calculate_gain: 1 for "linear", "identity" and "sigmoid";
// 5/3 for "tanh"; √2 for "relu"; √(2/(1+param²)) for "leaky_relu", whose
// param is the negative slope; 3/4 for "selu". It panics on other names.
func CalculateGain(nonlinearity string, param float64) float64 {
	switch nonlinearity {
	case "linear", "identity", "sigmoid":
		return 1
	case "tanh":
		return 5.0 / 3
	case "relu":
		return math.Sqrt2
	case "leaky_relu":
		return math.Sqrt(2 / (1 + param*param))
	case "selu":
		return 0.75
	}
	panic(&Error{Op: "CalculateGain", Detail: fmt.Sprintf("unknown nonlinearity %q", nonlinearity)})
}

// Fans returns the fan-in and fan-out of a weight tensor as PyTorch computes
// them: for shape [out in k…], fan-in is in·Πk and fan-out is out·Πk.
func Fans(shape []int) (fanIn, fanOut int) {
	if len(shape) < 2 {
		panic(&Error{Kind: tensor.ErrShape, Op: "Fans", Detail: fmt.Sprintf("shape %v: fans need at least 2 dimensions", shape)})
	}
	receptive := 1
	for _, d := range shape[2:] {
		receptive *= d
	}
	return shape[1] * receptive, shape[0] * receptive
}

// XavierUniform draws from U(−a, a) with a = gain·√(6/(fan_in+fan_out)),
// Glorot and Bengio's scheme.
func XavierUniform(gain float64) Initializer {
	return func(rng *rand.Rand, t *tensor.Tensor) {
		in, out := Fans(t.Shape())
		a := gain * math.Sqrt(6/float64(in+out))
		fillUniform(rng, t, a)
	}
}

// XavierNormal draws from N(0, σ²) with σ = gain·√(2/(fan_in+fan_out)).
func XavierNormal(gain float64) Initializer {
	return func(rng *rand.Rand, t *tensor.Tensor) {
		in, out := Fans(t.Shape())
		fillNormal(rng, t, gain*math.Sqrt(2/float64(in+out)))
	}
}

// KaimingUniform draws from U(−b, b) with b = gain·√(3/fan), He et al.'s
// scheme, with the gain of k.Nonlinearity and the fan of k.Mode.
func KaimingUniform(k Kaiming) Initializer {
	return func(rng *rand.Rand, t *tensor.Tensor) {
		fillUniform(rng, t, math.Sqrt(3)*k.std(t.Shape()))
	}
}

// KaimingNormal draws from N(0, σ²) with σ = gain/√fan.
func KaimingNormal(k Kaiming) Initializer {
	return func(rng *rand.Rand, t *tensor.Tensor) {
		fillNormal(rng, t, k.std(t.Shape()))
	}
}

func (k Kaiming) std(shape []int) float64 {
	nl := k.Nonlinearity
	if nl == "" {
		nl = "leaky_relu"
	}
	in, out := Fans(shape)
	fan := in
	if k.Mode == FanOut {
		fan = out
	}
	if fan == 0 {
		panic(&Error{Kind: tensor.ErrShape, Op: "Kaiming", Detail: fmt.Sprintf("shape %v has a zero fan", shape)})
	}
	return CalculateGain(nl, k.A) / math.Sqrt(float64(fan))
}

// Constant fills with v.
func Constant(v float64) Initializer {
	return func(_ *rand.Rand, t *tensor.Tensor) { t.Fill(v) }
}

// Zeros fills with zeros.
func Zeros() Initializer { return Constant(0) }

func fillUniform(rng *rand.Rand, t *tensor.Tensor, bound float64) {
	d := t.Data()
	for i := range d {
		d[i] = bound * (2*rng.Float64() - 1)
	}
}

func fillNormal(rng *rand.Rand, t *tensor.Tensor, std float64) {
	d := t.Data()
	for i := range d {
		d[i] = std * rng.NormFloat64()
	}
}
