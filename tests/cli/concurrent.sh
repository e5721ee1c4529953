#!/bin/sh
# concurrent.sh -- several nvcheck runs at once, one output directory: each run sums
# up exactly its own processes' reports (forks, execs, processes running in
# parallel), every report in the directory is whole and valid, none is overwritten
# (one file per process image) and no temp file is left behind.
. "$top_srcdir/tests/cli/lib.sh"
ulimit -c 0
# Under a sanitizer (make check-asan, check-tsan) programs need its runtime first.
RUNTIME=${NV_ASAN_RUNTIME:-$NV_TSAN_RUNTIME}
[ -n "$RUNTIME" ] && NVCHECK="env LD_PRELOAD=$RUNTIME $NVCHECK"
D="$WORK/reports"

# The workloads: what each runs after the barrier, how many report files it leaves,
# and its summary ("nvcheck: ..." lines, the directory written DIR).
work_1="'$SCEN' fork"
files_1=2
sum_1="nvcheck: findings by kind: unflushed-write 2
nvcheck: 2 errors, 0 warnings in 2 processes (1 program)
nvcheck: 2 reports in DIR, from 2 processes
nvcheck: 2 findings above the bar (--fail-on errors): exit status 66"
work_2="'$SCEN' exec"
files_2=2
sum_2="nvcheck: findings by kind: unflushed-write 2, leaked-token 1
nvcheck: 2 errors, 1 warning in 2 processes (2 programs)
nvcheck: 2 reports in DIR, from 1 process
nvcheck: 2 findings above the bar (--fail-on errors): exit status 66"
work_3="'$SCEN' fork >/dev/null & '$SCEN' exec & '$SCEN' many; wait"
files_3=5
sum_3="nvcheck: findings by kind: unflushed-write 16, leaked-token 1
nvcheck: 16 errors, 1 warning in 5 processes (2 programs)
... 7 more findings not shown
nvcheck: 5 reports in DIR, from 4 processes
nvcheck: 16 findings above the bar (--fail-on errors): exit status 66"
work_4="for i in 1 2 3; do '$SCEN' fork; done"
files_4=6
sum_4="nvcheck: findings by kind: unflushed-write 2
nvcheck: 2 errors, 0 warnings in 6 processes (1 program)
nvcheck: 6 reports in DIR, from 6 processes
nvcheck: 2 findings above the bar (--fail-on errors): exit status 66"

# round NAME K... -- start runs of workloads K... at once, all into $D; each program
# waits at a barrier until every run's program has started, so they really overlap
# (the wait is bounded; what is checked does not depend on it). Then check each.
round() {
    name=$1; shift
    n=$#
    B="$WORK/barrier.$name"
    mkdir -p "$B"
    for k in "$@"; do
        eval "work=\$work_$k"
        $NVCHECK run -o "$D" -- sh -c "touch '$B/$k'; i=0
            while [ \$(ls '$B' | wc -l) -lt $n ] && [ \$i -lt 1200 ]; do sleep 0.05; i=\$((i + 1)); done
            $work" >"$WORK/$name.$k.out" 2>"$WORK/$name.$k.err" &
        eval "pid_$k=\$!"
    done
    for k in "$@"; do
        eval "wait \$pid_$k"
        rc=$?
        [ "$rc" -eq 66 ]
        ok $? "$name, run $k: exit status 66"
        [ "$rc" -eq 66 ] || diag "exit status $rc" "$(cat "$WORK/$name.$k.err")"
        eval "want=\$sum_$k"
        got=$(grep -E '^(nvcheck: |\.\.\. )' "$WORK/$name.$k.err" | sed "s|$D|DIR|g")
        [ "$got" = "$want" ]
        ok $? "$name, run $k: its summary covers exactly its own processes"
        [ "$got" = "$want" ] || diag "got:" "$got" "want:" "$want"
        eval "FILES=\$((FILES + files_$k))"
    done
}

FILES=0
round "two runs" 1 2
round "four runs" 1 2 3 4
round "four more" 4 3 2 1

# ---- the directory: every process's report, whole, valid, none lost ----

n=$(ls "$D" | wc -l)
[ "$n" -eq "$FILES" ]
ok $? "one report per process image, none overwritten: $FILES files"
[ "$n" -eq "$FILES" ] || diag "$(ls "$D")"
others=$(ls "$D" | grep -Ev '^nvcheck\.[0-9]+(\.[0-9]+)?\.json$')
[ -z "$others" ]
ok $? "no temp files or other names left"
[ -z "$others" ] || diag "$others"
valid_reports "every report is complete and valid against raw-report.schema.json" "$D"/*.json
# Reports grouped by run id: 10 runs, with as many reports as their workloads left.
python3 - "$D" >"$WORK/runs" <<'EOF'
import collections, glob, json, sys
runs = collections.Counter(json.load(open(f))["run_id"] for f in glob.glob(sys.argv[1] + "/*.json"))
print(" ".join(str(n) for n in sorted(runs.values())))
EOF
[ "$(cat "$WORK/runs")" = "2 2 2 2 2 2 5 5 6 6" ]
ok $? "reports by run id: 10 runs, 2 2 2 2 2 2 5 5 6 6 reports"
[ "$(cat "$WORK/runs")" = "2 2 2 2 2 2 5 5 6 6" ] || diag "got: $(cat "$WORK/runs")"

done_testing
