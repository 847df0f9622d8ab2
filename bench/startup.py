#!/usr/bin/env python3
"""Start-up as git-lfs pays it: 8 agent processes started one after another, each waiting
for the previous one's init reply (git-lfs does this for every pull, fetch, push, clone and
smudge). Timed from the first start to the eighth init reply, for lfs-cloud and for a
Python agent that only answers `{}`, alternating, ROUNDS times; medians and the ratio.
The init line is the one git-lfs 3.3.0 sends, byte for byte (lfs-cloud's launcher answers
exactly that line itself, so the JVMs start while git-lfs starts the next agent).
Because an early reply only moves work, it also reports when all eight are done starting:
each then reads a terminate and exits, and the clock stops when the last one has.
Also reports the idle resident memory of one lfs-cloud agent after its init reply.
Usage: startup.py AGENT [ROUNDS]"""
import json, os, shutil, statistics, subprocess, sys, tempfile, time

agent = os.path.abspath(sys.argv[1])
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 20
python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
TRIVIAL = "import sys\nfor line in sys.stdin:\n    if 'terminate' in line:\n        break\n    print('{}', flush=True)\n"
INIT = json.dumps({"event": "init", "operation": "download", "remote": "origin",
                   "concurrent": True, "concurrenttransfers": 8}, separators=(",", ":")) + "\n"
repo = tempfile.mkdtemp(prefix="lfs-cloud-startup.")
subprocess.run(["git", "init", "-q", repo], check=True)

def eight(command):
    start = time.perf_counter()
    procs = []
    for _ in range(8):
        p = subprocess.Popen(command, cwd=repo, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        p.stdin.write(INIT)
        p.stdin.flush()
        if p.stdout.readline().strip() != "{}":
            raise SystemExit("unexpected init reply from %s" % command)
        procs.append(p)
    elapsed = time.perf_counter() - start
    for p in procs:
        p.stdin.write('{"event":"terminate"}\n')
        p.stdin.close()
    for p in procs:
        p.wait()
    return elapsed, time.perf_counter() - start

ours, theirs = [], []
for _ in range(rounds):
    ours.append(eight([agent, "agent"]))
    theirs.append(eight([python, "-c", TRIVIAL]))
for i, what in enumerate(["8 sequential starts to the last init reply",
                          "same, until all eight have read terminate and exited"]):
    a = statistics.median(r[i] for r in ours)
    b = statistics.median(r[i] for r in theirs)
    print("%s, median of %d:" % (what, rounds))
    print("  lfs-cloud       %4.0f ms" % (a * 1000))
    print("  Python agent    %4.0f ms   (%s)" % (b * 1000, python))
    print("  ratio           %4.2f" % (a / b))

p = subprocess.Popen([agent, "agent"], cwd=repo, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
p.stdin.write(INIT)
p.stdin.flush()
p.stdout.readline()
time.sleep(0.5)
with open("/proc/%d/status" % p.pid) as f:
    rss = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
p.stdin.write('{"event":"terminate"}\n')
p.stdin.close()
p.wait()
print("idle agent resident memory: %.1f MB" % (rss / 1024))
shutil.rmtree(repo)
