#!/bin/sh
# sarif.sh -- nvcheck report --format sarif: every output valid against the official
# SARIF 2.1.0 schema (tests/cli/data) and against what GitHub code scanning needs on
# top of it; rules for every kind; locations, related locations and stacks at the
# scenarios' @nv: marker lines; --source-root; fingerprints; goldens (--stable);
# hostile names; kinds this nvcheck does not know; reports that hit the findings cap.
# shellcheck shell=sh
. "$top_srcdir/tests/cli/lib.sh"

SCHEMA="$top_srcdir/tests/cli/data/sarif-schema-2.1.0.json"
CHECK_SCHEMA="$top_srcdir/tests/helpers/schema-check.py"
SRC_URI="file://$top_srcdir/tests/e2e/scenarios.c"
MAIN=$(grep -n '^int main(' "$SCEN_SRC" | cut -d: -f1)
KINDS=$(sed -n 's/^NV_KIND([A-Z_]*, "\([a-z-]*\)".*/\1/p' "$top_srcdir/src/common/findings.def")

# q FILE EXPR [RAW] -- a Python expression over the SARIF document d in FILE. Helpers:
# run, rules, notes (tool notifications); R(i) result i; at(loc) "uri:line" of a
# location, A(loc) its artifactLocation; L(r) at() of r's location; lines() the
# results' lines; rel(r) r's related locations as "id:message:uri:line ..."; fp(r) its
# fingerprint; esc(s) s escaped as next to links; raw, msg0, mod0: the raw report RAW,
# its first finding's message and first module.
cat >"$WORK/q.py" <<'EOF'
import json, sys, urllib.parse
try:
    d = json.load(open(sys.argv[1]))
except ValueError as e:
    sys.exit(print("(%s is not JSON: %s)" % (sys.argv[1], e)))
run = d["runs"][0]
rules = run["tool"]["driver"]["rules"]
notes = run["invocations"][0].get("toolExecutionNotifications", [])
raw = json.load(open(sys.argv[3])) if len(sys.argv) > 3 else None
msg0, mod0 = (raw["findings"][0]["message"], raw["modules"][0]["path"]) if raw else (0, 0)
def R(i):
    return run["results"][i]
def A(l):
    return l.get("physicalLocation", {}).get("artifactLocation", {})
def at(l):
    p = l["physicalLocation"]
    return "%s:%s" % (p["artifactLocation"]["uri"], p.get("region", {}).get("startLine"))
def L(r):
    return at(r["locations"][0])
def lines():
    return " ".join(L(r).split(":")[-1] for r in run["results"])
def rel(r):
    return " ".join("%d:%s:%s" % (l["id"], l["message"]["text"], at(l))
                    for l in r.get("relatedLocations", []))
def fp(r):
    return r["partialFingerprints"]["nvcheckStack/v1"]
def esc(m):
    return m.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")
v = eval("(" + sys.argv[2] + ")")
print("-" if v is None else v)
EOF
q() { python3 "$WORK/q.py" "$@"; }
# pid_of REPORT -- the pid a raw report names.
pid_of() {
    python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["process"]["pid"])' "$1"
}

# github FILE [root] -- what code scanning needs beyond the schema: every result's rule
# is in the rules (at ruleIndex), it has a location with a file URI (relative to
# %SRCROOT% with root), a fingerprint, and every related location is linked from the
# message; every rule has descriptions, help and a default level.
cat >"$WORK/github.py" <<'EOF'
import json, re, sys
d = json.load(open(sys.argv[1]))
root = len(sys.argv) > 2
bad = []
run = d["runs"][0]
rules = run["tool"]["driver"]["rules"]
ids = [r["id"] for r in rules]
for r in rules:
    for k in ("name", "shortDescription", "fullDescription", "help", "defaultConfiguration"):
        if k not in r:
            bad.append("rule %s: no %s" % (r["id"], k))
    if not r.get("help", {}).get("markdown") or not r.get("properties", {}).get("tags"):
        bad.append("rule %s: no help.markdown or tags" % r["id"])
