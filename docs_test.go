package minidl_test

// This test keeps the documentation honest: every ```go block in README.md
// and docs/*.md is a complete program, all of them must compile against the
// code in this repository, and every one that prints ends its main with an
// "// Output:" comment, as a Go example does, which must match what it
// prints when run.

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
	outputs := map[string]string{} // program folder → expected output
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
			dir := filepath.Join(name, string(rune('a'+i)))
			write(filepath.Join(dir, "main.go"), m[1])
			n++
			want, ok := expectedOutput(m[1])
			switch {
			case ok:
				outputs[dir] = want
			case strings.Contains(m[1], "fmt.Print"):
				t.Errorf("%s: Go block %d prints but has no // Output: comment to check", f, i+1)
			}
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
	for dir, want := range outputs {
		run := exec.Command(goTool, "run", "./"+dir)
		run.Dir = mod
		run.Env = cmd.Env
		out, err := run.Output()
		if err != nil {
			t.Errorf("%s: %v", dir, err)
			continue
		}
		if got := strings.TrimSpace(string(out)); got != want {
			t.Errorf("%s prints\n%s\nwant (its // Output: comment)\n%s", dir, got, want)
		}
	}
	t.Logf("%d examples compile, %d run with their output checked", n, len(outputs))
}

// expectedOutput returns the lines of a program's "// Output:" comment, the
// comment markers taken off.
func expectedOutput(program string) (string, bool) {
	_, rest, ok := strings.Cut(program, "\t// Output:\n")
	if !ok {
		return "", false
	}
	var lines []string
	for _, line := range strings.Split(rest, "\n") {
		text, isComment := strings.CutPrefix(strings.TrimSpace(line), "//")
		if !isComment {
			break
		}
		lines = append(lines, strings.TrimPrefix(text, " "))
	}
	return strings.Join(lines, "\n"), true
}
