package callbacks

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/minidl/minidl/internal/quote"
	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/optim"
)

// ModelCheckpointConfig configures ModelCheckpoint.
type ModelCheckpointConfig struct {
	// Path is the file name pattern. Fields in braces are filled in at each
	// save: {epoch} is the epoch, from 0 as on every surface of minidl
	// (Keras names its files from 1),
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
	// Verbose announces each save, and with SaveBestOnly each epoch that
	// did not improve, on a line to Out, as Keras's verbose=1 (its epochs
	// numbered from 0): "Epoch 5: val_loss improved from 0.31000 to
	// 0.29000, saving model to m.safetensors", "Epoch 6: val_loss did not
	// improve from 0.29000", or without SaveBestOnly "Epoch 5: saving model
	// to m.safetensors".
	Verbose bool
	// Out receives a line for each save skipped because the weights or the
	// monitored value are not finite, and Verbose's lines; nil means
	// os.Stderr.
	Out io.Writer
}

// ModelCheckpoint saves the model's weights as a safetensors file at the end
// of every epoch, or only of the best ones. Each file is written atomically
// (nn.SaveFile) and carries the epoch, the logs and the run's identity
// ("run_id", Run.ID) as metadata. The folder is created when training
// begins (and, for a folder named by a field, at each save). An epoch whose
// weights or monitored value are NaN or infinite is never saved, so that a
// diverging run does not replace a good checkpoint; the skip is written to
// Out.
//
// KeepLast deletes only what the callback can prove its run wrote: a file
// that Path names, whose run_id is the run's. A file of another run (a
// run resumed from a copy of another's checkpoint, a file written over
// since) is kept, and the keep is written to Out.
type ModelCheckpoint struct {
	Base
	cfg     ModelCheckpointConfig
	tracker optim.Tracker
	fields  []string       // the names in Path's braces
	names   *regexp.Regexp // every path Filename can give
	run     string         // the identity its files carry
	written []string
}

var pathField = regexp.MustCompile(`\{([^{}:]+)(?::([^{}]*))?\}`)

// NewModelCheckpoint returns a ModelCheckpoint. It panics with a
// *ConfigError if Path is empty, a format in it is not one of Go's verbs d,
// f, e, g (with flags, width and precision), or a setting is negative.
func NewModelCheckpoint(cfg ModelCheckpointConfig) *ModelCheckpoint {
	cfg.Monitor = monitorOrDefault(cfg.Monitor)
	check("NewModelCheckpoint", cfg.Path != "", "empty Path")
	check("NewModelCheckpoint", cfg.MinDelta >= 0 && cfg.KeepLast >= 0, "MinDelta %v and KeepLast %d must not be negative", cfg.MinDelta, cfg.KeepLast)
	check("NewModelCheckpoint", cfg.Mode >= Auto && cfg.Mode <= Max, "unknown mode %d", int(cfg.Mode))
	// A saved state holds the paths as JSON text, which cannot hold bytes
	// that are not UTF-8.
	check("NewModelCheckpoint", utf8.ValidString(cfg.Path), "Path %q is not UTF-8", cfg.Path)
	c := &ModelCheckpoint{cfg: cfg, tracker: optim.Tracker{MinDelta: cfg.MinDelta}}
	names, last := "^", 0
	for _, m := range pathField.FindAllStringSubmatchIndex(cfg.Path, -1) {
		name, format := cfg.Path[m[2]:m[3]], ""
		if m[4] >= 0 {
			format = cfg.Path[m[4]:m[5]]
		}
		check("NewModelCheckpoint", validFormat(format), "format %q of {%s} is not a number format such as 03d or .4f", format, name)
		check("NewModelCheckpoint", name != "epoch" || format == "" || strings.HasSuffix(format, "d"), "{epoch} takes an integer format such as 03d")
		c.fields = append(c.fields, name)
		// A field gives a number (or stays as written, for a name the logs
		// lack): never a separator, nor "." or "..".
		names += regexp.QuoteMeta(cfg.Path[last:m[0]]) + `(?:` + numberText + `|` + regexp.QuoteMeta(cfg.Path[m[0]:m[1]]) + `)`
		last = m[1]
	}
	c.names = regexp.MustCompile(names + regexp.QuoteMeta(cfg.Path[last:]) + "$")
	return c
}

// numberText matches every number Filename writes in a field: Go's %d, %f,
// %e, %g and strconv's 'g', with signs, padding, infinities and NaN.
const numberText = ` *[-+]? *(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|Inf|NaN) *`

// mine reports whether path is one Filename can give.
func (c *ModelCheckpoint) mine(path string) bool { return c.names.MatchString(path) }

var formatSpec = regexp.MustCompile(`^[-+ #0]*[0-9]*(\.[0-9]+)?[dfeEgG]$`)

func validFormat(f string) bool { return f == "" || formatSpec.MatchString(f) }

