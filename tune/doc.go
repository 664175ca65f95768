// Package tune runs hyperparameter searches of many training runs
// (trials), with samplers that propose parameters and pruners that stop
// unpromising trials early, as Optuna and Ray Tune do, and a journal that
// lets a search survive crashes and be shared by several processes.
//
// A search is a Study and an Objective. The objective asks its Trial for
// parameters, define-by-run as Optuna's suggest_*, trains, reports
// intermediate values and returns the value to minimize (or maximize):
//
//	s, err := tune.NewStudy(tune.StudyConfig{
//		Pruner: pruner, Budget: tune.Budget{Trials: 50}, Dir: "runs/search",
//	})
//	…
//	err = s.Optimize(ctx, func(ctx context.Context, t *tune.Trial) (float64, error) {
//		lr := t.Float("lr", 1e-4, 1e-1, tune.Log())
//		width := t.Int("width", 32, 256, tune.Step(32))
//		act := t.Categorical("activation", "relu", "tanh")
//		…
//		hist, err := train.Fit(ctx, model, train.Config{…,
//			Callbacks: []callbacks.Callback{tune.NewPruningCallback(t, "val_loss")},
//		})
//		if err != nil {
//			return 0, err // tune.ErrPruned if the pruner stopped it
//		}
//		return hist.Epochs[len(hist.Epochs)-1]["val_loss"], nil
//	})
//	best, _ := s.Best()
//
// Samplers: TPESampler (the default, as Optuna 3.1's), RandomSampler and
// GridSampler. Every random draw comes from a source seeded by the study's
// Seed, the trial's number and the parameter's name, so one trial at a time
// a study is reproducible to the bit, and a sampler needs no state but the
// trials. Pruners decide on a View of the study and keep what they need
// in the trials' attributes, so a resumed study prunes as the
// uninterrupted one would have.
//
// A Study with a Dir keeps every event (a trial started, each parameter,
// each report, each attribute, the end of a trial) in a journal of JSON
// lines, synced before the trial goes on, under a file lock. Opening the
// folder again resumes the study; a trial that was running when its
// process died is run again with its number and parameters, and resumes
// from its run checkpoint (Trial.Checkpoint) if its objective keeps one.
// Several processes may open the same folder, on one machine or on a shared
// file system, and share the search. docs/tune.md is the guide.
package tune
