#!/usr/bin/env python3
"""Protocol modes side by side: 2,000 downloads of 4 KB objects from a folder store through
`git-lfs-cloud agent`, driven the way git-lfs drives it:

  v1 x 8 processes   what git-lfs 3.x does: 8 agents started one after another (each waits
                     for the previous one's init reply), one request at a time per agent
  v1 x 1 process     lfs.customtransfer.lfs-cloud.concurrent=false
  v2 batch x 1       protocol 2, batch mode, one agent, batches of 100 (git-lfs's batch size)

Each is timed from the first process start to the last answer, RUNS times alternating;
medians are reported with ratios to the first. Usage: protocol.py AGENT [RUNS] [OBJECTS]"""
import hashlib, json, os, queue, shutil, statistics, subprocess, sys, tempfile, threading, time

agent = os.path.abspath(sys.argv[1])
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
count = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
work = tempfile.mkdtemp(prefix="lfs-cloud-protocol-bench.")
repo, store = os.path.join(work, "repo"), os.path.join(work, "store")
subprocess.run(["git", "init", "-q", repo], check=True)
subprocess.run(["git", "-C", repo, "config", "lfs-cloud.store", "file://" + store], check=True)
objects = []
for i in range(count):
    data = os.urandom(4096)
    oid = hashlib.sha256(data).hexdigest()
    os.makedirs(os.path.join(store, oid[:2], oid[2:4]), exist_ok=True)
    with open(os.path.join(store, oid[:2], oid[2:4], oid), "wb") as f:
        f.write(data)
    objects.append((oid, len(data)))

class Agent:
    def __init__(self, init):
        self.p = subprocess.Popen([agent, "agent"], cwd=repo, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True, bufsize=1)
        self.send(init)
        reply = json.loads(self.p.stdout.readline())
        if "error" in reply:
            raise SystemExit("init failed: %s" % reply)

    def send(self, msg):
        self.p.stdin.write(json.dumps(msg) + "\n")
        self.p.stdin.flush()

    def read(self):
        return json.loads(self.p.stdout.readline())

    def close(self):
        self.send({"event": "terminate"})
        self.p.wait()

def check(reply):
    if reply.get("error"):
        raise SystemExit("transfer failed: %s" % reply)
    os.remove(reply["path"])

V1_INIT = {"event": "init", "operation": "download", "remote": "origin", "concurrent": True, "concurrenttransfers": 8}

def v1(processes):
    work_queue = queue.Queue()
    for o in objects:
        work_queue.put(o)
    agents = []
    for _ in range(processes):                       # git-lfs starts them one after another
        agents.append(Agent(V1_INIT))

    def worker(a):
        while True:
            try:
                oid, size = work_queue.get_nowait()
            except queue.Empty:
                return
            a.send({"event": "download", "oid": oid, "size": size, "action": None})
            while True:
                r = a.read()
                if r["event"] == "complete":
                    check(r)
                    break

    threads = [threading.Thread(target=worker, args=(a,)) for a in agents]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for a in agents:
        a.close()

def v2_batch():
    a = Agent({**V1_INIT, "protocol": 2, "concurrencyMode": "batch"})
    for start in range(0, len(objects), 100):
        batch = objects[start:start + 100]
        bid = "b%d" % start
        total = sum(s for _, s in batch)
        a.send({"event": "batch-header", "bid": bid, "totalSize": total, "objectsCount": len(batch)})
        for oid, size in batch:
            a.send({"event": "download", "oid": oid, "bid": bid, "size": size, "action": None})
        a.send({"event": "batch-footer", "bid": bid, "totalSize": total, "objectsCount": len(batch)})
        while True:
            r = a.read()
            if r["event"] == "complete":
                check(r)
            elif r["event"] == "batch-complete":
                if "error" in r:
                    raise SystemExit("batch failed: %s" % r)
                break
    a.close()

modes = [("v1 x 8 processes (git-lfs today)", lambda: v1(8)),
         ("v1 x 1 process", lambda: v1(1)),
         ("v2 batch x 1 process", v2_batch)]
times = {name: [] for name, _ in modes}
for _ in range(runs):
    for name, run in modes:
        start = time.perf_counter()
        run()
        times[name].append(time.perf_counter() - start)
base = statistics.median(times[modes[0][0]])
print("%d downloads of 4 KB, %d cores, median of %d" % (count, os.cpu_count(), runs))
for name, _ in modes:
    m = statistics.median(times[name])
    print("%-34s %6.2f s   ratio to v1 x 8: %4.2f   (runs: %s)" % (name, m, m / base,
          " ".join("%.2f" % t for t in times[name])))
shutil.rmtree(work)
