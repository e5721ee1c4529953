#!/bin/sh
# signals.sh -- abnormal ends: abort, faults, _exit, exit from a thread, signals from
# outside. Each time the report is written, complete and valid, the program's own
# handlers run, and the exit status or death signal is the program's own; the
# report's "end" says which (the exit status of exit, _exit and a return from main).
. "$top_srcdir/tests/e2e/lib.sh"
ulimit -c 0
# Under ASan, its own fault handlers would take these signals over, and its own
# alternate signal stack would be the program's.
ASAN_OPTIONS="$ASAN_OPTIONS:handle_segv=0:handle_sigbus=0:handle_sigfpe=0:handle_sigill=0:handle_abort=0:use_sigaltstack=0"
export ASAN_OPTIONS
ALL=

# collect -- after a run: RC, BASE, REPORTS, FLAT (as lib.sh's run sets them).
collect() {
    BASE=$(sed -n 's/^base //p' "$OUT/stdout" | head -n 1)
    REPORTS=$(ls "$OUT"/report.*.json 2>/dev/null)
    ALL="$ALL $REPORTS"
    FLAT="$OUT/flat"
    : >"$FLAT"
    for r in $REPORTS; do "$NVFLAT" "$r" >>"$FLAT"; done
}

# grun NAME [VAR=VALUE...] -- lib.sh's run, with a hang guard.
grun() {
    name=$1; shift
    OUT="$WORK/$name.$T"
    mkdir -p "$OUT"
    timeout -s KILL 120 env NVCHECK_OUTPUT="$OUT/report.%p.json" LD_PRELOAD="$PRELOAD" "$@" \
        "$SCEN" "$name" >"$OUT/stdout" 2>"$OUT/stderr"
    RC=$?
    collect
}

