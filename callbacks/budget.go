package callbacks

// runBudget returns the budget of a run: the configured one, or else the
// run's epochs, in checks when the run validates within epochs (0 if the
// checks of an epoch are unknown).
func runBudget(configured int, r *Run) int {
	switch {
	case configured > 0:
		return configured
	case r.ValidateEvery > 0 && r.Steps == 0:
		return 0 // checks of unknown count
	case r.ValidateEvery > 0:
		return r.Epochs * ((r.Steps + r.ValidateEvery - 1) / r.ValidateEvery)
	}
	return r.Epochs
}
