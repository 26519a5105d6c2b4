"""scikit-learn on exactly the design Slipway's built-in trainers fit: standardised numeric columns
and one-hot category codes (out-of-vocabulary slot included), read as JSON on stdin.

- multiclass: LogisticRegression(C = 1 / (l2 * n)) with lbfgs (multinomial for K > 2 classes),
  whose objective equals the softmax trainer's times n; holdout log loss and accuracy;
- regression: Ridge(alpha), the same objective as the ridge trainer; coefficients and holdout RMSE.
"""
import json
import sys

import numpy as np
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, log_loss, root_mean_squared_error


def design(split, cardinalities):
    parts = [np.asarray(split["numeric"], dtype=np.float64).T.reshape(len(split["y"]), -1)]
    for codes, card in zip(split["categorical"], cardinalities):
        one_hot = np.zeros((len(codes), card))
        one_hot[np.arange(len(codes)), codes] = 1
        parts.append(one_hot)
    return np.hstack(parts)


case = json.load(sys.stdin)
cards = case["cardinalities"]
X, Xh = design(case["train"], cards), design(case["holdout"], cards)
y, yh = np.asarray(case["train"]["y"]), np.asarray(case["holdout"]["y"])
if case["task"] == "multiclass":
    model = LogisticRegression(C=1.0 / (case["l2"] * len(y)), max_iter=5000, tol=1e-10).fit(X, y)
    p = model.predict_proba(Xh)
    out = {"logLoss": float(log_loss(yh, p, labels=list(range(case["classes"])))), "accuracy": float(accuracy_score(yh, p.argmax(axis=1)))}
else:
    model = Ridge(alpha=case["alpha"]).fit(X, y)
    out = {"intercept": float(model.intercept_), "coef": model.coef_.tolist(), "rmse": float(root_mean_squared_error(yh, model.predict(Xh)))}
json.dump(out, sys.stdout)
