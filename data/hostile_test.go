package data

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/binary"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The memory bounds of the readers are measured in a child process, the
// test binary run again with hostileCase set: it reads one generated file
// and prints its peak resident memory, which the parent checks.
const hostileCase = "MINIDL_HOSTILE_CASE"

// With writeHostile set, the test binary writes a hostile file to
// MINIDL_HOSTILE_FILE instead, for measuring a program against it:
// "zipbomb" the zip bomb of issue 20 for the MNIST module (serve it as the
// module's zip and point GOPROXY at it), "header" a CSV header of 60 MB of
// names "a" and no rows.
const writeHostile = "MINIDL_WRITE_HOSTILE"

func TestMain(m *testing.M) {
	file := os.Getenv("MINIDL_HOSTILE_FILE")
	if c := os.Getenv(hostileCase); c != "" {
		os.Exit(readHostile(c, file))
	}
	if c := os.Getenv(writeHostile); c != "" {
		err := fmt.Errorf("unknown file %q", c)
		switch c {
		case "zipbomb":
			err = os.WriteFile(file, mnistZipBomb(), 0o644)
		case "header":
			err = writeHeader(file, "a", 60e6)
		}
		if err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// mnistZipBomb returns the zip bomb of issue 20 for the MNIST module:
// 5,000 entries on one 256 MiB deflate stream, 0.8 MB.
func mnistZipBomb() []byte {
	modPath, version, _ := strings.Cut(MNISTModule, "@")
	return overlappingZip(modPath+"@"+version+"/", 5000, 256<<20)
}

// writeHeader writes a CSV file of one line of size bytes: a header of
// names name and no rows.
func writeHeader(path, name string, size int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for i := 0; i < size; i += len(name) + 1 {
		w.WriteString(name + ",")
	}
	w.WriteString("\n")
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// fetchFrom runs FetchMNIST against a local proxy that serves zip as the
// module's, into a temporary cache.
func fetchFrom(zip []byte) error {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(zip) }))
	defer srv.Close()
	cache, err := os.MkdirTemp("", "fetch")
	if err != nil {
		return err
	}
	defer os.RemoveAll(cache)
	_, err = FetchMNIST(context.Background(), FetchConfig{Proxy: srv.URL, CacheDir: cache})
	return err
}

// readHostile reads file as case c says and prints "rss_kb err".
func readHostile(c, file string) int {
	var err error
	switch c {
	case "idx":
		_, err = LoadIDX(file)
	case "csv":
		_, err = LoadCSV(file, CSVConfig{})
	case "csv-header":
		_, err = LoadCSV(file, CSVConfig{Header: true})
	case "fetch":
		var zip []byte
		if zip, err = os.ReadFile(file); err == nil {
			err = fetchFrom(zip)
		}
	default:
		fmt.Println("unknown case", c)
		return 2
	}
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	fmt.Println(ru.Maxrss, err != nil)
	return 0
}

// peakRSS runs the child on file and returns its peak RSS in MB and whether
// the read failed.
func peakRSS(t *testing.T, c, file string) (float64, bool) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), hostileCase+"="+c, "MINIDL_HOSTILE_FILE="+file)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v %s", err, out)
	}
	var kb int
	var failed bool
	if _, err := fmt.Sscan(string(out), &kb, &failed); err != nil {
		t.Fatalf("child printed %q", out)
	}
	return float64(kb) / 1024, failed
}

