#!/usr/bin/env python3
"""scikit-learn's compute_class_weight("balanced") of seeded labels, written
to sklearn_class_weight.json for classweights_test.go (python3-sklearn
1.2.1 from Debian):

    OPENBLAS_CORETYPE=Haswell /usr/bin/python3 data/testdata/sklearn_class_weight.py
"""
import json
import os

import numpy as np
from sklearn.utils.class_weight import compute_class_weight

rng = np.random.default_rng(24)
cases = []
for classes, n, p in [(2, 10, [0.8, 0.2]), (3, 97, [0.6, 0.3, 0.1]), (5, 400, [0.5, 0.2, 0.15, 0.1, 0.05]), (1, 4, [1.0])]:
    y = rng.choice(classes, n, p=p)
    w = compute_class_weight("balanced", classes=np.arange(classes), y=y)
    cases.append({"classes": classes, "labels": y.tolist(), "weights": w.tolist()})
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "sklearn_class_weight.json"), "w") as f:
    json.dump(cases, f)
    f.write("\n")
