"""Runs Auto Scaling calls through boto3 and prints each outcome as JSON.

Reads {"endpoint": URL, "steps": [{"id", "call", "args", "service"}]} on stdin; "call" is a
method of boto3's client for "service" (default "autoscaling"; also "cloudwatch") and "args"
its keyword arguments. Prints {id: {"result": response
without ResponseMetadata} or {"error": {"code", "message", "type", "status"}}}. Keys and region
come from the environment, as a user's script would get them.
"""
import json
import sys

import boto3
import botocore.exceptions


def main():
    request = json.load(sys.stdin)
    clients = {}
    outcomes = {}
    for step in request["steps"]:
        service = step.get("service", "autoscaling")
        if service not in clients:
            clients[service] = boto3.client(service, endpoint_url=request["endpoint"])
        try:
            response = getattr(clients[service], step["call"])(**step.get("args", {}))
            response.pop("ResponseMetadata", None)
            outcomes[step["id"]] = {"result": response}
        except botocore.exceptions.ClientError as e:
            error = e.response.get("Error", {})
            outcomes[step["id"]] = {
                "error": {
                    "code": error.get("Code"),
                    "message": error.get("Message"),
                    "type": error.get("Type"),
                    "status": e.response.get("ResponseMetadata", {}).get("HTTPStatusCode"),
                }
            }
    json.dump(outcomes, sys.stdout, default=str)


if __name__ == "__main__":
    main()
