package callbacks

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/minidl/minidl/internal/quote"
)

// Curve is one recorded training run: what was trained and how, and the
// values logged at the end of every epoch (or at every validation check),
// one series per log name, all of the same length. NaN stands for an entry
// that did not log the name (or logged NaN).
//
// The series a study of stopping rules reads are "loss" (the training
// loss), "val_loss", "val_error", "test_loss" and "test_error", where an
// error is 1 − accuracy for a classification and the loss itself for a
// regression; a curve may hold any others ("lr", …).
type Curve struct {
	// ID names the run, unique within a corpus; "" if not given.
	ID        string
	Task      string
	Model     string
	Optimizer string
	Seed      uint64
	// Budget is the number of epochs the run was given, whether or not it
	// ran them all; 0 if not recorded.
	Budget int
	// Unit is what one entry of a series is: UnitEpoch ("" means the same)
	// for the values of every epoch's end, or UnitCheck for those of every
	// validation check of a run with train.Config.ValidateEvery,
	// ChecksPerEpoch of them an epoch, the last at the epoch's end.
	Unit           string
	ChecksPerEpoch int
	// Settings are the run's settings as text, by name ("lr", "schedule",
	// "batch_size", "weight_decay", "dropout", "arch", …); nil if none.
	Settings map[string]string
	Series   map[string][]float64
}

// The units of a Curve's series.
const (
	UnitEpoch = "epoch"
	UnitCheck = "check"
)

// Epochs returns the number of entries of each series: epochs, or checks
// when Unit is UnitCheck.
func (c *Curve) Epochs() int {
	for _, s := range c.Series {
		return len(s)
	}
	return 0
}

// Logs returns the logs of epoch e, without the names it lacks.
func (c *Curve) Logs(e int) Logs {
	logs := make(Logs, len(c.Series))
	for k, s := range c.Series {
		if !math.IsNaN(s[e]) {
			logs[k] = s[e]
		}
	}
	return logs
}

// problem returns what makes c a curve that no file may hold, or "".
func (c *Curve) problem() string {
	switch {
	case len(c.Series) == 0:
		return "no series"
	case len(c.Series) > maxNames || len(c.Settings) > maxNames:
		return fmt.Sprintf("%d series and %d settings: want at most %d of each", len(c.Series), len(c.Settings), maxNames)
	}
	entries := -1
	for _, k := range slices.Sorted(maps.Keys(c.Series)) {
		n := len(c.Series[k])
		switch {
		case n == 0:
			return fmt.Sprintf("series %s has no values", quote.Text(k))
		case entries >= 0 && n != entries:
			return fmt.Sprintf("series %s has %d values, the others %d", quote.Text(k), n, entries)
		}
		entries = n
	}
	perEpoch := 1
	switch c.Unit {
	case "", UnitEpoch:
		if c.ChecksPerEpoch != 0 {
			return fmt.Sprintf("checks per epoch %d with the unit %q: want none", c.ChecksPerEpoch, UnitEpoch)
		}
	case UnitCheck:
		if c.ChecksPerEpoch < 1 {
			return fmt.Sprintf("checks per epoch %d with the unit %q: want a positive count", c.ChecksPerEpoch, UnitCheck)
		}
		perEpoch = c.ChecksPerEpoch
	default:
		return fmt.Sprintf("unit %s: want %q or %q", quote.Text(c.Unit), UnitEpoch, UnitCheck)
	}
	epochs := entries / perEpoch
	if entries%perEpoch != 0 {
		epochs++
	}
	switch {
	case c.Budget < 0:
		return fmt.Sprintf("budget %d: want a count of epochs, or 0 for none", c.Budget)
	case c.Budget > 0 && epochs > c.Budget:
		return fmt.Sprintf("%d values, more than the budget of %d epochs holds", entries, c.Budget)
	}
	return ""
}

// CurveFormat is the first field of every line of a curve file: the
// format and its version.
const CurveFormat = "minidl-curve/1"

// maxCurveLine bounds one line of a curve file: a run of 100,000 epochs
// of a dozen series fits.
const maxCurveLine = 64 << 20

// curveLine is a Curve as one JSON line. The fields after seed are
// optional, so that the files written before them read as they did.
type curveLine struct {
	Format         string        `json:"format"`
	ID             string        `json:"id,omitempty"`
	Task           string        `json:"task"`
	Model          string        `json:"model"`
	Optimizer      string        `json:"optimizer"`
	Seed           uint64        `json:"seed"`
	Budget         int           `json:"budget,omitempty"`
	Unit           string        `json:"unit,omitempty"`
	ChecksPerEpoch int           `json:"checks_per_epoch,omitempty"`
	Settings       names[string] `json:"settings,omitzero"`
	Series         names[series] `json:"series"`
}

