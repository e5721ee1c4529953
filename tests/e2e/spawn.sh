#!/bin/sh
# spawn.sh -- processes: posix_spawn, vfork (+exec, or a failed exec and _exit), a
# fork child that inherits unflushed bytes, a double-fork daemon. Every process that
# used the API, or inherited unflushed bytes and exits, reports its own findings.
. "$top_srcdir/tests/e2e/lib.sh"
ALL=

# child_base -- the second "base" line: the child's own region.
child_base() {
    sed -n 's/^base //p' "$OUT/stdout" | sed -n 2p
}
nreports() {
    n=$(echo "$REPORTS" | wc -w)
    [ "$n" -eq "$1" ]
    ok $? "$2: $1 report(s) (got $n)"
    ALL="$ALL $REPORTS"
}

# posix_spawn: the child is a new process, checked, with its own report.
run spawn
ok $RC "spawn: exit status 0"
nreports 2 spawn
expect unflushed-write +64 16 64 end-write token-freed-at=spawn-free
BASE=$(child_base)
expect unflushed-write +64 64 64 unflushed token-freed-at=unflushed-free
expect_count 2

# vfork + exec: the vfork child writes no report (its memory is its parent's), the
# program it execs does.
run vfork
ok $RC "vfork: exit status 0"
grep -qx "child status 0" "$OUT/stdout"
ok $? "vfork: the child exec'd and exited 0"
nreports 2 "vfork + exec"
expect unflushed-write +64 16 64 end-write token-freed-at=vfork-free
BASE=$(child_base)
expect unflushed-write +64 64 64 unflushed token-freed-at=unflushed-free
expect_count 2

# vfork, exec fails, _exit(127): still only the parent's report.
run vfork SCENARIO_END=fail
grep -qx "child status 127" "$OUT/stdout"
ok $? "vfork, failed exec: the child's _exit(127) went through"
if [ -n "$NV_TSAN_RUNTIME" ]; then
    # TSan makes vfork() a fork(): the child has memory of its own, and reports the
    # unflushed bytes it inherited like any fork child.
    skip "vfork, failed exec: 1 report: under TSan vfork is fork"
    expect unflushed-write +64 16 64 end-write token-freed-at=vfork-free
    skip "vfork, failed exec: exactly 1 finding: under TSan vfork is fork"
else
    nreports 1 "vfork, failed exec"
    expect unflushed-write +64 16 64 end-write token-freed-at=vfork-free
    expect_count 1
fi

# fork: the child exits without calling the API; the unflushed bytes it inherited are
# in its report, attributed to the parent's write; the parent's report has them too.
for how in exit _exit; do
    run fork-inherit SCENARIO_END=$how
    ok $RC "fork-inherit ($how): exit status 0"
    nreports 2 "fork-inherit ($how)"
    expect unflushed-write +64 16 64 end-write token-freed-at=inherit-free
    expect_count 2
    m=$(awk '$1 == "unflushed-write" && $0 !~ /token-freed-at/' "$FLAT" | wc -l)
    [ "$m" -eq 1 ]
    ok $? "fork-inherit ($how): the child's report holds the inherited bytes (region still live)"
    n=$(grep -c '^leaked-token' "$FLAT")
    [ "$n" -eq 0 ]
    ok $? "fork-inherit ($how): the parent's live token is not the child's leak"
done

# fork + exec of a program that does not use the API: only the parent reports.
run fork-inherit SCENARIO_END=exec
ok $RC "fork + exec: exit status 0"
nreports 1 "fork + exec of /bin/true"
expect unflushed-write +64 16 64 end-write token-freed-at=inherit-free
expect_count 1

# A double-fork daemon: the grandchild, reparented, still writes its report. Its
# stdout is a pipe the test reads to the end, so the test waits for it to exit.
OUT="$WORK/daemon"
mkdir -p "$OUT"
NVCHECK_OUTPUT="$OUT/report.%p.json" LD_PRELOAD="$PRELOAD" "$SCEN" daemon 2>"$OUT/stderr" |
    cat >"$OUT/stdout"
REPORTS=$(ls "$OUT"/report.*.json 2>/dev/null)
BASE=$(sed -n 's/^base //p' "$OUT/stdout" | head -n 1)
FLAT="$OUT/flat"
: >"$FLAT"
for r in $REPORTS; do "$NVFLAT" "$r" >>"$FLAT"; done
grep -qx "daemon done" "$OUT/stdout"
ok $? "daemon: the grandchild ran to its end"
nreports 3 "daemon (parent, the child that exits at once, the grandchild)"
expect_count 4
# Which report is whose: the grandchild's has two findings, the parent's one with
# token-freed-at, the intermediate child's one without.
for r in $REPORTS; do
    "$NVFLAT" "$r" | grep -v '^summary' >"$r.flat"
    if [ "$(wc -l <"$r.flat")" -eq 2 ]; then cp "$r.flat" "$OUT/grandchild"
    elif grep -q token-freed-at "$r.flat"; then cp "$r.flat" "$OUT/parent"
    else cp "$r.flat" "$OUT/child"; fi
done
FLAT="$OUT/parent"
expect unflushed-write +64 16 64 end-write token-freed-at=parent-free
FLAT="$OUT/child"
expect unflushed-write +64 16 64 end-write
expect_count 1
FLAT="$OUT/grandchild"
expect unflushed-write +64 16 64 end-write token-freed-at=daemon-free
expect unflushed-write +128 8 128 daemon-write token-freed-at=daemon-free
for r in $REPORTS; do
    pid=$(tr -d ' \n' <"$r" | sed -n 's/.*"process":{"pid":\([0-9]*\),.*/\1/p')
    case $r in *".$pid.json") ;; *) ok 1 "$r is named after its pid $pid"; continue ;; esac
done
ok 0 "daemon: every report is named after its own process"

valid_reports "all $(echo $ALL | wc -w) reports validate against the schema" $ALL

done_testing
