package train

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/minidl/minidl/callbacks"
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
// ("callback.<i>."), and, as metadata, the epoch to run next, whether the
// run had ended and how, the schedules' step counts, the random sources'
// states and the callbacks' own metadata ("callback.<i>.", with their
// types, so that a checkpoint is never loaded into other callbacks).
const runFormat = "minidl run checkpoint 1"

// saveRun writes the checkpoint of a run whose next epoch is next.
func saveRun(path string, next int, model nn.Module, cfg *Config, cbs []callbacks.Callback, run *callbacks.Run) error {
	s := nn.NewStateDict()
	meta := map[string]string{"format": runFormat, "next_epoch": strconv.Itoa(next)}
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
			return fmt.Errorf("train: saving random source %d: %w", i, err)
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
	if err := nn.SaveFile(path, s, meta); err != nil {
		return fmt.Errorf("train: run checkpoint: %w", err)
	}
	return nil
}

// loadRun loads the checkpoint at path into the run's pieces and returns
// the epoch to run next; found is false if there is no checkpoint yet. It
// loads nothing unless every piece fits: what was loaded before a piece is
// refused is put back.
func loadRun(path string, model nn.Module, cfg *Config, cbs []callbacks.Callback, run *callbacks.Run) (next int, found bool, err error) {
	s, meta, err := nn.LoadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("train: resuming: %w", err)
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("train: resuming from %s: %s", path, fmt.Sprintf(format, args...))
	}
	if meta["format"] != runFormat {
		return 0, false, bad("not a run checkpoint (format %q, want %q)", meta["format"], runFormat)
	}
	next, err = strconv.Atoi(meta["next_epoch"])
	if err != nil || next < 0 || next > cfg.Epochs {
		return 0, false, bad("next_epoch %q: want an epoch in [0, %d]", meta["next_epoch"], cfg.Epochs)
	}
	part := func(prefix string) (*nn.StateDict, map[string]string) {
		t, m := nn.NewStateDict(), map[string]string{}
		for _, name := range s.Names() {
			if rest, ok := strings.CutPrefix(name, prefix); ok {
				v, _ := s.Get(name)
				t.Set(rest, v)
			}
		}
		for k, v := range meta {
			if rest, ok := strings.CutPrefix(k, prefix); ok {
				m[rest] = v
			}
		}
		return t, m
	}
	// Check what can be checked before changing anything.
	modelState, _ := part("model.")
	var sources [][]byte
	for i := range cfg.RandomSources {
		b, err := base64.StdEncoding.DecodeString(meta["rand."+strconv.Itoa(i)])
		if err != nil || meta["rand."+strconv.Itoa(i)] == "" {
			return 0, false, bad("random source %d is missing or malformed", i)
		}
		sources = append(sources, b)
	}
	var scheduleEpoch, batchStep int
	sch, hasSchedule := cfg.Schedule.(resumable)
	if hasSchedule {
		scheduleEpoch, err = strconv.Atoi(meta["schedule.epoch"])
		if err != nil || scheduleEpoch < 0 {
			return 0, false, bad("schedule.epoch %q is not a step count", meta["schedule.epoch"])
		}
	}
	batchSch, hasBatchSchedule := cfg.BatchSchedule.(resumable)
	if hasBatchSchedule {
		batchStep, err = strconv.Atoi(meta["batch_schedule.step"])
		if err != nil || batchStep < 0 {
			return 0, false, bad("batch_schedule.step %q is not a step count", meta["batch_schedule.step"])
		}
	}
	for i, cb := range cbs {
		if _, ok := cb.(callbacks.Stateful); ok {
			prefix := "callback." + strconv.Itoa(i) + "."
			if got, want := meta[prefix+"type"], fmt.Sprintf("%T", cb); got != want {
				return 0, false, bad("callback %d is a %s, the checkpoint's a %q", i, want, got)
			}
		}
	}
	optState, _ := part("optimizer.")
	// Load, the model last: every other piece validates itself first.
	optBefore := cfg.Optimizer.State()
	if err := cfg.Optimizer.LoadState(optState); err != nil {
		return 0, false, bad("%v", err)
	}
	// What was loaded is put back as it was if a later piece does not fit.
	type saved struct {
		st   callbacks.Stateful
		t    *nn.StateDict
		meta map[string]string
	}
	var loaded []saved
	undo := func() {
		cfg.Optimizer.LoadState(optBefore)
		for _, l := range loaded {
			l.st.LoadState(l.t, l.meta)
		}
	}
	for i, cb := range cbs {
		if st, ok := cb.(callbacks.Stateful); ok {
			before, beforeMeta := st.State()
			t, m := part("callback." + strconv.Itoa(i) + ".")
			delete(m, "type")
			if err := st.LoadState(t, m); err != nil {
				undo()
				return 0, false, bad("callback %d (%T): %v", i, cb, err)
			}
			loaded = append(loaded, saved{st, before, beforeMeta})
		}
	}
	if err := nn.LoadState(model, modelState); err != nil {
		undo()
		return 0, false, bad("%v", err)
	}
	for i, b := range sources {
		if err := cfg.RandomSources[i].UnmarshalBinary(b); err != nil {
			return 0, false, bad("random source %d: %v", i, err)
		}
	}
	if hasSchedule {
		sch.SetEpoch(scheduleEpoch)
	}
	if hasBatchSchedule {
		batchSch.SetEpoch(batchStep)
	}
	if reason, ok := meta["stop_reason"]; ok && callbacks.StopReason(reason) != callbacks.StopMaxEpochs {
		// A run that ran out of epochs goes on if it now has more; one that
		// a callback stopped stays stopped.
		run.Epoch, _ = strconv.Atoi(meta["stop_epoch"])
		run.Stop(callbacks.StopReason(reason), meta["stop_message"])
	}
	return next, true, nil
}
