#!/bin/sh
# extremes.sh -- every report the interposer can write is one the CLI reads (issue 9,
# issue 15 item 12): reports with the largest sizes, addresses and sums the API lets
# a program pass, and the API fuzzer's seed inputs replayed through the real
# interposer, are written by the real writer; each validates against the raw schema,
# holds no integer beyond what JSON readers take (2^63-1), and is rendered in every
# format (text, json, sarif, junit, html, --gen-suppressions) with exit status 0;
# nvcheck check and nvcheck run count their findings (never "no reports").
. "$top_srcdir/tests/cli/lib.sh"
SARIF_SCHEMA="$top_srcdir/tests/cli/data/sarif-schema-2.1.0.json"
JUNIT_XSD="$top_srcdir/tests/cli/data/junit.xsd"
CHECK_SCHEMA="$top_srcdir/tests/helpers/schema-check.py"
MAX=9223372036854775807
MIN=-9223372036854775808

# count_is KIND MARKER COUNT BYTES -- the finding of KIND from MARKER's line merged
# COUNT occurrences and says BYTES ("-": null).
count_is() {
    want="scenarios.c:$(line_of "$2")"
    got=$(awk -v k="$1" '$1 == k { print $6, $7, $8 }' "$FLAT" | while read -r c b fr; do
        if [ "$(where "$fr")" = "$want" ]; then echo "$c $b"; break; fi
    done)
    [ "$got" = "$3 $4" ]
    ok $? "$1 from $want: count $3, bytes $4"
    [ "$got" = "$3 $4" ] || diag "got '$got'"
}

# ints_ok WHAT FILE... -- every integer in each JSON FILE lies within int64.
ints_ok() {
    what=$1; shift
    /usr/bin/python3 -c '
import json, sys
bad = []
def walk(v, path, f):
    if isinstance(v, bool):
        return
    if isinstance(v, int) and not -2**63 <= v < 2**63:
        bad.append("%s: %s = %d" % (f, path, v))
    elif isinstance(v, dict):
        for k, x in v.items():
            walk(x, path + "/" + k, f)
    elif isinstance(v, list):
        for i, x in enumerate(v):
            walk(x, "%s[%d]" % (path, i), f)
for f in sys.argv[1:]:
    walk(json.load(open(f)), "", f)
print("\n".join(bad[:5]))
sys.exit(1 if bad else 0)' "$@" >"$WORK/ints" 2>&1
    ok $? "$what: every integer within int64"
    [ -s "$WORK/ints" ] && diag "$(cat "$WORK/ints")"
}

# render_all WHAT REPORT... -- every format and --gen-suppressions: exit 0, output
# valid (JSON against report.schema.json, SARIF against its schema, JUnit against
# Jenkins' schema when xmllint is there).
render_all() {
    what=$1; shift
    for fmt in text json sarif junit html; do
        nvcheck report --format "$fmt" "$@"
        [ "$RC" -eq 0 ] && [ -s "$WORK/out" ] && [ ! -s "$WORK/err" ]
        rc=$?
        cp "$WORK/out" "$WORK/rendered.$fmt"
        ok $rc "$what: nvcheck report --format $fmt exits 0, says nothing on stderr"
        [ "$RC" -eq 0 ] || diag "status $RC: $(head -c 400 "$WORK/err")"
    done
    nvcheck report --gen-suppressions "$@"
    [ "$RC" -eq 0 ] && grep -q '^# nvcheck suppressions for' "$WORK/out"
    ok $? "$what: nvcheck report --gen-suppressions exits 0"
    /usr/bin/python3 "$CHECK_SCHEMA" "$top_srcdir/reports/report.schema.json" \
        "$WORK/rendered.json" >"$WORK/v" 2>&1
    rc=$?
    if [ $rc -eq 77 ]; then skip "python3-jsonschema is not installed"; else
        ok $rc "$what: the rendered JSON validates against reports/report.schema.json"
        [ $rc -eq 0 ] || diag "$(head -n 5 "$WORK/v")"
    fi
    ints_ok "$what: the rendered JSON" "$WORK/rendered.json"
    /usr/bin/python3 "$CHECK_SCHEMA" "$SARIF_SCHEMA" "$WORK/rendered.sarif" >"$WORK/v" 2>&1
    rc=$?
    if [ $rc -eq 77 ]; then skip "python3-jsonschema is not installed"; else
        ok $rc "$what: the SARIF validates against the SARIF 2.1.0 schema"
        [ $rc -eq 0 ] || diag "$(head -n 5 "$WORK/v")"
    fi
    if command -v xmllint >/dev/null 2>&1; then
        xmllint --noout --schema "$JUNIT_XSD" "$WORK/rendered.junit" >"$WORK/v" 2>&1
        ok $? "$what: the JUnit XML validates against junit.xsd"
    else
        skip "xmllint is not installed"
    fi
}

