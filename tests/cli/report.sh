#!/bin/sh
# report.sh -- nvcheck report, text and json: goldens (--stable), exact values checked
# against the scenarios' @nv: marker lines, merging across processes, -o, colour,
# directories, C++ names, and binaries that changed or vanished since the run.
# shellcheck shell=sh
. "$top_srcdir/tests/cli/lib.sh"

SCHEMA="$top_srcdir/reports/report.schema.json"
CHECK_SCHEMA="$top_srcdir/tests/helpers/schema-check.py"
CXXPROG="$top_builddir/tests/cli/data/cxxprog"
CXXSRC="$top_srcdir/tests/cli/data/cxxprog.cc"
JSONS=

# q FILE EXPR -- evaluate a Python expression over the JSON document d in FILE. Helpers:
# F(i) finding i; loc(stack) "file:line" of its innermost frame (file by base name);
# rel(f) the related stacks as "role=file:line ..."; row(i) "kind size region-offset
# file:line address" of finding i; child_parent() the pids of a forked child and its parent.
cat >"$WORK/q.py" <<'EOF'
import json, os, sys
try:
    d = json.load(open(sys.argv[1]))
except (OSError, ValueError) as e:
    sys.exit(print("(%s is not JSON: %s)" % (sys.argv[1], e)))
def loc(st):
    return "%s:%s" % (os.path.basename(st[0]["file"] or "?"), st[0]["line"]) if st else "-"
def rel(f):
    return " ".join("%s=%s" % (r["role"], loc(r["stack"])) for r in f["related"])
def F(i):
    return d["findings"][i]
def row(i):
    f, r = F(i), F(i)["region"]
    return " ".join(map(str, [f["kind"], f["size"], r["offset"] if r else "-", loc(f["stack"]),
                              f["address"]]))
def child_parent():
    pids = [p["pid"] for p in d["processes"]]
    return [p["pid"] for p in d["processes"] if p["ppid"] in pids] + \
           [p["pid"] for p in d["processes"] if p["ppid"] not in pids]
v = eval(sys.argv[2])
print("-" if v is None else v)
EOF
q() { python3 "$WORK/q.py" "$@"; }

# is GOT WANT NAME -- equality, with a diagnostic when it fails.
is() {
    [ "$1" = "$2" ]
    ok $? "$3"
    [ "$1" = "$2" ] || diag "got:  $1" "want: $2"
}

# at MARKER -- "scenarios.c:LINE" of a marker line.
at() { echo "scenarios.c:$(line_of "$1")"; }

# Other tests append scenarios, which moves main() down: goldens name its lines as
# "main+N" so that they only change when a scenario they show changes.
MAIN=$(grep -n '^int main(' "$SCEN_SRC" | cut -d: -f1)

# ours FILE -- FILE without the frames of system libraries (their names depend on
# which debug packages are installed), renumbered, main's lines relative; for goldens
# (golden's normalize names the trees).
ours() {
    awk -v b="$top_builddir/" -v m="$MAIN" '
        function rel(str,   out, n) {
            while (match(str, /scenarios\.c:[0-9]+/)) {
                n = substr(str, RSTART + 12, RLENGTH - 12) + 0
                out = out substr(str, 1, RSTART + 11) (n > m ? "main+" (n - m) : n)
                str = substr(str, RSTART + RLENGTH)
            }
            return out str
        }
        /^    #[0-9]+ / {
            if (!index($0, "(" b)) next
            sub(/#[0-9]+/, "#" n++)
            print rel($0)
            next
        }
        { n = 0; print }' "$1" >"$1.ours"
}

# ours_json FILE -- the same for JSON.
ours_json() {
    python3 - "$1" "$top_builddir/" "$MAIN" >"$1.ours" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
build, main = sys.argv[2], int(sys.argv[3])
def keep(st):
    st[:] = [f for f in st if (f["module"] or "").startswith(build)]
    for f in st:
        if (f["file"] or "").endswith("/scenarios.c") and f["line"] > main:
            f["line"] = "main+%d" % (f["line"] - main)
for f in d["findings"]:
    keep(f["stack"])
    for r in f["related"]:
        keep(r["stack"])
print(json.dumps(d, indent=2, ensure_ascii=False))
EOF
}

