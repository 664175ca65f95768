package tune

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/minidl/minidl/internal/flock"
	"github.com/minidl/minidl/internal/quote"
)

// StudyConfig configures a study. Its zero value is an in-memory study
// that minimizes with the TPE sampler, prunes nothing and runs one trial
// at a time from seed 0.
type StudyConfig struct {
	// Name names the study (Hyperband assigns brackets by it). "" takes
	// the journal's name, or "study" for a new one.
	Name string
	// Direction is Minimize (the default) or Maximize.
	Direction Direction
	// Sampler proposes the parameters; nil means NewTPESampler with
	// Optuna's defaults, as Optuna's default sampler.
	Sampler Sampler
	// Pruner decides whether a trial that reports goes on; nil prunes
	// nothing.
	Pruner Pruner
	// Seed seeds every random choice: each parameter of each trial is
	// drawn from a source seeded by (Seed, trial number, parameter name),
	// so that, one trial at a time, the same Seed gives the same study to
	// the bit, and a resumed study draws what it would have drawn.
	Seed uint64
	// Parallelism is how many trials this process runs at a time, each in
	// its own goroutine; 0 means 1.
	Parallelism int
	// Dir, if set, is the folder that keeps the study: its journal
	// (journal.jsonl), the trials' run checkpoints (trials/<number>/) and
	// the lock files of the processes working on it (workers/). A study
	// opened on a folder that holds one resumes it; several processes may
	// open the same folder at once. "" keeps the study in memory, and the
	// trials' checkpoints in a temporary folder that Close removes.
	Dir string
	// Budget bounds the search; its zero value runs until the context is
	// done or the sampler runs out (a grid).
	Budget Budget
	// MaxStep, if positive, is the largest step a trial that runs to its
	// end reports (Epochs − 1 for train.Fit); pruners take their automatic
	// max_resource from it. 0 leaves it to the trials to declare (the
	// PruningCallback does).
	MaxStep int
}

// Budget bounds a search; a zero field sets no bound.
type Budget struct {
	// Trials is the most trials the study holds, counted over every state
	// and every process and resume (Optuna's MaxTrialsCallback): a trial
	// taken up again after a crash or a pause is not counted twice.
	Trials int
	// Epochs is the most reports the study's trials make in all, the
	// compute a search may spend. Once spent, no trial starts and the
	// running ones are stopped at their next ShouldPrune (ending Pruned,
	// with the attribute "tune.budget" = 1) unless they just reported
	// their last step; a trial running beside others may make one report
	// past the budget.
	Epochs int
	// Time is the longest an Optimize call runs: once passed, no trial
	// starts and the running ones are stopped at their next ShouldPrune,
	// as for Epochs.
	Time time.Duration
}

// budgetAttr marks a trial that a budget stopped.
const budgetAttr = "tune.budget"

// Study is a hyperparameter search: its trials, the sampler that proposes
// their parameters and the pruner that stops them. Its methods are safe for
// concurrent use. A Study is a View, so a pruner can be tried on it
// directly.
type Study struct {
	cfg     StudyConfig
	sampler Sampler
	worker  string // this process's name in the journal

	mu       sync.Mutex
	st       state
	j        *journal        // nil for a study in memory
	workLock *os.File        // held while this study is open, so others see it alive
	active   map[int]*Trial  // the trials this study's goroutines run
	alive    map[string]bool // other workers found alive during one pick
	err      error           // a failure of the journal: the study cannot go on
	deadline time.Time       // the time budget of the Optimize call under way
	tempDir  string          // the trials' folders of a study in memory
	closed   bool            //
	optimize bool            // an Optimize call is under way
}