if root and not run["originalUriBaseIds"]["%SRCROOT%"]["uri"].endswith("/"):
    bad.append("originalUriBaseIds: %SRCROOT% must end with /")
for i, r in enumerate(run["results"]):
    if r["ruleId"] not in ids or ids[r["ruleIndex"]] != r["ruleId"]:
        bad.append("result %d: rule %s not at index %s" % (i, r["ruleId"], r["ruleIndex"]))
    a = r["locations"][0]["physicalLocation"]["artifactLocation"]
    if root and (":" in a["uri"] or a["uri"].startswith("/") or a["uriBaseId"] != "%SRCROOT%"):
        bad.append("result %d: uri %s is not relative to %%SRCROOT%%" % (i, a["uri"]))
    if not r["partialFingerprints"]["nvcheckStack/v1"] or not r["message"]["text"]:
        bad.append("result %d: no fingerprint or message" % i)
    for l in r.get("relatedLocations", []):
        if "](%d)" % l["id"] not in r["message"]["text"]:
            bad.append("result %d: related location %d not linked" % (i, l["id"]))
print("\n".join(bad) or "ok")
EOF

# valid FILE NAME [root] -- FILE meets GitHub's rules now, and the SARIF schema at the
# end (validate_all: one validator run for all files is much faster).
VALID=
valid() {
    is "$(python3 "$WORK/github.py" "$1" $3)" ok "$2: what GitHub code scanning needs"
    VALID="$VALID $1"
}

# validate_all -- every FILE given to valid passes the OASIS SARIF 2.1.0 schema.
validate_all() {
    /usr/bin/python3 "$CHECK_SCHEMA" "$SCHEMA" $VALID >"$WORK/valid" 2>&1
    for f in $VALID; do
        grep -qxF "$f: valid" "$WORK/valid"
        ok $? "$(basename "$f"): valid SARIF 2.1.0 (OASIS schema)"
    done
    grep -v ': valid$' "$WORK/valid" | while read -r l; do diag "$l"; done
}

# at MARKER -- "scenarios.c:LINE" of a marker line.
at() { echo "scenarios.c:$(line_of "$1")"; }

# is GOT WANT NAME -- equality, with a diagnostic when it fails.
is() {
    [ "$1" = "$2" ]
    ok $? "$3"
    [ "$1" = "$2" ] || diag "got:  $1" "want: $2"
}

# sarif NAME ARGS... -- nvcheck report -f sarif ARGS into $WORK/NAME.sarif; renders
# (exit 0, stderr empty) and is valid.
sarif() {
    name=$1
    shift
    nvcheck report -f sarif "$@"
    [ "$RC" -eq 0 ] && [ ! -s "$WORK/err" ]
    ok $? "$name: renders (exit 0, nothing on stderr)"
    [ -s "$WORK/err" ] && diag "$(cat "$WORK/err")"
    S="$WORK/$name.sarif"
    cp "$WORK/out" "$S"
    case " $* " in *" --source-root "*) valid "$S" "$name" root ;; *) valid "$S" "$name" ;; esac
}

# ours FILE -- for goldens: frames outside the build tree dropped (they depend on the
# debug packages installed), main's lines relative to main (other tests append
# scenarios), fingerprint hashes hidden (they cover the C library's frames), and the
# rules, which sarif-clean.json shows in full, reduced to their ids.
ours() {
    python3 - "$1" "$top_builddir/" "$MAIN" >"$1.ours" <<'EOF'
import json, re, sys
d = json.load(open(sys.argv[1]))
run = d["runs"][0]
def line(l):
    reg = l.get("physicalLocation", {}).get("region")
    uri = l.get("physicalLocation", {}).get("artifactLocation", {}).get("uri", "")
    if reg and uri.endswith("scenarios.c") and reg["startLine"] > int(sys.argv[3]):
        reg["startLine"] = "main+%d" % (reg["startLine"] - int(sys.argv[3]))
for r in run["results"]:
    for s in r["stacks"]:
        s["frames"] = [f for f in s["frames"] if f.get("module", "").startswith(sys.argv[2])]
        for f in s["frames"]:
            line(f["location"])
    p = r["partialFingerprints"]
    p["nvcheckStack/v1"] = re.sub("^[0-9a-f]{32}", "HASH", p["nvcheckStack/v1"])
if run["results"]:
    run["tool"]["driver"]["rules"] = [r["id"] for r in run["tool"]["driver"]["rules"]]
print(json.dumps(d, indent=2, ensure_ascii=False))
EOF
}

