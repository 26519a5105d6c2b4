"""The two scikit-learn candidates and their export to ONNX under the Slipway model contract.

Both are one sklearn Pipeline whose preprocessing runs inside the ONNX graph, so a caller
sends raw column values: numeric columns as float [N,1] (NaN = missing), categorical columns
as string [N,1] ('' = missing).

- logistic-regression: numeric → mean imputation → standardisation; categorical → one-hot
  (unknown values ignored); lbfgs LogisticRegression. The same model family and features as
  the built-in trainer, so the two can be compared directly (bench/train-vs-sklearn.ts).
- hist-gradient-boosting: numeric as is (trees route NaN); categorical → TargetEncoder
  (cross-fitted target means, unknown values get the overall mean); HistGradientBoosting.
  skl2onnx cannot export HistGradientBoosting's native categorical splits, and a target
  encoding sorts categories by delay rate, so one threshold separates them much as a
  categorical split would.
- ridge (regression): numeric → mean imputation → standardisation; categorical → one-hot; Ridge.

Per task (the request's `task`): multiclass fits the same classifiers on the class names (outputs
`label` [N] and `probabilities` [N, K], columns in the request's class order, which must be the
sorted order scikit-learn uses); regression fits HistGradientBoostingRegressor or Ridge (output
`value` [N, 1]). For multiclass and regression, HistGradientBoosting one-hot encodes categories
(dense, unknown ignored) instead of a binary target encoding.
"""
from __future__ import annotations

import contextlib
import sys
from typing import Any, Callable

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler, TargetEncoder

from contract import TrainRequest, VerboseProgress

def build(estimator: str, request: TrainRequest, params: dict[str, Any]) -> Pipeline:
    if estimator in ("logistic-regression", "ridge"):
        pre = ColumnTransformer(
            [
                ("numeric", Pipeline([("impute", SimpleImputer(strategy="mean")), ("scale", StandardScaler())]), request.numeric),
                ("categorical", OneHotEncoder(handle_unknown="ignore"), request.categorical),
            ]
        )
        if estimator == "ridge":
            model = Ridge(alpha=float(params["alpha"]))
        else:
            # lbfgs fits the multinomial (softmax) model when there are more than two classes.
            model = LogisticRegression(
                C=float(params["C"]), max_iter=int(params["maxIter"]), tol=float(params["tol"]), random_state=request.seed
            )
    else:
        categorical = (
            TargetEncoder(target_type="binary", cv=StratifiedKFold(5, shuffle=True, random_state=request.seed))
            if request.task == "binary"
            else OneHotEncoder(handle_unknown="ignore", sparse_output=False)
        )
        pre = ColumnTransformer([("numeric", "passthrough", request.numeric), ("categorical", categorical, request.categorical)])
        boosting = HistGradientBoostingRegressor if request.task == "regression" else HistGradientBoostingClassifier
        model = boosting(
            max_iter=int(params["maxIter"]),
            learning_rate=float(params["learningRate"]),
            max_leaf_nodes=int(params["maxLeafNodes"]),
            min_samples_leaf=int(params["minSamplesLeaf"]),
            l2_regularization=float(params["l2Regularization"]),
            max_bins=int(params["maxBins"]),
            early_stopping=False,
            random_state=request.seed,
            verbose=2,
        )
    # Drop empty column groups: an empty transformer list makes skl2onnx emit an unused input.
    pre.transformers = [t for t in pre.transformers if len(t[2]) > 0]
    return Pipeline([("preprocess", pre), ("model", model)])


def fit(pipeline: Pipeline, X: pd.DataFrame, y: np.ndarray, start: float, end: float) -> None:
    """Fits, reporting per-iteration progress when the estimator prints it (verbose=2)."""
    with contextlib.redirect_stdout(VerboseProgress(start, end)):
        pipeline.fit(X, y)


def to_onnx(pipeline: Pipeline, request: TrainRequest, metadata: dict[str, str]) -> bytes:
    """ONNX bytes: one input per feature; outputs `label` [N] and `probabilities` [N,K] (binary K = 2,
    multiclass in the request's class order), or `value` [N,1] for regression."""
    from skl2onnx import to_onnx as convert
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType

    initial_types = [(c, FloatTensorType([None, 1])) for c in request.numeric] + [
        (c, StringTensorType([None, 1])) for c in request.categorical
    ]
    regression = request.task == "regression"
    onx = convert(
        pipeline,
        initial_types=initial_types,
        options=None if regression else {id(pipeline.steps[-1][1]): {"zipmap": False}},
        target_opset={"": 17, "ai.onnx.ml": 3},
        # Renames the regressor's output (skl2onnx calls it `variable`) to the contract's `value`.
        final_types=[("value", FloatTensorType([None, 1]))] if regression else None,
    )
    names = [o.name for o in onx.graph.output]
    wanted = ["value"] if regression else ["label", "probabilities"]
    if names != wanted:
        raise RuntimeError(f"skl2onnx produced outputs {names}; the contract needs {wanted}")
    onx.producer_name = "slipway-sklearn"
    for key, value in metadata.items():
        entry = onx.metadata_props.add()
        entry.key, entry.value = key, value
    return onx.SerializeToString()


def onnx_matches(model_bytes: bytes, pipeline: Pipeline, X: pd.DataFrame, log: Callable[[str], None], task: str = "binary") -> float:
    """Largest |ONNX - scikit-learn| over the given rows (probabilities, or the value for regression):
    the exported graph must agree with the fit."""
    import onnxruntime as ort

    session = ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
    feeds = {}
    for name in (i.name for i in session.get_inputs()):
        column = X[name].to_numpy()
        feeds[name] = (column.astype(np.float32) if column.dtype != object else column.astype(object)).reshape(-1, 1)
    if task == "regression":
        onnx_p = session.run(["value"], feeds)[0].reshape(-1)
        sk_p = pipeline.predict(X)
    else:
        onnx_p = session.run(["probabilities"], feeds)[0]
        sk_p = pipeline.predict_proba(X)
    diff = float(np.max(np.abs(onnx_p - sk_p))) if len(X) else 0.0
    # Regression values carry the target's units: judge the difference relative to their scale.
    scale = max(1.0, float(np.max(np.abs(sk_p)))) if task == "regression" and len(X) else 1.0
    if diff > 1e-3 * scale:
        log(f"warning: ONNX and scikit-learn {'values' if task == 'regression' else 'probabilities'} differ by up to {diff:.2e}")
    return diff


def library_versions() -> dict[str, str]:
    import onnx
    import skl2onnx
    import sklearn

    return {
        "python": sys.version.split()[0],
        "scikit-learn": sklearn.__version__,
        "skl2onnx": skl2onnx.__version__,
        "onnx": onnx.__version__,
        "numpy": np.__version__,
    }
