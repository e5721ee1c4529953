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

# A symlink planted at the report path is replaced, never followed.
echo precious >"$WORK/victim"
ln -s "$WORK/victim" "$WORK/planted.json"
NVCHECK_OUTPUT="$WORK/planted.json" LD_PRELOAD="$PRELOAD" "$SCEN" unflushed >/dev/null 2>&1
[ "$(cat "$WORK/victim")" = precious ] && [ -f "$WORK/planted.json" ] && [ ! -L "$WORK/planted.json" ]
ok $? "symlink at the report path: replaced by the report, its target untouched"

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
