#!/usr/bin/env python3
"""Upload bundles to a netrig serve from several threads at once, as bench/serve.sh's wrk does.

    serve-load.py URL TOKEN BUNDLE OUT.json [--threads N] [--seconds S]
                  [--until METRIC=N] [--wal FILE] [--bad-every K] [--stop-file FILE]
                  [--seed K] [--poison-every K --poison FROM=TO]

Each request is BUNDLE with new ids (every UUID keeps its first 24
characters; its last 12 hex digits become its number in the bundle, the
thread's and a counter, from K * 2^24: the rows still point at each other;
another K, other ids). With
--bad-every K every K-th request of a thread keeps the bundle's own ids
but for the run's: its rows then belong to the run BUNDLE is (upload it
first), and the server must refuse it with 409 alone. With --poison-every
K every K-th request (not a bad one) has the text FROM of BUNDLE replaced
by TO: a bundle the test's database refuses in the write (a trigger),
after its checks passed.

Stops after S seconds (default 30), or once /metrics shows METRIC >= N, or
when FILE exists (--stop-file), or when every thread lost the server (no
new connection: it stopped). --wal samples the size of FILE every 20 ms.
Writes OUT.json: {"sent", "status": {"201": n, ...}, "conn_errors",
"wal_max", "good": [run ids answered 201], "bad": [run ids sent bad],
"poison": [run ids sent poisoned]}.
"""
import http.client
import json
import os
import re
import sys
import threading
import time
import urllib.parse
import urllib.request

args = sys.argv[1:]
url, token, bundle_path, out_path = args[:4]
opts = {"--threads": "8", "--seconds": "30", "--until": None, "--wal": None,
        "--bad-every": "0", "--stop-file": None, "--seed": "0",
        "--poison-every": "0", "--poison": "="}
i = 4
while i < len(args):
    if args[i] not in opts or i + 1 >= len(args):
        sys.exit("serve-load.py: unknown or incomplete option %s" % args[i])
    opts[args[i]] = args[i + 1]
    i += 2
threads, seconds = int(opts["--threads"]), float(opts["--seconds"])
bad_every = int(opts["--bad-every"])
poison_every = int(opts["--poison-every"])
poison_from, poison_to = opts["--poison"].split("=", 1)
u = urllib.parse.urlsplit(url)
body = open(bundle_path).read()
run_id = json.loads(body)["run"]
uuid = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
order = {}
for m in uuid.finditer(body):
    order.setdefault(m.group(0), len(order) + 1)

lock = threading.Lock()
result = {"sent": 0, "status": {}, "conn_errors": 0, "wal_max": 0, "good": [], "bad": [],
          "poison": []}
stop = threading.Event()


def bundle_for(tid, n, bad):
    def new(m):
        old = m.group(0)
        if bad and old != run_id:
            return old
        return old[:24] + "%02x%02x%08x" % (order[old] % 256, tid, n)
    text = uuid.sub(new, body)
    return text, json.loads(text)["run"]


def worker(tid):
    conn, n, lost = None, int(opts["--seed"]) << 24, 0
    while not stop.is_set():
        n += 1
        bad = bad_every > 0 and n % bad_every == 0
        poison = not bad and poison_every > 0 and n % poison_every == 0
        text, rid = bundle_for(tid, n, bad)
        if poison:
            text = text.replace(poison_from, poison_to)
        try:
            if conn is None:
                conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
            conn.request("POST", "/api/v1/runs", body=text.encode(),
                         headers={"Authorization": "Bearer " + token,
                                  "Content-Type": "application/json"})
            resp = conn.getresponse()
            resp.read()
            lost = 0
            with lock:
                result["sent"] += 1
                key = str(resp.status)
                result["status"][key] = result["status"].get(key, 0) + 1
                if bad or poison:
                    result["bad" if bad else "poison"].append(rid)
                elif resp.status == 201:
                    result["good"].append(rid)
        except (OSError, http.client.HTTPException):
            with lock:
                result["conn_errors"] += 1
            if conn is not None:
                conn.close()
            conn = None
            lost += 1
            if lost >= 3:  # the server is gone
                return
            time.sleep(0.05)


def metric(name):
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/metrics", timeout=10) as r:
            for line in r.read().decode().splitlines():
                if line.startswith(name + " "):
                    return float(line.split()[1])
    except OSError:
        pass
    return None


ts = [threading.Thread(target=worker, args=(t + 1,)) for t in range(threads)]
for t in ts:
    t.start()
end = time.monotonic() + seconds
next_metric = 0.0
until = opts["--until"].split("=") if opts["--until"] else None
while time.monotonic() < end and any(t.is_alive() for t in ts):
    if opts["--stop-file"] and os.path.exists(opts["--stop-file"]):
        break
    if opts["--wal"]:
        try:
            size = os.path.getsize(opts["--wal"])
            result["wal_max"] = max(result["wal_max"], size)
        except OSError:
            pass
    if until and time.monotonic() >= next_metric:
        v = metric(until[0])
        if v is not None and v >= float(until[1]):
            break
        next_metric = time.monotonic() + 0.5
    time.sleep(0.02)
stop.set()
for t in ts:
    t.join()
json.dump(result, open(out_path, "w"))
