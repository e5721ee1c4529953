#!/bin/sh
# example.sh -- the bundled example: the buggy log has exactly one finding per
# appended record, at the record write; the fixed log has none.
. "$top_srcdir/tests/e2e/lib.sh"
PMLOG="$top_builddir/examples/pmlog"
line=$(grep -n '@nv:append' "$top_srcdir/examples/pmlog.c" | cut -d: -f1)

for variant in buggy fixed; do
    dir="$WORK/$variant"
    mkdir -p "$dir"
    arg=; [ $variant = fixed ] && arg=--fixed
    NVCHECK_OUTPUT="$dir/r.%p.json" LD_PRELOAD="$PRELOAD" "$PMLOG" $arg >"$dir/out" 2>"$dir/err"
    ok $? "$variant: exit status 0"
    "$NVFLAT" "$dir"/r.*.json >"$dir/flat"
done
n=$(grep -c '^unflushed-write error' "$WORK/buggy/flat")
[ "$n" -eq 2 ]
ok $? "buggy: two unflushed-write findings (got $n)"
for off in 64 128; do
    fr=$(awk -v o=$off '$1 == "unflushed-write" && $4 == 64 && $5 == o {print $8}' "$WORK/buggy/flat")
    [ "$(where "$fr")" = "pmlog.c:$line" ]
    ok $? "buggy: record at region offset $off, 64 bytes, written at pmlog.c:$line"
done
grep -q '^summary 0 0$' "$WORK/fixed/flat" && [ "$(grep -vc '^summary' "$WORK/fixed/flat")" -eq 0 ]
ok $? "fixed: no findings"

done_testing
