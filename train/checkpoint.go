package train

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/minidl/minidl/callbacks"
	"github.com/minidl/minidl/internal/quote"
	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/optim"
)

// RandomSource is a source of randomness whose state a run checkpoint
// keeps, so that a resumed run draws what the uninterrupted one would have:
// *rand.PCG and *rand.ChaCha8 of math/rand/v2 are.
type RandomSource interface {
	MarshalBinary() ([]byte, error)
	UnmarshalBinary([]byte) error
}

// StepCounter is a schedule whose count of steps a run checkpoint keeps,
// such as *optim.Schedule: the rate it set is in the optimizer's state,
// the count says where it goes on from.
type StepCounter interface {
	Epoch() int
	SetEpoch(int)
}

// RunCheckpoint saves the whole state of a training run to one file and
// loads it back, so that a run interrupted at any epoch and resumed in a
// fresh process ends as the uninterrupted run would have, to the bit. It is
// what Fit's Checkpoint and Resume do, for a loop of your own: fill in the
// run's pieces, call Load once before the first epoch and Save after each.
//
//	ckpt := &train.RunCheckpoint{Model: model, Optimizer: opt, Schedule: sched,
//		Callbacks: []callbacks.Callback{stop}, RandomSources: []train.RandomSource{src}}
//	start, err := ckpt.Load(path) // 0, and nothing loaded, if there is no file yet
//	…
//	for epoch := start; epoch < epochs; epoch++ {
//		… train, validate, stop.Observe …
//		if err := ckpt.Save(path, epoch); err != nil { … }
//	}
//
// Save writes atomically (nn.SaveFile): a crash mid-write leaves the last
// checkpoint whole. Load refuses a checkpoint that is not this run's (other
// callbacks in type or order, other random sources or schedules, another
// model or optimizer, an entry no run writes), naming the first piece that
// differs, and then loads nothing: every entry is checked before any is
// applied, each piece's own loader checks it, and if one refuses, the
// pieces loaded before it are put back. The file is read with every count
// bounded by the bytes present.
type RunCheckpoint struct {
	Model     nn.Module       // required
	Optimizer optim.Optimizer // required
	// Callbacks are the run's callbacks, in order; the state of each
	// callbacks.Stateful one is kept (EarlyStopping, driven by Observe
	// or by a loop, ReduceLROnPlateau, ModelCheckpoint, History,
	// CurveRecorder), and a checkpoint of other callbacks is refused.
	Callbacks []callbacks.Callback
	// Schedule and BatchSchedule are the run's schedules, if any, stepped
	// once an epoch and once a batch (Fit's names); their step counts are
	// kept.
	Schedule, BatchSchedule StepCounter
	// RandomSources are the sources behind the run's random choices (the
	// Loader's shuffling, Dropout): give rand.New the source and list it.
	RandomSources []RandomSource
	// Epochs, if positive, is the run's number of epochs: a checkpoint
	// whose next epoch lies past it is refused.
	Epochs int
	// Run, if set, is the callbacks.Run the loop passes its callbacks:
	// Save keeps its ID and, if a callback stopped it, its stop; Load sets
	// its ID, InitialEpoch (the next epoch) and Resumed, and stops it again
	// if it had been stopped, so that the loop can see Run.Stopping()
	// before its first epoch. Without it the checkpoint keeps an identity
	// of its own.
	Run *callbacks.Run

	id string // the run's identity without a Run
}

// Save writes the checkpoint of the run after epoch, the epoch just
// finished (from 0): the run resumes at epoch+1. It panics with a *Error
// if Model or Optimizer is missing, epoch is negative, or epoch is not
// below a positive Epochs.
func (rc *RunCheckpoint) Save(path string, epoch int) error {
	rc.check("RunCheckpoint.Save")
	if epoch < 0 || (rc.Epochs > 0 && epoch >= rc.Epochs) {
		panic(argError("RunCheckpoint.Save", "epoch %d: want the epoch just finished, from 0 (below Epochs %d, if set)", epoch, rc.Epochs))
	}
	return rc.save(path, epoch+1)
}

