"""Calls a Slipway model server's Open Inference Protocol gRPC port with tritonclient.grpc.

Usage: tritonclient_grpc_check.py HOST:PORT MODEL PINNED_VERSION CASES_JSON
Prints one JSON document with what the client saw, for test/serving/oip-tritonclient.test.ts.
"""
import json
import sys

import numpy as np
import tritonclient.grpc as grpcclient
from tritonclient.utils import InferenceServerException, np_to_triton_dtype

NUMPY = {"FP32": np.float32, "FP64": np.float64, "BYTES": np.object_}


def inputs_for(meta, rows, datatypes=None):
    tensors = []
    for spec in meta["inputs"]:
        name = spec["name"]
        datatype = (datatypes or {}).get(name, spec["datatype"])
        if datatype == "BYTES":
            array = np.array([[str(r[name]).encode()] for r in rows], dtype=np.object_)
        else:
            array = np.array([[r[name]] for r in rows], dtype=NUMPY[datatype])
        tensor = grpcclient.InferInput(name, list(array.shape), np_to_triton_dtype(array.dtype))
        tensor.set_data_from_numpy(array)
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
    client = grpcclient.InferenceServerClient(url=url)
    out = {
        "live": client.is_server_live(),
        "ready": client.is_server_ready(),
        "server": client.get_server_metadata(as_json=True),
        "model_ready": client.is_model_ready(model),
        "pinned_ready": client.is_model_ready(model, model_version=pinned),
    }
    meta = client.get_model_metadata(model, as_json=True)
    out["metadata"] = meta

    answers = []
    for i, row in enumerate(cases):
        result = client.infer(model, inputs_for(meta, [row]), request_id=f"grpc-{i}", headers={"x-routing-key": f"grpc-caller-{i}"})
        response = result.get_response(as_json=True)
        answers.append({
            "id": response.get("id"),
            "version": response["model_version"],
            "request_id": ((response.get("parameters") or {}).get("request_id") or {}).get("string_param"),
            "probability": result.as_numpy("probability").tolist(),
            "label": result.as_numpy("label").tolist(),
        })
    out["answers"] = answers

    datatypes = {s["name"]: ("FP64" if s["datatype"] == "FP32" else "BYTES") for s in meta["inputs"]}
    batch = client.infer(model, inputs_for(meta, cases, datatypes), outputs=[grpcclient.InferRequestedOutput("probability")], model_version=pinned)
    out["pinned_batch"] = {"version": batch.get_response().model_version, "probability": batch.as_numpy("probability").tolist(), "label": batch.as_numpy("label") is not None}

    out["errors"] = {
        "unknown_model": error_of(lambda: client.get_model_metadata("no-such-model")),
        "unknown_version": error_of(lambda: client.infer(model, inputs_for(meta, cases[:1]), model_version="999")),
        "missing_input": error_of(lambda: client.infer(model, inputs_for(meta, cases[:1])[1:])),
        "load": error_of(lambda: client.load_model(model)),
    }
    client.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
