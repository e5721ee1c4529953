#!/bin/sh
# fuzz.sh -- the libFuzzer targets (fuzz-api, fuzz-report) and the reader on huge files.
#
# In make check each fuzzer runs FUZZ_CHECK_TIME seconds (default 6, both at once:
# the suite must stay fast on 2 cores) from its seed corpus with a fixed seed, in a
# scratch corpus. `make fuzz` sets FUZZ_TIME and runs them that long, growing the
# corpora in tests/fuzzbin/. Any crash, sanitizer report, leak, timeout or property
# violation fails the test; the input that caused it is kept in tests/fuzzbin/crashes/
# and named in a diag line. The executions and time of each run are diag lines too:
# they are the figures the issue's closing note asks for.
#
# Without clang's libFuzzer the fuzzers are skipped (scripts/deps.sh installs it);
# the huge-file cases below need only nvcheck and always run.
# shellcheck shell=sh
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/tests/cli/lib.sh"

BIN="$top_builddir/tests/fuzzbin"
SEEDS="$top_srcdir/tests/fuzz"
if [ -n "$FUZZ_TIME" ]; then
    TIME=$FUZZ_TIME CORPORA="$BIN" SEED=
else
    TIME=${FUZZ_CHECK_TIME:-6} CORPORA="$WORK" SEED=-seed=1
fi

# have_libfuzzer -- clang can build a libFuzzer target here.
have_libfuzzer() {
    printf 'int LLVMFuzzerTestOneInput(const char *d, long n) { return d && n < 0; }\n' \
        >"$WORK/probe.c"
    ${FUZZ_CC:-clang} -fsanitize=fuzzer "$WORK/probe.c" -o "$WORK/probe" >/dev/null 2>&1
}

# ensure -- the fuzzers built and up to date (make fuzz-build, which says what went
# wrong in $WORK/build.log); 0 when they are.
ensure() {
    if [ -f "$top_builddir/Makefile" ]; then
        ${MAKE:-make} -s -C "$top_builddir" fuzz-build >"$WORK/build.log" 2>&1 || return 1
    fi
    [ -x "$BIN/fuzz-api" ] && [ -x "$BIN/fuzz-report" ]
}

# start NAME ARGS... -- run fuzzer NAME in the background (cwd: a scratch directory, so
# nothing it might write lands in the tree); its output goes to $WORK/NAME.log.
start() {
    name=$1; shift
    mkdir -p "$CORPORA/corpus-${name#fuzz-}" "$WORK/$name.art"
    (cd "$WORK" && exec env -u NVCHECK_OPTIONS -u NVCHECK_OUTPUT -u LD_PRELOAD \
        ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
        "$BIN/$name" $SEED -max_total_time="$TIME" -timeout=10 -rss_limit_mb=3072 \
        -print_final_stats=1 -artifact_prefix="$WORK/$name.art/" "$@" \
        "$CORPORA/corpus-${name#fuzz-}" "$SEEDS/corpus-${name#fuzz-}" >"$WORK/$name.log" 2>&1)
}

# verdict NAME STATUS -- one TAP line for a finished run, with its figures.
verdict() {
    name=$1 rc=$2 log="$WORK/$1.log"
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log")
    art=$(ls "$WORK/$name.art" 2>/dev/null)
    if [ "$rc" -eq 0 ] && [ -z "$art" ] && [ -n "$execs" ]; then
        ok 0 "$name: $execs executions in ${secs:-?} s, no crash, leak or property violation"
        diag "$(grep "^$name: " "$log")"
        return
    fi
    ok 1 "$name: exit status $rc"
    mkdir -p "$BIN/crashes"
    for a in $art; do
        cp "$WORK/$name.art/$a" "$BIN/crashes/$name-$a"
        diag "input kept: $BIN/crashes/$name-$a (replay: $BIN/$name $BIN/crashes/$name-$a)"
    done
    diag "$(grep -E 'PROPERTY|ERROR|SUMMARY|WARNING|#[0-9] |the call|it said' "$log" | head -30)"
}

if ! ensure; then
    if have_libfuzzer; then
        ok 1 "the fuzzers build"
        diag "$(tail -30 "$WORK/build.log" 2>/dev/null)"
    else
        echo "ok 1 # SKIP fuzz-api: clang/libFuzzer not installed"
        echo "ok 2 # SKIP fuzz-report: clang/libFuzzer not installed"
        T=2
    fi
else
    start fuzz-api &
    p1=$!
    start fuzz-report -dict="$SEEDS/report.dict" &
    p2=$!
    wait $p1; rc1=$?
    wait $p2; rc2=$?
    verdict fuzz-api $rc1
    verdict fuzz-report $rc2
fi

# ---- huge reports: one line and exit 2, quickly, in bounded memory ----

# huge NAME WANT -- nvcheck report on $BIG: exit 2 and exactly the line WANT.
huge() {
    t0=$(date +%s)
    nvcheck report "$BIG"
    t1=$(date +%s)
    want="nvcheck: $BIG: $2"
    [ "$RC" -eq 2 ] && [ "$(cat "$WORK/err")" = "$want" ] && [ ! -s "$WORK/out" ]
    ok $? "$1: exit 2 and one line"
    diag "$1: $(wc -c <"$BIG") bytes, rejected in $((t1 - t0)) s"
    [ "$RC" -eq 2 ] && [ "$(cat "$WORK/err")" = "$want" ] ||
        diag "exit $RC, said:" "$(head -c 600 "$WORK/err")"
    rm -f "$BIG"
}

# Just under the 512 MiB size limit: 500 MB of blanks are read through (seconds).
BIG="$WORK/blanks.json"
head -c 500000000 /dev/zero | tr '\0' ' ' >"$BIG"
huge "500 MB of blanks" \
    "not valid JSON (line 1, column 500000000: '[' or '{' expected near end of file)"

# 25 million empty objects (76 MB): some 200 bytes of parsed tree each, over 5 GB,
# unless the reader's parse budget (1 GiB) stops it a fifth of the way in.
BIG="$WORK/objects.json"
yes '{},' | head -c 3000000 | tr -d '\n' >"$WORK/chunk"
{
    printf '{"schema":"nvcheck-raw/1","n":['
    for i in $(seq 34); do cat "$WORK/chunk"; done
    printf '0]}'
} >"$BIG"
huge "76 MB of empty objects" "too large for a report (reading it needs more than 1024 MiB)"

done_testing
