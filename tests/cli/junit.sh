#!/bin/sh
# junit.sh -- nvcheck report --format junit: every output well-formed (xmllint) and valid
# against Jenkins' JUnit schema (tests/cli/data/junit.xsd); one testsuite per process,
# one testcase per finding group at the scenarios' @nv: marker lines, failure text =
# the text block; warnings, clean runs, processes sharing a group; goldens (--stable);
# hostile names and control characters; reports that hit the findings cap.
# shellcheck shell=sh
. "$top_srcdir/tests/cli/lib.sh"

XSD="$top_srcdir/tests/cli/data/junit.xsd"
MAIN=$(grep -n '^int main(' "$SCEN_SRC" | cut -d: -f1)

# x FILE XPATH -- the string value of an XPath expression.
x() { xmllint --xpath "$2" "$1" 2>/dev/null; }

# xs FILE XPATH... -- the string values of several XPath expressions, joined by "|".
xs() {
    f=$1 sep= all=
    shift
    for e in "$@"; do
        all="$all$sep$(x "$f" "string($e)")"
        sep='|'
    done
    echo "$all"
}

# raw REPORT EXPR -- a Python expression over a raw report d.
raw() {
    python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"
}

# is GOT WANT NAME -- equality, with a diagnostic when it fails.
is() {
    [ "$1" = "$2" ]
    ok $? "$3"
    [ "$1" = "$2" ] || diag "got:  $1" "want: $2"
}

# valid FILE NAME -- well-formed XML, and valid against the JUnit schema.
valid() {
    xmllint --noout "$1" 2>"$WORK/xmlerr"
    ok $? "$2: well-formed XML"
    xmllint --noout --schema "$XSD" "$1" 2>"$WORK/xmlerr"
    ok $? "$2: valid JUnit XML (Jenkins junit-10.xsd)"
    grep -v ' validates$' "$WORK/xmlerr" | head -5 | while read -r l; do diag "$l"; done
}

# junit NAME ARGS... -- nvcheck report -f junit ARGS into $WORK/NAME.xml ($X): renders
# (exit 0, stderr empty) and is valid.
junit() {
    name=$1
    shift
    nvcheck report -f junit "$@"
    [ "$RC" -eq 0 ] && [ ! -s "$WORK/err" ]
    ok $? "$name: renders (exit 0, nothing on stderr)"
    [ -s "$WORK/err" ] && diag "$(cat "$WORK/err")"
    X="$WORK/$name.xml"
    cp "$WORK/out" "$X"
    valid "$X" "$name"
}

# ours FILE -- for goldens: stack lines outside the build tree dropped (they depend on
# the debug packages installed), renumbered, main's lines relative to main (other
# tests append scenarios).
ours() {
    awk -v b="($top_builddir/" -v m="$MAIN" '
        function rel(s,   out, n) {
            while (match(s, /scenarios\.c:[0-9]+/)) {
                n = substr(s, RSTART + 12, RLENGTH - 12) + 0
                out = out substr(s, 1, RSTART + 11) (n > m ? "main+" (n - m) : n)
                s = substr(s, RSTART + RLENGTH)
            }
            return out s
        }
        /^    #[0-9]+ / { if (!index($0, b)) next; sub(/#[0-9]+/, "#" n++); print rel($0); next }
        { n = 0; print }' "$1" >"$1.ours"
}

# stable NAME -- the --stable golden of $OUT.
stable() {
    junit "$1-stable" --stable "$OUT"
    ours "$X"
    golden "junit-$1.xml" "$X.ours"
}

# names FILE -- the testcases as "classname|name", one per line.
names() {
    n=$(x "$1" 'count(//testcase)')
    i=1
    while [ "$i" -le "$n" ]; do
        xs "$1" "(//testcase)[$i]/@classname" "(//testcase)[$i]/@name"
        i=$((i + 1))
    done
}

# ---- one process, one finding ----

run unflushed
UNFLUSHED=$REPORTS
PID=$(raw "$REPORTS" 'd["process"]["pid"]')
junit unflushed "$OUT"
is "$(xs "$X" /testsuites/@tests /testsuites/@failures /testsuites/@errors 'count(//testsuite)')" \
    "1|1|0|1" "unflushed: testsuites: 1 test, 1 failure, 0 errors, 1 suite"
is "$(xs "$X" //testsuite/@name //testsuite/@tests //testsuite/@failures //testsuite/@errors \
    //testsuite/@skipped)" \
    "scenarios (pid $PID)|1|1|0|0" "unflushed: testsuite named after the program and pid"
