"""Params of the scikit-learn trainer, checked before the heavy imports so a bad request fails fast."""
from __future__ import annotations

from typing import Any

from contract import ContractError

# Accepted params per estimator with their defaults (camelCase, like the built-in trainer's).
DEFAULTS: dict[str, dict[str, Any]] = {
    "logistic-regression": {"C": 1.0, "maxIter": 1000, "tol": 1e-4},
    "hist-gradient-boosting": {
        "maxIter": 100,
        "learningRate": 0.1,
        "maxLeafNodes": 31,
        "minSamplesLeaf": 20,
        "l2Regularization": 0.0,
        "maxBins": 255,
    },
    "ridge": {"alpha": 1.0},
}
# Which tasks each estimator fits (HistGradientBoosting: classifier or regressor by task).
TASKS: dict[str, tuple[str, ...]] = {
    "logistic-regression": ("binary", "multiclass"),
    "hist-gradient-boosting": ("binary", "multiclass", "regression"),
    "ridge": ("regression",),
}
ESTIMATORS = tuple(DEFAULTS)


def resolve_params(estimator: str, raw: dict[str, Any], task: str = "binary") -> dict[str, Any]:
    """Defaults merged with the request's params; `seed` is the contract's and not a param here."""
    if task not in TASKS[estimator]:
        fits = [name for name, tasks in TASKS.items() if task in tasks]
        raise ContractError(f"{estimator} does not fit {task} labels; for {task} use --estimator {' or '.join(fits)}")
    defaults = DEFAULTS[estimator]
    given = {k: v for k, v in raw.items() if k != "seed"}
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise ContractError(f"params: unknown {', '.join(unknown)} for {estimator}; known: {', '.join(defaults)}")
    for key, value in given.items():
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise ContractError(f"params.{key} must be a number, got {value!r}")
    return {**defaults, **given}