// curveFields are the names a line may hold, each once.
var curveFields = []string{"format", "id", "task", "model", "optimizer", "seed", "budget", "unit", "checks_per_epoch", "settings", "series"}

// series is one series of a line: numbers, with null for a value that is
// not finite (JSON has no NaN). It reads and writes itself rather than
// through []*float64, which took 16 bytes a value and more in garbage; a
// value that is not a number or null is kept in bad, for ReadCurves to
// report with the series' name.
type series struct {
	vals []float64
	bad  string
}

// MarshalJSON writes the values as encoding/json writes float64s.
func (s series) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 2+20*len(s.vals))
	b = append(b, '[')
	for i, v := range s.vals {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendValue(b, v)
	}
	return append(b, ']'), nil
}

// appendValue appends v as encoding/json writes a float64 (shortest
// form, an exponent only for the very small and the very large), or null.
func appendValue(b []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(b, "null"...)
	}
	format := byte('f')
	if a := math.Abs(v); a != 0 && (a < 1e-6 || a >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, v, format, -1, 64)
	if n := len(b); format == 'e' && n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
		b[n-2] = b[n-1] // e-07 → e-7
		b = b[:n-1]
	}
	return b
}

// UnmarshalJSON reads an array of numbers and nulls, in one allocation of
// 8 bytes a value. encoding/json has checked that data is valid JSON, so
// an element is a number, null, or the start of something else.
func (s *series) UnmarshalJSON(data []byte) error {
	*s = series{}
	if len(data) < 2 || data[0] != '[' {
		s.bad = "is not an array"
		return nil
	}
	body := bytes.TrimSpace(data[1 : len(data)-1])
	if len(body) == 0 {
		s.vals = []float64{}
		return nil
	}
	s.vals = make([]float64, 0, bytes.Count(body, []byte{','})+1)
	for i := 0; len(body) > 0; i++ {
		tok, rest, _ := bytes.Cut(body, []byte{','})
		tok, body = bytes.TrimSpace(tok), rest
		if string(tok) == "null" {
			s.vals = append(s.vals, math.NaN())
			continue
		}
		v, err := strconv.ParseFloat(string(tok), 64)
		if err != nil || (tok[0] != '-' && (tok[0] < '0' || tok[0] > '9')) {
			s.vals, s.bad = nil, fmt.Sprintf("value %d, %s, is not a number or null", i, excerpt(tok))
			if errors.Is(err, strconv.ErrRange) {
				s.bad = fmt.Sprintf("value %d, %s, is beyond float64's range", i, excerpt(tok))
			}
			return nil
		}
		s.vals = append(s.vals, v)
	}
	return nil
}

// excerpt quotes the start of b for an error, without copying all of it.
func excerpt(b []byte) string {
	if most := 4*quote.MaxRunes + 4; len(b) > most {
		b = b[:most] // still longer than quote.Text's cut, however wide its characters
	}
	return quote.Text(string(b))
}

// WriteCurves writes curves as JSON lines, one curve a line:
//
//	{"format":"minidl-curve/1","id":"…","task":"…","model":"…","optimizer":"…","seed":1,
//	 "budget":300,"unit":"epoch","checks_per_epoch":4,"settings":{"lr":"0.01",…},
//	 "series":{"loss":[…],"val_loss":[0.9,0.7,…],…}}
//
// with null for a value that is not finite, and the optional fields (id,
// budget, unit, checks_per_epoch, settings) left out when they are zero.
// A curve that ReadCurves would refuse (no series, an empty one, series
// of different lengths, an unknown unit, more values than its budget
// holds) is a *ConfigError, and nothing of it is written.
func WriteCurves(w io.Writer, curves ...Curve) error {
	enc := json.NewEncoder(w)
	for i, c := range curves {
		if p := c.problem(); p != "" {
			return configErrorf("WriteCurves", "curve %d (task %s): %s", i, quote.Text(c.Task), p)
		}
		line := curveLine{Format: CurveFormat, ID: c.ID, Task: c.Task, Model: c.Model, Optimizer: c.Optimizer, Seed: c.Seed,
			Budget: c.Budget, Unit: c.Unit, ChecksPerEpoch: c.ChecksPerEpoch, Settings: names[string]{m: c.Settings},
			Series: names[series]{m: make(map[string]series, len(c.Series))}}
		for k, s := range c.Series {
			line.Series.m[k] = series{vals: s}
		}
		if err := enc.Encode(line); err != nil {
			return fmt.Errorf("callbacks: writing curves: %w", err)
		}
	}
	return nil
}

