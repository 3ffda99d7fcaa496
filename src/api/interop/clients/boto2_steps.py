"""Runs Auto Scaling calls through boto 2's AutoScaleConnection and prints each outcome as JSON.

Reads {"endpoint": URL, "steps": [{"id", "call", "args", "sigv2"}]} on stdin. The connection is
made the way old Phantom scripts made it: RegionInfo(name='phantom', endpoint=host), port,
is_secure=False. A step with "sigv2" goes through a connection forced to Signature Version 2.
Prints {id: {"result": ..., "wire": [...]} or {"error": {...}, "wire": [...]}}, where "wire"
lists the requests boto handed to http.client for that step.
"""
import http.client
import json
import sys
import urllib.parse

from boto.ec2.autoscale import AutoScaleConnection
from boto.ec2.autoscale.group import AutoScalingGroup
from boto.ec2.autoscale.launchconfig import LaunchConfiguration
from boto.ec2.autoscale.tag import Tag
from boto.exception import BotoServerError
from boto.regioninfo import RegionInfo


class SigV2AutoScaleConnection(AutoScaleConnection):
    """AutoScaleConnection asks for 'hmac-v4'; 'sign-v2' selects QuerySignatureV2AuthHandler.

    Not 'hmac-v2': that is boto's CloudFront header signer ('Authorization: AWS key:sig' over
    the Date header), which sends none of the query parameters.
    """

    def _required_auth_capability(self):
        return ["sign-v2"]


WIRE = []
_send = http.client.HTTPConnection.request


def _recording_request(self, method, url, body=None, headers=None, **kwargs):
    headers = headers or {}
    authorization = next((v for k, v in headers.items() if k.lower() == "authorization"), None)
    text = body.decode("utf-8") if isinstance(body, bytes) else (body or "")
    WIRE.append({"method": method, "url": url, "body": text, "authorization": authorization})
    return _send(self, method, url, body, headers, **kwargs)


http.client.HTTPConnection.request = _recording_request


def connect(cls, endpoint):
    url = urllib.parse.urlsplit(endpoint)
    region = RegionInfo(name="phantom", endpoint=url.hostname)
    return cls(region=region, port=url.port, is_secure=False)


def tag_json(t):
    return {
        "key": t.key,
        "value": t.value,
        "resource_id": t.resource_id,
        "resource_type": t.resource_type,
        "propagate_at_launch": t.propagate_at_launch,
    }


def group_json(g):
    return {
        "name": g.name,
        "arn": g.autoscaling_group_arn,
        "launch_config_name": g.launch_config_name,
        "min_size": g.min_size,
        "max_size": g.max_size,
        "desired_capacity": g.desired_capacity,
        "default_cooldown": g.default_cooldown,
        "availability_zones": list(g.availability_zones),
        "health_check_type": g.health_check_type,
        "created_time": g.created_time,
        "instances": [i.instance_id for i in (g.instances or [])],
        "tags": [tag_json(t) for t in (g.tags or [])],
        "termination_policies": list(g.termination_policies),
    }


def launch_config_json(lc):
    monitoring = getattr(lc.instance_monitoring, "enabled", lc.instance_monitoring)
    return {
        "name": lc.name,
        "arn": lc.launch_configuration_arn,
        "image_id": lc.image_id,
        "instance_type": lc.instance_type,
        "instance_monitoring": monitoring,
        "ebs_optimized": lc.ebs_optimized,
        "created_time": lc.created_time,
    }


def call(conn, name, args):
    if name == "create_launch_configuration":
        return conn.create_launch_configuration(LaunchConfiguration(**args)) is not None
    if name == "create_auto_scaling_group":
        tags = [Tag(resource_id=args["name"], **t) for t in args.pop("tags", [])]
        return conn.create_auto_scaling_group(AutoScalingGroup(tags=tags, **args)) is not None
    if name == "get_all_groups":
        return [group_json(g) for g in conn.get_all_groups(**args)]
    if name == "get_all_launch_configurations":
        return [launch_config_json(lc) for lc in conn.get_all_launch_configurations(**args)]
    if name == "set_desired_capacity":
        return conn.set_desired_capacity(**args)
    if name in ("delete_auto_scaling_group", "delete_launch_configuration"):
        return getattr(conn, name)(**args) is not None
    raise ValueError("unknown call " + name)


def main():
    request = json.load(sys.stdin)
    endpoint = request["endpoint"]
    connections = {
        False: connect(AutoScaleConnection, endpoint),
        True: connect(SigV2AutoScaleConnection, endpoint),
    }
    outcomes = {}
    for step in request["steps"]:
        conn = connections[bool(step.get("sigv2", False))]
        del WIRE[:]
        try:
            outcome = {"result": call(conn, step["call"], dict(step.get("args", {})))}
        except BotoServerError as e:
            outcome = {"error": {"code": e.error_code, "message": e.message, "status": e.status}}
        outcome["wire"] = list(WIRE)
        outcomes[step["id"]] = outcome
    json.dump(outcomes, sys.stdout, default=str)


if __name__ == "__main__":
    main()
