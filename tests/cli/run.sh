#!/bin/sh
# run.sh -- nvcheck run: the program's status, output and signals pass through; every
# process's report is collected (fork, exec, failed exec), only this run's count; the
# summary, --fail-on, --error-exitcode, --output, --options, --quiet; bad usage.
. "$top_srcdir/tests/cli/lib.sh"
ulimit -c 0
# Under ASan (make check-asan) programs need its runtime first: nvcheck run keeps it so.
NVCHECK_PLAIN=$NVCHECK
[ -n "$NV_ASAN_RUNTIME" ] && NVCHECK="env LD_PRELOAD=$NV_ASAN_RUNTIME $NVCHECK"

# fresh -- a new report directory D for the next run.
fresh() { D="$WORK/reports.$T"; }

# lines NAME EXPECTED -- nvcheck's own summary lines on stderr ("nvcheck: ..." and
# "... N more ..."), with the report directory written DIR, are exactly EXPECTED.
lines() {
    got=$(grep -E '^(nvcheck: |\.\.\. )' "$WORK/err" | sed "s|$D|DIR|g")
    [ "$got" = "$2" ]
    ok $? "$1"
    [ "$got" = "$2" ] || {
        diag "got:" && echo "$got" | sed 's/^/#   /'
        diag "want:" && echo "$2" | sed 's/^/#   /'
    }
}

# status NAME WANT -- nvcheck's exit status was WANT.
status() {
    [ "$RC" -eq "$2" ]
    ok $? "$1: exit status $2"
    [ "$RC" -eq "$2" ] || diag "exit status $RC; stderr:" "$(cat "$WORK/err")"
}

# one_line NAME PATTERN -- nvcheck printed exactly one line, matching PATTERN (grep -E).
one_line() {
    [ "$(wc -l <"$WORK/err")" -eq 1 ] && grep -Eq "$2" "$WORK/err"
    ok $? "$1: one line"
    [ $? -eq 0 ] || diag "$(cat "$WORK/err")"
}

# ---- exit status: the program's own when clean ----