# stable NAME -- the --stable golden of $OUT.
stable() {
    sarif "$1-stable" --stable "$OUT"
    ours "$S"
    golden "sarif-$1.json" "$S.ours"
}

# ---- rules: every kind of findings.def, with help ----

run clean
sarif clean "$OUT"
is "$(q "$S" 'len(run["results"])')" 0 "clean: no results"
is "$(q "$S" '" ".join(r["id"] for r in rules)')" "$(echo $KINDS)" \
    "rules: one per kind of findings.def, in its order"
want=$(for k in $KINDS; do
    sed -n "s/^NV_KIND([A-Z_]*, \"$k\", \([A-Z]*\),.*/\1/p" "$top_srcdir/src/common/findings.def"
done | tr 'A-Z' 'a-z' | tr '\n' ' ')
is "$(q "$S" '" ".join(r["defaultConfiguration"]["level"] for r in rules) + " "')" \
    "$want" "rules: default level = the kind's severity"
is "$(q "$S" '[r["name"] for r in rules][:2]')" \
    "['UnflushedWrite', 'UndrainedFlush']" "rules: CamelCase names"
is "$(q "$S" '[r["id"] for r in rules if "Fix:" not in r["help"]["text"] or
                                        "does not describe" in r["fullDescription"]["text"]]')" \
    "[]" "rules: every kind has its own explanation and fix"
VERSION=$($NVCHECK_BIN --version | cut -d' ' -f2)
is "$(q "$S" '(d["$schema"], d["version"], run["tool"]["driver"]["name"],
               run["tool"]["driver"]["version"])')" \
    "('https://json.schemastore.org/sarif-2.1.0.json', '2.1.0', 'nvcheck', '$VERSION')" \
    "log: \$schema, version, driver name and version"
stable clean
is "$(q "$S" '"version" in run["tool"]["driver"]')" False "--stable: no driver version"

# ---- one result per finding, at the marker lines ----

run unflushed
UNFLUSHED="$OUT"
RAW=$REPORTS
PID=$(pid_of "$RAW")
sarif unflushed "$OUT"
is "$(q "$S" '(R(0)["ruleId"], R(0)["ruleIndex"], R(0)["level"], len(run["results"]))')" \
    "('unflushed-write', 0, 'error', 1)" "unflushed: ruleId, ruleIndex, level; one result"
is "$(q "$S" 'L(R(0))')" "$SRC_URI:$(line_of unflushed)" \
    "unflushed: location = the write's line, absolute file:// URI"
is "$(q "$S" 'R(0)["locations"][0]["logicalLocations"][0]["name"]')" s_unflushed \
    "unflushed: logical location = the function"
is "$(q "$S" 'rel(R(0))')" "1:token freed here:$SRC_URI:$(line_of unflushed-free)" \
    "unflushed: related location: token freed here"
is "$(q "$S" 'R(0)["message"]["text"]' "$RAW")" \
    "$(q "$S" msg0 "$RAW") (related: [token freed at $(at unflushed-free)](1))" \
    "unflushed: message = the finding's, linking its related location"
