#!/usr/bin/env bash
# Builds lfs-cloud and shows it working: a scratch repository pushes LFS objects through
# the agent into a folder store, and a fresh clone gets them back, with the real git-lfs.
# Touches nothing outside a scratch folder (printed at the end), except that Maven keeps the
# libraries it downloads in its own cache (~/.m2/repository), as every Maven build does.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
need_package git git
need_package git-lfs git-lfs

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "Building lfs-cloud (JDK 25, Maven; tests skipped: scripts/test.sh runs them)"
mvn25 -q -DskipTests package
product=$(pwd)/distribution/target/lfs-cloud
export PATH="$product/bin:$PATH"
git lfs-cloud version

demo=$(mktemp -d "${TMPDIR:-/tmp}/lfs-cloud-demo.XXXXXX")
export GIT_AUTHOR_NAME="lfs-cloud demo" GIT_AUTHOR_EMAIL=demo@lfs-cloud.invalid
export GIT_COMMITTER_NAME="$GIT_AUTHOR_NAME" GIT_COMMITTER_EMAIL="$GIT_AUTHOR_EMAIL"
cd "$demo"

step "A bare origin, a working repository, and a folder store at $demo/store"
git init -q -b main --bare origin.git
git init -q -b main work
cd work
git lfs-cloud install --store "file://$demo/store" --shared --create
git lfs track '*.bin' '*.dat' >/dev/null

step "Adding 5 small files and one of 20 MB, committing, pushing"
mkdir -p data
for i in 1 2 3 4 5; do head -c $((i * 4096)) /dev/urandom > "data/sample$i.dat"; done
head -c $((20 * 1024 * 1024)) /dev/urandom > model.bin
git add .gitattributes .lfs-meta data model.bin
git commit -q -m "data through lfs-cloud"
git remote add origin ../origin.git
git push origin main 2>&1 | sed 's/^/    /'

step "The store now holds the objects, content-addressed:"
(cd "$demo/store" && find . -type f | sort | sed 's/^/    /')

step "A fresh clone through the agent: git lfs-cloud clone"
cd "$demo"
git lfs-cloud clone origin.git clone 2>&1 | sed 's/^/    /'

step "Comparing the clone with the original"
(cd work && sha256sum model.bin data/*.dat) > original.sha256
(cd clone && sha256sum -c ../original.sha256) | sed 's/^/    /'
echo
echo "Done: every file came back byte-identical through lfs-cloud."
echo "Scratch folder (delete when done): $demo"
