#!/bin/sh
# deps.sh [PACKAGE...] -- install the Debian packages nvcheck needs (plus any named),
# only those missing; apt-get update runs only when something is missing.
set -e
PKGS="build-essential autoconf automake libtool pkg-config binutils
      libunwind-dev uthash-dev libjansson-dev libdw-dev python3 python3-jsonschema
      clang-format
      libxml2-utils
      clang libclang-rt-14-dev"
# The HTML report's browser test (tests/cli/html.sh): Debian's chromium, driven from
# Node.js (20 or newer for playwright-core; Debian 12's own nodejs is 18, so it is only
# installed when there is no node at all, and the test then says why it skips).
PKGS="$PKGS chromium"
command -v node >/dev/null 2>&1 || PKGS="$PKGS nodejs npm"
missing=
for p in $PKGS "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "nvcheck: installing Debian packages:$missing"
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO apt-get update -qq
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
