package callbacks

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// CSVLogger appends each epoch's logs to a CSV file: a header row with
// "epoch" and the log names in sorted order, then one row per epoch, as
// Keras's CSVLogger. With Append, an existing file is continued: its header
// is kept, not written again, and its columns are used, so that a resumed
// run lines up with the rows before it (a name the header lacks is dropped,
// a column the logs lack is written as NA). A resumed run (Run.Resumed)
// always continues the file, after dropping the rows of the epochs it runs
// again and a last row that a crash cut short.
type CSVLogger struct {
	Base
	cfg     CSVLoggerConfig
	f       *os.File
	w       *csv.Writer
	columns []string
}

// CSVLoggerConfig configures CSVLogger, with Keras's names.
type CSVLoggerConfig struct {
	Path      string // the file; required
	Separator rune   // 0 means ','
	Append    bool   // continue an existing file instead of replacing it
}

// NewCSVLogger returns a CSVLogger. It panics with a *ConfigError if Path
// is empty or Separator cannot separate CSV fields.
func NewCSVLogger(cfg CSVLoggerConfig) *CSVLogger {
	if cfg.Separator == 0 {
		cfg.Separator = ','
	}
	check("NewCSVLogger", cfg.Path != "", "empty Path")
	check("NewCSVLogger", cfg.Separator != '"' && cfg.Separator != '\r' && cfg.Separator != '\n' && cfg.Separator != 0xFFFD,
		"separator %q cannot separate CSV fields", cfg.Separator)
	return &CSVLogger{cfg: cfg}
}

// OnTrainBegin opens the file, reading the header of an existing one when
// appending (always, when the run resumes a saved one). An existing file
// whose first line is not a CSV header of at most maxHeader bytes is an
// error naming the file, rather than a file whose rows no longer line up.
func (c *CSVLogger) OnTrainBegin(r *Run) error {
	c.columns = nil
	flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	newline := false // the existing file needs a line end before the rows
	if r.Resumed {
		if err := dropRowsFrom(c.cfg.Path, c.cfg.Separator, r.InitialEpoch); err != nil {
			return fmt.Errorf("callbacks: CSVLogger: %w", err)
		}
	}
	if c.cfg.Append || r.Resumed {
		flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
		columns, unended, err := readHeader(c.cfg.Path, c.cfg.Separator)
		if err != nil {
			return fmt.Errorf("callbacks: CSVLogger: %w", err)
		}
		c.columns, newline = columns, unended
	}
	f, err := os.OpenFile(c.cfg.Path, flags, 0o644)
	if err != nil {
		return fmt.Errorf("callbacks: CSVLogger: %w", err)
	}
	if newline {
		if _, err := f.WriteString("\n"); err != nil {
			f.Close()
			return fmt.Errorf("callbacks: CSVLogger: %w", err)
		}
	}
	c.f = f
	c.w = csv.NewWriter(f)
	c.w.Comma = c.cfg.Separator
	return nil
}

// dropRowsFrom removes from the log at path the rows of epochs from first
// on: a run resumed from its checkpoint may have logged an epoch it then
// did not checkpoint, and logs it again. A last line without its line end
// is a row (or header) that a crash cut short, since every row CSVLogger
// writes ends one: it is dropped too, as a journal drops a torn record,
// and the complete rows kept. The file is replaced atomically.
func dropRowsFrom(path string, sep rune, first int) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	complete := b[:bytes.LastIndexByte(b, '\n')+1]
	if len(complete) == 0 { // not even a whole header: nothing to keep
		return replaceFile(path, nil)
	}
	r := csv.NewReader(bytes.NewReader(complete))
	r.Comma = sep
	rows, err := r.ReadAll()
	if err != nil || len(rows) == 0 {
		return fmt.Errorf("%s: not a CSV log to resume: %v", path, err)
	}
	col := slices.Index(rows[0], "epoch")
	if col < 0 {
		return fmt.Errorf("%s: no epoch column to resume by", path)
	}
	kept := rows[:1]
	for _, row := range rows[1:] {
		if e, err := strconv.Atoi(row[col]); err == nil && e < first {
			kept = append(kept, row)
		}
	}
	if len(kept) == len(rows) && len(complete) == len(b) {
		return nil
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Comma = sep
	w.WriteAll(kept)
	if err := w.Error(); err != nil {
		return err
	}
	return replaceFile(path, buf.Bytes())
}

