"""Reference figures for Slipway's multiclass and regression metrics, from scikit-learn and NumPy.

Reads JSON on stdin: { multiclass: [{ probabilities: [[...]], labels, classes }], regression: [{ predictions, targets }] }
and writes the same metrics as src/evaluation/multiclass-metrics.ts and regression-metrics.ts compute,
each from the library function an ML engineer would call.
"""
import json
import sys

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    log_loss,
    mean_absolute_error,
    mean_absolute_percentage_error,
    precision_score,
    r2_score,
    recall_score,
    root_mean_squared_error,
)


def multiclass(c):
    p = np.asarray(c["probabilities"], dtype=np.float64)
    y = np.asarray(c["labels"], dtype=np.int64)
    labels = list(range(c["classes"]))
    pred = p.argmax(axis=1)
    return {
        "logLoss": float(log_loss(y, p, labels=labels)),
        "accuracy": float(accuracy_score(y, pred)),
        "macroF1": float(f1_score(y, pred, labels=labels, average="macro", zero_division=0)),
        "weightedF1": float(f1_score(y, pred, labels=labels, average="weighted", zero_division=0)),
        "recall": recall_score(y, pred, labels=labels, average=None, zero_division=0).tolist(),
        "precision": precision_score(y, pred, labels=labels, average=None, zero_division=0).tolist(),
        "confusion": confusion_matrix(y, pred, labels=labels).tolist(),
    }


def regression(c):
    yhat = np.asarray(c["predictions"], dtype=np.float64)
    y = np.asarray(c["targets"], dtype=np.float64)
    r = y - yhat
    return {
        "rmse": float(root_mean_squared_error(y, yhat)),
        "mae": float(mean_absolute_error(y, yhat)),
        "r2": float(r2_score(y, yhat)),
        "mape": None if (y == 0).any() else float(mean_absolute_percentage_error(y, yhat)),
        "meanResidual": float(r.mean()),
        "quantiles": np.quantile(r, [0.05, 0.25, 0.5, 0.75, 0.95]).tolist(),
    }


cases = json.load(sys.stdin)
json.dump({"multiclass": [multiclass(c) for c in cases["multiclass"]], "regression": [regression(c) for c in cases["regression"]]}, sys.stdout)