# render NAME -- text and json goldens of $OUT; keeps json (stable and not) for checks.
render() {
    nvcheck report --stable "$OUT"
    [ "$RC" -eq 0 ] && [ ! -s "$WORK/err" ]
    ok $? "$1: text renders (exit 0, nothing on stderr)"
    ours "$WORK/out"
    golden "report-$1.txt" "$WORK/out.ours"
    nvcheck report --format json --stable "$OUT"
    cp "$WORK/out" "$WORK/$1.stable.json"
    ours_json "$WORK/out"
    golden "report-$1.json" "$WORK/out.ours"
    nvcheck report -f json "$OUT"
    [ "$RC" -eq 0 ] && [ ! -s "$WORK/err" ]
    ok $? "$1: json renders"
    J="$WORK/$1.json"
    cp "$WORK/out" "$J"
    JSONS="$JSONS $J $WORK/$1.stable.json"
}

# finding N -- "kind size region-offset file:line address" of finding N in $J.
finding() { q "$J" "row($1)"; }

# ---- one scenario per behaviour: goldens and exact values ----

run unflushed
render unflushed
is "$(finding 0)" "unflushed-write 64 64 $(at unflushed) $(hex $((BASE + 64)))" \
    "unflushed: kind, size, region offset, write at the marker line, address"
is "$(q "$J" 'rel(F(0))')" "token-freed-at=$(at unflushed-free)" "unflushed: token freed at"
PID=$(q "$REPORTS" 'd["process"]["pid"]')
is "$(q "$J" '(F(0)["pid"], F(0)["pids"], F(0)["count"], F(0)["bytes"], F(0)["region"]["base"])')" \
    "($PID, [$PID], 1, 64, '$(hex "$BASE")')" "unflushed: pid, pids, count, bytes, region base"
is "$(q "$J" '(d["summary"]["errors"], d["summary"]["warnings"], d["schema"])')" \
    "(1, 0, 'nvcheck/1')" "unflushed: summary and schema"
nvcheck report "$OUT"
grep -q "^    #0 s_unflushed $top_srcdir/tests/e2e/scenarios.c:$(line_of unflushed) ($SCEN+0x[0-9a-f]*)\$" \
    "$WORK/out"
ok $? "unflushed: text frame '#0 function file:line (module+offset)'"
grep -q "^  address $(hex $((BASE + 64))), size 64, region $(hex "$BASE") (65536 bytes) offset 64\$" \
    "$WORK/out"
ok $? "unflushed: text details line"

run undrained-flush
render undrained-flush
is "$(finding 0)" "undrained-flush 100 200 $(at undrained-write) $(hex $((BASE + 200)))" \
    "undrained-flush: kind, size, offset, write line, address"
is "$(q "$J" 'rel(F(0))')" \
    "flushed-at=$(at undrained-flush) token-freed-at=$(at undrained-free)" \
    "undrained-flush: flushed at, token freed at"
is "$(q "$J" 'F(0)["thread"]["id"]')" 1 "undrained-flush: flushing thread T1"

run other-thread-drain
render other-thread-drain
is "$(finding 0)" "undrained-flush 64 256 $(at thread-write) $(hex $((BASE + 256)))" \
    "other-thread-drain: kind, size, offset, write line, address"
is "$(q "$J" 'rel(F(0)).split()[0]')" "flushed-at=$(at thread-flush)" \
    "other-thread-drain: flushed on the thread"
is "$(q "$J" '(F(0)["thread"]["id"], F(0)["thread"]["tid"] > 0, "T2" in F(0)["message"])')" \
    "(2, True, True)" "other-thread-drain: thread T2 with its tid"
nvcheck report --stable "$OUT"
grep -q "^  size 64, region (65536 bytes) offset 256, thread T2\$" "$WORK/out"
ok $? "other-thread-drain: text names thread T2 (no tid when stable)"

run invalid-argument
render invalid-argument
want=
for m in null-dst bad-flags nodrain-alone nodrain-nt wrap empty-region null-ranges; do
    want="$want $(at "$m")"
done
is "$(q "$J" '" ".join(loc(f["stack"]) for f in d["findings"])')" "${want# }" \
    "invalid-argument: seven findings, one per marker line, in line order"
is "$(q "$J" '[f["size"] for f in d["findings"]]')" "[8, 0, 0, 0, None, 0, 48]" \
    "invalid-argument: sizes (the wrapping one unknown)"
is "$(q "$J" '{f["kind"] for f in d["findings"]}, {f["region"] for f in d["findings"]}')" \
    "({'invalid-argument'}, {None})" "invalid-argument: kind, no region"
