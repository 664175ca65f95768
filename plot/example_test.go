package plot_test

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/minidl/minidl/callbacks"
	"github.com/minidl/minidl/plot"
)

func ExampleHistory() {
	h := &callbacks.History{StoppedEpoch: 3, StopReason: callbacks.StopPatience}
	for _, v := range []float64{1, 0.6, 0.7, 0.8} {
		h.Epochs = append(h.Epochs, callbacks.Logs{"loss": v, "val_loss": v + 0.1, "lr": 0.01})
	}
	var svg bytes.Buffer
	if err := plot.History(&svg, h, plot.Options{Title: "loss"}); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(strings.Count(svg.String(), "<polyline"), strings.Contains(svg.String(), "best epoch 1"))
	// Output: 2 true
}
