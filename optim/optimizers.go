package optim

import (
	"math"

	"github.com/minidl/minidl/internal/gemm"
	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/tensor"
)

// SGDConfig configures SGD. The zero value is plain gradient descent with
// learning rate 0.001, PyTorch's default.
type SGDConfig struct {
	LR          float64 // learning rate; 0 means 0.001
	Momentum    float64 // momentum factor μ
	Dampening   float64 // dampening τ of the momentum
	Nesterov    bool    // Nesterov momentum (needs Momentum > 0 and no Dampening)
	WeightDecay float64 // L2 penalty λ, added to the gradient
	// Groups give some parameters their own LR and WeightDecay; see Group.
	Groups []Group
}

// SGD is stochastic gradient descent with optional momentum, as
// torch.optim.SGD:
//
//	g ← g + λθ
//	b ← g at the first step, μb + (1−τ)g after
//	g ← g + μb with Nesterov, b without
//	θ ← θ − αg
type SGD struct {
	base
	cfg SGDConfig
}

// NewSGD returns an SGD optimizer over params. It panics on settings
// PyTorch rejects.
func NewSGD(params []nn.Param, cfg SGDConfig) *SGD {
	cfg.LR = orDefault(cfg.LR, 1e-3)
	check("SGD", cfg.Momentum >= 0, "momentum %v is negative", cfg.Momentum)
	check("SGD", cfg.WeightDecay >= 0, "weight decay %v is negative", cfg.WeightDecay)
	check("SGD", !cfg.Nesterov || (cfg.Momentum > 0 && cfg.Dampening == 0), "Nesterov momentum needs a momentum and zero dampening")
	var bufs []string
	if cfg.Momentum != 0 {
		bufs = []string{"momentum_buffer"}
	}
	o := &SGD{base: newBase("SGD", params, hyper{cfg.LR, cfg.WeightDecay}, cfg.Groups, bufs...), cfg: cfg}
	if cfg.Momentum != 0 {
		o.settings = []setting{{"momentum", &o.cfg.Momentum}}
	}
	return o
}

// Step updates the parameters.
func (o *SGD) Step() { o.each(sgdUpdate[float64](o), sgdUpdate[float32](o)) }

func sgdUpdate[E element](o *SGD) update[E] {
	return func(i int, p, g []E, h hyper) {
		c := o.cfg
		lr := E(h.lr)
		wd, mu, damp := E(h.weightDecay), E(c.Momentum), E(1-c.Dampening)
		g = g[:len(p)]
		switch {
		case c.Momentum == 0 && h.weightDecay == 0:
			// Plain descent is one vectorized θ ← θ − αg.
			axpy(-lr, g, p)
			return
		case c.Momentum != 0 && h.weightDecay == 0 && !c.Nesterov:
			// Momentum without decay, the usual recipe, without branches in
			// the loop: b ← μb + (1−τ)g (b ← g at the first step); θ ← θ − αb.
			b := buf[E](&o.base, 0, i)[:len(p)]
			if o.steps[i] == 1 {
				copy(b, g)
			} else {
				for j, d := range g {
					b[j] = b[j]*mu + damp*d
				}
			}
			for j, bj := range b {
				p[j] -= lr * bj
			}
			return
		}
		var b []E
		if c.Momentum != 0 {
			b = buf[E](&o.base, 0, i)
		}
		first := o.steps[i] == 1
		for j := range p {
			d := g[j]
			if h.weightDecay != 0 {
				d += wd * p[j]
			}
			if c.Momentum != 0 {
				if first {
					b[j] = d
				} else {
					b[j] = b[j]*mu + damp*d
				}
				if c.Nesterov {
					d += mu * b[j]
				} else {
					d = b[j]
				}
			}
			p[j] -= lr * d
		}
	}
}

// axpy is y ← y + αx, vectorized, in E.
func axpy[E element](alpha E, x, y []E) {
	switch x := any(x).(type) {
	case []float32:
		gemm.Axpy32(float32(alpha), x, any(y).([]float32))
	case []float64:
		gemm.Axpy(float64(alpha), x, any(y).([]float64))
	}
}

