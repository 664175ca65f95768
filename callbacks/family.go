package callbacks

import (
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/optim"
)

// ModelCheckpointConfig configures ModelCheckpoint.
type ModelCheckpointConfig struct {
	// Path is the file name pattern. Fields in braces are filled in at each
	// save: {epoch} is the epoch counted from 1, as Keras names its files,
	// and any log name gives that value, with an optional format after a
	// colon in Python's style: "ckpt-{epoch:03d}-{val_loss:.4f}.safetensors".
	Path string
	// Monitor is the quantity that decides the best model; "" means
	// "val_loss". Mode and MinDelta are as for EarlyStopping.
	Monitor  string
	Mode     Mode
	MinDelta float64
	// SaveBestOnly saves only when Monitor improves on the best so far.
	SaveBestOnly bool
	// KeepLast, if positive, keeps only the newest KeepLast files this
	// callback wrote and deletes the older ones.
	KeepLast int
}

// ModelCheckpoint saves the model's weights as a safetensors file at the end
// of every epoch, or only of the best ones. Each file is written atomically
// (nn.SaveFile) and carries the epoch and the logs as metadata.
type ModelCheckpoint struct {
	Base
	cfg     ModelCheckpointConfig
	rule    optim.Improvement
	fields  []string // the names in Path's braces
	best    float64
	written []string
}

var pathField = regexp.MustCompile(`\{([^{}:]+)(?::([^{}]*))?\}`)

// NewModelCheckpoint returns a ModelCheckpoint. It panics if Path is
// empty, a format in it is not one of Go's verbs d, f, e, g (with flags,
// width and precision), or the mode cannot be inferred.
func NewModelCheckpoint(cfg ModelCheckpointConfig) *ModelCheckpoint {
	if cfg.Monitor == "" {
		cfg.Monitor = "val_loss"
	}
	check("NewModelCheckpoint", cfg.Path != "", "empty Path")
	check("NewModelCheckpoint", cfg.MinDelta >= 0 && cfg.KeepLast >= 0, "MinDelta %v and KeepLast %d must not be negative", cfg.MinDelta, cfg.KeepLast)
	mode, err := cfg.Mode.resolve(cfg.Monitor)
	check("NewModelCheckpoint", err == nil, "%v", err)
	c := &ModelCheckpoint{cfg: cfg, rule: optim.Improvement{Mode: mode, ThresholdMode: optim.Abs, Threshold: cfg.MinDelta}}
	for _, m := range pathField.FindAllStringSubmatch(cfg.Path, -1) {
		check("NewModelCheckpoint", validFormat(m[2]), "format %q of {%s} is not a number format such as 03d or .4f", m[2], m[1])
		check("NewModelCheckpoint", m[1] != "epoch" || m[2] == "" || strings.HasSuffix(m[2], "d"), "{epoch} takes an integer format such as 03d")
		c.fields = append(c.fields, m[1])
	}
	return c
}

var formatSpec = regexp.MustCompile(`^[-+ #0]*[0-9]*(\.[0-9]+)?[dfeEgG]$`)

func validFormat(f string) bool { return f == "" || formatSpec.MatchString(f) }

// OnTrainBegin checks that the path's fields and the monitor will be logged.
func (c *ModelCheckpoint) OnTrainBegin(r *Run) error {
	c.best = c.rule.Worst()
	c.written = nil
	for _, f := range c.fields {
		if f != "epoch" && !r.HasKey(f) {
			return &ConfigError{Op: "ModelCheckpoint", Detail: fmt.Sprintf("path field {%s} will never be logged; the logs carry %s", f, strings.Join(r.Keys, ", "))}
		}
	}
	if c.cfg.SaveBestOnly && !r.HasKey(c.cfg.Monitor) {
		return &ConfigError{Op: "ModelCheckpoint", Detail: fmt.Sprintf("monitor %q will never be logged; the logs carry %s", c.cfg.Monitor, strings.Join(r.Keys, ", "))}
	}
	return nil
}

// OnEpochEnd saves the model if it should.
func (c *ModelCheckpoint) OnEpochEnd(r *Run, epoch int, logs Logs) error {
	if c.cfg.SaveBestOnly {
		current, ok := logs[c.cfg.Monitor]
		if !ok || !c.rule.Better(current, c.best) {
			return nil
		}
		c.best = current
	}
	path := c.Filename(epoch, logs)
	meta := map[string]string{"epoch": strconv.Itoa(epoch)}
	for k, v := range logs {
		meta[k] = strconv.FormatFloat(v, 'g', -1, 64)
	}
	if err := nn.Save(path, r.Model, meta); err != nil {
		return fmt.Errorf("callbacks: ModelCheckpoint: %w", err)
	}
	// A path written again is the newest file, wherever it stood before.
	c.written = append(slices.DeleteFunc(c.written, func(p string) bool { return p == path }), path)
	for c.cfg.KeepLast > 0 && len(c.written) > c.cfg.KeepLast {
		old := c.written[0]
		c.written = c.written[1:]
		if err := os.Remove(old); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("callbacks: ModelCheckpoint: %w", err)
		}
	}
	return nil
}

