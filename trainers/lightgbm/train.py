"""Slipway's LightGBM trainer: a template for bringing a framework other than scikit-learn.

    .venv/bin/python trainers/lightgbm/train.py --request <file>

Follows the trainer contract (src/training/ARCHITECTURE.md) with the Python side shared with
trainers/sklearn (contract.py: request, progress lines, atomic outputs; train.py: loading and
holdout metrics per task): a LightGBM classifier, or regressor for regression labels (numeric
columns as they are, NaN routed by the trees; categorical columns target-encoded for binary
labels, one-hot otherwise, as the scikit-learn gradient boosting does) in a scikit-learn
Pipeline, converted to ONNX by skl2onnx with onnxmltools' LightGBM converters registered, and
checked against LightGBM's own predictions with onnxruntime before the model is written. To
bring another framework, copy this file and change `build` and the converter registration.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
# The contract helpers and the loader live with the reference trainer.
sys.path.insert(0, os.path.join(HERE, "..", "sklearn"))

from contract import ContractError, progress, read_request, write_json, write_model  # noqa: E402

TRAINER = "lightgbm"
TRAINER_VERSION = "1.1.0"
CHECK_ROWS = 5000
DEFAULTS = {"numIterations": 100, "learningRate": 0.1, "numLeaves": 31, "minDataInLeaf": 20, "lambdaL2": 0.0, "maxBin": 255}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def resolve_params(raw: dict) -> dict:
    given = {k: v for k, v in raw.items() if k != "seed"}
    unknown = sorted(set(given) - set(DEFAULTS))
    if unknown:
        raise ContractError(f"params: unknown {', '.join(unknown)} for lightgbm; known: {', '.join(DEFAULTS)}")
    for key, value in given.items():
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise ContractError(f"params.{key} must be a number, got {value!r}")
    return {**DEFAULTS, **given}


def build(request, params):
    from lightgbm import LGBMClassifier, LGBMRegressor
    from sklearn.compose import ColumnTransformer
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, TargetEncoder

    categorical = (
        TargetEncoder(target_type="binary", cv=StratifiedKFold(5, shuffle=True, random_state=request.seed))
        if request.task == "binary"
        else OneHotEncoder(handle_unknown="ignore", sparse_output=False)
    )
    pre = ColumnTransformer([("numeric", "passthrough", request.numeric), ("categorical", categorical, request.categorical)])
    pre.transformers = [t for t in pre.transformers if len(t[2]) > 0]
    boosting = LGBMRegressor if request.task == "regression" else LGBMClassifier
    model = boosting(
        n_estimators=int(params["numIterations"]),
        learning_rate=float(params["learningRate"]),
        num_leaves=int(params["numLeaves"]),
        min_child_samples=int(params["minDataInLeaf"]),
        reg_lambda=float(params["lambdaL2"]),
        max_bin=int(params["maxBin"]),
        random_state=request.seed,
        deterministic=True,
        force_row_wise=True,
        n_jobs=1,
        verbose=-1,
    )
    return Pipeline([("preprocess", pre), ("model", model)])


def to_onnx(pipeline, request, metadata: dict) -> bytes:
    """ONNX with the contract's outputs: `label` [N] and `probabilities` float [N,K] (binary K = 2,
    multiclass in the request's class order), or `value` float [N,1] for regression."""
    from lightgbm import LGBMClassifier, LGBMRegressor
    from onnxmltools.convert.lightgbm.operator_converters.LightGbm import convert_lightgbm
    from skl2onnx import to_onnx as convert, update_registered_converter
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType
    from skl2onnx.common.shape_calculator import calculate_linear_classifier_output_shapes, calculate_linear_regressor_output_shapes

    # skl2onnx knows scikit-learn; onnxmltools brings the LightGBM converters (the skl2onnx docs' recipe).
    update_registered_converter(
        LGBMClassifier, "LightGbmLGBMClassifier", calculate_linear_classifier_output_shapes, convert_lightgbm,
        options={"nocl": [True, False], "zipmap": [True, False, "columns"]},
    )
    update_registered_converter(LGBMRegressor, "LightGbmLGBMRegressor", calculate_linear_regressor_output_shapes, convert_lightgbm)
    types = [(c, FloatTensorType([None, 1])) for c in request.numeric] + [(c, StringTensorType([None, 1])) for c in request.categorical]
    regression = request.task == "regression"
    onx = convert(
        pipeline,
        initial_types=types,
        options=None if regression else {id(pipeline.steps[-1][1]): {"zipmap": False}},
        target_opset={"": 17, "ai.onnx.ml": 3},
        # Names the regressor's output as the contract does.
        final_types=[("value", FloatTensorType([None, 1]))] if regression else None,
    )
    names = [o.name for o in onx.graph.output]
    wanted = ["value"] if regression else ["label", "probabilities"]
    if names != wanted:
        raise RuntimeError(f"the converters produced outputs {names}; the contract needs {wanted}")
    onx.producer_name = "slipway-lightgbm"
    for key, value in metadata.items():
        entry = onx.metadata_props.add()
        entry.key, entry.value = key, value
    return onx.SerializeToString()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--request", help="request JSON (default: $SLIPWAY_REQUEST)")
    args = parser.parse_args(argv)
    try:
        request = read_request(args.request)
        params = resolve_params(request.params)
    except (ContractError, KeyError, OSError, ValueError) as err:
        log(f"invalid request: {err}")
        return 2
    try:
        import lightgbm  # noqa: F401
        import onnxmltools  # noqa: F401

        import estimators
        from train import canonical, holdout_metrics, load, task_metadata
    except ImportError as err:
        log(f"{err}. The LightGBM trainer needs its Python environment: run `bash scripts/python-env.sh` (or `make setup`) and start it with .venv/bin/python (this is {sys.executable}).")
        return 3

    started = time.perf_counter()
    progress("loading", 0.0)
    X, y = load(request.train, request)
    progress("fitting", 0.1, trainRows=len(y))
    pipeline = build(request, params)
    fit_started = time.perf_counter()
    pipeline.fit(X, y)
    fit_seconds = time.perf_counter() - fit_started
    if request.task == "multiclass" and [str(c) for c in pipeline.classes_] != list(request.classes):
        log(
            f"LightGBM's classes {[str(c) for c in pipeline.classes_]} (sorted, those with training rows) differ from the "
            f"request's {list(request.classes)}: every class needs training rows, and pinned label.classes must be in sorted order"
        )
        return 2

    progress("exporting", 0.85)
    import lightgbm as lgb
    import onnxmltools as omt

    versions = {**estimators.library_versions(), "lightgbm": lgb.__version__, "onnxmltools": omt.__version__}
    model_bytes = to_onnx(
        pipeline,
        request,
        {
            "slipway.trainer": TRAINER,
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
    write_json(request.output, "metrics.json", {
        "trainRows": int(len(y)),
        "holdoutRows": int(len(holdout_y)),
        "fitSeconds": fit_seconds,
        **holdout_metrics(pipeline, holdout_X, holdout_y, request),
        "onnxMaxAbsDiff": onnx_diff,
    })
    write_json(request.output, "metadata.json", {
        "trainer": TRAINER,
        "trainerVersion": f"{TRAINER_VERSION} (LightGBM {versions['lightgbm']}, onnxmltools {versions['onnxmltools']})",
        "params": {**params, "seed": request.seed},
        "libraries": versions,
        "seconds": time.perf_counter() - started,
    })
    progress("done", 1.0)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
