#!/bin/sh
# check.sh -- nvcheck check, the CI gate: the bar (--fail-on), suppressions and their
# statistics, baselines (raw, directory, rendered JSON), --gen-suppressions fed back,
# bad input, and a golden of the whole output.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/cli/lib.sh"
PY=/usr/bin/python3

# has LINE -- standard output holds exactly this line.
has() {
    if grep -Fxq -- "$1" "$WORK/out"; then ok 0 "prints: $1"; else
        ok 1 "prints: $1"; diag "stdout was:" "$(cat "$WORK/out")"; fi
}
# lacks TEXT -- standard output does not contain TEXT.
lacks() {
    if grep -Fq -- "$1" "$WORK/out"; then ok 1 "does not print: $1"; else ok 0 "does not print: $1"; fi
}
# status WANT NAME -- the last nvcheck exited with WANT.
status() {
    [ "$RC" -eq "$1" ]
    ok $? "$2: exit $1"
    [ "$RC" -eq "$1" ] || diag "exit $RC; stderr:" "$(cat "$WORK/err")"
}
# gate WANT SUMMARY ARGS... -- nvcheck check -q ARGS exits WANT and prints SUMMARY.
gate() {
    want=$1 sum=$2; shift 2
    nvcheck check -q "$@"
    status "$want" "check $*"
    has "nvcheck check: $sum"
}
# bad_input PREFIX NAME -- exit 2, one line on stderr starting with PREFIX, no stdout.
bad_input() {
    [ "$RC" -eq 2 ] && [ "$(wc -l <"$WORK/err")" -eq 1 ] && [ ! -s "$WORK/out" ] &&
        case $(cat "$WORK/err") in "$1"*) true ;; *) false ;; esac
    st=$?
    ok $st "$2: exit 2, one line '$1...'"
    [ $st -eq 0 ] || diag "exit $RC; stdout: $(cat "$WORK/out")" "stderr: $(cat "$WORK/err")"
}
# edit_json IN OUT CODE -- a copy of JSON file IN, changed by python CODE (on d; walk(d, f)
# calls f on every object).
edit_json() {
    $PY - "$1" "$2" "$3" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
def walk(x, f):
    if isinstance(x, dict):
        f(x)
        for v in x.values(): walk(v, f)
    elif isinstance(x, list):
        for v in x: walk(v, f)
exec(sys.argv[3])
json.dump(d, open(sys.argv[2], "w"))
EOF
}
# supp NAME LINE... -- write a suppression file $WORK/NAME, one argument per line.
supp() {
    f="$WORK/$1"; shift
    printf '%s\n' "$@" >"$f"
    echo "$f"
}

L_UNFL=$(line_of unflushed)
L_FILL=$(line_of fill)

# scenario NAME N -- run NAME under the interposer (a directory of its own); it exits 0
# and leaves N reports.
scenario() {
    run "$1"
    [ "$RC" -eq 0 ] && [ "$(ls "$OUT"/*.json | wc -l)" -eq "$2" ]
    ok $? "scenario $1: $2 report(s)"
}
scenario unflushed 1; U=$OUT; UR=$REPORTS
scenario unflushed 1; U2=$OUT
scenario fill 1; F=$OUT
scenario out-of-region 1; O=$OUT
scenario leaked 1; L=$OUT
scenario clean 1; C=$OUT
scenario fork 2; K=$OUT

# ---- the bar ----
gate 1 "1 finding above the bar (1 unflushed-write), 0 below it; 0 suppressed; 0 in the baseline" "$U"
gate 0 "0 findings above the bar, 1 below it; 0 suppressed; 0 in the baseline" "$L"
gate 1 "1 finding above the bar (1 leaked-token), 0 below it; 0 suppressed; 0 in the baseline" \
    --fail-on warnings "$L"
gate 1 "1 finding above the bar (1 leaked-token), 1 below it; 0 suppressed; 0 in the baseline" \
    --fail-on leaked-token "$L" "$U"
gate 0 "0 findings above the bar, 1 below it; 0 suppressed; 0 in the baseline" \
    --fail-on out-of-region "$U"
