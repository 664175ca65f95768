package plot

import (
	"bytes"
	"encoding/xml"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/minidl/minidl/callbacks"
)

// svgElement is enough of the SVG tree to count what was drawn.
type svgElement struct {
	XMLName  xml.Name
	Attrs    []xml.Attr   `xml:",any,attr"`
	Children []svgElement `xml:",any"`
	Text     string       `xml:",chardata"`
}

func (e svgElement) attr(name string) string {
	for _, a := range e.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (e svgElement) walk(f func(svgElement)) {
	f(e)
	for _, c := range e.Children {
		c.walk(f)
	}
}

func history() *callbacks.History {
	h := &callbacks.History{StoppedEpoch: 5, StopReason: callbacks.StopPatience}
	for i, v := range []float64{1, 0.5, 0.3, 0.35, 0.4, 0.45} {
		lr := 0.1
		if i > 2 {
			lr = 0.01
		}
		h.Epochs = append(h.Epochs, callbacks.Logs{"loss": v * 0.9, "val_loss": v, "lr": lr})
	}
	return h
}

func parse(t *testing.T, b []byte) svgElement {
	t.Helper()
	var root svgElement
	if err := xml.Unmarshal(b, &root); err != nil {
		t.Fatalf("not XML: %v\n%s", err, b)
	}
	if root.XMLName.Local != "svg" {
		t.Fatalf("root %q", root.XMLName.Local)
	}
	return root
}

func TestHistorySVG(t *testing.T) {
	var buf bytes.Buffer
	if err := History(&buf, history(), Options{Title: "A & B", LogScale: true}); err != nil {
		t.Fatal(err)
	}
	root := parse(t, buf.Bytes())
	var series, markers []string
	var points int
	frames := 0
	root.walk(func(e svgElement) {
		switch {
		case e.XMLName.Local == "polyline":
			series = append(series, e.attr("data-name"))
			points += len(strings.Fields(e.attr("points")))
		case e.attr("class") == "marker":
			for _, c := range e.Children {
				if c.XMLName.Local == "text" {
					markers = append(markers, c.Text)
				}
			}
		case e.attr("class") == "frame":
			frames++
		}
	})
	if strings.Join(series, ",") != "loss,val_loss,lr" || points != 18 {
		t.Errorf("series %v with %d points", series, points)
	}
	if strings.Join(markers, "|") != "best epoch 2|stopped at epoch 5 (patience)" {
		t.Errorf("markers %q", markers)
	}
	if frames != 2 {
		t.Errorf("%d panels, want the loss and the learning rate", frames)
	}
	if !strings.Contains(buf.String(), "A &amp; B") {
		t.Error("title not escaped")
	}
}

func TestHistorySVGEdgeCases(t *testing.T) {
	h := &callbacks.History{StoppedEpoch: -1, Epochs: []callbacks.Logs{{"loss": math.NaN(), "lr": 1}, {"loss": 2, "lr": 1}, {"loss": math.Inf(1), "lr": 1}}}
	var buf bytes.Buffer
	best := 1
	if err := History(&buf, h, Options{BestEpoch: &best, Width: 300, Height: 200}); err != nil {
		t.Fatal(err)
	}
	root := parse(t, buf.Bytes())
	frames, lines := 0, 0
	root.walk(func(e svgElement) {
		if e.attr("class") == "frame" {
			frames++
		}
		if e.XMLName.Local == "polyline" {
			lines++
		}
	})
	if frames != 1 || lines != 1 || root.attr("width") != "300" {
		t.Errorf("frames %d lines %d width %s", frames, lines, root.attr("width"))
	}
	// An empty history still gives a valid picture.
	buf.Reset()
	if err := History(&buf, &callbacks.History{StoppedEpoch: -1}, Options{}); err != nil {
		t.Fatal(err)
	}
	parse(t, buf.Bytes())
	path := t.TempDir() + "/h.svg"
	if err := Save(path, history(), Options{}); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(path); err != nil {
		t.Fatal(err)
	} else {
		parse(t, b)
	}
	if err := Save(t.TempDir()+"/no/such/dir.svg", history(), Options{}); err == nil {
		t.Error("saved into a missing folder")
	}
	if err := History(failWriter{}, history(), Options{}); err == nil {
		t.Error("a failing writer reported no error")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }

// yTickLabels draws a loss curve of the given values and returns the
// labels of the loss axis's ticks, bottom to top as drawn, with their
// heights.
func yTickLabels(t *testing.T, values []float64, logScale bool) (labels []string, ys []float64) {
	t.Helper()
	h := &callbacks.History{StoppedEpoch: -1}
	for _, v := range values {
		h.Epochs = append(h.Epochs, callbacks.Logs{"loss": v, "lr": 0.1})
	}
	var buf bytes.Buffer
	if err := History(&buf, h, Options{LogScale: logScale, Keys: []string{"loss"}}); err != nil {
		t.Fatal(err)
	}
	parse(t, buf.Bytes()).walk(func(e svgElement) {
		if e.attr("class") == "tick" && e.attr("text-anchor") == "end" {
			y, _ := strconv.ParseFloat(e.attr("y"), 64)
			labels, ys = append(labels, e.Text), append(ys, y)
		}
	})
	return labels, ys
}

// TestRoundTicks checks that the value axis is marked at round values: on
// a log scale at powers of ten, with 2 and 5 times them (or every digit)
// when the curve spans too few decades, and on a linear scale at multiples
// of 1, 2 or 5 times a power of ten; never at the uneven fifths of the
// range the axis used to be cut into.
func TestRoundTicks(t *testing.T) {
	decade := func(v float64) float64 { return math.Pow(10, math.Floor(math.Log10(v)+1e-9)) }
	tests := []struct {
		name     string
		values   []float64
		log      bool
		want     []string // nil: only check roundness
		allowed  func(v float64) bool
		minTicks int
	}{
		{"log, seven decades", []float64{10, 1, 0.1, 1e-3, 1e-5, 1e-6}, true, []string{"1e-06", "1e-05", "0.0001", "0.001", "0.01", "0.1", "1", "10"}, nil, 3},
		{"log, twenty decades thinned", []float64{1e10, 1e-10}, true, nil, func(v float64) bool { return v == decade(v) }, 3},
		{"log, two decades", []float64{2, 0.5, 0.05}, true, []string{"0.05", "0.1", "0.2", "0.5", "1", "2"}, nil, 3},
		{"log, under a decade", []float64{1, 0.5, 0.3, 0.35, 0.4, 0.45}, true, nil, func(v float64) bool {
			return roundStep(v, decade(v))
		}, 3},
		{"log, within a digit", []float64{0.31, 0.33, 0.38}, true, nil, func(v float64) bool { return roundStep(v, 0.01) }, 3},
		{"linear", []float64{0.9, 0.45, 0.27, 0.3}, false, []string{"0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9"}, nil, 3},
		{"linear, large", []float64{100400, 109900}, false, []string{"100000", "102000", "104000", "106000", "108000", "110000"}, nil, 3},
	}
	for _, tt := range tests {
		labels, ys := yTickLabels(t, tt.values, tt.log)
		if tt.want != nil && !slices.Equal(labels, tt.want) {
			t.Errorf("%s: ticks %q, want %q", tt.name, labels, tt.want)
		}
		if len(labels) < tt.minTicks || len(labels) > 8 {
			t.Errorf("%s: %d ticks %q", tt.name, len(labels), labels)
		}
		for i, l := range labels {
			v, err := strconv.ParseFloat(l, 64)
			if err != nil || (tt.allowed != nil && !tt.allowed(v)) {
				t.Errorf("%s: tick %q is not round", tt.name, l)
			}
			if i > 0 && ys[i] >= ys[i-1] {
				t.Errorf("%s: tick %q drawn at %v, not above the one before", tt.name, l, ys[i])
			}
		}
	}
}

// roundStep reports whether v is a whole multiple of step.
func roundStep(v, step float64) bool {
	k := v / step
	return math.Abs(k-math.Round(k)) < 1e-9
}
