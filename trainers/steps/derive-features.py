"""A registered `command` step program (trainers/registry.yaml, kind: step): feature engineering
on the train and holdout snapshots, as a user would add it to a pipeline.

Reads the request ($SLIPWAY_REQUEST or --request): inputs `train` and `holdout` (Parquet), params
`{"scale": <number>, "column": <numeric column>, "as": <new column>}`. Writes each snapshot with the
new column (`as` = `column` × `scale`) to the declared output files, `meta.json` adding the new
column to each snapshot's feature list, and `summary.json` (rows, the new column's mean).
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import pyarrow.compute as pc
import pyarrow.parquet as pq


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--request", default=os.environ.get("SLIPWAY_REQUEST"))
    request = json.load(open(ap.parse_args().request, encoding="utf-8"))
    params = request["params"]
    column, new, scale = params.get("column", "distance"), params.get("as", "distance_km"), float(params.get("scale", 1.609344))
    meta, summary = {}, {}
    for name in ("train", "holdout"):
        table = pq.read_table(request["inputs"][name])
        if column not in table.column_names:
            print(f"params.column: {column!r} is not a column of {name} (columns: {', '.join(table.column_names)})", file=sys.stderr)
            return 2
        derived = pc.multiply(pc.cast(table[column], "float64"), scale)
        table = table.append_column(new, derived)
        pq.write_table(table, os.path.join(request["output"], request["outputs"][name]))
        meta[name] = {"features": [c for c in table.column_names if c not in ("label", "event_time")]}
        summary[f"{name}Rows"] = table.num_rows
        summary[f"{name}Mean_{new}"] = pc.mean(derived).as_py()
    for file, value in (("meta.json", meta), ("summary.json", summary)):
        with open(os.path.join(request["output"], file), "w", encoding="utf-8") as f:
            json.dump(value, f)
    print(json.dumps({"phase": "done", "fraction": 1.0}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
