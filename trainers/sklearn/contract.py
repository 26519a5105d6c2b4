"""The Slipway trainer contract, Python side (see src/training/ARCHITECTURE.md).

Slipway starts a trainer with a request file (JSON) naming the train and holdout Parquet
files, the feature spec, the label, the params, the seed and the output folder. The trainer
writes `model.onnx`, `metrics.json` and `metadata.json` there and reports progress as one
JSON object per line on stdout. Everything else it prints must go to stderr, so this module
takes stdout for itself and points `sys.stdout` at stderr.
"""
from __future__ import annotations

import json
import math
import os
import re
import sys
from dataclasses import dataclass
from typing import Any, TextIO

CONTRACT_VERSION = 1
TASKS = ("binary", "multiclass", "regression")

# The real stdout, reserved for progress lines; stray prints (libraries included) go to stderr.
_progress_out: TextIO = sys.stdout
sys.stdout = sys.stderr


class ContractError(Exception):
    """The request is unusable; the message says which field and why."""


@dataclass(frozen=True)
class TrainRequest:
    train: str
    holdout: str
    output: str
    numeric: list[str]
    categorical: list[str]
    label: str
    params: dict[str, Any]
    seed: int
    # The label's task (absent in the request: binary) and, for multiclass, the classes in model column order.
    task: str = "binary"
    classes: tuple[str, ...] = ()

    @property
    def features(self) -> list[str]:
        """Model input order: numeric first, then categorical (the built-in trainer's order)."""
        return [*self.numeric, *self.categorical]


def read_request(path: str | None) -> TrainRequest:
    """Reads the request from `path`, or from $SLIPWAY_REQUEST when no path is given."""
    path = path or os.environ.get("SLIPWAY_REQUEST")
    if not path:
        raise ContractError("no request: pass --request <file> or set SLIPWAY_REQUEST (Slipway does both)")
    with open(path, encoding="utf-8") as f:
        raw = json.load(f)
    if raw.get("contract") != CONTRACT_VERSION:
        raise ContractError(f"request contract version {raw.get('contract')!r}; this trainer speaks {CONTRACT_VERSION}")
    features = raw.get("features") or {}
    numeric, categorical = list(features.get("numeric", [])), list(features.get("categorical", []))
    if not numeric and not categorical:
        raise ContractError("features: name at least one numeric or categorical column")
    seed = raw.get("seed")
    if not isinstance(seed, int) or seed < 0:
        raise ContractError(f"seed must be a non-negative integer, got {seed!r}")
    task = raw.get("task", "binary")
    if task not in TASKS:
        raise ContractError(f"task must be one of {', '.join(TASKS)}, got {task!r}")
    classes = raw.get("classes") or []
    if task == "multiclass" and (len(classes) < 2 or not all(isinstance(c, str) for c in classes)):
        raise ContractError(f"classes: a multiclass request names at least two classes as strings, got {classes!r}")
    return TrainRequest(
        task=task,
        classes=tuple(classes) if task == "multiclass" else (),
        train=raw["train"],
        holdout=raw["holdout"],
        output=raw["output"],
        numeric=numeric,
        categorical=categorical,
        label=raw["label"],
        params=dict(raw.get("params") or {}),
        seed=seed,
    )


def progress(phase: str, fraction: float, **fields: Any) -> None:
    """One progress line; Slipway turns it into a Temporal heartbeat."""
    line = {"phase": phase, "fraction": round(min(max(fraction, 0.0), 1.0), 4)}
    line.update({k: v for k, v in fields.items() if v is not None})
    _progress_out.write(json.dumps(line) + "\n")
    _progress_out.flush()


def write_json(output: str, name: str, value: dict[str, Any]) -> None:
    """Writes `<output>/<name>` atomically, with non-finite floats as null (JSON has no NaN)."""
    clean = {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in value.items()}
    path = os.path.join(output, name)
    with open(path + ".partial", "w", encoding="utf-8") as f:
        json.dump(clean, f, indent=2, sort_keys=True)
    os.replace(path + ".partial", path)


def write_model(output: str, model_bytes: bytes) -> str:
    """Writes `<output>/model.onnx` under a temporary name first, so a crash leaves no half model."""
    path = os.path.join(output, "model.onnx")
    with open(path + ".partial", "wb") as f:
        f.write(model_bytes)
    os.replace(path + ".partial", path)
    return path


class VerboseProgress:
    """A stand-in for sys.stdout while scikit-learn fits with verbose=2: turns its
    "[12/100] ..." iteration lines into progress lines and drops the rest."""

    _ITERATION = re.compile(r"^\[(\d+)/(\d+)\]")

    def __init__(self, start: float, end: float) -> None:
        self._start, self._end = start, end

    def write(self, text: str) -> int:
        match = self._ITERATION.match(text)
        if match:
            done, total = int(match.group(1)), int(match.group(2))
            share = (done - 1) / total
            progress("fitting", self._start + (self._end - self._start) * share, iteration=done, iterations=total)
        return len(text)

    def flush(self) -> None:
        pass
