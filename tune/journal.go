package tune

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/minidl/minidl/internal/flock"
	"github.com/minidl/minidl/internal/quote"
)

// A journal is a study's events, one JSON object a line, appended by every
// process that works on the study. A process holds the file's lock while
// it reads what others appended and appends its own, so that lines never
// interleave and every process numbers trials alike; each append is
// synced before the lock is let go, so that an event a trial acted on is
// on disk. A line without its newline at the end of the file was torn by a
// crash mid-write: nobody acted on it, and the next process to take the
// lock cuts it off.
type journal struct {
	path   string
	f      *os.File
	offset int64 // the bytes read and applied so far
	line   int   // the lines read so far
}

// openJournal opens (creating if need be) the journal at path.
func openJournal(path string) (*journal, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("tune: opening the journal: %w", err)
	}
	return &journal{path: path, f: f}, nil
}

func (j *journal) lock() error {
	if err := flock.Lock(j.f); err != nil {
		return fmt.Errorf("tune: locking the journal %s: %w", j.path, err)
	}
	return nil
}

func (j *journal) unlock() { flock.Unlock(j.f) }

func (j *journal) close() error { return j.f.Close() }

func (j *journal) errorf(line int, format string, args ...any) error {
	return &JournalError{Path: j.path, Line: line, Detail: fmt.Sprintf(format, args...)}
}

// catchUp applies to st the events appended since the last call; the
// caller holds the lock. The first line must be the study's header, which
// sets st's name and direction.
func (j *journal) catchUp(st *state) error {
	info, err := j.f.Stat()
	if err != nil {
		return fmt.Errorf("tune: reading the journal %s: %w", j.path, err)
	}
	if info.Size() < j.offset {
		return j.errorf(0, "shrank from %d to %d bytes while the study was open", j.offset, info.Size())
	}
	if info.Size() == j.offset {
		return nil
	}
	data := make([]byte, info.Size()-j.offset)
	if _, err := j.f.ReadAt(data, j.offset); err != nil && err != io.EOF {
		return fmt.Errorf("tune: reading the journal %s: %w", j.path, err)
	}
	// Only whole lines are read; a last line without its newline was torn
	// by a crash, since nobody holding the lock writes it.
	whole := bytes.LastIndexByte(data, '\n') + 1
	if whole < len(data) {
		if err := j.f.Truncate(j.offset + int64(whole)); err != nil {
			return fmt.Errorf("tune: cutting the torn last line of the journal %s: %w", j.path, err)
		}
		if err := j.f.Sync(); err != nil {
			return fmt.Errorf("tune: cutting the torn last line of the journal %s: %w", j.path, err)
		}
		data = data[:whole]
	}
	// One decoder reads every line, each of which must hold one value.
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	start := 0
	for start < len(data) {
		end := start + bytes.IndexByte(data[start:], '\n')
		line := data[start:end]
		j.line++
		if len(bytes.TrimSpace(line)) == 0 {
			return j.errorf(j.line, "an empty line")
		}
		var e event
		if err := dec.Decode(&e); err != nil {
			return j.errorf(j.line, "%s: %v", quote.Text(string(line)), err)
		}
		if off := int(dec.InputOffset()); off > end || len(bytes.TrimSpace(data[off:end])) > 0 {
			return j.errorf(j.line, "%s: want one JSON object on the line", quote.Text(string(line)))
		}
		if err := j.applyEvent(st, &e, line); err != nil {
			return err
		}
		j.offset += int64(end-start) + 1
		start = end + 1
	}
	return nil
}

// applyEvent applies the event read from line to st.
func (j *journal) applyEvent(st *state, e *event, line []byte) error {
	if j.line == 1 {
		if e.Op != opStudy || e.Study == nil {
			return j.errorf(1, "%s: want the study's header, {\"op\":\"study\",…}", quote.Text(string(line)))
		}
		if e.Study.Format != journalFormat {
			return j.errorf(1, "format %s: want %q", quote.Text(e.Study.Format), journalFormat)
		}
		st.name = e.Study.Name
		switch e.Study.Direction {
		case "minimize":
			st.dir = Minimize
		case "maximize":
			st.dir = Maximize
		default:
			return j.errorf(1, "direction %s: want \"minimize\" or \"maximize\"", quote.Text(e.Study.Direction))
		}
		return nil
	}
	if e.Worker != "" && !validWorker(e.Worker) {
		return j.errorf(j.line, "worker %s: want letters, digits, '.', '_' and '-'", quote.Text(e.Worker))
	}
	if err := st.apply(e); err != nil {
		return j.errorf(j.line, "%v", err)
	}
	return nil
}

// append writes events after the last line read, syncs them, and counts
// them as read; the caller holds the lock and has caught up.
func (j *journal) append(events []*event) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, e := range events {
		if err := enc.Encode(e); err != nil {
			return fmt.Errorf("tune: encoding a journal event: %w", err)
		}
	}
	// WriteAt, not O_APPEND: on a shared file system a client's idea of the
	// end can be stale, while the offset read under the lock is not.
	if _, err := j.f.WriteAt(buf.Bytes(), j.offset); err != nil {
		j.f.Truncate(j.offset)
		return fmt.Errorf("tune: writing the journal %s: %w", j.path, err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("tune: syncing the journal %s: %w", j.path, err)
	}
	j.offset += int64(buf.Len())
	j.line += len(events)
	return nil
}

// validWorker reports whether id can name a worker (and its lock file).
func validWorker(id string) bool {
	if id == "" || len(id) > 200 || id[0] == '.' {
		return false
	}
	for _, c := range []byte(id) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