# start NAME [VAR=VALUE...] -- run NAME in the background until it says "ready";
# stop SIG... -- send it those signals (scenario "handled": each after the program
# said "handled" to the one before), wait for it and collect.
start() {
    name=$1; shift
    OUT="$WORK/$name.$T.bg"
    mkdir -p "$OUT"
    env NVCHECK_OUTPUT="$OUT/report.%p.json" LD_PRELOAD="$PRELOAD" "$@" \
        "$SCEN" "$name" >"$OUT/stdout" 2>"$OUT/stderr" &
    PID=$!
    (i=0; while kill -0 $PID && [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done
        kill -KILL $PID) >/dev/null 2>&1 &
    waitfor ready
}
waitfor() {
    i=0
    while ! grep -q "^$1\$" "$OUT/stdout" 2>/dev/null && [ $i -lt 3000 ]; do
        sleep 0.01; i=$((i + 1))
    done
}
stop() {
    first=1
    for sig in "$@"; do
        [ $first = 1 ] || [ "$name" != handled ] || waitfor handled
        kill -s "$sig" $PID
        first=0
    done
    wait $PID
    RC=$?
    collect
}

# ended HOW [STATUS | SIGNUM NAME] -- the report says how the process ended: exit
# with STATUS, or the signal.
ended() {
    want="\"end\":{\"how\":\"$1\"}"
    [ $# -eq 2 ] && want="\"end\":{\"how\":\"$1\",\"status\":$2}"
    [ $# -eq 3 ] && want="\"end\":{\"how\":\"$1\",\"signal\":$2,\"signal_name\":\"$3\"}"
    tr -d ' \n' <"$REPORTS" | grep -qF "$want"
    ok $? "$WHAT: the report says $want"
}

# common DESC RC -- one report, exact status, the dirty write and the leaked token.
common() {
    WHAT=$1
    [ "$RC" -eq "$2" ]
    ok $? "$WHAT: exit status $2 (got $RC)"
    [ "$(echo "$REPORTS" | wc -w)" -eq 1 ]
    ok $? "$WHAT: one report"
    expect unflushed-write +64 16 64 end-write
    expect leaked-token +0 65536 0 get
    expect_count 2
}

# ---- the program dies of a signal: the same signal, with a report ----
for c in abort:6:SIGABRT assert:6:SIGABRT segv:11:SIGSEGV bus:7:SIGBUS fpe:8:SIGFPE \
    ill:4:SIGILL source:11:SIGSEGV; do
    how=${c%%:*} num=${c#*:} sname=${num#*:} num=${num%%:*}
    grun die SCENARIO_END=$how
    common "$how" $((128 + num))
    ended signal $num $sname
done
grep -q '"message":"16 bytes written at 0x[0-9a-f]* were never flushed before the process was killed by SIGSEGV"' $REPORTS
ok $? "the message says which signal ended the process"

# ---- exit, return from main, _exit, _Exit (no destructor runs): the status ----
# HOW:STATUS:WHAT-THE-PARENT-SEES (exit(300) is 300 & 0xff).
for c in exit:3:3 return:5:5 _exit:7:7 _Exit:6:6 return:0:0 exit:300:44; do
    how=${c%%:*} st=${c#*:} code=${c##*:} st=${st%%:*}
    grun die SCENARIO_END=$how SCENARIO_STATUS=$st
    common "$how with status $st" $code
    ended exit $code
done

# quick_exit (whose _exit is the C library's own) and syscall(SYS_exit_group): the
# report, with the status; the program's at_quick_exit handler runs first, and what it
# wrote is reported.
for st in 9 0 265; do
    grun quick-exit SCENARIO_STATUS=$st
    common "quick_exit($st)" $((st & 255))
    WHAT="quick_exit($st)"
    ended exit $((st & 255))
done
grun quick-exit SCENARIO_STATUS=4 SCENARIO_ATEXIT=1
[ "$RC" -eq 4 ]
ok $? "quick_exit(4) with an at_quick_exit handler: exit status 4 (got $RC)"
grep -qx "program at_quick_exit handler" "$OUT/stdout"
ok $? "quick_exit: the program's at_quick_exit handler ran"
expect unflushed-write +512 8 512 quick-write
expect unflushed-write +64 16 64 end-write
expect_count 3
WHAT="quick_exit(4) with an at_quick_exit handler"
ended exit 4
grun exit-group SCENARIO_STATUS=12
common "syscall(SYS_exit_group, 12)" 12
WHAT="syscall(SYS_exit_group, 12)"
ended exit 12

# The status handler runs after the program's own exit handlers and before the
# destructors (ours writes the report): the program's handler and destructor still
# run, in their order, what its handler wrote is reported, and the status is there.
grun die SCENARIO_END=exit SCENARIO_STATUS=3 SCENARIO_ATEXIT=1
[ "$RC" -eq 3 ]
ok $? "exit(3) with an atexit handler and a destructor: exit status 3 (got $RC)"
got=$(grep '^program ' "$OUT/stdout" | tr '\n' ,)
[ "$got" = "program atexit handler,program destructor," ]
ok $? "the program's atexit handler, then its destructor, ran"
[ "$got" = "program atexit handler,program destructor," ] || diag "$(cat "$OUT/stdout")"
expect unflushed-write +512 8 512 atexit-write
WHAT="exit(3) with an atexit handler"
ended exit 3

# ---- signals from outside, some landing inside API calls ----
for c in TERM:15 INT:2 HUP:1 QUIT:3 USR1:10 ALRM:14 PIPE:13; do
    start die SCENARIO_DEFAULT=1
    stop ${c%:*}
    common "SIG${c%:*} from outside" $((128 + ${c#*:}))
    ended signal ${c#*:} SIG${c%:*}
done

# Every other signal whose default action ends the process, by number (dash knows
# no SIGSTKFLT): SIGSTKFLT, SIGVTALRM, SIGPROF, SIGIO, SIGPWR and the real-time ones
# (glibc's SIGRTMIN is 34; 32 and 33 are its own), 64 the last bit of the deferred set.
for c in 16:SIGSTKFLT 26:SIGVTALRM 27:SIGPROF 29:SIGIO 30:SIGPWR 34:SIGRTMIN 35:SIGRTMIN+1 \
    49:SIGRTMIN+15 50:SIGRTMAX-14 63:SIGRTMAX-1 64:SIGRTMAX; do
    start die SCENARIO_DEFAULT=1
    stop ${c%:*}
    common "${c#*:} from outside" $((128 + ${c%:*}))
    ended signal ${c%:*} ${c#*:}
done

# A disposition inherited as ignored stays ignored (sh starts background jobs with
# SIGINT ignored): SIGINT is dropped, the SIGTERM after it ends the program.
start die
stop INT TERM
common "inherited SIG_IGN" 143

# ---- the program's own handlers ----
start handled SCENARIO_HANDLER=exit
stop TERM
common "handler calls exit(3)" 3
grep -qx handled "$OUT/stdout"
ok $? "handler calls exit(3): the handler ran"
ended exit 3

start handled SCENARIO_HANDLER=return
stop TERM
common "handler returns, program goes on and exits 4" 4
ended exit 4

start handled SCENARIO_HANDLER=resethand
stop TERM TERM
common "SA_RESETHAND: the second SIGTERM is the default action" 143
grep -qx handled "$OUT/stdout"
ok $? "SA_RESETHAND: the handler ran the first time"
ended signal 15 SIGTERM

for how in abort assert; do
    grun abort-handler SCENARIO_END=$how
    common "$how, with a SIGABRT handler that returns" 134
    grep -qx handled "$OUT/stdout"
    ok $? "$how: the program's SIGABRT handler ran"
    ended signal 6 SIGABRT
done

# A SIGSEGV handler jumps out of an API call whose Source faulted: the calls after it
# on that thread are checked (exact finding), and SIGTERM still ends the program,
# with the report -- by every jump there is, from a handler on the program's own
# alternate stack, and by a jump nvcheck does not see (libc's own siglongjmp), found
# out at the next call from the frame the faulting call was made from.
for j in siglongjmp longjmp _longjmp chk setcontext siglongjmp:onstack direct; do
    how=${j%:*} extra=
    [ "$how" = "$j" ] || extra=SCENARIO_ONSTACK=1
    if [ "$how" = setcontext ] && [ -n "$NV_ASAN_RUNTIME$NV_TSAN_RUNTIME" ]; then
        # The sanitizers do not follow setcontext out of a handler (the abandoned
        # frames stay poisoned): they would report the program, with or without us.
        for i in 1 2 3 4 5; do skip "setcontext out of a faulting call: not under a sanitizer"; done
        continue
    fi
    start jump-out SCENARIO_JUMP=$how $extra
    stop TERM
    WHAT="$j out of a faulting call"
    [ "$RC" -eq 143 ]
    ok $? "$WHAT, then SIGTERM: killed by it (status $RC)"
    expect unflushed-write +512 24 512 after-jump
    expect leaked-token +0 65536 0 get
    expect_count 2
    ended signal 15 SIGTERM
done

# Alternate signal stacks: the program sees exactly its own (none, or the one it set),
# and a handler asking for SA_ONSTACK that uses 256 KiB of stack runs where it would
# natively -- on the interrupted stack when there is no alternate stack, on main and
# on a thread that used the API, or on the program's own.
if [ -n "$NV_TSAN_RUNTIME" ]; then
    # TSan runs a handler later, from its own code, on a stack of its choosing.
    for i in $(seq 13); do skip "onstack: not under TSan (it moves handlers)"; done
else
    grun onstack SCENARIO_ALT=own
    [ "$RC" -eq 0 ]
    ok $? "onstack: exit status 0 (got $RC)"
    for line in "altstack none" "handler on the main stack" "thread altstack none" \
        "thread handler on its stack" "before own: none" "own altstack as set" \
        "handler on its own altstack" "disabled: was own, now none" "tiny: ENOMEM" \
        "after tiny none"; do
        grep -qx "$line" "$OUT/stdout"
        ok $? "onstack: $line"
    done
    expect unflushed-write +64 16 64 end-write
    expect_count 2
fi

# A stack overflow: the report, and death by SIGSEGV -- on main, on a thread that used
# the API, and with a SIGSEGV handler asking for SA_ONSTACK but no alternate stack
# (natively the kernel cannot run it and the process dies all the same).
for c in main: thread:SCENARIO_THREAD=1 main-handler:SCENARIO_HANDLER=onstack \
    thread-handler:SCENARIO_THREAD=1:SCENARIO_HANDLER=onstack; do
    what=${c%%:*} vars=$(echo "${c#*:}" | tr : ' ')
    case $what in *handler) if [ -n "$NV_TSAN_RUNTIME" ]; then
        for i in $(seq 7); do skip "stack overflow ($what): not under TSan (it wraps handlers)"; done
        continue
    fi ;; esac
    # shellcheck disable=SC2086
    grun overflow $vars
    common "stack overflow ($what)" 139
    ended signal 11 SIGSEGV
    grep -q "handler ran" "$OUT/stdout"
    [ $? -ne 0 ]
    ok $? "stack overflow ($what): no handler ran"
done

# What the program sees of its dispositions: its own, never nvcheck's.
grun query
for line in "segv default" "int default" "hup was default" "hup ignored" "hup survived" \
    "usr1 as set" "usr1 handled with its mask" "old handler returned"; do
    grep -qx "$line" "$OUT/stdout"
    ok $? "sigaction/signal: $line"
done
[ "$(echo "$REPORTS" | wc -w)" -eq 1 ]
ok $? "query: one report"
OUT="$WORK/query-bg"
mkdir -p "$OUT"
LD_PRELOAD="$PRELOAD" NVCHECK_OUTPUT="$OUT/report.%p.json" "$SCEN" query >"$OUT/stdout" 2>&1 &
wait $!
grep -qx "int ignored" "$OUT/stdout"
ok $? "sigaction: a disposition inherited as SIG_IGN reads as SIG_IGN"

# API calls from a signal handler are checked, even when the signal arrived while the
# thread was inside an API call (it is held until the call returns): 128 of 128.
grun handler-api NVCHECK_OPTIONS=stack_depth=1
[ "$RC" -eq 0 ]
ok $? "handler-api: exit status 0"
expect unflushed-write +16384 8 16384 handler-write
if [ -n "$NV_TSAN_RUNTIME" ]; then
    # TSan runs a handler at its next intercepted call, which may be inside the
    # checker (a memcpy): the handler's call then runs unchecked, by design.
    skip "handler-api: all 128 writes checked: under TSan a handler can run inside an API call"
else
    awk '$1 == "unflushed-write" && $6 == 128 && $7 == 1024' "$FLAT" | grep -q .
    ok $? "handler-api: all 128 writes from the handler were checked (count 128, 1024 bytes)"
    [ $? -eq 0 ] || diag "$(cat "$FLAT")"
fi

# exit() from a thread other than main while four others keep calling the API.
grun exit-thread
[ "$RC" -eq 8 ]
ok $? "exit from a non-main thread: exit status 8 (got $RC)"
expect unflushed-write +128 32 128 thread-exit-write
expect leaked-token +0 65536 0 get
expect_count 2
WHAT="exit from a non-main thread"
ended exit 8

# exit() while four threads keep flushing and draining: the report, which reads their
# drain times, is written once they are out of the checker (make check-tsan: no race).
grun exit-drains
ok $RC "exit while threads flush and drain: exit status 0 (got $RC)"
expect undrained-flush +256 64 256 exit-undrained flushed-at=exit-undrained
expect leaked-token +0 65536 0 get
expect_count 2
grep -q '"message":"64 bytes at 0x[0-9a-f]* were flushed but not drained by the flushing thread T1; T[2-5] drained later' $REPORTS
ok $? "exit while threads flush and drain: the message names a thread that drained later"

# Two threads fault at once: one report, the process dies of SIGSEGV.
grun double-fault
common "two threads fault at once" 139
ended signal 11 SIGSEGV

# ---- every report is valid, no temp file is left ----
valid_reports "all $(echo $ALL | wc -w) reports validate against the schema" $ALL
[ -z "$(find "$WORK" -name '*.tmp.*')" ]
ok $? "no temp file left behind"

done_testing
