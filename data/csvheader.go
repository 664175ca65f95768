package data

import (
	"encoding/binary"
	"slices"

	"github.com/minidl/minidl/internal/quote"
)

// csvHeader holds the names of a CSV header in one buffer, each after its
// length as a uvarint, so that a header costs about its own size however
// many names it has: as a []string, a header of empty names cost 16 bytes
// of string header per byte of file, and 60 MB of commas 3.4 GB.
type csvHeader struct {
	buf []byte
	n   int
}

// add appends a name.
func (h *csvHeader) add(name []byte) {
	if need := binary.MaxVarintLen64 + len(name); cap(h.buf)-len(h.buf) < need {
		h.buf = slices.Grow(h.buf, max(len(h.buf), need, 1024)) // doubling, as appendDoubling
	}
	h.buf = binary.AppendUvarint(h.buf, uint64(len(name)))
	h.buf = append(h.buf, name...)
	h.n++
}

// each calls f with every name in order, as its place in buf, until f
// returns false.
func (h *csvHeader) each(f func(c, start, end int) bool) {
	off := 0
	for c := range h.n {
		size, k := binary.Uvarint(h.buf[off:])
		start := off + k
		off = start + int(size)
		if !f(c, start, off) {
			return
		}
	}
}

// at returns name c.
func (h *csvHeader) at(c int) string {
	var s string
	h.each(func(i, start, end int) bool {
		if i == c {
			s = string(h.buf[start:end])
		}
		return i < c
	})
	return s
}

// index returns the column of the first name equal to name, or -1.
func (h *csvHeader) index(name string) int {
	found := -1
	h.each(func(c, start, end int) bool {
		if string(h.buf[start:end]) == name {
			found = c
		}
		return found < 0
	})
	return found
}

// list returns the names as quote.List shows them, making strings of the
// few it shows only.
func (h *csvHeader) list() string {
	var first []string
	h.each(func(_, start, end int) bool {
		first = append(first, string(h.buf[start:end]))
		return len(first) <= quote.MaxNames
	})
	return quote.ListFirst(first, h.n)
}

// names returns every name, each a piece of one string.
func (h *csvHeader) names() []string {
	all := string(h.buf)
	out := make([]string, 0, h.n)
	h.each(func(_, start, end int) bool {
		out = append(out, all[start:end])
		return true
	})
	return out
}