// OnTrainBegin checks that the path's fields and the monitor will be
// logged, and resolves the mode. The files it writes carry the run's ID, or
// one of its own if the run has none.
func (c *ModelCheckpoint) OnTrainBegin(r *Run) error {
	if !r.Resumed {
		c.tracker.Reset()
		c.written = nil
	}
	if c.run = r.ID; c.run == "" {
		c.run = NewRunID()
	}
	if dir := filepath.Dir(c.cfg.Path); !strings.ContainsAny(dir, "{}") {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("callbacks: ModelCheckpoint: creating the folder %s: %w", dir, err)
		}
	}
	for _, f := range c.fields {
		if f != "epoch" {
			if err := checkLogged("ModelCheckpoint", "path field {"+f+"}", f, r); err != nil {
				return err
			}
		}
	}
	if !c.cfg.SaveBestOnly {
		return nil
	}
	mode, err := monitorMode("ModelCheckpoint", c.cfg.Monitor, c.cfg.Mode, r)
	c.tracker.Mode = mode
	return err
}

// OnEpochEnd saves the model if it should. It panics with a *ConfigError
// on a negative epoch: epochs are numbered from 0.
func (c *ModelCheckpoint) OnEpochEnd(r *Run, epoch int, logs Logs) error {
	check("ModelCheckpoint.OnEpochEnd", epoch >= 0, "epoch %d is negative: epochs are numbered from 0", epoch)
	current, monitored := logs[c.cfg.Monitor]
	if monitored && !finite(current) {
		r.Printf(c.cfg.Out, "Epoch %d: ModelCheckpoint: %s = %v is not finite; not saving", epoch, c.cfg.Monitor, current)
		return nil
	}
	if name, ok := nonFiniteParameter(r.Model); ok {
		r.Printf(c.cfg.Out, "Epoch %d: ModelCheckpoint: parameter %s is not finite; not saving", epoch, name)
		return nil
	}
	best := c.tracker.Best()
	if c.cfg.SaveBestOnly && (!monitored || !c.tracker.Observe(epoch, current)) {
		if c.cfg.Verbose && monitored {
			r.Printf(c.cfg.Out, "Epoch %d: %s did not improve from %.5f", epoch, c.cfg.Monitor, best)
		}
		return nil
	}
	path := c.Filename(epoch, logs)
	if c.cfg.Verbose {
		if c.cfg.SaveBestOnly {
			r.Printf(c.cfg.Out, "Epoch %d: %s improved from %.5f to %.5f, saving model to %s", epoch, c.cfg.Monitor, best, current, path)
		} else {
			r.Printf(c.cfg.Out, "Epoch %d: saving model to %s", epoch, path)
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("callbacks: ModelCheckpoint: creating the folder %s: %w", filepath.Dir(path), err)
	}
	meta := map[string]string{}
	for k, v := range logs {
		meta[k] = strconv.FormatFloat(v, 'g', -1, 64)
	}
	meta["epoch"], meta[runIDKey] = strconv.Itoa(epoch), c.run
	if err := nn.Save(path, r.Model, meta); err != nil {
		return fmt.Errorf("callbacks: ModelCheckpoint: %w", err)
	}
	// A path written again is the newest file, wherever it stood before.
	c.written = append(slices.DeleteFunc(c.written, func(p string) bool { return p == path }), path)
	for c.cfg.KeepLast > 0 && len(c.written) > c.cfg.KeepLast {
		old := c.written[0]
		c.written = c.written[1:]
		if err := c.remove(r, epoch, old); err != nil {
			return fmt.Errorf("callbacks: ModelCheckpoint: %w", err)
		}
	}
	return nil
}

// runIDKey is the metadata entry of a checkpoint file that names the run
// that wrote it.
const runIDKey = "run_id"

// remove deletes path, a file the callback wrote, if it can prove its run
// wrote it: Path names it and its run_id is the run's. A file that is gone
// is no error; one it cannot prove is kept, and the keep is written to Out.
func (c *ModelCheckpoint) remove(r *Run, epoch int, path string) error {
	run, err := fileRunID(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err == nil && run == c.run && c.mine(path):
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	case err == nil:
		err = fmt.Errorf("its run_id is %s, not this run's %s", quote.Text(run), c.run)
	}
	r.Printf(c.cfg.Out, "Epoch %d: ModelCheckpoint: not deleting %s: %v", epoch, path, err)
	return nil
}

// fileRunID returns the run_id in the metadata of the safetensors file at
// path, reading its header only, not its weights.
func fileRunID(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return "", err
	}
	var size [8]byte
	if _, err := io.ReadFull(f, size[:]); err != nil {
		return "", errors.New("not a safetensors file")
	}
	n := binary.LittleEndian.Uint64(size[:])
	if n > uint64(info.Size()-8) {
		return "", errors.New("not a safetensors file: its header is longer than the file")
	}
	header := make([]byte, n)
	if _, err := io.ReadFull(f, header); err != nil {
		return "", err
	}
	var h struct {
		Meta map[string]string `json:"__metadata__"`
	}
	if err := json.Unmarshal(header, &h); err != nil {
		return "", fmt.Errorf("not a safetensors file: %v", err)
	}
	run, ok := h.Meta[runIDKey]
	if !ok {
		return "", errors.New("it has no run_id")
	}
	return run, nil
}

// nonFiniteParameter returns the name of a parameter of m that holds a NaN
// or an infinity, if one does.
func nonFiniteParameter(m nn.Module) (string, bool) {
	for _, p := range m.Parameters() {
		for _, v := range p.Var.Value.Data() {
			if !finite(v) {
				return p.Name, true
			}
		}
	}
	return "", false
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
			return fmt.Sprintf("%"+format, epoch)
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
