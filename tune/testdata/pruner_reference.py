"""Reference decisions of Optuna's pruners, for tune's pruner tests.

Run with Debian's Python (Optuna 3.1, SciPy 1.10, NumPy 1.24):

    OPENBLAS_CORETYPE=Haswell /usr/bin/python3 tune/testdata/pruner_reference.py \
        | gzip -9n > tune/testdata/pruner_decisions.json.gz

Every case builds an Optuna study with a pruner, runs trials through it with
study.ask(), trial.report(value, step), trial.should_prune() after every
report and study.tell(), and records each event and each decision. Trials
run one at a time or interleaved (a trial per simulated worker, each worker
reporting in turn), over random and hand-made report sequences: NaN and
infinite values, ties, maximization, warm-up and interval steps, n_min_trials,
trials that report every few steps, trials that end early, trials that fail.
TestPrunersMatchOptuna replays the events through tune's pruners and compares
every decision.

WilcoxonPruner came in Optuna 3.6, after Debian's 3.1; WilcoxonReference
below is its logic as of 3.6.1 (the average_is_best fix, optuna#5366), and
its p-value is scipy.stats.wilcoxon's as SciPy 1.13 and later compute it:
exact without ties or zeros for at most 50 differences, an exact
permutation test (scipy.stats.permutation_test over all sign flips) with
ties or zeros for at most 13, and the normal approximation with the tie
correction otherwise. SciPy 1.10's own "auto" uses its exact table even
with ties, truncating the statistic (gh-19872), which later SciPy fixed.
"""

import json
import math
import sys
import warnings

import numpy as np
import optuna
import scipy.stats as ss
from optuna.pruners import BasePruner
from optuna.study._study_direction import StudyDirection
from optuna.trial import TrialState

optuna.logging.set_verbosity(optuna.logging.ERROR)
warnings.simplefilter("ignore")


def wilcoxon_p(d, alternative):
    d = np.asarray(d, dtype=float)
    n = len(d)
    if n == 0:
        return math.nan
    a = np.abs(d)
    ties = len(np.unique(a)) < n
    zeros = bool(np.any(d == 0))
    if n <= 50 and not ties and not zeros:
        return ss.wilcoxon(d, alternative=alternative, zero_method="zsplit", method="exact").pvalue
    if n == 1:
        # A single zero difference: permutation_test refuses one observation;
        # flipping its sign changes nothing, so the p-value is 1.
        return 1.0
    if n <= 13:

        def r_plus(x, axis):
            r = ss.rankdata(np.abs(x), axis=axis)
            return np.sum((x > 0) * r, axis=axis) + np.sum((x == 0) * r, axis=axis) / 2

        return ss.permutation_test(
            (d,), r_plus, permutation_type="samples", vectorized=True,
            alternative=alternative, n_resamples=9999,
        ).pvalue
    return ss.wilcoxon(d, alternative=alternative, zero_method="zsplit", method="approx").pvalue


class WilcoxonReference(BasePruner):
    """Optuna 3.6.1's WilcoxonPruner.prune."""

    def __init__(self, p_threshold=0.1, n_startup_steps=0):
        self._p_threshold = p_threshold
        self._n_startup_steps = n_startup_steps

    def prune(self, study, trial):
        if len(trial.intermediate_values) == 0:
            return False
        steps, step_values = np.array(list(trial.intermediate_values.items())).T
        if np.any(~np.isfinite(step_values)):
            return False
        try:
            best_trial = study.best_trial
        except ValueError:
            return False
        if len(best_trial.intermediate_values) == 0:
            return False
        best_steps, best_step_values = np.array(list(best_trial.intermediate_values.items())).T
        if np.any(~np.isfinite(best_step_values)):
            return False
        _, idx1, idx2 = np.intersect1d(steps, best_steps, return_indices=True)
        diff_values = step_values[idx1] - best_step_values[idx2]
        if len(diff_values) < self._n_startup_steps:
            return False
        if study.direction == StudyDirection.MAXIMIZE:
            alt = "less"
            average_is_best = sum(best_step_values) / len(best_step_values) <= sum(
                step_values
            ) / len(step_values)
        else:
            alt = "greater"
            average_is_best = sum(best_step_values) / len(best_step_values) >= sum(
                step_values
            ) / len(step_values)
        p = wilcoxon_p(diff_values, alt)
        if p < self._p_threshold and average_is_best:
            return False
        return p < self._p_threshold