// CurveError reports a malformed curve file: the file, the line and what
// is wrong. It is of kind ErrState.
type CurveError struct {
	File   string
	Line   int
	Detail string
}

// Error returns "file:line: detail".
func (e *CurveError) Error() string {
	return fmt.Sprintf("callbacks: %s:%d: %s", e.File, e.Line, e.Detail)
}

// Is reports whether target is ErrState.
func (e *CurveError) Is(target error) bool { return target == ErrState }

// ReadCurves reads a file written by WriteCurves (name is used in errors),
// or by any version of it: a field that is absent takes its zero value.
// A line of another format or version, unknown or repeated fields, a curve without
// series, an empty series, series of different lengths, a value that is
// not a number or null, an unknown unit or a line longer than 64 MiB is a
// *CurveError naming the line, quoting at most a short excerpt of the
// line's text; blank lines are skipped. A curve holds at most 1,000
// series and 1,000 settings. The memory it takes is twice the longest line
// and the curves it returns, 8 bytes a value and a few hundred bytes a
// curve: a 60 MB line of one series peaks at 6 times its size, a file of
// curves of a single value each at about 14 times.
func ReadCurves(r io.Reader, name string) ([]Curve, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var curves []Curve
	var line []byte
	for n := 1; ; n++ {
		var err error
		line, err = readLine(br, line)
		if errors.Is(err, errLongLine) {
			return nil, &CurveError{File: name, Line: n, Detail: fmt.Sprintf("a line longer than %d bytes", maxCurveLine)}
		}
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("callbacks: reading %s: %w", name, err)
		}
		if text := bytes.TrimSpace(line); len(text) > 0 {
			c, detail := parseCurve(text)
			if detail != "" {
				return nil, &CurveError{File: name, Line: n, Detail: detail}
			}
			curves = append(curves, c)
		}
		if err == io.EOF {
			return curves, nil
		}
	}
}

var errLongLine = errors.New("line too long")

// readLine reads the next line of r, its newline included, into line's
// memory if it fits, and stops with errLongLine as soon as the line passes
// maxCurveLine. A long line is gathered in pieces and joined once: append
// grows a large slice by a quarter at a time, which allocated 4 times the
// line in garbage.
func readLine(r *bufio.Reader, line []byte) ([]byte, error) {
	var pieces [][]byte
	n := 0
	for {
		chunk, err := r.ReadSlice('\n')
		if n += len(chunk); n > maxCurveLine {
			return line[:0], errLongLine
		}
		if err == bufio.ErrBufferFull {
			pieces = append(pieces, bytes.Clone(chunk))
			continue
		}
		if cap(line) < n {
			line = make([]byte, 0, n) // not slices.Grow, which the race detector's build makes allocate twice
		}
		line = line[:0]
		for _, p := range pieces {
			line = append(line, p...)
		}
		return append(line, chunk...), err
	}
}

// ignored is a JSON value not looked at.
type ignored struct{}

func (*ignored) UnmarshalJSON([]byte) error { return nil }

// maxNames bounds the series and the settings of a curve, so that a line
// of a million one-value series does not cost a million map entries of
// about a hundred bytes each.
const maxNames = 1000

// names is a JSON object of at most maxNames names (or null, none). What
// is wrong with it is kept in bad, for parseCurve to report with the
// field's name.
type names[V any] struct {
	m   map[string]V
	bad string
}

// MarshalJSON writes the object.
func (n names[V]) MarshalJSON() ([]byte, error) { return json.Marshal(n.m) }

// IsZero reports an empty object, which is left out where it may be.
func (n names[V]) IsZero() bool { return len(n.m) == 0 }

