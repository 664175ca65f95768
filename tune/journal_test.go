package tune

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// The tests of this file run studies in child processes: the test binary
// run again with childEnv set to "mode dir", which runs the study in dir
// and exits.
const childEnv = "MINIDL_TUNE_CHILD"

// checkpointedObjective is curveObjective with a run checkpoint: the last
// epoch done, written to the trial's checkpoint file after each epoch (after
// the report, as train.Fit writes its checkpoint after the callbacks), so
// that a trial taken up again resumes after it.
func checkpointedObjective(ctx context.Context, t *Trial) (float64, error) {
	lr := t.Float("lr", 1e-4, 1e-1, Log())
	width := t.Int("width", 16, 128, Step(16))
	act := t.Categorical("act", "relu", "tanh")
	final := (lr-0.01)*(lr-0.01)*1e4 + float64(width)/1000
	if act == "tanh" {
		final += 0.05
	}
	ckpt, err := t.Checkpoint()
	if err != nil {
		return 0, err
	}
	start := 0
	if b, err := os.ReadFile(ckpt); err == nil {
		done, err := strconv.Atoi(string(b))
		if err != nil {
			return 0, fmt.Errorf("checkpoint %s: %v", ckpt, err)
		}
		start = done + 1
	}
	v := final + 1/float64(start)
	for epoch := start; epoch < 10; epoch++ {
		v = final + 1/float64(epoch+1)
		t.Report(epoch, v)
		if t.ShouldPrune() {
			return 0, ErrPruned
		}
		tmp := ckpt + ".tmp"
		if err := os.WriteFile(tmp, []byte(strconv.Itoa(epoch)), 0o644); err != nil {
			return 0, err
		}
		if err := os.Rename(tmp, ckpt); err != nil {
			return 0, err
		}
	}
	return v, nil
}

// killStudy is the study the kill test runs, killed and opened again: TPE
// and successive halving, whose state is the trials' (the rungs are their
// attributes).
func killStudy(dir string) StudyConfig {
	return StudyConfig{Dir: dir, Seed: 5, Budget: Budget{Trials: 24},
		Pruner:  NewSuccessiveHalvingPruner(SuccessiveHalvingConfig{MinResource: 1, ReductionFactor: 3}),
		Sampler: NewTPESampler(TPEConfig{StartupTrials: new(4)})}
}

// sharedStudy is the study four processes share.
func sharedStudy(dir string) StudyConfig {
	return StudyConfig{Dir: dir, Seed: 9, Pruner: pruneAfter(6), Budget: Budget{Trials: 40}, Parallelism: 2}
}

func TestMain(m *testing.M) {
	if child := os.Getenv(childEnv); child != "" {
		mode, dir, _ := strings.Cut(child, " ")
		cfg := killStudy(dir)
		if mode == "shared" {
			cfg = sharedStudy(dir)
		}
		s, err := NewStudy(cfg)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		if err := s.Optimize(context.Background(), checkpointedObjective); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		s.Close()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func child(t *testing.T, mode, dir string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+mode+" "+dir)
	cmd.Stderr = os.Stderr
	return cmd
}

// A study killed with SIGKILL at random moments, 60 times, and opened
// again each time, ends as the study run without a kill: the same trials,
// parameters, reports, values and states, to the bit; none lost, none
// counted twice.
func TestJournalSurvivesKills(t *testing.T) {
	want := func() []FrozenTrial {
		s, err := NewStudy(killStudy(t.TempDir()))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.Optimize(context.Background(), checkpointedObjective); err != nil {
			t.Fatal(err)
		}
		return s.Trials()
	}()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 1))
	kills, done := 0, false
	for kills < 60 {
		cmd := child(t, "kill", dir)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.IntN(40_000)) * time.Microsecond)
		cmd.Process.Signal(syscall.SIGKILL)
		err := cmd.Wait()
		var exit *exec.ExitError
		switch {
		case errors.As(err, &exit) && exit.Sys().(syscall.WaitStatus).Signaled():
			kills++
		case err != nil:
			t.Fatalf("child: %v", err)
		default:
			done = true // finished before the kill: start over in a new folder
			dir = t.TempDir()
		}
	}
	if err := child(t, "kill", dir).Run(); err != nil {
		t.Fatalf("the last child: %v", err)
	}
	s, err := NewStudy(killStudy(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := s.Trials()
	if d := cmp.Diff(want, got, ignoreTimes, cmpopts.EquateNaNs()); d != "" {
		t.Errorf("after %d kills the study differs from one never killed (-never killed +killed):\n%s", kills, d)
	}
	t.Logf("%d kills; a child finished before its kill: %v; %d trials taken up again", kills, done, resumes(t, dir))
}

// resumes counts the trials taken up again in dir's journal.
func resumes(t *testing.T, dir string) int {
	b, err := os.ReadFile(filepath.Join(dir, "journal.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), `"op":"resume"`)
}

// Four processes, two trials at a time each, share one study: every trial
// is numbered once, run by one process, and complete or pruned with every
// report.
func TestJournalFourProcesses(t *testing.T) {
	dir := t.TempDir()
	var cmds []*exec.Cmd
	for range 4 {
		cmd := child(t, "shared", dir)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	for _, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("child: %v", err)
		}
	}
	s, err := NewStudy(sharedStudy(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	trials := s.Trials()
	if len(trials) != 40 {
		t.Fatalf("%d trials, want 40", len(trials))
	}
	for i, tr := range trials {
		ok := tr.Number == i && (tr.State == Complete && len(tr.Reports) == 10 || tr.State == Pruned && len(tr.Reports) == 7)
		if !ok {
			t.Errorf("trial %d: number %d, %v with %d reports", i, tr.Number, tr.State, len(tr.Reports))
		}
	}
	// Who ran what, from the journal: one start per trial, no trial taken
	// up by another process, and every process ran some.
	b, err := os.ReadFile(filepath.Join(dir, "journal.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	workers := map[string]int{}
	for _, line := range strings.Split(string(b), "\n") {
		if _, w, ok := strings.Cut(line, `"op":"start",`); ok {
			_, w, _ = strings.Cut(w, `"worker":"`)
			w, _, _ = strings.Cut(w, `"`)
			workers[w]++
		}
	}
	if resumes(t, dir) != 0 {
		t.Errorf("%d trials were taken up again, though no process died", resumes(t, dir))
	}
	if len(workers) != 4 {
		t.Errorf("trials by worker %v; want four workers", workers)
	}
	t.Logf("trials by worker: %v", workers)
}
