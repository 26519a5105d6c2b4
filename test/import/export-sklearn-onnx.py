"""Trains a scikit-learn model outside Slipway and exports it to ONNX, as a team elsewhere would.

    .venv/bin/python test/import/export-sklearn-onnx.py --data train.parquet --label label \
        --numeric distance --categorical hour,origin --out model.onnx [--rename hour=dep_hour] [--task regression]

Binary: LogisticRegression over (mean imputation + scaling, one-hot), outputs label [N] and
probabilities [N,2] (zipmap off). Multiclass: the same with a string label. Regression: Ridge,
output renamed to `value`. `--rename` gives an input another name than the column (a contract
mismatch on purpose). Prints one JSON line: the output path, the row count and the holdout-free
train AUC/R² for the test to sanity-check.
"""
from __future__ import annotations

import argparse
import json
import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from skl2onnx import to_onnx
from skl2onnx.common.data_types import FloatTensorType, StringTensorType
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--label", required=True)
    ap.add_argument("--numeric", default="")
    ap.add_argument("--categorical", default="")
    ap.add_argument("--task", choices=["binary", "multiclass", "regression"], default="binary")
    ap.add_argument("--rename", action="append", default=[])
    ap.add_argument("--max-rows", type=int, default=200_000)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    numeric = [c for c in a.numeric.split(",") if c]
    categorical = [c for c in a.categorical.split(",") if c]
    table = pq.read_table(a.data, columns=[*numeric, *categorical, a.label]).slice(0, a.max_rows)
    data = {}
    for c in numeric:
        data[c] = pc.cast(table[c], pa.float32()).to_numpy(zero_copy_only=False).astype(np.float32)
    for c in categorical:
        data[c] = pd.Series(pc.fill_null(pc.cast(table[c], pa.string()), "").to_numpy(zero_copy_only=False), dtype=object)
    X = pd.DataFrame(data)
    y = table[a.label].to_numpy(zero_copy_only=False)
    renames = dict(r.split("=", 1) for r in a.rename)
    X = X.rename(columns=renames)
    numeric = [renames.get(c, c) for c in numeric]
    categorical = [renames.get(c, c) for c in categorical]
    pre = ColumnTransformer(
        [t for t in [
            ("numeric", Pipeline([("impute", SimpleImputer(strategy="mean")), ("scale", StandardScaler())]), numeric),
            ("categorical", OneHotEncoder(handle_unknown="ignore"), categorical),
        ] if t[2]]
    )
    if a.task == "regression":
        model = Ridge(alpha=1.0)
        y = y.astype(np.float64)
    else:
        model = LogisticRegression(max_iter=200)
        y = y.astype(np.int64) if a.task == "binary" else y.astype(str)
    pipe = Pipeline([("preprocess", pre), ("model", model)]).fit(X, y)
    types = [(c, FloatTensorType([None, 1])) for c in numeric] + [(c, StringTensorType([None, 1])) for c in categorical]
    options = {id(model): {"zipmap": False}} if a.task != "regression" else None
    onx = to_onnx(pipe, initial_types=types, options=options, target_opset={"": 17, "ai.onnx.ml": 3})
    if a.task == "regression":
        # skl2onnx calls a regressor's output `variable`; the contract calls it `value`.
        for node in onx.graph.node:
            node.output[:] = ["value" if o == onx.graph.output[0].name else o for o in node.output]
        onx.graph.output[0].name = "value"
    else:
        names = {o.name: o for o in onx.graph.output}
        assert {"label", "probabilities"} <= set(names), names
    with open(a.out, "wb") as f:
        f.write(onx.SerializeToString())
    score = float(pipe.score(X, y))
    print(json.dumps({"out": a.out, "rows": int(len(y)), "trainScore": score}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
