//go:build unix

package flock

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Two opens of one file are two holders: the second waits for the first.
func TestLockExcludesOtherOpens(t *testing.T) {
	name := filepath.Join(t.TempDir(), "lock")
	a, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := Lock(a); err != nil {
		t.Fatal(err)
	}
	if err := TryLock(b); !errors.Is(err, ErrLocked) {
		t.Fatalf("TryLock on a lock another open file holds: %v, want ErrLocked", err)
	}
	got := make(chan error)
	go func() { got <- Lock(b) }()
	select {
	case <-got:
		t.Fatal("Lock returned while another open file held the lock")
	case <-time.After(50 * time.Millisecond):
	}
	if err := Unlock(a); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	a.Close()
	if TryLock(a) == nil {
		t.Fatal("TryLock on a closed file")
	}
	if err := Unlock(b); err != nil {
		t.Fatal(err)
	}
	c, _ := os.Open(name)
	defer c.Close()
	if err := TryLock(c); err != nil {
		t.Fatalf("TryLock on a lock nobody holds: %v", err)
	}
}
