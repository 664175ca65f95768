#!/usr/bin/env python3
"""scikit-learn's values of the metrics nn's tests compute over a fixed set
(python3-sklearn from Debian): metrics_test.go holds the numbers this
prints.

    /usr/bin/python3 nn/testdata/sklearn_metrics.py
"""
import numpy as np
from sklearn import metrics

# Regression: 13 targets and predictions, and a second output.
y = np.array([3.0, -0.5, 2.0, 7.0, 4.2, 1.1, 0.0, -2.5, 5.5, 3.3, 2.2, 9.0, -1.0])
p = np.array([2.5, 0.0, 2.1, 7.8, 3.9, 1.5, -0.3, -2.0, 5.0, 3.0, 2.9, 8.1, -0.2])
y2 = np.stack([y, y * 0.5 + 1], axis=1)
p2 = np.stack([p, p * 0.4 + 1.3], axis=1)
print("r2", repr(metrics.r2_score(y, p)))
print("r2_two_outputs", repr(metrics.r2_score(y2, p2)))
print("mae", repr(metrics.mean_absolute_error(y, p)))
print("rmse", repr(np.sqrt(metrics.mean_squared_error(y, p))))

# Binary: 13 scores and labels, with ties.
s = np.array([0.9, 0.1, 0.8, 0.35, 0.6, 0.6, 0.2, 0.75, 0.4, 0.6, 0.05, 0.95, 0.5])
t = np.array([1, 0, 1, 0, 1, 0, 0, 1, 1, 1, 0, 1, 0])
cut = (s > 0.5).astype(int)
print("auc", repr(metrics.roc_auc_score(t, s)))
print("precision", repr(metrics.precision_score(t, cut)))
print("recall", repr(metrics.recall_score(t, cut)))
print("f1", repr(metrics.f1_score(t, cut)))

# Three classes: argmax of scores against labels.
scores = np.array([[0.2, 0.5, 0.3], [0.8, 0.1, 0.1], [0.3, 0.3, 0.4], [0.1, 0.7, 0.2], [0.5, 0.4, 0.1],
                   [0.2, 0.2, 0.6], [0.6, 0.3, 0.1], [0.3, 0.4, 0.3], [0.1, 0.1, 0.8], [0.4, 0.5, 0.1],
                   [0.2, 0.3, 0.5], [0.9, 0.05, 0.05], [0.3, 0.35, 0.35]])
labels = np.array([1, 0, 2, 1, 1, 2, 0, 0, 2, 2, 2, 0, 1])
pred = scores.argmax(1)
print("macro_precision", repr(metrics.precision_score(labels, pred, average="macro", zero_division=0)))
print("macro_recall", repr(metrics.recall_score(labels, pred, average="macro", zero_division=0)))
print("macro_f1", repr(metrics.f1_score(labels, pred, average="macro", zero_division=0)))
print("confusion", metrics.confusion_matrix(labels, pred).tolist())
# Top-k without a tie at the k-th place (scikit-learn breaks such ties
# towards the higher class, minidl, as argmax, towards the lower).
untied = scores.copy()
untied[7] = [0.3, 0.4, 0.31]
print("top2", repr(metrics.top_k_accuracy_score(labels, untied, k=2)))

# Accuracy of a one-column output, as Keras resolves "accuracy" for it:
# binary accuracy, probabilities cut at 0.5 and logits at 0.
print("binary_accuracy", repr(metrics.accuracy_score(t, (s > 0.5).astype(int))))
z = np.array([2.1, -0.3, 0.7, 0.2, -1.5, 0.4, -2.0, 1.1, -0.1, 3.0, -0.6, 0.9, 0.0])
print("binary_accuracy_logits", repr(metrics.accuracy_score(t, (z > 0).astype(int))))

# Five classes of which class 3 is neither a target nor a prediction:
# scikit-learn's macro averages are over the labels present unless given.
scores5 = np.array([[0.6, 0.1, 0.1, 0.1, 0.1], [0.1, 0.5, 0.2, 0.1, 0.1], [0.1, 0.2, 0.5, 0.1, 0.1],
                    [0.2, 0.2, 0.1, 0.0, 0.5], [0.5, 0.3, 0.1, 0.0, 0.1], [0.1, 0.1, 0.6, 0.1, 0.1],
                    [0.1, 0.6, 0.1, 0.1, 0.1], [0.3, 0.1, 0.1, 0.1, 0.4], [0.2, 0.1, 0.5, 0.1, 0.1],
                    [0.1, 0.1, 0.2, 0.1, 0.5], [0.1, 0.3, 0.4, 0.1, 0.1]])
labels5 = np.array([0, 1, 2, 4, 1, 2, 0, 4, 2, 4, 0])
pred5 = scores5.argmax(1)
for name, f in [("precision", metrics.precision_score), ("recall", metrics.recall_score), ("f1", metrics.f1_score)]:
    print("absent_macro_" + name, repr(f(labels5, pred5, average="macro", zero_division=0)))
    print("absent_macro_" + name + "_all_labels", repr(f(labels5, pred5, labels=[0, 1, 2, 3, 4], average="macro", zero_division=0)))
    print("absent_macro_" + name + "_labels_0_2", repr(f(labels5, pred5, labels=[0, 2], average="macro", zero_division=0)))
