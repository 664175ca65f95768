package nn

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/tensor"
)

// ModelSummary describes a model as Keras's model.summary() and torchinfo
// do: its layers with their output shapes and parameter counts, and the
// totals. Summary makes one.
type ModelSummary struct {
	Rows []SummaryRow
	// Input and Output are the shapes the summary's forward pass used and
	// gave.
	Input, Output []int
	// Total counts every parameter element; Trainable those that require
	// gradients, NonTrainable the others. Buffers (BatchNorm's running
	// statistics, see Param.Buffer) are not parameters, as in torchinfo:
	// Buffers counts their elements apart.
	Total, Trainable, NonTrainable, Buffers int
	// Bytes is the memory of the parameters' values, in their dtype.
	Bytes int
	// DType is the parameters' dtype (see DTypeOf), which the zeros the
	// model runs on take too.
	DType tensor.DType
}

// SummaryRow is one layer of a ModelSummary. Depth nests a Sequential's
// layers under it and a custom module's parameter groups under the module;
// a parameter group has no output shape of its own (nil).
type SummaryRow struct {
	Name   string // the parameters' prefix, "" for the whole model
	Layer  string // what the layer is: its type, and its settings where it prints them
	Depth  int
	Output []int
	Params int
}

// Summary runs model on zeros of inputShape (batch included), in evaluation
// mode and without a graph, and reports each layer's output shape and
// parameters. A Sequential's layers are shown one by one, nested
// Sequentials too; any other module's Forward is opaque, so it is one row
// with its output shape, followed by its parameters grouped by their
// first name ("hidden", "out"). An input shape the model does not take
// panics as its Forward does.
func Summary(model Module, inputShape ...int) *ModelSummary {
	s := &ModelSummary{Input: append([]int(nil), inputShape...), DType: DTypeOf(model)}
	x := autograd.NoGrad(tensor.ZerosOf(s.DType, inputShape...))
	s.Output = s.add(model, "", 0, x).Shape()
	for _, p := range model.Parameters() {
		n := p.Var.Value.Size()
		if p.Buffer {
			s.Buffers += n
			continue
		}
		s.Total += n
		s.Bytes += n * p.Var.Value.DType().ItemSize()
		if p.Var.RequiresGrad() {
			s.Trainable += n
		} else {
			s.NonTrainable += n
		}
	}
	return s
}

// add records m's rows, running it on x, and returns its output.
func (s *ModelSummary) add(m Module, name string, depth int, x *autograd.Var) *autograd.Var {
	seq, isSeq := m.(*Sequential)
	row := len(s.Rows)
	s.Rows = append(s.Rows, SummaryRow{Name: name, Layer: layerName(m), Depth: depth, Params: countParams(m.Parameters())})
	if isSeq {
		for i, l := range seq.Layers {
			x = s.add(l, joinName(name, fmt.Sprint(i)), depth+1, x)
		}
	} else {
		x = m.Forward(x)
		var groups []string
		counts := map[string]int{}
		for _, p := range m.Parameters() {
			g, _, nested := strings.Cut(p.Name, ".")
			if !nested {
				continue // the module's own parameters, as a Linear's weight
			}
			if _, ok := counts[g]; !ok {
				groups = append(groups, g)
			}
			counts[g] += countParams([]Param{p})
		}
		for _, g := range groups {
			s.Rows = append(s.Rows, SummaryRow{Name: joinName(name, g), Layer: "", Depth: depth + 1, Params: counts[g]})
		}
	}
	s.Rows[row].Output = slices.Clone(x.Shape())
	return x
}

func joinName(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// countParams counts the elements of the parameters among ps, buffers
// left out.
func countParams(ps []Param) int {
	n := 0
	for _, p := range ps {
		if !p.Buffer {
			n += p.Var.Value.Size()
		}
	}
	return n
}

// layerName is a layer's one-line description: its String if that fits on
// a line (Linear(in_features=2, …)), else its type's name.
func layerName(m Module) string {
	if str, ok := m.(fmt.Stringer); ok {
		if s := str.String(); !strings.Contains(s, "\n") {
			return s
		}
	}
	t := reflect.TypeOf(m)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}

// String prints the summary as a table followed by the totals.
func (s *ModelSummary) String() string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "Layer\tOutput shape\tParam #")
	for _, r := range s.Rows {
		name := r.Layer
		if r.Name != "" {
			name = r.Name + " " + r.Layer
		}
		shape := "—"
		if r.Output != nil {
			shape = fmt.Sprint(r.Output)
		}
		fmt.Fprintf(w, "%s%s\t%s\t%s\n", strings.Repeat("  ", r.Depth), strings.TrimSpace(name), shape, thousands(r.Params))
	}
	w.Flush()
	fmt.Fprintf(&b, "Input %v, output %v\n", s.Input, s.Output)
	fmt.Fprintf(&b, "Total params: %s\nTrainable params: %s\nNon-trainable params: %s\n", thousands(s.Total), thousands(s.Trainable), thousands(s.NonTrainable))
	if s.Buffers > 0 {
		fmt.Fprintf(&b, "Buffers (not parameters): %s\n", thousands(s.Buffers))
	}
	fmt.Fprintf(&b, "Params size: %s (%v)\n", byteSize(s.Bytes), s.DType)
	return b.String()
}

// thousands writes n with commas between groups of three digits.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func byteSize(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.2f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
