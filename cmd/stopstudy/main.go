// Command stopstudy measures early-stopping rules on real learning curves.
//
// It trains a corpus of runs to a fixed epoch budget without stopping (7
// tasks, or 8 with MNIST: Iris, the UCI wine, breast cancer and digits sets,
// the diabetes regression, noisy moons and spirals, and 3,000 MNIST images;
// two architectures, SGD with momentum and Adam, and seeds), recording per
// epoch the training loss and the validation and test losses and errors;
// then it replays every rule of the study on every curve with
// callbacks.Replay and prints, per rule, the mean cost (epochs run /
// budget), the mean and median regret (test error at the restored epoch
// relative to the best test error anywhere on the curve), and more; see
// docs/stopping-study.md.
//
//	go run ./cmd/stopstudy                            # the study on the checked-in small corpus
//	go run ./cmd/stopstudy -generate corpus.jsonl.gz  # train the full corpus (20 seeds; -mnist fetches MNIST)
//	go run ./cmd/stopstudy -corpus corpus.jsonl.gz -svg study.svg
package main

import (
	"bytes"
	"compress/gzip"
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/minidl/minidl/callbacks"
	"github.com/minidl/minidl/data"
)

//go:embed corpus/small.jsonl.gz
var smallCorpus []byte

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("stopstudy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	generateTo := fs.String("generate", "", "train the corpus and write its curves to this file (.gz to compress), then study it")
	corpusFile := fs.String("corpus", "", "study the curves of this file (default: the checked-in small corpus)")
	seeds := fs.Int("seeds", 20, "seeds per task, architecture and optimizer, with -generate")
	mnist := fs.Bool("mnist", false, "with -generate, add an MNIST task (fetches MNIST through the Go module proxy)")
	workers := fs.Int("workers", runtime.GOMAXPROCS(0), "runs trained at once, with -generate")
	svg := fs.String("svg", "", "write the cost-regret chart to this SVG file")
	only := fs.String("tasks", "", "study only these tasks (comma-separated)")
	learn := fs.String("learn", "", "retrain the learned rule's shipped model on the corpus and write its Go source to this file (callbacks/stopmodel.go), then study")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 || *seeds < 1 || (*generateTo != "" && *corpusFile != "") {
		fmt.Fprintln(stderr, "stopstudy: -seeds must be positive, -generate and -corpus go alone, and no arguments")
		return 2
	}
	curves, err := corpus(ctx, *generateTo, *corpusFile, *seeds, *mnist, *workers, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "stopstudy:", err)
		return 1
	}
	if *only != "" {
		names := strings.Split(*only, ",")
		curves = slices.DeleteFunc(curves, func(c callbacks.Curve) bool { return !slices.Contains(names, c.Task) })
		if len(curves) == 0 {
			fmt.Fprintf(stderr, "stopstudy: no curves of the tasks %s\n", *only)
			return 2
		}
	}
	if *learn != "" {
		m := shippedStopModel(curves)
		src, err := stopModelSource(m, fmt.Sprintf("on %d curves of %s", len(curves), corpusName(*generateTo, *corpusFile)))
		if err == nil {
			err = os.WriteFile(*learn, src, 0o644)
		}
		if err != nil {
			fmt.Fprintln(stderr, "stopstudy:", err)
			return 1
		}
		fmt.Fprintf(stderr, "wrote the learned rule's model (threshold %g) to %s\n", m.Threshold, *learn)
	}
	rs := rules()
	fmt.Fprintf(stderr, "replaying %d rules on %d curves\n", len(rs), len(curves))
	s := runStudy(curves, rs)
	report(stdout, s)
	if *svg != "" {
		f, err := os.Create(*svg)
		if err == nil {
			title := fmt.Sprintf("Early-stopping rules on %d curves, leave one task out", len(curves))
			err = errors.Join(writeChart(f, s.crossValidated(nil), title), f.Close())
		}
		if err != nil {
			fmt.Fprintln(stderr, "stopstudy:", err)
			return 1
		}
	}
	return 0
}

// corpus returns the curves to study: trained (and written), read from a
// file, or the checked-in small corpus.
func corpus(ctx context.Context, generateTo, file string, seeds int, mnist bool, workers int, stderr io.Writer) ([]callbacks.Curve, error) {
	switch {
	case generateTo != "":
		dir := ""
		if mnist {
			var err error
			if dir, err = data.FetchMNIST(ctx, data.FetchConfig{Progress: stderr}); err != nil {
				return nil, err
			}
		}
		ts, err := tasks(dir)
		if err != nil {
			return nil, err
		}
		curves, err := generate(ts, seeds, workers, func(done, total int) {
			fmt.Fprintf(stderr, "\rtraining the corpus: %d of %d runs", done, total)
			if done == total {
				fmt.Fprintln(stderr)
			}
		})
		if err != nil {
			return nil, err
		}
		return curves, writeCorpus(generateTo, curves)
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		return readCorpus(b, file)
	}
	return readCorpus(smallCorpus, "the small corpus")
}

func writeCorpus(path string, curves []callbacks.Curve) error {
	var buf bytes.Buffer
	var w io.Writer = &buf
	var zw *gzip.Writer
	if strings.HasSuffix(path, ".gz") {
		zw = gzip.NewWriter(&buf)
		w = zw
	}
	if err := callbacks.WriteCurves(w, curves...); err != nil {
		return err
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			return err
		}
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

func readCorpus(b []byte, name string) ([]callbacks.Curve, error) {
	var r io.Reader = bytes.NewReader(b)
	if len(b) > 1 && b[0] == 0x1f && b[1] == 0x8b {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		defer zr.Close()
		r = zr
	}
	return callbacks.ReadCurves(r, name)
}

// corpusName names the corpus studied, for the provenance of a model.
func corpusName(generated, file string) string {
	switch {
	case generated != "":
		return filepath.Base(generated)
	case file != "":
		return filepath.Base(file)
	}
	return "the checked-in small corpus"
}
