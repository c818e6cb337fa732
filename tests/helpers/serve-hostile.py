#!/usr/bin/env python3
"""Send the hostile requests of a corpus to a netrig serve and check each answer.

    serve-hostile.py PORT CORPUS_DIR VARS.json

Each CORPUS_DIR/*.req is "key: value" lines (a first "#" line says why):

    request: METHOD PATH      PATH may hold {alice_run}
    token:   none | NAME (from VARS tokens) | wrong-secret | raw:HEADER VALUE
    body:    bundle NAME [TRANSFORM...] | text:TEXT | deep N   (none: no body)
    send:    whole (default) | chunked | truncate
    header:  NAME: VALUE      one more header (repeatable as header2:, header3:)
    sign:    NAME [other]     X-Hub-Signature-256 of the body with VARS secrets NAME
                              (other: of another body)
    expect:  STATUS | closed

VARS.json: {"tokens": {NAME: TOKEN}, "bundles": {NAME: FILE}, "secrets": {NAME:
SECRET}, "alice_run": ID, "alice_case": ID}. Requests go over raw sockets (HTTP/1.1, Connection: close),
so that a body can lie about its length or stop halfway. An answer of 4xx or
5xx must be JSON {"error": {"status": N, "message": ...}}. Exit 1 on the first
case whose answer is not the expected one.
"""
import hashlib
import hmac
import json
import os
import socket
import sys

port = int(sys.argv[1])
corpus = sys.argv[2]
vars_ = json.load(open(sys.argv[3]))


