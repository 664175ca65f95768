package tensor

import (
	"fmt"
	"strconv"
	"strings"
)

// Printing follows NumPy: nested brackets, columns aligned to the widest
// element, and, for tensors of more than printThreshold elements, only the
// first and last printEdge entries of each axis with "..." between.
const (
	printThreshold = 1000
	printEdge      = 3
)

// String formats t like NumPy prints an array, followed by its shape, and
// by its dtype when that is not the default float64 (as PyTorch prints
// dtype=torch.float32); an int64 tensor's elements are printed whole, every
// digit, as PyTorch prints a LongTensor:
//
//	[[1 2.5]
//	 [3  -4]] shape [2 2]
//	[1 2.5] shape [2] dtype float32
//	[ 3 10 -1] shape [3] dtype int64
func (t *Tensor) String() string {
	elide := t.Size() > printThreshold
	bits := 64
	if t.dtype == Float32 {
		bits = 32
	}
	var cells []string
	walkPrinted(t, elide, func(off int) {
		if t.dtype == Int64 {
			cells = append(cells, strconv.FormatInt(t.i64[off], 10)) // every digit, as PyTorch prints a LongTensor
			return
		}
		cells = append(cells, strconv.FormatFloat(t.at("String", off), 'g', 6, bits))
	})
	width := 0
	for _, c := range cells {
		width = max(width, len(c))
	}
	var b strings.Builder
	next := 0
	writeAxis(&b, t, 0, 0, elide, width, cells, &next)
	fmt.Fprintf(&b, " shape %v", t.shape)
	if t.dtype != Float64 {
		fmt.Fprintf(&b, " dtype %v", t.dtype)
	}
	return b.String()
}

// shown returns the indices of an axis of length n that are printed; -1
// stands for the "..." between the two edges.
func shown(n int, elide bool) []int {
	if !elide || n <= 2*printEdge {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	idx := []int{}
	for i := range printEdge {
		idx = append(idx, i)
	}
	idx = append(idx, -1)
	for i := n - printEdge; i < n; i++ {
		idx = append(idx, i)
	}
	return idx
}

// walkPrinted calls f with the offset of every printed element in order.
func walkPrinted(t *Tensor, elide bool, f func(off int)) {
	st := strides(t.shape)
	var walk func(axis, off int)
	walk = func(axis, off int) {
		if axis == len(t.shape) {
			f(off)
			return
		}
		for _, i := range shown(t.shape[axis], elide) {
			if i >= 0 {
				walk(axis+1, off+i*st[axis])
			}
		}
	}
	walk(0, 0)
}

func writeAxis(b *strings.Builder, t *Tensor, axis, depth int, elide bool, width int, cells []string, next *int) {
	if axis == len(t.shape) {
		c := cells[*next]
		*next++
		b.WriteString(strings.Repeat(" ", width-len(c)))
		b.WriteString(c)
		return
	}
	b.WriteByte('[')
	idx := shown(t.shape[axis], elide)
	last := axis == len(t.shape)-1
	for k, i := range idx {
		if k > 0 {
			if last {
				b.WriteByte(' ')
			} else {
				b.WriteString(strings.Repeat("\n", len(t.shape)-1-axis))
				b.WriteString(strings.Repeat(" ", depth+1))
			}
		}
		if i < 0 {
			b.WriteString("...")
			continue
		}
		writeAxis(b, t, axis+1, depth+1, elide, width, cells, next)
	}
	b.WriteByte(']')
}