gate 1 "3 findings above the bar (2 out-of-region, 1 unflushed-write), 0 below it; 0 suppressed; 0 in the baseline" \
    --fail-on out-of-region,unflushed-write "$U" "$O"
gate 1 "1 finding above the bar (1 unflushed-write), 1 below it; 0 suppressed; 0 in the baseline" \
    --fail-on errors "$U" "$L"
gate 0 "0 findings above the bar, 0 below it; 0 suppressed; 0 in the baseline" "$C"
gate 0 "0 findings above the bar, 0 below it; 0 suppressed; 0 in the baseline" \
    --fail-on warnings "$C"
nvcheck check --fail-on bogus "$U"
bad_input "nvcheck: --fail-on: unknown finding kind 'bogus'" "--fail-on bogus"
nvcheck check --fail-on unflushed-write,nope "$U"
bad_input "nvcheck: --fail-on: unknown finding kind 'nope'" "--fail-on with a bad item"
nvcheck check --fail-on "" "$U"
bad_input "nvcheck: --fail-on: no finding kinds given" "--fail-on ''"

# ---- several reports: files, directories, processes ----
gate 1 "4 findings above the bar (2 out-of-region, 2 unflushed-write), 1 below it; 0 suppressed; 0 in the baseline" \
    "$U" "$F" "$O" "$L" "$C"
gate 1 "2 findings above the bar (2 unflushed-write), 0 below it; 0 suppressed; 0 in the baseline" "$K"
gate 1 "1 finding above the bar (1 unflushed-write), 0 below it; 0 suppressed; 0 in the baseline" \
    "$UR" "$U2" "$U"

# ---- what failed the gate: the text renderer's blocks, only for those ----
nvcheck check "$U" "$L"
status 1 "check without -q"
grep -q "scenarios.c:$L_UNFL" "$WORK/out"
ok $? "the failing finding's block names scenarios.c:$L_UNFL"
lacks "leaked-token:"
nvcheck check -q "$U"
[ "$(wc -l <"$WORK/out")" -eq 1 ]
ok $? "-q: only the summary line"

# ---- suppressions ----
S=$(supp s-func unflushed-write:s_unflushed)
gate 1 "1 finding above the bar (1 unflushed-write), 0 below it; 1 suppressed; 0 in the baseline" \
    --suppressions "$S" "$U" "$F"
has "suppression $S:1: unflushed-write:s_unflushed: 1 finding suppressed"
lacks "unused"
S=$(supp s-glob 'unflushed-write:s_*')
gate 0 "0 findings above the bar, 0 below it; 2 suppressed; 0 in the baseline" \
    --suppressions "$S" "$U" "$F"
has "suppression $S:1: unflushed-write:s_*: 2 findings suppressed"
S=$(supp s-q '*:s_?ill')
gate 1 "1 finding above the bar (1 unflushed-write), 0 below it; 1 suppressed; 0 in the baseline" \
    --suppressions "$S" "$U" "$F"
S=$(supp s-file '*:scenarios.c' '*:*/tests/e2e/scen*.c')
gate 0 "0 findings above the bar, 0 below it; 3 suppressed; 0 in the baseline" \
    --suppressions "$S" "$U" "$O"
has "suppression $S:1: *:scenarios.c: 3 findings suppressed"
has "unused suppression $S:2: *:*/tests/e2e/scen*.c"
S=$(supp s-path '*:*/tests/e2e/scen*.c')
gate 0 "0 findings above the bar, 0 below it; 3 suppressed; 0 in the baseline" \
    --suppressions "$S" "$U" "$O"
S=$(supp s-whole '*:scenario' '*:cenarios.c' 'unflushed-write:s_unflushe')
gate 1 "1 finding above the bar (1 unflushed-write), 0 below it; 0 suppressed; 0 in the baseline" \
    --suppressions "$S" "$U"