def bundle(name, transforms):
    doc = json.load(open(vars_["bundles"][name]))
    run = doc["run"]
    t = doc["tables"]
    other = "0190a0b0-0000-7000-8000-00000000beef"
    for x in transforms:
        if x == "schema-4":
            doc["schema"] = 4
        elif x == "string-for-int":
            t["cases"]["rows"][0][2] = "one"
        elif x == "extra-column":
            t["hosts"]["columns"] += ", secret"
        elif x == "sql-id":
            doc["run"] = t["runs"]["rows"][0][0] = "x'); DROP TABLE runs; --"
        elif x == "forge-upload":
            t["uploads"] = {"columns": "run_id, user_name, uploaded_at",
                            "rows": [[run, "bob", 1]]}
        elif x == "host-other-run":
            t["hosts"]["rows"][0][1] = other
        elif x == "sample-orphan":
            t["samples"]["rows"][0][0] = other
        elif x == "two-runs":
            r = list(t["runs"]["rows"][0])
            r[0] = other
            t["runs"]["rows"].append(r)
        elif x == "steal-case":
            text = json.dumps(doc).replace(t["cases"]["rows"][0][0], vars_["alice_case"])
            doc = json.loads(text)
        elif x == "bad-base64":
            t.setdefault("outputs", {"columns": "attempt_id, role, host, stream, size, dropped,"
                                     " compression, data", "rows": []})
            a = t["attempts"]["rows"][0][0]
            t["outputs"]["rows"].append([a, "main", None, "stdout", 3, 0, "none", "%%%%"])
        elif x == "foreign-metric":
            t["metrics"]["rows"].append(["not_in_this_run", "s", "higher"])
        elif x == "nul-text":
            t["runs"]["rows"][0][1] = "camp\0aign"
        elif x in ("cut", "pad-200k"):
            pass
        else:
            raise SystemExit("unknown transform " + x)
    body = json.dumps(doc).encode()
    if "cut" in transforms:
        body = body[: len(body) // 2]
    if "pad-200k" in transforms:
        body = body[:-1] + b', "pad": "' + b"x" * 200000 + b'"}'
    return body


def make_body(spec):
    if spec is None:
        return None
    if spec.startswith("text:"):
        return spec[5:].encode()
    words = spec.split()
    if words[0] == "bundle":
        return bundle(words[1], words[2:])
    if words[0] == "deep":
        n = int(words[1])
        return b"[" * n + b"1" + b"]" * n
    if words[0] == "padded":
        # a JSON object of the text after the size, grown past SIZE bytes
        return b'{"pad": "' + b"x" * int(words[1]) + b'"}'
    if words[0] == "webhook":
        # a real-shaped push delivery (tests/fixtures/serve/github/push.json) of REPO
        text = open(os.path.join(os.path.dirname(corpus), "github", "push.json")).read()
        sha = "0123456789abcdef0123456789abcdef01234567"
        for k, v in (("@REPO@", words[1]), ("@SHA@", sha), ("@BEFORE@", sha), ("@BRANCH@", "main"),
                     ("@USER@", "alice")):
            text = text.replace(k, v)
        return text.encode()
    raise SystemExit("unknown body " + spec)


def auth(spec):
    if spec == "none":
        return None
    if spec.startswith("raw:"):
        return spec[4:]
    if spec == "wrong-secret":
        tok = vars_["tokens"]["alice"]
        return "Bearer " + tok[:21] + ("0" if tok[21] != "0" else "1") * 64
    return "Bearer " + vars_["tokens"][spec]


def signature(spec, body):
    words = spec.split()
    key = vars_["secrets"][words[0]].encode()
    signed = body + b" " if words[1:] == ["other"] else body
    return "X-Hub-Signature-256: sha256=" + hmac.new(key, signed, hashlib.sha256).hexdigest()


def send(method, path, authorization, body, how, extra=()):
    s = socket.create_connection(("127.0.0.1", port), timeout=20)
    head = "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n" % (method, path, port)
    if authorization:
        head += "Authorization: %s\r\n" % authorization
    for h in extra:
        head += h + "\r\n"
    if body is not None:
        head += "Content-Type: application/json\r\n"
        if how == "chunked":
            head += "Transfer-Encoding: chunked\r\n"
        else:
            head += "Content-Length: %d\r\n" % len(body)
    s.sendall((head + "\r\n").encode())
    try:
        if body is not None and how == "chunked":
            for i in range(0, len(body), 8192):
                part = body[i:i + 8192]
                s.sendall(b"%x\r\n" % len(part) + part + b"\r\n")
            s.sendall(b"0\r\n\r\n")
        elif body is not None and how == "truncate":
            s.sendall(body[: len(body) // 3])
            s.shutdown(socket.SHUT_WR)
        elif body is not None:
            s.sendall(body)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server answered early and closed: read what it said
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except (ConnectionResetError, socket.timeout):
        pass
    s.close()
    return data


def check(name, req):
    method, path = req["request"].split(" ", 1)
    path = path.format(**vars_)
    body = make_body(req.get("body"))
    extra = [req[k] for k in ("header", "header2", "header3") if k in req]
    if "sign" in req:
        extra.append(signature(req["sign"], body or b""))
    data = send(method, path, auth(req.get("token", "none")), body, req.get("send", "whole"), extra)
    want = req["expect"]
    if not data.startswith(b"HTTP/1."):
        got = "closed"
    else:
        got = data.split(b" ", 2)[1].decode()
    if got != want:
        print("FAIL %s: expected %s, got %s: %r" % (name, want, got, data[:400]))
        return False
    if got != "closed" and int(got) >= 400:
        text = data.split(b"\r\n\r\n", 1)[1]
        err = json.loads(text)["error"]
        if err["status"] != int(got) or not err["message"]:
            print("FAIL %s: not a JSON error: %r" % (name, text))
            return False
    print("ok %s: %s" % (name, got))
    return True


ok = True
for f in sorted(os.listdir(corpus)):
    if not f.endswith(".req"):
        continue
    req = {}
    for line in open(os.path.join(corpus, f)):
        line = line.rstrip("\n")
        if line.startswith("#") or not line:
            continue
        k, v = line.split(":", 1)
        req[k.strip()] = v.strip()
    ok = check(f[:-4], req) and ok
sys.exit(0 if ok else 1)
