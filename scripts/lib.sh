# Shared by the scripts in this folder: locate a JDK 25 and run Maven with it.
# shellcheck shell=bash

# Prints the home of a JDK >= 25: $LFS_CLOUD_JDK, $JAVA_HOME, or the first one in
# the system's JVM folder. Exits with a clear message when there is none.
find_jdk25() {
  local candidate major
  for candidate in "${LFS_CLOUD_JDK:-}" "${JAVA_HOME:-}" /usr/lib/jvm/*; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/javac" ] && [ -x "$candidate/bin/jlink" ] || continue
    major=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$candidate/release" 2>/dev/null)
    if [ -n "$major" ] && [ "$major" -ge 25 ]; then
      echo "$candidate"
      return 0
    fi
  done
  echo "error: lfs-cloud needs a JDK 25 (javac and jlink) to build; none found in \$LFS_CLOUD_JDK, \$JAVA_HOME or /usr/lib/jvm." >&2
  echo "       Install one (e.g. Temurin 25) or point LFS_CLOUD_JDK at it." >&2
  return 1
}

# Installs a Debian package when the command it provides is missing.
need_package() {
  local command=$1 package=$2
  command -v "$command" >/dev/null 2>&1 && return 0
  echo "==> installing $package (needed for $command)" >&2
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  if [ -z "${APT_UPDATED:-}" ]; then $SUDO apt-get update -qq >&2 && APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$package" >&2
}

# Runs Maven on the JDK 25.
mvn25() {
  local jdk
  jdk=$(find_jdk25) || return 1
  need_package mvn maven || return 1
  JAVA_HOME="$jdk" mvn -B -ntp "$@"
}