is "$(q "$J" 'F(4)["routine"], F(4)["address"]')" \
    "('RtlFlushNonVolatileMemory', '$(hex $((BASE + 64)))')" "invalid-argument: routine, address"
nvcheck report --stable "$OUT"
grep -q "^error: invalid-argument: RtlFlushNonVolatileMemory: NvBuffer 0x\.\.\. + 0x\.\.\. wraps" \
    "$WORK/out" && grep -q "Flags 0x40: unknown flag bits" "$WORK/out" && ! grep -q "0x7f" "$WORK/out"
ok $? "invalid-argument: --stable hides addresses in messages, keeps flag values"
nvcheck report --max-findings 2 "$OUT"
[ "$(grep -c '^error: ' "$WORK/out")" -eq 2 ] && [ "$(tail -n 1 "$WORK/out")" = "... 5 more findings not shown" ]
ok $? "--max-findings 2: two blocks, then '... 5 more findings not shown'"

run invalid-argument NVCHECK_OPTIONS=max_findings=2
nvcheck report --stable "$OUT"
is "$(sed -n 2p "$WORK/out")" \
    "nvcheck: note: incomplete: 5 occurrences beyond max_findings=2 dropped (5 invalid-argument): raise max_findings to see them; findings may be missing" \
    "a process that hit max_findings: the text says so"
nvcheck report -f json "$OUT"
is "$(q "$WORK/out" '(d["summary"]["truncated"], d["summary"]["dropped_occurrences"],
                      d["processes"][0]["truncated"], len(d["findings"]))')" "(True, 5, True, 2)" \
    "a process that hit max_findings: json summary.truncated, dropped, processes[].truncated"

run fork
render fork
is "$(finding 0 | cut -d' ' -f1-4) $(finding 1 | cut -d' ' -f1-4)" \
    "unflushed-write 16 640 $(at child-write) unflushed-write 24 1280 $(at parent-write)" \
    "fork: the child's and the parent's finding"
PIDS=$(for r in $REPORTS; do q "$r" 'd["process"]["pid"]'; done | sort -n | tr '\n' ' ')
is "$(q "$J" '" ".join(str(p["pid"]) for p in d["processes"])') " "$PIDS" "fork: two processes, by pid"
is "$(q "$J" '[F(0)["pid"], F(1)["pid"]] == child_parent()')" \
    True "fork: each finding names its own process"
nvcheck report "$OUT"
grep -q "^nvcheck: 2 errors, 0 warnings in 2 processes (1 program)\$" "$WORK/out"
ok $? "fork: text header counts 2 processes of 1 program"

run clean
render clean
is "$(q "$J" '(len(d["findings"]), d["summary"]["errors"], d["summary"]["processes"])')" \
    "(0, 0, 1)" "clean: no findings"

# ---- the rendered format is the one reports/report.schema.json describes ----
# shellcheck disable=SC2086
python3 "$CHECK_SCHEMA" "$SCHEMA" $JSONS >"$WORK/schema.out" 2>&1
rc=$?
if [ "$rc" -eq 77 ]; then
    ok 0 "rendered reports match reports/report.schema.json # SKIP python3-jsonschema missing"
else
    ok "$rc" "rendered reports match reports/report.schema.json"
    [ "$rc" -eq 0 ] || diag "$(cat "$WORK/schema.out")"
fi

# ---- merging ----

run unflushed
R1=$REPORTS
nvcheck report -f json "$R1" "$R1"
is "$(q "$WORK/out" '(len(d["findings"]), F(0)["count"], F(0)["bytes"], d["summary"]["occurrences"])')" \
    "(1, 2, 128, 2)" "the same report twice: one finding, count 2, 128 bytes"
# The same finding in another process: a copy of the report under another pid.
q "$R1" 'json.dumps(dict(d, process=dict(d["process"], pid=d["process"]["pid"] + 100000)))' \
    >"$WORK/other.json"
P=$(q "$R1" 'd["process"]["pid"]')
nvcheck report -f json "$R1" "$WORK/other.json"
is "$(q "$WORK/out" '(len(d["findings"]), F(0)["count"], F(0)["pid"], F(0)["pids"])')" \
    "(1, 2, $P, [$P, $((P + 100000))])" "two processes, same finding: one, count 2, both pids"
nvcheck report "$WORK/other.json" "$R1"
grep -q "^  merged: 2 occurrences in 2 processes (pids $P, $((P + 100000))), 128 bytes in total\$" \
    "$WORK/out"
