#!/bin/sh
# threads.sh -- drains are per thread (SFENCE semantics), or global on request;
# threads come and go, asynchronously cancelled in the middle of API calls.
. "$top_srcdir/tests/e2e/lib.sh"

run other-thread-drain
expect undrained-flush +256 64 256 thread-write flushed-at=thread-flush
expect_count 1
grep -q '"message":"64 bytes at 0x[0-9a-f]* were flushed but not drained by the flushing thread T2; T1 drained later' $REPORTS
ok $? "the message says the main thread's drain came later and did not count"
grep -q '"thread":{"id":2,"tid":[0-9]*}' $REPORTS
ok $? "the finding names the flushing thread"

run other-thread-drain NVCHECK_OPTIONS=drain=global
expect_count 0

# A token freed in one thread, used in another before and after its slot is reused
# (under make check-tsan: without a race in the checker's per-token records).
run token-reuse
ok $RC "token-reuse: exit status 0"
expect invalid-token - - - reuse-stale token-freed-at=reuse-free
expect invalid-token - - - reuse-gone
n=$(awk '$1 == "invalid-token" && NF == 8' "$FLAT" | wc -l)
[ "$n" -eq 1 ]
ok $? "token-reuse: the use after the slot's reuse names no stack of the token"
expect_count 2

# 100 threads made asynchronously cancellable are cancelled while they write and
# drain; each time main then flushes the same lines (natively a fraction of a second;
# a thread killed inside the checker with a lock held would make main spin forever).
if [ -n "$NV_TSAN_RUNTIME" ]; then
    # TSan's runtime itself does not survive a thread cancelled asynchronously inside
    # its instrumentation (outside the checker), with or without us.
    for i in 1 2 3 4; do skip "cancel: not under TSan"; done
    done_testing
    exit
fi
OUT="$WORK/cancel"
mkdir -p "$OUT"
timeout -s KILL 120 env NVCHECK_OUTPUT="$OUT/report.%p.json" LD_PRELOAD="$PRELOAD" \
    "$SCEN" cancel >"$OUT/stdout" 2>"$OUT/stderr"
RC=$?
REPORTS=$(ls "$OUT"/report.*.json 2>/dev/null)
BASE=$(sed -n 's/^base //p' "$OUT/stdout")
FLAT="$OUT/flat"
: >"$FLAT"
for r in $REPORTS; do "$NVFLAT" "$r" >>"$FLAT"; done
[ "$RC" -eq 0 ]
ok $? "cancel: 100 asynchronous cancels, exit status 0 (got $RC; 137: it hung)"
grep -qx "cancelled 100, type as set" "$OUT/stdout"
ok $? "cancel: pthread_setcanceltype returns the type the program set"
expect unflushed-write +32768 8 32768 cancel-dirty token-freed-at=cancel-free
expect_count 1

done_testing
