#!/usr/bin/env python3
"""Resident memory of the transfer server with the S3 plugin loaded: a push and two pulls of
20 x 4 KB + 16 x 8 MB through the server against s3proxy (in memory, 127.0.0.1), the server's
RSS (`git lfs-cloud server status`) after each, then after IDLE seconds without agents (the
server gives its free heap back after 5 s).
Usage: server-memory.py AGENT S3PROXY_JAR [IDLE]"""
import os, shutil, subprocess, sys, tempfile, time
import s3proxy_server

agent, jar = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
idle = int(sys.argv[3]) if len(sys.argv) > 3 else 16
work = tempfile.mkdtemp(prefix="lfs-cloud-server-memory.")
proxy, endpoint = s3proxy_server.start(jar, work, "2g")
env = dict(os.environ, AWS_ACCESS_KEY_ID="a", AWS_SECRET_ACCESS_KEY="b", AWS_REGION="us-east-1",
           AWS_EC2_METADATA_DISABLED="true", PATH=os.path.dirname(agent) + ":" + os.environ["PATH"],
           GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@lfs-cloud.invalid",
           GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@lfs-cloud.invalid",
           GIT_CONFIG_COUNT="1", GIT_CONFIG_KEY_0="lfs-cloud.s3.endpoint", GIT_CONFIG_VALUE_0=endpoint,
           LFS_CLOUD_SERVER_DIR=os.path.join(work, "srv"), LFS_CLOUD_SERVER="1")
os.mkdir(env["LFS_CLOUD_SERVER_DIR"], 0o700)

def git(cwd, *args, **extra):
    subprocess.run(["git"] + list(args), cwd=cwd, env=dict(env, **extra), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

def rss():
    out = subprocess.run([agent, "server", "status"], env=env, capture_output=True, text=True).stdout
    return [l.split(" MB resident")[0].rsplit(" ", 1)[1] + " MB" for l in out.splitlines() if l.startswith("pid ")]

try:
    origin, src = os.path.join(work, "o.git"), os.path.join(work, "src")
    subprocess.run(["git", "init", "-q", "-b", "main", "--bare", origin], check=True)
    subprocess.run(["git", "init", "-q", "-b", "main", src], check=True)
    git(src, "lfs-cloud", "install", "--store", "s3://bench/m/", "--shared")
    git(src, "lfs", "track", "*.bin")
    for i in range(36):
        with open(os.path.join(src, "f%03d.bin" % i), "wb") as f:
            f.write(os.urandom(4096 if i < 20 else 8 << 20))
    git(src, "add", ".")
    git(src, "commit", "-q", "-m", "data")
    git(src, "remote", "add", "origin", origin)
    git(src, "push", "-q", "origin", "main")
    print("after the push:", rss())
    for _ in range(2):
        clone = tempfile.mkdtemp(dir=work)
        git(work, "clone", "-q", origin, clone, GIT_LFS_SKIP_SMUDGE="1")
        git(clone, "lfs-cloud", "install")
        start = time.perf_counter()
        git(clone, "lfs", "pull")
        print("after a pull (%.2f s):" % (time.perf_counter() - start), rss())
        shutil.rmtree(clone)
    time.sleep(idle)
    print("idle %d s:" % idle, rss())
finally:
    subprocess.run([agent, "server", "stop"], env=env, stdout=subprocess.DEVNULL)
    proxy.terminate()
    proxy.wait()
    time.sleep(1)
    shutil.rmtree(work, ignore_errors=True)