// AdamConfig configures Adam. The zero value is PyTorch's default:
// learning rate 0.001, betas 0.9 and 0.999, eps 1e-8, and no weight decay.
type AdamConfig struct {
	LR          float64 // learning rate α; 0 means 0.001
	Beta1       float64 // decay of the first moment; 0 means 0.9
	Beta2       float64 // decay of the second moment; 0 means 0.999
	Eps         float64 // added to the denominator; 0 means 1e-8
	WeightDecay float64 // L2 penalty λ added to the gradient
	AMSGrad     bool    // use the maximum of past second moments
	// Groups give some parameters their own LR and WeightDecay; see Group.
	Groups []Group
}

// AdamWConfig configures AdamW. The zero value is PyTorch's default: that
// of Adam, with a decoupled weight decay of 0.01. WeightDecay is a pointer
// because zero is a valid setting but not the default: nil means 0.01,
// new(0.0) means none.
type AdamWConfig struct {
	LR          float64  // learning rate α; 0 means 0.001
	Beta1       float64  // decay of the first moment; 0 means 0.9
	Beta2       float64  // decay of the second moment; 0 means 0.999
	Eps         float64  // added to the denominator; 0 means 1e-8
	WeightDecay *float64 // decoupled decay λ; nil means 0.01
	AMSGrad     bool     // use the maximum of past second moments
	// Groups give some parameters their own LR and WeightDecay; see Group.
	Groups []Group
}

func (c AdamConfig) withDefaults(kind string) AdamConfig {
	c.LR = orDefault(c.LR, 1e-3)
	c.Beta1 = orDefault(c.Beta1, 0.9)
	c.Beta2 = orDefault(c.Beta2, 0.999)
	c.Eps = orDefault(c.Eps, 1e-8)
	check(kind, c.Beta1 > 0 && c.Beta1 < 1 && c.Beta2 > 0 && c.Beta2 < 1, "betas %v, %v outside (0, 1)", c.Beta1, c.Beta2)
	check(kind, c.Eps > 0, "eps %v is not positive", c.Eps)
	check(kind, c.WeightDecay >= 0, "weight decay %v is negative", c.WeightDecay)
	return c
}

// Adam is the Adam optimizer of Kingma and Ba, as torch.optim.Adam:
//
//	g ← g + λθ
//	m ← β₁m + (1−β₁)g
//	v ← β₂v + (1−β₂)g²
//	v̂ ← max(v̂, v) with AMSGrad, v without
//	θ ← θ − (α / (1−β₁ᵗ)) · m / (√v̂ / √(1−β₂ᵗ) + ε)
//
// Note where ε goes: after the bias correction of √v̂, as in PyTorch.
type Adam struct {
	base
	cfg       AdamConfig
	decoupled bool // AdamW
}

// NewAdam returns an Adam optimizer over params.
func NewAdam(params []nn.Param, cfg AdamConfig) *Adam {
	cfg = cfg.withDefaults("Adam")
	o := new(Adam)
	o.init("Adam", params, cfg, false)
	return o
}

// init makes o an Adam (or, decoupled, an AdamW) in place, so that the
// saved β₁ setting points into o.
func (o *Adam) init(kind string, params []nn.Param, cfg AdamConfig, decoupled bool) {
	*o = Adam{base: newBase(kind, params, hyper{cfg.LR, cfg.WeightDecay}, cfg.Groups, adamBuffers(cfg)...), cfg: cfg, decoupled: decoupled}
	o.settings = []setting{{"beta1", &o.cfg.Beta1}}
}

// AdamW is Adam with decoupled weight decay (Loshchilov and Hutter), as
// torch.optim.AdamW: each step first shrinks θ ← θ(1 − αλ) and then takes
// the Adam step without λ in the gradient.
type AdamW struct {
	Adam
}

