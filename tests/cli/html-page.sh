#!/bin/sh
# html-page.sh -- nvcheck report --format html without a browser: one self-contained
# file, its Content-Security-Policy names exactly its inline script and style, the data
# is the JSON report's findings, nothing from a report or a source reaches the markup
# (a hostile file name, function name, source line or message stays inside the JSON
# block, escaped), the same input gives the same bytes, --stable leaves out what
# changes between runs, source snippets only from regular files, how each process
# ended (the raw report's end; null for older reports). tests/cli/html.sh checks the
# page in a real browser.
# shellcheck shell=sh
. "$top_srcdir/tests/cli/html-lib.sh"

# page FILE EXPR -- a Python expression over the page: html (the text), data (the JSON
# document in it), js, css, csp (the policy), sha(text) (base64 SHA-256), F(i).
cat >"$WORK/page.py" <<'PY'
import base64, hashlib, json, os, re, sys
html = open(sys.argv[1], encoding="utf-8").read()
blob = re.search(r'<script type="application/json" id="data">(.*?)</script>', html, re.S).group(1)
data = json.loads(blob)
js = html[html.rindex("<script>") + 8:html.rindex("</script>")]
css = html[html.index("<style>") + 7:html.index("</style>")]
csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', html).group(1)
def sha(t):
    return base64.b64encode(hashlib.sha256(t.encode()).digest()).decode()
def F(i):
    return data["findings"][i]
def frames(i, s=None):
    return [data["frames"][k] for k in data["stacks"][F(i)["stack"] if s is None else s]]
v = eval(sys.argv[2])
print("-" if v is None else v)
PY
page() { python3 "$WORK/page.py" "$@"; }

is() {
    [ "$1" = "$2" ]
    ok $? "$3"
    [ "$1" = "$2" ] || diag "got:  $1" "want: $2"
}

nvcheck report --help
grep -q "html (one" "$WORK/out"
ok $? "nvcheck report --help lists the html format"

# ---- the scenarios' page ----
scenario_reports
# shellcheck disable=SC2086
nvcheck report -f html -o "$WORK/r.html" $SET
[ "$RC" -eq 0 ] && [ ! -s "$WORK/err" ] && [ ! -s "$WORK/out" ] &&
    [ "$(head -n 1 "$WORK/r.html")" = "<!DOCTYPE html>" ] && [ "$(tail -n 1 "$WORK/r.html")" = "</html>" ]
ok $? "-f html -o FILE: exit 0, nothing on stdout or stderr, one HTML document"
# shellcheck disable=SC2086
nvcheck report -f json -o "$WORK/r.json" $SET
P="$WORK/r.html"
# jsonq FILE EXPR -- a Python expression over the JSON document d in FILE.
jsonq() { python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }
is "$(page "$P" '(len(data["findings"]), data["summary"]["errors"], data["summary"]["warnings"])')" \
    "$(jsonq "$WORK/r.json" '(len(d["findings"]), d["summary"]["errors"], d["summary"]["warnings"])')" \
    "the page's data holds the JSON report's findings and totals"
is "$(page "$P" '[(f["kind"], f["count"], f["size"]) for f in data["findings"]]')" \
    "$(jsonq "$WORK/r.json" '[(f["kind"], f["count"], f["size"]) for f in d["findings"]]')" \
    "findings in the JSON report's order, with its counts and sizes"
is "$(page "$P" '(sha(js) in csp, sha(css) in csp, csp.startswith("default-src '"'none'"'"), "unsafe" in csp)')" \
    "(True, True, True, False)" "CSP: default-src 'none', the inline script and style by their SHA-256, nothing unsafe"
is "$(page "$P" 're.findall(r"(?:src|href)\s*=\s*\"([^\"]*)", html), "url(" in css, "@import" in css, html.count("<script"), html.count("<style"), html.count("<link"), re.search(r"</?(script|style)|<!--", js + css, re.I)')" \
    "(['data:,'], False, False, 2, 1, 1, None)" \
    "self-contained: no URL but data:, two scripts (data, viewer), one style; the viewer cannot end its element"
is "$(page "$P" '[c for c in "<>&" if c in json.dumps(data)] != [] and not re.search("[<>&]", re.search(r"id=\"data\">(.*?)</script>", html, re.S).group(1))')" \
    True "the JSON block holds no raw '<', '>' or '&' (they are \\u escapes)"
is "$(page "$P" '(js == open(os.environ["top_srcdir"] + "/src/cli/html/viewer.js").read(), css == open(os.environ["top_srcdir"] + "/src/cli/html/viewer.css").read())')" \
    "(True, True)" "the page's script and style are viewer.js and viewer.css, byte for byte (embed.sh)"
if command -v node >/dev/null 2>&1; then
    page "$P" 'js' >"$WORK/viewer.js"
    node --check "$WORK/viewer.js" 2>"$WORK/node.err"
    ok $? "the page's script is valid JavaScript (node --check)"
    [ -s "$WORK/node.err" ] && diag "$(head -n 5 "$WORK/node.err")"
else
    ok 0 "the page's script is valid JavaScript # SKIP node not found"
fi
M=$(line_of unflushed)
is "$(page "$P" '[(sn[0] + sn[1].index(t), "@nv:unflushed */" in t) for f in data["frames"] if f[0] == "s_unflushed" and f[2] == '"$M"' for sn in [data["snippets"][f[6]]] for t in sn[1] if t.endswith("/* @nv:unflushed */")]')" \
    "[($M, True)]" "a frame's source snippet: the lines around it, read from scenarios.c"
# shellcheck disable=SC2086
nvcheck report -f html -o "$WORK/r2.html" $SET
cmp -s "$WORK/r.html" "$WORK/r2.html"
ok $? "the same reports give the same bytes"