// writeIDX writes a gzipped IDX file of unsigned bytes whose header
// announces dims and whose stream holds values bytes: zeros (a few hundred
// KB on disk for hundreds of MB inflated), or with random, bytes that do not
// compress.
func writeIDX(t *testing.T, path string, dims []uint32, values int, random bool) int64 {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw, _ := gzip.NewWriterLevel(f, gzip.BestCompression)
	zw.Write([]byte{0, 0, 0x08, byte(len(dims))})
	binary.Write(zw, binary.BigEndian, dims)
	block := make([]byte, 1<<20)
	if random {
		block = randomBytes(len(block))
	}
	for left := values; left > 0; left -= len(block) {
		zw.Write(block[:min(left, len(block))])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	info, _ := f.Stat()
	f.Close()
	return info.Size()
}

// TestHostileMemory checks that hostile files cost memory in proportion to
// the data really in them, not to what their headers claim or to the shape
// of their lines.
func TestHostileMemory(t *testing.T) {
	if raceDetector {
		t.Skip("the race detector's shadow memory swamps the bounds; go test without -race checks them")
	}
	dir := t.TempDir()

	// A gzip bomb: 2²⁸ values announced and present, in about 260 KB.
	bomb := filepath.Join(dir, "bomb.idx3.gz")
	size := writeIDX(t, bomb, []uint32{1 << 14, 1 << 14}, 1<<28, false)
	if mb, failed := peakRSS(t, "idx", bomb); !failed || mb > 150 {
		t.Errorf("a %d KB gzip bomb of 2²⁸ values: peak RSS %.0f MB, failed %v; want a refusal under 150 MB", size>>10, mb, failed)
	}

	// The zip bomb of issue 20 served as the MNIST module: 5,000 entries
	// on one 256 MiB deflate stream (1.3 TB to hash) in 0.8 MB.
	zipBomb := filepath.Join(dir, "bomb.zip")
	os.WriteFile(zipBomb, mnistZipBomb(), 0o644)
	start := time.Now()
	if mb, failed := peakRSS(t, "fetch", zipBomb); !failed || mb > 50 || time.Since(start) > 20*time.Second {
		t.Errorf("FetchMNIST of the zip bomb: peak RSS %.0f MB, %v, failed %v; want a refusal under 50 MB", mb, time.Since(start), failed)
	}

	// A short stream: 2³⁰ values announced, 8 MB present, which do not
	// compress (so that only the stream's end stops it).
	short := filepath.Join(dir, "short.idx3.gz")
	writeIDX(t, short, []uint32{1 << 30}, 8<<20, true)
	if mb, failed := peakRSS(t, "idx", short); !failed || mb > 100 {
		t.Errorf("2³⁰ values announced, 8 MB present: peak RSS %.0f MB, failed %v; want an error under 100 MB", mb, failed)
	}

	// One line of 4 M numbers (8 MB of text, 32 MB as float64): memory near
	// the result's, not a string per field.
	line := filepath.Join(dir, "line.csv")
	f, _ := os.Create(line)
	w := bufio.NewWriter(f)
	for i := range 4 << 20 {
		if i > 0 {
			w.WriteByte(',')
		}
		w.WriteString(strconv.Itoa(i % 10))
	}
	w.WriteString("\n")
	w.Flush()
	f.Close()
	if mb, failed := peakRSS(t, "csv", line); failed || mb > 130 {
		t.Errorf("one line of 4M numbers: peak RSS %.0f MB, failed %v; want it read under 130 MB", mb, failed)
	}

	// A header of 30 MB of names and no rows: memory near the header's
	// size, the names kept in one buffer, not a string each.
	for _, name := range []string{"", "a", "column"} {
		header := filepath.Join(dir, "header.csv")
		if err := writeHeader(header, name, 30<<20); err != nil {
			t.Fatal(err)
		}
		if mb, failed := peakRSS(t, "csv-header", header); !failed || mb > 120 {
			t.Errorf("a header of 30 MB of names %q and no rows: peak RSS %.0f MB, failed %v; want a refusal under 120 MB", name, mb, failed)
		}
	}

	// 1 M rows of 5 numbers (10 MB of text, 40 MB as float64).
	rows := filepath.Join(dir, "rows.csv")
	f, _ = os.Create(rows)
	w = bufio.NewWriter(f)
	for i := range 1 << 20 {
		fmt.Fprintf(w, "%d,1,2,3,%d\n", i%7, i%3)
	}
	w.Flush()
	f.Close()
	if mb, failed := peakRSS(t, "csv", rows); failed || mb > 150 {
		t.Errorf("1M rows of 5 numbers: peak RSS %.0f MB, failed %v; want them read under 150 MB", mb, failed)
	}
}