has "unused suppression $S:1: *:scenario"
has "unused suppression $S:3: unflushed-write:s_unflushe"
S=$(supp s-mod 'out-of-region:scenarios')
gate 1 "1 finding above the bar (1 unflushed-write), 0 below it; 2 suppressed; 0 in the baseline" \
    --suppressions "$S" "$U" "$O"
S=$(supp s-modpath "*:$top_builddir/tests/e2e/scenarios")
gate 0 "0 findings above the bar, 0 below it; 1 suppressed; 0 in the baseline" \
    --suppressions "$S" "$U"
S=$(supp s-libc '*:libc.so*')
gate 0 "0 findings above the bar, 0 below it; 4 suppressed; 0 in the baseline" \
    --suppressions "$S" "$U" "$F" "$O"
S=$(supp s-kind 'out-of-region:s_unflushed')
gate 1 "1 finding above the bar (1 unflushed-write), 0 below it; 0 suppressed; 0 in the baseline" \
    --suppressions "$S" "$U"
has "unused suppression $S:1: out-of-region:s_unflushed"
# The token was created in region(): a related stack, which rules do not search.
S=$(supp s-related 'out-of-region:region')
gate 1 "2 findings above the bar (2 out-of-region), 0 below it; 0 suppressed; 0 in the baseline" \
    --suppressions "$S" "$O"
has "unused suppression $S:1: out-of-region:region"

# Comments, blank lines, blanks around the parts, first match wins, the statistics.
S=$(supp s-stats '# nvcheck suppressions' '' '   # an indented comment' \
    '  unflushed-write : s_unflushed  ' '*:s_*' 'out-of-region:nothing_here' '	' '*:s_fill')
nvcheck check -q --suppressions "$S" "$U" "$F" "$O"
status 0 "statistics"
cat >"$WORK/want" <<EOF
nvcheck check: 0 findings above the bar, 0 below it; 4 suppressed; 0 in the baseline
suppression $S:4: unflushed-write:s_unflushed: 1 finding suppressed
suppression $S:5: *:s_*: 3 findings suppressed
unused suppression $S:6: out-of-region:nothing_here
unused suppression $S:8: *:s_fill
EOF
cmp -s "$WORK/want" "$WORK/out"
ok $? "statistics: used rules with hit counts, then unused ones, in file order"
cmp -s "$WORK/want" "$WORK/out" || diag "$(diff "$WORK/want" "$WORK/out")"
# Two files, in command-line order; CRLF line ends.
printf 'unflushed-write:s_fill\r\n\r\n*:s_unflushed\r\n' >"$WORK/s-crlf"
S=$(supp s-second 'unflushed-write:s_*')
gate 0 "0 findings above the bar, 0 below it; 2 suppressed; 0 in the baseline" \
    --suppressions "$WORK/s-crlf" --suppressions "$S" "$U" "$F"
has "suppression $WORK/s-crlf:1: unflushed-write:s_fill: 1 finding suppressed"
has "suppression $WORK/s-crlf:3: *:s_unflushed: 1 finding suppressed"
has "unused suppression $S:1: unflushed-write:s_*"
S=$(supp s-empty '# nothing yet')
gate 1 "1 finding above the bar (1 unflushed-write), 0 below it; 0 suppressed; 0 in the baseline" \
    --suppressions "$S" "$U"

