#!/usr/bin/env bash
# `git lfs pull` through lfs-cloud against the trivial folder agent (trivial-folder-agent.py),
# side by side in one run, on the same folder store; lfs-cloud both serving in-process and
# relaying to a warm transfer server (lfs-cloud.server, warmed by an untimed first pull):
#   (a) 2,000 objects of 4 KB      (b) 1 GB in 4 files
# Each measurement is a fresh clone (made untimed) whose `git lfs pull` is timed; the two
# agents alternate, RUNS times each, and the median is reported.
# Usage: bench/pull.sh [RUNS] [SETS]   (default: 3 runs, sets "a b"; (b) needs ~8 GB of free
# disk in $TMPDIR)
# LFS_CLOUD_BASELINE=/path/to/another/lfs-cloud (a product folder, e.g. an older build) adds
# that build to the same run, alternating with the others: before/after figures of a change.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
runs=${1:-3}
sets=${2:-a b}
need_package git-lfs git-lfs
need_package python3 python3
[ -x distribution/target/lfs-cloud/bin/git-lfs-cloud ] || scripts/build.sh >/dev/null
product=$(pwd)/distribution/target/lfs-cloud
trivial=$(pwd)/bench/trivial-folder-agent.py
# the system's Python starts fastest (a pyenv shim costs ~100 ms a start): the strongest baseline
python=$(command -v /usr/bin/python3 || command -v python3)
export PATH="$product/bin:$PATH"
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@lfs-cloud.invalid
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@lfs-cloud.invalid
work=$(mktemp -d "${TMPDIR:-/tmp}/lfs-cloud-bench.XXXXXX")
# the transfer server's sockets inside $work; stopped at the end
export LFS_CLOUD_SERVER_DIR="$work/srv" LFS_CLOUD_SERVER=0
mkdir -m 700 "$LFS_CLOUD_SERVER_DIR"
trap 'git-lfs-cloud server stop >/dev/null 2>&1; sleep 1; rm -rf "$work"' EXIT

# Makes a repository whose objects are pushed through lfs-cloud into $work/<name>-store.
make_repo() {
  local name=$1 count=$2 size=$3
  git init -q -b main --bare "$work/$name.git"
  git init -q -b main "$work/$name-src"
  (
    cd "$work/$name-src"
    git lfs-cloud install --store "file://$work/$name-store" --shared --create >/dev/null
    git lfs track '*.bin' >/dev/null
    python3 - "$count" "$size" <<'PY'
import os, sys
count, size = int(sys.argv[1]), int(sys.argv[2])
for i in range(count):
    d = "d%02d" % (i % 50)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%05d.bin" % i), "wb") as f:
        left = size
        while left:
            n = min(left, 1 << 24)
            f.write(os.urandom(n))
            left -= n
PY
    git add . && git commit -q -m data
    git remote add origin "$work/$name.git"
    git push -q origin main 2>/dev/null
  )
}

# Prints the seconds `git lfs pull` takes in a fresh clone using agent $2 (lfs-cloud|server|trivial).
time_pull() {
  local name=$1 agent=$2 clone
  clone=$(mktemp -d "$work/clone.XXXXXX")
  GIT_LFS_SKIP_SMUDGE=1 git clone -q "$work/$name.git" "$clone" 2>/dev/null
  (
    cd "$clone"
    if [ "$agent" = server ]; then
      export LFS_CLOUD_SERVER=1
    fi
    if [ "$agent" = baseline ]; then
      export PATH="$LFS_CLOUD_BASELINE/bin:$PATH"   # install and the agents git-lfs starts
      git lfs-cloud install >/dev/null
    elif [ "$agent" != trivial ]; then
      git lfs-cloud install >/dev/null
    else
      git lfs install --local >/dev/null
      git config lfs.customtransfer.trivial.path "$python"
      git config lfs.customtransfer.trivial.args "$trivial $work/$name-store"
      git config lfs.standalonetransferagent trivial
    fi
    sync
    local start end
    start=$(date +%s.%N)
    git lfs pull >/dev/null 2>&1
    end=$(date +%s.%N)
    git lfs fsck --objects >/dev/null 2>&1 || { echo "fsck failed after $agent pull" >&2; exit 1; }
    echo "$end - $start" | bc
  )
  rm -rf "$clone"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

bench() {
  local label=$1 name=$2 ours=() served=() theirs=() before=() i
  time_pull "$name" server >/dev/null # warms the server (untimed)
  for ((i = 0; i < runs; i++)); do
    ours+=("$(time_pull "$name" lfs-cloud)")
    served+=("$(time_pull "$name" server)")
    theirs+=("$(time_pull "$name" trivial)")
    [ -z "${LFS_CLOUD_BASELINE:-}" ] || before+=("$(time_pull "$name" baseline)")
  done
  local a s b
  a=$(printf '%s\n' "${ours[@]}" | median)
  s=$(printf '%s\n' "${served[@]}" | median)
  b=$(printf '%s\n' "${theirs[@]}" | median)
  printf '%-26s in-process %7.2f s (ratio %5.2f)   warm server %7.2f s (ratio %5.2f)   trivial agent %7.2f s   (median of %d; runs: %s | %s | %s)\n' \
    "$label" "$a" "$(echo "$a / $b" | bc -l)" "$s" "$(echo "$s / $b" | bc -l)" "$b" "$runs" "${ours[*]}" "${served[*]}" "${theirs[*]}"
  if [ -n "${LFS_CLOUD_BASELINE:-}" ]; then
    local c
    c=$(printf '%s\n' "${before[@]}" | median)
    printf '%-26s baseline  %7.2f s   in-process this build / baseline %5.2f   (runs: %s)\n' \
      "" "$c" "$(echo "$a / $c" | bc -l)" "${before[*]}"
  fi
  git-lfs-cloud server status | sed 's/^/  server: /'
}

echo "preparing repositories in $work ..." >&2
case " $sets " in *" a "*) make_repo small 2000 4096 ;; esac
case " $sets " in *" b "*) make_repo large 4 $((256 * 1024 * 1024)) ;; esac
echo "git lfs pull, $(nproc) cores, $(git lfs version | cut -d' ' -f1)"
case " $sets " in *" a "*) bench "(a) 2,000 x 4 KB" small ;; esac
case " $sets " in *" b "*) bench "(b) 4 x 256 MB (1 GB)" large ;; esac