# ---- the largest values a program can pass (scenarios.c, s_extremes) ----
run extremes
ok $RC "extremes: exit status 0"
expect invalid-argument +0 - - x-wrap-token
expect invalid-argument 0x0 - - x-null-max
expect out-of-region +0 - 0 x-oor-2p63 token-created-at=get
expect out-of-region +64 6917529027641081856 64 x-oor-3p61
expect invalid-token - - - x-forged-max
expect invalid-argument +128 - - x-ranges-max
expect invalid-argument +0 - - x-ranges-count
expect out-of-region 0xffffffffffffff9b 100 $MAX x-oor-top
expect out-of-region +0 64 $MIN x-oor-below token-created-at=x-top-token
# The live 2^63+1-byte tokens cover the region freed at x-free: its bytes are still
# reachable, so they are found at exit, not at the free (a region's end sweeps only
# what no other live region covers).
expect unflushed-write +0 65536 0 x-fill-all
expect leaked-token +0 - 0 x-big-token
expect_count 11
count_is out-of-region x-oor-2p63 4 -
count_is out-of-region x-oor-3p61 5 -
count_is invalid-argument x-null-max 1 -
count_is invalid-token x-forged-max 1 -
count_is leaked-token x-big-token 3 $MAX
count_is unflushed-write x-fill-all 1 65536
/usr/bin/python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["summary"]["by_kind"]
want = {"invalid-argument": (4, 4, None), "invalid-token": (1, 1, None),
        "out-of-region": (4, 11, None), "leaked-token": (1, 3, 2**63 - 1),
        "unflushed-write": (1, 1, 65536)}
got = {k: (v["findings"], v["occurrences"], v["bytes"]) for k, v in s.items()}
print(got)
sys.exit(0 if got == want else 1)' $REPORTS >"$WORK/bykind" 2>&1
ok $? "extremes: summary by_kind: refused sizes null, 2^63+1-byte leaks saturated, real bytes exact"
[ $? -eq 0 ] || diag "$(cat "$WORK/bykind")"
grep -q '"region":{"base":"0x[0-9a-f]*","size":null,"offset":0}' $REPORTS
ok $? "extremes: a region of 2^63+1 bytes has size null"
ints_ok "extremes: the raw report" $REPORTS
valid_reports "extremes: the raw report validates against the schema" $REPORTS
render_all "extremes" $REPORTS
nvcheck check $REPORTS
[ "$RC" -eq 1 ] && grep -q 'unflushed-write' "$WORK/out" "$WORK/err"
ok $? "extremes: nvcheck check fails the gate (status $RC, not 0 or 2)"
# nvcheck run: the run's own verdict, from the reports it collected.
mkdir -p "$WORK/run" && cd "$WORK/run" || exit 1
# (Under ASan its runtime must come first in LD_PRELOAD: run keeps it, as run.sh does.)
${NV_ASAN_RUNTIME:+env LD_PRELOAD=$NV_ASAN_RUNTIME} $NVCHECK run --output "$WORK/run/out" -- \
    "$SCEN" extremes >"$WORK/run/stdout" 2>"$WORK/run/stderr"
rc=$?
[ $rc -eq 66 ] && grep -q '10 errors, 1 warning in 1 process' "$WORK/run/stderr"
ok $? "extremes: nvcheck run reads the report and exits 66 (got $rc)"
[ $rc -eq 66 ] || diag "$(tail -n 5 "$WORK/run/stderr")"
cd "$WORK" || exit 1

# Two findings' saturated byte counts: the report's total saturates too, and a
# reader adding them up must as well.
run extremes-sum
ok $RC "extremes-sum: exit status 0"
expect leaked-token +0 - 0 xs-big
expect leaked-token 0xffffffffffffefff 4096 0 xs-top
expect_count 2
count_is leaked-token xs-big 1 $MAX
count_is leaked-token xs-top 1 4096
tr -d ' \n' <$REPORTS | grep -q "\"leaked-token\":{\"findings\":2,\"occurrences\":2,\"bytes\":$MAX,"
ok $? "extremes-sum: summary by_kind leaked-token bytes saturated at 2^63-1"
ints_ok "extremes-sum: the raw report" $REPORTS
valid_reports "extremes-sum: the raw report validates against the schema" $REPORTS
render_all "extremes-sum" $REPORTS

# ---- the API fuzzer's seed inputs, replayed through the real interposer ----
REPLAY="$top_builddir/tests/e2e/replay"
mkdir -p "$WORK/replay"
n=0 failed=0
for input in "$top_srcdir"/tests/fuzz/corpus-api/*; do
    n=$((n + 1))
    env NVCHECK_OUTPUT="$WORK/replay" NVCHECK_OPTIONS=quiet=1 LD_PRELOAD="$PRELOAD" \
        "$REPLAY" "$input" >"$WORK/replay.out" 2>&1 || {
        failed=$((failed + 1))
        diag "${input##*/}: $(head -n 2 "$WORK/replay.out")"
    }
done
[ "$failed" -eq 0 ] && [ "$n" -gt 100 ]
ok $? "fuzz-api corpus: $n inputs replayed under the interposer, every status as the model says"
reports=$(ls "$WORK/replay"/nvcheck.*.json)
nr=$(echo "$reports" | wc -l)
[ "$nr" -gt 100 ]
ok $? "fuzz-api corpus: $nr reports written (inputs that make no call write none)"
grep -l '"bytes":9223372036854775807' $reports >"$WORK/sat"
[ -s "$WORK/sat" ]
ok $? "fuzz-api corpus: $(wc -l <"$WORK/sat") reports hold a saturated byte total"
ints_ok "fuzz-api corpus: the raw reports" $reports
valid_reports "fuzz-api corpus: all $nr reports validate against the schema" $reports
render_all "fuzz-api corpus ($nr reports)" "$WORK/replay"
bad=0
for r in $reports; do
    "$NVCHECK_BIN" report --format json "$r" >/dev/null 2>"$WORK/one.err" || {
        bad=$((bad + 1))
        diag "$r: $(head -n 1 "$WORK/one.err")"
    }
done
ok $bad "fuzz-api corpus: each report on its own renders as JSON ($bad refused)"

done_testing
