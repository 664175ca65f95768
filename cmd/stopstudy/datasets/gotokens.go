//go:build ignore

// Gotokens writes gotokens.csv and gotokens_vocab.txt, the token data set
// of the early-stopping study, from the Go distribution's own source:
//
//	go run gotokens.go    # in this folder
//
// It scans the non-test files of a few standard packages with go/scanner
// (no comments), names each token (a keyword, an operator, ";", one of
// the most frequent identifiers, or the kind of the rest: IDENT, INT,
// FLOAT, CHAR, STRING, …), keeps the names seen at least minCount times
// and calls the others OTHER, and writes every stride-th position of the
// token stream whose window of context tokens lies in the same file: the
// ids of the context tokens, then the id of the token that follows them.
package main

import (
	"bufio"
	"cmp"
	"fmt"
	"go/scanner"
	"go/token"
	"log"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
)

const (
	context     = 8    // tokens before the one to predict
	examples    = 4000 // rows written
	identifiers = 40   // most frequent identifiers named
	minCount    = 30   // rarer names become OTHER
)

var packages = []string{"bufio", "bytes", "container/list", "encoding/csv", "errors", "path", "sort", "strconv", "strings", "text/tabwriter", "unicode/utf8"}

func main() {
	var files [][]string // token names, file by file
	idents := map[string]int{}
	for _, pkg := range packages {
		dir := filepath.Join(runtime.GOROOT(), "src", pkg)
		names, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			log.Fatal(err)
		}
		slices.Sort(names)
		for _, name := range names {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			src, err := os.ReadFile(name)
			if err != nil {
				log.Fatal(err)
			}
			fset := token.NewFileSet()
			var s scanner.Scanner
			s.Init(fset.AddFile(name, -1, len(src)), src, nil, 0)
			var toks []string
			for {
				_, tok, lit := s.Scan()
				if tok == token.EOF {
					break
				}
				switch {
				case tok == token.IDENT:
					idents[lit]++
					toks = append(toks, "id:"+lit)
				case tok.IsLiteral():
					toks = append(toks, tok.String())
				default:
					toks = append(toks, tok.String()) // keywords, operators, ";"
				}
			}
			files = append(files, toks)
		}
	}
	top := slices.SortedFunc(maps.Keys(idents), func(a, b string) int {
		return cmp.Or(cmp.Compare(idents[b], idents[a]), cmp.Compare(a, b))
	})[:identifiers]
	counts := map[string]int{}
	for _, toks := range files {
		for i, t := range toks {
			if name, ok := strings.CutPrefix(t, "id:"); ok {
				t = "IDENT"
				if slices.Contains(top, name) {
					t = name
				}
				toks[i] = t
			}
			counts[t]++
		}
	}
	vocab := slices.SortedFunc(maps.Keys(counts), func(a, b string) int {
		return cmp.Or(cmp.Compare(counts[b], counts[a]), cmp.Compare(a, b))
	})
	vocab = slices.DeleteFunc(vocab, func(t string) bool { return counts[t] < minCount })
	vocab = append(vocab, "OTHER")
	id := func(t string) int {
		if i := slices.Index(vocab, t); i >= 0 {
			return i
		}
		return len(vocab) - 1
	}
	positions := 0
	for _, toks := range files {
		positions += max(len(toks)-context, 0)
	}
	stride := positions / examples
	out, err := os.Create("gotokens.csv")
	if err != nil {
		log.Fatal(err)
	}
	w := bufio.NewWriter(out)
	for i := range context {
		fmt.Fprintf(w, "t%d,", i+1)
	}
	fmt.Fprintln(w, "target")
	n, rows := 0, 0
	for _, toks := range files {
		for p := context; p < len(toks); p++ {
			if n++; n%stride != 0 || rows == examples {
				continue
			}
			for _, t := range toks[p-context : p] {
				fmt.Fprintf(w, "%d,", id(t))
			}
			fmt.Fprintf(w, "%d\n", id(toks[p]))
			rows++
		}
	}
	if err := w.Flush(); err != nil {
		log.Fatal(err)
	}
	if err := out.Close(); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile("gotokens_vocab.txt", []byte(strings.Join(vocab, "\n")+"\n"), 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: %d files, %d positions, %d rows, %d names\n", runtime.Version(), len(files), positions, rows, len(vocab))
}