x "$X" 'string(//testsuite/@timestamp)' | grep -Eq '^[0-9]{4}(-[0-9]{2}){2}T[0-9]{2}(:[0-9]{2}){2}$'
ok $? "unflushed: testsuite timestamp (ISO 8601)"
is "$(xs "$X" '//property[@name="argv"]/@value' '//property[@name="pid"]/@value' \
    '//property[@name="report"]/@value')" \
    "$SCEN unflushed|$PID|$UNFLUSHED" "unflushed: properties: argv, pid, report"
is "$(names "$X")" "unflushed-write|s_unflushed at scenarios.c:$(line_of unflushed)" \
    "unflushed: testcase: classname = kind, name = function at file:line"
MSG=$(raw "$UNFLUSHED" 'd["findings"][0]["message"]')
is "$(xs "$X" //failure/@type //failure/@message)" "unflushed-write|$MSG" \
    "unflushed: failure: type = kind, message = the finding's"
nvcheck report "$UNFLUSHED"
is "$(x "$X" 'string(//failure)')" "$(sed '1,2d' "$WORK/out")" \
    "unflushed: failure text = the text renderer's block"
x "$X" 'string(//failure)' >"$WORK/body"
grep -q "^    #0 s_unflushed $SCEN_SRC:$(line_of unflushed) " "$WORK/body" &&
    grep -q "^  token freed at:" "$WORK/body"
ok $? "unflushed: failure text has the write's stack and the related one"
stable unflushed
is "$(xs "$X" //testsuite/@name 'count(//testsuite/@timestamp)' 'count(//property)')" \
    "scenarios|0|1" "unflushed --stable: no pid, timestamp or report path"

# ---- more kinds, more processes ----

run undrained-flush
junit undrained-flush "$OUT"
is "$(names "$X")" "undrained-flush|s_undrained_flush at scenarios.c:$(line_of undrained-write)" \
    "undrained-flush: testcase at the write"
x "$X" 'string(//failure)' | grep -q "^  flushed at:"
ok $? "undrained-flush: failure text has the flush's stack"
stable undrained-flush

run invalid-argument
junit invalid-argument "$OUT"
want=$(for m in null-dst bad-flags nodrain-alone nodrain-nt wrap empty-region null-ranges; do
    echo "invalid-argument|s_invalid_argument at scenarios.c:$(line_of $m)"
done)
is "$(names "$X")" "$want" "invalid-argument: one testcase per bad call"
is "$(xs "$X" //testsuite/@tests //testsuite/@failures)" "7|7" \
    "invalid-argument: 7 tests, 7 failures"
stable invalid-argument