def make_pruner(spec):
    kind = spec["kind"]
    args = {k: v for k, v in spec.items() if k != "kind"}
    if kind == "median":
        return optuna.pruners.MedianPruner(**args)
    if kind == "percentile":
        return optuna.pruners.PercentilePruner(**args)
    if kind == "sh":
        return optuna.pruners.SuccessiveHalvingPruner(**args)
    if kind == "hyperband":
        return optuna.pruners.HyperbandPruner(**args)
    if kind == "threshold":
        return optuna.pruners.ThresholdPruner(**args)
    if kind == "patient":
        wrapped = args.pop("wrapped")
        return optuna.pruners.PatientPruner(
            make_pruner(wrapped) if wrapped else None, **args
        )
    if kind == "wilcoxon":
        return WilcoxonReference(**args)
    raise ValueError(kind)


def enc(x):
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def enc_spec(spec):
    return {k: enc_spec(v) if isinstance(v, dict) else enc(v) if isinstance(v, float) else v
            for k, v in spec.items()}


def run_case(name, pruner_spec, direction, trials, workers=1, study_name=None):
    """trials: list of dicts with "reports" [(step, value)], "end" in
    complete/fail, and "value" (the objective; default the last report)."""
    study_name = study_name or name
    study = optuna.create_study(
        study_name=study_name, direction=direction, pruner=make_pruner(pruner_spec)
    )
    events = []
    pending = list(trials)
    active = []

    def finish(t, spec):
        if spec.get("end", "complete") == "fail":
            study.tell(t, state=TrialState.FAIL)
            events.append(["tell", t.number, "fail"])
            return
        if "value" in spec:
            value = spec["value"]
        elif spec["reports"]:
            value = spec["reports"][-1][1]
        else:
            value = 0.0
        if math.isnan(value):
            study.tell(t, state=TrialState.FAIL)
            events.append(["tell", t.number, "fail"])
            return
        study.tell(t, value)
        events.append(["tell", t.number, "complete", enc(value)])

    while pending or active:
        while len(active) < workers and pending:
            spec = pending.pop(0)
            t = study.ask()
            events.append(["ask"])
            if not spec["reports"]:
                finish(t, spec)
                continue
            active.append([t, spec, 0])
        for a in list(active):
            t, spec, i = a
            step, value = spec["reports"][i]
            t.report(value, step)
            prune = t.should_prune()
            events.append(["report", t.number, step, enc(value), int(prune)])
            a[2] += 1
            if prune:
                study.tell(t, state=TrialState.PRUNED)
                events.append(["tell", t.number, "pruned"])
                active.remove(a)
            elif a[2] == len(spec["reports"]):
                finish(t, spec)
                active.remove(a)
    return {
        "name": name,
        "pruner": enc_spec(pruner_spec),
        "direction": direction,
        "study": study_name,
        "events": events,
    }


def seq(values, start=0, every=1):
    return [(start + i * every, float(v)) for i, v in enumerate(values)]


