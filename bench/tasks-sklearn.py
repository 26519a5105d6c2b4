"""scikit-learn floor for bench/tasks-vs-sklearn.ts: the same Parquet files, the same features
(numeric standardised, categorical one-hot, unseen categories ignored), LogisticRegression (lbfgs,
multinomial) and Ridge, C and alpha matched to the built-in trainers' penalties. Prints JSON.
Usage: python tasks-sklearn.py <task> <train.parquet> <holdout.parquet> <l2-or-alpha> <classes-json>
"""
import json
import sys
import time

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, f1_score, log_loss, mean_absolute_error, r2_score, root_mean_squared_error
from sklearn.preprocessing import OneHotEncoder, StandardScaler

task, train_path, holdout_path, penalty, classes = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), json.loads(sys.argv[5])
numeric, categorical = ["distance"], ["hour", "weekday", "origin", "destination"]
t0 = time.perf_counter()
train, holdout = pd.read_parquet(train_path), pd.read_parquet(holdout_path)
for df in (train, holdout):
    df[categorical] = df[categorical].astype(str)
encode = ColumnTransformer([("num", StandardScaler(), numeric), ("cat", OneHotEncoder(handle_unknown="ignore"), categorical)])
X = encode.fit_transform(train)
Xh = encode.transform(holdout)
prepared = time.perf_counter()
if task == "multiclass":
    y = train["label"].map({c: i for i, c in enumerate(classes)}).to_numpy()
    yh = holdout["label"].map({c: i for i, c in enumerate(classes)}).to_numpy()
    model = LogisticRegression(C=1.0 / (penalty * len(y)), max_iter=200).fit(X, y)
    fitted = time.perf_counter()
    p = model.predict_proba(Xh)
    pred = p.argmax(axis=1)
    out = {
        "logLoss": float(log_loss(yh, p, labels=list(range(len(classes))))),
        "accuracy": float(accuracy_score(yh, pred)),
        "macroF1": float(f1_score(yh, pred, average="macro", labels=list(range(len(classes))), zero_division=0)),
        "iterations": int(np.max(model.n_iter_)),
    }
else:
    y, yh = train["label"].to_numpy(dtype=np.float64), holdout["label"].to_numpy(dtype=np.float64)
    model = Ridge(alpha=penalty).fit(X, y)
    fitted = time.perf_counter()
    pred = model.predict(Xh)
    out = {"rmse": float(root_mean_squared_error(yh, pred)), "mae": float(mean_absolute_error(yh, pred)), "r2": float(r2_score(yh, pred))}
out.update({"prepareS": prepared - t0, "fitS": fitted - prepared, "trainRows": int(len(y))})
json.dump(out, sys.stdout)