fresh
nvcheck run -o "$D" -- "$SCEN" clean
status "clean program" 0
grep -q '^base 0x' "$WORK/out"
ok $? "clean program: its stdout is intact"
lines "clean program: summary" "nvcheck: 0 errors, 0 warnings in 1 process (1 program)
nvcheck: 1 report in DIR, from 1 process"
files=$(ls "$D")
pid=$(sed -n 's/.*"pid":\([0-9]*\),.*/\1/p' "$D"/*.json | head -n 1)
[ "$files" = "nvcheck.$pid.json" ]
ok $? "report directory holds nvcheck.PID.json, PID being the program's"
grep -q '"run_id":"[^"]' "$D/$files"
ok $? "the report carries the run id"
all_reports="$D/$files"

fresh
nvcheck run -o "$D" -- sh -c "'$SCEN' clean >/dev/null; exit 3"
status "clean program exiting with 3" 3
nvcheck run -o "$D" --allow-empty sh -c 'exit 4'
status "PROG without --, --allow-empty" 4
lines "no API calls, --allow-empty: summary" "nvcheck: no reports in DIR: no process called the NV memory API and exited"
nvcheck run -o "$D" -- sh -c 'exit 4'
status "no API calls: nothing was checked" 2
lines "no API calls: summary" "nvcheck: no reports in DIR: no process called the NV memory API and exited
nvcheck: nothing was checked: exit status 2 (--allow-empty if that is expected)"
nvcheck run -o "$D" -q -- sh -c 'exit 0'
status "no API calls, --quiet" 2
[ ! -s "$WORK/err" ]
ok $? "no API calls, --quiet: nothing on stderr, the exit status tells"

# ---- findings: --error-exitcode, --fail-on, the summary ----

fresh
nvcheck run -o "$D" -- "$SCEN" unflushed
status "unflushed write" 66
lines "unflushed write: summary" "nvcheck: findings by kind: unflushed-write 1
nvcheck: 1 error, 0 warnings in 1 process (1 program)
nvcheck: 1 report in DIR, from 1 process
nvcheck: 1 finding above the bar (--fail-on errors): exit status 66"
grep -Eq '^error: unflushed-write: 64 bytes written at 0x[0-9a-f]+ were never flushed before the token was freed$' \
    "$WORK/err"
ok $? "unflushed write: the finding in the text format"
grep -q "scenarios.c:$(line_of unflushed) " "$WORK/err"
ok $? "unflushed write: its stack names scenarios.c:$(line_of unflushed)"

nvcheck run --error-exitcode 7 -o "$D" -- "$SCEN" unflushed
status "--error-exitcode 7" 7
grep -q '^nvcheck: 1 finding above the bar (--fail-on errors): exit status 7$' "$WORK/err"
ok $? "--error-exitcode 7: said"
nvcheck run --error-exitcode=255 -o "$D" -- sh -c "'$SCEN' unflushed; exit 3"
status "errors beat the program's own status 3" 255
nvcheck run -o "$D" --fail-on unflushed-write -- "$SCEN" unflushed
status "--fail-on unflushed-write, unflushed write" 66
nvcheck run -o "$D" -q -- "$SCEN" unflushed
status "--quiet" 66
[ ! -s "$WORK/err" ]
ok $? "--quiet: nothing on stderr"

fresh
nvcheck run -o "$D" -- "$SCEN" leaked
status "a warning (leaked token), --fail-on errors" 0
lines "warning: summary" "nvcheck: findings by kind: leaked-token 1
nvcheck: 0 errors, 1 warning in 1 process (1 program)
nvcheck: 1 report in DIR, from 1 process"
for bar in warnings leaked-token all unflushed-write,leaked-token; do
    nvcheck run -o "$D" --fail-on "$bar" -- "$SCEN" leaked
    status "--fail-on $bar, leaked token" 66
done
nvcheck run -o "$D" --fail-on unflushed-write,invalid-token -- "$SCEN" leaked
status "--fail-on unflushed-write,invalid-token, leaked token" 0

fresh
nvcheck run -o "$D" -- "$SCEN" many
status "twelve findings" 66
lines "twelve findings: ten shown, then the rest counted" "nvcheck: findings by kind: unflushed-write 12
nvcheck: 12 errors, 0 warnings in 1 process (1 program)
... 2 more findings not shown
nvcheck: 1 report in DIR, from 1 process
nvcheck: 12 findings above the bar (--fail-on errors): exit status 66"
[ "$(grep -c '^error: unflushed-write: ' "$WORK/err")" -eq 10 ]
ok $? "twelve findings: ten blocks"

# ---- --options and NVCHECK_OPTIONS ----

fresh
nvcheck run -o "$D" -- "$SCEN" redundant
lines "redundant flush: off by default" "nvcheck: 0 errors, 0 warnings in 1 process (1 program)
nvcheck: 1 report in DIR, from 1 process"
nvcheck run -o "$D" --options kinds=+redundant-flush -- "$SCEN" redundant
status "--options kinds=+redundant-flush" 0
grep -q '^nvcheck: findings by kind: redundant-flush 1$' "$WORK/err"
ok $? "--options kinds=+redundant-flush: the redundant flush is reported"
NVCHECK_OPTIONS=kinds=-leaked-token nvcheck run -o "$D" -- "$SCEN" leaked
grep -q '^nvcheck: 0 errors, 0 warnings' "$WORK/err"
ok $? "NVCHECK_OPTIONS is passed on"
NVCHECK_OPTIONS=kinds=-leaked-token nvcheck run -o "$D" --options kinds=+leaked-token -- "$SCEN" leaked
grep -q '^nvcheck: findings by kind: leaked-token 1$' "$WORK/err"
ok $? "--options comes after NVCHECK_OPTIONS: it wins"

# ---- the program's environment, input and output ----

fresh
extra="$top_builddir/.libs/libnvmem.so"
saved=$NVCHECK
NVCHECK="env LD_PRELOAD=${NV_ASAN_RUNTIME:+$NV_ASAN_RUNTIME:}$extra $NVCHECK_PLAIN"
nvcheck run -o "$D" --allow-empty -- sh -c \
    'printf "%s\n" "$LD_PRELOAD" "$NVCHECK_OUTPUT" "$NVCHECK_OPTIONS" "$NVCHECK_RUN_ID"
     grep -c libnvmem.so /proc/$$/maps'
NVCHECK=$saved
status "environment" 0
got=$(sed -n 1p "$WORK/out")
if [ -n "$NV_ASAN_RUNTIME" ]; then
    [ "$got" = "$NV_ASAN_RUNTIME $NVCHECK_SO $extra" ]
elif [ -n "$NV_VALGRIND" ]; then # valgrind puts its own preload into nvcheck's LD_PRELOAD
    case $got in "$NVCHECK_SO "*"$extra") true ;; *) false ;; esac
else
    [ "$got" = "$NVCHECK_SO $extra" ]
fi
ok $? "LD_PRELOAD: the interposer, then what was there"
[ $? -eq 0 ] || diag "LD_PRELOAD=$got"
[ "$(sed -n 5p "$WORK/out")" -ge 1 ]
ok $? "LD_PRELOAD: what was there is still loaded"
[ "$(sed -n 2p "$WORK/out")" = "$D/nvcheck.%p.json" ]
ok $? "NVCHECK_OUTPUT: DIR/nvcheck.%p.json"
[ "$(sed -n 3p "$WORK/out")" = "quiet=1" ]
ok $? "NVCHECK_OPTIONS: quiet=1 (nvcheck run sums up)"
sed -n 4p "$WORK/out" | grep -Eq '^[^ ]+-[0-9]+-[0-9]+-[0-9a-f]{8}$'
ok $? "NVCHECK_RUN_ID: host-pid-time-random"

printf 'one\ntwo\n' >"$WORK/in"
nvcheck run -o "$D" --allow-empty -- cat <"$WORK/in"
[ "$RC" -eq 0 ] && [ "$(cat "$WORK/out")" = "one
two" ]
ok $? "stdin and stdout are the program's"
nvcheck run -o "$D" -- sh -c 'echo to-stderr >&2'
[ "$(head -n 1 "$WORK/err")" = "to-stderr" ]
ok $? "stderr is the program's (the summary follows)"
nvcheck run -o "$D" -- sh -c 'printf "[%s]" "$@"' sh -q --output x
[ "$(cat "$WORK/out")" = "[-q][--output][x]" ] && [ -s "$WORK/err" ]
ok $? "arguments after PROG are the program's"

# ---- --output ----

fresh
nvcheck run -o "$D/a/b" -- "$SCEN" unflushed
ls "$D/a/b"/nvcheck.*.json >/dev/null 2>&1
ok $? "--output: missing parents are created"
mkdir -p "$WORK/cwd"
cd "$WORK/cwd" || exit 1
nvcheck run -- "$SCEN" unflushed
cd "$top_builddir" || exit 1
ls "$WORK/cwd/nvcheck-reports"/nvcheck.*.json >/dev/null 2>&1 &&
    grep -q '^nvcheck: 1 report in nvcheck-reports, from 1 process$' "$WORK/err"
ok $? "default: nvcheck-reports in the working directory"
all_reports="$all_reports $(ls "$WORK/cwd/nvcheck-reports"/*.json)"

# ---- fork and exec: every process's report ----

fresh
nvcheck run -o "$D" -- "$SCEN" fork
status "fork" 66
lines "fork: both processes" "nvcheck: findings by kind: unflushed-write 2
nvcheck: 2 errors, 0 warnings in 2 processes (1 program)
nvcheck: 2 reports in DIR, from 2 processes
nvcheck: 2 findings above the bar (--fail-on errors): exit status 66"

fresh
nvcheck run -o "$D" -- "$SCEN" exec
status "exec" 66
lines "exec: the image before and the image after" "nvcheck: findings by kind: unflushed-write 2, leaked-token 1
nvcheck: 2 errors, 1 warning in 2 processes (2 programs)
nvcheck: 2 reports in DIR, from 1 process
nvcheck: 2 findings above the bar (--fail-on errors): exit status 66"
grep -q 'were never flushed before exec$' "$WORK/err"
ok $? "exec: the finding says 'before exec'"
pid=$(ls "$D" | sed -n 's/^nvcheck\.\([0-9]*\)\.json$/\1/p')
[ "$(ls "$D" | tr '\n' ' ')" = "nvcheck.$pid.1.json nvcheck.$pid.json " ]
ok $? "exec: the second report is nvcheck.PID.1.json, beside the first"
all_reports="$all_reports $(ls "$D"/*.json)"

# The interposer alone: every exec function, exact findings in the right reports.
for how in execv execve execvp execvpe execl execlp execle fexecve; do
    run exec SCENARIO_EXEC=$how
    set -- $REPORTS
    first=$(echo "$REPORTS" | grep -v '\.1\.json$') second=$(echo "$REPORTS" | grep '\.1\.json$')
    [ $# -eq 2 ] && [ "${first%.json}.1.json" = "$second" ] && [ "$RC" -eq 0 ]
    ok $? "$how: two reports, report.PID.json and report.PID.1.json"
    FLAT="$OUT/flat.1" && "$NVFLAT" "$first" >"$FLAT"
    expect unflushed-write +128 16 128 pre-exec
    expect leaked-token +0 65536 0 get
    expect_count 2
    FLAT="$OUT/flat.2" && "$NVFLAT" "$second" >"$FLAT"
    BASE=$(sed -n 's/^base //p' "$OUT/stdout" | sed -n 2p)
    expect unflushed-write +64 64 64 unflushed token-freed-at=unflushed-free
    expect_count 1
done

# A failed exec changes nothing: the program goes on, the report written before it is
# taken back, and the bytes written before it are still the program's to flush (here
# they never are: the token's free reports them, with those written after).
run exec SCENARIO_EXEC=fail
set -- $REPORTS
ok $((RC + $# - 1)) "failed exec: the program goes on; one report, at exit"
expect unflushed-write +128 16 128 pre-exec token-freed-at=exec-free
expect unflushed-write +256 8 256 after-failed-exec token-freed-at=exec-free
expect_count 2

# Reports with run ids, and exec'd images', are valid raw reports.
valid_reports "reports of nvcheck run validate against reports/raw-report.schema.json" $all_reports

# ---- two runs at once, one directory: each sums up its own ----

fresh
$NVCHECK run -o "$D" -- sh -c "'$SCEN' unflushed >/dev/null
    while [ ! -e '$WORK/go' ]; do sleep 0.05; done" >"$WORK/a.out" 2>"$WORK/a.err" &
a=$!
i=0
until ls "$D"/*.json >/dev/null 2>&1 || [ $i -ge 600 ]; do sleep 0.05; i=$((i + 1)); done
nvcheck run -o "$D" -- "$SCEN" leaked
touch "$WORK/go"
wait $a
a_rc=$?
[ "$(ls "$D" | wc -l)" -eq 2 ]
ok $? "two runs: two reports in the directory"
lines "two runs: the second sums up its own report" "nvcheck: findings by kind: leaked-token 1
nvcheck: 0 errors, 1 warning in 1 process (1 program)
nvcheck: 1 report in DIR, from 1 process"
mv "$WORK/a.err" "$WORK/err"
RC=$a_rc
status "two runs: the first" 66
lines "two runs: the first sums up its own report" "nvcheck: findings by kind: unflushed-write 1
nvcheck: 1 error, 0 warnings in 1 process (1 program)
nvcheck: 1 report in DIR, from 1 process
nvcheck: 1 finding above the bar (--fail-on errors): exit status 66"

# ---- signals ----

# signal_to SIG -- run wait-signal, send SIG to nvcheck once the program waits.
# (Started with SIGINT and SIGQUIT at their defaults: a non-interactive shell starts
# background jobs with them ignored, and an ignored signal stays ignored.)
signal_to() {
    rm -f "$WORK/marker" "$WORK/out" "$WORK/err"
    env --default-signal=INT,QUIT SCENARIO_MARKER="$WORK/marker" $NVCHECK run -o "$D" -- \
        "$SCEN" wait-signal >"$WORK/out" 2>"$WORK/err" &
    p=$!
    i=0
    until grep -q '^ready$' "$WORK/out" 2>/dev/null || [ $i -ge 600 ]; do
        sleep 0.05
        i=$((i + 1))
    done
    kill -"$1" $p
    { wait $p; RC=$?; } 2>/dev/null
}

fresh
if env --default-signal=INT true 2>/dev/null; then
    for s in INT:2 TERM:15 HUP:1 QUIT:3; do
        signal_to "${s%:*}"
        n=${s#*:}
        [ "$(cat "$WORK/marker" 2>/dev/null)" = "signal $n" ]
        ok $? "SIG${s%:*} sent to nvcheck reaches the program"
        status "SIG${s%:*}: nvcheck dies of it too, for the shell to see" $((128 + n))
        # The program died of the signal, and still wrote its report (its token leaked).
        lines "SIG${s%:*}: said" "nvcheck: $SCEN killed by signal $n (SIG${s%:*})
nvcheck: findings by kind: leaked-token 1
nvcheck: 0 errors, 1 warning in 1 process (1 program)
nvcheck: 1 report in DIR, from 1 process"
    done
else
    T=$((T + 1)); echo "ok $T # SKIP env --default-signal is not supported"
fi

nvcheck run -o "$D" --allow-empty -- sh -c 'kill -ABRT $$'
status "program killed by SIGABRT" 134
grep -qx 'nvcheck: sh killed by signal 6 (SIGABRT)' "$WORK/err"
ok $? "program killed by SIGABRT: said"
nvcheck run -o "$D" -- sh -c "'$SCEN' unflushed >/dev/null; kill -TERM \$\$"
status "killed by a signal, with errors: the error exit code" 66
grep -qx 'nvcheck: sh killed by signal 15 (SIGTERM)' "$WORK/err"
ok $? "killed by a signal, with errors: the signal said"

# ---- setuid: the loader ignores LD_PRELOAD there ----

if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
    mkdir -p "$WORK/suid" && cp "$SCEN" "$WORK/suid/scen" && chmod 755 "$WORK/suid" &&
        chown nobody "$WORK/suid/scen" && chmod u+s "$WORK/suid/scen"
    nvcheck run -o "$D" -- "$WORK/suid/scen" none
    [ "$(grep -c '^nvcheck: warning: ' "$WORK/err")" -eq 1 ] &&
        grep -qx "nvcheck: warning: $WORK/suid/scen is set-user-ID: the dynamic loader ignores \
LD_PRELOAD for it, so its own calls are not checked" "$WORK/err"
    ok $? "setuid program: one warning line"
    [ $? -eq 0 ] || diag "$(cat "$WORK/err")"
else
    T=$((T + 1)); echo "ok $T # SKIP not root: cannot make a program setuid to another user"
fi

# ---- bad usage: one line, exit status 2 ----

nvcheck run -o "$D" -- nonexistent-program-xyz
status "missing program" 2
one_line "missing program" '^nvcheck: nonexistent-program-xyz: No such file or directory$'
touch "$WORK/noexec"
nvcheck run -o "$D" -- "$WORK/noexec"
status "program not executable" 2
one_line "program not executable" "^nvcheck: $WORK/noexec: Permission denied$"
nvcheck run -o "$D" -- "$WORK"
status "program is a directory" 2
one_line "program is a directory" "^nvcheck: $WORK: Permission denied$"
nvcheck run -o "$D"
status "no program" 2
one_line "no program" '^nvcheck: run: no program given'
nvcheck run --bogus -- true
status "unknown option" 2
one_line "unknown option" "^nvcheck: run: unknown option '--bogus'"
nvcheck run -x true
status "unknown short option" 2
one_line "unknown short option" "^nvcheck: run: unknown option '-x'"
nvcheck run -o
status "option without its value" 2
one_line "option without its value" "^nvcheck: run: option '-o' needs a value$"
for code in 0 256 abc -1 ""; do
    nvcheck run --error-exitcode "$code" -- true
    status "--error-exitcode '$code'" 2
    one_line "--error-exitcode '$code'" "^nvcheck: --error-exitcode: '$code' is not a number from 1 to 255$"
done
nvcheck run --fail-on bogus -- true
status "--fail-on bogus" 2
one_line "--fail-on bogus" "^nvcheck: --fail-on: unknown finding kind 'bogus'"
nvcheck run -o "$WORK/noexec" -- true
status "--output names a file" 2
one_line "--output names a file" "^nvcheck: $WORK/noexec: cannot make the report directory: Not a directory$"

# Not installed, not in a build tree: no interposer to find.
mkdir -p "$WORK/bin" && cp "$NVCHECK_BIN" "$WORK/bin/nvcheck"
saved=$NVCHECK
NVCHECK=$(echo "$NVCHECK" | sed "s|$NVCHECK_BIN|$WORK/bin/nvcheck|")
nvcheck run -o "$D" -- true
NVCHECK=$saved
if [ "$RC" -eq 0 ]; then
    T=$((T + 1)); echo "ok $T # SKIP nvcheck is installed: the interposer is found"
else
    one_line "interposer missing" \
        '^nvcheck: .*/libnvcheck\.so: No such file or directory \(nvcheck is not installed completely\)$'
fi

nvcheck run --help
[ "$RC" -eq 0 ] && grep -q -- '--error-exitcode N' "$WORK/out" && grep -q 'default 66' "$WORK/out"
ok $? "run --help: exit status 0, documents --error-exitcode and its default"

done_testing