// NewStudy opens a study: a new one in memory, or the one kept in
// cfg.Dir, created if need be, its trials rebuilt from its journal. A
// journal that cannot be read or does not match cfg's name or direction
// is an error. Close the study when done.
func NewStudy(cfg StudyConfig) (*Study, error) {
	check("NewStudy", cfg.Direction == Minimize || cfg.Direction == Maximize, "direction %d: want Minimize or Maximize", int(cfg.Direction))
	check("NewStudy", cfg.Parallelism >= 0, "Parallelism %d: want 0 or more", cfg.Parallelism)
	check("NewStudy", cfg.Budget.Trials >= 0 && cfg.Budget.Epochs >= 0 && cfg.Budget.Time >= 0, "budget %+v: want no negative bound", cfg.Budget)
	check("NewStudy", cfg.MaxStep >= 0, "MaxStep %d: want 0 or more", cfg.MaxStep)
	if cfg.Parallelism == 0 {
		cfg.Parallelism = 1
	}
	s := &Study{cfg: cfg, sampler: cfg.Sampler, active: map[int]*Trial{}}
	if s.sampler == nil {
		s.sampler = NewTPESampler(TPEConfig{})
	}
	host, _ := os.Hostname()
	s.worker = sanitize(host) + "-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatUint(rand.Uint64()&0xffffffff, 16)
	if cfg.Dir == "" {
		s.st.name, s.st.dir = cfg.Name, cfg.Direction
		if s.st.name == "" {
			s.st.name = "study"
		}
		return s, nil
	}
	if err := s.open(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// open opens the study's folder: its journal, rebuilt, and this worker's
// lock file.
func (s *Study) open() error {
	dir := s.cfg.Dir
	if err := os.MkdirAll(filepath.Join(dir, "workers"), 0o755); err != nil {
		return fmt.Errorf("tune: opening the study in %s: %w", dir, err)
	}
	lock := filepath.Join(dir, "workers", s.worker+".lock")
	f, err := os.OpenFile(lock, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("tune: opening the study in %s: %w", dir, err)
	}
	s.workLock = f
	if errors.Is(flock.TryLock(f), flock.ErrLocked) {
		return fmt.Errorf("tune: opening the study in %s: the lock file %s is held by another process", dir, lock)
	}
	s.j, err = openJournal(filepath.Join(dir, "journal.jsonl"))
	if err != nil {
		return err
	}
	if err := s.j.lock(); err != nil {
		return err
	}
	defer s.j.unlock()
	if err := s.j.catchUp(&s.st); err != nil {
		return err
	}
	if s.j.line == 0 { // a new study: write its header
		name := s.cfg.Name
		if name == "" {
			name = "study"
		}
		h := &event{Op: opStudy, Study: &studyJSON{Format: journalFormat, Name: name, Direction: s.cfg.Direction.String()}}
		if err := s.j.append([]*event{h}); err != nil {
			return err
		}
		s.st.name, s.st.dir = name, s.cfg.Direction
		syncDir(dir)
		return nil
	}
	if s.cfg.Name != "" && s.cfg.Name != s.st.name {
		return &JournalError{Path: s.j.path, Detail: fmt.Sprintf("holds the study %s, not %s", quote.Text(s.st.name), quote.Text(s.cfg.Name))}
	}
	if s.cfg.Direction != s.st.dir {
		return &JournalError{Path: s.j.path, Detail: fmt.Sprintf("holds a study that %ss; the configuration %ss", s.st.dir, s.cfg.Direction)}
	}
	return nil
}

// Close lets go of the study's files; a study in memory removes the
// folder of its trials' checkpoints. Trials the study was running (Close
// during Optimize) are left to be taken up again.
func (s *Study) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var err error
	if s.j != nil {
		err = s.j.close()
	}
	if s.workLock != nil {
		os.Remove(s.workLock.Name())
		s.workLock.Close()
	}
	if s.tempDir != "" {
		os.RemoveAll(s.tempDir)
	}
	return err
}

// Name returns the study's name.
func (s *Study) Name() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.name
}

// Direction returns whether the study minimizes or maximizes.
func (s *Study) Direction() Direction {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.dir
}

// Trials returns a snapshot of every trial, in number order, those that
// other processes sharing the journal made included.
func (s *Study) Trials() []FrozenTrial {
	var out []FrozenTrial
	s.update(func(tx *tx) { out = tx.Trials() })
	if out == nil { // a broken journal: what is known
		s.mu.Lock()
		out = s.st.snapshot()
		s.mu.Unlock()
	}
	return out
}

// SetAttr records key = value on trial n (Optuna's set_system_attr).
func (s *Study) SetAttr(n int, key string, value float64) {
	s.update(func(tx *tx) { tx.SetAttr(n, key, value) })
}

// MaxStep returns the largest step a full trial reports, if known (see
// View).
func (s *Study) MaxStep() (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxStep()
}

func (s *Study) maxStep() (int, bool) {
	if s.cfg.MaxStep > 0 {
		return s.cfg.MaxStep, true
	}
	return s.st.maxStep()
}

// Err returns the failure that stopped the study, if any: a journal that
// could not be written or read.
func (s *Study) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Best returns the best Complete trial (the first, of equals) and whether
// there is one; pruned trials do not count, as in Optuna.
func (s *Study) Best() (FrozenTrial, bool) {
	return best(s.Trials(), s.Direction())
}

func best(trials []FrozenTrial, dir Direction) (FrozenTrial, bool) {
	var b FrozenTrial
	found := false
	for _, t := range trials {
		if t.State == Complete && (!found || dir.Better(t.Value, b.Value)) {
			b, found = t, true
		}
	}
	return b, found
}

