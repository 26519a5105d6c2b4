"""Slipway's scikit-learn trainer: fits one candidate and exports it to ONNX.

    .venv/bin/python trainers/sklearn/train.py --estimator hist-gradient-boosting --request <file>

Follows the trainer contract in src/training/ARCHITECTURE.md: reads the request, reports
progress as JSON lines on stdout, writes model.onnx, metrics.json and metadata.json to the
request's output folder, and exits non-zero with the reason on stderr when it cannot.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

# The trainer's own modules sit beside it; no __pycache__ in the source tree (which may be read-only).
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from contract import ContractError, progress, read_request, write_json, write_model  # noqa: E402
from params import ESTIMATORS, resolve_params  # noqa: E402

TRAINER_VERSION = "1.0.0"
# Rows of the holdout used to check that the ONNX graph reproduces scikit-learn's probabilities.
CHECK_ROWS = 5000


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--estimator", choices=ESTIMATORS, required=True)
    parser.add_argument("--request", help="request JSON (default: $SLIPWAY_REQUEST)")
    args = parser.parse_args(argv)
    try:
        request = read_request(args.request)
        params = resolve_params(args.estimator, request.params, request.task)
    except (ContractError, KeyError, OSError, ValueError) as err:
        log(f"invalid request: {err}")
        return 2
    try:
        import estimators
    except ImportError as err:
        log(
            f"{err}. The scikit-learn trainer needs its Python environment: run `bash scripts/python-env.sh` "
            f"(or `make setup`) and start it with .venv/bin/python (this is {sys.executable})."
        )
        return 3

    started = time.perf_counter()
    progress("loading", 0.0)
    X, y = load(request.train, request)
    progress("fitting", 0.1, trainRows=len(y))
    pipeline = estimators.build(args.estimator, request, params)
    fit_started = time.perf_counter()
    estimators.fit(pipeline, X, y, 0.1, 0.85)
    fit_seconds = time.perf_counter() - fit_started
    if request.task == "multiclass" and [str(c) for c in pipeline.classes_] != list(request.classes):
        log(
            f"scikit-learn's classes {[str(c) for c in pipeline.classes_]} (sorted, those with training rows) differ from the "
            f"request's {list(request.classes)}: every class needs training rows, and pinned label.classes must be in sorted order"
        )
        return 2

    progress("exporting", 0.85)
    name = f"sklearn-{args.estimator}"
    versions = estimators.library_versions()
    model_bytes = estimators.to_onnx(
        pipeline,
        request,
        {
            "slipway.trainer": name,
            "slipway.trainer_version": TRAINER_VERSION,
            "slipway.params": canonical({**params, "seed": request.seed}),
            "slipway.features": canonical({"numeric": request.numeric, "categorical": request.categorical, "label": request.label}),
            "slipway.train_rows": str(len(y)),
            **task_metadata(request),
        },
    )

    progress("checking", 0.9)
    holdout_X, holdout_y = load(request.holdout, request)
    onnx_diff = estimators.onnx_matches(model_bytes, pipeline, holdout_X.head(CHECK_ROWS), log, request.task)
    write_model(request.output, model_bytes)
    write_json(
        request.output,
        "metrics.json",
        {
            "trainRows": int(len(y)),
            "holdoutRows": int(len(holdout_y)),
            "fitSeconds": fit_seconds,
            **holdout_metrics(pipeline, holdout_X, holdout_y, request),
            "onnxMaxAbsDiff": onnx_diff,
        },
    )
    write_json(
        request.output,
        "metadata.json",
        {
            "trainer": name,
            "trainerVersion": f"{TRAINER_VERSION} (scikit-learn {versions['scikit-learn']}, skl2onnx {versions['skl2onnx']})",
            "params": {**params, "seed": request.seed},
            "libraries": versions,
            "seconds": time.perf_counter() - started,
        },
    )
    progress("done", 1.0)
    return 0


def load(path: str, request):
    """Reads the feature and label columns the way Slipway's scorer feeds them: numeric as
    float32 with NaN for missing, categorical as strings with '' for missing."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pq.read_table(path, columns=[*request.features, request.label])
    data = {}
    for name in request.numeric:
        data[name] = pc.cast(table[name], pa.float32()).to_numpy(zero_copy_only=False).astype(np.float32)
    for name in request.categorical:
        strings = pc.fill_null(pc.cast(table[name], pa.string()), "")
        data[name] = pd.Series(strings.to_numpy(zero_copy_only=False), dtype=object)
    X = pd.DataFrame(data)
    if request.task == "multiclass":
        # Rows whose label ingest could not map to a class are null; validation reported them.
        labels = pc.cast(table[request.label], pa.string()).to_numpy(zero_copy_only=False)
        keep = np.array([v is not None for v in labels], dtype=bool)
        return X[keep].reset_index(drop=True), labels[keep].astype(object)
    if request.task == "regression":
        targets = pc.cast(table[request.label], pa.float64()).to_numpy(zero_copy_only=False).astype(np.float64)
        keep = np.isfinite(targets)
        return X[keep].reset_index(drop=True), targets[keep]
    labels = pc.cast(table[request.label], pa.int8()).to_numpy(zero_copy_only=False)
    if not set(np.unique(labels)).issubset({0, 1}):
        raise ValueError(f"label column {request.label!r} must hold 0/1 values")
    return X, labels


def task_metadata(request) -> dict[str, str]:
    """The model's task in its ONNX metadata, as the built-in trainer writes it (binary models carry none)."""
    import json

    if request.task == "multiclass":
        return {"slipway.task": "multiclass", "slipway.classes": json.dumps(list(request.classes), separators=(",", ":"), ensure_ascii=False)}
    return {"slipway.task": "regression"} if request.task == "regression" else {}


def holdout_metrics(pipeline, X, y, request) -> dict[str, float]:
    """scikit-learn's own view of the holdout, per task, for metrics.json."""
    import numpy as np
    from sklearn.metrics import accuracy_score, mean_absolute_error, mean_squared_error

    if len(y) == 0:
        return {}
    if request.task == "regression":
        v = pipeline.predict(X)
        return {"holdoutRmse": float(np.sqrt(mean_squared_error(y, v))), "holdoutMae": float(mean_absolute_error(y, v))}
    if request.task == "multiclass":
        from sklearn.metrics import log_loss as sk_log_loss

        p = pipeline.predict_proba(X)
        return {"holdoutLogLoss": float(sk_log_loss(y, p, labels=list(pipeline.classes_))), "holdoutAccuracy": float(accuracy_score(y, pipeline.predict(X)))}
    p = pipeline.predict_proba(X)[:, 1]
    return {"holdoutAuc": auc(p, y), "holdoutLogLoss": log_loss(p, y)}


def auc(p, y) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, p)) if 0 < y.sum() < len(y) else float("nan")


def log_loss(p, y) -> float:
    from sklearn.metrics import log_loss as sk_log_loss

    return float(sk_log_loss(y, p, labels=[0, 1])) if len(y) else float("nan")


def canonical(value) -> str:
    import json

    return json.dumps(value, sort_keys=True, separators=(",", ":"))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
