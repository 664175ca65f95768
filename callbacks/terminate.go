package callbacks

import (
	"fmt"
	"math"
)

// TerminateOnNaN stops training at the first batch whose loss is NaN or
// infinite, as Keras's TerminateOnNaN does.
type TerminateOnNaN struct{ Base }

// OnBatchEnd checks the batch's loss.
func (TerminateOnNaN) OnBatchEnd(r *Run, batch int, logs Logs) error {
	if l, ok := logs["loss"]; ok && (math.IsNaN(l) || math.IsInf(l, 0)) {
		r.Stop(StopNonFinite, fmt.Sprintf("batch %d: loss %v, terminating training", batch, l))
	}
	return nil
}
