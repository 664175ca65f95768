package tune

import (
	"hash/crc32"
	"math"
	"strconv"
)

// HyperbandConfig configures HyperbandPruner. The zero value is Optuna's
// defaults: minimum resource 1, an automatic maximum resource, reduction
// factor 3, no bootstrap, and pruning (not pausing).
type HyperbandConfig struct {
	// MinResource is r, the steps before the first rung of the most
	// aggressive bracket; 0 means 1.
	MinResource int
	// MaxResource is R, the steps of a full trial. 0 means automatic, as
	// Optuna's "auto": the last step + 1, where the last step is the one
	// trials declare they will reach (View.MaxStep: the PruningCallback
	// declares the run's last epoch), or, if none has, as in Optuna, the
	// last step of the longest trial completed so far; no trial is pruned
	// before it is known. It is fixed the first time it is known (recorded
	// on the deciding trial, so a resumed study keeps it).
	MaxResource int
	// ReductionFactor is η; 0 means 3. There are ⌊log_η(R/r)⌋ + 1 brackets.
	ReductionFactor int
	// BootstrapCount, as in SuccessiveHalvingConfig; it needs a MaxResource.
	BootstrapCount int

	// Pause, BestSoFar, SmoothEMA and CountEnded are as in
	// SuccessiveHalvingConfig, applied within each bracket.
	Pause      bool
	BestSoFar  bool
	SmoothEMA  float64
	CountEnded bool
}

// HyperbandPruner is Hyperband (Li et al. 2018) as Optuna runs it: several
// successive-halving brackets, bracket s with minimum early-stopping rate
// s, each trial assigned to one bracket by a hash of the study's name and
// its number (crc32 of "name_number", as Optuna, with brackets weighted by
// the trials the paper gives them), and compared only with the trials of
// its bracket.
type HyperbandPruner struct {
	cfg  HyperbandConfig
	read reading
}

// NewHyperbandPruner returns a HyperbandPruner. It panics with an *Error
// on a negative setting, a ReductionFactor of 1, a MaxResource below
// MinResource or above 2³¹ − 1, a BootstrapCount without a MaxResource, or
// a SmoothEMA outside [0, 1].
func NewHyperbandPruner(cfg HyperbandConfig) *HyperbandPruner {
	const op = "NewHyperbandPruner"
	if cfg.MinResource == 0 {
		cfg.MinResource = 1
	}
	if cfg.ReductionFactor == 0 {
		cfg.ReductionFactor = 3
	}
	check(op, cfg.MinResource > 0 && cfg.MaxResource >= 0 && cfg.BootstrapCount >= 0,
		"MinResource %d, MaxResource %d and BootstrapCount %d must not be negative", cfg.MinResource, cfg.MaxResource, cfg.BootstrapCount)
	check(op, cfg.ReductionFactor >= 2, "ReductionFactor %d is below 2", cfg.ReductionFactor)
	check(op, cfg.MaxResource == 0 || cfg.MaxResource >= cfg.MinResource, "MaxResource %d is below MinResource %d", cfg.MaxResource, cfg.MinResource)
	check(op, cfg.MaxResource <= math.MaxInt32, "MaxResource %d is above 2³¹ − 1", cfg.MaxResource)
	check(op, cfg.BootstrapCount == 0 || cfg.MaxResource > 0, "BootstrapCount %d needs a MaxResource, not the automatic one", cfg.BootstrapCount)
	return &HyperbandPruner{cfg: cfg, read: newReading(op, cfg.BestSoFar, cfg.SmoothEMA)}
}

// Decide runs successive halving within the trial's bracket.
func (p *HyperbandPruner) Decide(v View, t FrozenTrial) Decision {
	trials := v.Trials()
	b, ok := p.brackets(v, trials, t.Number)
	if !ok {
		return Continue
	}
	if _, ok := t.LastStep(); !ok {
		return Continue
	}
	id := b.of(v.Name(), t.Number)
	h := p.bracket(id)
	return h.decide(v, b.peers(v.Name(), trials, id), t, p.cfg.MinResource)
}

