#!/bin/sh
# exec.sh -- every way to exec reports before the image is replaced, and the new
# image is checked too: execveat, syscall(SYS_execve/SYS_execveat), an environment the
# program cleared (execve with its own envp, unsetenv, env -i), the program's own
# LD_PRELOAD or NVCHECK_OUTPUT; an exec of a binary the loader runs in secure mode is
# named on stderr. (The other exec functions: tests/cli/run.sh.)
. "$top_srcdir/tests/e2e/lib.sh"
ALL=

# two_images WHAT -- after `run exec`: report.PID.json holds the image before the exec
# (its write and its live token), report.PID.1.json the exec'd "scenarios unflushed".
two_images() {
    set -- $REPORTS
    first=$(echo "$REPORTS" | grep -v '\.1\.json$') second=$(echo "$REPORTS" | grep '\.1\.json$')
    [ $# -eq 2 ] && [ "${first%.json}.1.json" = "$second" ] && [ "$RC" -eq 0 ]
    ok $? "$WHAT: exit status 0, two reports, report.PID.json and report.PID.1.json (status $RC, $# reports)"
    ALL="$ALL $REPORTS"
    FLAT="$OUT/flat.1" && "$NVFLAT" "$first" >"$FLAT"
    expect unflushed-write +128 16 128 pre-exec
    expect leaked-token +0 65536 0 get
    expect_count 2
    FLAT="$OUT/flat.2" && "$NVFLAT" "$second" >"$FLAT"
    BASE=$(sed -n 's/^base //p' "$OUT/stdout" | sed -n 2p)
    expect unflushed-write +64 64 64 unflushed token-freed-at=unflushed-free
    expect_count 1
}

for how in execveat execveat-fd sys-execve sys-execveat; do
    WHAT=$how
    run exec SCENARIO_EXEC=$how
    two_images
done

# A cleared environment: the new image gets back LD_PRELOAD (the entries up to and
# including libnvcheck.so, as this image had them) and NVCHECK_OUTPUT.
for how in clearenv unsetenv env-i; do
    WHAT="$how"
    if [ -n "$NV_TSAN_RUNTIME" ] && [ "$how" != unsetenv ]; then
        # The cleared environment loses TSAN_OPTIONS, without which TSan cannot start
        # under the interposer (see NV_TSAN_OPTIONS in tests/Makefile.inc).
        for i in 1 2 3 4 5 6 7 8; do skip "$how: not under TSan (TSAN_OPTIONS is cleared too)"; done
        continue
    fi
    run exec SCENARIO_EXEC=$how
    two_images
    grep -qxF "LD_PRELOAD=$PRELOAD" "$OUT/stdout"
    ok $? "$how: the exec'd image had LD_PRELOAD=$PRELOAD"
    grep -qxF "NVCHECK_OUTPUT=$OUT/report.%p.json" "$OUT/stdout"
    ok $? "$how: the exec'd image had this one's NVCHECK_OUTPUT"
done

# The program's own LD_PRELOAD keeps its entries, after ours.
WHAT=own-preload
run exec SCENARIO_EXEC=own-preload SCENARIO_SHOW_ENV=1
two_images
grep -qxF "LD_PRELOAD=$PRELOAD:libm.so.6" "$OUT/stdout"
ok $? "own-preload: the exec'd image had LD_PRELOAD=$PRELOAD:libm.so.6"
[ "$(grep -c '^LD_PRELOAD=' "$OUT/stdout")" -eq 2 ] &&
    grep -qxF "LD_PRELOAD=$PRELOAD" "$OUT/stdout"
ok $? "own-preload: the first image's own LD_PRELOAD was as given"

# The program's own NVCHECK_OUTPUT wins: the new image reports there.
OTHER="$WORK/other"
mkdir -p "$OTHER"
run exec SCENARIO_EXEC=own-output SCENARIO_OTHER="$OTHER/mine.%p.json"
set -- $REPORTS
[ $# -eq 1 ] && [ "$RC" -eq 0 ]
ok $? "own-output: exit status 0, one report where NVCHECK_OUTPUT said (status $RC, $# reports)"
set -- "$OTHER"/mine.*.json
[ $# -eq 1 ] && [ -f "$1" ]
ok $? "own-output: the exec'd image's report is where the program's NVCHECK_OUTPUT said"
FLAT="$OUT/flat.other" && "$NVFLAT" "$1" >"$FLAT"
BASE=$(sed -n 's/^base //p' "$OUT/stdout" | sed -n 2p)
expect unflushed-write +64 64 64 unflushed token-freed-at=unflushed-free
expect_count 1
ALL="$ALL $REPORTS $1"

# A correct program whose exec fails (then it flushes, drains and frees): no finding,
# one report, and nothing of the exec's report left; under nvcheck run, exit 0.
run exec-fail-clean
set -- $REPORTS
[ "$RC" -eq 0 ] && [ $# -eq 1 ]
ok $? "failed exec, then flush, drain, free: exit status 0, one report (status $RC, $# reports)"
expect_count 0
ALL="$ALL $REPORTS"
D="$WORK/run-fail-clean"
env ${NV_ASAN_RUNTIME:+LD_PRELOAD=$NV_ASAN_RUNTIME} "$top_builddir/nvcheck" run -o "$D" -- \
    "$SCEN" exec-fail-clean >"$WORK/run.out" 2>"$WORK/run.err"
rc=$?
[ "$rc" -eq 0 ] && [ "$(ls "$D" | wc -l)" -eq 1 ]
ok $? "failed exec: nvcheck run exits 0 with one report (status $rc)"
[ "$rc" -eq 0 ] || diag "$(cat "$WORK/run.err")"
run exec SCENARIO_EXEC=fail
[ "$(grep -c . "$OUT/stderr")" -eq 1 ] &&
    grep -q "^nvcheck: 2 errors, 0 warnings in pid [0-9]*; report: $OUT/report\.[0-9]*\.json$" "$OUT/stderr"
ok $? "failed exec: one line on stderr, the exit's (none for the report taken back)"
[ $? -eq 0 ] || diag "$(cat "$OUT/stderr")"
# Threads that call the API while an exec is under way wait for it: when it fails,
# their calls are checked as before (a write checked and its flush not would leave a
# false finding).
run exec-fail-threads
ok $RC "500 failed execs while two threads write and flush: exit status 0"
expect_count 0
ALL="$ALL $REPORTS"

# A secure-execution binary: named on stderr, quiet or not; the program runs on.
if [ "$(id -u)" -eq 0 ]; then
    cp /bin/true "$WORK/suid-true" && chown 65534 "$WORK/suid-true" && chmod 4755 "$WORK/suid-true"
    for opts in quiet=0 quiet=1; do
        run exec SCENARIO_EXEC=setuid SCENARIO_TARGET="$WORK/suid-true" NVCHECK_OPTIONS=$opts
        [ "$RC" -eq 0 ]
        ok $? "setuid ($opts): the exec'd binary ran (status $RC)"
        grep -qxF "nvcheck: $WORK/suid-true runs in secure-execution mode (setuid, setgid or file capabilities): the loader ignores LD_PRELOAD for it, so it is not checked" "$OUT/stderr"
        ok $? "setuid ($opts): one line on stderr names it"
        [ $? -eq 0 ] || diag "$(cat "$OUT/stderr")"
    done
    cp /bin/true "$WORK/plain-true"
    chmod 4755 "$WORK/plain-true" # setuid root, run by root: no change of ids
    run exec SCENARIO_EXEC=setuid SCENARIO_TARGET="$WORK/plain-true"
    ! grep -q "secure-execution" "$OUT/stderr"
    ok $? "setuid to the caller's own uid: nothing said"
else
    skip "setuid: chown to another user needs root"
    skip "setuid: chown to another user needs root"
    skip "setuid: chown to another user needs root"
    skip "setuid: chown to another user needs root"
    skip "setuid: chown to another user needs root"
fi
# File capabilities: secure for a caller that is not root (run as user nobody).
if [ -n "$NV_ASAN_RUNTIME$NV_TSAN_RUNTIME" ]; then
    skip "file capabilities: not under a sanitizer runtime (user nobody cannot load it)"
elif command -v setcap >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ] && as_user_setup; then
    cp /bin/true "$WORK/cap-true" && setcap cap_net_bind_service+ep "$WORK/cap-true"
    scen=$(for_user "$SCEN")
    lib=$(for_user "$NVCHECK_SO")
    OUT="$WORK/caps"
    mkdir -p "$OUT" && chmod 777 "$OUT"
    $AS_USER env LD_PRELOAD="$lib" NVCHECK_OUTPUT="$OUT/report.%p.json" SCENARIO_EXEC=setuid \
        SCENARIO_TARGET="$WORK/cap-true" "$scen" exec >"$OUT/stdout" 2>"$OUT/stderr"
    RC=$?
    [ "$RC" -eq 0 ] &&
        grep -qxF "nvcheck: $WORK/cap-true runs in secure-execution mode (setuid, setgid or file capabilities): the loader ignores LD_PRELOAD for it, so it is not checked" "$OUT/stderr"
    ok $? "file capabilities, as user nobody: named on stderr, the program ran (status $RC)"
    [ $? -eq 0 ] || diag "$(cat "$OUT/stderr")"
else
    skip "file capabilities: needs root, setcap and a way to become user nobody${AS_USER_WHY:+ ($AS_USER_WHY)}"
fi

valid_reports "all $(echo $ALL | wc -w) reports validate against the schema" $ALL

done_testing