is "$(q "$S" '[(s["message"]["text"], at(s["frames"][0]["location"]), s["frames"][0]["module"])
               for s in R(0)["stacks"]]')" \
    "[('call stack', '$SRC_URI:$(line_of unflushed)', '$SCEN'), \
('token freed at', '$SRC_URI:$(line_of unflushed-free)', '$SCEN')]" \
    "unflushed: stacks: the write's and the free's, innermost first, with modules"
is "$(q "$S" 'R(0)["properties"]')" \
    "{'count': 1, 'bytes': 64, 'size': 64, 'regionOffset': 64, 'processes': 1, \
'pids': [$PID], 'address': '$(hex $((BASE + 64)))'}" \
    "unflushed: properties: count, bytes, size, region offset, pids, address"
is "$(q "$S" 'R(0)["occurrenceCount"]')" 1 "unflushed: occurrenceCount"
FP1=$(q "$S" 'fp(R(0))')
stable unflushed
is "$(q "$S" '(sorted(R(0)["properties"]), "0x..." in R(0)["message"]["text"])')" \
    "(['bytes', 'count', 'processes', 'regionOffset', 'size'], True)" \
    "unflushed --stable: no pids or address, hex in the message masked"

# ---- --source-root: repository-relative URIs ----

sarif source-root --source-root "$top_srcdir" "$UNFLUSHED"
is "$(q "$S" '(A(R(0)["locations"][0]), run["originalUriBaseIds"])')" \
    "({'uri': 'tests/e2e/scenarios.c', 'uriBaseId': '%SRCROOT%'}, \
{'%SRCROOT%': {'uri': 'file://$top_srcdir/'}})" \
    "--source-root: uri relative to %SRCROOT%, which originalUriBaseIds maps to the root"
is "$(q "$S" 'A(R(0)["relatedLocations"][0])["uri"]')" \
    tests/e2e/scenarios.c "--source-root: related locations relative too"
is "$(q "$S" '[f["module"] for s in R(0)["stacks"] for f in s["frames"]
               if not f["module"].startswith("'"$top_srcdir"'") and
               "uriBaseId" in A(f["location"])]')" \
    "[]" "--source-root: frames of files outside the root (the C library) keep absolute URIs"
sarif source-root-dots --source-root "$top_srcdir/./tests/..//" "$UNFLUSHED"
is "$(q "$S" 'L(R(0))')" "tests/e2e/scenarios.c:$(line_of unflushed)" \
    "--source-root with ./, .. and trailing slashes"
(cd "$top_srcdir/tests" && nvcheck report -f sarif --source-root .. "$RAW")
cp "$WORK/out" "$WORK/relroot.sarif"
is "$(q "$WORK/relroot.sarif" '(L(R(0)), run["originalUriBaseIds"]["%SRCROOT%"]["uri"])')" \
    "('tests/e2e/scenarios.c:$(line_of unflushed)', 'file://$top_srcdir/')" \
    "--source-root relative to the working directory"
ln -s "$top_srcdir" "$WORK/link"
sarif source-root-link --source-root "$WORK/link" "$UNFLUSHED"
is "$(q "$S" '(L(R(0)), run["originalUriBaseIds"]["%SRCROOT%"]["uri"])')" \
    "('tests/e2e/scenarios.c:$(line_of unflushed)', 'file://$WORK/link/')" \
    "--source-root through a symbolic link"
sarif source-root-slash --source-root / "$UNFLUSHED"
is "$(q "$S" '(L(R(0)), run["originalUriBaseIds"]["%SRCROOT%"]["uri"])')" \
    "('${top_srcdir#/}/tests/e2e/scenarios.c:$(line_of unflushed)', 'file:///')" \
    "--source-root /"
nvcheck report -f sarif --source-root "$top_srcdir/src" "$RAW"
cp "$WORK/out" "$WORK/outside.sarif"
valid "$WORK/outside.sarif" "--source-root elsewhere"
is "$(q "$WORK/outside.sarif" 'A(R(0)["locations"][0])')" \
    "{'uri': '$SRC_URI'}" "--source-root: a file outside the root stays an absolute URI"