// UnmarshalJSON counts the names before it decodes them.
func (n *names[V]) UnmarshalJSON(data []byte) error {
	*n = names[V]{}
	switch {
	case string(data) == "null":
		return nil
	case data[0] != '{':
		n.bad = fmt.Sprintf("is a JSON %s, want an object", jsonKind(data[0]))
		return nil
	}
	count := 0
	eachName(data, func([]byte) bool {
		count++
		return count <= maxNames
	})
	if count > maxNames {
		n.bad = fmt.Sprintf("has more than %d names", maxNames)
		return nil
	}
	if err := json.Unmarshal(data, &n.m); err != nil {
		var typ *json.UnmarshalTypeError
		if errors.As(err, &typ) {
			kind, _, _ := strings.Cut(typ.Value, " ")
			n.bad = fmt.Sprintf("holds a JSON %s, want a %v", kind, typ.Type)
		} else {
			n.bad = jsonProblem(err)
		}
	}
	return nil
}

// eachName calls f with each name of the JSON object data, which
// encoding/json has found valid, as it stands between its quotes, until f
// returns false.
func eachName(data []byte, f func(name []byte) bool) {
	depth := 0
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		case '"':
			end := i + 1
			for data[end] != '"' {
				if data[end] == '\\' {
					end++
				}
				end++
			}
			after := bytes.TrimLeft(data[end+1:], " \t\r\n")
			if depth == 1 && len(after) > 0 && after[0] == ':' && !f(data[i+1:end]) {
				return
			}
			i = end
		}
	}
}

// jsonKind names the kind of JSON value that starts with b.
func jsonKind(b byte) string {
	switch b {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	}
	return "number"
}

// parseCurve decodes one line, or says what is wrong with it.
func parseCurve(text []byte) (Curve, string) {
	if err := json.Unmarshal(text, new(ignored)); err != nil {
		return Curve{}, "not a curve: " + jsonProblem(err)
	}
	if text[0] != '{' {
		return Curve{}, fmt.Sprintf("not a curve: a JSON %s, want an object", jsonKind(text[0]))
	}
	// The names first, each known and once: encoding/json's own check of
	// unknown fields needs a Decoder, which copies the line, and quotes a
	// field's name whole.
	problem := ""
	var seen [16]bool
	eachName(text, func(name []byte) bool {
		i := slices.IndexFunc(curveFields, func(f string) bool { return string(name) == f })
		switch {
		case i < 0:
			problem = fmt.Sprintf("unknown field %s", excerpt(name))
		case seen[i]:
			problem = fmt.Sprintf("field %q given twice", curveFields[i])
		}
		if i >= 0 {
			seen[i] = true
		}
		return problem == ""
	})
	if problem != "" {
		return Curve{}, problem
	}
	var line curveLine
	if err := json.Unmarshal(text, &line); err != nil {
		return Curve{}, "not a curve: " + jsonProblem(err)
	}
	if line.Format != CurveFormat {
		return Curve{}, fmt.Sprintf("format %s, want %q", quote.Text(line.Format), CurveFormat)
	}
	if bad := line.Settings.bad; bad != "" {
		return Curve{}, fmt.Sprintf("field \"settings\" %s", bad)
	}
	if bad := line.Series.bad; bad != "" {
		return Curve{}, fmt.Sprintf("field \"series\" %s", bad)
	}
	c := Curve{ID: line.ID, Task: line.Task, Model: line.Model, Optimizer: line.Optimizer, Seed: line.Seed,
		Budget: line.Budget, Unit: line.Unit, ChecksPerEpoch: line.ChecksPerEpoch, Settings: line.Settings.m,
		Series: make(map[string][]float64, len(line.Series.m))}
	for _, k := range slices.Sorted(maps.Keys(line.Series.m)) {
		if bad := line.Series.m[k].bad; bad != "" {
			return Curve{}, fmt.Sprintf("series %s: %s", quote.Text(k), bad)
		}
		c.Series[k] = line.Series.m[k].vals
	}
	if p := c.problem(); p != "" {
		return Curve{}, p
	}
	return c, ""
}

// jsonProblem says what encoding/json found wrong, quoting no more than
// an excerpt of the text (its messages can quote a whole field).
func jsonProblem(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("%v (byte %d)", syntax, syntax.Offset)
	case errors.As(err, &typ):
		kind, _, _ := strings.Cut(typ.Value, " ") // "number 1e999" → "number"
		if typ.Field == "" {
			return fmt.Sprintf("a JSON %s, want an object", kind)
		}
		return fmt.Sprintf("field %s is a JSON %s, want a %v", quote.Text(typ.Field), kind, typ.Type)
	}
	return quote.Text(err.Error())
}

