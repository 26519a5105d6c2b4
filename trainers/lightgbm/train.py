"""Slipway's LightGBM trainer: a template for bringing a framework other than scikit-learn.

    .venv/bin/python trainers/lightgbm/train.py --request <file>

Follows the trainer contract (src/training/ARCHITECTURE.md) with the Python side shared with
trainers/sklearn (contract.py: request, progress lines, atomic outputs): a LightGBM classifier
(numeric columns as they are, NaN routed by the trees; categorical columns target-encoded, as
the scikit-learn gradient boosting does) in a scikit-learn Pipeline, converted to ONNX by
skl2onnx with onnxmltools' LightGBM converter registered, and checked against LightGBM's own
probabilities with onnxruntime before the model is written. To bring another framework, copy
this file and change `build` and the converter registration.
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
TRAINER_VERSION = "1.0.0"
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
    from lightgbm import LGBMClassifier
    from sklearn.compose import ColumnTransformer
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import TargetEncoder

    pre = ColumnTransformer(
        [
            ("numeric", "passthrough", request.numeric),
            ("categorical", TargetEncoder(target_type="binary", cv=StratifiedKFold(5, shuffle=True, random_state=request.seed)), request.categorical),
        ]
    )
    pre.transformers = [t for t in pre.transformers if len(t[2]) > 0]
    model = LGBMClassifier(
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
    """ONNX with the contract's outputs: `label` int64 [N] and `probabilities` float [N,2]."""
    from lightgbm import LGBMClassifier
    from onnxmltools.convert.lightgbm.operator_converters.LightGbm import convert_lightgbm
    from skl2onnx import to_onnx as convert, update_registered_converter
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType
    from skl2onnx.common.shape_calculator import calculate_linear_classifier_output_shapes

    # skl2onnx knows scikit-learn; onnxmltools brings the LightGBM converter (the skl2onnx docs' recipe).
    update_registered_converter(
        LGBMClassifier, "LightGbmLGBMClassifier", calculate_linear_classifier_output_shapes, convert_lightgbm,
        options={"nocl": [True, False], "zipmap": [True, False, "columns"]},
    )
    types = [(c, FloatTensorType([None, 1])) for c in request.numeric] + [(c, StringTensorType([None, 1])) for c in request.categorical]
    onx = convert(pipeline, initial_types=types, options={id(pipeline.steps[-1][1]): {"zipmap": False}}, target_opset={"": 17, "ai.onnx.ml": 3})
    names = [o.name for o in onx.graph.output]
    if names != ["label", "probabilities"]:
        raise RuntimeError(f"the converters produced outputs {names}; the contract needs ['label', 'probabilities']")
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
        from train import auc, canonical, load, log_loss
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
        },
    )
    progress("checking", 0.9)
    holdout_X, holdout_y = load(request.holdout, request)
    holdout_p = pipeline.predict_proba(holdout_X)[:, 1]
    onnx_diff = estimators.onnx_matches(model_bytes, pipeline, holdout_X.head(CHECK_ROWS), log)
    write_model(request.output, model_bytes)
    write_json(request.output, "metrics.json", {
        "trainRows": int(len(y)),
        "holdoutRows": int(len(holdout_y)),
        "fitSeconds": fit_seconds,
        "holdoutAuc": auc(holdout_p, holdout_y),
        "holdoutLogLoss": log_loss(holdout_p, holdout_y),
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