// Load loads the checkpoint at path into the run and returns the epoch to
// run next. If no file is at path, it loads nothing and returns 0, so that
// a new run and a resumed one start with the same call, as Fit's Resume
// does. A checkpoint it refuses is an error that names the file and the
// first piece that differs, and then nothing of the run has changed. It
// panics with a *Error if Model or Optimizer is missing.
func (rc *RunCheckpoint) Load(path string) (next int, err error) {
	rc.check("RunCheckpoint.Load")
	s, meta, err := nn.LoadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("train: resuming: %w", err)
	}
	if next, err = rc.load(s, meta); err != nil {
		return 0, fmt.Errorf("train: resuming from %s: %w", path, err)
	}
	return next, nil
}

// check panics if the run lacks its required pieces.
func (rc *RunCheckpoint) check(op string) {
	if rc.Model == nil || rc.Optimizer == nil {
		panic(argError(op, "want a Model and an Optimizer (have model %T, optimizer %T)", rc.Model, rc.Optimizer))
	}
}

// ID returns the run's identity: Run.ID with a Run, else the one the
// checkpoint keeps, drawn at the first Save or read by Load.
func (rc *RunCheckpoint) ID() string {
	if rc.Run != nil {
		return rc.Run.ID
	}
	return rc.id
}

// fitCheckpoint returns the RunCheckpoint of a run of Fit: its callbacks
// (History first), the schedules that keep a step count, and its Run.
func fitCheckpoint(model nn.Module, cfg *Config, cbs []callbacks.Callback, run *callbacks.Run) *RunCheckpoint {
	rc := &RunCheckpoint{Model: model, Optimizer: cfg.Optimizer, Callbacks: cbs, RandomSources: cfg.RandomSources, Epochs: cfg.Epochs, Run: run}
	if s, ok := cfg.Schedule.(StepCounter); ok {
		rc.Schedule = s
	}
	if s, ok := cfg.BatchSchedule.(StepCounter); ok {
		rc.BatchSchedule = s
	}
	return rc
}

// A run checkpoint is one safetensors file: the tensors of the model
// ("model."), the optimizer ("optimizer.") and each Stateful callback
// ("callback.<i>.", i its place in the run, History first in Fit's), and,
// as metadata, the run's identity, the epoch to run next, whether the run
// had ended and how, the schedules' step counts, the random sources'
// states and the callbacks' own metadata ("callback.<i>.", with their
// types, so that a checkpoint is never loaded into other callbacks).
const runFormat = "minidl run checkpoint 1"

// saveRun writes the checkpoint of a run of Fit whose next epoch is next.
func saveRun(path string, next int, model nn.Module, cfg *Config, cbs []callbacks.Callback, run *callbacks.Run) error {
	return fitCheckpoint(model, cfg, cbs, run).save(path, next)
}

// loadRun loads the checkpoint at path into a run of Fit; a run with no
// checkpoint yet is left as it is.
func loadRun(path string, model nn.Module, cfg *Config, cbs []callbacks.Callback, run *callbacks.Run) error {
	_, err := fitCheckpoint(model, cfg, cbs, run).Load(path)
	return err
}

// save writes the checkpoint of the run whose next epoch is next.
func (rc *RunCheckpoint) save(path string, next int) error {
	s, meta, err := rc.state(next)
	if err != nil {
		return err
	}
	if err := nn.SaveFile(path, s, meta); err != nil {
		return fmt.Errorf("train: run checkpoint: %w", err)
	}
	return nil
}