// replaceFile writes b to path through a temporary file in its folder,
// synced and renamed over it.
func replaceFile(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(b)
	if err = errors.Join(err, tmp.Sync(), tmp.Close()); err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

// maxHeader bounds the header line CSVLogger reads from a file it appends
// to.
const maxHeader = 1 << 20

// readHeader returns the columns of the CSV file at path (nil if it does not
// exist or is empty) and whether its last line lacks a line end.
func readHeader(path string, sep rune) (columns []string, unended bool, err error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || info.Size() == 0 {
		return nil, false, err
	}
	r := csv.NewReader(bufio.NewReader(io.LimitReader(f, maxHeader)))
	r.Comma = sep
	header, err := r.Read()
	if err != nil || len(header) == 0 || !slices.Contains(header, "epoch") {
		return nil, false, fmt.Errorf("%s: the first line is not a CSV header with an epoch column (of at most %d bytes): %v", path, maxHeader, err)
	}
	last := make([]byte, 1)
	if _, err := f.ReadAt(last, info.Size()-1); err != nil {
		return nil, false, err
	}
	return header, last[0] != '\n', nil
}

// OnEpochEnd writes the epoch's row, and the header first if the file has
// none.
func (c *CSVLogger) OnEpochEnd(_ *Run, epoch int, logs Logs) error {
	if c.w == nil {
		return fmt.Errorf("callbacks: CSVLogger: epoch end before train begin")
	}
	if c.columns == nil {
		c.columns = append([]string{"epoch"}, slices.Sorted(maps.Keys(logs))...)
		c.w.Write(c.columns)
	}
	row := make([]string, len(c.columns))
	for i, col := range c.columns {
		switch v, ok := logs[col]; {
		case col == "epoch":
			row[i] = strconv.Itoa(epoch)
		case ok:
			row[i] = strconv.FormatFloat(v, 'g', -1, 64)
		default:
			row[i] = "NA"
		}
	}
	c.w.Write(row)
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		return fmt.Errorf("callbacks: CSVLogger: %w", err)
	}
	return nil
}

// OnTrainEnd closes the file.
func (c *CSVLogger) OnTrainEnd(*Run) error {
	if c.f == nil {
		return nil
	}
	err := c.f.Close()
	c.f, c.w = nil, nil
	if err != nil {
		return fmt.Errorf("callbacks: CSVLogger: %w", err)
	}
	return nil
}

// ProgressBar reports progress. On a terminal it redraws a bar with the
// batch count, the time left in the epoch and in the run, and the running
// loss as batches finish; on anything else (a file, a pipe, CI's log) it
// writes one line per epoch. Every epoch ends with a line of the epoch's
// logs. An epoch is named by its number from 0, as every surface of minidl
// numbers epochs, and, as Keras shows it, by its count out of the run's
// epochs: "Epoch 17 (18/60): 1.2s, ETA 50s loss …" is the 18th epoch of
// 60. The run's ETA is the mean time of the epochs this run has trained
// (a resumed run's own) times the epochs left, up to Run.Epochs: early
// stopping may end the run sooner. Messages that other callbacks write
// through Run.Printf end the live line first, so that a bar and a message
// never share a line.
type ProgressBar struct {
	Base
	Out io.Writer
	// Terminal says whether to draw the live bar; NewProgressBar sets it
	// when Out is a character device.
	Terminal bool

	now      func() time.Time // the clock: time.Now, or a test's
	runStart time.Time        // when the run's first epoch began
	trained  int              // the epochs this run has finished
	start    time.Time
	lastDraw time.Time
	drawn    bool // the live line is on the screen
}

// NewProgressBar returns a ProgressBar writing to w.
func NewProgressBar(w io.Writer) *ProgressBar {
	p := &ProgressBar{Out: w}
	if f, ok := w.(*os.File); ok {
		if info, err := f.Stat(); err == nil && info.Mode()&os.ModeCharDevice != 0 {
			p.Terminal = true
		}
	}
	return p
}

