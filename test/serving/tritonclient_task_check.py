"""Calls a Slipway model server with NVIDIA's tritonclient (HTTP or gRPC) for a model of any task.

Usage: tritonclient_task_check.py http|grpc HOST:PORT MODEL CASES_JSON
CASES_JSON is a list of feature rows. For each row a single-row request with the client's
defaults (binary tensors) and its own routing key, then the whole batch with JSON outputs
(HTTP) or asking for each output by name (gRPC). Every output the model metadata lists is read
with as_numpy (BYTES decoded to text). Prints one JSON document for
test/serving/oip-tritonclient-tasks.test.ts to judge.
"""
import json
import sys

import numpy as np
from tritonclient.utils import np_to_triton_dtype

NUMPY = {"FP32": np.float32, "FP64": np.float64, "INT64": np.int64, "BYTES": np.object_}


def text(v):
    # Binary BYTES tensors decode to bytes, JSON ones to str.
    return v.decode() if isinstance(v, bytes) else v


def plain(array):
    if array is None:
        return None
    if array.dtype == np.object_:
        return [[text(v) for v in row] if isinstance(row, np.ndarray) else text(row) for row in array]
    return array.tolist()


def main():
    protocol, url, model, cases = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
    if protocol == "http":
        import tritonclient.http as client_lib
        client = client_lib.InferenceServerClient(url=url)
        meta = client.get_model_metadata(model)
    else:
        import tritonclient.grpc as client_lib
        client = client_lib.InferenceServerClient(url=url)
        meta = client.get_model_metadata(model, as_json=True)
        # Protobuf's JSON form writes int64 dims as strings.
        for spec in meta["inputs"] + meta["outputs"]:
            spec["shape"] = [int(d) for d in spec["shape"]]

    def inputs_for(rows):
        tensors = []
        for spec in meta["inputs"]:
            name = spec["name"]
            if spec["datatype"] == "BYTES":
                array = np.array([[str(r[name]).encode()] for r in rows], dtype=np.object_)
            else:
                array = np.array([[r[name]] for r in rows], dtype=NUMPY[spec["datatype"]])
            tensor = client_lib.InferInput(name, list(array.shape), np_to_triton_dtype(array.dtype))
            tensor.set_data_from_numpy(array)
            tensors.append(tensor)
        return tensors

    names = [o["name"] for o in meta["outputs"]]
    answers = []
    for i, row in enumerate(cases):
        result = client.infer(model, inputs_for([row]), headers={"x-routing-key": f"{protocol}-caller-{i}"})
        response = result.get_response() if protocol == "http" else result.get_response(as_json=True)
        answers.append({"version": response["model_version"], **{n: plain(result.as_numpy(n)) for n in names}})

    if protocol == "http":
        requested = [client_lib.InferRequestedOutput(n, binary_data=False) for n in names]
    else:
        requested = [client_lib.InferRequestedOutput(n) for n in names]
    batch = client.infer(model, inputs_for(cases), outputs=requested)
    out = {
        "metadata": meta,
        "answers": answers,
        "batch": {n: plain(batch.as_numpy(n)) for n in names},
        "shapes": {n: list(batch.as_numpy(n).shape) for n in names},
    }
    client.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
