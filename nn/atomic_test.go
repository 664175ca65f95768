package nn

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minidl/minidl/internal/flock"

	"github.com/minidl/minidl/internal/atomicfile"
	"github.com/minidl/minidl/tensor"
)

// A child process (the test binary run again with saveLoop set) saves
// checkpoints to one target until it is killed.
const saveLoop = "MINIDL_SAVE_LOOP"

// saveWriters, if set, is the number of goroutines of the child that save
// to the target at once.
const saveWriters = "MINIDL_SAVE_WRITERS"

func TestMain(m *testing.M) {
	if path := os.Getenv(saveLoop); path != "" {
		writers, _ := strconv.Atoi(os.Getenv(saveWriters))
		var once sync.Once
		for range max(writers, 1) {
			go func() {
				s := NewStateDict()
				s.Set("w", tensor.Zeros(1<<17)) // 1 MB: a save takes long enough to be killed mid-way
				for i := 0; ; i++ {
					s.Set("step", tensor.Scalar(float64(i)))
					if err := SaveFile(path, s, map[string]string{"step": fmt.Sprint(i)}); err != nil {
						fmt.Fprintln(os.Stderr, err)
						os.Exit(1)
					}
					// the parent kills only after a first save
					once.Do(func() { fmt.Println("saved") })
				}
			}()
		}
		select {}
	}
	os.Exit(m.Run())
}

// killSaving starts a child process whose writers save to target at once,
// and kills it at a random moment after its first save.
func killSaving(t *testing.T, target string, writers int, rng *rand.Rand) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), saveLoop+"="+target, saveWriters+"="+strconv.Itoa(writers))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	bufio.NewReader(out).ReadString('\n')
	time.Sleep(time.Duration(rng.IntN(40)) * time.Millisecond)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
}

// temporaries returns the names of the temporary files in dir.
func temporaries(dir string) []string {
	entries, _ := os.ReadDir(dir)
	var temps []string
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp") {
			temps = append(temps, e.Name())
		}
	}
	return temps
}

// TestKilledConcurrentSaves kills, 10 times, a process in which three
// saves of one target run at once: the temporaries the killed saves leave
// are reused, never more than three, and the next save that succeeds
// removes them.
func TestKilledConcurrentSaves(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "ckpt.safetensors")
	rng := rand.New(rand.NewPCG(5, 6))
	most := 0
	for range 10 {
		killSaving(t, target, 3, rng)
		most = max(most, len(temporaries(dir)))
	}
	if most > 3 {
		t.Errorf("up to %d temporaries after kills of 3 concurrent saves: %v", most, temporaries(dir))
	}
	if _, _, err := LoadFile(target); err != nil {
		t.Fatalf("the checkpoint after 10 kills: %v", err)
	}
	if flock.Supported { // without them, a temporary cannot be told from a live save's
		if err := SaveFile(target, NewStateDict(), nil); err != nil {
			t.Fatal(err)
		}
		if left := temporaries(dir); len(left) > 0 {
			t.Errorf("a save after the kills left the killed saves' temporaries: %v", left)
		}
	}
}

// TestKilledSaves kills a process that saves checkpoints 25 times at random
// moments: the checkpoint always loads whole, and at most one temporary per
// target is left behind.
func TestKilledSaves(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "ckpt.safetensors")
	rng := rand.New(rand.NewPCG(3, 4))
	for range 25 {
		killSaving(t, target, 1, rng)
	}
	if _, _, err := LoadFile(target); err != nil {
		t.Fatalf("the checkpoint after 25 kills: %v", err)
	}
	if temps := temporaries(dir); len(temps) > 1 {
		t.Errorf("%d temporaries left behind: %v", len(temps), temps)
	}
}

// TestConcurrentSaves saves one target from several goroutines at once: the
// file is always one of the saved states, whole, and no temporary remains.
func TestConcurrentSaves(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "ckpt.safetensors")
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := NewStateDict()
			s.Set("w", tensor.Full(float64(g), 1<<14))
			for range 20 {
				if err := SaveFile(target, s, nil); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	s, _, err := LoadFile(target)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := s.Get("w")
	first := w.Data()[0]
	for _, v := range w.Data() {
		if v != first {
			t.Fatalf("the checkpoint mixes two saves: %v and %v", first, v)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("files left: %v", entries)
	}
}

// TestSaveToMissingFolder names the folder, not a temporary file.
func TestSaveToMissingFolder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope", "ckpt.safetensors")
	err := SaveFile(path, NewStateDict(), nil)
	if err == nil || !strings.Contains(err.Error(), "folder "+filepath.Dir(path)+" does not exist") || strings.Contains(err.Error(), ".tmp") {
		t.Errorf("SaveFile into a missing folder: %v", err)
	}
}

// TestSaveKeepsALiveSavesTemporary: a save while another holds the first
// temporary writes through a second, and removes neither the live save's
// temporary nor, until it is stale, anything of the live save.
func TestSaveKeepsALiveSavesTemporary(t *testing.T) {
	if !flock.Supported {
		return // without locks a live save's temporary cannot be told from a stale one, and none is removed
	}
	dir := t.TempDir()
	target := filepath.Join(dir, "ckpt.safetensors")
	live, locked, err := atomicfile.OpenTemp(target) // a save in progress
	if err != nil || !locked {
		t.Fatal(err)
	}
	live.WriteString("half a checkpoint")
	if err := SaveFile(target, NewStateDict(), nil); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(live.Name()); err != nil || string(b) != "half a checkpoint" {
		t.Errorf("the live save's temporary: %q, %v", b, err)
	}
	live.Close() // the live save dies
	if err := SaveFile(target, NewStateDict(), nil); err != nil {
		t.Fatal(err)
	}
	if left := temporaries(dir); len(left) > 0 {
		t.Errorf("temporaries left: %v", left)
	}
}
