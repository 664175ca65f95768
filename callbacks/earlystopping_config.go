package callbacks

import (
	"errors"
	"io"

	"github.com/minidl/minidl/optim"
)

// EarlyStoppingConfig configures EarlyStopping. The zero value monitors
// "val_loss", minimizing it, and stops at the first epoch without
// improvement (Keras's defaults), stops at once on a NaN or infinite value
// (Lightning's check_finite), and treats a monitored name missing from the
// logs as an error (Lightning's strict).
type EarlyStoppingConfig struct {
	// Monitor is the log entry to watch; "" means "val_loss".
	Monitor string
	// Mode says whether Monitor should fall (Min) or rise (Max); Auto
	// infers it from the name.
	Mode Mode
	// AlsoMonitor lists further quantities to watch: training goes on while
	// any monitored quantity improves (the count of epochs without
	// improvement restarts when one does), and the best epoch, the one
	// RestoreBestWeights restores, is chosen lexicographically: by Monitor,
	// then, among epochs that tie on it (neither better by more than
	// MinDelta), by the first further quantity, and so on. The other rules
	// read Monitor alone.
	AlsoMonitor []Monitored

	// MinDelta is the margin an improvement must beat: a value improves on
	// the best only if it is better by more than MinDelta (a change of
	// exactly MinDelta is not an improvement, as in Keras). With
	// RelativeDelta the margin is MinDelta·|best| instead, which stays
	// meaningful for values of either sign.
	MinDelta      float64
	RelativeDelta bool

	// Patience is the number of epochs without improvement after which
	// training stops: it stops when the count of epochs since the last
	// improvement reaches Patience (Keras counts the same way), and never at
	// the first monitored epoch. Zero, the default, is Keras's patience 0
	// (stop at the first epoch without improvement) when no other rule is
	// set, and turns patience off when one is (a threshold, GL, PQ, UP or
	// Rules), so that setting only GL runs GL. A negative Patience always
	// turns this rule off.
	Patience int
	// PatienceIncrease lets patience grow with the run, as the classic
	// deep-learning tutorials' "patience increase" does: the patience in
	// force is max(Patience, ⌈PatienceIncrease · best epoch⌉), so that a
	// long, slowly improving run is not cut off by a patience chosen for its
	// first epochs. 0 turns it off.
	PatienceIncrease float64
	// Baseline, if set, must be beaten: the count of epochs without
	// improvement restarts only on a value that improves on both the best
	// and the baseline, so training stops after Patience epochs if the
	// baseline is never beaten (Keras semantics).
	Baseline *float64

	// StartFromEpoch: epochs before it are not monitored at all (warm-up).
	StartFromEpoch int
	// MinEpochs: no rule stops training before this many epochs have run,
	// except the non-finite check. Nothing decided before it is kept: at
	// MinEpochs every rule is asked afresh on the values so far, and the
	// strip rules (PQ, UP) on the last whole strip even if MinEpochs ends
	// none.
	MinEpochs int

	// SmoothEMA, if positive, makes the rules (and the improvement test)
	// read an exponential moving average of the monitored value instead of
	// the value, bias-corrected as Adam corrects its moments: m ← α·v +
	// (1 − α)·m from m = 0, read as m / (1 − (1 − α)ᵗ) after t values, with
	// α = SmoothEMA, so that it does not lag the values at the start.
	// SmoothEMA 1 is no smoothing, 0.3 a strong one. SmoothMedian, if
	// positive, makes them read the median of the last SmoothMedian values
	// instead. They are for noisy validation curves; set at most one. The
	// non-finite check reads the raw value.
	SmoothEMA    float64
	SmoothMedian int

	// StoppingThreshold, if set, stops training as soon as the monitored
	// value is strictly better than it (MinDelta plays no part): a target
	// reached, as a loss tolerance.
	StoppingThreshold *float64
	// DivergenceThreshold, if set, stops training as soon as the monitored
	// value is strictly worse than it: the run has gone astray.
	DivergenceThreshold *float64
	// AllowNonFinite turns off the check that stops training at once on a
	// NaN or infinite value; such a value then simply never improves.
	AllowNonFinite bool
	// AllowMissing makes a monitored name missing from the logs a warning,
	// written once to Out and naming the keys that are there, after which
	// such epochs are skipped; by default it is an error.
	AllowMissing bool

	// Prechelt's criteria ("Early Stopping — But When?", 1998), each off at
	// zero; see prechelt.go for the formulas. They need Mode Min, and PQ
	// needs the training error too. GL stops when the generalization loss
	// exceeds GL percent; PQ when, at the end of a strip of StripLength
	// epochs, the generalization loss per unit of training progress exceeds
	// PQ; UP when the validation error has risen, strip end to strip end, UP
	// times in a row.
	GL, PQ float64
	UP     int
	// StripLength is Prechelt's k; 0 means 5.
	StripLength int
	// TrainingMonitor is the training error PQ and Learned read; "" means
	// "loss".
	TrainingMonitor string

	// NoiseAware, if set, adds noise-aware patience: training stops when
	// NoiseAware.Patience values in a row bring no improvement larger than
	// the monitor's own noise (see NoiseAwareConfig).
	NoiseAware *NoiseAwareConfig

	// Remaining, if set, adds the remaining-budget rule: training stops
	// when learning curves fitted to the values so far make an improvement
	// worth the rest of the budget unlikely (see RemainingConfig). It
	// needs the Budget.
	Remaining *RemainingConfig

	// Learned, if set, adds the learned rule: training stops when a small
	// model trained on recorded learning curves judges that continuing is
	// unlikely to pay (see LearnedConfig). It needs the Budget and reads
	// the training error (TrainingMonitor).
	Learned *LearnedConfig

	// Budget is the most epochs the run will take (checks, with
	// ValidateEvery), which the rules that weigh the rest of the budget
	// read. 0 means the run's: train.Fit's Epochs (times the checks of an
	// epoch), Replay's curve's. In a loop of your own, set it.
	Budget int

	// Rules are stopping rules of your own, asked after the built-in ones.
	Rules []Rule

	// RestoreBestWeights restores, at the end of training, the weights of
	// the best epoch, however training ended (as Keras 3 does): by this
	// callback, by another, by cancellation or by running out of epochs.
	RestoreBestWeights bool

	// Verbose writes the stop message to Out when training ends.
	Verbose bool
	// Out receives warnings and messages; nil means os.Stderr.
	Out io.Writer
}

