package plot

import (
	"bytes"
	"encoding/xml"
	"io"
	"math"
	"os"
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
