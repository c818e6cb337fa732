#!/usr/bin/env python3
"""A fake GitHub API on loopback for netrig serve's tests.

    fake-github.py PORT_FILE LOG_FILE [PR_HEADS.json]

Listens on 127.0.0.1, port 0; writes the port to PORT_FILE once it
listens. Every request is appended to LOG_FILE as one JSON line: {"method",
"path", "authorization", "body"} (body parsed when it is JSON). GET
/repos/O/R/pulls/N answers {"number": N, "head": {"sha", "ref"}} from
PR_HEADS.json ({"O/R#N": {"sha": ..., "ref": ...}}; read at each request,
so a test may write it later), 404 for others. POST .../statuses/SHA and
.../issues/N/comments answer 201 with an id; anything else 404. A file
FAIL_NEXT beside LOG_FILE holding a number N makes the next N POSTs answer
500 (and is counted down), for the server's retries.
"""
import json
import os
import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port_file, log_file = sys.argv[1], sys.argv[2]
heads_file = sys.argv[3] if len(sys.argv) > 3 else None
fail_file = os.path.join(os.path.dirname(os.path.abspath(log_file)), "FAIL_NEXT")
counter = [1000]


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, doc):
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def record(self, body):
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = body.decode(errors="replace")
        with open(log_file, "a") as f:
            f.write(json.dumps({"method": self.command, "path": self.path,
                                "authorization": self.headers.get("Authorization"),
                                "body": parsed}) + "\n")

    def do_GET(self):
        self.record(b"")
        m = re.fullmatch(r"/repos/([^/]+/[^/]+)/pulls/(\d+)", self.path)
        heads = {}
        if heads_file and os.path.exists(heads_file):
            heads = json.load(open(heads_file))
        key = m and "%s#%s" % (m.group(1), m.group(2))
        if key in heads:
            self.answer(200, {"number": int(m.group(2)), "state": "open", "head": heads[key]})
        else:
            self.answer(404, {"message": "Not Found"})

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n)
        self.record(body)
        if os.path.exists(fail_file):
            left = int(open(fail_file).read() or 0)
            if left > 0:
                open(fail_file, "w").write(str(left - 1))
                self.answer(500, {"message": "fake failure"})
                return
        counter[0] += 1
        if re.fullmatch(r"/repos/[^/]+/[^/]+/statuses/[0-9a-f]+", self.path) or \
                re.fullmatch(r"/repos/[^/]+/[^/]+/issues/\d+/comments", self.path):
            self.answer(201, {"id": counter[0]})
        else:
            self.answer(404, {"message": "Not Found"})


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