# ---- --stable: two runs of one scenario give the same page ----
run unflushed
nvcheck report -f html --stable -o "$WORK/s1.html" "$OUT"
[ "$RC" -eq 0 ] && [ ! -s "$WORK/err" ]
ok $? "--stable renders"
run unflushed
nvcheck report -f html --stable -o "$WORK/s2.html" "$OUT"
cmp -s "$WORK/s1.html" "$WORK/s2.html"
ok $? "--stable: two runs (other pids, addresses, times) give the same bytes"
is "$(page "$WORK/s1.html" '(data["processes"][0]["pid"], data["processes"][0]["start_time"], F(0)["address"], F(0)["region"]["base"], F(0)["pids"], frames(0)[0][4], "0x7f" in html)')" \
    "(None, None, None, None, None, None, False)" "--stable: no pid, time, address, base or offset"

# ---- how each process ended: the raw report's "end" ----
R=$(ls "$OUT"/report.*.json)
ulimit -c 0
end_reports
# shellcheck disable=SC2086
nvcheck report -f html -o "$WORK/ends.html" $ENDS
# shellcheck disable=SC2086
nvcheck report -f json -o "$WORK/ends.json" $ENDS
want="[('die', 'exit', 3, None, None), ('die', 'signal', None, 11, 'SIGSEGV'), ('exec', 'exec', None, None, None), ('unflushed', 'exit', 0, None, None)]"
is "$(page "$WORK/ends.html" 'sorted((p["argv"][1], p["end"]["how"], p["end"]["status"], p["end"]["signal"], p["end"]["signal_name"]) for p in data["processes"])')" \
    "$want" "the page's processes say how each ended: exit(3), SIGSEGV, exec, and the exec'd image's exit 0"
is "$(jsonq "$WORK/ends.json" 'sorted((p["argv"][1], p["end"]["how"], p["end"]["status"], p["end"]["signal"], p["end"]["signal_name"]) for p in d["processes"])')" \
    "$want" "-f json: processes[].end says the same"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); del d["end"]; json.dump(d, open(sys.argv[2], "w"))' \
    "$R" "$WORK/no-end.json"
nvcheck report -f html -o "$WORK/x.html" "$WORK/no-end.json"
is "$RC $(page "$WORK/x.html" 'data["processes"][0]["end"]')" "0 -" "a report without end (an older version's): loads, end null (not recorded)"
nvcheck report -f json -o "$WORK/x.json" "$WORK/no-end.json"
is "$RC $(jsonq "$WORK/x.json" 'd["processes"][0]["end"]')" "0 None" "-f json of a report without end: end null"
is "$(page "$WORK/r.html" 'sorted(set(k for p in data["processes"] for k in p) & {"exit", "end"})')" "['end']" \
    "processes carry end, and no \"exit\" any more (nothing wrote it)"

# ---- hostile strings stay data ----
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
d["findings"][0]["message"] = "</script><script>alert(1)</script> \u2028 & <!-- \u2029"
d["process"]["argv"] = ["<img src=x onerror=alert(2)>", "</ScRiPt >"]
json.dump(d, open(sys.argv[2], "w"), ensure_ascii=False)' "$R" "$WORK/evil.json"
nvcheck report -f html -o "$WORK/evil.html" "$WORK/evil.json"
is "$(page "$WORK/evil.html" '(F(0)["message"], data["processes"][0]["argv"], html.count("<script"), html.lower().count("</script"), "\u2028" in html, "\u2029" in html, "<img" in html)')" \
    "('</script><script>alert(1)</script> \u2028 & <!-- \u2029', ['<img src=x onerror=alert(2)>', '</ScRiPt >'], 2, 2, False, False, False)" \
    "a message and argv with </script>, <img>, U+2028/9: the same strings back from the JSON, none in the markup"

build_hostile
if [ -z "$HOSTILE_REPORT" ]; then
    ok 0 "hostile names # SKIP $HOSTILE_WHY"
else
    nvcheck report -f html -o "$WORK/h.html" "$HOSTILE_REPORT"
    is "$RC $(page "$WORK/h.html" '(sorted(f[1].rsplit("/", 1)[-1] for f in data["frames"] if f[0] in ("hostile_write", "void put<script>()")), "<img" in html, html.count("<script"))')" \
        "0 (['$HOSTILE_NAME', 'script.cc'], False, 2)" \
        "a source file named '$HOSTILE_NAME', a function 'void put<script>()': in the data, not in the markup"
    is "$(page "$WORK/h.html" '[t for f in data["frames"] if f[0] == "hostile_write" for t in data["snippets"][f[6]][1] if "@nv:hostile" in t][0].strip()')" \
        "$(grep '@nv:hostile' "$WORK/hostile/$HOSTILE_NAME" | sed 's/^ *//')" "the hostile source's lines are in the data as text"
    # A source that is no longer a regular file (here a FIFO): no snippet, and no hang.
    rm "$WORK/hostile/$HOSTILE_NAME"
    mkfifo "$WORK/hostile/$HOSTILE_NAME"
    timeout 60 $NVCHECK report -f html -o "$WORK/h2.html" "$HOSTILE_REPORT" 2>"$WORK/err"
    is "$? $(page "$WORK/h2.html" '[f[6] for f in data["frames"] if f[0] == "hostile_write"]')" "0 [-1]" \
        "a source that is a FIFO is not read: no snippet, no hang"
    is "$(grep -c "^nvcheck: warning: .*: not a regular file; its source lines are not shown$" "$WORK/err")" 1 \
        "a source that is a FIFO: one warning"
fi

done_testing
