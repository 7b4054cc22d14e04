#!/usr/bin/python3
"""Property-based test of the API from its OpenAPI document (Debian's python3-hypothesis and
python3-jsonschema): for every operation, requests whose parameters and bodies are generated
from the document's schemas, sent by a support administrator and by a provider's holder to a
real `mutua serve` on a fresh store. No answer may be a 5xx, and every JSON answer must match
the schema the document gives for its status.

    tests/api_properties.py MUTUA_BINARY SOURCE_DIR WORK_DIR [EXAMPLES]
"""
import base64
import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request

import jsonschema
from hypothesis import HealthCheck, given, settings, strategies as st

MUTUA, SOURCE, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
EXAMPLES = int(sys.argv[4]) if len(sys.argv) > 4 else 60
NURSE = "40765140401"
DOC = json.load(open(os.path.join(SOURCE, "data/server/openapi.json")))
# Operations the test must not call at random: signing out, or resetting the test's own users'
# second factor, would end the test's own sessions (both have tests of their own).
SKIPPED = {("delete", "/api/v1/sessions/current"), ("delete", "/api/v1/users/{id}/second-factor")}


def call(port, method, path, token=None, body=None, ctype="application/json"):
    data = None
    headers = {}
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers["Content-Type"] = ctype
    if token:
        headers["Authorization"] = "Bearer " + token
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method.upper(), headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read()


def totp(secret_b32, at=None):
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    counter = int((at or time.time()) // 30)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    o = mac[-1] & 15
    return "%06d" % ((struct.unpack(">I", mac[o:o + 4])[0] & 0x7FFFFFFF) % 1000000)


def first_sign_in(port, username, once):
    s, _, b = call(port, "post", "/api/v1/sessions", body={"username": username, "password": once})
    assert s == 201, b
    token = json.loads(b)["token"]
    s, _, b = call(port, "post", "/api/v1/me/password", token, {"current": once, "new": username + "-long-secret-1"})
    assert s == 200, b
    s, _, b = call(port, "post", "/api/v1/me/second-factor", token)
    assert s == 201, b
    s, _, b = call(port, "post", "/api/v1/me/second-factor/confirm", token, {"code": totp(json.loads(b)["secret"])})
    assert s == 200, b
    # A program's token: not ended by what the generated requests do to sessions.
    s, _, b = call(port, "post", "/api/v1/tokens", token, {"name": "property test"})
    assert s == 201, b
    return json.loads(b)["token"]


def strategy(schema):
    """Values for the subset of JSON Schema the document uses, plus some that break it."""
    if "$ref" in schema:
        name = schema["$ref"].split("/")[-1]
        return strategy(DOC["components"]["schemas"][name])
    if "allOf" in schema:
        return strategy(schema["allOf"][-1])
    t = schema.get("type")
    wrong = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20))
    if "enum" in schema:
        return st.one_of(st.sampled_from(schema["enum"]), wrong)
    if t == "string":
        if "pattern" in schema:
            return st.one_of(st.from_regex(schema["pattern"], fullmatch=True), st.text(max_size=30))
        if schema.get("format") == "date":
            return st.one_of(st.dates().map(lambda d: d.isoformat()), st.text(max_size=12))
        return st.text(max_size=40)
    if t == "integer":
        return st.one_of(st.integers(min_value=schema.get("minimum", -10**12), max_value=schema.get("maximum", 10**12)),
                         st.integers(), wrong)
    if t == "boolean":
        return st.one_of(st.booleans(), wrong)
    if t == "array":
        return st.lists(strategy(schema.get("items", {})), max_size=4)
    if t == "object":
        props = schema.get("properties", {})
        return st.fixed_dictionaries({}, optional={k: strategy(v) for k, v in props.items()})
    return wrong


def path_strategy(path, params):
    parts = []
    for p in params:
        if p["in"] == "path":
            parts.append(st.one_of(st.integers(min_value=1, max_value=50), st.integers(min_value=1, max_value=10**18))
                         if p["schema"].get("type") == "integer" else strategy(p["schema"]).map(str))
    def fill(values):
        out = path
        for v, p in zip(values, [p for p in params if p["in"] == "path"]):
            out = out.replace("{" + p["name"] + "}", urllib.request.quote(str(v), safe=""))
        return out
    return st.tuples(*parts).map(fill) if parts else st.just(path)


