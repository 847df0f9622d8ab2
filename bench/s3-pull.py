#!/usr/bin/env python3
"""`git lfs pull` from an S3 store (s3proxy, in memory, 127.0.0.1) in fresh clones, side by
side in one run: lfs-cloud as git-lfs runs it (eight agents) serving in-process, the same
relaying to a warm transfer server (lfs-cloud.server), the same with no server running
before the pull (the first pull starts it), lfs-cloud with one in-process agent
(lfs.customtransfer.lfs-cloud.concurrent=false), and bench/trivial-s3-agent.py (eight
agents, plain unsigned GETs, no checks) as the baseline. Two data sets: (a) 20 objects of
4 KB, (b) 16 objects of 8 MB. RUNS alternating rounds; medians and ratios to the baseline.
Then the cost of one relay (CPU, peak RSS) against one in-process agent, each serving set
(a) alone, and the server's RSS.
Usage: s3-pull.py AGENT S3PROXY_JAR [RUNS]"""
import json, os, shutil, statistics, subprocess, sys, tempfile, time
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
# the server's socket folder inside the benchmark's folder; LFS_CLOUD_SERVER=0 unless measuring it
server_dir = os.path.join(work, "srv")
os.mkdir(server_dir, 0o700)
env.update(LFS_CLOUD_SERVER_DIR=server_dir, LFS_CLOUD_SERVER="0")
server_env = dict(env, LFS_CLOUD_SERVER="1")

def stop_servers():
    out = subprocess.run([agent, "server", "status"], env=env, capture_output=True, text=True).stdout
    pids = [int(l.split(",")[0][4:]) for l in out.splitlines() if l.startswith("pid ")]
    subprocess.run([agent, "server", "stop"], env=env, stdout=subprocess.DEVNULL)
    for pid in pids:
        while os.path.exists("/proc/%d" % pid):
            time.sleep(0.02)

def server_rss():
    out = subprocess.run([agent, "server", "status"], env=env, capture_output=True, text=True).stdout
    return [int(l.split(" MB resident")[0].rsplit(" ", 1)[1]) for l in out.splitlines() if l.startswith("pid ")]

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
    if how == "server, cold":
        stop_servers()
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
    subprocess.run(["git", "lfs", "pull"], cwd=clone, env=server_env if how.startswith("server") else env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    git(clone, "lfs", "fsck", "--objects")
    shutil.rmtree(clone)
    return elapsed

sets = [("a", "(a) 20 x 4 KB", 20, 4096), ("b", "(b) 16 x 8 MB", 16, 8 << 20)]
hows = ["lfs-cloud", "server, warm", "server, cold", "one agent", "trivial"]
print("git lfs pull from s3proxy, 2 cores, median of %d" % runs)
for name, label, count, size in sets:
    origin = make(name, count, size)
    times = {h: [] for h in hows}
    for _ in range(runs):
        for h in hows:
            times[h].append(pull(origin, name, h))
    base = statistics.median(times["trivial"])
    print("  %-16s trivial agent %5.2f s" % (label, base))
    for h, shown in (("lfs-cloud", "in-process, 8 agents"), ("server, warm", "server warm, 8 relays"),
                     ("server, cold", "no server yet, 8 relays"), ("one agent", "in-process, 1 agent")):
        m = statistics.median(times[h])
        print("  %-16s %-24s %5.2f s   ratio %4.2f" % ("", shown, m, m / base))
    print("  %-16s server RSS after the set: %s MB" % ("", server_rss()))

def one_agent_cost(origin, size, how):
    """One agent process serving every object of the set, driven as git-lfs drives it: CPU
    seconds and peak RSS (VmHWM) of that process, read before terminate."""
    clone = tempfile.mkdtemp(dir=work)
    subprocess.run(["git", "clone", "-q", origin, clone], env=dict(env, GIT_LFS_SKIP_SMUDGE="1"), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    git(clone, "lfs-cloud", "install")
    pointers = subprocess.run(["git", "lfs", "ls-files", "-l"], cwd=clone, env=env, capture_output=True,
                              text=True, check=True).stdout.split()
    oids = pointers[0::3]
    p = subprocess.Popen([agent, "agent"], cwd=clone, env=server_env if how == "relay" else env,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    p.stdin.write('{"event":"init","operation":"download","remote":"origin","concurrent":true,"concurrenttransfers":8}\n')
    p.stdin.flush()
    p.stdout.readline()
    for oid in oids:
        p.stdin.write(json.dumps({"event": "download", "oid": oid, "size": size, "action": None}) + "\n")
        p.stdin.flush()
        while json.loads(p.stdout.readline()).get("event") != "complete":
            pass
    with open("/proc/%d/stat" % p.pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    with open("/proc/%d/status" % p.pid) as f:
        hwm = [int(l.split()[1]) for l in f if l.startswith("VmHWM")][0] // 1024
    p.stdin.write('{"event":"terminate"}\n'); p.stdin.close(); p.wait()
    shutil.rmtree(clone)
    return cpu, hwm

print("one agent process serving set (a), median of %d" % runs)
for how in ("in-process", "relay"):
    costs = [one_agent_cost(os.path.join(work, "a.git"), 4096, how) for _ in range(runs)]
    print("  %-12s CPU %.2f s   peak RSS %d MB" % (how, statistics.median(c[0] for c in costs),
                                                    statistics.median(c[1] for c in costs)))
print("  server RSS: %s MB" % server_rss())
stop_servers()
proxy.terminate(); proxy.wait()
shutil.rmtree(work)
