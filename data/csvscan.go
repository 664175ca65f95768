package data

import (
	"bufio"
	"errors"
	"io"
	"unicode"
	"unicode/utf8"
)

// csvScanner reads CSV (RFC 4180: fields separated by a comma or another
// rune, quoted fields in which "" is a quote and line breaks are kept, CRLF
// or LF line ends, empty lines skipped, leading spaces of a field trimmed)
// one field at a time, so that a record is never held whole: memory is one
// field, however long the line.
type csvScanner struct {
	r     *bufio.Reader
	comma rune
	line  int // the line the scanner is on, from 1
	field []byte

	// After Next: the field (in field, valid until the next call), its
	// line, and whether it ended its record.
	fieldLine int
	last      bool
	atStart   bool // at the start of a record
}

var (
	errBareQuote = errors.New(`bare " in non-quoted field`)
	errQuote     = errors.New(`extraneous or missing " in quoted field`)
)

func newCSVScanner(r *bufio.Reader, comma rune) *csvScanner {
	return &csvScanner{r: r, comma: comma, line: 1, atStart: true}
}

// Next reads the next field. It returns io.EOF at the end of the input, and
// errBareQuote or errQuote (at Line) for malformed quoting.
func (s *csvScanner) Next() error {
	s.field = s.field[:0]
	if s.atStart {
		if err := s.skipEmptyLines(); err != nil {
			return err
		}
	}
	s.atStart = false
	// Leading spaces are trimmed, as csv.Reader's TrimLeadingSpace does.
	c, size, err := s.skipSpace()
	s.fieldLine = s.line
	if err == io.EOF {
		s.last, s.atStart = true, true
		return nil
	}
	if err != nil {
		return err
	}
	if c == '"' {
		return s.quoted()
	}
	for {
		switch {
		case c == s.comma:
			s.last = false
			return nil
		case c == '\n':
			return s.endRecord()
		case c == '"':
			return errBareQuote
		case c == '\r':
			if next, _, err := s.r.ReadRune(); err == nil && next != '\n' {
				s.r.UnreadRune()
			}
			return s.endRecord()
		}
		s.put(c, size)
		c, size, err = s.r.ReadRune()
		if err == io.EOF {
			return s.endRecord()
		}
		if err != nil {
			return err
		}
	}
}

func (s *csvScanner) endRecord() error {
	s.last, s.atStart = true, true
	s.line++
	return nil
}

// text returns the field as a string, for the fields that are kept.
func (s *csvScanner) text() string { return string(s.field) }

// quoted reads the rest of a quoted field.
func (s *csvScanner) quoted() error {
	for {
		c, size, err := s.r.ReadRune()
		if err == io.EOF {
			return errQuote
		}
		if err != nil {
			return err
		}
		switch c {
		case '\n':
			s.line++
		case '"':
			next, _, err := s.r.ReadRune()
			switch {
			case err == io.EOF:
				return s.endRecord()
			case err != nil:
				return err
			case next == '"':
				s.field = append(s.field, '"')
				continue
			case next == s.comma:
				s.last = false
				return nil
			case next == '\n':
				return s.endRecord()
			case next == '\r':
				if after, _, err := s.r.ReadRune(); err == nil && after != '\n' {
					s.r.UnreadRune()
				}
				return s.endRecord()
			}
			return errQuote
		}
		s.put(c, size)
	}
}

// put adds the rune just read to the field: the byte as it was, if it was
// not valid UTF-8.
func (s *csvScanner) put(c rune, size int) {
	if c == utf8.RuneError && size == 1 {
		s.r.UnreadRune()
		b, _ := s.r.ReadByte()
		s.field = append(s.field, b)
		return
	}
	s.field = utf8.AppendRune(s.field, c)
}

// skipEmptyLines passes over lines with nothing on them.
func (s *csvScanner) skipEmptyLines() error {
	for {
		c, _, err := s.r.ReadRune()
		if err != nil {
			return err
		}
		switch c {
		case '\n':
			s.line++
		case '\r':
		default:
			return s.r.UnreadRune()
		}
	}
}

// skipSpace passes over spaces (not line ends) and returns the rune after
// them and its size.
func (s *csvScanner) skipSpace() (rune, int, error) {
	for {
		c, size, err := s.r.ReadRune()
		if err != nil {
			return 0, 0, err
		}
		if c == '\n' || c == '\r' || c == s.comma || !unicode.IsSpace(c) {
			return c, size, nil
		}
	}
}
