// Package quote quotes text that came from outside the program (a field of
// a file, a name in a header, the shape in a file's header) for an error
// message, cut short so that a hostile 100 MB field makes a message of a
// line, not of 100 MB.
package quote

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxRunes is how much of a text Text quotes.
const MaxRunes = 40

// MaxNames is how many names List shows, MaxName how much of each, and
// MaxListBytes how long its list of names may grow (past it, only the
// first name is shown whole).
const (
	MaxNames     = 10
	MaxName      = 120
	MaxListBytes = 400
)

// MaxDims is how many dimensions Dims shows.
const MaxDims = 8

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
// "…", showing at most MaxNames of them, and no more than fit in
// MaxListBytes, and saying how many more there are. A name that holds a
// character that does not print (a line break, a terminal's escape, bytes
// that are not UTF-8) is shown quoted, escaped as strconv.Quote does, so
// that a message stays one line.
func List(names []string) string { return ListFirst(names, len(names)) }

// ListFirst is List for the first names of a list of total names, for a
// caller that holds the names in another form: it shows them as List
// shows the whole list, so len(first) need be at most MaxNames.
func ListFirst(first []string, total int) string {
	var b strings.Builder
	shown := 0
	for i, name := range first {
		q := Name(name)
		if i == MaxNames || (i > 0 && b.Len()+len(", ")+len(q) > MaxListBytes) {
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(q)
		shown++
	}
	if total > shown {
		b.WriteString(" and " + strconv.Itoa(total-shown) + " more")
	}
	return b.String()
}

// Name returns one name as List shows it: as it is, cut to MaxName
// characters and "…", if every character of it prints; quoted by Text
// otherwise (whose cut at MaxRunes keeps a name of escapes short too).
func Name(name string) string {
	if !utf8.ValidString(name) || strings.ContainsFunc(name, func(r rune) bool { return !unicode.IsPrint(r) }) {
		return Text(name)
	}
	if utf8.RuneCountInString(name) > MaxName {
		return string([]rune(name)[:MaxName]) + "…"
	}
	return name
}

// Dims returns a shape read from a file as fmt prints a []int, [2 3 4],
// showing at most MaxDims dimensions and then how many more there are:
// [1 1 1 1 1 1 1 1 …and 247 more].
func Dims(shape []int) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, d := range shape {
		if i == MaxDims {
			b.WriteString(" …and " + strconv.Itoa(len(shape)-i) + " more")
			break
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Itoa(d))
	}
	b.WriteByte(']')
	return b.String()
}
