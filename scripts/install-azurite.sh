#!/usr/bin/env bash
# Installs Azurite (the Azure Storage emulator the Azure backend's tests run against) into
# DIR (default: .tools/azurite in the repository) with npm, unless it is there already: an
# offline build works once it has been installed. No global npm install.
# Usage: scripts/install-azurite.sh [DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
VERSION=3.37.0
DIR=${1:-.tools/azurite}
if [ -x "$DIR/node_modules/.bin/azurite-blob" ] \
    && grep -q "\"version\": \"$VERSION\"" "$DIR/node_modules/azurite/package.json" 2>/dev/null; then
  exit 0
fi
need_package node nodejs
need_package npm npm
echo "==> installing azurite@$VERSION into $DIR (npm)" >&2
mkdir -p "$DIR"
npm install --prefix "$DIR" --no-audit --no-fund --loglevel=error "azurite@$VERSION" >&2
