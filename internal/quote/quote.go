// Package quote quotes text that came from outside the program (a field of
// a file, a name in a header) for an error message, cut short so that a
// hostile 100 MB field makes a message of a line, not of 100 MB.
package quote

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxRunes is how much of a text Text quotes.
const MaxRunes = 40

// MaxNames is how many names List shows, and MaxName how much of each.
const (
	MaxNames = 10
	MaxName  = 120
)

// Text returns s quoted as strconv.Quote does, cut to its first MaxRunes
// characters followed by "…" when it is longer.
func Text(s string) string {
	if utf8.RuneCountInString(s) <= MaxRunes {
		return strconv.Quote(s)
	}
	i, n := 0, 0
	for i = range s {
		if n == MaxRunes {
			break
		}
		n++
	}
	return strconv.Quote(s[:i]) + "…"
}

// List returns names joined by ", ", each cut to MaxName characters and
// "…", showing at most MaxNames of them and saying how many more there are.
func List(names []string) string {
	var b strings.Builder
	for i, name := range names {
		if i == MaxNames {
			b.WriteString(" and " + strconv.Itoa(len(names)-i) + " more")
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		if utf8.RuneCountInString(name) > MaxName {
			name = string([]rune(name)[:MaxName]) + "…"
		}
		b.WriteString(name)
	}
	return b.String()
}
