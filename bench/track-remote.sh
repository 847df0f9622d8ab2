#!/usr/bin/env bash
# `git lfs-cloud track-remote` of a 1 GB file served by nginx over loopback (it streams the
# object once through SHA-256), against `curl -s URL | openssl dgst -sha256`, alternating in
# one run, RUNS times; medians and the throughput ratio (target >= 0.9).
# Usage: bench/track-remote.sh [RUNS] [SIZE_MB]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
runs=${1:-3}
size_mb=${2:-1024}
need_package nginx nginx
need_package curl curl
need_package openssl openssl
[ -x distribution/target/lfs-cloud/bin/git-lfs-cloud ] || scripts/build.sh >/dev/null
export PATH="$(pwd)/distribution/target/lfs-cloud/bin:$PATH"
work=$(mktemp -d "${TMPDIR:-/tmp}/lfs-cloud-track-bench.XXXXXX")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/www" "$work/nginx/logs" "$work/nginx/tmp"
user_line=; [ "$(id -u)" -eq 0 ] && user_line="user root root;"
cat > "$work/nginx/nginx.conf" <<CONF
$user_line
worker_processes 1;
error_log $work/nginx/logs/error.log warn;
pid $work/nginx/nginx.pid;
events { worker_connections 64; }
http {
  access_log off; sendfile on;
  client_body_temp_path $work/nginx/tmp; proxy_temp_path $work/nginx/tmp; fastcgi_temp_path $work/nginx/tmp;
  uwsgi_temp_path $work/nginx/tmp; scgi_temp_path $work/nginx/tmp;
  server { listen 127.0.0.1:$port; root $work/www; }
}
CONF
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf"
trap 'nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -s stop 2>/dev/null; rm -rf "$work"' EXIT
head -c $((size_mb * 1024 * 1024)) /dev/urandom > "$work/www/big.bin"
url="http://127.0.0.1:$port/big.bin"
git init -q "$work/repo"
cat "$work/www/big.bin" > /dev/null   # both read from the page cache

ours=() theirs=()
for ((i = 0; i < runs; i++)); do
  rm -rf "$work/repo/.lfs-meta" "$work/repo/big.bin"
  s=$(date +%s.%N); (cd "$work/repo" && git lfs-cloud track-remote big.bin --url "$url" >/dev/null 2>&1); e=$(date +%s.%N)
  ours+=("$(echo "$e - $s" | bc)")
  s=$(date +%s.%N); curl -s "$url" | openssl dgst -sha256 >/dev/null; e=$(date +%s.%N)
  theirs+=("$(echo "$e - $s" | bc)")
done
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
a=$(printf '%s\n' "${ours[@]}" | median); b=$(printf '%s\n' "${theirs[@]}" | median)
printf 'track-remote of %d MB over loopback, median of %d:\n' "$size_mb" "$runs"
printf '  git lfs-cloud track-remote   %6.2f s  (%4.0f MB/s)   runs: %s\n' "$a" "$(echo "$size_mb / $a" | bc -l)" "${ours[*]}"
printf '  curl | openssl dgst -sha256  %6.2f s  (%4.0f MB/s)   runs: %s\n' "$b" "$(echo "$size_mb / $b" | bc -l)" "${theirs[*]}"
printf '  throughput ratio             %6.2f\n' "$(echo "$b / $a" | bc -l)"
