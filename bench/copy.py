#!/usr/bin/env python3
"""`git lfs-cloud copy --to` from a folder store to S3 (s3proxy, in memory, 127.0.0.1) against
parallel `curl -T` uploads of the same object files (`xargs -P 8`, one curl per file), alternating
RUNS times; medians and ratios. Two sets: COUNT objects of 4 KB (default 2,000) and 1 GB in 4
objects. The repository's history holds real LFS pointers to the objects, which sit in the folder
store's layout; each run copies into a fresh prefix, and each run's objects are deleted after it.
lfs-cloud hashes every object it copies (read into .git/lfs/tmp through the verifying sink, then
uploaded with its SHA-256 for S3 to check); curl sends the files as they are.
Usage: copy.py GIT_LFS_CLOUD S3PROXY_JAR [RUNS] [COUNT]"""
import hashlib, os, shutil, statistics, subprocess, sys, tempfile, time, urllib.request
import s3proxy_server

cli, jar = os.path.abspath(sys.argv[1]), sys.argv[2]
runs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
count = int(sys.argv[4]) if len(sys.argv) > 4 else 2000
work = tempfile.mkdtemp(prefix="lfs-cloud-copy-bench.")
proxy, endpoint = s3proxy_server.start(jar, work, "6g")
env = dict(os.environ, AWS_ACCESS_KEY_ID="a", AWS_SECRET_ACCESS_KEY="b", AWS_REGION="us-east-1",
           AWS_EC2_METADATA_DISABLED="true", PATH=os.path.dirname(cli) + ":" + os.environ["PATH"])


def git(repo, *args):
    subprocess.run(["git", "-C", repo] + list(args), check=True, env=env, stdout=subprocess.DEVNULL)


def make(name, sizes):
    """A repository whose one commit points at objects of these sizes, stored in its folder store."""
    repo, store = os.path.join(work, name), os.path.join(work, name + "-store")
    git(work, "init", "-q", repo)
    for k, v in [("lfs-cloud.store", "file://" + store), ("lfs-cloud.s3.endpoint", endpoint),
                 ("user.name", "bench"), ("user.email", "bench@lfs-cloud.invalid")]:
        git(repo, "config", k, v)
    for i, size in enumerate(sizes):
        sha, path = hashlib.sha256(), os.path.join(work, "object.tmp")
        with open(path, "wb") as f:
            left = size
            while left:
                chunk = os.urandom(min(left, 1 << 20)); f.write(chunk); sha.update(chunk); left -= len(chunk)
        oid = sha.hexdigest()
        folder = os.path.join(store, oid[:2], oid[2:4]); os.makedirs(folder, exist_ok=True)
        os.rename(path, os.path.join(folder, oid))
        with open(os.path.join(repo, "f%05d.bin" % i), "w") as f:
            f.write("version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize %d\n" % (oid, size))
    git(repo, "add", "-A")
    git(repo, "-c", "core.hooksPath=/dev/null", "commit", "-q", "-m", "objects")
    return repo, store


def delete_prefix(prefix):
    listing = urllib.request.urlopen(endpoint + "/bench?list-type=2&max-keys=10000&prefix=" + prefix).read().decode()
    for key in [part.split("</Key>")[0] for part in listing.split("<Key>")[1:]]:
        urllib.request.urlopen(urllib.request.Request(endpoint + "/bench/" + key, method="DELETE")).read()


def timed(cmd, cwd):
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


sets = [("%d x 4 KB" % count, "small", [4096] * count), ("1 GB in 4 objects", "large", [256 << 20] * 4)]
for label, name, sizes in sets:
    repo, store = make(name, sizes)
    files = os.path.join(work, name + ".files")
    with open(files, "w") as f:
        for root, _, names in os.walk(store):
            for n in names:
                f.write(os.path.join(root, n) + "\n")
    lfs, curl = [], []
    for run in range(runs):
        git(repo, "config", "lfs-cloud.store.s3.url", "s3://bench/%s-lfs-%d/" % (name, run))
        lfs.append(timed([cli, "copy", "--to", "s3", "--jobs", "8"], repo))
        delete_prefix("%s-lfs-%d/" % (name, run))
        curl.append(timed(["sh", "-c", "xargs -P 8 -I{} curl -sf -T {} %s/bench/%s-curl-%d/ < %s"
                           % (endpoint, name, run, files)], repo))
        delete_prefix("%s-curl-%d/" % (name, run))
    a, b = statistics.median(lfs), statistics.median(curl)
    print("%-20s copy --to %6.2f s   curl -T (xargs -P 8) %6.2f s   ratio %.2f   (runs: %s / %s)"
          % (label, a, b, a / b, " ".join("%.2f" % t for t in lfs), " ".join("%.2f" % t for t in curl)))
    shutil.rmtree(os.path.join(work, name + "-store"))

proxy.terminate(); proxy.wait()
shutil.rmtree(work)
