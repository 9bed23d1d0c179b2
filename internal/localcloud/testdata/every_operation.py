"""Call every operation of the named services through botocore.

Usage: every_operation.py ENDPOINT SERVICE...

Each call carries the smallest request the service's model allows (its
required members, with values that meet their length and range
constraints), serialized by botocore itself in the protocol it speaks.
One JSON object per call is printed: service, operation, HTTP status,
error code, or the exception that kept the call from getting an answer.
"""
import datetime
import json
import sys

import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError, ParamValidationError


def minimal(shape, depth=0):
    if depth > 12:
        return None
    kind = shape.type_name
    if kind == "structure":
        members = shape.members
        if shape.metadata.get("union"):
            name = sorted(members)[0]
            return {name: minimal(members[name], depth + 1)}
        out = {}
        for name in shape.required_members:
            if name in members:
                out[name] = minimal(members[name], depth + 1)
        return out
    if kind == "list":
        n = max(int(shape.metadata.get("min", 1)), 1)
        return [minimal(shape.member, depth + 1) for _ in range(n)]
    if kind == "map":
        n = int(shape.metadata.get("min", 0))
        return {("k%d" % i): minimal(shape.value, depth + 1) for i in range(n)}
    if kind == "string":
        if shape.enum:
            return shape.enum[0]
        n = max(int(shape.metadata.get("min", 1)), 1)
        return "x" * n
    if kind in ("integer", "long"):
        lo = shape.metadata.get("min")
        hi = shape.metadata.get("max")
        value = int(lo) if lo is not None else 1
        if hi is not None and value > hi:
            value = int(hi)
        return value
    if kind in ("float", "double"):
        return float(shape.metadata.get("min", 1))
    if kind == "boolean":
        return False
    if kind == "timestamp":
        return datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    if kind == "blob":
        return b"x" * max(int(shape.metadata.get("min", 1)), 1)
    return None


def main():
    endpoint, services = sys.argv[1], sys.argv[2:]
    session = botocore.session.get_session()
    config = Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5,
                    read_timeout=30, inject_host_prefix=False)
    for name in services:
        client = session.create_client(name, endpoint_url=endpoint, region_name="eu-west-1",
                                       aws_access_key_id="test", aws_secret_access_key="test", config=config)
        model = client.meta.service_model
        for op_name in model.operation_names:
            op = model.operation_model(op_name)
            params = minimal(op.input_shape) if op.input_shape is not None else {}
            result = {"service": name, "operation": op_name}
            try:
                response = client._make_api_call(op_name, params)
                result["status"] = response.get("ResponseMetadata", {}).get("HTTPStatusCode", 200)
                stream = response.get("Body") or response.get("responseStream")
                if hasattr(stream, "close"):
                    stream.close()
            except ClientError as err:
                result["status"] = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
                result["code"] = err.response.get("Error", {}).get("Code")
            except ParamValidationError as err:
                result["client_validation"] = str(err)
            except Exception as err:  # a dropped connection, an unparseable answer
                result["exception"] = "%s: %s" % (type(err).__name__, err)
            print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