# Every bad line: exit 2, FILE:LINE and the problem.
S=$(supp bad-colon '# ok' 'unflushed-write:s_fill' 'unflushed-write s_unflushed')
nvcheck check --suppressions "$S" "$U"
bad_input "nvcheck: $S:3: expected KIND:PATTERN, got 'unflushed-write s_unflushed'" "no colon"
S=$(supp bad-kind '' 'bogus-kind:s_fill')
nvcheck check --suppressions "$S" "$U"
bad_input "nvcheck: $S:2: unknown finding kind 'bogus-kind'" "unknown kind"
S=$(supp bad-nokind ':s_fill')
nvcheck check --suppressions "$S" "$U"
bad_input "nvcheck: $S:1: unknown finding kind ''" "empty kind"
S=$(supp bad-pattern 'unflushed-write:')
nvcheck check --suppressions "$S" "$U"
bad_input "nvcheck: $S:1: empty pattern after 'unflushed-write:'" "empty pattern"
S=$(supp bad-blank '*:   ')
nvcheck check --suppressions "$S" "$U"
bad_input "nvcheck: $S:1: empty pattern after '*:'" "blank pattern"
printf 'unflushed-write:a\000b\n' >"$WORK/bad-nul"
nvcheck check --suppressions "$WORK/bad-nul" "$U"
bad_input "nvcheck: $WORK/bad-nul: not a text file (a NUL byte on line 1)" "NUL byte"
nvcheck check --suppressions "$WORK/missing" "$U"
bad_input "nvcheck: $WORK/missing: No such file or directory" "missing suppression file"
nvcheck check --suppressions "$WORK" "$U"
bad_input "nvcheck: $WORK: Is a directory" "a directory as suppression file"

# ---- --gen-suppressions, fed back ----
nvcheck report --gen-suppressions "$U" "$F" "$O" "$L"
status 0 "report --gen-suppressions"
cp "$WORK/out" "$WORK/gen"
grep -v '^#' "$WORK/gen" | grep -v '^$' >"$WORK/rules"
printf '%s\n' out-of-region:s_out_of_region unflushed-write:s_unflushed \
    unflushed-write:s_fill leaked-token:region >"$WORK/want"
cmp -s "$WORK/want" "$WORK/rules"
ok $? "one rule per innermost function, shared by the groups that give it"
cmp -s "$WORK/want" "$WORK/rules" || diag "$(cat "$WORK/gen")"
grep -q "^# unflushed-write at s_fill (.*scenarios.c:$L_FILL): 12 bytes written at 0x" "$WORK/gen"
ok $? "comment line: kind, innermost location, message"
gate 0 "0 findings above the bar, 0 below it; 5 suppressed; 0 in the baseline" \
    --fail-on warnings --suppressions "$WORK/gen" "$U" "$F" "$O" "$L"
lacks "unused"
nvcheck report --gen-suppressions "$U"
cp "$WORK/out" "$WORK/gen-u"
gate 1 "1 finding above the bar (1 unflushed-write), 0 below it; 1 suppressed; 0 in the baseline" \
    --suppressions "$WORK/gen-u" "$U2" "$F"
lacks "unused"
nvcheck report --gen-suppressions --stable "$O" "$U"
golden check-gen-suppressions "$WORK/out"
# An unsymbolised call site gets its module's base name and offset; a newline in it (a
# raw report is input like any other) can neither end the comment nor the rule early.
edit_json "$UR" "$WORK/evil.json" '
for m in d["modules"]:
    if m["path"].endswith("/tests/e2e/scenarios"): m["path"] = "/gone/evil\nname #1"'
off=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["findings"][0]["stack"][0]["offset"])' "$UR")
nvcheck report -q --gen-suppressions "$WORK/evil.json"
cp "$WORK/out" "$WORK/gen-evil"
[ "$(grep -v '^#' "$WORK/gen-evil" | grep -v '^$')" = "unflushed-write:evil?name #1+$off" ] &&
    [ "$(wc -l <"$WORK/gen-evil")" -eq 5 ] && grep -qx '# nvcheck-generated: stacks=1' "$WORK/gen-evil"
ok $? "--gen-suppressions: module base name + offset, control characters as '?'"
gate 0 "0 findings above the bar, 0 below it; 1 suppressed; 0 in the baseline" \
    --suppressions "$WORK/gen-evil" "$WORK/evil.json"

# ---- baselines ----
gate 0 "0 findings above the bar, 0 below it; 0 suppressed; 1 in the baseline" \
    --baseline "$UR" "$U2"
gate 0 "0 findings above the bar, 0 below it; 0 suppressed; 1 in the baseline" \
    --baseline "$U" "$U2"
gate 0 "0 findings above the bar, 0 below it; 0 suppressed; 2 in the baseline" \
    --baseline "$U" --baseline "$F" "$U2" "$F"
