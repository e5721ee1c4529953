# lib.sh -- shared by the end-to-end tests: TAP output, running scenarios under the
# interposer, and checking findings down to the source line.
# shellcheck shell=sh

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
# Both trees by their canonical names: make passes $(abs_top_srcdir), which in a VPATH
# build is "BUILD/../.." -- and the reports name sources with ".." resolved.
top_srcdir=$(CDPATH= cd "$top_srcdir" && pwd) || exit 99
top_builddir=$(CDPATH= cd "$top_builddir" && pwd) || exit 99
export top_srcdir top_builddir
SCEN="$top_builddir/tests/e2e/scenarios"
SCEN_SRC="$top_srcdir/tests/e2e/scenarios.c"
NVFLAT="$top_builddir/tests/helpers/nvflat"
NVCHECK_SO="$top_builddir/.libs/libnvcheck.so"
PRELOAD="$NVCHECK_SO"
[ -n "$NV_ASAN_RUNTIME" ] && PRELOAD="$NV_ASAN_RUNTIME $NVCHECK_SO"
[ -n "$NV_TSAN_RUNTIME" ] && PRELOAD="$NV_TSAN_RUNTIME $NVCHECK_SO" # make check-tsan
# Under ASan, leaks in short test programs are not what these tests are about.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
export ASAN_OPTIONS

T=0
FAILED=0
WORK=$(mktemp -d "${TMPDIR:-/tmp}/nvcheck-e2e.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

ok() { # ok COND-STATUS NAME
    T=$((T + 1))
    if [ "$1" -eq 0 ]; then echo "ok $T - $2"; else echo "not ok $T - $2"; FAILED=$((FAILED + 1)); fi
}
diag() { printf '# %s\n' "$@"; }
done_testing() { echo "1..$T"; [ "$FAILED" -eq 0 ]; }
skip() { T=$((T + 1)); echo "ok $T # SKIP $1"; } # skip REASON

# run NAME [VAR=VALUE...] -- run scenario NAME under the interposer in a fresh
# directory; sets OUT (the directory), RC, BASE, REPORTS (the report files), FLAT
# (all findings, flattened).
run() {
    name=$1; shift
    OUT="$WORK/$name.$T"
    mkdir -p "$OUT"
    env NVCHECK_OUTPUT="$OUT/report.%p.json" LD_PRELOAD="$PRELOAD" "$@" \
        "$SCEN" "$name" >"$OUT/stdout" 2>"$OUT/stderr"
    RC=$?
    BASE=$(sed -n 's/^base //p' "$OUT/stdout" | head -n 1)
    REPORTS=$(ls "$OUT"/report.*.json 2>/dev/null)
    FLAT="$OUT/flat"
    : >"$FLAT"
    for r in $REPORTS; do "$NVFLAT" "$r" >>"$FLAT"; done
}

# ---- one step as an unprivileged user ----
# Root may write into a directory of mode 555 and read a file of mode 000; a test of
# what happens when that is refused runs its one step as user nobody (65534) instead.

# as_user_setup -- AS_USER: the command prefix that runs a command as nobody --
# setpriv (util-linux), else runuser -- and returns 0; returns 1 with the reason in
# AS_USER_WHY when neither works here (say, in a container without CAP_SETUID). Makes
# $WORK searchable by that user (mode 711: it can go through, not list).
as_user_setup() {
    AS_USER= AS_USER_WHY=
    if command -v setpriv >/dev/null 2>&1 &&
        setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
        AS_USER="setpriv --reuid=65534 --regid=65534 --clear-groups"
    elif command -v runuser >/dev/null 2>&1 && runuser -u nobody -- true 2>/dev/null; then
        AS_USER="runuser -u nobody --"
    else
        AS_USER_WHY="running as root, and neither setpriv nor runuser can switch to user nobody here"
        return 1
    fi
    chmod 711 "$WORK"
}

# for_user FILE -- FILE, when the unprivileged user can read it; else a copy it can
# (in $WORK/for-user, mode kept): a build tree in a private home directory, say.
for_user() {
    if $AS_USER test -r "$1" 2>/dev/null; then
        echo "$1"
        return
    fi
    mkdir -p "$WORK/for-user"
    chmod 755 "$WORK/for-user"
    cp "$1" "$WORK/for-user/" && chmod a+r "$WORK/for-user/${1##*/}"
    echo "$WORK/for-user/${1##*/}"
}

# line_of MARKER -- the source line carrying /* @nv:MARKER */
line_of() {
    grep -n "/\* @nv:$1 \*/" "$SCEN_SRC" | cut -d: -f1
}

# where FRAME -- "file:line" of a MODULE:OFFSET frame, via addr2line
where() {
    addr2line -e "${1%:*}" "${1##*:}" | sed 's/ (discriminator.*//; s|.*/||'
}

hex() { printf '0x%x' "$1"; }

# expect KIND ADDR SIZE ROFF MARKER [ROLE=MARKER...] -- a finding of KIND whose
# address is ADDR ("+N": BASE+N; or literal, "-" for null), of SIZE bytes, at region
# offset ROFF ("-": no region), whose innermost frame is MARKER's line and whose
# related stacks start at the given markers' lines.
expect() {
    kind=$1 addr=$2 size=$3 roff=$4 marker=$5; shift 5
    case $addr in +*) addr=$(hex $((BASE + ${addr#+}))) ;; esac
    want="scenarios.c:$(line_of "$marker")"
    desc="$kind at $addr size $size region offset $roff, from the call at $want"
    LINE=
    for cand in $(awk -v k="$kind" -v a="$addr" -v s="$size" -v o="$roff" \
        '$1 == k && $3 == a && $4 == s && $5 == o { print NR }' "$FLAT"); do
        l=$(sed -n "${cand}p" "$FLAT")
        if [ "$(where "$(echo "$l" | awk '{print $8}')")" = "$want" ]; then LINE=$l; break; fi
    done
    if [ -z "$LINE" ]; then
        ok 1 "$desc"
        diag "no such finding at $want; report has:" "$(cat "$FLAT")"
        return
    fi
    ok 0 "$desc"
    for pair in "$@"; do
        role=${pair%%=*} m=${pair#*=}
        want="scenarios.c:$(line_of "$m")"
        fr=$(echo "$LINE" | tr ' ' '\n' | sed -n "s/^$role=//p" | head -n 1)
        got=$(where "$fr" 2>/dev/null)
        [ "$got" = "$want" ]
        ok $? "$kind: $role at $want"
        [ "$got" = "$want" ] || diag "got '$got' from frame '$fr'"
    done
}

# expect_count N -- the flattened report holds exactly N findings.
# valid_reports NAME FILE... -- one TAP line: every raw report FILE validates against
# reports/raw-report.schema.json (a SKIP line without python3-jsonschema).
valid_reports() {
    what=$1; shift
    /usr/bin/python3 "$top_srcdir/tests/helpers/schema-check.py" \
        "$top_srcdir/reports/raw-report.schema.json" "$@" >"$WORK/schema.out" 2>&1
    rc=$?
    if [ $rc -eq 77 ]; then
        skip "python3-jsonschema is not installed"
        return
    fi
    ok $rc "$what"
    [ $rc -eq 0 ] || diag "$(grep -v ': valid$' "$WORK/schema.out")"
}

expect_count() {
    n=$(grep -vc '^summary' "$FLAT")
    [ "$n" -eq "$1" ]
    ok $? "exactly $1 finding(s)"
    [ "$n" -eq "$1" ] || diag "$(cat "$FLAT")"
}