// state returns the tensors and metadata of the checkpoint of the run
// whose next epoch is next.
func (rc *RunCheckpoint) state(next int) (*nn.StateDict, map[string]string, error) {
	id := rc.ID()
	if id == "" {
		id = callbacks.NewRunID()
		if rc.Run != nil {
			rc.Run.ID = id
		}
		rc.id = id
	}
	s := nn.NewStateDict()
	meta := map[string]string{"format": runFormat, "next_epoch": strconv.Itoa(next), "run_id": id}
	if run := rc.Run; run != nil && run.Stopping() {
		meta["stop_reason"], meta["stop_message"] = string(run.StopReason()), run.StopMessage()
		meta["stop_epoch"] = strconv.Itoa(max(run.StoppedEpoch(), next-1))
	}
	add := func(prefix string, t *nn.StateDict) {
		for _, name := range t.Names() {
			v, _ := t.Get(name)
			s.Set(prefix+name, v)
		}
	}
	add("model.", nn.StateOf(rc.Model))
	add("optimizer.", rc.Optimizer.State())
	if rc.Schedule != nil {
		meta["schedule.epoch"] = strconv.Itoa(rc.Schedule.Epoch())
	}
	if rc.BatchSchedule != nil {
		meta["batch_schedule.step"] = strconv.Itoa(rc.BatchSchedule.Epoch())
	}
	for i, src := range rc.RandomSources {
		if src == nil {
			return nil, nil, fmt.Errorf("train: run checkpoint: RandomSources[%d] is nil", i)
		}
		b, err := src.MarshalBinary()
		if err != nil {
			return nil, nil, fmt.Errorf("train: saving random source %d: %w", i, err)
		}
		meta["rand."+strconv.Itoa(i)] = base64.StdEncoding.EncodeToString(b)
	}
	for i, cb := range rc.Callbacks {
		st, ok := cb.(callbacks.Stateful)
		if !ok {
			continue
		}
		prefix := "callback." + strconv.Itoa(i) + "."
		t, m := st.State()
		add(prefix, t)
		meta[prefix+"type"] = fmt.Sprintf("%T", cb)
		for k, v := range m {
			meta[prefix+k] = v
		}
	}
	return s, meta, nil
}

// load loads a run checkpoint's tensors and metadata into the run and
// returns the epoch to run next; with a Run, it sets its InitialEpoch to
// it, Resumed, its ID, and its stop if a callback had stopped it. Nothing
// is loaded unless every piece fits: first every entry is checked against
// the run (the format, the counts, the identity, how the run ended, that
// its callbacks, random sources and schedules are the run's and that
// nothing else is there); then the pieces are loaded, each checked by its
// own loader, and if one refuses, those loaded before it are put back as
// they were.
func (rc *RunCheckpoint) load(s *nn.StateDict, meta map[string]string) (int, error) {
	c, err := rc.read(s, meta)
	if err != nil {
		return 0, err
	}
	if err := c.apply(rc); err != nil {
		return 0, err
	}
	rc.id = c.id
	if run := rc.Run; run != nil {
		run.InitialEpoch, run.ID, run.Resumed = c.next, c.id, true
		if c.stopped {
			run.Epoch = c.stopEpoch
			run.Stop(c.reason, c.message)
		}
	}
	return c.next, nil
}

// runCheckpoint is a run checkpoint read and checked, ready to load.
type runCheckpoint struct {
	next      int
	id        string
	stopped   bool // a callback stopped the run (not the end of its epochs)
	reason    callbacks.StopReason
	message   string
	stopEpoch int

	model, optimizer *nn.StateDict
	callbacks        map[int]piece // by the callback's place in the run
	sources          [][]byte
	schedule, batch  int // step counts, −1 where the run has no such schedule
}

// piece is the saved state of one callback.
type piece struct {
	tensors *nn.StateDict
	meta    map[string]string
}