run fork
FORK=$OUT
junit fork "$OUT"
is "$(x "$X" 'count(//testsuite)')" 2 "fork: one testsuite per process"
for r in $REPORTS; do
    p=$(raw "$r" 'd["process"]["pid"]')
    [ "$(x "$X" "count(//testsuite[@name='scenarios (pid $p)']/testcase)")" = 1 ]
    ok $? "fork: pid $p has its own testsuite with its one finding"
done
is "$(names "$X" | sort)" "unflushed-write|s_fork at scenarios.c:$(line_of child-write)
unflushed-write|s_fork at scenarios.c:$(line_of parent-write)" \
    "fork: the child's and the parent's write"
stable fork
set -- $REPORTS
nvcheck report -f junit --stable "$2" "$1"
cmp -s "$WORK/out" "$X"
ok $? "fork --stable: the same bytes whatever the order of the reports"

run clean
junit clean "$OUT"
is "$(xs "$X" /testsuites/@tests /testsuites/@failures 'count(//failure)')" "1|0|0" \
    "clean: one test, no failure"
is "$(names "$X")" "nvcheck|no persistence findings" "clean: a passing testcase says so"
stable clean

run leaked
junit leaked "$OUT"
is "$(xs "$X" //testcase/@classname //failure/@type 'substring(//failure/@message, 1, 10)')" \
    "leaked-token|leaked-token|[warning] " "leaked-token: a warning fails too, marked [warning]"

# ---- one group in two processes: each suite has its own share ----

run unflushed
nvcheck report -f junit "$UNFLUSHED" "$REPORTS"
cp "$WORK/out" "$WORK/two.xml"
valid "$WORK/two.xml" "two runs"
is "$(xs "$WORK/two.xml" /testsuites/@tests 'count(//testsuite)' 'count(//testsuite[@tests=1])')" \
    "2|2|2" "two runs of one program: two suites with one testcase each"
x "$WORK/two.xml" 'string(//testsuite[1]//failure)' | grep -q 'merged:'
[ $? -ne 0 ]
ok $? "two runs: each failure text counts its own process only"

# ---- hostile names: escaped, control characters replaced, nothing breaks ----

python3 - "$UNFLUSHED" "$WORK/hostile.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["modules"][0]["path"] = "/nonexistent/<script>&\"'\x01\x1b]]>\x7f\ufffe"
d["process"]["argv"][0] = "/x/<evil>&\"'\x07na\tme\n"
d["findings"][0]["message"] = ("<script>alert(1)</script> & \"q\" 'a' \x01\x02\x1b[31m ]]> "
                               "\t\n\r\x0b\x0c \ufffe\uffff end")
json.dump(d, open(sys.argv[2], "w"))
EOF
junit hostile -q "$WORK/hostile.json"
# The parsed document must say exactly what the report said, with U+FFFD for what XML
# cannot carry.
python3 - "$X" "$WORK/hostile.json" >"$WORK/hostile.check" <<'EOF'
import json, re, sys, xml.etree.ElementTree as ET
raw = json.load(open(sys.argv[2]))
def xmlsafe(s):
    return re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", "\ufffd", s)
t = ET.parse(sys.argv[1]).getroot()
suite, fail = t.find("testsuite"), t.find(".//failure")
bad = []
if suite.get("name") != xmlsafe("<evil>&\"'\x07na\tme\n") + " (pid %d)" % raw["process"]["pid"]:
    bad.append("suite name %r" % suite.get("name"))
if fail.get("message") != xmlsafe(raw["findings"][0]["message"]):
    bad.append("message %r" % fail.get("message"))
# (the text block, for terminals, shows control characters as '?')
for want in ("/nonexistent/<script>&\"'", "<script>alert(1)</script> & \"q\" 'a'"):
    if want not in fail.text:
        bad.append("%r not in the failure text" % want)
print("\n".join(bad) or "ok")
EOF
is "$(cat "$WORK/hostile.check")" ok \
    "hostile: names and messages read back exactly (U+FFFD for what XML forbids)"

# ---- the harvest: empty (--allow-empty), and a process that left no report ----

mkdir "$WORK/empty-dir"
junit empty --allow-empty "$WORK/empty-dir"
is "$(xs "$X" /testsuites/@tests /testsuites/@failures //testsuite/@name //testsuite/@skipped \
    //testcase/@name //testcase/skipped/@message)" \
    "1|0|nvcheck harvest|1|no reports in $WORK/empty-dir|nothing was checked there" \
    "empty harvest: a skipped testcase says nothing was checked"
run unflushed
mkdir "$WORK/lost" && cp $REPORTS "$WORK/lost/"
printf 'u nvcheck-pending/1 4242 0123456789abcdef host-1-2-3 /bin/lost-prog\n' \
    >"$WORK/lost/nvcheck.4242.0123456789abcdef.pending"
nvcheck report -f junit --stable "$WORK/lost"
[ "$RC" -eq 2 ] && grep -q '^nvcheck: process 4242 (/bin/lost-prog) left no report: ' "$WORK/err"
ok $? "a lost process: rendered, named on stderr, exit status 2"
X="$WORK/lost.xml" && cp "$WORK/out" "$X" && valid "$X" lost
is "$(xs "$X" /testsuites/@tests /testsuites/@errors "//testsuite[2]/@name" "//testsuite[2]/@errors" \
    "//testsuite[2]/testcase/@name" "//testsuite[2]/testcase/error/@type")" \
    "2|1|nvcheck harvest|1|process (lost-prog)|lost-process" \
    "a lost process: a testcase in error names it (--stable: no pid)"

# ---- a report that hit the findings cap says so ----

run invalid-argument NVCHECK_OPTIONS=max_findings=2
junit truncated "$OUT"
is "$(xs "$X" 'count(//testcase)' //testsuite/system-err)" \
    "2|incomplete: the process kept at most 2 findings and dropped 5 more occurrences (raise max_findings to see them)" \
    "truncated report: system-err says what was dropped"

# ---- -o ----

nvcheck report -f junit -o "$WORK/o.xml" "$UNFLUSHED"
[ "$RC" -eq 0 ] && [ ! -s "$WORK/out" ] && [ -s "$WORK/o.xml" ]
ok $? "-o FILE: written there, nothing on stdout"
valid "$WORK/o.xml" "-o FILE"

done_testing
