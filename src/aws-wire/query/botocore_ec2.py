"""Runs botocore's own EC2 serializer and parser on cases from the codec's tests.

Reads a JSON list of cases on stdin and prints a JSON list of outcomes, one per case:
- {"serialize": OPERATION, "params": {...}} -> [[name, value], ...]: the form parameters
  botocore's EC2Serializer sends (Action and Version included), in its order;
- {"parse": OPERATION, "xml": BODY} -> the output botocore's EC2QueryParser reads from a 200
  response (timestamps as Date.toISOString writes them, ResponseMetadata included);
- {"parse_error": OPERATION, "xml": BODY, "status": N} -> what it reads from an error response.
Uses botocore's complete EC2 model, not Phantom's trimmed copy, so the two are checked against
each other.
"""
import datetime
import json
import sys

import botocore.session
from botocore.parsers import create_parser
from botocore.serialize import create_serializer


def plain(value):
    """Timestamps as JavaScript's Date.toISOString writes them, so the tests compare strings."""
    if isinstance(value, datetime.datetime):
        utc = value.astimezone(datetime.timezone.utc)
        return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
    raise TypeError(f"cannot write {type(value)}")


def main():
    model = botocore.session.get_session().get_service_model("ec2")
    serializer = create_serializer("ec2")
    parser = create_parser("ec2")
    outcomes = []
    for case in json.load(sys.stdin):
        if "serialize" in case:
            op = model.operation_model(case["serialize"])
            request = serializer.serialize_to_request(case["params"], op)
            outcomes.append([[k, str(v)] for k, v in request["body"].items()])
        elif "parse" in case:
            op = model.operation_model(case["parse"])
            response = {"body": case["xml"].encode("utf-8"), "headers": {}, "status_code": 200}
            outcomes.append(parser.parse(response, op.output_shape))
        else:
            response = {"body": case["xml"].encode("utf-8"), "headers": {}, "status_code": case["status"]}
            outcomes.append(parser.parse(response, None))
    json.dump(outcomes, sys.stdout, default=plain)


if __name__ == "__main__":
    main()
