#!/usr/bin/env python3
"""Google Cloud Storage through lfs-cloud against curl, on the same fake GCS server (the test
kit's FakeGcs, in memory, 127.0.0.1; no real GCS): upload and download of one SIZE_MB object by
`git-lfs-cloud agent` (driven the way git-lfs drives it, credentials from a service-account key
whose token endpoint is the fake's) versus `curl -T` (one media upload) and `curl -o FILE` (one
GET) with a bearer token, alternating RUNS times; medians and ratios, and the agent's peak
resident memory (VmHWM). Needs backend-testkit built (target/classes).
Usage: gcs.py AGENT [RUNS] [SIZE_MB]"""
import hashlib, json, os, shutil, statistics, subprocess, sys, tempfile, time

agent = os.path.abspath(sys.argv[1])
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
size_mb = int(sys.argv[3]) if len(sys.argv) > 3 else 1024
here = os.path.dirname(os.path.abspath(__file__))
# the fake needs a full JDK 25 (jdk.httpserver): $LFS_CLOUD_JDK, $JAVA_HOME, or scripts/lib.sh's search
jdk = os.environ.get("LFS_CLOUD_JDK") or subprocess.run(["bash", "-c", "source '%s/../scripts/lib.sh' && find_jdk25" % here],
                                                         check=True, capture_output=True, text=True).stdout.strip()
java = os.path.join(jdk, "bin", "java")

work = tempfile.mkdtemp(prefix="lfs-cloud-gcs-bench.")
server = subprocess.Popen([java, "-Xmx%dm" % (5 * size_mb + 512), "-cp", os.path.join(here, "..", "backend-testkit", "target", "classes"),
                           os.path.join(here, "FakeGcsServer.java"), work], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
endpoint, key, token = server.stdout.readline().split()
repo = os.path.join(work, "repo")
subprocess.run(["git", "init", "-q", repo], check=True)
subprocess.run(["git", "-C", repo, "config", "lfs-cloud.store", "gs://bench/lfs/"], check=True)
subprocess.run(["git", "-C", repo, "config", "lfs-cloud.gcs.endpoint", endpoint], check=True)
env = dict(os.environ, GOOGLE_APPLICATION_CREDENTIALS=key)
data = os.path.join(work, "data.bin")
sha = hashlib.sha256()
with open(data, "wb") as f:
    for _ in range(size_mb):
        chunk = os.urandom(1 << 20); f.write(chunk); sha.update(chunk)
oid, size = sha.hexdigest(), size_mb << 20
name = "lfs/%s/%s/%s" % (oid[:2], oid[2:4], oid)
auth = "Authorization: Bearer " + token

def curl(*args):
    start = time.perf_counter()
    subprocess.run(["curl", "-sSf", "-H", auth] + list(args), check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start

def agent_run(op):
    """Uploads or downloads the object through one agent; returns (seconds, peak RSS MB)."""
    p = subprocess.Popen([agent, "agent"], cwd=repo, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                         env=dict(env, LFS_CLOUD_TRACE=os.environ.get("LFS_CLOUD_TRACE", "")))
    p.stdin.write(json.dumps({"event": "init", "operation": op, "remote": "origin", "concurrent": True,
                              "concurrenttransfers": 8}, separators=(",", ":")) + "\n"); p.stdin.flush(); p.stdout.readline()
    msg = {"event": op, "oid": oid, "size": size, "action": None}
    if op == "upload":
        msg["path"] = data
    start = time.perf_counter()
    p.stdin.write(json.dumps(msg) + "\n"); p.stdin.flush()
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

times = {k: [] for k in ("up", "curl up", "down", "curl down")}
peaks = {"up": [], "down": []}
for _ in range(runs):
    t, peak = agent_run("upload"); times["up"].append(t); peaks["up"].append(peak)
    times["curl up"].append(curl("-X", "POST", "-T", data, "-H", "Content-Type: application/octet-stream",
                                 endpoint + "/upload/storage/v1/b/bench/o?uploadType=media&name=curl.bin"))
    t, peak = agent_run("download"); times["down"].append(t); peaks["down"].append(peak)
    copy = os.path.join(repo, ".git", "curl.bin")
    times["curl down"].append(curl("-o", copy, endpoint + "/download/storage/v1/b/bench/o/" + name.replace("/", "%2F") + "?alt=media"))
    os.remove(copy)
    curl("-X", "DELETE", endpoint + "/storage/v1/b/bench/o/" + name.replace("/", "%2F"))
m = {k: statistics.median(v) for k, v in times.items()}
print("GCS (FakeGcs, in memory, loopback), %d MB, median of %d" % (size_mb, runs))
print("  upload (resumable) lfs-cloud %6.2f s   curl -T      %6.2f s   ratio %4.2f   peak RSS %4.0f MB"
      % (m["up"], m["curl up"], m["up"] / m["curl up"], max(peaks["up"])))
print("  download (ranges)  lfs-cloud %6.2f s   curl -o FILE %6.2f s   ratio %4.2f   peak RSS %4.0f MB"
      % (m["down"], m["curl down"], m["down"] / m["curl down"], max(peaks["down"])))
server.stdin.close(); server.wait()
shutil.rmtree(work)
