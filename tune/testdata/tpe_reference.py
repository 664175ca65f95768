"""Numbers for tune's TPE tests, from Optuna 3.1 (Debian's python3-optuna).

Run: OPENBLAS_CORETYPE=Haswell /usr/bin/python3 tune/testdata/tpe_reference.py
and paste the output into tune/tpe_test.go.

Optuna 3.1's truncated-normal log density leaves out -log(sigma)
(optuna#5109, fixed in Optuna 3.5); tune keeps it, so the script patches
it in before computing anything. Every other line of Optuna runs as
installed.
"""
import math

import numpy as np
import optuna
from optuna import distributions as D
from optuna.samplers._tpe import _truncnorm
from optuna.samplers._tpe import parzen_estimator as pe
from optuna.samplers._tpe import sampler as tpe
from optuna.trial import TrialState

assert optuna.__version__.startswith("3.1"), optuna.__version__

_logpdf = _truncnorm.logpdf


def logpdf_with_scale(x, a, b, loc=0, scale=1):
    return _logpdf(x, a, b, loc=loc, scale=scale) - np.log(scale)


_truncnorm.logpdf = logpdf_with_scale
pe.truncnorm.logpdf = logpdf_with_scale


def golist(xs):
    return "{" + ", ".join(repr(float(x)) for x in xs) + "}"


def godist(d):
    if isinstance(d, D.CategoricalDistribution):
        return "Distribution{Kind: CategoricalParam, Choices: []string{%s}}" % ", ".join(
            '"%s"' % c for c in d.choices
        )
    kind = "FloatParam" if isinstance(d, D.FloatDistribution) else "IntParam"
    step = d.step if d.step is not None else 0
    return "Distribution{Kind: %s, Low: %r, High: %r, Step: %r, Log: %s}" % (
        kind,
        float(d.low),
        float(d.high),
        float(step),
        "true" if d.log else "false",
    )


def params(prior=True, weight=1.0, clip=True, endpoints=False):
    return pe._ParzenEstimatorParameters(prior, weight, clip, endpoints, tpe.default_weights, False)


cases = [
    ("float", D.FloatDistribution(-5, 5), [1.0, -2.5, 3.3, 0.2], params(), [-4.9, 0.0, 1.0, 4.99]),
    ("float log", D.FloatDistribution(1e-4, 1e-1, log=True), [1e-3, 5e-2, 2e-4], params(), [1e-4, 3e-3, 0.09]),
    ("float step", D.FloatDistribution(0, 1, step=0.1), [0.2, 0.5, 0.5, 0.9], params(), [0.0, 0.5, 0.6, 1.0]),
    ("int", D.IntDistribution(1, 10), [3, 7, 7], params(), [1, 3, 5, 10]),
    ("int step", D.IntDistribution(0, 12, step=3), [3, 9], params(weight=2.0), [0, 6, 12]),
    ("int log", D.IntDistribution(1, 1000, log=True), [10, 200, 3], params(), [1, 10, 999]),
    ("categorical", D.CategoricalDistribution(["a", "b", "c"]), [0, 2, 2], params(), [0, 1, 2]),
    ("categorical no prior", D.CategoricalDistribution(["a", "b"]), [1, 1, 0], params(prior=False, weight=0.5), [0, 1]),
    ("no prior, endpoints, no clip", D.FloatDistribution(0, 10), [1, 2, 8], params(prior=False, clip=False, endpoints=True), [0.5, 2, 9]),
    ("prior only", D.FloatDistribution(0, 1), [], params(), [0.1, 0.5]),
    ("ramped weights", D.FloatDistribution(0, 1), list(np.random.RandomState(5).random_sample(30)), params(), [0.05, 0.5, 0.95]),
]

print("// parzen cases")
for name, dist, obs, prm, points in cases:
    mpe = pe._ParzenEstimator({"x": np.asarray(obs, dtype=float)}, {"x": dist}, prm)
    lp = mpe.log_pdf({"x": np.asarray(points, dtype=float if not isinstance(dist, D.CategoricalDistribution) else int)})
    draws = np.random.RandomState(11).random_sample(12)
    samples = mpe.sample(np.random.RandomState(11), 6)["x"]
    print("{name: \"%s\"," % name)
    print("  d: %s," % godist(dist))
    print("  prior: %s, priorWeight: %r, clip: %s, endpoints: %s," % (
        str(prm.consider_prior).lower(), prm.prior_weight, str(prm.consider_magic_clip).lower(), str(prm.consider_endpoints).lower()))
    print("  obs: []float64%s," % golist(obs))
    print("  weights: []float64%s," % golist(mpe._weights))
    if isinstance(dist, D.CategoricalDistribution):
        rows = mpe._categorical_weights["x"]
        print("  probs: [][]float64{%s}," % ", ".join(golist(r) for r in rows))
    else:
        print("  mus: []float64%s," % golist(mpe._mus["x"]))
        print("  sigmas: []float64%s," % golist(mpe._sigmas["x"]))
    print("  points: []float64%s," % golist(points))
    print("  logPDF: []float64%s," % golist(lp))
    print("  draws: []float64%s," % golist(draws))
    print("  samples: []float64%s}," % golist(samples))

# A whole TPE step: trials complete and pruned, the split, and the value
# chosen from fixed draws.
print("// TPE study cases")
for direction in ["minimize", "maximize"]:
    study = optuna.create_study(direction=direction)
    dist = D.FloatDistribution(-10, 10)
    rs = np.random.RandomState(3)
    trials = []
    for i in range(14):
        x = float(rs.uniform(-10, 10))
        if i % 4 == 3:
            iv = {s: float((x - 2) ** 2 + 5 - s) for s in range(i % 3 + 1)}
            t = optuna.trial.create_trial(params={"x": x}, distributions={"x": dist},
                                          intermediate_values=iv, state=TrialState.PRUNED)
            trials.append(("Pruned", x, None, iv))
        elif i == 5:  # a trial that never drew x
            t = optuna.trial.create_trial(params={}, distributions={}, value=50.0)
            trials.append(("Complete", None, 50.0, {}))
        else:
            v = float((x - 2) ** 2)
            t = optuna.trial.create_trial(params={"x": x}, distributions={"x": dist}, value=v)
            trials.append(("Complete", x, v, {}))
        study.add_trial(t)
    values, scores, _ = tpe._get_observation_pairs(study, ["x"])
    n = len(scores)
    below, above = tpe._split_observation_pairs(scores, tpe.default_gamma(n), None)
    sampler = tpe.TPESampler(seed=21)
    chosen = sampler.sample_independent(study, study.ask(), "x", dist)
    draws = np.random.RandomState(21).random_sample(48)
    print("{direction: %s," % ("Maximize" if direction == "maximize" else "Minimize"))
    print("  trials: []FrozenTrial{")
    for state, x, v, iv in trials:
        p = "map[string]any{}" if x is None else "map[string]any{\"x\": %r}" % x
        ds = "map[string]Distribution{}" if x is None else "map[string]Distribution{\"x\": %s}" % godist(dist)
        r = "map[int]float64{%s}" % ", ".join("%d: %r" % kv for kv in iv.items())
        val = "math.NaN()" if v is None else repr(v)
        print("    {State: %s, Params: %s, Distributions: %s, Reports: %s, Value: %s}," % (state, p, ds, r, val))
    print("  },")
    print("  below: []int{%s}, above: []int{%s}," % (", ".join(map(str, below)), ", ".join(map(str, above))))
    print("  draws: []float64%s," % golist(draws))
    print("  chosen: %r}," % chosen)