def random_trials(rng, n_trials, n_steps, maximize=False, decimals=None, nan_rate=0.0,
                  inf_rate=0.0, early_rate=0.0, fail_rate=0.0, every_rate=0.0, all_nan_rate=0.0):
    """Noisy learning curves: a·exp(−b·t) + c + noise, some ending early,
    some reporting every few steps, some failing."""
    out = []
    for _ in range(n_trials):
        a, b, c = rng.uniform(0.5, 2), rng.uniform(0.02, 0.4), rng.uniform(0, 1)
        noise = rng.uniform(0, 0.15)
        length = n_steps
        if rng.random() < early_rate:
            length = int(rng.integers(1, n_steps))
        every, start = 1, 0
        if rng.random() < every_rate:
            every, start = int(rng.integers(2, 5)), int(rng.integers(0, 3))
        reports = []
        for k in range(length):
            step = start + k * every
            if step >= n_steps + 3:
                break
            v = a * math.exp(-b * step) + c + noise * rng.standard_normal()
            if maximize:
                v = 1 - v
            if decimals is not None:
                v = round(v, decimals)
            r = rng.random()
            if r < nan_rate:
                v = math.nan
            elif r < nan_rate + inf_rate:
                v = math.inf if rng.random() < 0.5 else -math.inf
            reports.append((step, v))
        if rng.random() < all_nan_rate:
            reports = [(s, math.nan) for s, _ in reports]
        spec = {"reports": reports}
        if rng.random() < fail_rate:
            spec["end"] = "fail"
        out.append(spec)
    return out


def wilcoxon_trials(rng, n_trials, n_inputs, decimals=None, shuffle=True, zero_rate=0.0,
                    nan_rate=0.0, partial_rate=0.0):
    """Per-input evaluations of a parameter: (θ − x_i)² + noise over fixed
    inputs x_i, reported in a shuffled order; the objective is their mean."""
    inputs = rng.uniform(-1, 1, n_inputs)
    base = None
    out = []
    for _ in range(n_trials):
        theta = rng.uniform(-1, 1)
        order = rng.permutation(n_inputs) if shuffle else np.arange(n_inputs)
        if rng.random() < partial_rate:
            order = order[: int(rng.integers(1, n_inputs + 1))]
        reports = []
        for i in order:
            v = (theta - inputs[i]) ** 2 + 0.05 * rng.standard_normal()
            if decimals is not None:
                v = round(v, decimals)
            if base is not None and rng.random() < zero_rate:
                v = base.get(int(i), v)
            if rng.random() < nan_rate:
                v = math.nan
            reports.append((int(i), float(v)))
        if base is None:
            base = dict(reports)
        vals = [v for _, v in reports]
        out.append({"reports": reports, "value": sum(vals) / len(vals)})
    return out