nvcheck check --baseline "$U" "$U2" "$F"
status 1 "a new bug still fails"
has "nvcheck check: 1 finding above the bar (1 unflushed-write), 0 below it; 0 suppressed; 1 in the baseline"
grep -q "scenarios.c:$L_FILL" "$WORK/out" && ! grep -q "scenarios.c:$L_UNFL" "$WORK/out"
ok $? "only the new finding is shown"
S=$(supp s-both 'unflushed-write:s_unflushed')
gate 0 "0 findings above the bar, 0 below it; 1 suppressed; 0 in the baseline" \
    --suppressions "$S" --baseline "$U" "$U2"

# Rendered JSON baselines: as written, --stable, and after edits that move lines and
# addresses (but not functions).
nvcheck report --format json -o "$WORK/base.json" "$U"
status 0 "render a JSON baseline"
gate 0 "0 findings above the bar, 0 below it; 0 suppressed; 1 in the baseline" \
    --baseline "$WORK/base.json" "$U2"
nvcheck report --format json --stable -o "$WORK/base-stable.json" "$U"
gate 0 "0 findings above the bar, 0 below it; 0 suppressed; 1 in the baseline" \
    --baseline "$WORK/base-stable.json" "$U2"
edit_json "$WORK/base.json" "$WORK/base-moved.json" '
def f(x):
    if isinstance(x.get("line"), int): x["line"] += 100
    if "offset" in x and isinstance(x["offset"], str): x["offset"] = "0x1"
    if "address" in x: x["address"] = "0x2"
    if "pid" in x: x["pid"] = 1
walk(d, f)'
gate 0 "0 findings above the bar, 0 below it; 0 suppressed; 1 in the baseline" \
    --baseline "$WORK/base-moved.json" "$U2"
edit_json "$WORK/base.json" "$WORK/base-renamed.json" '
def f(x):
    if x.get("function") == "s_unflushed": x["function"] = "s_renamed"
walk(d, f)'
gate 1 "1 finding above the bar (1 unflushed-write), 0 below it; 0 suppressed; 0 in the baseline" \
    --baseline "$WORK/base-renamed.json" "$U2"
edit_json "$WORK/base.json" "$WORK/base-kind.json" '
for x in d["findings"]: x["kind"] = "undrained-flush"'
gate 1 "1 finding above the bar (1 unflushed-write), 0 below it; 0 suppressed; 0 in the baseline" \
    --baseline "$WORK/base-kind.json" "$U2"
echo '{"schema": "nvcheck/1", "findings": []}' >"$WORK/base-empty.json"
gate 1 "1 finding above the bar (1 unflushed-write), 0 below it; 0 suppressed; 0 in the baseline" \
    --baseline "$WORK/base-empty.json" "$U2"

# A raw baseline from another build of the program is not read with this build's
# line tables: the build-id check fails, its frames stay module+offset, nothing matches.
edit_json "$UR" "$WORK/other-build.json" '
for m in d["modules"]:
    if m["path"].endswith("/tests/e2e/scenarios"): m["build_id"] = "00" * 20'
gate 1 "1 finding above the bar (1 unflushed-write), 0 below it; 0 suppressed; 0 in the baseline" \
    --baseline "$WORK/other-build.json" "$U2"
[ ! -s "$WORK/err" ]
ok $? "-q: no warning"
nvcheck check --baseline "$WORK/other-build.json" "$U2"
[ "$(wc -l <"$WORK/err")" -eq 1 ] && grep -q "^nvcheck: warning: .*scenarios: build-id" "$WORK/err"
ok $? "one warning: the baseline's binary changed"
[ "$(wc -l <"$WORK/err")" -eq 1 ] || diag "$(cat "$WORK/err")"

# Bad baselines.
nvcheck check --baseline "$WORK/missing.json" "$U"
bad_input "nvcheck: $WORK/missing.json: No such file or directory" "missing baseline"
echo '{}' >"$WORK/foreign.json"
nvcheck check --baseline "$WORK/foreign.json" "$U"
bad_input "nvcheck: $WORK/foreign.json: not an nvcheck" "foreign JSON baseline"
printf '{"schema": "nvcheck/1", "findings": [{"kind": "unflushed-write", "stack": 5}]}' \
    >"$WORK/bad-stack.json"