// Recommended returns the configuration the early-stopping study
// (docs/stopping-study.md, cmd/stopstudy) recommends: patience 20 on the
// raw val_loss, best weights restored.
//
// It is the rule with the best cross-validated trade-off the study found
// on 1,223 curves per epoch of 12 tasks (each rule's free parameters chosen
// on eleven tasks, scored on the twelfth): 55.0% of the budget for a mean
// regret of 0.281, against 0.271 for the full budget, with the best
// validation epoch's weights. Patience 10 is cheaper (46.9%) and stops too
// early more often (regret 0.303); UP 2 costs 51.5% for 0.292; no rule
// minidl adds (smoothed, noise-aware, remaining-budget or learned) beat
// fixed patience there. An earlier preset, patience 20 on a bias-corrected
// EMA 0.5, chosen on 350 development curves, cost more (55.8%) for a higher
// regret (0.292) on the full corpus and was replaced by the rule that
// dominated it. Set Monitor and the rest as for any configuration.
func Recommended() EarlyStoppingConfig {
	return EarlyStoppingConfig{Patience: 20, RestoreBestWeights: true}
}

// NewEarlyStopping returns an EarlyStopping with the given configuration.
// It panics with a *ConfigError on settings that cannot work: a negative
// MinDelta, StripLength, UP, GL or PQ, an unknown Mode, or Prechelt's
// criteria on a maximized quantity.
func NewEarlyStopping(cfg EarlyStoppingConfig) *EarlyStopping {
	cfg.Monitor = monitorOrDefault(cfg.Monitor)
	if cfg.TrainingMonitor == "" {
		cfg.TrainingMonitor = "loss"
	}
	if cfg.StripLength == 0 {
		cfg.StripLength = 5
	}
	const op = "NewEarlyStopping"
	check(op, cfg.Mode >= Auto && cfg.Mode <= Max, "unknown mode %d", int(cfg.Mode))
	check(op, cfg.MinDelta >= 0, "MinDelta %v is negative", cfg.MinDelta)
	check(op, cfg.StripLength > 0 && cfg.UP >= 0 && cfg.GL >= 0 && cfg.PQ >= 0,
		"StripLength %d, UP %d, GL %v and PQ %v must not be negative", cfg.StripLength, cfg.UP, cfg.GL, cfg.PQ)
	check(op, cfg.SmoothEMA >= 0 && cfg.SmoothEMA <= 1 && cfg.SmoothMedian >= 0, "SmoothEMA %v outside [0, 1] or SmoothMedian %d negative", cfg.SmoothEMA, cfg.SmoothMedian)
	check(op, cfg.SmoothEMA == 0 || cfg.SmoothMedian == 0, "set SmoothEMA or SmoothMedian, not both")
	check(op, cfg.PatienceIncrease >= 0, "PatienceIncrease %v is negative", cfg.PatienceIncrease)
	check(op, cfg.Budget >= 0, "Budget %d is negative", cfg.Budget)
	e := &EarlyStopping{cfg: cfg, smooth: smoother{alpha: cfg.SmoothEMA, window: cfg.SmoothMedian}, budget: cfg.Budget,
		train: cfg.PQ > 0 || cfg.Learned != nil}
	e.tracker = optim.Tracker{MinDelta: cfg.MinDelta, Relative: cfg.RelativeDelta, Baseline: cfg.Baseline}
	mode, err := resolveMode(cfg.Mode, cfg.Monitor)
	also, alsoErr := newAlsoMonitors(op, cfg)
	e.modeErr, e.also = errors.Join(err, alsoErr), also
	if err == nil {
		check(op, mode == Min || !e.usesPrechelt(), "Prechelt's criteria need a quantity to minimize, and %s is maximized", cfg.Monitor)
		e.tracker.Mode = mode
	}
	if t := cfg.StoppingThreshold; t != nil {
		e.rules = append(e.rules, stoppingThreshold(*t))
	}
	if t := cfg.DivergenceThreshold; t != nil {
		e.rules = append(e.rules, divergenceThreshold(*t))
	}
	if cfg.GL > 0 {
		e.rules = append(e.rules, generalizationLoss(cfg.GL))
	}
	if cfg.PQ > 0 {
		e.rules = append(e.rules, progressQuotient{cfg.PQ, cfg.StripLength})
	}
	if cfg.UP > 0 {
		e.rules = append(e.rules, upStrips{cfg.UP, cfg.StripLength})
	}
	var added []Rule
	if c := cfg.NoiseAware; c != nil {
		check(op, c.Patience >= 0 && c.Sigmas >= 0 && (c.Window == 0 || c.Window >= noiseMinWindow),
			"NoiseAware: Patience %d and Sigmas %v must not be negative, Window %d at least %d", c.Patience, c.Sigmas, c.Window, noiseMinWindow)
		added = append(added, newNoiseAware(*c))
	}
	if c := cfg.Remaining; c != nil {
		check(op, c.Margin >= 0 && c.Probability >= 0 && c.Probability <= 1 && c.Bootstrap >= 0 && (c.MinValues == 0 || c.MinValues >= 5),
			"Remaining: Margin %v, Probability %v outside [0, 1], Bootstrap %d negative or MinValues %d below 5", c.Margin, c.Probability, c.Bootstrap, c.MinValues)
		added = append(added, newRemaining(*c))
	}
	if cfg.Learned != nil {
		added = append(added, newLearned(op, *cfg.Learned))
	}
	if cfg.Patience > 0 || (cfg.Patience == 0 && len(e.rules) == 0 && len(added) == 0 && len(cfg.Rules) == 0) {
		e.rules = append(e.rules, patience{cfg.Patience, cfg.PatienceIncrease, deltaText(cfg.MinDelta, cfg.RelativeDelta)})
	}
	e.rules = append(e.rules, added...)
	e.rules = append(e.rules, cfg.Rules...)
	e.Reset()
	return e
}

func (e *EarlyStopping) usesPrechelt() bool { return e.cfg.GL > 0 || e.cfg.PQ > 0 || e.cfg.UP > 0 }