// Filename returns the path of the checkpoint of the given epoch.
func (c *ModelCheckpoint) Filename(epoch int, logs Logs) string {
	return pathField.ReplaceAllStringFunc(c.cfg.Path, func(s string) string {
		m := pathField.FindStringSubmatch(s)
		name, format := m[1], m[2]
		if name == "epoch" {
			if format == "" {
				format = "d"
			}
			return fmt.Sprintf("%"+format, epoch+1)
		}
		v, ok := logs[name]
		if !ok {
			return s
		}
		if format == "" {
			return strconv.FormatFloat(v, 'g', -1, 64)
		}
		if strings.HasSuffix(format, "d") {
			return fmt.Sprintf("%"+format, int64(math.Round(v)))
		}
		return fmt.Sprintf("%"+format, v)
	})
}

// Written returns the files this callback has written and kept, oldest
// first.
func (c *ModelCheckpoint) Written() []string { return append([]string(nil), c.written...) }

// ReduceLROnPlateauConfig configures ReduceLROnPlateau. Factor takes
// Keras's default when zero; Keras's defaults for the others are Patience
// 10 and MinDelta 1e-4, which must be set explicitly since zero is a valid
// setting for each.
type ReduceLROnPlateauConfig struct {
	Monitor  string // "" means "val_loss"
	Mode     Mode
	Factor   float64 // multiplies the rate; 0 means 0.1
	Patience int
	MinDelta float64 // absolute margin of an improvement
	Cooldown int     // epochs after a reduction before counting resumes
	MinLR    float64
	// Verbose writes a line to Out at each reduction; nil Out means
	// os.Stderr.
	Verbose bool
	Out     io.Writer
}

// ReduceLROnPlateau multiplies the optimizer's learning rate by Factor when
// Monitor has not improved for Patience epochs, with the rules of Keras's
// ReduceLROnPlateau (which counts as EarlyStopping does: it reduces when
// the count reaches Patience) and the improvement test of optim.Improvement.
// For PyTorch's variant of the rules, use optim.Plateau.
type ReduceLROnPlateau struct {
	Base
	cfg      ReduceLROnPlateauConfig
	rule     optim.Improvement
	best     float64
	wait     int
	cooldown int
}

// NewReduceLROnPlateau returns a ReduceLROnPlateau.
func NewReduceLROnPlateau(cfg ReduceLROnPlateauConfig) *ReduceLROnPlateau {
	if cfg.Monitor == "" {
		cfg.Monitor = "val_loss"
	}
	if cfg.Factor == 0 {
		cfg.Factor = 0.1
	}
	check("NewReduceLROnPlateau", cfg.Factor > 0 && cfg.Factor < 1, "factor %v outside (0, 1)", cfg.Factor)
	check("NewReduceLROnPlateau", cfg.Patience >= 0 && cfg.Cooldown >= 0 && cfg.MinDelta >= 0 && cfg.MinLR >= 0,
		"patience, cooldown, min delta and min LR must not be negative")
	mode, err := cfg.Mode.resolve(cfg.Monitor)
	check("NewReduceLROnPlateau", err == nil, "%v", err)
	return &ReduceLROnPlateau{cfg: cfg, rule: optim.Improvement{Mode: mode, ThresholdMode: optim.Abs, Threshold: cfg.MinDelta}}
}

// OnTrainBegin resets the state and checks the monitor and optimizer.
func (p *ReduceLROnPlateau) OnTrainBegin(r *Run) error {
	p.best, p.wait, p.cooldown = p.rule.Worst(), 0, 0
	if r.Optimizer == nil {
		return &ConfigError{Op: "ReduceLROnPlateau", Detail: "the run has no optimizer"}
	}
	if !r.HasKey(p.cfg.Monitor) {
		return &ConfigError{Op: "ReduceLROnPlateau", Detail: fmt.Sprintf("monitor %q will never be logged; the logs carry %s", p.cfg.Monitor, strings.Join(r.Keys, ", "))}
	}
	return nil
}

// OnEpochEnd applies the plateau rule.
func (p *ReduceLROnPlateau) OnEpochEnd(r *Run, epoch int, logs Logs) error {
	current, ok := logs[p.cfg.Monitor]
	if !ok {
		return nil
	}
	if p.cooldown > 0 {
		p.cooldown--
		p.wait = 0
	}
	if p.rule.Better(current, p.best) {
		p.best, p.wait = current, 0
		return nil
	}
	if p.cooldown > 0 {
		return nil
	}
	p.wait++
	if p.wait < p.cfg.Patience {
		return nil
	}
	old := r.Optimizer.LR()
	if old > p.cfg.MinLR {
		lr := max(old*p.cfg.Factor, p.cfg.MinLR)
		r.Optimizer.SetLR(lr)
		p.cooldown, p.wait = p.cfg.Cooldown, 0
		if p.cfg.Verbose {
			out := p.cfg.Out
			if out == nil {
				out = os.Stderr
			}
			fmt.Fprintf(out, "Epoch %d: ReduceLROnPlateau: learning rate %g → %g\n", epoch, old, lr)
		}
	}
	return nil
}

// TerminateOnNaN stops training at the first batch whose loss is NaN or
// infinite, as Keras's TerminateOnNaN does.
type TerminateOnNaN struct{ Base }

// OnBatchEnd checks the batch's loss.
func (TerminateOnNaN) OnBatchEnd(r *Run, batch int, logs Logs) error {
	if l, ok := logs["loss"]; ok && (math.IsNaN(l) || math.IsInf(l, 0)) {
		r.Stop(StopNonFinite, fmt.Sprintf("batch %d: loss %v, terminating training", batch, l))
	}
	return nil
}
