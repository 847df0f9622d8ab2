#!/usr/bin/env python3
"""Baseline for bench/s3-pull.py: the least an S3 transfer agent can do against a store that
needs no signatures (s3proxy with authorization=none). No checks, no retries, no hashing:
GET <endpoint>/<bucket>/<prefix><oid[0:2]>/<oid[2:4]>/<oid> into .git/lfs/tmp and answer.
Usage: trivial-s3-agent.py ENDPOINT BUCKET PREFIX"""
import json, os, shutil, sys, urllib.request

endpoint, bucket, prefix = sys.argv[1], sys.argv[2], sys.argv[3]
for line in sys.stdin:
    msg = json.loads(line)
    if msg["event"] == "init":
        print("{}", flush=True)
    elif msg["event"] == "terminate":
        break
    elif msg["event"] == "download":
        oid = msg["oid"]
        url = "%s/%s/%s%s/%s/%s" % (endpoint, bucket, prefix, oid[0:2], oid[2:4], oid)
        os.makedirs(".git/lfs/tmp", exist_ok=True)
        path = os.path.abspath(".git/lfs/tmp/" + oid + ".trivial")
        with urllib.request.urlopen(url) as r, open(path, "wb") as f:
            shutil.copyfileobj(r, f, 1 << 20)
        print(json.dumps({"event": "progress", "oid": oid, "bytesSoFar": msg["size"], "bytesSinceLast": msg["size"]}))
        print(json.dumps({"event": "complete", "oid": oid, "path": path}), flush=True)
    else:
        print(json.dumps({"event": "complete", "oid": msg["oid"], "error": {"code": 400, "message": "download only"}}),
              flush=True)
