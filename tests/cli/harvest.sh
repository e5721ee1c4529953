#!/bin/sh
# harvest.sh -- the gate never says "clean" over a lost or unread finding: reports that
# cannot be read (and FIFOs where reports should be), empty harvests, processes that
# left no report (the roster: SIGKILL, a killed child, a daemon still running, a report
# that could not be written), occurrences dropped past max_findings, suppressions and
# baselines that would take more than they know, and what run refuses before it starts.
# shellcheck shell=sh
. "$top_srcdir/tests/cli/lib.sh"
ulimit -c 0
PY=/usr/bin/python3
# Under ASan (make check-asan) programs need its runtime first: nvcheck run keeps it so.
NVCHECK_PLAIN=$NVCHECK
[ -n "$NV_ASAN_RUNTIME" ] && NVCHECK="env LD_PRELOAD=$NV_ASAN_RUNTIME $NVCHECK"

# fresh -- a new report directory D for the next run.
fresh() { D="$WORK/reports.$T"; }

# status NAME WANT -- nvcheck's exit status was WANT.
status() {
    [ "$RC" -eq "$2" ]
    ok $? "$1: exit status $2"
    [ "$RC" -eq "$2" ] || diag "exit status $RC; stderr:" "$(cat "$WORK/err")"
}

# lines NAME EXPECTED -- nvcheck's own lines on stderr ("nvcheck: ..."), with the
# report directory written DIR, are exactly EXPECTED.
lines() {
    got=$(grep -E '^nvcheck: ' "$WORK/err" | sed "s|$D|DIR|g")
    [ "$got" = "$2" ]
    ok $? "$1"
    [ "$got" = "$2" ] || {
        diag "got:" && echo "$got" | sed 's/^/#   /'
        diag "want:" && echo "$2" | sed 's/^/#   /'
    }
}

# has FILE LINE NAME -- FILE holds exactly this line.
has() {
    grep -Fxq -- "$2" "$1"
    ok $? "$3"
    grep -Fxq -- "$2" "$1" || diag "no line '$2' in:" "$(cat "$1")"
}

# one_line NAME PATTERN -- exit status 2 and exactly one line on stderr, matching PATTERN
# (grep -E), nothing on stdout.
one_line() {
    [ "$RC" -eq 2 ] && [ "$(wc -l <"$WORK/err")" -eq 1 ] && [ ! -s "$WORK/out" ] &&
        grep -Eq "$2" "$WORK/err"
    ok $? "$1: exit 2, one line"
    [ $? -eq 0 ] || diag "exit $RC; stderr: $(cat "$WORK/err")"
}

# edit_json IN OUT CODE -- a copy of JSON file IN, changed by python CODE (on d).
edit_json() {
    $PY -c 'import json, sys
d = json.load(open(sys.argv[1]))
exec(sys.argv[3])
json.dump(d, open(sys.argv[2], "w"))' "$@"
}

