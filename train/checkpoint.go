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
)

// RandomSource is a source of randomness whose state a run checkpoint
// keeps, so that a resumed run draws what the uninterrupted one would have:
// *rand.PCG and *rand.ChaCha8 of math/rand/v2 are.
type RandomSource interface {
	MarshalBinary() ([]byte, error)
	UnmarshalBinary([]byte) error
}

// resumable is a schedule whose step count a run checkpoint keeps, such as
// *optim.Schedule.
type resumable interface {
	Epoch() int
	SetEpoch(int)
}

// A run checkpoint is one safetensors file: the tensors of the model
// ("model."), the optimizer ("optimizer.") and each Stateful callback
// ("callback.<i>.", i its place in the run, History first), and, as
// metadata, the run's identity, the epoch to run next, whether the run had
// ended and how, the schedules' step counts, the random sources' states and
// the callbacks' own metadata ("callback.<i>.", with their types, so that a
// checkpoint is never loaded into other callbacks).
const runFormat = "minidl run checkpoint 1"

// saveRun writes the checkpoint of a run whose next epoch is next.
func saveRun(path string, next int, model nn.Module, cfg *Config, cbs []callbacks.Callback, run *callbacks.Run) error {
	s, meta, err := runState(next, model, cfg, cbs, run)
	if err != nil {
		return err
	}
	if err := nn.SaveFile(path, s, meta); err != nil {
		return fmt.Errorf("train: run checkpoint: %w", err)
	}
	return nil
}

// runState returns the tensors and metadata of the checkpoint of a run
// whose next epoch is next.
func runState(next int, model nn.Module, cfg *Config, cbs []callbacks.Callback, run *callbacks.Run) (*nn.StateDict, map[string]string, error) {
	s := nn.NewStateDict()
	meta := map[string]string{"format": runFormat, "next_epoch": strconv.Itoa(next), "run_id": run.ID}
	if run.Stopping() {
		meta["stop_reason"], meta["stop_message"] = string(run.StopReason()), run.StopMessage()
		meta["stop_epoch"] = strconv.Itoa(max(run.StoppedEpoch(), next-1))
	}
	add := func(prefix string, t *nn.StateDict) {
		for _, name := range t.Names() {
			v, _ := t.Get(name)
			s.Set(prefix+name, v)
		}
	}
	add("model.", nn.StateOf(model))
	add("optimizer.", cfg.Optimizer.State())
	if sch, ok := cfg.Schedule.(resumable); ok {
		meta["schedule.epoch"] = strconv.Itoa(sch.Epoch())
	}
	if sch, ok := cfg.BatchSchedule.(resumable); ok {
		meta["batch_schedule.step"] = strconv.Itoa(sch.Epoch())
	}
	for i, src := range cfg.RandomSources {
		b, err := src.MarshalBinary()
		if err != nil {
			return nil, nil, fmt.Errorf("train: saving random source %d: %w", i, err)
		}
		meta["rand."+strconv.Itoa(i)] = base64.StdEncoding.EncodeToString(b)
	}
	for i, cb := range cbs {
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

// loadRun loads the checkpoint at path into the run (see loadRunState); a
// run with no checkpoint yet is left as it is.
func loadRun(path string, model nn.Module, cfg *Config, cbs []callbacks.Callback, run *callbacks.Run) error {
	s, meta, err := nn.LoadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("train: resuming: %w", err)
	}
	if err := loadRunState(s, meta, model, cfg, cbs, run); err != nil {
		return fmt.Errorf("train: resuming from %s: %w", path, err)
	}
	return nil
}

// loadRunState loads a run checkpoint's tensors and metadata into the run,
// setting its InitialEpoch to the epoch to run next, Resumed, its ID, and
// its stop if a callback had stopped it. Nothing is loaded unless every
// piece fits: first every entry is checked against the run (the format,
// the counts, the identity, how the run ended, that its callbacks, random
// sources and schedules are the run's and that nothing else is there); then
// the pieces are loaded, each checked by its own loader, and if one
// refuses, those loaded before it are put back as they were.
func loadRunState(s *nn.StateDict, meta map[string]string, model nn.Module, cfg *Config, cbs []callbacks.Callback, run *callbacks.Run) error {
	c, err := readRun(s, meta, cfg, cbs)
	if err != nil {
		return err
	}
	if err := c.apply(model, cfg, cbs); err != nil {
		return err
	}
	run.InitialEpoch, run.ID, run.Resumed = c.next, c.id, true
	if c.stopped {
		run.Epoch = c.stopEpoch
		run.Stop(c.reason, c.message)
	}
	return nil
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

// readRun checks every entry of a run checkpoint against the run, changing
// nothing, and returns the pieces to load.
func readRun(s *nn.StateDict, meta map[string]string, cfg *Config, cbs []callbacks.Callback) (*runCheckpoint, error) {
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
	if err != nil || next < 0 || next > cfg.Epochs {
		return nil, fmt.Errorf("next_epoch %s: want an epoch in [0, %d]", quote.Text(v), cfg.Epochs)
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
		sch   any
		count *int
		name  string
	}{{"schedule.epoch", cfg.Schedule, &c.schedule, "Schedule"}, {"batch_schedule.step", cfg.BatchSchedule, &c.batch, "BatchSchedule"}} {
		_, has := sch.sch.(resumable)
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
	for i := range cfg.RandomSources {
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
			return nil, fmt.Errorf("the checkpoint holds callback %d%s which the run does not have (it has %d callbacks, History first)", i, what, len(cbs))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(meta)) {
		if !used[k] {
			if strings.HasPrefix(k, "rand.") {
				return nil, fmt.Errorf("the checkpoint holds %s, a random source the run does not have (it has %d)", quote.Text(k), len(cfg.RandomSources))
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
func (c *runCheckpoint) apply(model nn.Module, cfg *Config, cbs []callbacks.Callback) (err error) {
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
	optimizer := cfg.Optimizer.State()
	if err := cfg.Optimizer.LoadState(c.optimizer); err != nil {
		return err
	}
	undo = append(undo, func() { cfg.Optimizer.LoadState(optimizer) })
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
		src := cfg.RandomSources[i]
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
		cfg.Schedule.(resumable).SetEpoch(c.schedule)
	}
	if c.batch >= 0 {
		cfg.BatchSchedule.(resumable).SetEpoch(c.batch)
	}
	return nil
}
