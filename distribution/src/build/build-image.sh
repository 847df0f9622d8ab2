#!/usr/bin/env bash
# Builds the lfs-cloud product folder:
#   lfs-cloud/bin/git-lfs-cloud   the command (bin holds nothing else, so it can go on PATH)
#   lfs-cloud/runtime/            a jlink runtime image with the core and the embedded file store
#   lfs-cloud/plugins/<name>/     every other backend: its jar and its dependencies
# and lfs-cloud-<version>-linux-x64.tar.gz of it.
set -euo pipefail
java_home=$1 modules=$2 target=$3 version=$4 plugin_folders=$5
src=$(cd "$(dirname "$0")/.." && pwd)
out=$target/lfs-cloud

# A plugin's module layer can only use JDK modules that the boot layer has resolved, so
# the image holds, and the launcher resolves, what the backends' SDKs need (observed:
# AWS SDK java.xml [+ jdk.net for apache5, java.logging for netty]; Azure java.logging,
# java.xml [+ java.net.http]; GCS java.xml, java.compiler, java.logging; the HTTP backend
# java.net.http; jdk.unsupported lets netty use direct buffers). Keep in step with
# src/bin/git-lfs-cloud.
plugin_jdk_modules=java.logging,java.xml,java.net.http,java.compiler,jdk.net,jdk.unsupported

rm -rf "$out"
mkdir -p "$out/bin" "$out/plugins"
"$java_home/bin/jlink" \
  --module-path "$modules" \
  --add-modules io.lfscloud.core,io.lfscloud.backend.file,$plugin_jdk_modules \
  --strip-debug --no-header-files --no-man-pages \
  --generate-cds-archive \
  --output "$out/runtime" >"$target/jlink.log" 2>&1 || { cat "$target/jlink.log" >&2; exit 1; }
install -m 0755 "$src/bin/git-lfs-cloud" "$out/bin/git-lfs-cloud"
# backends other than the embedded file store ship as plugin folders
cp -R "$plugin_folders"/. "$out/plugins/"
bash "$src/build/train-aot.sh" "$out"

tar -C "$target" -czf "$target/lfs-cloud-$version-linux-x64.tar.gz" \
  --transform "s,^lfs-cloud,lfs-cloud-$version," lfs-cloud