// read checks every entry of a run checkpoint against the run, changing
// nothing, and returns the pieces to load.
func (rc *RunCheckpoint) read(s *nn.StateDict, meta map[string]string) (*runCheckpoint, error) {
	cbs := rc.Callbacks
	if meta["format"] != runFormat {
		return nil, fmt.Errorf("not a run checkpoint (format %s, want %q)", quote.Text(meta["format"]), runFormat)
	}
	c := &runCheckpoint{model: nn.NewStateDict(), optimizer: nn.NewStateDict(), callbacks: map[int]piece{}, schedule: -1, batch: -1}
	used := map[string]bool{"format": true} // the metadata read so far
	field := func(k string) (string, bool) {
		v, ok := meta[k]
		used[k] = ok
		return v, ok
	}
	v, _ := field("next_epoch")
	next, err := strconv.Atoi(v)
	if err != nil || next < 0 || (rc.Epochs > 0 && next > rc.Epochs) {
		if rc.Epochs > 0 {
			return nil, fmt.Errorf("next_epoch %s: want an epoch in [0, %d]", quote.Text(v), rc.Epochs)
		}
		return nil, fmt.Errorf("next_epoch %s: want an epoch from 0", quote.Text(v))
	}
	c.next = next
	c.id = callbacks.NewRunID() // for a checkpoint written before runs had one
	if v, ok := field("run_id"); ok {
		if !callbacks.ValidRunID(v) {
			return nil, fmt.Errorf("run_id %s is not a run's identity (1 to 64 letters, digits, - and _)", quote.Text(v))
		}
		c.id = v
	}
	if v, ok := field("stop_reason"); ok {
		if c.reason = callbacks.StopReason(v); !c.reason.Valid() {
			return nil, fmt.Errorf("stop_reason %s is not a reason a run gives", quote.Text(v))
		}
		c.message, _ = field("stop_message")
		if len(c.message) > callbacks.MaxMessageLen {
			return nil, fmt.Errorf("stop_message of %d bytes: a run's holds at most %d", len(c.message), callbacks.MaxMessageLen)
		}
		e, _ := field("stop_epoch")
		if c.stopEpoch, err = strconv.Atoi(e); err != nil || c.stopEpoch < 0 || c.stopEpoch >= next {
			return nil, fmt.Errorf("stop_epoch %s: want an epoch the checkpoint has run, in [0, %d)", quote.Text(e), next)
		}
		// A run that ran out of epochs goes on if it now has more; one that
		// a callback stopped stays stopped.
		c.stopped = c.reason != callbacks.StopMaxEpochs
	}
	for _, sch := range []struct {
		key   string
		sch   StepCounter
		count *int
		name  string
	}{{"schedule.epoch", rc.Schedule, &c.schedule, "Schedule"}, {"batch_schedule.step", rc.BatchSchedule, &c.batch, "BatchSchedule"}} {
		has := sch.sch != nil
		v, saved := field(sch.key)
		switch {
		case has && !saved:
			return nil, fmt.Errorf("the run's %s has no step count in the checkpoint (%s)", sch.name, sch.key)
		case saved && !has:
			return nil, fmt.Errorf("the checkpoint holds a step count (%s) for a %s the run does not have", sch.key, sch.name)
		case has:
			if *sch.count, err = strconv.Atoi(v); err != nil || *sch.count < 0 {
				return nil, fmt.Errorf("%s %s is not a step count", sch.key, quote.Text(v))
			}
		}
	}
	for i := range rc.RandomSources {
		key := "rand." + strconv.Itoa(i)
		v, ok := field(key)
		if !ok {
			return nil, fmt.Errorf("random source %d is not in the checkpoint", i)
		}
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(b) == 0 {
			return nil, fmt.Errorf("random source %d: %s is not the base64 of a state", i, quote.Text(v))
		}
		c.sources = append(c.sources, b)
	}

	// The tensors and metadata of the pieces, by the prefix of their names.
	for _, name := range s.Names() {
		t, _ := s.Get(name)
		switch i, rest, ok := callbackEntry(name); {
		case ok:
			if c.callbacks[i].tensors == nil {
				c.callbacks[i] = piece{nn.NewStateDict(), map[string]string{}}
			}
			c.callbacks[i].tensors.Set(rest, t)
		case strings.HasPrefix(name, "model."):
			c.model.Set(strings.TrimPrefix(name, "model."), t)
		case strings.HasPrefix(name, "optimizer."):
			c.optimizer.Set(strings.TrimPrefix(name, "optimizer."), t)
		default:
			return nil, fmt.Errorf("unknown tensor %s", quote.Text(name))
		}
	}
	for k, v := range meta {
		if i, rest, ok := callbackEntry(k); ok {
			if c.callbacks[i].tensors == nil {
				c.callbacks[i] = piece{nn.NewStateDict(), map[string]string{}}
			}
			c.callbacks[i].meta[rest] = v
			used[k] = true
		}
	}
	for i, cb := range cbs {
		p, saved := c.callbacks[i]
		typ, typed := p.meta["type"]
		_, stateful := cb.(callbacks.Stateful)
		switch {
		case stateful && !typed:
			return nil, fmt.Errorf("callback %d is a %T, whose state the checkpoint does not hold", i, cb)
		case saved && !stateful:
			return nil, fmt.Errorf("callback %d is a %T, which keeps no state, the checkpoint's a %s", i, cb, quote.Text(typ))
		case stateful && typ != fmt.Sprintf("%T", cb):
			return nil, fmt.Errorf("callback %d is a %T, the checkpoint's a %s", i, cb, quote.Text(typ))
		}
		delete(p.meta, "type")
	}
	for _, i := range slices.Sorted(maps.Keys(c.callbacks)) {
		if i >= len(cbs) {
			what := ""
			if typ, ok := c.callbacks[i].meta["type"]; ok {
				what = ", a " + quote.Text(typ) + ","
			}
			return nil, fmt.Errorf("the checkpoint holds callback %d%s which the run does not have (it has %d callbacks%s)", i, what, len(cbs), rc.historyFirst())
		}
	}
	for _, k := range slices.Sorted(maps.Keys(meta)) {
		if !used[k] {
			if strings.HasPrefix(k, "rand.") {
				return nil, fmt.Errorf("the checkpoint holds %s, a random source the run does not have (it has %d)", quote.Text(k), len(rc.RandomSources))
			}
			return nil, fmt.Errorf("unknown entry %s", quote.Text(k))
		}
	}
	return c, nil
}

