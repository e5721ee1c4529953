#!/bin/sh
# report.sh -- the raw report: valid against its schema, written where NVCHECK_OUTPUT
# says, atomically, never through a planted symlink; bad options and unwritable
# paths cost one line on stderr and nothing else.
. "$top_srcdir/tests/e2e/lib.sh"

# Every scenario's report validates against the schema.
all=
for s in unflushed unflushed-exit fill undrained undrained-flush nt ranges invalid-token \
    out-of-region invalid-argument leaked other-thread-drain fork clean; do
    run $s NVCHECK_OPTIONS=kinds=all
    all="$all $REPORTS"
done
valid_reports "every report validates against reports/raw-report.schema.json" $all
for r in $all; do
    [ "$(tail -c 1 "$r" | od -An -c | tr -d ' ')" = '\n' ] || { ok 1 "$r ends with a newline"; break; }
done
ok 0 "reports end with a newline"

# Where the report goes.
mkdir -p "$WORK/cwd" && cd "$WORK/cwd" || exit 1
LD_PRELOAD="$PRELOAD" "$SCEN" unflushed >/dev/null 2>&1
pid=$(ls nvcheck.*.json 2>/dev/null | sed 's/nvcheck\.\([0-9]*\)\.json/\1/')
[ -n "$pid" ] && grep -q "\"pid\":$pid," "nvcheck.$pid.json"
ok $? "default: nvcheck.PID.json in the working directory, PID being the process's"
mkdir -p "$WORK/dir"
NVCHECK_OUTPUT="$WORK/dir" LD_PRELOAD="$PRELOAD" "$SCEN" unflushed >/dev/null 2>&1
ls "$WORK/dir"/nvcheck.*.json >/dev/null 2>&1
ok $? "NVCHECK_OUTPUT naming a directory: nvcheck.PID.json inside it"
NVCHECK_OUTPUT="$WORK/pct%%-%p.json" LD_PRELOAD="$PRELOAD" "$SCEN" unflushed >/dev/null 2>&1
ls "$WORK"/pct%-[0-9]*.json >/dev/null 2>&1
ok $? "%% is a literal percent sign, %p the pid"
ls "$WORK"/*.tmp.* "$WORK/dir"/*.tmp.* "$WORK/cwd"/*.tmp.* >/dev/null 2>&1
[ $? -ne 0 ]
ok $? "no temp files left behind"

# A process that never calls the API writes no report.
run none
[ -z "$REPORTS" ]
ok $? "no API calls: no report"

# Unwritable output: one line, and the program's status and output are untouched.
NVCHECK_OUTPUT=/nonexistent/dir/r.json LD_PRELOAD="$PRELOAD" "$SCEN" unflushed \
    >"$WORK/u.out" 2>"$WORK/u.err"
ok $? "unwritable report path: exit status unchanged"
grep -q '^base 0x' "$WORK/u.out"
ok $? "unwritable report path: program output intact"
[ "$(wc -l <"$WORK/u.err")" -eq 1 ] && grep -q '^nvcheck: cannot write report /nonexistent/dir/r.json.tmp.[0-9]*: No such file or directory$' "$WORK/u.err"
ok $? "unwritable report path: exactly one line naming path and reason"
[ $? -eq 0 ] || diag "$(cat "$WORK/u.err")"

# A name too long once %p is expanded: one line, nothing written.
long=$WORK/$(printf '%%p%.0s' $(seq 1 1500)).json
NVCHECK_OUTPUT="$long" LD_PRELOAD="$PRELOAD" "$SCEN" unflushed >"$WORK/u.out" 2>"$WORK/u.err"
[ $? -eq 0 ] && [ "$(cat "$WORK/u.err")" = "nvcheck: cannot write report: the name NVCHECK_OUTPUT makes is too long" ]
ok $? "NVCHECK_OUTPUT too long once expanded: exit status unchanged, one line"
[ $? -eq 0 ] || diag "$(cat "$WORK/u.err")"

# A symlink planted at the report path is replaced, never followed.
echo precious >"$WORK/victim"
ln -s "$WORK/victim" "$WORK/planted.json"
NVCHECK_OUTPUT="$WORK/planted.json" LD_PRELOAD="$PRELOAD" "$SCEN" unflushed >/dev/null 2>&1
[ "$(cat "$WORK/victim")" = precious ] && [ -f "$WORK/planted.json" ] && [ ! -L "$WORK/planted.json" ]
ok $? "symlink at the report path: replaced by the report, its target untouched"

# A fixed name (no %p) is replaced by a new report only when what it holds is older
# than the process: a report written while the process lived -- by its fork child,
# by the image it was before an exec -- is kept, and the new one takes name.1.json,
# like a per-process name. (A failed exec takes its report back: one report.)
# fixed SCENARIO [VAR=VALUE...] -- run it with NVCHECK_OUTPUT=$OUT/r.json; REPORTS are
# r.json and r.N.json in the order written.
fixed() {
    name=$1; shift
    OUT="$WORK/fixed.$T"
    mkdir -p "$OUT"
    env NVCHECK_OUTPUT="$OUT/r.json" LD_PRELOAD="$PRELOAD" NVCHECK_OPTIONS=kinds=-leaked-token \
        "$@" "$SCEN" "$name" >"$OUT/stdout" 2>"$OUT/stderr"
    RC=$?
    BASE=$(sed -n 's/^base //p' "$OUT/stdout" | head -n 1)
    REPORTS=$(ls "$OUT/r.json" "$OUT"/r.[0-9]*.json 2>/dev/null)
    FLAT="$OUT/flat"
    : >"$FLAT"
    for r in $REPORTS; do "$NVFLAT" "$r" >>"$FLAT"; done
}
fixed fixed-fork
[ "$RC" -eq 0 ] && [ "$(ls "$OUT" | grep json | tr '\n' ' ')" = "r.1.json r.json " ]
ok $? "fixed name, fork: the child's report and the parent's, r.json and r.1.json"
FLAT="$OUT/flat.child" && "$NVFLAT" "$OUT/r.json" >"$FLAT"
expect unflushed-write +960 16 960 fixed-child
FLAT="$OUT/flat.parent" && "$NVFLAT" "$OUT/r.1.json" >"$FLAT"
expect unflushed-write +448 8 448 fixed-parent
expect_count 1
ALL_FIXED=$REPORTS
fixed exec SCENARIO_EXEC=execv
[ "$RC" -eq 0 ] && [ "$(ls "$OUT" | grep json | tr '\n' ' ')" = "r.1.json r.json " ] &&
    tr -d ' \n' <"$OUT/r.json" | grep -q '"end":{"how":"exec"}'
ok $? "fixed name, exec: the image before the exec in r.json, the new one in r.1.json"
expect unflushed-write +128 16 128 pre-exec
BASE=$(sed -n 's/^base //p' "$OUT/stdout" | sed -n 2p)
expect unflushed-write +64 64 64 unflushed token-freed-at=unflushed-free
expect_count 2
ALL_FIXED="$ALL_FIXED $REPORTS"
fixed exec SCENARIO_EXEC=fail
[ "$RC" -eq 0 ] && [ "$(ls "$OUT" | grep json | tr '\n' ' ')" = "r.json " ]
ok $? "fixed name, failed exec: its report taken back, the one at exit in r.json"
expect unflushed-write +128 16 128 pre-exec token-freed-at=exec-free
expect unflushed-write +256 8 256 after-failed-exec token-freed-at=exec-free
expect_count 2
ALL_FIXED="$ALL_FIXED $REPORTS"
# ... but a stale one (of an earlier run) is replaced, as the user asked.
mkdir -p "$WORK/stale"
echo '{"old": 1}' >"$WORK/stale/r.json"
touch -d '2 seconds ago' "$WORK/stale/r.json"
NVCHECK_OUTPUT="$WORK/stale/r.json" LD_PRELOAD="$PRELOAD" "$SCEN" unflushed >/dev/null 2>&1
[ "$(ls "$WORK/stale")" = r.json ] && grep -q '"schema":"nvcheck-raw/1"' "$WORK/stale/r.json"
ok $? "fixed name holding an older file: replaced, nothing beside it"
ALL_FIXED="$ALL_FIXED $WORK/stale/r.json"
valid_reports "reports under fixed names validate" $ALL_FIXED

# Options: bad ones named in one line, the rest still applies.
run unflushed NVCHECK_OPTIONS="bogus=1:stack_depth=0 also_bad quiet=1"
[ "$(wc -l <"$OUT/stderr")" -eq 1 ]
ok $? "bad options: one line on stderr"
grep -q "^nvcheck: NVCHECK_OPTIONS: unknown option 'bogus'; stack_depth=0: expected a number 1..64; unknown option 'also_bad' (known: stack_depth kinds drain max_findings max_shadow_mb max_stacks quiet)$" "$OUT/stderr"
ok $? "bad options: each named, the known ones listed"
[ $? -eq 0 ] || diag "$(cat "$OUT/stderr")"
grep -q '"stack_depth":16,' $REPORTS
ok $? "bad value keeps the default"
expect unflushed-write +64 64 64 unflushed

run unflushed NVCHECK_OPTIONS=stack_depth=1
grep -q '"stack":\[{"module":[0-9]*,"offset":"0x[0-9a-f]*"}\],' $REPORTS
ok $? "stack_depth=1: one frame per stack"
expect unflushed-write +64 64 64 unflushed

run unflushed
grep -q '^nvcheck: 1 error, 0 warnings in pid [0-9]*; report: .*report\.[0-9]*\.json$' "$OUT/stderr"
ok $? "with findings: one summary line on stderr"
run unflushed NVCHECK_OPTIONS=quiet=1
[ ! -s "$OUT/stderr" ]
ok $? "quiet=1: nothing on stderr"
[ -n "$REPORTS" ]
ok $? "quiet=1: the report is still written"

done_testing
