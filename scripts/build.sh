#!/usr/bin/env bash
# Builds lfs-cloud without running tests; the product lands in distribution/target/lfs-cloud.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
mvn25 -q -DskipTests package "$@"
echo "built: $(pwd)/distribution/target/lfs-cloud/bin/git-lfs-cloud"
