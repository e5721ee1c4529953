#!/bin/sh
# demo.sh -- from a fresh Debian 12 machine: install what is missing, build, and run
# nvcheck on the bundled example (examples/pmlog.c, a persistent log that publishes
# a record before persisting it), showing the finding; then the fixed version.
set -e
cd "$(dirname "$0")/.."
sh scripts/deps.sh
sh scripts/build.sh
rm -rf demo-out
echo "== nvcheck run -- examples/pmlog"
./nvcheck run --output demo-out -- examples/pmlog || echo "(exit status $?: findings)"
echo
echo "== nvcheck run -- examples/pmlog --fixed"
./nvcheck run --output demo-out -- examples/pmlog --fixed && echo "(exit status 0: no findings)"
