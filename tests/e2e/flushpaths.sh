#!/bin/sh
# flushpaths.sh -- libnvmem on each flush instruction the CPU has (NVMEM_FLUSH), with
# and without the checker; a bad NVMEM_FLUSH says so in one line and runs on.
. "$top_srcdir/tests/e2e/lib.sh"

for insn in clwb clflushopt clflush; do
    if ! grep -qw "$insn" /proc/cpuinfo; then
        T=$((T + 1)); echo "ok $T # SKIP this CPU has no $insn"
        continue
    fi
    NVMEM_FLUSH=$insn "$SCEN" clean >"$WORK/$insn.out" 2>"$WORK/$insn.err"
    ok $? "libnvmem with $insn: correct program runs"
    [ ! -s "$WORK/$insn.err" ]
    ok $? "libnvmem with $insn: no complaint"
    run clean NVMEM_FLUSH=$insn
    ok $RC "checked, with $insn: exit 0"
    expect_count 0
done

NVMEM_FLUSH=bogus "$SCEN" clean >/dev/null 2>"$WORK/bogus.err"
ok $? "bogus NVMEM_FLUSH: the program still runs"
n=$(wc -l <"$WORK/bogus.err")
grep -q '^nvmem: NVMEM_FLUSH=bogus: not one of clwb, clflushopt, clflush; using ' "$WORK/bogus.err"
ok $? "bogus NVMEM_FLUSH: one clear line"
[ "$n" -eq 1 ]
ok $? "bogus NVMEM_FLUSH: exactly one line (got $n)"

done_testing
