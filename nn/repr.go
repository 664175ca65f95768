package nn

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/minidl/minidl/autograd"
)

// Repr returns m as PyTorch prints a module. The layers of this package
// print as their torch.nn namesakes do, and a Sequential lists its layers
// with their positions. Any other module prints as PyTorch prints a module
// of its own: its type's name and, indented one per line, its children —
// the exported fields holding a Module, or a slice or array of them (a
// ModuleList) — each named as its parameters are named, or, for a child
// without parameters, by its field with a lower-case initial, as the
// attribute of a PyTorch module would be:
//
//	MLP(
//	  (hidden): Linear(in_features=3, out_features=5, bias=True)
//	  (act): ReLU()
//	  (out): Linear(in_features=5, out_features=2, bias=True)
//	)
//
// A child with a String method of its own prints as that says, so a
// module of yours prints with fmt.Print too if you give it
//
//	func (m *MLP) String() string { return nn.Repr(m) }
func Repr(m Module) string {
	// This package's layers print themselves; a module of another package
	// may print itself with Repr, so its String is not called here.
	t := reflect.TypeOf(m)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.PkgPath() == reflect.TypeFor[Sequential]().PkgPath() {
		if s, ok := m.(fmt.Stringer); ok {
			return s.String()
		}
	}
	return reprOf(m)
}

// describe prints a child module: by its own String method if it has one,
// else as Repr does.
func describe(m Module) string {
	if s, ok := m.(fmt.Stringer); ok {
		return s.String()
	}
	return reprOf(m)
}

// reprOf prints a module of another package from its exported fields. (A
// module cannot hold itself: its Parameters would never end.)
func reprOf(m Module) string {
	v := reflect.ValueOf(m)
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return "nil"
		}
		v = v.Elem()
	}
	name := v.Type().Name()
	if v.Kind() != reflect.Struct {
		return name + "()"
	}
	names := map[*autograd.Var]string{}
	for _, p := range m.Parameters() {
		names[p.Var] = p.Name
	}
	var b strings.Builder
	child := func(name, text string) {
		fmt.Fprintf(&b, "  (%s): %s\n", name, strings.ReplaceAll(text, "\n", "\n  "))
	}
	for i := range v.NumField() {
		f, field := v.Field(i), v.Type().Field(i)
		if !field.IsExported() {
			continue
		}
		if c, ok := moduleIn(f); ok {
			child(childName(c, names, field.Name), describe(c))
			continue
		}
		if f.Kind() != reflect.Slice && f.Kind() != reflect.Array {
			continue
		}
		var list ModuleList
		listName := ""
		for j := range f.Len() {
			c, ok := moduleIn(f.Index(j))
			if !ok {
				list = nil
				break
			}
			if n, ok := paramPrefix(c, names); ok && listName == "" {
				listName, _ = strings.CutSuffix(n, "."+strconv.Itoa(j))
			}
			list = append(list, c)
		}
		if len(list) > 0 {
			if listName == "" {
				listName = lowerInitial(field.Name)
			}
			child(listName, list.String())
		}
	}
	if b.Len() == 0 {
		return name + "()"
	}
	return name + "(\n" + b.String() + ")"
}

// moduleIn returns the Module a field or element holds, if any.
func moduleIn(f reflect.Value) (Module, bool) {
	if f.Type() == reflect.TypeFor[ModuleList]() && f.CanInterface() {
		return f.Interface().(ModuleList), true // nil is an empty list, which PyTorch prints too
	}
	switch f.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan:
		if f.IsNil() {
			return nil, false
		}
	}
	if !f.CanInterface() {
		return nil, false
	}
	m, ok := f.Interface().(Module)
	return m, ok
}

// childName names child c of a module whose parameters are named by names:
// the prefix its parameters carry there, or else its field's name.
func childName(c Module, names map[*autograd.Var]string, field string) string {
	if n, ok := paramPrefix(c, names); ok {
		return n
	}
	return lowerInitial(field)
}

// paramPrefix returns the prefix the parent gives to c's first parameter:
// "hidden" for a parent's "hidden.weight" that is c's "weight".
func paramPrefix(c Module, names map[*autograd.Var]string) (string, bool) {
	for _, p := range c.Parameters() {
		if full, ok := names[p.Var]; ok {
			return strings.CutSuffix(full, "."+p.Name)
		}
	}
	return "", false
}

func lowerInitial(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	return string(unicode.ToLower(r)) + s[size:]
}

// pyFloat formats f as Python's repr of a float does: the shortest digits
// that read back as f, with ".0" on a whole number, and an exponent below
// 1e-4 and from 1e16 on.
func pyFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	if a := math.Abs(f); a != 0 && (a < 1e-4 || a >= 1e16) {
		return strconv.FormatFloat(f, 'e', -1, 64)
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// pyBool formats b as Python does: True or False.
func pyBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}
