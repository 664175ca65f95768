package quote

import (
	"fmt"
	"strings"
	"testing"
)

func TestText(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"abc", `"abc"`},
		{strings.Repeat("x", 40), `"` + strings.Repeat("x", 40) + `"`},
		{strings.Repeat("é", 41), `"` + strings.Repeat("é", 40) + `"…`},
		{"a\nb", `"a\nb"`},
	} {
		if got := Text(tt.in); got != tt.want {
			t.Errorf("Text(%.20q…) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := Text(strings.Repeat("1,", 50<<20)); len(got) > 50 {
		t.Errorf("a 100 MB text quoted in %d bytes", len(got))
	}
}

func TestList(t *testing.T) {
	if got := List([]string{"a", "b c", "é"}); got != "a, b c, é" {
		t.Errorf("List = %q", got)
	}
	many := make([]string, 25)
	for i := range many {
		many[i] = fmt.Sprint(i)
	}
	got := List(many)
	if got != "0, 1, 2, 3, 4, 5, 6, 7, 8, 9 and 15 more" {
		t.Errorf("List of 25 names = %q", got)
	}
	if first := ListFirst(many[:MaxNames], len(many)); first != got {
		t.Errorf("ListFirst of the first 10 of 25 = %q; List of all 25 = %q", first, got)
	}
	// Long names are cut, and fewer of them shown, so that the list stays
	// within MaxListBytes.
	for i := range many {
		many[i] = strings.Repeat("n", 130)
	}
	got = List(many)
	if !strings.HasSuffix(got, " and 22 more") || strings.Count(got, ", ") != 2 || strings.Contains(got, strings.Repeat("n", 121)) {
		t.Errorf("List of 25 long names = %q", got)
	}
	for i := range many {
		many[i] = strings.Repeat("\U000E0001", 130) // escaped, 10 bytes a character
	}
	if got := List(many); got != Name(many[0])+" and 24 more" || len(got) > 420 {
		t.Errorf("List of 25 names of escapes: %d bytes: %q", len(got), got)
	}
	if got := List([]string{strings.Repeat("𝔸", 200)}); got != strings.Repeat("𝔸", MaxName)+"…" {
		t.Errorf("one long name = %q; want it shown cut but whole", got)
	}
	// A name that would break the line or drive a terminal is escaped.
	for _, tt := range []struct{ in, want string }{
		{"a\nb", `"a\nb"`},
		{"\x1b[2J", `"\x1b[2J"`},
		{"\xff", `"\xff"`},
		{strings.Repeat("\t", 130), `"` + strings.Repeat(`\t`, MaxRunes) + `"…`},
	} {
		if got := List([]string{tt.in}); got != tt.want {
			t.Errorf("List(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestDims(t *testing.T) {
	for _, shape := range [][]int{nil, {0}, {2, 3, 4}, {1, 1, 1, 1, 1, 1, 1, 4294967295}} {
		if got, want := Dims(shape), fmt.Sprint(shape); got != want {
			t.Errorf("Dims(%v) = %s, want %s as fmt prints it", shape, got, want)
		}
	}
	long := make([]int, 255)
	for i := range long {
		long[i] = 4294967295
	}
	if got, want := Dims(long), "["+strings.TrimSpace(strings.Repeat("4294967295 ", 8))+" …and 247 more]"; got != want {
		t.Errorf("Dims of 255 dimensions = %s, want %s", got, want)
	}
}
