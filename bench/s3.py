#!/usr/bin/env python3
"""S3 through lfs-cloud against curl, on the same s3proxy (in-memory store, 127.0.0.1):
upload and download of one SIZE_MB object by `git-lfs-cloud agent` (driven the way git-lfs
drives it) versus `curl -T` and `curl -o FILE` (into the same folder as the agent's download:
both write to disk; the agent also hashes), alternating RUNS times; medians and ratios. The
agent downloads with its defaults (parallel ranged GETs) and once more with one connection
(`lfs-cloud.s3.downloadConcurrency=1`). Also the agent's peak resident memory while it moves
the object (VmHWM), and curl to /dev/null for reference.
Usage: s3.py AGENT S3PROXY_JAR [RUNS] [SIZE_MB]
LFS_CLOUD_BASELINE_AGENT=/path/to/another/bin/git-lfs-cloud (an older build, say) adds that
agent's upload and download (4 GETs) to the same run: before/after figures of a change."""
import hashlib, json, os, shutil, statistics, subprocess, sys, tempfile, time, urllib.request
import s3proxy_server

agent, jar = os.path.abspath(sys.argv[1]), sys.argv[2]
baseline = os.environ.get("LFS_CLOUD_BASELINE_AGENT")
runs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
size_mb = int(sys.argv[4]) if len(sys.argv) > 4 else 1024
work = tempfile.mkdtemp(prefix="lfs-cloud-s3-bench.")
proxy, endpoint = s3proxy_server.start(jar, work, "8g")

repo = os.path.join(work, "repo")
subprocess.run(["git", "init", "-q", repo], check=True)
for k, v in [("lfs-cloud.store", "s3://bench/lfs/"), ("lfs-cloud.s3.endpoint", endpoint)]:
    subprocess.run(["git", "-C", repo, "config", k, v], check=True)
env = dict(os.environ, AWS_ACCESS_KEY_ID="a", AWS_SECRET_ACCESS_KEY="b", AWS_REGION="us-east-1",
           AWS_EC2_METADATA_DISABLED="true")
data = os.path.join(work, "data.bin")
sha = hashlib.sha256()
with open(data, "wb") as f:
    for _ in range(size_mb):
        chunk = os.urandom(1 << 20); f.write(chunk); sha.update(chunk)
oid, size = sha.hexdigest(), size_mb << 20

def agent_run(op, key_suffix, which=None):
    """Uploads or downloads the object through one agent; returns (seconds, peak RSS MB)."""
    p = subprocess.Popen([which or agent, "agent"], cwd=repo, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    p.stdin.write(json.dumps({"event": "init", "operation": op, "remote": "origin", "concurrent": True,
                              "concurrenttransfers": 8}, separators=(",", ":")) + "\n"); p.stdin.flush(); p.stdout.readline()
    msg = {"event": op, "oid": oid, "size": size, "action": None}
    if op == "upload":
        msg["path"] = data
    start = time.perf_counter()
    p.stdin.write(json.dumps(msg) + "\n"); p.stdin.flush()
    peak = 0
    while True:
        r = json.loads(p.stdout.readline())
        if r["event"] == "complete":
            break
    elapsed = time.perf_counter() - start
    with open("/proc/%d/status" % p.pid) as f:
        peak = next(int(l.split()[1]) for l in f if l.startswith("VmHWM:")) / 1024
    p.stdin.write('{"event":"terminate"}\n'); p.stdin.close(); p.wait()
    if r.get("error"):
        raise SystemExit("agent %s failed: %s" % (op, r))
    if op == "download":
        os.remove(r["path"])
    return elapsed, peak

def delete_object():
    key = "lfs/%s/%s/%s" % (oid[:2], oid[2:4], oid)
    urllib.request.urlopen(urllib.request.Request(endpoint + "/bench/" + key, method="DELETE")).read()

def curl(*args):
    start = time.perf_counter()
    subprocess.run(["curl", "-sf"] + list(args), check=True)
    return time.perf_counter() - start

def concurrency(n):
    subprocess.run(["git", "-C", repo, "config", "lfs-cloud.s3.downloadConcurrency", str(n)], check=True)

times = {k: [] for k in ("up", "curl up", "down", "down 1", "curl down", "curl null", "base up", "base down")}
peaks = {"up": [], "down": [], "down 1": []}
url = endpoint + "/bench/lfs/%s/%s/%s" % (oid[:2], oid[2:4], oid)  # the object lfs-cloud uploaded
for _ in range(runs):
    t, peak = agent_run("upload", ""); times["up"].append(t); peaks["up"].append(peak)
    times["curl up"].append(curl("-T", data, "-H", "Content-Type: application/octet-stream", endpoint + "/bench/curl.bin"))
    concurrency(4)
    t, peak = agent_run("download", ""); times["down"].append(t); peaks["down"].append(peak)
    copy = os.path.join(repo, ".git", "curl.bin")
    times["curl down"].append(curl("-o", copy, url)); os.remove(copy)
    concurrency(1)
    t, peak = agent_run("download", ""); times["down 1"].append(t); peaks["down 1"].append(peak)
    times["curl null"].append(curl("-o", "/dev/null", url))
    delete_object()
    if baseline:
        times["base up"].append(agent_run("upload", "", baseline)[0])
        concurrency(4)
        times["base down"].append(agent_run("download", "", baseline)[0])
        delete_object()
m = {k: statistics.median(v) for k, v in times.items() if v}
print("S3 (s3proxy, in memory, loopback), %d MB, median of %d" % (size_mb, runs))
print("  upload            lfs-cloud %6.2f s   curl -T      %6.2f s   ratio %4.2f   peak RSS %4.0f MB"
      % (m["up"], m["curl up"], m["up"] / m["curl up"], max(peaks["up"])))
print("  download (4 GETs) lfs-cloud %6.2f s   curl -o FILE %6.2f s   ratio %4.2f   peak RSS %4.0f MB"
      % (m["down"], m["curl down"], m["down"] / m["curl down"], max(peaks["down"])))
print("  download (1 GET)  lfs-cloud %6.2f s   curl -o FILE %6.2f s   ratio %4.2f   peak RSS %4.0f MB"
      % (m["down 1"], m["curl down"], m["down 1"] / m["curl down"], max(peaks["down 1"])))
print("  (curl -o /dev/null: %.2f s)" % m["curl null"])
if baseline:
    print("  baseline build:   upload %6.2f s (this build / baseline %4.2f)   download (4 GETs) %6.2f s (%4.2f)"
          % (m["base up"], m["up"] / m["base up"], m["base down"], m["down"] / m["base down"]))
proxy.terminate(); proxy.wait()
shutil.rmtree(work)
