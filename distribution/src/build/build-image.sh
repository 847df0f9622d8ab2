#!/usr/bin/env bash
# Builds the lfs-cloud product folder:
#   lfs-cloud/bin/git-lfs-cloud   the command (bin holds nothing else, so it can go on PATH)
#   lfs-cloud/runtime/            a jlink runtime image with the SPI, the core and the embedded file store
#   lfs-cloud/plugins/<name>/     every other backend: its jar, its dependencies and its descriptor
#                                 (the folders its module assembled in <module>/target/plugin/)
#   lfs-cloud/share/              the manual page and bash completion, written by the built command
#   lfs-cloud/README.md, LICENSE, licenses/   what users read, and the bundled libraries' licences
# and lfs-cloud-<version>-linux-x64.tar.gz of it.
set -euo pipefail
java_home=$1 modules=$2 target=$3 version=$4 plugin_folders=$5
src=$(cd "$(dirname "$0")/.." && pwd)
out=$target/lfs-cloud

# A plugin's module layer can only read JDK modules that the boot layer has resolved, so
# the image holds, and the launcher resolves, the JDK modules the shipped plugins need:
# found by jdeps over each plugin folder (java.base, the SPI and the core come anyway). A plugin
# dropped in later that needs another JDK module is reported as broken by `backends`.
plugin_jdk_modules=
for folder in "$plugin_folders"/*/; do
  [ -d "$folder" ] || continue
  # a plugin may name them itself (jdkModules= in its descriptor) where jdeps names more than
  # its modules require (jdeps counts optional and never-run references: java.desktop, java.sql …)
  declared=$(sed -n 's/^jdkModules=//p' "$folder/lfs-cloud-plugin.properties" 2>/dev/null | tr -d ' ')
  if [ -n "$declared" ]; then plugin_jdk_modules=$plugin_jdk_modules,$declared; continue; fi
  deps=$("$java_home/bin/jdeps" --print-module-deps --ignore-missing-deps --multi-release 25 \
           --module-path "$modules:$folder" "$folder"*.jar 2>"$target/jdeps.log" | tail -1)
  case $deps in
    *[!A-Za-z0-9.,_]*|'') cat "$target/jdeps.log" >&2; echo "jdeps failed on $folder: $deps" >&2; exit 1 ;;
  esac
  plugin_jdk_modules=$plugin_jdk_modules,$deps
done
plugin_jdk_modules=$(printf '%s' "$plugin_jdk_modules" | tr ',' '\n' | grep -E '^(java|jdk)\.' \
  | grep -vx 'java.base' | sort -u | paste -sd, - || true)
echo "JDK modules the plugins need (jdeps): ${plugin_jdk_modules:-none beyond java.base}"

rm -rf "$out"
mkdir -p "$out/bin" "$out/plugins"
"$java_home/bin/jlink" \
  --module-path "$modules" \
  --add-modules "io.lfscloud.spi,io.lfscloud.core,io.lfscloud.backend.file,io.lfscloud.backend.lfs${plugin_jdk_modules:+,$plugin_jdk_modules}" \
  --strip-debug --no-header-files --no-man-pages \
  --generate-cds-archive \
  --output "$out/runtime" >"$target/jlink.log" 2>&1 || { cat "$target/jlink.log" >&2; exit 1; }
install -m 0755 "$src/bin/git-lfs-cloud" "$out/bin/git-lfs-cloud"
# the launcher resolves the same JDK modules at boot, for the plugins' layers: its line
# "module_opts=@PLUGIN_JDK_MODULES@" becomes "module_opts=--add-modules=<list>" (or empty)
token=@PLUGIN_JDK_MODULES@
[ "$(grep -c "^module_opts=$token\$" "$out/bin/git-lfs-cloud")" = 1 ] \
  || { echo "the launcher must hold the line module_opts=$token exactly once" >&2; exit 1; }
sed -i "s|^module_opts=$token\$|module_opts=${plugin_jdk_modules:+--add-modules=$plugin_jdk_modules}|" "$out/bin/git-lfs-cloud"
! grep -q "$token" "$out/bin/git-lfs-cloud" \
  || { echo "the launcher still holds $token after substitution" >&2; exit 1; }
# backends other than the embedded file store ship as plugin folders, each assembled by its
# module with its jars and its descriptor (the schemes it serves, so that agents load a
# plugin only for its URLs)
cp -R "$plugin_folders"/. "$out/plugins/"
bash "$src/build/train-aot.sh" "$out"

# documentation generated from the command model: `git lfs-cloud --help` (git runs
# `man git-lfs-cloud`, and man looks in ../share/man beside each PATH folder) and completion
# (bash-completion looks in ../share/bash-completion/completions beside each PATH folder)
mkdir -p "$out/share/man/man1" "$out/share/bash-completion/completions"
"$out/bin/git-lfs-cloud" man-page >"$out/share/man/man1/git-lfs-cloud.1"
"$out/bin/git-lfs-cloud" completion bash >"$out/share/bash-completion/completions/git-lfs-cloud"
cp "$src/../../README.md" "$src/../../LICENSE" "$out/"

# the licences of what ships: each bundled jar's own licence and notice files under
# licenses/<jar>/, or its POM's licence from src/legal for the few jars that carry none;
# the JDK's are in runtime/legal/ (jlink puts them there)
legal=$src/legal/licenses-without-a-file.properties
notices=$out/licenses/README
mkdir -p "$out/licenses"
printf '%s\n' "Licences of the libraries bundled with lfs-cloud $version (lfs-cloud itself: ../LICENSE;" \
  "the Java runtime: ../runtime/legal/)." "" >"$notices"
for jar in "$modules"/*.jar "$out"/plugins/*/*.jar; do
  name=$(basename "$jar" .jar)
  case $name in agent-*|backend-*) continue ;; esac # lfs-cloud's own modules
  files=$("$java_home/bin/jar" tf "$jar" | grep -E '^META-INF/(LICEN[CS]E|NOTICE)[^/]*$' || true)
  if [ -n "$files" ]; then
    mkdir -p "$out/licenses/$name"
    # shellcheck disable=SC2086 # one name per line, none with spaces
    (cd "$out/licenses/$name" && "$java_home/bin/jar" xf "$jar" $files && find . -type f -exec mv {} . \; \
      && find . -mindepth 1 -type d -empty -delete)
    echo "$name: licenses/$name/" >>"$notices"
  else
    declared=$(sed -n "s/^${name%%-[0-9]*}=//p" "$legal")
    [ -n "$declared" ] || { echo "$jar carries no licence file and $legal names none for it" >&2; exit 1; }
    echo "$name: $declared" >>"$notices"
  fi
done

tar -C "$target" -czf "$target/lfs-cloud-$version-linux-x64.tar.gz" \
  --transform "s,^lfs-cloud,lfs-cloud-$version," lfs-cloud