// clock returns the time now.
func (p *ProgressBar) clock() time.Time {
	if p.now == nil {
		return time.Now()
	}
	return p.now()
}

// OnTrainBegin makes the bar the run's live line and starts the run's
// clock.
func (p *ProgressBar) OnTrainBegin(r *Run) error {
	if p.Terminal {
		r.live = p
	}
	p.runStart, p.trained = time.Time{}, 0
	return nil
}

// endLive clears the live line, if it is drawn, so that a message can take
// the line; the next batch draws the bar again.
func (p *ProgressBar) endLive() {
	if p.drawn {
		fmt.Fprint(p.Out, "\r\033[K")
		p.drawn = false
	}
}

// OnEpochBegin starts the epoch's clock.
func (p *ProgressBar) OnEpochBegin(*Run, int) error {
	p.start = p.clock()
	if p.runStart.IsZero() {
		p.runStart = p.start
	}
	p.lastDraw = time.Time{}
	return nil
}

// title names the epoch: its number and, when the run's epochs are known,
// its count out of them.
func title(r *Run, epoch int) string {
	if r.Epochs <= 0 {
		return fmt.Sprintf("Epoch %d", epoch)
	}
	return fmt.Sprintf("Epoch %d (%d/%d)", epoch, epoch+1, r.Epochs)
}

// runLeft returns the time the run's epochs after epoch will take, at the
// mean of those trained so far (of epochTime, the current epoch's
// estimate, before any), and whether there is such a figure.
func (p *ProgressBar) runLeft(r *Run, epoch int, epochTime time.Duration) (time.Duration, bool) {
	if r.Epochs <= 0 {
		return 0, false
	}
	if p.trained > 0 {
		epochTime = p.start.Sub(p.runStart) / time.Duration(p.trained)
	}
	return epochTime * time.Duration(max(0, r.Epochs-epoch-1)), true
}

// OnBatchEnd redraws the bar on a terminal, at most ten times a second.
func (p *ProgressBar) OnBatchEnd(r *Run, batch int, logs Logs) error {
	if !p.Terminal || r.Steps == 0 {
		return nil
	}
	done := batch + 1
	now := p.clock()
	if done < r.Steps && now.Sub(p.lastDraw) < 100*time.Millisecond {
		return nil
	}
	p.lastDraw = now
	const width = 30
	filled := width * done / r.Steps
	bar := strings.Repeat("=", filled) + strings.Repeat(" ", width-filled)
	if filled < width {
		bar = bar[:filled] + ">" + bar[filled+1:]
	}
	elapsed := now.Sub(p.start)
	eta := time.Duration(float64(elapsed) / float64(done) * float64(r.Steps-done))
	run := ""
	if left, ok := p.runLeft(r, r.Epoch, elapsed+eta); ok {
		run = " run ETA " + (eta + left).Round(time.Second).String()
	}
	fmt.Fprintf(p.Out, "\r%s: [%s] %d/%d ETA %s%s loss %.4g ", title(r, r.Epoch), bar, done, r.Steps, eta.Round(time.Second), run, logs["loss"])
	p.drawn = true
	return nil
}

// OnEpochEnd writes the epoch's line: its time, the run's ETA and its
// logs.
func (p *ProgressBar) OnEpochEnd(r *Run, epoch int, logs Logs) error {
	p.endLive()
	now := p.clock()
	took := now.Sub(p.start)
	p.trained++
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %.1fs", title(r, epoch), took.Seconds())
	p.start = now // the mean over the epochs trained runs to this end
	if left, ok := p.runLeft(r, epoch, took); ok && epoch < r.Epochs-1 {
		fmt.Fprintf(&b, ", ETA %s", left.Round(time.Second))
	}
	for _, k := range slices.Sorted(maps.Keys(logs)) {
		if k == "epoch_seconds" {
			continue
		}
		fmt.Fprintf(&b, " %s %s", k, formatLog(logs[k]))
	}
	fmt.Fprintln(p.Out, b.String())
	return nil
}

func formatLog(v float64) string {
	if math.Abs(v) >= 1e-3 && math.Abs(v) < 1e5 {
		return strconv.FormatFloat(v, 'f', 4, 64)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}
