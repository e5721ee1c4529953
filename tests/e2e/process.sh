#!/bin/sh
# process.sh -- fork (one report per process, each with its own findings) and API
# use from a constructor before main.
. "$top_srcdir/tests/e2e/lib.sh"

run fork
ok $RC "fork: exit status 0"
n=$(echo "$REPORTS" | wc -w)
[ "$n" -eq 2 ]
ok $? "fork: two reports (got $n)"
expect unflushed-write +640 16 640 child-write
expect unflushed-write +1280 24 1280 parent-write
expect_count 2
for r in $REPORTS; do
    pid=${r##*report.}; pid=${pid%.json}
    "$NVFLAT" "$r" | grep -c '^unflushed-write' | grep -qx 1
    ok $? "report of pid $pid holds exactly its own finding"
    grep -q "\"pid\":$pid," "$r"
    ok $? "report of pid $pid names that pid"
done

run none SCENARIO_EARLY=1
expect unflushed-write +32 5 32 early
expect_count 1

done_testing
