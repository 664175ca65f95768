#!/usr/bin/env python3
"""scikit-learn's values of the metrics of nn/metrics_ranking.go and the
averages of nn/metrics.go beyond Macro, over fixed and seeded sets; writes
the inputs and the values to sklearn_metrics_more.json, which
metrics_more_test.go reads (python3-sklearn 1.2.1 from Debian):

    OPENBLAS_CORETYPE=Haswell /usr/bin/python3 nn/testdata/sklearn_metrics_more.py
"""
import json
import os

import numpy as np
from sklearn import metrics
from sklearn.preprocessing import label_binarize

rng = np.random.default_rng(24)
out = {}


def binary(name, s, t):
    out[name] = {
        "scores": s.tolist(), "targets": t.tolist(),
        "average_precision": metrics.average_precision_score(t, s),
        "roc_auc": metrics.roc_auc_score(t, s),
    }


# The 13 scores of sklearn_metrics.py, with ties at 0.6.
binary("binary", np.array([0.9, 0.1, 0.8, 0.35, 0.6, 0.6, 0.2, 0.75, 0.4, 0.6, 0.05, 0.95, 0.5]),
       np.array([1, 0, 1, 0, 1, 0, 0, 1, 1, 1, 0, 1, 0]))
# 300 scores rounded to one decimal: ties everywhere, across both classes.
t = rng.integers(0, 2, 300)
binary("binary_ties", np.round(np.clip(rng.normal(0.4 + 0.2 * t, 0.2), 0, 1), 1), t)
# Logits (any monotone score), without ties.
t = rng.integers(0, 2, 97)
binary("binary_logits", rng.normal(1.0 * t, 1.5), t)

# Average precision of one class only: no positive scores 0 (with a
# warning), no negative 1.
out["ap_no_positive"] = metrics.average_precision_score([0, 0, 0], [0.2, 0.5, 0.1])
out["ap_no_negative"] = metrics.average_precision_score([1, 1, 1], [0.2, 0.5, 0.1])


def multiclass(name, probs, labels, logits=None):
    c = probs.shape[1]
    entry = {"probs": probs.tolist(), "labels": labels.tolist()}
    if logits is not None:
        entry["logits"] = logits.tolist()
    for avg in ["macro", "weighted"]:
        entry["roc_auc_" + avg] = metrics.roc_auc_score(labels, probs, multi_class="ovr", average=avg)
    # One-vs-rest micro: the binary area of every (example, class) pair.
    entry["roc_auc_micro"] = metrics.roc_auc_score(label_binarize(labels, classes=range(c)).ravel(), probs.ravel())
    out[name] = entry


# The three-class scores of sklearn_metrics.py (rows sum to 1, with ties).
scores = np.array([[0.2, 0.5, 0.3], [0.8, 0.1, 0.1], [0.3, 0.3, 0.4], [0.1, 0.7, 0.2], [0.5, 0.4, 0.1],
                   [0.2, 0.2, 0.6], [0.6, 0.3, 0.1], [0.3, 0.4, 0.3], [0.1, 0.1, 0.8], [0.4, 0.5, 0.1],
                   [0.2, 0.3, 0.5], [0.9, 0.05, 0.05], [0.3, 0.35, 0.35]])
labels = np.array([1, 0, 2, 1, 1, 2, 0, 0, 2, 2, 2, 0, 1])
multiclass("multiclass", scores, labels)
# 150 examples of four unbalanced classes, as logits and their softmax.
labels = rng.choice(4, 150, p=[0.5, 0.25, 0.15, 0.1])
logits = rng.normal(0, 1.2, (150, 4)) + 1.5 * np.eye(4)[labels]
probs = np.exp(logits - logits.max(1, keepdims=True))
probs /= probs.sum(1, keepdims=True)
multiclass("multiclass_logits", probs, labels, logits)

# Precision, recall and F1 averaged micro and weighted beside macro, over
# the five-class set of sklearn_metrics.py (class 3 absent) and 120 seeded
# examples of four classes, with and without labels.
scores5 = np.array([[0.6, 0.1, 0.1, 0.1, 0.1], [0.1, 0.5, 0.2, 0.1, 0.1], [0.1, 0.2, 0.5, 0.1, 0.1],
                    [0.2, 0.2, 0.1, 0.0, 0.5], [0.5, 0.3, 0.1, 0.0, 0.1], [0.1, 0.1, 0.6, 0.1, 0.1],
                    [0.1, 0.6, 0.1, 0.1, 0.1], [0.3, 0.1, 0.1, 0.1, 0.4], [0.2, 0.1, 0.5, 0.1, 0.1],
                    [0.1, 0.1, 0.2, 0.1, 0.5], [0.1, 0.3, 0.4, 0.1, 0.1]])
labels5 = np.array([0, 1, 2, 4, 1, 2, 0, 4, 2, 4, 0])
labels4 = rng.choice(4, 120, p=[0.4, 0.3, 0.2, 0.1])
scores4 = rng.normal(0, 1, (120, 4)) + 1.2 * np.eye(4)[labels4]
prf = []
for name, s, y in [("five", scores5, labels5), ("four", scores4, labels4)]:
    pred = s.argmax(1)
    for labs in [None, [0, 1, 2, 3, 4], [0, 2], [2, 0, 3]]:
        if name == "four" and labs is not None and 4 in labs:
            continue
        for avg in ["macro", "micro", "weighted"]:
            for metric, f in [("precision", metrics.precision_score), ("recall", metrics.recall_score),
                              ("f1", metrics.f1_score)]:
                prf.append({"set": name, "labels": labs, "average": avg, "metric": metric,
                            "value": f(y, pred, labels=labs, average=avg, zero_division=0)})
out["prf_sets"] = {"five": {"scores": scores5.tolist(), "labels": labels5.tolist()},
                   "four": {"scores": scores4.tolist(), "labels": labels4.tolist()}}
out["prf"] = prf
# Binary targets averaged micro and weighted: over both classes.
s = np.array(out["binary"]["scores"])
t = np.array(out["binary"]["targets"])
out["binary_prf"] = {avg: {m: f(t, (s > 0.5).astype(int), average=avg, zero_division=0)
                           for m, f in [("precision", metrics.precision_score), ("recall", metrics.recall_score),
                                        ("f1", metrics.f1_score)]}
                     for avg in ["micro", "weighted"]}

# MAPE, with zero targets (divided by float64's epsilon) and two outputs.
y = np.array([3.0, -0.5, 2.0, 7.0, 0.0, 1.1, 0.0, -2.5, 5.5, 3.3, 2.2, 9.0, -1.0])
p = np.array([2.5, 0.0, 2.1, 7.8, 1e-17, 1.5, 0.0, -2.0, 5.0, 3.0, 2.9, 8.1, -0.2])
y2 = np.stack([y, y * 0.5 + 1], axis=1)
p2 = np.stack([p, p * 0.4 + 1.3], axis=1)
out["mape"] = {"y": y.tolist(), "p": p.tolist(), "value": metrics.mean_absolute_percentage_error(y, p),
               "value_two_outputs": metrics.mean_absolute_percentage_error(y2, p2)}

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "sklearn_metrics_more.json"), "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
