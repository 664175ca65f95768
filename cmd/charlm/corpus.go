package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/minidl/minidl/data"
	"github.com/minidl/minidl/tensor"
)

// packages are the standard-library packages whose source the model reads,
// in the order read. They are small, stable, plain Go with few non-ASCII
// characters, and present in every Go release since 1.0 (math/bits since
// 1.9), so that a GOROOT of any recent version has them all.
var packages = []string{
	"bufio", "bytes", "container/heap", "container/list", "container/ring",
	"encoding/base32", "encoding/base64", "encoding/csv", "encoding/hex",
	"errors", "fmt", "io", "math/bits", "path", "sort", "strconv", "strings",
	"text/tabwriter", "unicode/utf16", "unicode/utf8",
}

// Symbols: the model reads and predicts one of vocabSize symbols per
// character: tab, newline and the 95 printable ASCII characters, and one
// symbol, other, for every other character (a non-ASCII letter in a
// comment, a carriage return). Go source is nearly all ASCII, so a fixed
// vocabulary loses almost nothing and does not depend on the text read.
const (
	other     = 0
	vocabSize = 3 + '~' - ' ' + 1
)

// symbolOf returns the symbol of the character r.
func symbolOf(r rune) int {
	switch {
	case r == '\t':
		return 1
	case r == '\n':
		return 2
	case r >= ' ' && r <= '~':
		return int(r-' ') + 3
	}
	return other
}

// charOf returns the character a symbol stands for; other prints as the
// replacement character.
func charOf(s int) rune {
	switch {
	case s == 1:
		return '\t'
	case s == 2:
		return '\n'
	case s >= 3 && s < vocabSize:
		return rune(s-3) + ' '
	}
	return utf8.RuneError
}

// Splits of the corpus, in the order a file is offered to them.
const (
	trainSplit = iota
	valSplit
	testSplit
)

// splitNames names the splits in messages and JSON.
var splitNames = [3]string{"train", "val", "test"}

// splitShares are the target fractions of the characters in each split.
var splitShares = [3]float64{0.8, 0.1, 0.1}

// sourceFile is one file of the corpus: its path under GOROOT/src, the
// split it belongs to and its symbols (the first ones only, for the file
// the character budget cuts).
type sourceFile struct {
	Path    string `json:"path"`
	Split   string `json:"split"`
	Symbols []int  `json:"-"`
	Chars   int    `json:"chars"`
}

// corpus is the text the model learns from, split by file.
type corpus struct {
	Files  []sourceFile
	Splits [3][]int // the symbols of each split, its files' in order
}

// errNoSources is the kind of error readCorpus returns when GOROOT holds no
// source for a package the corpus needs.
var errNoSources = errors.New("no Go sources")

// readCorpus reads the corpus from goroot: the non-test .go files of each
// of pkgs, in that order, each package's files sorted by name. Each package
// gives at most an equal share of what is left of the budget of
// characters (what is left over divided by the packages still to read),
// its last file read cut short, so that the text samples every package
// and a small package's unused share passes to the next. Each file goes whole to
// the split whose share of the characters so far lags its target share
// most (splitShares; ties to the earlier split), so that validation and
// test text comes from files the model never trained on, spread over every
// package, and the same files give the same splits on every machine.
//
// It returns an error wrapping errNoSources naming the folder if a package
// has no such file (GOROOT without sources, or a wrong -goroot), and
// reads no more than budget·utf8.UTFMax bytes of any file, so a huge or
// hostile file costs no more than the budget.
func readCorpus(goroot string, pkgs []string, budget int) (*corpus, error) {
	if budget < 3 {
		return nil, fmt.Errorf("a budget of %d characters: want at least 3, one for each split", budget)
	}
	c := &corpus{}
	left := budget
	var sizes [3]int
	for i, pkg := range pkgs {
		dir := filepath.Join(goroot, "src", filepath.FromSlash(pkg))
		entries, err := os.ReadDir(dir) // sorted by name
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		var names []string
		for _, e := range entries {
			if n := e.Name(); e.Type().IsRegular() && strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go") {
				names = append(names, n)
			}
		}
		if len(names) == 0 {
			return nil, fmt.Errorf("%w in %s: want the non-test .go files of package %s, as every Go distribution has (pass -goroot the folder `go env GOROOT` prints)", errNoSources, dir, pkg)
		}
		share := left / (len(pkgs) - i)
		for _, n := range names {
			if share == 0 {
				break
			}
			syms, err := readSymbols(filepath.Join(dir, n), share)
			if err != nil {
				return nil, err
			}
			s := lagging(sizes)
			sizes[s] += len(syms)
			share -= len(syms)
			left -= len(syms)
			c.Files = append(c.Files, sourceFile{Path: pkg + "/" + n, Split: splitNames[s], Symbols: syms, Chars: len(syms)})
			c.Splits[s] = append(c.Splits[s], syms...)
		}
	}
	return c, c.check()
}

// check returns an error unless every split has text to make a sequence of.
func (c *corpus) check() error {
	for s, syms := range c.Splits {
		if len(syms) < 2 {
			return fmt.Errorf("the %s split has %d characters: want at least 2 (raise the character budget)", splitNames[s], len(syms))
		}
	}
	return nil
}

// lagging returns the split whose share of the characters so far is
// furthest below its target: the one with the least sizes[s]/share[s].
func lagging(sizes [3]int) int {
	best := 0
	for s := 1; s < 3; s++ {
		if float64(sizes[s])/splitShares[s] < float64(sizes[best])/splitShares[best] {
			best = s
		}
	}
	return best
}

// readSymbols returns the symbols of the first at most max characters of
// the file at path, reading at most max·utf8.UTFMax bytes of it.
func readSymbols(path string, max int) ([]int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, int64(max)*utf8.UTFMax))
	if err != nil {
		return nil, err
	}
	syms := make([]int, 0, min(len(b), max))
	for _, r := range string(b) {
		if len(syms) == max {
			break
		}
		syms = append(syms, symbolOf(r))
	}
	return syms, nil
}

// digest returns the hex SHA-256 of the symbols, one byte each, so that
// two runs, or this program and its PyTorch twin, can tell whether they
// read the same text.
func digest(syms []int) string {
	b := make([]byte, len(syms))
	for i, s := range syms {
		b[i] = byte(s)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// windows cuts the symbols into the data set of next-character prediction:
// consecutive, non-overlapping windows of seq inputs, each with the seq
// symbols that follow each input as targets ([N seq] each, symbols as
// float64, the form nn.Embedding and nn.CrossEntropy take). The tail that
// does not fill a window is left out; text shorter than one window gives
// an error.
func windows(syms []int, seq int) (*data.TensorDataset, error) {
	n := (len(syms) - 1) / seq
	if n < 1 {
		return nil, fmt.Errorf("%d characters make no window of %d characters and the one after: want at least %d", len(syms), seq, seq+1)
	}
	x, y := make([]float64, n*seq), make([]float64, n*seq)
	for i := range n * seq {
		x[i], y[i] = float64(syms[i]), float64(syms[i+1])
	}
	return data.NewTensorDataset(tensor.New(x, n, seq), tensor.New(y, n, seq)), nil
}
