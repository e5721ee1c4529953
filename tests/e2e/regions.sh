#!/bin/sh
# regions.sh -- overlapping tokens: when a region ends, only the bytes no other live
# region covers are swept; the rest wait for the region that still covers them.
. "$top_srcdir/tests/e2e/lib.sh"
ALL=

# The issue's program: B is the first half of A; a write through A, B freed, A
# flushes, drains and frees. Correct: no finding.
run overlap SCENARIO_END=issue
ok $RC "overlap (B inside A, freed first; A flushes): exit status 0"
expect_count 0
ALL="$ALL $REPORTS"

# A = [0, 32K), B = [16K, 48K): B's free takes only what B alone covers, A's free the
# rest, each finding in the region (and with the free) that swept it.
run overlap
ok $RC "overlap: exit status 0"
expect unflushed-write +40000 8 23616 ov-b-only token-freed-at=ov-free-b
expect unflushed-write +1024 16 1024 ov-a-only token-freed-at=ov-free-a
expect unflushed-write +20000 16 20000 ov-both token-freed-at=ov-free-a
expect_count 3
ALL="$ALL $REPORTS"

# With A's flush and drain before its free, only B's own bytes were ever lost.
run overlap SCENARIO_END=flush
ok $RC "overlap, A flushes: exit status 0"
expect unflushed-write +40000 8 23616 ov-b-only token-freed-at=ov-free-b
expect_count 1
ALL="$ALL $REPORTS"

valid_reports "all $(echo $ALL | wc -w) reports validate against the schema" $ALL

done_testing
