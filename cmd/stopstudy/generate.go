package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/minidl/minidl/callbacks"
)

// generator trains the runs of a plan into a corpus file, resumably.
//
// The curves go, as each run ends, to a journal beside the corpus (the
// file's name + ".partial", uncompressed JSON lines, one write and one sync
// a curve); a run the journal holds is not trained again, and a torn last
// line (a crash mid-write) is cut off. The corpus file itself is only ever
// replaced whole (a temporary, synced, renamed): every few minutes with the
// curves done so far, and at the end with all of the plan's curves in the
// plan's order, after which the journal is removed. Runs are trained on
// workers goroutines, each from its own seed, so the corpus does not depend
// on their number or on the order in which runs end.
type generator struct {
	path          string
	runs          []runSpec
	workers       int
	progress      io.Writer // a line after a run ends, at most one every progressEvery; nil for none
	progressEvery time.Duration
	publish       time.Duration // how often the corpus so far replaces the file; 0 for only at the end
}

// journal is the name of the generator's journal.
func (g *generator) journal() string { return g.path + ".partial" }

// run trains what remains and returns the plan's curves, in its order.
func (g *generator) run(ctx context.Context) ([]callbacks.Curve, error) {
	done, err := g.recover()
	if err != nil {
		return nil, err
	}
	var todo []runSpec
	for _, r := range g.runs {
		c, ok := done[r.id()]
		if !ok {
			todo = append(todo, r)
			continue
		}
		if err := sameRun(c, r); err != nil {
			return nil, fmt.Errorf("%s: %w: the plan changed since it was trained; remove %s to start afresh", g.journal(), err, g.journal())
		}
	}
	// Every task's first runs first, so that the corpus published on the
	// way holds all the tasks.
	slices.SortStableFunc(todo, func(a, b runSpec) int { return a.index - b.index })
	f, err := os.OpenFile(g.journal(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer f.Close()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		curve callbacks.Curve
		err   error
	}
	next, results := make(chan runSpec), make(chan result)
	var wg sync.WaitGroup
	for range max(g.workers, 1) {
		wg.Go(func() {
			for r := range next {
				c, err := trainSafely(ctx, r)
				results <- result{c, err}
			}
		})
	}
	go func() {
		defer close(next)
		for _, r := range todo {
			select {
			case next <- r:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() {
		wg.Wait()
		close(results)
	}()

	meter := newMeter(g.runs, done)
	lastShown, lastPublished := time.Now(), time.Now()
	var firstErr error
	for res := range results {
		if res.err != nil {
			if firstErr == nil && ctx.Err() == nil {
				firstErr = res.err
			}
			cancel()
			continue
		}
		if err := appendCurve(f, res.curve); err != nil && firstErr == nil {
			firstErr = err
			cancel()
			continue
		}
		done[res.curve.ID] = res.curve
		meter.add(res.curve.ID)
		if g.progress != nil && (time.Since(lastShown) >= g.progressEvery || meter.finished()) {
			fmt.Fprintln(g.progress, meter)
			lastShown = time.Now()
		}
		if g.publish > 0 && time.Since(lastPublished) > g.publish && !meter.finished() {
			if err := g.write(done); err != nil && firstErr == nil {
				firstErr = err
				cancel()
			}
			lastPublished = time.Now()
		}
	}
	switch {
	case firstErr != nil:
		return nil, firstErr
	case ctx.Err() != nil || !meter.finished():
		return nil, fmt.Errorf("stopped with %d of %d runs in %s (%w): the same command resumes", meter.runsDone, len(g.runs), g.journal(), context.Cause(ctx))
	}
	if err := g.write(done); err != nil {
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	return g.inOrder(done), os.Remove(g.journal())
}

// trainSafely trains a run, turning a panic into an error that names it.
func trainSafely(ctx context.Context, r runSpec) (c callbacks.Curve, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("run %s: %v", r.id(), p)
		}
	}()
	c, err = trainCurve(ctx, r)
	if err != nil {
		err = fmt.Errorf("run %s: %w", r.id(), err)
	}
	return c, err
}

// recover reads the journal, cutting off a torn last line, or, without a
// journal, the corpus file of an earlier generation (which starts the
// journal), and returns the curves by run.
func (g *generator) recover() (map[string]callbacks.Curve, error) {
	b, err := os.ReadFile(g.journal())
	if errors.Is(err, os.ErrNotExist) {
		curves, err := readCorpusFile(g.path)
		if errors.Is(err, os.ErrNotExist) {
			return map[string]callbacks.Curve{}, nil
		}
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		if err := callbacks.WriteCurves(&buf, curves...); err != nil {
			return nil, err
		}
		if err := os.WriteFile(g.journal(), buf.Bytes(), 0o644); err != nil {
			return nil, err
		}
		return byID(curves, g.path)
	}
	if err != nil {
		return nil, err
	}
	if end := bytes.LastIndexByte(b, '\n') + 1; end < len(b) {
		if err := os.Truncate(g.journal(), int64(end)); err != nil {
			return nil, err
		}
		if g.progress != nil {
			fmt.Fprintf(g.progress, "%s: cut off a torn last line of %d bytes\n", g.journal(), len(b)-end)
		}
		b = b[:end]
	}
	curves, err := callbacks.ReadCurves(bytes.NewReader(b), g.journal())
	if err != nil {
		return nil, err
	}
	return byID(curves, g.journal())
}

// byID indexes curves by run, refusing a curve without an id or a run
// twice.
func byID(curves []callbacks.Curve, name string) (map[string]callbacks.Curve, error) {
	m := make(map[string]callbacks.Curve, len(curves))
	for i, c := range curves {
		if _, twice := m[c.ID]; twice || c.ID == "" {
			return nil, fmt.Errorf("%s: curve %d has the run id %q, empty or already taken", name, i+1, c.ID)
		}
		m[c.ID] = c
	}
	return m, nil
}

// sameRun checks that a recorded curve is the run the plan describes.
func sameRun(c callbacks.Curve, r runSpec) error {
	want := r.settings(0)
	got := maps.Clone(c.Settings)
	delete(got, "validate_every")
	if c.Budget != r.budget || c.Seed != r.seed() || !maps.Equal(got, want) || (c.Unit == callbacks.UnitCheck && r.checks == 0) {
		return fmt.Errorf("run %s was trained with other settings", r.id())
	}
	return nil
}

// appendCurve writes one curve to the journal in one write and syncs it.
func appendCurve(f *os.File, c callbacks.Curve) error {
	var buf bytes.Buffer
	if err := callbacks.WriteCurves(&buf, c); err != nil {
		return err
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("%s: %w", f.Name(), err)
	}
	return f.Sync()
}

// inOrder returns the plan's curves that are done, in the plan's order.
func (g *generator) inOrder(done map[string]callbacks.Curve) []callbacks.Curve {
	var out []callbacks.Curve
	for _, r := range g.runs {
		if c, ok := done[r.id()]; ok {
			out = append(out, c)
		}
	}
	return out
}

// write replaces the corpus file with the plan's curves done so far.
func (g *generator) write(done map[string]callbacks.Curve) error {
	return writeCorpusFile(g.path, g.inOrder(done))
}

// cost estimates a run's training time in seconds on one core of the
// machine the plan was made on (see costPerExample).
func cost(r runSpec) float64 {
	n := float64(r.task.x.Dim(0))
	trainN := n * (1 - valShare - testShare)
	steps := float64((int(trainN) + r.batch - 1) / r.batch)
	evals := 1.0
	if r.checks > 0 && steps > 1 {
		evals = float64(r.checks)
	}
	per := costPerExample[r.task.name+" "+r.family+" "+r.arch]
	return float64(r.budget) * (trainN*per.train + evals*n*(valShare+testShare)*per.eval + steps*per.step)
}

// meter counts the work done, weighing each run by its estimated cost, for
// the progress line and its estimate of the time left.
type meter struct {
	start           time.Time
	cost            map[string]float64
	total, costDone float64
	runsDone, runs  int
	costAtStart     float64
}

func newMeter(runs []runSpec, done map[string]callbacks.Curve) *meter {
	m := &meter{start: time.Now(), cost: map[string]float64{}, runs: len(runs)}
	for _, r := range runs {
		c := cost(r)
		m.cost[r.id()] = c
		m.total += c
		if _, ok := done[r.id()]; ok {
			m.costDone += c
			m.runsDone++
		}
	}
	m.costAtStart = m.costDone
	return m
}

func (m *meter) add(id string) {
	if c, ok := m.cost[id]; ok {
		m.costDone += c
		m.runsDone++
	}
}

func (m *meter) finished() bool { return m.runsDone == m.runs }

// String is the progress line: runs done, the share of the work, the time
// spent and the time left at the pace of this session.
func (m *meter) String() string {
	elapsed := time.Since(m.start)
	line := fmt.Sprintf("corpus: %d of %d runs, %.1f%% of the work, %s", m.runsDone, m.runs, 100*m.costDone/m.total, elapsed.Round(time.Second))
	if did := m.costDone - m.costAtStart; did > 0 && !m.finished() {
		left := time.Duration(float64(elapsed) * (m.total - m.costDone) / did)
		round := time.Minute
		if left < 10*time.Minute {
			round = time.Second
		}
		line += fmt.Sprintf(", about %s left", left.Round(round))
	}
	return line
}
