package minidl_test

// This test keeps the documentation honest: every ```go block in README.md
// and docs/*.md is a complete program, and all of them must compile against
// the code in this repository.

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var goBlock = regexp.MustCompile("(?s)```go\n(.*?)```")

func TestDocExamplesCompile(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to compile the docs' examples: %v", err)
	}
	files, _ := filepath.Glob("docs/*.md")
	files = append(files, "README.md")
	root, _ := os.Getwd()
	mod := t.TempDir()
	goSum, err := os.ReadFile("go.sum")
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, content string) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(mod, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(mod, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module doccheck\n\ngo 1.26\n\nrequire github.com/minidl/minidl v0.0.0\n\nreplace github.com/minidl/minidl => "+root+"\n")
	write("go.sum", string(goSum))
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range goBlock.FindAllStringSubmatch(string(b), -1) {
			if !strings.HasPrefix(m[1], "package main") {
				t.Errorf("%s: Go block %d is not a complete program (package main …)", f, i+1)
				continue
			}
			name := strings.NewReplacer("/", "_", ".", "_").Replace(f)
			write(filepath.Join(name, string(rune('a'+i)), "main.go"), m[1])
			n++
		}
	}
	if n == 0 {
		t.Fatal("no Go blocks found in the docs")
	}
	cmd := exec.Command(goTool, "vet", "./...")
	cmd.Dir = mod
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the docs' examples do not compile:\n%s", out)
	}
	t.Logf("%d examples compile", n)
}