# ---- more kinds ----

run undrained-flush
sarif undrained-flush "$OUT"
is "$(q "$S" '(R(0)["ruleId"], L(R(0)))')" \
    "('undrained-flush', '$SRC_URI:$(line_of undrained-write)')" "undrained-flush: at the write"
is "$(q "$S" 'rel(R(0))')" \
    "1:flushed here:$SRC_URI:$(line_of undrained-flush) \
2:token freed here:$SRC_URI:$(line_of undrained-free)" \
    "undrained-flush: related: flushed here, token freed here"
stable undrained-flush

run invalid-argument
sarif invalid-argument "$OUT"
want=$(for m in null-dst bad-flags nodrain-alone nodrain-nt wrap empty-region null-ranges; do
    line_of $m
done | sort -n | tr '\n' ' ')
is "$(q "$S" 'lines() + " "')" \
    "$want" "invalid-argument: one result per bad call, at its line"
is "$(q "$S" '(set(r["ruleId"] for r in run["results"]), len(set(map(fp, run["results"]))))')" \
    "({'invalid-argument'}, 7)" "invalid-argument: 7 results with 7 distinct fingerprints"
is "$(q "$S" 'sorted(set(fp(r).split(":")[1] for r in run["results"]))')" \
    "['1', '2', '3', '4', '5', '6', '7']" \
    "invalid-argument: calls in one function share the hash, numbered :1..:7"
stable invalid-argument

run fork
sarif fork "$OUT"
is "$(q "$S" '[L(r).split("/")[-1] for r in run["results"]]')" \
    "['scenarios.c:$(line_of child-write)', 'scenarios.c:$(line_of parent-write)']" \
    "fork: the child's and the parent's write"
is "$(q "$S" 'sorted(p for r in run["results"] for p in r["properties"]["pids"])')" \
    "$(for r in $REPORTS; do pid_of "$r"; done | sort -n | tr '\n' ',' |
        sed 's/,$//; s/,/, /g; s/^/[/; s/$/]/')" "fork: each result names its process"
stable fork

run leaked
sarif leaked "$OUT"
is "$(q "$S" '(R(0)["ruleId"], R(0)["ruleIndex"], R(0)["level"], L(R(0)))')" \
    "('leaked-token', 7, 'warning', '$SRC_URI:$(line_of get)')" "leaked-token: a warning"

# ---- fingerprints: kind + symbolised stack, never addresses or lines ----

run unflushed
nvcheck report -f sarif "$OUT"
is "$(q "$WORK/out" 'fp(R(0))')" "$FP1" "fingerprint: the same in a second run"
run unflushed-exit
nvcheck report -f sarif "$OUT"
FP2=$(q "$WORK/out" 'fp(R(0))')
[ "$FP2" != "$FP1" ] && [ -n "$FP2" ]
ok $? "fingerprint: differs for another call site"
echo "$FP1" | grep -Eq '^[0-9a-f]{32}:1$'
ok $? "fingerprint: 128-bit hex hash and its number"

# ---- hostile names: everything escaped, nothing lost ----

run unflushed
python3 - "$REPORTS" "$WORK/hostile.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["modules"][0]["path"] = "/nonexistent/<script>&\"'\x01\x1b]]>\x7f\ufffe[x](1)\\"
d["process"]["argv"][0] = "/x/<evil>&\"'\x07name"
d["findings"][0]["message"] = ("<script>alert(1)</script> & \"q\" 'a' \x01\x02\x1b[31m ]]> "
                               "\t\n\r [x](1) \\ \ufffe")
json.dump(d, open(sys.argv[2], "w"))
EOF
sarif hostile -q "$WORK/hostile.json"
H="$WORK/hostile.json"
is "$(q "$S" 'R(0)["stacks"][0]["frames"][0]["module"] == mod0' "$H")" \
    True "hostile: module path kept exactly"