// Promote returns the paused trials now among the best of their rung in
// their bracket, higher rungs first, then best first. It returns nil
// unless the pruner pauses.
func (p *HyperbandPruner) Promote(v View) []int {
	if !p.cfg.Pause {
		return nil
	}
	trials := v.Trials()
	maxResource := p.cfg.MaxResource
	if maxResource == 0 {
		maxResource = recordedAttr(trials, maxResourceAttr)
	}
	b := newBrackets(p.cfg.MinResource, maxResource, p.cfg.ReductionFactor)
	var found []promotion
	for i := range trials {
		if trials[i].State != Paused || b.n == 0 {
			continue
		}
		id := b.of(v.Name(), trials[i].Number)
		h := p.bracket(id)
		if pr, ok := h.promotable(v.Direction(), b.peers(v.Name(), trials, id), &trials[i], p.cfg.MinResource); ok {
			found = append(found, pr)
		}
	}
	return promotionOrder(v.Direction(), found)
}

// bracket returns successive halving as bracket id runs it.
func (p *HyperbandPruner) bracket(id int) halving {
	return halving{minResource: p.cfg.MinResource, factor: p.cfg.ReductionFactor, rate: id,
		bootstrap: p.cfg.BootstrapCount, pause: p.cfg.Pause, countEnded: p.cfg.CountEnded, read: p.read}
}

// brackets returns the brackets, fixing the automatic maximum resource on
// trial n if no trial has yet; false while it cannot be fixed, or if there
// are no brackets (an automatic maximum below the minimum).
func (p *HyperbandPruner) brackets(v View, trials []FrozenTrial, n int) (brackets, bool) {
	maxResource := p.cfg.MaxResource
	if maxResource == 0 {
		maxResource = recordedAttr(trials, maxResourceAttr)
	}
	if maxResource == 0 {
		last, ok := lastStep(v, trials)
		if !ok {
			return brackets{}, false
		}
		maxResource = last + 1
		v.SetAttr(n, maxResourceAttr, float64(maxResource))
	}
	b := newBrackets(p.cfg.MinResource, maxResource, p.cfg.ReductionFactor)
	return b, b.n > 0
}

// brackets are Hyperband's brackets and the share of trials each gets.
type brackets struct {
	n       int
	budgets []int // budgets[s]: the trials bracket s gets out of total
	total   int
}

// newBrackets returns the ⌊log_η(R/r)⌋ + 1 brackets, bracket s getting
// ⌈n·η^(n−1−s)/(n−s)⌉ trials in every n·… (Optuna's trial allocation
// budgets). The number of brackets is computed exactly, where Optuna's
// floating-point logarithm can fall one short when R/r is a power of η.
func newBrackets(minResource, maxResource, factor int) brackets {
	var b brackets
	for r := minResource; r <= maxResource; r *= factor {
		b.n++
		if r > maxResource/factor {
			break
		}
	}
	for s := range b.n {
		k := b.n - 1 - s
		pow := 1
		for range k {
			pow *= factor
		}
		budget := (b.n*pow + k) / (k + 1)
		b.budgets = append(b.budgets, budget)
		b.total += budget
	}
	return b
}

// of returns the bracket of trial number in the study named name.
func (b brackets) of(name string, number int) int {
	return b.ofKey(appendKey(nil, name, number))
}

// appendKey appends to buf the text whose hash places a trial, as Optuna
// writes it: "name_number".
func appendKey(buf []byte, name string, number int) []byte {
	return strconv.AppendInt(append(append(buf, name...), '_'), int64(number), 10)
}

// ofKey returns the bracket of the trial whose key is key.
func (b brackets) ofKey(key []byte) int {
	n := int(crc32.ChecksumIEEE(key) % uint32(b.total))
	for s, budget := range b.budgets {
		if n -= budget; n < 0 {
			return s
		}
	}
	panic("tune: hyperband bracket out of range") // unreachable: n < total
}

// peers returns the trials of bracket id.
func (b brackets) peers(name string, trials []FrozenTrial, id int) []FrozenTrial {
	in := make([]FrozenTrial, 0, len(trials)*b.budgets[id]/b.total+1)
	var key []byte
	for i := range trials {
		key = appendKey(key[:0], name, trials[i].Number)
		if b.ofKey(key) == id {
			in = append(in, trials[i])
		}
	}
	return in
}