// NewAdamW returns an AdamW optimizer over params.
func NewAdamW(params []nn.Param, cfg AdamWConfig) *AdamW {
	c := AdamConfig{LR: cfg.LR, Beta1: cfg.Beta1, Beta2: cfg.Beta2, Eps: cfg.Eps, WeightDecay: valueOr(cfg.WeightDecay, 1e-2), AMSGrad: cfg.AMSGrad, Groups: cfg.Groups}
	c = c.withDefaults("AdamW")
	o := new(AdamW)
	o.init("AdamW", params, c, true)
	return o
}

func adamBuffers(cfg AdamConfig) []string {
	if cfg.AMSGrad {
		return []string{"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
	}
	return []string{"exp_avg", "exp_avg_sq"}
}

// Step updates the parameters.
func (o *Adam) Step() { o.each(adamUpdate[float64](o), adamUpdate[float32](o)) }

func adamUpdate[E element](o *Adam) update[E] {
	return func(i int, p, g []E, h hyper) {
		c := o.cfg
		wd, decay := E(h.weightDecay), E(1-h.lr*h.weightDecay)
		m, v := buf[E](&o.base, 0, i), buf[E](&o.base, 1, i)
		var vmax []E
		if c.AMSGrad {
			vmax = buf[E](&o.base, 2, i)
		}
		// The bias corrections are scalars, computed in float64 as PyTorch
		// computes them in Python floats.
		t := o.steps[i]
		stepSize := E(h.lr / (1 - math.Pow(c.Beta1, t)))
		bc2Sqrt := E(math.Sqrt(1 - math.Pow(c.Beta2, t)))
		// Coefficients such as 1 − β₁ are computed in float64 and rounded
		// once, as PyTorch passes them to its float32 kernels.
		b1, b2, eps := E(c.Beta1), E(c.Beta2), E(c.Eps)
		a1, a2 := E(1-c.Beta1), E(1-c.Beta2)
		if !c.AMSGrad && h.weightDecay == 0 {
			// The common case, without a branch in the loop.
			m, v, g := m[:len(p)], v[:len(p)], g[:len(p)]
			for j, d := range g {
				m[j] = m[j]*b1 + a1*d
				v[j] = v[j]*b2 + a2*d*d
				p[j] -= stepSize * (m[j] / (sqrt(v[j])/bc2Sqrt + eps))
			}
			return
		}
		for j := range p {
			d := g[j]
			if o.decoupled {
				p[j] *= decay
			} else if h.weightDecay != 0 {
				d += wd * p[j]
			}
			m[j] = m[j]*b1 + a1*d
			v[j] = v[j]*b2 + a2*d*d
			second := v[j]
			if c.AMSGrad {
				vmax[j] = max(vmax[j], v[j])
				second = vmax[j]
			}
			p[j] -= stepSize * (m[j] / (sqrt(second)/bc2Sqrt + eps))
		}
	}
}

// RMSpropConfig configures RMSprop. The zero value is PyTorch's default:
// learning rate 0.01, alpha 0.99, eps 1e-8, no momentum, not centered.
type RMSpropConfig struct {
	LR          float64 // learning rate; 0 means 0.01
	Alpha       float64 // smoothing constant of the squared-gradient average; 0 means 0.99
	Eps         float64 // added to the denominator; 0 means 1e-8
	Momentum    float64
	Centered    bool // normalize by the variance rather than the second moment
	WeightDecay float64
	// Groups give some parameters their own LR and WeightDecay; see Group.
	Groups []Group
}

// RMSprop divides the gradient by a running root mean square, as
// torch.optim.RMSprop:
//
//	g ← g + λθ
//	s ← αs + (1−α)g²
//	ḡ ← αḡ + (1−α)g, and d ← √(s − ḡ²) + ε if centered; d ← √s + ε if not
//	b ← μb + g/d and θ ← θ − ηb with momentum; θ ← θ − ηg/d without
type RMSprop struct {
	base
	cfg RMSpropConfig
}

// NewRMSprop returns an RMSprop optimizer over params.
func NewRMSprop(params []nn.Param, cfg RMSpropConfig) *RMSprop {
	cfg.LR = orDefault(cfg.LR, 1e-2)
	cfg.Alpha = orDefault(cfg.Alpha, 0.99)
	cfg.Eps = orDefault(cfg.Eps, 1e-8)
	check("RMSprop", cfg.Alpha > 0 && cfg.Alpha < 1, "alpha %v outside (0, 1)", cfg.Alpha)
	check("RMSprop", cfg.Eps > 0, "eps %v is not positive", cfg.Eps)
	check("RMSprop", cfg.Momentum >= 0 && cfg.WeightDecay >= 0, "momentum %v or weight decay %v is negative", cfg.Momentum, cfg.WeightDecay)
	return &RMSprop{base: newBase("RMSprop", params, hyper{cfg.LR, cfg.WeightDecay}, cfg.Groups, "square_avg", "momentum_buffer", "grad_avg"), cfg: cfg}
}

// Step updates the parameters.
func (o *RMSprop) Step() { o.each(rmspropUpdate[float64](o), rmspropUpdate[float32](o)) }

func rmspropUpdate[E element](o *RMSprop) update[E] {
	return func(i int, p, g []E, h hyper) {
		c := o.cfg
		lr, wd := E(h.lr), E(h.weightDecay)
		alpha, rest, eps, mu := E(c.Alpha), E(1-c.Alpha), E(c.Eps), E(c.Momentum)
		sq, mom, gavg := buf[E](&o.base, 0, i), buf[E](&o.base, 1, i), buf[E](&o.base, 2, i)
		for j := range p {
			d := g[j]
			if h.weightDecay != 0 {
				d += wd * p[j]
			}
			sq[j] = sq[j]*alpha + rest*d*d
			var avg E
			if c.Centered {
				gavg[j] = gavg[j]*alpha + rest*d
				avg = sqrt(sq[j]-gavg[j]*gavg[j]) + eps
			} else {
				avg = sqrt(sq[j]) + eps
			}
			if c.Momentum > 0 {
				mom[j] = mom[j]*mu + d/avg
				p[j] -= lr * mom[j]
			} else {
				p[j] -= lr * (d / avg)
			}
		}
	}
}

// AdagradConfig configures Adagrad. The zero value is PyTorch's default:
// learning rate 0.01, eps 1e-10, no decay, accumulators starting at 0.
type AdagradConfig struct {
	LR                 float64 // learning rate; 0 means 0.01
	LRDecay            float64 // the rate at step t is LR / (1 + (t−1)·LRDecay)
	Eps                float64 // added to the denominator; 0 means 1e-10
	WeightDecay        float64
	InitialAccumulator float64 // starting value of the sum of squares
	// Groups give some parameters their own LR and WeightDecay; see Group.
	Groups []Group
}

// Adagrad scales each coordinate by the root of its summed squared
// gradients, as torch.optim.Adagrad:
//
//	g ← g + λθ;  s ← s + g²;  θ ← θ − η/(1+(t−1)δ) · g/(√s + ε)
type Adagrad struct {
	base
	cfg AdagradConfig
}

// NewAdagrad returns an Adagrad optimizer over params.
func NewAdagrad(params []nn.Param, cfg AdagradConfig) *Adagrad {
	cfg.LR = orDefault(cfg.LR, 1e-2)
	cfg.Eps = orDefault(cfg.Eps, 1e-10)
	check("Adagrad", cfg.LRDecay >= 0 && cfg.WeightDecay >= 0 && cfg.InitialAccumulator >= 0,
		"lr decay %v, weight decay %v and initial accumulator %v must not be negative", cfg.LRDecay, cfg.WeightDecay, cfg.InitialAccumulator)
	o := &Adagrad{base: newBase("Adagrad", params, hyper{cfg.LR, cfg.WeightDecay}, cfg.Groups, "sum"), cfg: cfg}
	for _, t := range o.buffers[0].t {
		t.Fill(cfg.InitialAccumulator)
	}
	return o
}

// Step updates the parameters.
func (o *Adagrad) Step() { o.each(adagradUpdate[float64](o), adagradUpdate[float32](o)) }

func adagradUpdate[E element](o *Adagrad) update[E] {
	return func(i int, p, g []E, h hyper) {
		sum := buf[E](&o.base, 0, i)
		wd, eps := E(h.weightDecay), E(o.cfg.Eps)
		clr := E(h.lr / (1 + (o.steps[i]-1)*o.cfg.LRDecay))
		for j := range p {
			d := g[j]
			if h.weightDecay != 0 {
				d += wd * p[j]
			}
			sum[j] += d * d
			p[j] -= clr * (d / (sqrt(sum[j]) + eps))
		}
	}
}

// ClipGradNorm scales the gradients of params so that their global L2 norm,
// taken over all of them as one vector, is at most maxNorm, and returns the
// norm before clipping, as torch.nn.utils.clip_grad_norm_: every gradient is
// multiplied by min(1, maxNorm/(norm + 1e-6)).
func ClipGradNorm(params []nn.Param, maxNorm float64) float64 {
	check("ClipGradNorm", maxNorm > 0, "max norm %v is not positive", maxNorm)
	sq := 0.0
	for _, p := range params {
		switch g := p.Var.Grad; {
		case g == nil:
		case g.DType() == tensor.Float32:
			sq = addSquares(sq, g.Float32s())
		default:
			sq = addSquares(sq, g.Data())
		}
	}
	norm := math.Sqrt(sq)
	if coef := maxNorm / (norm + 1e-6); coef < 1 || math.IsNaN(coef) {
		for _, p := range params {
			if p.Var.Grad != nil {
				p.Var.Grad.Scale(coef)
			}
		}
	}
	return norm
}

// ClipGradValue limits every gradient element of params to [−limit, limit],
// as torch.nn.utils.clip_grad_value_.
func ClipGradValue(params []nn.Param, limit float64) {
	check("ClipGradValue", limit > 0, "limit %v is not positive", limit)
	for _, p := range params {
		if p.Var.Grad == nil {
			continue
		}
		if g := p.Var.Grad; g.DType() == tensor.Float32 {
			clamp(g.Float32s(), float32(limit))
		} else {
			clamp(g.Data(), limit)
		}
	}
}

// addSquares returns sq + Σx², accumulated in float64 in order, whatever
// x's type.
func addSquares[E element](sq float64, x []E) float64 {
	for _, v := range x {
		sq += float64(v) * float64(v)
	}
	return sq
}

// clamp limits every element of x to [−limit, limit].
func clamp[E element](x []E, limit E) {
	for j, v := range x {
		x[j] = min(max(v, -limit), limit)
	}
}

// Momentum returns the momentum factor μ.
func (o *SGD) Momentum() float64 { return o.cfg.Momentum }

// SetMomentum sets the momentum factor, for schedules that cycle it
// (OneCycleLR). An SGD made without momentum keeps no buffers to apply it
// to, so it must be made with a momentum to have it changed.
func (o *SGD) SetMomentum(m float64) {
	check("SGD.SetMomentum", o.cfg.Momentum != 0, "this SGD was made without momentum; give SGDConfig a Momentum to cycle it")
	check("SGD.SetMomentum", m > 0 && m < 1, "momentum %v outside (0, 1)", m)
	o.cfg.Momentum = m
}

// Momentum returns β₁, the decay of the first moment, which plays the part
// of momentum.
func (o *Adam) Momentum() float64 { return o.cfg.Beta1 }

// SetMomentum sets β₁, for schedules that cycle it (OneCycleLR), as
// PyTorch's schedules set betas[0].
func (o *Adam) SetMomentum(m float64) {
	check("Adam.SetMomentum", m > 0 && m < 1, "β₁ %v outside (0, 1)", m)
	o.cfg.Beta1 = m
}