# markers DIR -- the roster's markers left in DIR, as "STATE PID" lines.
markers() {
    for m in "$1"/*.pending; do
        [ -e "$m" ] && printf '%s %s\n' "$(head -c 1 "$m")" "$(basename "$m" | cut -d. -f2)"
    done
}

GARBAGE='{"schema": "nvcheck-raw/1", "bytes": 18446744073709547520}'

# ---- a report that cannot be read is an error, not an absence ----

# The issue's case: the program's own calls find nothing, a report beside its own
# cannot be read (here planted by the program; a real one had a byte total jansson
# refuses). Never the program's status, never "no reports".
fresh
nvcheck run -o "$D" -- sh -c "echo '$GARBAGE' >\"\${NVCHECK_OUTPUT%/*}/nvcheck.1.json\"; exit 0"
status "run: an unreadable report, nothing else" 2
lines "run: an unreadable report: named, counted, the harvest incomplete" \
    "nvcheck: DIR/nvcheck.1.json: not valid JSON (line 1, column 57: too big integer near '18446744073709547520')
nvcheck: 0 reports in DIR, from 0 processes; 1 report unreadable
nvcheck: the harvest is incomplete (1 report unreadable): exit status 2"
fresh
nvcheck run -o "$D" -- sh -c "echo '$GARBAGE' >\"\${NVCHECK_OUTPUT%/*}/nvcheck.1.json\";
    '$SCEN' clean >/dev/null; exit 3"
status "run: an unreadable report beside a clean one, the program exiting 3" 2
sed "s|$D|DIR|g" "$WORK/err" >"$WORK/err.dir"
has "$WORK/err.dir" "nvcheck: 1 report in DIR, from 1 process; 1 report unreadable" \
    "run: the summary says how many reports were unreadable"
nvcheck run -o "$D" -- "$SCEN" unflushed
status "run: findings fail the run, an unreadable report too: the error exit code" 66
nvcheck run -q -o "$D" -- "$SCEN" clean
status "run -q: an unreadable report" 2
[ "$(cat "$WORK/err")" = "nvcheck: $D/nvcheck.1.json: not valid JSON (line 1, column 57: too big integer near '18446744073709547520')" ]
ok $? "run -q: the unreadable report is still named"
# Another run's report, and a JSON document the interposer never writes, are not this
# run's: passed over (the latter said).
fresh
mkdir -p "$D"
run unflushed
cp $REPORTS "$D/nvcheck.7.json"
echo '{"schema": "nvcheck/1", "findings": []}' >"$D/rendered.json"
nvcheck run -o "$D" -- "$SCEN" clean
status "run: another run's report and a rendered report in the directory" 0
lines "run: the rendered report is named and passed over" \
    "nvcheck: DIR/rendered.json: a rendered report (nvcheck/1); give the raw nvcheck.PID.json files
nvcheck: 0 errors, 0 warnings in 1 process (1 program)
nvcheck: 1 report in DIR, from 1 process"

# check and report: every file tried, each bad one named; exit 2, nothing rendered.
mkdir "$WORK/bad"
run unflushed
cp $REPORTS "$WORK/bad/a.json"
echo "$GARBAGE" >"$WORK/bad/b.json"
printf '{"schema":' >"$WORK/bad/c.json"
for cmd in check report; do
    nvcheck $cmd "$WORK/bad"
    [ "$RC" -eq 2 ] && [ ! -s "$WORK/out" ] && [ "$(wc -l <"$WORK/err")" -eq 2 ] &&
        grep -q "^nvcheck: $WORK/bad/b.json: not valid JSON" "$WORK/err" &&
        grep -q "^nvcheck: $WORK/bad/c.json: not valid JSON" "$WORK/err"
    ok $? "$cmd: two unreadable reports in a directory: both named, exit 2, nothing on stdout"
done

# A FIFO named *.json is never opened blocking: refused with one line (no hang).
mkdir "$WORK/fifo-dir"
cp $REPORTS "$WORK/fifo-dir/a.json"
mkfifo "$WORK/fifo-dir/b.json"
for cmd in check report; do
    timeout 60 $NVCHECK $cmd "$WORK/fifo-dir" >"$WORK/out" 2>"$WORK/err"
    RC=$?
    [ "$RC" -eq 2 ] && [ "$(cat "$WORK/err")" = "nvcheck: $WORK/fifo-dir/b.json: a FIFO, not a report file; not read" ]
    ok $? "$cmd: a FIFO named b.json in the directory: refused, no hang"
    [ "$RC" -eq 2 ] || diag "exit $RC: $(cat "$WORK/err")"
done
fresh
timeout 60 $NVCHECK run -o "$D" -- sh -c "mkfifo \"\${NVCHECK_OUTPUT%/*}/nvcheck.9.json\"; '$SCEN' clean" \
    >"$WORK/out" 2>"$WORK/err"
RC=$?
status "run: a FIFO planted among the reports (no hang)" 2
grep -qx "nvcheck: $D/nvcheck.9.json: a FIFO, not a report file; not read" "$WORK/err"
ok $? "run: the FIFO is named"

# ---- an empty harvest checked nothing ----

mkdir "$WORK/empty"
nvcheck check "$WORK/empty"
one_line "check: a directory without reports" \
    "^nvcheck: $WORK/empty: no reports \(\*\.json\) in this directory: nothing was checked \(--allow-empty if that is expected\)$"
nvcheck check "$WORK/bad/a.json" "$WORK/empty"
one_line "check: a report, and a directory without any" "^nvcheck: $WORK/empty: no reports"
nvcheck check --allow-empty "$WORK/empty"
status "check --allow-empty: a directory without reports" 0
has "$WORK/out" "nvcheck check: 0 findings above the bar, 0 below it; 0 suppressed; 0 in the baseline" \
    "check --allow-empty: the summary"
nvcheck report "$WORK/empty"
one_line "report: a directory without reports" "^nvcheck: $WORK/empty: no reports .*--allow-empty"
nvcheck report --allow-empty "$WORK/empty"
status "report --allow-empty" 0
has "$WORK/out" "nvcheck: note: no reports in $WORK/empty: nothing was checked there" \
    "report --allow-empty: the text says nothing was checked"
nvcheck report --allow-empty -f json "$WORK/empty"
[ "$($PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["harvest"], d["summary"]["processes"])' "$WORK/out")" = \
    "{'lost': [], 'empty': ['$WORK/empty']} 0" ]
ok $? "report --allow-empty -f json: harvest.empty names the directory"

# A shell script whose many processes never call the API: no noise, no markers left.
fresh
nvcheck run --allow-empty -o "$D" -- sh -c \
    'for i in 1 2 3 4 5 6 7 8; do echo $i | cat | grep -c . >/dev/null; ls / >/dev/null; done'
status "run --allow-empty: a script of 40 processes that never use the API" 0
lines "a script of processes without the API: one line" \
    "nvcheck: no reports in DIR: no process called the NV memory API and exited"
[ -z "$(ls -A "$D")" ]
ok $? "a script of processes without the API: no marker left behind"

# ---- the roster: processes that left no report ----

# A program that used the API and was SIGKILLed.
fresh
nvcheck run -o "$D" -- "$SCEN" kill-self
status "run: the program used the API and was SIGKILLed" 2
pid=$(markers "$D" | sed -n 's/^u //p')
lines "run: SIGKILL: the process named, with its wait status" \
    "nvcheck: $SCEN killed by signal 9 (SIGKILL)
nvcheck: process $pid ($SCEN) left no report: killed by signal 9 (SIGKILL)
nvcheck: 0 reports in DIR, from 0 processes; 1 process left no report
nvcheck: the harvest is incomplete (1 process left no report): exit status 2"
[ "$(markers "$D")" = "u $pid" ] && [ -n "$pid" ]
ok $? "run: SIGKILL: the marker (state u) stays as evidence"
K=$D
nvcheck check "$K"
status "check: a directory with a lost process" 2
[ "$(cat "$WORK/err")" = "nvcheck: process $pid ($SCEN) left no report: it ended without writing \
one (killed by SIGKILL -- the OOM killer sends it -- or by something no handler sees)" ]
ok $? "check: the lost process named on stderr"
has "$WORK/out" "nvcheck check: 1 process left no report: exit status 2" "check: and counted"
nvcheck report "$K"
status "report: a directory with a lost process (rendered, partial)" 2
grep -q "^nvcheck: note: process $pid ($SCEN) left no report: it ended without writing one" \
    "$WORK/out"
ok $? "report: the text names the lost process"
nvcheck run -q -o "$D" -- "$SCEN" kill-self
status "run -q: SIGKILL" 2
[ "$(wc -l <"$WORK/err")" -eq 1 ] && grep -q "^nvcheck: process [0-9]* ($SCEN) left no report: killed by signal 9" "$WORK/err"
ok $? "run -q: the lost process is still named"

# A program that SIGKILLs a child it forked (the child had used the API).
fresh
nvcheck run -o "$D" -- "$SCEN" kill-child
status "run: a child that used the API was SIGKILLed by its parent" 2
cpid=$(markers "$D" | sed -n 's/^u //p')
lines "run: the killed child is named; the parent's report is there" \
    "nvcheck: 0 errors, 0 warnings in 1 process (1 program)
nvcheck: process $cpid ($SCEN) left no report: it ended without writing one (killed by SIGKILL -- the OOM killer sends it -- or by something no handler sees)
nvcheck: 1 report in DIR, from 1 process; 1 process left no report
nvcheck: the harvest is incomplete (1 process left no report): exit status 2"
image=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["process"].get("image"))' "$D"/nvcheck.*.json)
echo "$image" | grep -Eqx '[0-9a-f]{16}' && [ "$(markers "$D" | wc -l)" -eq 1 ]
ok $? "run: the parent's report carries process.image; its marker is gone, the child's stays"

# A daemon that used the API and is still running when the program exits.
fresh
rm -f "$WORK/daemon-go"
SCENARIO_MARKER="$WORK/daemon-go" nvcheck run -o "$D" -- "$SCEN" daemon-api
status "run: a daemon still running" 2
dpid=$(markers "$D" | sed -n 's/^u //p')
grep -qx "nvcheck: process $dpid ($SCEN) left no report: still running when $SCEN exited" "$WORK/err"
ok $? "run: the daemon is named: still running when the program exited"
touch "$WORK/daemon-go"
i=0
while [ -n "$(markers "$D")" ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
[ -z "$(markers "$D")" ] && [ "$(ls "$D"/*.json | wc -l)" -eq 2 ]
ok $? "the daemon, done: its report published, its marker removed"
nvcheck check "$D"
status "check: the daemon's report is there later, nothing lost" 0

# A report that could not be written (RLIMIT_FSIZE: room for the marker, not the report).
if [ -n "$NV_TSAN_RUNTIME" ]; then
    skip "TSan cannot start under a small ulimit -f"
    skip "TSan cannot start under a small ulimit -f"
else
    fresh
    (
        ulimit -f 1
        $NVCHECK run -o "$D" -- "$SCEN" unflushed >"$WORK/out" 2>"$WORK/err"
        echo $? >"$WORK/rc"
    )
    RC=$(cat "$WORK/rc")
    fpid=$(markers "$D" | sed -n 's/^f //p')
    [ "$RC" -eq 2 ] && [ -n "$fpid" ] &&
        grep -Eqx "nvcheck: process $fpid \($SCEN\) left no report: cannot write $D/nvcheck\.$fpid\.json(\.tmp\.[0-9a-f.]+)?: File too large" "$WORK/err"
    ok $? "run: a report that could not be written: exit 2, the process and why named"
    [ $? -eq 0 ] || diag "exit $RC:" "$(cat "$WORK/err")" "$(markers "$D")"
    sed -n 2p "$D"/*.pending | grep -q '^reason: cannot write '
    ok $? "run: the marker (state f) stays, with its reason"
fi
# A marker in state f, as the interposer leaves it, beside a report: check names it.
mkdir "$WORK/f-dir"
cp "$WORK/bad/a.json" "$WORK/f-dir/"
printf 'f nvcheck-pending/1 4242 00112233aabbccdd somehost-1-2-3 /opt/app/bin/app\nreason: cannot write /r/nvcheck.4242.json: No space left on device\n' \
    >"$WORK/f-dir/nvcheck.4242.00112233aabbccdd.pending"
nvcheck check -q "$WORK/f-dir"
[ "$RC" -eq 2 ] && [ "$(cat "$WORK/err")" = "nvcheck: process 4242 (/opt/app/bin/app) left no report: cannot write /r/nvcheck.4242.json: No space left on device" ]
ok $? "check: a marker in state f: named with the interposer's reason, exit 2"
# Markers that are answered for, or of processes that never used the API, are no loss.
mkdir "$WORK/s-dir"
cp "$WORK/bad/a.json" "$WORK/s-dir/"
printf 's nvcheck-pending/1 4243 00112233aabbccde somehost-1-2-3 /bin/sh\n' \
    >"$WORK/s-dir/nvcheck.4243.00112233aabbccde.pending"
: >"$WORK/s-dir/nvcheck.4244.00112233aabbccdf.pending"
mkfifo "$WORK/s-dir/nvcheck.4245.00112233aabbcce0.pending"
timeout 60 $NVCHECK check -q "$WORK/s-dir" >"$WORK/out" 2>"$WORK/err"
RC=$?
status "check: markers in state s, empty, a FIFO: no loss (no hang)" 1
# Clean runs of every shape leave no marker: the run removes what is answered for.
for sc in clean fork exec spawn vfork; do
    fresh
    nvcheck run -o "$D" -- "$SCEN" $sc
    [ -z "$(markers "$D")" ] && ! grep -q 'left no report' "$WORK/err"
    ok $? "run $sc: no process lost, no marker left"
done

# ---- occurrences dropped past max_findings fail the gate ----

fresh
nvcheck run -o "$D" --options max_findings=2 -- "$SCEN" many
status "run: 12 findings, 10 of them dropped" 66
grep -qx 'nvcheck: 2 findings and 10 dropped occurrences above the bar (--fail-on errors): exit status 66' "$WORK/err" &&
    grep -qx 'nvcheck: note: pid [0-9]* (.*): incomplete: 10 occurrences beyond max_findings=2 dropped (10 unflushed-write): raise max_findings to see them; findings may be missing' "$WORK/err"
ok $? "run: the dropped occurrences counted, and that max_findings can be raised"
M=$D
printf 'unflushed-write:s_many\n' >"$WORK/supp-many"
nvcheck check -q --suppressions "$WORK/supp-many" "$M"
status "check: the kept findings suppressed, the dropped ones still fail" 1
has "$WORK/out" "nvcheck check: 10 more occurrences above the bar and 0 below it were dropped: 1 process reached max_findings (raise it: NVCHECK_OPTIONS or nvcheck run --options max_findings=N); they fail the gate" \
    "check: says how many were dropped, and that they fail"
nvcheck check -q --fail-on leaked-token "$M"
status "check: dropped occurrences of a kind below the bar" 0
has "$WORK/out" "nvcheck check: 0 more occurrences above the bar and 10 below it were dropped: 1 process reached max_findings (raise it: NVCHECK_OPTIONS or nvcheck run --options max_findings=N)" \
    "check: the truncation is said even when it does not fail"
edit_json "$M"/nvcheck.*.json "$WORK/future-dropped.json" '
d["findings"] = []
d["summary"]["by_kind"] = {"future-kind": {"findings": 0, "occurrences": 0, "bytes": 0, "dropped": 3}}'
nvcheck check -q "$WORK/future-dropped.json"
status "check: dropped occurrences of a kind this nvcheck does not know count as errors" 1

# ---- suppressions as specific as their findings ----

# The issue's case: a program without symbols. The generated rule names the call site
# (module + offset), never the module alone; the next build's bug elsewhere fails.
# (Its build-id goes too: libdw would look for the debug info by it and dlopen its
# debuginfod client, whose TLS library leaves blocks that make check-valgrind fail.)
mkdir "$WORK/stripped"
strip -R .note.gnu.build-id -o "$WORK/stripped/app" "$SCEN"
(cd "$WORK/stripped" && env NVCHECK_OUTPUT="$WORK/stripped/old.%p.json" LD_PRELOAD="$PRELOAD" ./app unflushed >/dev/null)
(cd "$WORK/stripped" && env NVCHECK_OUTPUT="$WORK/stripped/new.%p.json" LD_PRELOAD="$PRELOAD" ./app fill >/dev/null)
nvcheck report -q --gen-suppressions "$WORK/stripped"/old.*.json
cp "$WORK/out" "$WORK/stripped.supp"
rule=$(grep -v '^#' "$WORK/stripped.supp" | grep -v '^$')
echo "$rule" | grep -Eqx 'unflushed-write:app\+0x[0-9a-f]+' && grep -qx '# nvcheck-generated: stacks=1' "$WORK/stripped.supp"
ok $? "--gen-suppressions, stripped program: KIND:MODULE+0xOFFSET ($rule)"
nvcheck check -q --suppressions "$WORK/stripped.supp" "$WORK/stripped"/old.*.json
status "the generated rule suppresses its own finding" 0
nvcheck check -q --suppressions "$WORK/stripped.supp" "$WORK/stripped"
status "a later build with a new bug at another place fails" 1
has "$WORK/out" "nvcheck check: 1 finding above the bar (1 unflushed-write), 0 below it; 1 suppressed; 0 in the baseline" \
    "the old finding suppressed, the new one above the bar"
printf 'unflushed-write:app\n' >"$WORK/module.supp"
nvcheck check -q --suppressions "$WORK/module.supp" "$WORK/stripped"
status "a rule naming the module alone takes both" 0
has "$WORK/out" "warning: suppression $WORK/module.supp:1: unflushed-write:app names a module alone: it suppressed 2 findings, and will every unflushed-write in that module; name a function, or a frame as MODULE+0xOFFSET" \
    "check warns about a rule that names a module alone"
# A rule that suppresses findings from more stacks than it was generated from.
run out-of-region
nvcheck report -q --gen-suppressions $REPORTS
sed 's/^# nvcheck-generated: stacks=2$/# nvcheck-generated: stacks=1/' "$WORK/out" >"$WORK/narrow.supp"
nvcheck check -q --suppressions "$WORK/narrow.supp" $REPORTS
status "a rule generated from 1 stack, now suppressing 2" 0
has "$WORK/out" "warning: suppression $WORK/narrow.supp:6: out-of-region:s_out_of_region was generated from 1 stack and suppressed findings from 2: a new bug may hide behind it; review it" \
    "check warns about a rule that suppresses more stacks than it was generated from"
nvcheck report -q --gen-suppressions $REPORTS
cp "$WORK/out" "$WORK/exact.supp"
nvcheck check -q --suppressions "$WORK/exact.supp" $REPORTS
! grep -q '^warning:' "$WORK/out"
ok $? "no warning for a generated rule that suppresses what it was generated from"

# The same source built into two programs: a rule naming one program must not take
# the other's finding, though their stacks read the same (one group before).
mkdir "$WORK/two"
cp "$SCEN" "$WORK/two/other"
env NVCHECK_OUTPUT="$WORK/two/a.%p.json" LD_PRELOAD="$PRELOAD" "$WORK/two/other" unflushed >/dev/null
env NVCHECK_OUTPUT="$WORK/two/b.%p.json" LD_PRELOAD="$PRELOAD" "$SCEN" unflushed >/dev/null
printf 'unflushed-write:other\n' >"$WORK/other.supp"
nvcheck check -q --suppressions "$WORK/other.supp" "$WORK/two"
status "two programs, one source: a rule naming one program" 1
has "$WORK/out" "nvcheck check: 1 finding above the bar (1 unflushed-write), 0 below it; 1 suppressed; 0 in the baseline" \
    "two programs, one source: only that program's finding is suppressed"

# A finding whose stacks could not be stored (max_stacks) is nothing a baseline can
# know: two such findings of a kind would have the same key.
NOSTACK='for f in d["findings"]:
    f["stack"] = []
    for r in f["related"]: r["stack"] = []'
run unflushed
edit_json $REPORTS "$WORK/nostack-base.json" "$NOSTACK"
run fill
edit_json $REPORTS "$WORK/nostack-new.json" "$NOSTACK"
nvcheck check -q --baseline "$WORK/nostack-base.json" "$WORK/nostack-new.json"
status "a finding without a stack is never in the baseline" 1

# ---- what nvcheck run refuses before the program starts ----

# An interposer path with a blank or a colon: the loader would split LD_PRELOAD.
for dir in "my tools" "a:b"; do
    mkdir -p "$WORK/$dir/.libs"
    cp "$NVCHECK_BIN" "$WORK/$dir/nvcheck"
    cp "$NVCHECK_SO" "$WORK/$dir/.libs/libnvcheck.so"
    rm -f "$WORK/started"
    ${NVCHECK%"$NVCHECK_BIN"} "$WORK/$dir/nvcheck" run -o "$WORK/r.blank" -- \
        sh -c ": >'$WORK/started'" >"$WORK/out" 2>"$WORK/err"
    RC=$?
    one_line "run from '$dir/'" \
        "^nvcheck: $WORK/$dir/\.libs/libnvcheck\.so: the interposer's path holds a blank or ':', where the loader splits LD_PRELOAD: nothing would be checked"
    [ ! -e "$WORK/started" ]
    ok $? "run from '$dir/': the program is not started"
done
# ... unless its real path has none (a link with a blank to a directory without).
mkdir -p "$WORK/tools/.libs"
cp "$NVCHECK_BIN" "$WORK/tools/nvcheck"
cp "$NVCHECK_SO" "$WORK/tools/.libs/libnvcheck.so"
ln -s "$WORK/tools" "$WORK/link tools"
${NVCHECK%"$NVCHECK_BIN"} "$WORK/link tools/nvcheck" run -o "$WORK/r.link" -- \
    "$SCEN" unflushed >"$WORK/out" 2>"$WORK/err"
RC=$?
status "run through a link with a blank: the real path is used, the program checked" 66

# A report directory whose name leaves the interposer no room for its names.
long=$WORK
while [ ${#long} -lt 4040 ]; do long="$long/$(printf '%0200d' 0)"; done
rm -f "$WORK/started"
nvcheck run -o "$long" -- sh -c ": >'$WORK/started'"
one_line "run -o a directory of ${#long} bytes" \
    "^nvcheck: $long: the report directory's name is too long \(${#long} bytes\): the interposer needs it under 4032"
[ ! -e "$WORK/started" ]
ok $? "run -o a directory too long: the program is not started"

done_testing