// callbackEntry splits the name of a callback's entry, "callback.<i>.rest".
func callbackEntry(name string) (i int, rest string, ok bool) {
	after, ok := strings.CutPrefix(name, "callback.")
	if !ok {
		return 0, "", false
	}
	index, rest, ok := strings.Cut(after, ".")
	i, err := strconv.Atoi(index)
	if !ok || err != nil || i < 0 || strconv.Itoa(i) != index {
		return 0, "", false
	}
	return i, rest, true
}

// apply loads the checkpoint into the run's pieces, each checked by its own
// loader; if one refuses, those loaded before it are put back.
func (c *runCheckpoint) apply(rc *RunCheckpoint) (err error) {
	model, opt, cbs := rc.Model, rc.Optimizer, rc.Callbacks
	var undo []func()
	defer func() {
		if err != nil {
			for _, f := range slices.Backward(undo) {
				f()
			}
		}
	}()
	before := nn.Snapshot(model)
	if err := nn.LoadState(model, c.model); err != nil {
		return err
	}
	undo = append(undo, func() { nn.LoadState(model, before) })
	optimizer := opt.State()
	if err := opt.LoadState(c.optimizer); err != nil {
		return err
	}
	undo = append(undo, func() { opt.LoadState(optimizer) })
	for i, cb := range cbs {
		st, ok := cb.(callbacks.Stateful)
		if !ok {
			continue
		}
		// A callback that keeps weights checks them against the model.
		if w, ok := cb.(interface{ Watch(nn.Module) }); ok {
			w.Watch(model)
		}
		t, m := st.State()
		if err := st.LoadState(c.callbacks[i].tensors, c.callbacks[i].meta); err != nil {
			return fmt.Errorf("callback %d (%T): %w", i, cb, err)
		}
		undo = append(undo, func() { st.LoadState(t, m) })
	}
	for i, b := range c.sources {
		src := rc.RandomSources[i]
		prev, err := src.MarshalBinary()
		if err != nil {
			return fmt.Errorf("random source %d: %w", i, err)
		}
		undo = append(undo, func() { src.UnmarshalBinary(prev) })
		if err := src.UnmarshalBinary(b); err != nil {
			return fmt.Errorf("random source %d: %w", i, err)
		}
	}
	if c.schedule >= 0 {
		rc.Schedule.SetEpoch(c.schedule)
	}
	if c.batch >= 0 {
		rc.BatchSchedule.SetEpoch(c.batch)
	}
	return nil
}

// historyFirst says, in an error, that Fit's callbacks begin with its
// History.
func (rc *RunCheckpoint) historyFirst() string {
	if len(rc.Callbacks) > 0 {
		if _, ok := rc.Callbacks[0].(*callbacks.History); ok {
			return ", History first"
		}
	}
	return ""
}
