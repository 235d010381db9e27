#!/usr/bin/env python3
"""Golden fixtures for mashup's classification metrics (Tests/Fixtures/metrics/).

Run with the reference environment:  /work/venv-ref/bin/python tools/reference/metrics.py

Each case is one JSON file holding the inputs (0-based class indices, the class count, the
class names) and what scikit-learn computes from them with labels=range(classes) and
zero_division=0:
  accuracy                 accuracy_score(y_true, y_pred)
  precision/recall/f1/support   precision_recall_fscore_support(..., average=None)
  macro, weighted          the same with average="macro" / "weighted"  ([p, r, f1])
  confusion                confusion_matrix(y_true, y_pred, labels=labels)  (rows: true class)
  report                   classification_report(..., target_names=names, digits=4)
Floats are written with Python's repr, which reads back to the same double.
The library versions used are recorded in manifest.json.
"""
import json
import os
import platform

import numpy as np
import sklearn
from sklearn.metrics import (accuracy_score, classification_report, confusion_matrix,
                             precision_recall_fscore_support)

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "Tests", "Fixtures", "metrics")
GENRES = ["blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock"]


def noisy_predictions(rng, y_true, classes, p_correct):
    """Each prediction is the true class with probability p_correct, otherwise uniform."""
    guess = rng.integers(0, classes, size=len(y_true))
    keep = rng.random(len(y_true)) < p_correct
    return np.where(keep, y_true, guess)


def cases():
    rng = np.random.default_rng(20261125)

    y = rng.integers(0, 10, size=300)
    yield "random", GENRES, y, noisy_predictions(rng, y, 10, 0.55)

    # Imbalanced: blues is 40% of the samples, rock 1%; the classifier over-predicts blues.
    freq = np.array([40, 5, 10, 8, 12, 6, 9, 4, 5, 1], dtype=float)
    y = rng.choice(10, size=400, p=freq / freq.sum())
    pred = noisy_predictions(rng, y, 10, 0.6)
    pred = np.where(rng.random(len(y)) < 0.15, 0, pred)
    yield "imbalanced", GENRES, y, pred

    # Disco (3) is never predicted; jazz (5) is in neither y_true nor y_pred, but labels= keeps
    # it, so it counts in the macro average with precision, recall and F1 all 0.
    y = rng.choice([0, 1, 2, 3, 4, 6, 7, 8, 9], size=120)
    pred = noisy_predictions(rng, y, 10, 0.7)
    pred = np.where(pred == 3, 2, pred)
    pred = np.where(pred == 5, 6, pred)
    yield "never_predicted", GENRES, y, pred

    y = rng.integers(0, 10, size=50)
    yield "perfect", GENRES, y, y.copy()

    # Three classes, names of unequal length, one prediction right. (Not all wrong: with no true
    # positive at all, sklearn 1.9 returns the supports as floats and prints "2.0".)
    y = np.array([0, 0, 1, 1, 2, 2, 2])
    yield "long_names", ["a", "bb", "a much longer class name"], y, np.array([1, 0, 2, 0, 0, 1, 0])


def main():
    os.makedirs(OUT, exist_ok=True)
    names = []
    for name, target_names, y_true, y_pred in cases():
        classes = len(target_names)
        labels = list(range(classes))
        p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, average=None, zero_division=0)
        avg = {}
        for average in ("macro", "weighted"):
            ap, ar, af, _ = precision_recall_fscore_support(
                y_true, y_pred, labels=labels, average=average, zero_division=0)
            avg[average] = [float(ap), float(ar), float(af)]
        case = {
            "classes": classes,
            "names": target_names,
            "y_true": [int(v) for v in y_true],
            "y_pred": [int(v) for v in y_pred],
            "accuracy": float(accuracy_score(y_true, y_pred)),
            "precision": [float(v) for v in p],
            "recall": [float(v) for v in r],
            "f1": [float(v) for v in f],
            "support": [int(v) for v in s],
            "macro": avg["macro"],
            "weighted": avg["weighted"],
            "confusion": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
            "report": classification_report(
                y_true, y_pred, labels=labels, target_names=target_names, digits=4, zero_division=0),
        }
        with open(os.path.join(OUT, name + ".json"), "w") as out:
            json.dump(case, out, indent=1)
            out.write("\n")
        names.append(name)
    manifest = {
        "cases": names,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
    }
    with open(os.path.join(OUT, "manifest.json"), "w") as out:
        json.dump(manifest, out, indent=1)
        out.write("\n")


if __name__ == "__main__":
    main()
