#!/usr/bin/env python3
"""`git lfs pull` from an S3 store (s3proxy, in memory, 127.0.0.1) in fresh clones, side by
side in one run: lfs-cloud as git-lfs runs it (eight agents), lfs-cloud with one agent
(lfs.customtransfer.lfs-cloud.concurrent=false), and bench/trivial-s3-agent.py (eight
agents, plain unsigned GETs, no checks) as the baseline. Two data sets: (a) 20 objects of
4 KB, (b) 16 objects of 8 MB. RUNS alternating rounds; medians and ratios to the baseline.
Usage: s3-pull.py AGENT S3PROXY_JAR [RUNS]"""
import os, shutil, statistics, subprocess, sys, tempfile, time
import s3proxy_server

agent, jar = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
runs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
here = os.path.dirname(os.path.abspath(__file__))
python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
work = tempfile.mkdtemp(prefix="lfs-cloud-s3-pull.")
proxy, endpoint = s3proxy_server.start(jar, work, "4g")
env = dict(os.environ, AWS_ACCESS_KEY_ID="a", AWS_SECRET_ACCESS_KEY="b", AWS_REGION="us-east-1",
           AWS_EC2_METADATA_DISABLED="true", PATH=os.path.dirname(agent) + ":" + os.environ["PATH"],
           GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@lfs-cloud.invalid",
           GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@lfs-cloud.invalid",
           # the endpoint is the user's setting (a repository may not choose where credentials go)
           GIT_CONFIG_COUNT="1", GIT_CONFIG_KEY_0="lfs-cloud.s3.endpoint", GIT_CONFIG_VALUE_0=endpoint)

def git(cwd, *args):
    subprocess.run(["git"] + list(args), cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

def make(name, count, size):
    origin, src = os.path.join(work, name + ".git"), os.path.join(work, name + "-src")
    subprocess.run(["git", "init", "-q", "-b", "main", "--bare", origin], check=True)
    subprocess.run(["git", "init", "-q", "-b", "main", src], check=True)
    git(src, "lfs-cloud", "install", "--store", "s3://bench/%s/" % name, "--shared")
    git(src, "lfs", "track", "*.bin")
    for i in range(count):
        with open(os.path.join(src, "f%03d.bin" % i), "wb") as f:
            f.write(os.urandom(size))
    git(src, "add", ".")
    git(src, "commit", "-q", "-m", "data")
    git(src, "remote", "add", "origin", origin)
    git(src, "push", "-q", "origin", "main")
    return origin

def pull(origin, name, how):
    clone = tempfile.mkdtemp(dir=work)
    subprocess.run(["git", "clone", "-q", origin, clone], env=dict(env, GIT_LFS_SKIP_SMUDGE="1"), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if how == "trivial":
        git(clone, "lfs", "install", "--local")
        git(clone, "config", "lfs.customtransfer.trivial.path", python)
        git(clone, "config", "lfs.customtransfer.trivial.args",
            "%s %s bench %s/" % (os.path.join(here, "trivial-s3-agent.py"), endpoint, name))
        git(clone, "config", "lfs.standalonetransferagent", "trivial")
    else:
        git(clone, "lfs-cloud", "install")
        if how == "one agent":
            git(clone, "config", "lfs.customtransfer.lfs-cloud.concurrent", "false")
    start = time.perf_counter()
    git(clone, "lfs", "pull")
    elapsed = time.perf_counter() - start
    git(clone, "lfs", "fsck", "--objects")
    shutil.rmtree(clone)
    return elapsed

sets = [("a", "(a) 20 x 4 KB", 20, 4096), ("b", "(b) 16 x 8 MB", 16, 8 << 20)]
hows = ["lfs-cloud", "one agent", "trivial"]
print("git lfs pull from s3proxy, 2 cores, median of %d" % runs)
for name, label, count, size in sets:
    origin = make(name, count, size)
    times = {h: [] for h in hows}
    for _ in range(runs):
        for h in hows:
            times[h].append(pull(origin, name, h))
    base = statistics.median(times["trivial"])
    print("  %-16s trivial agent %5.2f s" % (label, base))
    for h, shown in (("lfs-cloud", "lfs-cloud, 8 agents"), ("one agent", "lfs-cloud, 1 agent")):
        m = statistics.median(times[h])
        print("  %-16s %-20s %5.2f s   ratio %4.2f" % ("", shown, m, m / base))
proxy.terminate(); proxy.wait()
shutil.rmtree(work)
