#!/bin/sh
# clean.sh -- correct programs, every flag combination: zero findings, the program's
# output and exit status untouched, no stderr noise.
. "$top_srcdir/tests/e2e/lib.sh"

for opts in "" "drain=global" "kinds=all,-redundant-flush,-overwritten-unflushed" "stack_depth=1"; do
    run clean NVCHECK_OPTIONS="$opts"
    ok $RC "clean ($opts): exit status 0"
    expect_count 0
    grep -q '^summary 0 0$' "$FLAT"
    ok $? "clean ($opts): summary has no errors or warnings"
    [ ! -s "$OUT/stderr" ]
    ok $? "clean ($opts): nothing on stderr"
done

run threads-clean
ok $RC "4 threads, write+flush+drain each: exit status 0"
expect_count 0

# The same programs without the checker (libnvmem alone) behave identically.
"$SCEN" clean >"$WORK/plain.out" 2>&1
ok $? "clean runs without the interposer"
sed 's/^base .*//' "$WORK/plain.out" >"$WORK/a"
sed 's/^base .*//' "$OUT/stdout" >"$WORK/b"
cmp -s "$WORK/a" "$WORK/b"
ok $? "program output identical with and without the interposer"

done_testing
