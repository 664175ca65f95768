"""Writes sklearn_impute.json: scikit-learn's SimpleImputer on impute.csv,
for TestReadCSVMissing. Run with /usr/bin/python3 from data/testdata."""
import io
import json

import numpy as np
from sklearn.impute import SimpleImputer

CSV = """id,a,b,c,y
r1,1.5,,7,0
r2,NA,2,7,1
r3,2.5,3,,0
r4,4,3,8,1
r5,,10,8,0
r6,0.25,?,9,1
"""

with open("impute.csv", "w") as f:
    f.write(CSV)

rows = [line.split(",") for line in CSV.strip().split("\n")[1:]]
missing = {"", "NA", "?"}
x = np.array([[np.nan if v in missing else float(v) for v in r[1:4]] for r in rows])
out = {}
for strategy in ["mean", "median", "most_frequent", "constant"]:
    kw = {"fill_value": -1.0} if strategy == "constant" else {}
    out[strategy] = SimpleImputer(strategy=strategy, **kw).fit_transform(x).ravel().tolist()
with open("sklearn_impute.json", "w") as f:
    json.dump(out, f, indent=1)
