#!/usr/bin/env python3
"""`git lfs pull` from a real Git LFS server (JGit's, the test kit's LfsServer: Jetty on
127.0.0.1, basic authentication, objects in a folder) in fresh clones, side by side in one run:
plain git-lfs with its own `basic` transfer (the baseline), lfs-cloud as the repository's
default store (no lfs-cloud store: the repository's LFS server, through the Batch API) with
git-lfs's eight agents serving in-process, and the same relaying to a warm transfer server
(lfs-cloud.server, warmed by an untimed first pull). Credentials come from git's `store`
helper for every client. Two data sets: (a) 2,000 objects of 4 KB, (b) 1 GB in 4 files.
RUNS alternating rounds; medians, ratios to plain git-lfs, and the Batch API calls each
client made per pull (from the server's log).
Needs the product built (scripts/build.sh) and backend-testkit compiled (target/classes);
(b) needs ~6 GB of free disk in $TMPDIR.
Usage: lfs-server.py AGENT [RUNS] [SETS]   (SETS: "ab", default)"""
import os, shutil, statistics, subprocess, sys, tempfile, time

agent = os.path.abspath(sys.argv[1])
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
chosen = sys.argv[3] if len(sys.argv) > 3 else "ab"
here = os.path.dirname(os.path.abspath(__file__))
root = os.path.join(here, "..")
lib = "source '%s/scripts/lib.sh' && " % root
# the server needs a full JDK 25 and the test kit's classpath (JGit's LFS server, Jetty), from the local Maven repository
jdk = os.environ.get("LFS_CLOUD_JDK") or subprocess.run(["bash", "-c", lib + "find_jdk25"], check=True,
                                                         capture_output=True, text=True).stdout.strip()
work = tempfile.mkdtemp(prefix="lfs-cloud-lfs-server-bench.")
# (or $LFS_CLOUD_BENCH_CLASSPATH, the same classpath given, while a build runs in this checkout)
classpath = os.environ.get("LFS_CLOUD_BENCH_CLASSPATH")
if not classpath:
    cp_file = os.path.join(work, "classpath")
    subprocess.run(["bash", "-c", lib + "cd '%s' && mvn25 -o -q compile dependency:build-classpath -pl backend-testkit -am "
                    "-Dmdep.outputFile='%s'" % (root, cp_file)], check=True, stdout=subprocess.DEVNULL)
    with open(cp_file) as f:
        classpath = os.path.join(root, "backend-testkit", "target", "classes") + ":" + f.read().strip()
server = subprocess.Popen([os.path.join(jdk, "bin", "java"), "-Xmx1g", "-cp", classpath,
                           os.path.join(here, "LfsServerMain.java"), os.path.join(work, "server"), "bench", "s3cret"],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
endpoint = server.stdout.readline().strip()

def calls():
    """Batch API calls so far: (git-lfs, lfs-cloud)."""
    server.stdin.write("calls\n"); server.stdin.flush()
    fields = server.stdout.readline().split()
    return int(fields[0]), int(fields[1])

# a HOME of the benchmark's own: git-lfs installed there, credentials in git's store helper
home = os.path.join(work, "home")
os.mkdir(home)
env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=os.path.join(home, ".config"), GIT_CONFIG_NOSYSTEM="1",
           PATH=os.path.dirname(agent) + ":" + os.environ["PATH"], GIT_TERMINAL_PROMPT="0",
           GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@lfs-cloud.invalid",
           GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@lfs-cloud.invalid")
with open(os.path.join(home, ".git-credentials"), "w") as f:
    f.write(endpoint.split("/repo.git")[0].replace("http://", "http://bench:s3cret@") + "\n")
os.chmod(os.path.join(home, ".git-credentials"), 0o600)
# the server's socket folder inside the benchmark's folder; LFS_CLOUD_SERVER=0 unless measuring it
server_dir = os.path.join(work, "srv")
os.mkdir(server_dir, 0o700)
env.update(LFS_CLOUD_SERVER_DIR=server_dir, LFS_CLOUD_SERVER="0")
server_env = dict(env, LFS_CLOUD_SERVER="1")

def git(cwd, *args, **kw):
    subprocess.run(["git"] + list(args), cwd=cwd, env=kw.get("env", env), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

git(work, "config", "--global", "credential.helper", "store")
git(work, "config", "--global", "lfs.locksverify", "false")
git(work, "lfs", "install")

def make(name, count, size):
    """A bare origin whose LFS objects plain git-lfs pushed to the server (lfs.url in each clone)."""
    origin, src = os.path.join(work, name + ".git"), os.path.join(work, name + "-src")
    git(work, "init", "-q", "-b", "main", "--bare", origin)
    git(work, "init", "-q", "-b", "main", src)
    git(src, "config", "lfs.url", endpoint)
    git(src, "lfs", "track", "*.bin")
    for i in range(count):
        with open(os.path.join(src, "f%04d.bin" % i), "wb") as f:
            for _ in range(max(1, size >> 24)):
                f.write(os.urandom(min(size, 1 << 24)))
    git(src, "add", ".")
    git(src, "commit", "-q", "-m", "data")
    git(src, "remote", "add", "origin", origin)
    git(src, "push", "-q", "origin", "main")
    shutil.rmtree(src)
    return origin

def pull(origin, how):
    """A fresh clone (untimed) whose `git lfs pull` is timed; (seconds, batch calls)."""
    clone = tempfile.mkdtemp(dir=work)
    git(work, "clone", "-q", origin, clone, env=dict(env, GIT_LFS_SKIP_SMUDGE="1"))
    git(clone, "config", "lfs.url", endpoint)
    if how != "git-lfs":
        git(clone, "lfs-cloud", "install")  # no store: objects come from the repository's LFS server
    before = calls()
    start = time.perf_counter()
    git(clone, "lfs", "pull", env=server_env if how == "server warm" else env)
    elapsed = time.perf_counter() - start
    after = calls()
    git(clone, "lfs", "fsck", "--objects")
    shutil.rmtree(clone)
    return elapsed, after[0] - before[0] + after[1] - before[1]

sets = [s for s in [("a", "(a) 2000 x 4 KB", 2000, 4096), ("b", "(b) 1 GB in 4 files", 4, 256 << 20)] if s[0] in chosen]
hows = ["git-lfs", "lfs-cloud", "server warm"]
print("git lfs pull from JGit's LFS server (loopback, basic auth), %d cores, load %.1f, median of %d"
      % (os.cpu_count(), os.getloadavg()[0], runs))
try:
    for name, label, count, size in sets:
        origin = make(name, count, size)
        pull(origin, "server warm")  # untimed: starts the transfer server
        times = {h: [] for h in hows}
        batch = {h: [] for h in hows}
        for _ in range(runs):
            for h in hows:
                t, n = pull(origin, h)
                times[h].append(t)
                batch[h].append(n)
        base = statistics.median(times["git-lfs"])
        print("  %-20s %-34s %6.2f s   %5d batch calls" % (label, "plain git-lfs (basic transfer)", base,
                                                           statistics.median(batch["git-lfs"])))
        for h, shown in (("lfs-cloud", "lfs-cloud, in-process, 8 agents"), ("server warm", "lfs-cloud, server warm, 8 relays")):
            m = statistics.median(times[h])
            print("  %-20s %-34s %6.2f s   %5d batch calls   ratio %4.2f" % ("", shown, m, statistics.median(batch[h]),
                                                                            m / base))
        sys.stdout.flush()
finally:
    subprocess.run([agent, "server", "stop"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)
    server.stdin.close(); server.wait()
    shutil.rmtree(work)
