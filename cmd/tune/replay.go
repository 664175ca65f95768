package main

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/minidl/minidl/callbacks"
	"github.com/minidl/minidl/tune"
)

// replay replays every pruner of tune.DefaultReplayMethods over the curves
// of o.replay, each task a search, and prints what each saved and lost
// against the full search.
func replay(o options, stdout, stderr io.Writer) int {
	curves, err := readCurveFile(o.replay)
	if err != nil {
		fmt.Fprintln(stderr, "tune:", err)
		return 1
	}
	searches := tune.GroupByTask(curves)
	cfg := tune.ReplayConfig{Final: o.final, Parallelism: o.parallel}
	stopping := ""
	if o.patience > 0 {
		cfg.Stopping = &callbacks.EarlyStoppingConfig{Patience: o.patience}
		stopping = fmt.Sprintf("; each trial stops itself after %d epochs without improvement", o.patience)
	}
	summaries, err := tune.CompareReplays(searches, tune.DefaultReplayMethods(), cfg, o.rounds, o.seed)
	if err != nil {
		fmt.Fprintln(stderr, "tune:", err)
		return 1
	}
	final := o.final
	if final == "" {
		final = "test_loss (or val_loss)"
	}
	fmt.Fprintf(stdout, "replay: %d curves, %d searches (one per task), val_loss reported each epoch, regret on %s\n", len(curves), len(searches), final)
	fmt.Fprintf(stdout, "each search replayed %d times (file order, then shuffles from seed %d), %d at a time%s\n\n", o.rounds, o.seed, o.parallel, stopping)
	fmt.Fprintf(stdout, "%-34s %7s %6s %6s %11s %8s %8s\n", "method", "epochs", "saved", "lost", "mean regret", "median", "max")
	for _, s := range summaries {
		lost := fmt.Sprintf("%d/%d", s.Lost, s.Runs)
		if s.Empty > 0 {
			lost += fmt.Sprintf(" (%d empty)", s.Empty)
		}
		fmt.Fprintf(stdout, "%-34s %7d %5.0f%% %6s %11.4f %8.4f %8.4f\n", s.Method, s.Epochs, 100*s.Saved(), lost, s.MeanRegret, s.MedianRegret, s.MaxRegret)
	}
	return 0
}

// readCurveFile reads a curve file, gunzipping it if its name ends in .gz.
func readCurveFile(name string) ([]callbacks.Curve, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(name, ".gz") {
		z, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		defer z.Close()
		r = z
	}
	curves, err := callbacks.ReadCurves(r, name)
	if err == nil && len(curves) == 0 {
		err = errors.New(name + ": no curves")
	}
	return curves, err
}
