#!/bin/sh
# build.sh [CONFIGURE-ARGS...] -- generate, configure (once) and build in the source tree.
set -e
cd "$(dirname "$0")/.."
[ -x configure ] || autoreconf -fi
[ -f Makefile ] || ./configure -q "$@"
make -j2 -s
