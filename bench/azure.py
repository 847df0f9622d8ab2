#!/usr/bin/env python3
"""Azure Blob Storage through lfs-cloud against curl, on the same Azurite (in memory,
127.0.0.1): upload and download of one SIZE_MB object by `git-lfs-cloud agent` (driven the
way git-lfs drives it, credentials from Azurite's connection string) versus `curl -T` and
`curl -o FILE` with a SAS token (into the same folder as the agent's download: both write to
disk; the agent also hashes), alternating RUNS times; medians and ratios, and the agent's
peak resident memory (VmHWM). Azurite is installed by scripts/install-azurite.sh.
Usage: azure.py AGENT [RUNS] [SIZE_MB] [AZURITE_BLOB]"""
import base64, datetime, hashlib, hmac, json, os, shutil, socket, statistics, subprocess, sys, tempfile, time
import urllib.parse

agent = os.path.abspath(sys.argv[1])
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
size_mb = int(sys.argv[3]) if len(sys.argv) > 3 else 1024
here = os.path.dirname(os.path.abspath(__file__))
azurite = sys.argv[4] if len(sys.argv) > 4 else os.path.join(here, "..", ".tools", "azurite", "node_modules", ".bin", "azurite-blob")
ACCOUNT = "devstoreaccount1"
# the development account's key, published in Azure's documentation of Azurite
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

work = tempfile.mkdtemp(prefix="lfs-cloud-azure-bench.")
with socket.socket() as s:
    s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]
os.makedirs(os.path.join(work, "tmp"))
server = subprocess.Popen([azurite, "--blobHost", "127.0.0.1", "--blobPort", str(port), "--inMemoryPersistence",
                           "--skipApiVersionCheck", "--loose", "--disableTelemetry", "--silent"], cwd=work,
                          env=dict(os.environ, TMPDIR=os.path.join(work, "tmp")), stdout=subprocess.DEVNULL)
endpoint = "http://127.0.0.1:%d/%s" % (port, ACCOUNT)
for _ in range(600):
    try:
        socket.create_connection(("127.0.0.1", port), 1).close(); break
    except OSError:
        time.sleep(0.1)

def sas():
    """An account SAS for the blob service, an hour long (what curl authenticates with)."""
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    st, se = [(now + datetime.timedelta(minutes=m)).strftime("%Y-%m-%dT%H:%M:%SZ") for m in (-5, 60)]
    v = "2021-12-02"
    to_sign = "\n".join([ACCOUNT, "rwdlac", "b", "sco", st, se, "", "http,https", v, "", ""])
    sig = base64.b64encode(hmac.new(base64.b64decode(KEY), to_sign.encode(), hashlib.sha256).digest()).decode()
    return urllib.parse.urlencode({"sv": v, "ss": "b", "srt": "sco", "sp": "rwdlac", "st": st, "se": se,
                                   "spr": "http,https", "sig": sig})
token = sas()

def curl(*args):
    start = time.perf_counter()
    subprocess.run(["curl", "-sf"] + list(args), check=True)
    return time.perf_counter() - start

curl("-X", "PUT", "-H", "Content-Length: 0", endpoint + "/bench?restype=container&" + token)
repo = os.path.join(work, "repo")
subprocess.run(["git", "init", "-q", repo], check=True)
subprocess.run(["git", "-C", repo, "config", "lfs-cloud.store", "az://%s/bench/lfs/" % ACCOUNT], check=True)
env = dict(os.environ, AZURE_STORAGE_CONNECTION_STRING="DefaultEndpointsProtocol=http;AccountName=%s;AccountKey=%s;"
           "BlobEndpoint=%s;" % (ACCOUNT, KEY, endpoint))
data = os.path.join(work, "data.bin")
sha = hashlib.sha256()
with open(data, "wb") as f:
    for _ in range(size_mb):
        chunk = os.urandom(1 << 20); f.write(chunk); sha.update(chunk)
oid, size = sha.hexdigest(), size_mb << 20
url = endpoint + "/bench/lfs/%s/%s/%s" % (oid[:2], oid[2:4], oid)

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
    times["curl up"].append(curl("-T", data, "-H", "x-ms-blob-type: BlockBlob", "-H", "Content-Type: application/octet-stream",
                                 endpoint + "/bench/curl.bin?" + token))
    t, peak = agent_run("download"); times["down"].append(t); peaks["down"].append(peak)
    copy = os.path.join(repo, ".git", "curl.bin")
    times["curl down"].append(curl("-o", copy, url + "?" + token)); os.remove(copy)
    curl("-X", "DELETE", url + "?" + token)
m = {k: statistics.median(v) for k, v in times.items()}
print("Azure (Azurite, in memory, loopback), %d MB, median of %d" % (size_mb, runs))
print("  upload (blocks)    lfs-cloud %6.2f s   curl -T      %6.2f s   ratio %4.2f   peak RSS %4.0f MB"
      % (m["up"], m["curl up"], m["up"] / m["curl up"], max(peaks["up"])))
print("  download (ranges)  lfs-cloud %6.2f s   curl -o FILE %6.2f s   ratio %4.2f   peak RSS %4.0f MB"
      % (m["down"], m["curl down"], m["down"] / m["curl down"], max(peaks["down"])))
server.terminate(); server.wait()
shutil.rmtree(work)
