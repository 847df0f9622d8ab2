#!/usr/bin/env bash
# Trains the JVM's AOT cache (JDK 25, -XX:AOTCacheOutput) on a real agent session: a
# scratch repository whose folder store holds a few hundred objects, downloaded through
# `git-lfs-cloud agent` the way git-lfs asks for them. The launcher then starts every
# agent from the cache (classes already loaded and linked, method profiles ready).
# The cache is checked against the image's lib/modules: it must be rebuilt with the image.
set -euo pipefail
out=$1                                   # the product folder (bin/, runtime/)
cache=$out/runtime/lib/lfs-cloud.aot
work=$(mktemp -d "${TMPDIR:-/tmp}/lfs-cloud-aot.XXXXXX")
trap 'rm -rf "$work"' EXIT

git init -q "$work/repo"
git -C "$work/repo" config lfs-cloud.store "file://$work/store"
python3 - "$work" <<'PY'
import hashlib, json, os, sys
work = sys.argv[1]
# the init line exactly as git-lfs sends it, so the launcher answers it as in real use
lines = ['{"event":"init","operation":"download","remote":"origin","concurrent":true,"concurrenttransfers":8}']
for i in range(300):
    data = os.urandom(4096 if i % 50 else 3 * 1024 * 1024)
    oid = hashlib.sha256(data).hexdigest()
    folder = os.path.join(work, "store", oid[:2], oid[2:4])
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, oid), "wb") as f:
        f.write(data)
    lines.append(json.dumps({"event": "download", "oid": oid, "size": len(data), "action": None}))
lines.append(json.dumps({"event": "terminate"}))
with open(os.path.join(work, "session.jsonl"), "w") as f:
    f.write("\n".join(lines) + "\n")
PY
rm -f "$cache"
(cd "$work/repo" && LFS_CLOUD_AOT_OUTPUT="$cache" "$out/bin/git-lfs-cloud" agent \
  < "$work/session.jsonl" > "$work/replies.jsonl" 2> "$work/training.log") || {
  cat "$work/training.log" >&2; echo "AOT training failed" >&2; exit 1; }
# the session itself must have worked, or the cache was trained on an error path
completes=$(grep -c '"event":"complete"' "$work/replies.jsonl" || true)
errors=$(grep -c '"error"' "$work/replies.jsonl" || true)
if [ "$completes" -ne 300 ] || [ "$errors" -ne 0 ] || [ ! -s "$cache" ]; then
  cat "$work/training.log" "$work/replies.jsonl" | tail -20 >&2
  echo "AOT training session did not complete 300 downloads cleanly" >&2
  exit 1
fi
