"""Calls a Slipway model server with NVIDIA's tritonclient (HTTP), as a Triton user would.

Usage: tritonclient_check.py HOST:PORT MODEL PINNED_VERSION CASES_JSON
CASES_JSON is a list of flights rows. Prints one JSON document with what the client saw, for
test/serving/oip-tritonclient.test.ts to judge. Every call uses the client's defaults (binary
tensor data for inputs and outputs) unless said otherwise.
"""
import json
import sys

import numpy as np
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException, np_to_triton_dtype

NUMPY = {"FP32": np.float32, "FP64": np.float64, "INT64": np.int64, "BYTES": np.object_}


def inputs_for(meta, rows, binary=True, datatypes=None):
    tensors = []
    for spec in meta["inputs"]:
        name = spec["name"]
        datatype = (datatypes or {}).get(name, spec["datatype"])
        if datatype == "BYTES":
            array = np.array([[str(r[name]).encode()] for r in rows], dtype=np.object_)
        else:
            array = np.array([[r[name]] for r in rows], dtype=NUMPY[datatype])
        tensor = httpclient.InferInput(name, list(array.shape), np_to_triton_dtype(array.dtype))
        tensor.set_data_from_numpy(array, binary_data=binary)
        tensors.append(tensor)
    return tensors


def error_of(call):
    try:
        call()
    except InferenceServerException as e:
        return {"status": e.status(), "message": e.message()}
    return None


def main():
    url, model, pinned, cases = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
    client = httpclient.InferenceServerClient(url=url)
    out = {
        "live": client.is_server_live(),
        "ready": client.is_server_ready(),
        "server": client.get_server_metadata(),
        "model_ready": client.is_model_ready(model),
        "pinned_ready": client.is_model_ready(model, model_version=pinned),
        "absent_ready": client.is_model_ready("no-such-model"),
    }
    meta = client.get_model_metadata(model)
    out["metadata"] = meta

    # One single-row request per case, each with its own id and routing key: the split decides the version.
    answers = []
    for i, row in enumerate(cases):
        result = client.infer(model, inputs_for(meta, [row]), request_id=f"triton-{i}", headers={"x-routing-key": f"triton-caller-{i}"})
        response = result.get_response()
        answers.append({
            "id": response.get("id"),
            "version": response["model_version"],
            "request_id": (response.get("parameters") or {}).get("request_id"),
            "probability": result.as_numpy("probability").tolist(),
            "label": result.as_numpy("label").tolist(),
        })
    out["answers"] = answers

    # The whole batch in JSON (no binary), with 64-bit types the client picks from numpy, and only one output asked for.
    requested = [httpclient.InferRequestedOutput("probability", binary_data=False)]
    datatypes = {s["name"]: ("FP64" if s["datatype"] == "FP32" else "BYTES") for s in meta["inputs"]}
    batch = client.infer(model, inputs_for(meta, cases, binary=False, datatypes=datatypes), outputs=requested, model_version=pinned)
    out["pinned_batch"] = {"version": batch.get_response()["model_version"], "probability": batch.as_numpy("probability").tolist(), "label": batch.as_numpy("label")}
    out["pinned_batch"]["label"] = None if out["pinned_batch"]["label"] is None else "present"

    out["errors"] = {
        "unknown_model": error_of(lambda: client.get_model_metadata("no-such-model")),
        "unknown_version": error_of(lambda: client.infer(model, inputs_for(meta, cases[:1]), model_version="999")),
        "missing_input": error_of(lambda: client.infer(model, inputs_for(meta, cases[:1])[1:])),
        "wrong_datatype": error_of(lambda: client.infer(model, inputs_for(meta, cases[:1], datatypes={meta["inputs"][0]["name"]: "BYTES"}))),
    }
    client.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