nvcheck check --baseline "$WORK/bad-stack.json" "$U"
bad_input "nvcheck: $WORK/bad-stack.json: findings[0].stack: expected an array" "baseline stack type"
edit_json "$WORK/base.json" "$WORK/bad-offset.json" 'd["findings"][0]["stack"][1]["offset"] = "zz"'
nvcheck check --baseline "$WORK/bad-offset.json" "$U"
bad_input "nvcheck: $WORK/bad-offset.json: findings[0].stack[1].offset: expected a hex string" \
    "baseline frame offset"
printf '{"schema": "nvcheck/1", "findings": {}}' >"$WORK/bad-findings.json"
nvcheck check --baseline "$WORK/bad-findings.json" "$U"
bad_input "nvcheck: $WORK/bad-findings.json: findings: expected an array" "baseline findings type"

# ---- a kind this nvcheck does not know (a newer interposer): judged by severity ----
edit_json "$UR" "$WORK/future.json" 'd["findings"][0]["kind"] = "future-kind"'
gate 1 "1 finding above the bar (1 future-kind), 0 below it; 0 suppressed; 0 in the baseline" \
    "$WORK/future.json"
gate 0 "0 findings above the bar, 1 below it; 0 suppressed; 0 in the baseline" \
    --fail-on unflushed-write "$WORK/future.json"
edit_json "$WORK/future.json" "$WORK/future-w.json" 'd["findings"][0]["severity"] = "warning"'
gate 0 "0 findings above the bar, 1 below it; 0 suppressed; 0 in the baseline" "$WORK/future-w.json"
gate 1 "1 finding above the bar (1 future-kind), 0 below it; 0 suppressed; 0 in the baseline" \
    --fail-on warnings "$WORK/future-w.json"
S=$(supp s-future '*:s_unflushed')
gate 0 "0 findings above the bar, 0 below it; 1 suppressed; 0 in the baseline" \
    --suppressions "$S" "$WORK/future.json"
nvcheck report --gen-suppressions "$WORK/future.json"
grep -qx '\*:s_unflushed' "$WORK/out"
ok $? "--gen-suppressions: an unknown kind gets '*'"

# ---- usage ----
nvcheck check
bad_input "nvcheck: check: no reports given" "no reports"
nvcheck check --bogus "$U"
bad_input "nvcheck: check: unknown option '--bogus'" "unknown long option"
nvcheck check -x "$U"
bad_input "nvcheck: check: unknown option '-x'" "unknown short option"
nvcheck check "$U" --suppressions
bad_input "nvcheck: --suppressions: No such file or directory" "options end at the first report"
nvcheck check --baseline
bad_input "nvcheck: check: option '--baseline' needs an argument" "missing option argument"
: >"$WORK/empty.json"
nvcheck check "$WORK/empty.json"
bad_input "nvcheck: $WORK/empty.json: " "empty report"
nvcheck check --help
status 0 "--help"
grep -q '^usage: nvcheck check' "$WORK/out"
ok $? "--help prints the usage"

# ---- the whole output, one case: failing blocks, summary, statistics ----
# System libraries' frames (their lines depend on the libc build) and main's line
# (scenarios are appended above it) are masked.
S=$(supp s-golden '# the fill is known' 'unflushed-write:s_fill' 'leaked-token:nothing')
nvcheck check --stable --suppressions "$S" --baseline "$U" --fail-on errors \
    "$U2" "$F" "$O" "$L"
status 1 "golden case"
grep -v -e ' (/lib/' -e ' (/usr/lib/' "$WORK/out" |
    sed -E -e 's/^( *#[0-9]+ main .*scenarios\.c:)[0-9]+/\1MAIN/' \
        -e "s|$WORK/|@WORK@/|g" >"$WORK/golden-in"
golden check-output "$WORK/golden-in"

done_testing