ok $? "text: merged line with occurrences, processes, pids and bytes"
nvcheck report --stable "$WORK/other.json" "$R1"
grep -q "^  merged: 2 occurrences in 2 processes, 128 bytes in total\$" "$WORK/out"
ok $? "text --stable: merged line without pids"
# --stable shows the same occurrence of a group whichever process got the lower pid.
for p in 1 2; do
    for o in 0 128; do
        q "$R1" 'json.dumps(dict(d, process=dict(d["process"], pid=10 + 10 * (('"$p"' + '"$o"' // 128) % 2)),
                                 findings=[dict(F(0), region=dict(F(0)["region"], offset='"$o"'),
                                                message="at offset '"$o"'")]))' >"$WORK/pid$o.json"
    done
    nvcheck report -f json --stable "$WORK/pid0.json" "$WORK/pid128.json"
    cp "$WORK/out" "$WORK/order$p.json"
done
cmp -s "$WORK/order1.json" "$WORK/order2.json" &&
    [ "$(q "$WORK/order1.json" '(F(0)["region"]["offset"], F(0)["message"], F(0)["count"])')" = \
      "(0, 'at offset 0', 2)" ]
ok $? "--stable: the occurrence shown does not depend on which process has the lower pid"
q "$R1" 'json.dumps(dict(d, findings=[dict(F(0), count=2**63 - 1)]))' >"$WORK/huge.json"
nvcheck report -f json "$WORK/huge.json" "$WORK/huge.json"
is "$(q "$WORK/out" 'F(0)["count"]')" 9223372036854775807 "huge counts saturate at 2^63-1"

# ---- a directory, and -o ----

mkdir "$WORK/dir"
cp "$R1" "$WORK/dir/a.json"
cp "$WORK/other.json" "$WORK/dir/b.json"
echo "not a report" >"$WORK/dir/notes.txt"
nvcheck report -f json "$WORK/dir"
is "$RC $(q "$WORK/out" '(d["summary"]["processes"], F(0)["count"])')" "0 (2, 2)" \
    "a directory: every *.json in it, nothing else"

mkdir "$WORK/o"
nvcheck report --stable "$R1"
cp "$WORK/out" "$WORK/expected"
echo old >"$WORK/o/r.txt"
nvcheck report --stable -o "$WORK/o/r.txt" "$R1"
[ "$RC" -eq 0 ] && [ ! -s "$WORK/out" ] && cmp -s "$WORK/o/r.txt" "$WORK/expected" &&
    [ "$(ls -A "$WORK/o")" = r.txt ]
ok $? "-o FILE: replaced with the full report, nothing on stdout, no temp file left"
echo old >"$WORK/o/r.txt"
nvcheck report -o "$WORK/o/r.txt" "$R1" "$WORK/o/missing.json"
[ "$RC" -eq 2 ] && [ "$(cat "$WORK/o/r.txt")" = old ] && [ "$(ls -A "$WORK/o")" = r.txt ]
ok $? "-o FILE with bad input: exit 2, FILE untouched, no temp file"
nvcheck report -o "$WORK/nodir/r.txt" "$R1"
[ "$RC" -eq 2 ] && [ "$(wc -l <"$WORK/err")" -eq 1 ] && [ ! -s "$WORK/out" ] &&
    grep -q "^nvcheck: $WORK/nodir/r.txt: cannot write: " "$WORK/err"
ok $? "-o into a missing directory: exit 2, one line naming it"

# -o into what is not a regular file: written in place as a stream, never replaced.
mkfifo "$WORK/o/fifo"
cat "$WORK/o/fifo" >"$WORK/o/from-fifo" &
reader=$!
nvcheck report --stable -o "$WORK/o/fifo" "$R1"
wait $reader
[ "$RC" -eq 0 ] && [ -p "$WORK/o/fifo" ] && cmp -s "$WORK/o/from-fifo" "$WORK/expected"
ok $? "-o FIFO: the reader gets the report, the FIFO stays a FIFO"
ln -s /proc/self/fd/1 "$WORK/o/stdout-link"
$NVCHECK report --stable -o "$WORK/o/stdout-link" "$R1" >"$WORK/o/via-link" 2>"$WORK/err"
[ $? -eq 0 ] && [ -L "$WORK/o/stdout-link" ] && cmp -s "$WORK/o/via-link" "$WORK/expected"
ok $? "-o a symlink to /proc/self/fd/1: written through it, the link stays"
if [ "$(id -u)" -eq 0 ] && mknod "$WORK/o/null" c 1 3 2>/dev/null; then
    nvcheck report -o "$WORK/o/null" "$R1"
    [ "$RC" -eq 0 ] && [ -c "$WORK/o/null" ]
    ok $? "-o a character device (a node of /dev/null): written into, the node stays"