// AddTrial adds a trial as it is given (Optuna's add_trial), for warm
// starts from earlier searches and for testing pruners and samplers: its
// number is the study's next, and every parameter needs its distribution.
// A trial added Running is taken up by the next Optimize, which runs the
// objective with its parameters. It returns the trial's number.
func (s *Study) AddTrial(t FrozenTrial) (int, error) {
	n := -1
	err := s.update(func(tx *tx) {
		n = len(tx.s.st.trials)
		now := time.Now().UTC()
		events := []*event{{Op: opStart, Trial: n, Worker: tx.s.worker, Time: &now}}
		for _, name := range sortedKeys(t.Params) {
			d, ok := t.Distributions[name]
			check("Study.AddTrial", ok, "parameter %s has no distribution", quote.Text(name))
			e := &event{Op: opParam, Trial: n, Name: name, Dist: toJSON(d)}
			if c, ok := t.Params[name].(string); ok && d.Kind == CategoricalParam {
				e.Choice = &c
			} else if x, ok := d.Internal(t.Params[name]); ok {
				e.Value = num(x)
			}
			events = append(events, e)
		}
		for _, step := range sortedKeys(t.Reports) {
			events = append(events, &event{Op: opReport, Trial: n, Step: &step, Value: num(t.Reports[step])})
		}
		for _, k := range sortedKeys(t.Attrs) {
			events = append(events, &event{Op: opAttr, Trial: n, Name: k, Value: num(t.Attrs[k])})
		}
		switch t.State {
		case Running:
			events = append(events, &event{Op: opRelease, Trial: n})
		case Complete:
			events = append(events, &event{Op: opComplete, Trial: n, Value: num(t.Value), Time: &now})
		case Pruned:
			events = append(events, &event{Op: opPrune, Trial: n, Time: &now})
		case Failed:
			events = append(events, &event{Op: opFail, Trial: n, Time: &now})
		case Paused:
			events = append(events, &event{Op: opPause, Trial: n})
		default:
			check("Study.AddTrial", false, "state %d", int(t.State))
		}
		// Check them all on a copy before anything is added.
		st := &tx.s.st
		probe := state{name: st.name, dir: st.dir, trials: st.trials[:len(st.trials):len(st.trials)], reports: st.reports}
		for _, e := range events {
			if err := probe.apply(e); err != nil {
				panic(&Error{Op: "Study.AddTrial", Detail: err.Error()})
			}
		}
		for _, e := range events {
			tx.add(e)
		}
	})
	return n, err
}

// tx is one change of the study, made while holding the study's mutex and
// the journal's lock: it sees every event so far, and its own events are
// applied at once and written together when it ends. It is the View that
// samplers and pruners see.
type tx struct {
	s       *Study
	pending []*event
}

// update runs fn as one change of the study: caught up with the journal
// first, its events written, synced, after. A failure of the journal is
// kept: the study makes no more changes and returns it from then on.
func (s *Study) update(fn func(tx *tx)) (err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	if s.closed {
		return errors.New("tune: the study is closed")
	}
	if s.j != nil {
		if err := s.j.lock(); err != nil {
			s.err = err
			return err
		}
		defer s.j.unlock()
		if err := s.j.catchUp(&s.st); err != nil {
			s.err = err
			return err
		}
	}
	t := &tx{s: s}
	// Written even when fn panics (a pruner's bug): the events applied
	// before were valid, and the study holds them.
	defer func() {
		if s.j != nil && len(t.pending) > 0 {
			if werr := s.j.append(t.pending); werr != nil {
				s.err, err = werr, werr
			}
		}
	}()
	fn(t)
	return nil
}

// add applies e and queues it for the journal; an event that cannot
// happen is a bug of the caller's.
func (t *tx) add(e *event) {
	if err := t.s.st.apply(e); err != nil {
		panic(&Error{Op: "Study", Detail: err.Error()})
	}
	t.pending = append(t.pending, e)
}

// Name returns the study's name.
func (t *tx) Name() string { return t.s.st.name }

// Direction returns the study's direction.
func (t *tx) Direction() Direction { return t.s.st.dir }

// Trials returns every trial as it is now.
func (t *tx) Trials() []FrozenTrial { return t.s.st.snapshot() }

// SetAttr records key = value on trial n.
func (t *tx) SetAttr(n int, key string, value float64) {
	check("View.SetAttr", n >= 0 && n < len(t.s.st.trials), "trial %d: the study has %d", n, len(t.s.st.trials))
	check("View.SetAttr", key != "", "empty key")
	t.add(&event{Op: opAttr, Trial: n, Name: key, Value: num(value)})
}

// MaxStep returns the largest step a full trial reports, if known.
func (t *tx) MaxStep() (int, bool) { return t.s.maxStep() }

// trialDir returns the folder of trial n's files.
func (s *Study) trialDir(n int) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	root := s.cfg.Dir
	if root == "" {
		if s.tempDir == "" {
			d, err := os.MkdirTemp("", "minidl-tune-*")
			if err != nil {
				return "", fmt.Errorf("tune: a folder for the trials' checkpoints: %w", err)
			}
			s.tempDir = d
		}
		root = s.tempDir
	}
	dir := filepath.Join(root, "trials", strconv.Itoa(n))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("tune: a folder for trial %d: %w", n, err)
	}
	return dir, nil
}

// syncDir syncs a folder, so that a file created in it survives a crash;
// not every system allows it, and nothing is lost if it fails.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// sanitize keeps the characters a worker's name may hold.
func sanitize(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	if len(b) == 0 || b[0] == '.' {
		b = append([]byte("host"), b...)
	}
	if len(b) > 64 {
		b = b[:64]
	}
	return string(b)
}

// sortedKeys returns m's keys in order, so that what is written from a
// map is written alike every time.
func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	return slices.Sorted(maps.Keys(m))
}