def query_strategy(params):
    optional = {p["name"]: strategy(p["schema"]).map(lambda v: "" if v is None else str(v).lower() if isinstance(v, bool) else str(v))
                for p in params if p["in"] == "query"}
    return st.fixed_dictionaries({}, optional=optional)


RESOLVER = jsonschema.RefResolver.from_schema(DOC)


def check_answer(op_id, status, ctype, body, op):
    assert status < 500, f"{op_id}: {status} {body[:300]!r}"
    if "application/json" not in ctype:
        return
    doc = json.loads(body)  # every JSON answer parses
    spec = op["responses"].get(str(status))
    if spec is None:
        # Undocumented statuses are errors of the server's own (404 of a path, 413...): still its error shape.
        assert status >= 400, f"{op_id}: undocumented {status}"
        jsonschema.validate(doc, {"$ref": "#/components/schemas/Error"}, resolver=RESOLVER)
        return
    schema = spec.get("content", {}).get("application/json", {}).get("schema")
    if schema:
        jsonschema.validate(doc, schema, resolver=RESOLVER, cls=jsonschema.Draft202012Validator)


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    db = os.path.join(WORK, "m.db")
    subprocess.run([MUTUA, "refdata", "import", os.path.join(SOURCE, "tests/scenarios/base"), "--db", db], check=True,
                   stdout=subprocess.DEVNULL)
    log = open(os.path.join(WORK, "serve.log"), "w+")
    server = subprocess.Popen([MUTUA, "serve", "--db", db, "--listen", "127.0.0.1:0", "--connections", "4"], stdout=log,
                              stderr=subprocess.STDOUT)
    try:
        port = once = None
        for _ in range(200):
            time.sleep(0.05)
            text = open(log.name).read()
            m, p = re.search(r"on http://127\.0\.0\.1:(\d+)", text), re.search(r"one-time password: ([a-z0-9]+)", text)
            if m and p:
                port, once = int(m.group(1)), p.group(1)
                break
        assert port, open(log.name).read()
        admin = first_sign_in(port, "admin", once)
        s, _, b = call(port, "post", "/api/v1/users", admin, {"username": "holder", "kind": "provider"})
        assert s == 201, b
        user = json.loads(b)
        s, _, b = call(port, "put", f"/api/v1/users/{user['id']}/memberships", admin, {"provider": NURSE, "role": "holder"})
        assert s == 200, b
        holder = first_sign_in(port, "holder", user["one_time_password"])
        tokens = {"admin": admin, "holder": holder}
        operations = 0
        for path, ops in DOC["paths"].items():
            for method, op in ops.items():
                if (method, path) in SKIPPED:
                    continue
                params = op.get("parameters", [])
                content = op.get("requestBody", {}).get("content", {})
                if "application/json" in content:
                    body = strategy(content["application/json"]["schema"])
                    ctype = "application/json"
                elif content:
                    body = st.binary(max_size=400)
                    ctype = next(iter(content))
                else:
                    body = st.none()
                    ctype = "application/json"

                @settings(max_examples=EXAMPLES, deadline=None, database=None,
                          suppress_health_check=list(HealthCheck))
                @given(who=st.sampled_from(sorted(tokens)), target=path_strategy(path, params),
                       query=query_strategy(params), payload=body)
                def property_of_operation(who, target, query, payload):
                    q = urllib.parse.urlencode(query)
                    data = payload if isinstance(payload, bytes) or payload is None else json.dumps(payload).encode()
                    status, got_type, answer = call(port, method, target + ("?" + q if q else ""), tokens[who],
                                                    data, ctype)
                    check_answer(op["operationId"], status, got_type, answer, op)

                property_of_operation()
                operations += 1
        # The server is still up and whole after all that.
        s, _, _ = call(port, "get", "/health")
        assert s == 200
        print(f"api_properties: {operations} operations, {EXAMPLES} generated requests each: no 5xx, every JSON answer "
              "matches its schema")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    import urllib.parse
    main()
