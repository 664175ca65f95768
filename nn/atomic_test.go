package nn

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minidl/minidl/tensor"
)

// A child process (the test binary run again with saveLoop set) saves
// checkpoints to one target until it is killed.
const saveLoop = "MINIDL_SAVE_LOOP"

func TestMain(m *testing.M) {
	if path := os.Getenv(saveLoop); path != "" {
		s := NewStateDict()
		s.Set("w", tensor.Zeros(1<<17)) // 1 MB: a save takes long enough to be killed mid-way
		for i := 0; ; i++ {
			s.Set("step", tensor.Scalar(float64(i)))
			if err := SaveFile(path, s, map[string]string{"step": fmt.Sprint(i)}); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			if i == 0 {
				fmt.Println("saved") // the parent kills only after a first save
			}
		}
	}
	os.Exit(m.Run())
}

// TestKilledSaves kills a process that saves checkpoints 25 times at random
// moments: the checkpoint always loads whole, and at most one temporary per
// target is left behind.
func TestKilledSaves(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "ckpt.safetensors")
	rng := rand.New(rand.NewPCG(3, 4))
	for range 25 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), saveLoop+"="+target)
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
	if _, _, err := LoadFile(target); err != nil {
		t.Fatalf("the checkpoint after 25 kills: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	var temps []string
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp") {
			temps = append(temps, e.Name())
		}
	}
	if len(temps) > 1 {
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
