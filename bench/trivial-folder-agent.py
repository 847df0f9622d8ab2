#!/usr/bin/env python3
"""Baseline for the benchmarks: the least a folder-store transfer agent can do.
No checks, no retries, no hashing: copy <store>/<oid[0:2]>/<oid[2:4]>/<oid> and answer."""
import json, os, shutil, sys

store = sys.argv[1]
for line in sys.stdin:
    msg = json.loads(line)
    if msg["event"] == "init":
        print("{}", flush=True)
    elif msg["event"] == "terminate":
        break
    else:
        oid = msg["oid"]
        stored = os.path.join(store, oid[0:2], oid[2:4], oid)
        if msg["event"] == "download":
            os.makedirs(".git/lfs/tmp", exist_ok=True)
            path = os.path.abspath(".git/lfs/tmp/" + oid + ".trivial")
            shutil.copyfile(stored, path)
            reply = {"event": "complete", "oid": oid, "path": path}
        else:
            os.makedirs(os.path.dirname(stored), exist_ok=True)
            shutil.copyfile(msg["path"], stored)
            reply = {"event": "complete", "oid": oid}
        print(json.dumps({"event": "progress", "oid": oid, "bytesSoFar": msg["size"], "bytesSinceLast": msg["size"]}))
        print(json.dumps(reply), flush=True)