is "$(q "$S" 'R(0)["message"]["text"].startswith(esc(msg0) if "relatedLocations" in R(0)
                                                  else msg0)' "$H")" \
    True "hostile: message kept (brackets escaped when it links related locations)"
is "$(q "$S" 'urllib.parse.unquote(A(R(0)["stacks"][0]["frames"][0]["location"])["uri"])' "$H")" \
    "file://$(q "$S" mod0 "$H")" "hostile: module file URI percent-encoded"
is "$(q "$S" 'R(0)["stacks"][0]["frames"][0]["location"]["logicalLocations"][0]["name"]
               .startswith(mod0.split("/")[-1] + "+0x")' "$H")" \
    True "hostile: unsymbolised frame named module+offset"

# ---- a kind this nvcheck does not know: still a rule of its own ----

python3 - "$REPORTS" "$WORK/future.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["findings"][0]["kind"], d["findings"][0]["severity"] = "future-kind", "warning"
json.dump(d, open(sys.argv[2], "w"))
EOF
sarif future "$WORK/future.json"
is "$(q "$S" '(R(0)["ruleId"], R(0)["ruleIndex"], R(0)["level"],
               rules[-1]["defaultConfiguration"]["level"])')" \
    "('future-kind', $(echo $KINDS | wc -w), 'warning', 'warning')" \
    "unknown kind: a rule appended after the known ones"

# ---- a report that hit the findings cap says so ----

run invalid-argument NVCHECK_OPTIONS=max_findings=2
sarif truncated "$OUT"
is "$(q "$S" '(len(run["results"]), notes[0]["level"], notes[0]["message"]["text"])')" \
    "(2, 'warning', '$REPORTS: incomplete: the process kept at most 2 findings and dropped 5 \
more occurrences (raise max_findings to see them)')" \
    "truncated report: a tool notification says what was dropped"

# ---- -o ----

nvcheck report -f sarif -o "$WORK/o.sarif" "$UNFLUSHED"
[ "$RC" -eq 0 ] && [ ! -s "$WORK/out" ] && [ -s "$WORK/o.sarif" ]
ok $? "-o FILE: written there, nothing on stdout"
valid "$WORK/o.sarif" "-o FILE"

# ---- the harvest: empty (--allow-empty), and a process that left no report ----

mkdir "$WORK/empty-dir"
sarif empty --allow-empty "$WORK/empty-dir"
is "$(q "$S" '(len(run["results"]), run["invocations"][0]["executionSuccessful"],
              [(n["level"], n["message"]["text"]) for n in notes])')" \
    "(0, True, [('note', 'no reports in $WORK/empty-dir: nothing was checked there')])" \
    "empty harvest: no results, and a note says nothing was checked"
run unflushed
mkdir "$WORK/lost" && cp $REPORTS "$WORK/lost/"
printf 'u nvcheck-pending/1 %s 0123456789abcdef host-1-2-3 /bin/lost-prog\n' 4242 \
    >"$WORK/lost/nvcheck.4242.0123456789abcdef.pending"
nvcheck report -f sarif "$WORK/lost"
[ "$RC" -eq 2 ] && [ "$(cat "$WORK/err")" = "nvcheck: process 4242 (/bin/lost-prog) left no report: \
it ended without writing one (killed by SIGKILL -- the OOM killer sends it -- or by something no \
handler sees)" ]
ok $? "a lost process: rendered, named on stderr, exit status 2"
S="$WORK/lost.sarif" && cp "$WORK/out" "$S" && valid "$S" lost
is "$(q "$S" '(len(run["results"]), run["invocations"][0]["executionSuccessful"],
              [n["level"] for n in notes], notes[0]["message"]["text"].startswith(
              "process 4242 (/bin/lost-prog) left no report: it ended without"))')" \
    "(1, False, ['error'], True)" \
    "a lost process: the execution is unsuccessful, an error notification names it"

validate_all
done_testing
