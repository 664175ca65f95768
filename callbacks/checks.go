package callbacks

// Validator is implemented by callbacks that act on every validation of a
// run, a check, rather than on every epoch: with train.Config.ValidateEvery
// a run validates after every ValidateEvery training batches of an epoch
// and at its end, and calls OnValidation with the check's number, counted
// from 0 over the run (an epoch of Steps batches has ⌈Steps/ValidateEvery⌉
// checks), and logs of the "val_" values, the running training "loss" of
// the epoch, "epoch" and "batch".
type Validator interface {
	OnValidation(r *Run, check int, logs Logs) error
}

// OnValidation observes a check (with Run.ValidateEvery): EarlyStopping
// then counts in checks (Patience, StartFromEpoch, MinEpochs and the epochs
// of its messages and BestEpoch are checks), as Lightning does with
// val_check_interval, and stops the run, mid-epoch if need be.
func (e *EarlyStopping) OnValidation(r *Run, check int, logs Logs) error {
	stop, err := e.ObserveLogs(check, logs)
	if stop && err == nil {
		r.Stop(e.reason, e.message)
	}
	return err
}
