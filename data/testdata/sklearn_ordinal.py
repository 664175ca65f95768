"""Writes sklearn_ordinal.json: scikit-learn's OrdinalEncoder fitted on the
colour and size columns of pets_train.csv and applied to pets_test.csv
(an unknown category given unknown_value = the number of categories), for
TestReadCSVCategories. Run with /usr/bin/python3 from data/testdata."""
import json

import numpy as np
from sklearn.preprocessing import OrdinalEncoder

TRAIN = """colour,weight,size,price
red,1.5,M,10
blue,2,S,12
Grün,0.5,L,9
red,3,M,11
Blue,1,XL,8
"""
TEST = """colour,weight,size,price
blue,2.5,L,10
violet,1,M,7
"""
for name, text in [("pets_train.csv", TRAIN), ("pets_test.csv", TEST)]:
    with open(name, "w", encoding="utf-8") as f:
        f.write(text)


def cats(text):
    rows = [r.split(",") for r in text.strip().split("\n")[1:]]
    return np.array([[r[0], r[2]] for r in rows], dtype=object)


enc = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
train = enc.fit_transform(cats(TRAIN))
test = enc.transform(cats(TEST))
for k, c in enumerate(enc.categories_):
    test[test[:, k] == -1, k] = len(c)
out = {
    "categories": [list(c) for c in enc.categories_],
    "train": train.ravel().tolist(),
    "test": test.ravel().tolist(),
}
with open("sklearn_ordinal.json", "w", encoding="utf-8") as f:
    json.dump(out, f, indent=1, ensure_ascii=False)