else
    skip "not root: cannot make a device node to write into"
fi
nvcheck report -o "$WORK/o" "$R1"
[ "$RC" -eq 2 ] && [ "$(cat "$WORK/err")" = "nvcheck: $WORK/o: cannot write: Is a directory" ]
ok $? "-o a directory: one line, exit 2"
[ "$(ls -A "$WORK/o" | tr '\n' ' ')" = "fifo from-fifo null r.txt stdout-link via-link " ] ||
    [ "$(ls -A "$WORK/o" | tr '\n' ' ')" = "fifo from-fifo r.txt stdout-link via-link " ]
ok $? "-o: no temp file left beside any of them"

# ---- text from reports and file names reaches a terminal as text ----

ESC=$(printf '\033') CSI1=$(printf '\302\233')
q "$R1" 'json.dumps(dict(d, findings=[dict(F(0), kind="evil\x1b[2J\x9bkind",
    message="m\x9b31m\x7fsg")]))' >"$WORK/evil.json"
for fmt in text json sarif junit; do
    nvcheck report -f $fmt "$WORK/evil.json"
    ! grep -q "$ESC" "$WORK/out" && ! grep -q "$CSI1" "$WORK/out" && [ "$RC" -eq 0 ]
    ok $? "$fmt: no ESC and no C1 control (U+009B) from a report reaches the output raw"
done
nvcheck report "$WORK/evil.json"
grep -qx 'error: evil?\[2J?kind: m?31m?sg' "$WORK/out"
ok $? "text: control characters, C1 ones too, shown as '?'"
nvcheck report -f json "$WORK/evil.json"
grep -qF '"message": "m\u009b31m\u007fsg"' "$WORK/out"
ok $? "json: DEL and C1 controls as \\u escapes"
nvcheck check "$WORK/evil.json"
! grep -q "$ESC" "$WORK/out" && ! grep -q "$CSI1" "$WORK/out" &&
    grep -qF 'nvcheck check: 1 finding above the bar (1 evil?[2J?kind)' "$WORK/out"
ok $? "check: the kind in its summary, cleaned"
evil_name="$WORK/o/x$(printf '\033')]0;pwned$(printf '\007')$(printf '\302\233')y.json"
nvcheck report "$evil_name"
! grep -q "$ESC" "$WORK/err" && ! grep -q "$CSI1" "$WORK/err" &&
    [ "$(cat "$WORK/err")" = "nvcheck: $WORK/o/x?]0;pwned??y.json: No such file or directory" ]
ok $? "a file name with escapes: named, cleaned"

# ---- a module path that is a FIFO: never opened blocking ----

mkfifo "$WORK/o/module.fifo"
q "$R1" 'json.dumps(dict(d, modules=[dict(m, path="'"$WORK/o/module.fifo"'") if i == 0 else m
                                    for i, m in enumerate(d["modules"])]))' >"$WORK/fifo-module.json"
timeout 60 $NVCHECK report "$WORK/fifo-module.json" >"$WORK/out" 2>"$WORK/err"
RC=$?
[ "$RC" -eq 0 ] && [ "$(cat "$WORK/err")" = "nvcheck: warning: $WORK/o/module.fifo: not a regular file; its frames are shown as module+offset" ]
ok $? "a FIFO as module path: one warning, frames as module+offset, no hang"
[ "$RC" -eq 0 ] || diag "exit $RC: $(cat "$WORK/err")"

# ---- colour: only when asked, or on a terminal ----

