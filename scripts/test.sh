#!/usr/bin/env bash
# Runs every test: unit tests, then real git + git-lfs against the built product.
# Installs what the tests need when it is missing (git-lfs; Maven), finds a JDK 25.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
need_package git git
need_package git-lfs git-lfs
need_package nginx nginx          # the HTTP backend's real server
need_package man man-db           # `git lfs-cloud --help` opens the shipped manual page
need_package sshd openssh-server  # a real sshd for ssh:// remotes (git-lfs-authenticate)
mvn25 verify "$@"
