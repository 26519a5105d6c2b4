"""A simulated external KServe server's payload logger replaying given predictions: each one is
posted as two CloudEvents in binary mode (request, then response; every third pair response
first) through the CloudEvents Python SDK, as KServe's agent does, over one keep-alive connection.
Prints a JSON summary on stdout: the statuses and the ce-id of each prediction, in input order.

usage: kserve_flights_stream.py <logs url> <token> <predictions.json>
predictions.json: [{"features": {...}, "score": 0.3}, ...]
"""
import http.client
import json
import sys
import uuid
from datetime import datetime, timezone
from urllib.parse import urlsplit

from cloudevents.core.bindings.http import to_binary_event
from cloudevents.core.v1.event import CloudEvent


def main():
    url, token, path = sys.argv[1], sys.argv[2], sys.argv[3]
    with open(path, encoding="utf8") as f:
        predictions = json.load(f)
    target = urlsplit(url)
    conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
    statuses = {}
    ids = []
    for i, p in enumerate(predictions):
        ce_id = str(uuid.uuid4())
        common = {
            "id": ce_id,
            "source": "http://flights-predictor.default.svc.cluster.local",
            "time": datetime.now(timezone.utc),
            "inferenceservicename": "flights",
            "namespace": "default",
            "component": "predictor",
            "endpoint": "default",
            "datacontenttype": "application/json",
        }
        request = CloudEvent(attributes={**common, "type": "org.kubeflow.serving.inference.request"}, data={"instances": [p["features"]]})
        response = CloudEvent(attributes={**common, "type": "org.kubeflow.serving.inference.response"}, data={"predictions": [p["score"]]})
        for event in ([response, request] if i % 3 == 2 else [request, response]):
            message = to_binary_event(event)
            headers = dict(message.headers)
            if token:
                headers["authorization"] = f"Bearer {token}"
            conn.request("POST", target.path, body=message.body, headers=headers)
            res = conn.getresponse()
            res.read()
            statuses[str(res.status)] = statuses.get(str(res.status), 0) + 1
        ids.append(ce_id)
    conn.close()
    print(json.dumps({"statuses": statuses, "ids": ids}))


if __name__ == "__main__":
    main()