def main():
    rng = np.random.default_rng(20261204)
    cases = []

    # Hand-made cases.
    # optuna#2441: trials of different lengths under n_min_trials.
    issue = [seq([5, 4, 3]), seq([5, 4, 3, 2]), seq([5, 4, 3, 2.1]), seq([5, 4, 3, 2.2, 1.0])]
    for nmin in (1, 2):
        cases.append(run_case(f"median/issue2441/n_min_trials={nmin}",
                              {"kind": "median", "n_startup_trials": 2, "n_min_trials": nmin},
                              "minimize", [{"reports": r} for r in issue]))
    # The table of optuna#2556.
    table = [seq([4.0, 2.0]), seq([3.0]), seq([4.0, 3.0, 1.0])]
    cases.append(run_case("median/pr2556", {"kind": "median", "n_startup_trials": 2, "n_warmup_steps": 1},
                          "minimize", [{"reports": r} for r in table]))
    # Ties with the median, both directions; an all-NaN trial; NaN in a completed trial.
    ties = [seq([1, 2, 3]), seq([3, 2, 1]), seq([2, 2, 2]), seq([2, 2, 2]), seq([1.5, 2.5, 2]),
            seq([float("nan"), float("nan"), float("nan")]), seq([2, float("nan"), 1]),
            seq([2.5, 2, 2]), seq([1.75, 2, 2.25])]
    for direction in ("minimize", "maximize"):
        for p in (50.0, 25.0, 75.0, 0.0, 100.0):
            cases.append(run_case(f"percentile/ties/{direction}/{p}",
                                  {"kind": "percentile", "percentile": p, "n_startup_trials": 2},
                                  direction, [{"reports": r} for r in ties]))
    # Interval steps with gaps: checks at 2, 5, 8, …; trials reporting every 2 or 4 steps.
    gaps = [seq(np.linspace(3, 1, 12)), seq(np.linspace(3, 0.5, 12)), seq(np.linspace(2, 1.5, 6), every=2),
            seq(np.linspace(4, 2, 3), start=1, every=4), seq(np.linspace(2.5, 0.9, 12)),
            seq(np.linspace(3.5, 2, 6), every=2), seq(np.linspace(1, 0.2, 12))]
    for warm, interval in ((0, 1), (2, 3), (5, 2), (11, 4)):
        cases.append(run_case(f"median/gaps/warmup={warm}/interval={interval}",
                              {"kind": "median", "n_startup_trials": 2, "n_warmup_steps": warm,
                               "interval_steps": interval},
                              "minimize", [{"reports": r} for r in gaps]))
        cases.append(run_case(f"threshold/gaps/warmup={warm}/interval={interval}",
                              {"kind": "threshold", "upper": 2.0, "n_warmup_steps": warm,
                               "interval_steps": interval},
                              "minimize", [{"reports": r} for r in gaps]))
    # Threshold bounds, NaN and infinities.
    th = [seq([0.5, 1.5, 0.2]), seq([-0.1, 0.3]), seq([0.4, float("nan"), 0.3]), seq([0.1, float("inf")]),
          seq([0.1, float("-inf")]), seq([1.0, 0.0, 1.0, 0.0])]
    for lower, upper in ((0.0, None), (None, 1.0), (0.0, 1.0), (0.1, 0.1), (-math.inf, math.inf)):
        spec = {"kind": "threshold"}
        if lower is not None:
            spec["lower"] = lower
        if upper is not None:
            spec["upper"] = upper
        cases.append(run_case(f"threshold/bounds/{lower}/{upper}", spec, "minimize",
                              [{"reports": r} for r in th]))
    # Patient: patience 0, 1, 3 with and without a margin, NaN, both directions.
    pat = [seq([1, 0.9, 0.95, 0.97, 0.99, 0.8]), seq([1, 1, 1, 1, 1]), seq([1, float("nan"), float("nan"), 0.5]),
           seq([0.5, 0.6, 0.55, 0.58, 0.7, 0.4, 0.41]), seq([float("nan"), float("nan"), float("nan"), 1.0])]
    for direction in ("minimize", "maximize"):
        for patience, delta in ((0, 0.0), (1, 0.0), (1, 0.05), (3, 0.0), (2, 0.2)):
            cases.append(run_case(f"patient/{direction}/{patience}/{delta}",
                                  {"kind": "patient", "wrapped": None, "patience": patience, "min_delta": delta},
                                  direction, [{"reports": r} for r in pat]))
    # Successive halving: ties at a rung, bootstrap, early-stopping rate, auto min_resource of 2.
    shs = [seq([1.0] * 20), seq([1.0] * 20), seq([0.9] * 20), seq([1.1] * 20), seq([1.0] * 20),
           seq([0.8, 0.7, 1.2, 1.2, 1.3, 1.0, 0.5, 0.4] + [0.4] * 12), seq([2.0] * 20)]
    for spec in ({"min_resource": 1}, {"min_resource": 1, "reduction_factor": 2},
                 {"min_resource": 2, "reduction_factor": 2, "min_early_stopping_rate": 1},
                 {"min_resource": 1, "reduction_factor": 2, "bootstrap_count": 2}):
        for direction in ("minimize", "maximize"):
            cases.append(run_case(f"sh/ties/{direction}/{spec}", {"kind": "sh", **spec},
                                  direction, [{"reports": r} for r in shs]))
    long_trials = random_trials(rng, 12, 250, early_rate=0.3, decimals=3)
    cases.append(run_case("sh/auto-min-resource", {"kind": "sh"}, "minimize", long_trials))
    cases.append(run_case("hyperband/auto-max-resource-250", {"kind": "hyperband"}, "minimize", long_trials))
    cases.append(run_case("hyperband/auto-max-resource-250/parallel", {"kind": "hyperband"}, "minimize",
                          long_trials, workers=3))

    # Random cases.
    for i in range(6):
        direction = ("minimize", "maximize")[i % 2]
        mx = direction == "maximize"
        workers = (1, 1, 2, 4, 3, 1)[i]
        trials = random_trials(rng, int(rng.integers(15, 35)), int(rng.integers(8, 30)), maximize=mx,
                               decimals=(None, 2, 1)[i % 3], nan_rate=0.03, inf_rate=0.01,
                               early_rate=0.25, fail_rate=0.1, every_rate=0.2, all_nan_rate=0.05)
        for spec in (
            {"kind": "median"},
            {"kind": "median", "n_startup_trials": 3, "n_warmup_steps": 2, "interval_steps": 2, "n_min_trials": 3},
            {"kind": "percentile", "percentile": 25.0, "n_startup_trials": 2},
            {"kind": "percentile", "percentile": 80.0, "n_startup_trials": 0, "interval_steps": 3},
            {"kind": "sh"},
            {"kind": "sh", "min_resource": 1, "reduction_factor": 3},
            {"kind": "sh", "min_resource": 2, "reduction_factor": 2, "min_early_stopping_rate": 1, "bootstrap_count": 1},
            {"kind": "hyperband"},
            {"kind": "hyperband", "min_resource": 1, "max_resource": 27, "reduction_factor": 3},
            {"kind": "hyperband", "min_resource": 2, "max_resource": 20, "reduction_factor": 2, "bootstrap_count": 1},
            {"kind": "threshold", "lower": 0.0, "upper": 1.5 if not mx else 1.0},
            {"kind": "threshold", "upper": 1.2, "n_warmup_steps": 3, "interval_steps": 2},
            {"kind": "patient", "wrapped": None, "patience": 2, "min_delta": 0.01},
            {"kind": "patient", "wrapped": {"kind": "median", "n_startup_trials": 2}, "patience": 1},
            {"kind": "patient", "wrapped": {"kind": "sh", "min_resource": 1}, "patience": 0},
        ):
            cases.append(run_case(f"random{i}/{spec['kind']}/{direction}/w{workers}/{json.dumps(spec, sort_keys=True)}",
                                  spec, direction, trials, workers=workers, study_name=f"study-{i}"))

    # Wilcoxon: shuffled inputs, ties, zeros, large n, NaN, partial trials.
    for i, (n_inputs, decimals, zero_rate, nan_rate, direction, spec) in enumerate((
        (10, None, 0.0, 0.0, "minimize", {}),
        (10, 1, 0.0, 0.0, "minimize", {}),
        (12, 2, 0.3, 0.0, "minimize", {"p_threshold": 0.2}),
        (30, None, 0.0, 0.0, "maximize", {}),
        (30, 1, 0.2, 0.0, "minimize", {"n_startup_steps": 5}),
        (60, None, 0.0, 0.0, "minimize", {}),
        (60, 2, 0.1, 0.0, "maximize", {"p_threshold": 0.05}),
        (20, 2, 0.0, 0.02, "minimize", {}),
    )):
        trials = wilcoxon_trials(rng, 25, n_inputs, decimals=decimals, zero_rate=zero_rate,
                                 nan_rate=nan_rate, partial_rate=0.1)
        if direction == "maximize":
            for t in trials:
                t["reports"] = [(s, -v) for s, v in t["reports"]]
                t["value"] = -t["value"]
        cases.append(run_case(f"wilcoxon/{i}/{direction}/{json.dumps(spec, sort_keys=True)}",
                              {"kind": "wilcoxon", **spec}, direction, trials, workers=1 + i % 2))

    json.dump(cases, sys.stdout, separators=(",", ":"), allow_nan=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