nvcheck report --color always "$R1"
grep -q "$(printf '\033')\[1;31merror" "$WORK/out"
ok $? "--color always: ANSI escapes"
nvcheck report --color never "$R1"
! grep -q "$(printf '\033')" "$WORK/out"
ok $? "--color never: none"
nvcheck report "$R1"
! grep -q "$(printf '\033')" "$WORK/out"
ok $? "--color auto, not a terminal: none"
if command -v script >/dev/null 2>&1 && [ -z "$NV_VALGRIND" ]; then
    script -qec "$NVCHECK_BIN report $R1" /dev/null >"$WORK/tty" 2>&1
    grep -q "$(printf '\033')\[1;31merror" "$WORK/tty"
    ok $? "--color auto on a terminal: ANSI escapes"
    NO_COLOR=1 script -qec "$NVCHECK_BIN report $R1" /dev/null >"$WORK/tty" 2>&1
    ! grep -q "$(printf '\033')\[" "$WORK/tty"
    ok $? "--color auto on a terminal with NO_COLOR: none"
fi

# ---- C++: demangled names of namespaced, overloaded and template members ----

mkdir "$WORK/cxx"
env NVCHECK_OUTPUT="$WORK/cxx/r.%p.json" LD_PRELOAD="$PRELOAD" "$CXXPROG" >/dev/null 2>&1
[ "$(ls "$WORK/cxx" | wc -l)" -eq 1 ]
ok $? "C++: the program ran under the checker and wrote its report"
nvcheck report -f json "$WORK/cxx"
cxx() { echo "$1 cxxprog.cc:$(grep -n "@nv:$2 " "$CXXSRC" | cut -d: -f1)"; }
want="$(cxx 'pmlog::Log::append(char const*)' cxx-str)"
want="$want|$(cxx 'pmlog::Log::append(int)' cxx-int)"
want="$want|$(cxx 'void pmlog::Log::put<double>(double const&)' cxx-tmpl)"
is "$(q "$WORK/out" '"|".join(f["stack"][0]["function"] + " " + loc(f["stack"])
                               for f in d["findings"])')" \
    "$want" "C++: demangled overloads and template at their lines"
nvcheck report "$WORK/cxx"
grep -q "^    #0 pmlog::Log::append(int) $top_srcdir/tests/cli/data/cxxprog.cc:" "$WORK/out"
ok $? "C++: demangled in the text format"

# ---- the binary changed or vanished since the run ----

mkdir "$WORK/bin" "$WORK/bid"
cp "$SCEN" "$WORK/bin/scen"
env NVCHECK_OUTPUT="$WORK/bid/r.%p.json" LD_PRELOAD="$PRELOAD" "$WORK/bin/scen" undrained-flush \
    >/dev/null 2>&1
[ "$(ls "$WORK/bid" | wc -l)" -eq 1 ]
ok $? "a copy of the scenarios ran under the checker and wrote its report"
OFF=$(q "$WORK/bid"/r.*.json 'F(0)["stack"][0]["offset"]')
nvcheck report "$WORK/bid"
grep -q "^    #0 s_undrained_flush .*scenarios.c:$(line_of undrained-write) ($WORK/bin/scen+$OFF)\$" \
    "$WORK/out" && [ ! -s "$WORK/err" ]
ok $? "a copied binary symbolises from its own path"
cp "$NVFLAT" "$WORK/bin/scen" # another build under the same name
nvcheck report "$WORK/bid"
[ "$RC" -eq 0 ] && [ "$(wc -l <"$WORK/err")" -eq 1 ] &&
    grep -q "^nvcheck: warning: $WORK/bin/scen: build-id [0-9a-f]* differs from the one that ran" \
        "$WORK/err" &&
    grep -q "^    #0 ($WORK/bin/scen+$OFF)\$" "$WORK/out" && ! grep -q "s_undrained_flush" "$WORK/out"
ok $? "build-id mismatch: exactly one warning, frames as module+offset"
nvcheck report -f json "$WORK/bid"
is "$(q "$WORK/out" 'list(F(0)["stack"][0].values())')" \
    "[None, None, None, '$WORK/bin/scen', '$OFF', False]" \
    "build-id mismatch: json frame with module and offset only"
rm "$WORK/bin/scen"
nvcheck report "$WORK/bid"
[ "$RC" -eq 0 ] && [ "$(wc -l <"$WORK/err")" -eq 1 ] &&
    grep -q "^nvcheck: warning: $WORK/bin/scen: not found" "$WORK/err" &&
    grep -q "^    #0 ($WORK/bin/scen+$OFF)\$" "$WORK/out"
ok $? "missing binary: exactly one warning, frames as module+offset"
nvcheck report --quiet "$WORK/bid"
[ "$RC" -eq 0 ] && [ ! -s "$WORK/err" ] && [ -s "$WORK/out" ]
ok $? "--quiet: no warnings"

done_testing
