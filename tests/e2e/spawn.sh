#!/bin/sh
# spawn.sh -- processes: posix_spawn, vfork (+exec, or a failed exec and _exit), a
# fork child that inherits unflushed bytes, a double-fork daemon. Every process that
# used the API reports its own findings; a fork child never the bytes it inherited.
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

# fork: the child exits without calling the API. The unflushed bytes it inherited
# are its parent's -- reported by the parent, which frees the token without flushing
# them -- never the child's, which writes no report at all.
for how in exit _exit; do
    run fork-inherit SCENARIO_END=$how
    ok $RC "fork-inherit ($how): exit status 0"
    nreports 1 "fork-inherit ($how)"
    expect unflushed-write +64 16 64 end-write token-freed-at=inherit-free
    expect_count 1
done

# The program: the parent's write is in flight as it forks, the child _exits
# on the MAP_SHARED region, the parent flushes and frees. Nothing is lost, nothing
# reported.
run fork-inflight
ok $RC "fork-inflight: exit status 0"
nreports 1 "fork-inflight (the parent's)"
expect_count 0

# A child that writes itself reports exactly that: its 4 bytes written over inherited
# ones, its own 8, and the token it did not free; not the 12 inherited bytes it left
# alone, and its flush of a line it inherited dirty is not redundant.
run fork-own NVCHECK_OPTIONS=kinds=+redundant-flush
ok $RC "fork-own: exit status 0"
nreports 2 "fork-own"
expect unflushed-write +64 4 64 child-over
expect unflushed-write +2048 8 2048 child-own
expect leaked-token +0 65536 0 get
expect_count 3

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
nreports 2 "daemon (parent and grandchild; the child that exits at once writes none)"
expect_count 2
# Which report is whose: the grandchild's holds its own write only (the bytes it
# inherited are the parent's), the parent's its own.
for r in $REPORTS; do
    "$NVFLAT" "$r" | grep -v '^summary' >"$r.flat"
    if grep -q "^unflushed-write [a-z]* [0-9a-fx]* 8 " "$r.flat"; then cp "$r.flat" "$OUT/grandchild"
    else cp "$r.flat" "$OUT/parent"; fi
done
FLAT="$OUT/parent"
expect unflushed-write +64 16 64 end-write token-freed-at=parent-free
expect_count 1
FLAT="$OUT/grandchild"
expect unflushed-write +128 8 128 daemon-write token-freed-at=daemon-free
expect_count 1
for r in $REPORTS; do
    pid=$(tr -d ' \n' <"$r" | sed -n 's/.*"process":{"pid":\([0-9]*\),.*/\1/p')
    case $r in *".$pid.json") ;; *) ok 1 "$r is named after its pid $pid"; continue ;; esac
done
ok 0 "daemon: every report is named after its own process"

valid_reports "all $(echo $ALL | wc -w) reports validate against the schema" $ALL

done_testing
