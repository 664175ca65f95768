package quote

import (
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
	if got := List([]string{"a", "b"}); got != "a, b" {
		t.Errorf("List = %q", got)
	}
	many := make([]string, 25)
	for i := range many {
		many[i] = strings.Repeat("n", 130)
	}
	got := List(many)
	if !strings.HasSuffix(got, " and 15 more") || strings.Count(got, ", ") != 9 || strings.Contains(got, strings.Repeat("n", 121)) {
		t.Errorf("List of 25 long names = %q", got)
	}
}