// Replayed is what an early-stopping configuration did on a recorded
// curve.
type Replayed struct {
	// StopEpoch is the epoch at which a rule said stop, −1 if none did
	// before the curve ended.
	StopEpoch int
	// BestEpoch is the epoch whose weights RestoreBestWeights would have
	// restored: the best by the improvement rule, −1 if none.
	BestEpoch int
	Reason    StopReason // NotStopped if the curve ran out, StopError with Err
	Err       error
}

// Replay runs an EarlyStopping with cfg over a recorded curve, epoch by
// epoch through ObserveLogs, the code a training run uses, with no model:
// what would this rule, or these rules, have done on that run? Weights are
// not kept (RestoreBestWeights and Verbose are turned off); BestEpoch says
// which epoch would have been restored. The rules that read the budget
// read the curve's (in checks for a curve of checks; its length if that is
// longer or the budget unknown; cfg.Budget, if set, overrides it). It
// panics, as
// NewEarlyStopping does, on a configuration that cannot work.
func Replay(cfg EarlyStoppingConfig, c Curve) Replayed {
	return replay(replayed(cfg, c), c)
}

// replayed returns the EarlyStopping Replay runs cfg with on c.
func replayed(cfg EarlyStoppingConfig, c Curve) *EarlyStopping {
	cfg.RestoreBestWeights, cfg.Verbose = false, false
	if cfg.Budget == 0 {
		cfg.Budget = c.budget()
	}
	return NewEarlyStopping(cfg)
}

// budget returns the most entries the curve's run could have logged: its
// budget (in checks, for a curve of checks), or its length if that is
// unknown or longer.
func (c *Curve) budget() int {
	b := c.Budget
	if c.Unit == UnitCheck {
		b *= c.ChecksPerEpoch
	}
	return max(b, c.Epochs())
}

// replay feeds the curve to e epoch by epoch until it says stop.
func replay(e *EarlyStopping, c Curve) Replayed {
	// The logs of an epoch hold the names the rules read, no more: the
	// replay of a few hundred epochs then takes tens of microseconds.
	monitored, training := c.Series[e.cfg.Monitor], c.Series[e.cfg.TrainingMonitor]
	logs := make(Logs, 2)
	set := func(name string, series []float64, epoch int) {
		if series == nil || math.IsNaN(series[epoch]) {
			delete(logs, name)
		} else {
			logs[name] = series[epoch]
		}
	}
	for epoch := range c.Epochs() {
		set(e.cfg.Monitor, monitored, epoch)
		set(e.cfg.TrainingMonitor, training, epoch)
		for _, name := range e.also.names {
			set(name, c.Series[name], epoch)
		}
		if stop, err := e.ObserveLogs(epoch, logs); stop {
			return Replayed{StopEpoch: e.StoppedEpoch(), BestEpoch: e.BestEpoch(), Reason: e.StopReason(), Err: err}
		}
	}
	return Replayed{StopEpoch: -1, BestEpoch: e.BestEpoch(), Reason: NotStopped}
}

// A StopSample is what the learned rule reads at one epoch of a replayed
// curve.
type StopSample struct {
	Epoch int
	// BestEpoch is the best epoch so far: the one whose weights
	// RestoreBestWeights would restore if the run stopped now.
	BestEpoch int
	Features  []float64 // StopFeatures
}

// ReplayFeatures replays a curve as Replay does, with the smoothing and
// improvement rule of cfg but none of its stopping rules, and returns what
// the learned rule would read at each epoch the rules are asked at (every
// epoch, but for StartFromEpoch and MinEpochs): the data to train a
// StopModel on recorded runs. The training error is read from the
// curve's TrainingMonitor series if it has one; epochs without the
// monitored value are skipped.
func ReplayFeatures(cfg EarlyStoppingConfig, c Curve) []StopSample {
	cfg.Learned, cfg.Remaining, cfg.NoiseAware, cfg.Rules = nil, nil, nil, nil
	cfg.GL, cfg.PQ, cfg.UP, cfg.StoppingThreshold, cfg.DivergenceThreshold = 0, 0, 0, nil, nil
	cfg.AllowMissing, cfg.Out = true, io.Discard
	e := replayed(cfg, c)
	e.train = c.Series[e.cfg.TrainingMonitor] != nil
	var samples []StopSample
	e.rules = []Rule{RuleFunc(func(p *Progress) (StopReason, string) {
		samples = append(samples, StopSample{Epoch: p.Epoch, BestEpoch: p.BestEpoch, Features: StopFeatures(p)})
		return NotStopped, ""
	})}
	replay(e, c)
	return samples
}
