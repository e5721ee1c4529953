#!/bin/sh
# check.sh -- from a fresh Debian 12 machine: install what is missing, build, and run
# the whole test suite, plain, under ASan+UBSan and under TSan. Ends with "N passed,
# N failed".
cd "$(dirname "$0")/.." || exit 2
sh scripts/deps.sh || exit 2
sh scripts/build.sh || exit 2

make -j2 -s check
plain=$?
make -s check-asan
asan=$?
make -s check-tsan
tsan=$?

count() { # count WHAT LOG...
    cat "$@" 2>/dev/null | sed -n "s/^# $1: *//p" | awk '{s += $1} END {print s + 0}'
}
logs="test-suite.log build-asan/test-suite.log build-tsan/test-suite.log"
pass=$(count PASS $logs)
skip=$(count SKIP $logs)
fail=$(( $(count FAIL $logs) + $(count ERROR $logs) + $(count XPASS $logs) ))
[ $plain -eq 0 ] || [ "$fail" -gt 0 ] || fail=1   # a build or harness failure
[ $asan -eq 0 ] || [ "$fail" -gt 0 ] || fail=1
[ $tsan -eq 0 ] || [ "$fail" -gt 0 ] || fail=1  # also: a TSan report
echo "($skip skipped)"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
