"""A simulated external KServe server's payload logger: posts each prediction as two CloudEvents
in binary mode (request, then response; every third pair response first) through the CloudEvents
Python SDK, as KServe's agent does. Prints a JSON summary on stdout.

usage: kserve_logger_stream.py <logs url> <token> <count>
"""
import json
import random
import sys
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timezone

from cloudevents.core.bindings.http import to_binary_event
from cloudevents.core.v1.event import CloudEvent


def post(url, token, event):
    message = to_binary_event(event)
    headers = dict(message.headers)
    if token:
        headers["authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=message.body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


def main():
    url, token, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    rng = random.Random(7)
    statuses = {}
    ids = []
    for i in range(count):
        ce_id = str(uuid.uuid4())
        # Served traffic far longer-haul than the training data: drift on distance.
        features = {"distance": round(rng.gauss(2500, 200), 1), "origin": rng.choice(["ORD", "ATL"])}
        score = 1 / (1 + 2.718281828 ** -((features["distance"] - 1000) / 500))
        common = {
            "id": ce_id,
            "source": "http://delays-predictor.default.svc.cluster.local",
            "time": datetime.now(timezone.utc),
            "inferenceservicename": "delays",
            "namespace": "default",
            "component": "predictor",
            "endpoint": "default",
            # As KServe's agent sends them: the body is the JSON payload.
            "datacontenttype": "application/json",
        }
        request = CloudEvent(attributes={**common, "type": "org.kubeflow.serving.inference.request"}, data={"instances": [features]})
        response = CloudEvent(attributes={**common, "type": "org.kubeflow.serving.inference.response"}, data={"predictions": [score]})
        for event in ([response, request] if i % 3 == 2 else [request, response]):
            status = post(url, token, event)
            statuses[str(status)] = statuses.get(str(status), 0) + 1
        ids.append({"id": ce_id, "distance": features["distance"], "score": score})
    print(json.dumps({"statuses": statuses, "sent": ids}))


if __name__ == "__main__":
    main()
