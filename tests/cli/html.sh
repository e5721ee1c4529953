#!/bin/sh
# html.sh -- nvcheck report --format html in a real browser: Debian's chromium, headless,
# driven by playwright-core (tests/browser/check-html.mjs) -- never a downloaded browser.
# The page loads from a file:// URL with no console error and no request but file: and
# data:; its header totals are the JSON report's; sorting reorders rows; each filter
# (kind, severity, process, text) leaves exactly the rows it should; a row expands to
# its stacks with the marker line of scenarios.c highlighted in the source; hovering a
# region's range shows its finding and clicking it opens that row; a source file named
# '<img src=x onerror=alert(1)>.c' and a function 'void put<script>()' show as text
# and run nothing; how each process ended shows in the header and the process table
# ("exited 3", "killed by SIGSEGV", "exec'd"); 10,000 findings load (the time is
# printed, not judged). Screenshots
# go to tests/cli/out/ in the build tree. Without chromium, node or playwright-core,
# the whole test is skipped with one line saying why. html-page.sh checks the file
# itself without a browser.
# shellcheck shell=sh
. "$top_srcdir/tests/cli/html-lib.sh"

CHROMIUM=${NV_CHROMIUM:-/usr/bin/chromium}
BROWSER="$top_srcdir/tests/browser"
SHOTS="$top_builddir/tests/cli/out"

skip_all() {
    echo "1..0 # SKIP $1"
    exit 0
}

# browser_deps -- DEPS: a directory whose node_modules holds playwright-core. That is
# tests/browser after 'npm ci --prefix tests/browser'; else a cache keyed by the lock
# file ($NV_BROWSER_DEPS, or ~/.cache/nvcheck/browser-KEY), filled by npm ci on first
# use (no browser download: playwright-core has none, and it is told not to).
browser_deps() {
    if [ -f "$BROWSER/node_modules/playwright-core/package.json" ]; then
        DEPS=$BROWSER
        return 0
    fi
    command -v npm >/dev/null 2>&1 || { WHY="npm not found"; return 1; }
    key=$(cat "$BROWSER/package.json" "$BROWSER/package-lock.json" | cksum | cut -d' ' -f1)
    DEPS=${NV_BROWSER_DEPS:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/nvcheck/browser-$key}
    [ -f "$DEPS/node_modules/playwright-core/package.json" ] && return 0
    tmp="$DEPS.tmp.$$"
    if mkdir -p "$tmp" && cp "$BROWSER/package.json" "$BROWSER/package-lock.json" "$tmp/" &&
        (cd "$tmp" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --ignore-scripts) \
            >"$WORK/npm.log" 2>&1; then
        [ -d "$DEPS" ] || mv "$tmp" "$DEPS"
        rm -rf "$tmp"
        return 0
    fi
    WHY="npm ci in $tmp failed: $(grep -v '^npm warn' "$WORK/npm.log" | tail -n 1)"
    rm -rf "$tmp"
    return 1
}

[ -x "$CHROMIUM" ] || skip_all "$CHROMIUM not found (Debian's chromium; scripts/deps.sh installs it)"
command -v node >/dev/null 2>&1 || skip_all "node not found (playwright-core needs Node.js 20 or newer)"
node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' ||
    skip_all "node $(node --version) is too old (playwright-core needs 20 or newer)"
browser_deps || skip_all "playwright-core unavailable: $WHY"

# ---- the pages ----
scenario_reports
# shellcheck disable=SC2086
nvcheck report -f html -o "$WORK/report.html" $SET
[ "$RC" -eq 0 ] && [ ! -s "$WORK/err" ]
ok $? "the scenarios' page renders"
# shellcheck disable=SC2086
nvcheck report -f json -o "$WORK/report.json" $SET

build_hostile
HOSTILE_HTML=
if [ -n "$HOSTILE_REPORT" ]; then
    nvcheck report -f html -o "$WORK/hostile.html" "$HOSTILE_REPORT"
    [ "$RC" -eq 0 ]
    ok $? "the hostile program's page renders"
    HOSTILE_HTML="$WORK/hostile.html"
else
    ok 0 "the hostile program's page # SKIP $HOSTILE_WHY"
fi

# How processes ended: exit(3), SIGSEGV, exec and the exec'd image's exit 0 on one page;
# the exit(3) alone on another.
end_reports
# shellcheck disable=SC2086
nvcheck report -f html -o "$WORK/ends.html" $ENDS
[ "$RC" -eq 0 ]
ok $? "the page of processes that ended each way renders"
# shellcheck disable=SC2086
nvcheck report -f json -o "$WORK/ends.json" $ENDS
nvcheck report -f html -o "$WORK/end1.html" "$WORK/end.exit"

# 10,000 findings: a real report of the "many" scenario, multiplied (make-big.py). It
# is rendered by nvcheck itself, not under valgrind (minutes, and nothing the small
# pages do not cover).
run many
python3 "$BROWSER/make-big.py" "$REPORTS" 10000 "$WORK/big.raw.json"
start=$(date +%s)
"$NVCHECK_BIN" report -q -f html -o "$WORK/big.html" "$WORK/big.raw.json" &&
    "$NVCHECK_BIN" report -q -f json -o "$WORK/big.json" "$WORK/big.raw.json"
ok $? "10,000 findings: html and json render"
diag "nvcheck report -f html + -f json of 10,000 findings: $(($(date +%s) - start)) s, page $(wc -c <"$WORK/big.html") bytes"

mkdir -p "$SHOTS"
python3 - "$WORK/spec.json" <<PY
import json, sys
json.dump({
    "chromium": "$CHROMIUM",
    "normal": {"html": "$WORK/report.html", "json": "$WORK/report.json",
               "marker_line": $(line_of unflushed), "marker_text": "/* @nv:unflushed */",
               "shot": "$SHOTS/report.png"},
    "hostile": {"html": "$HOSTILE_HTML" or None, "name": """$HOSTILE_NAME""",
                "shot": "$SHOTS/hostile.png"},
    "big": {"html": "$WORK/big.html", "json": "$WORK/big.json", "shot": "$SHOTS/big.png"},
    "ends": {"html": "$WORK/ends.html", "json": "$WORK/ends.json", "one": "$WORK/end1.html",
             "want": ["exited 3", "killed by SIGSEGV", "exec'd", "exited 0"]},
}, open(sys.argv[1], "w"), indent=1)
PY

# ---- the browser: PASS/FAIL/DIAG lines become TAP ----
timeout 900 node "$BROWSER/check-html.mjs" "$DEPS" "$WORK/spec.json" >"$WORK/browser.out" 2>"$WORK/browser.err"
rc=$?
while IFS= read -r line; do
    case $line in
        "PASS "*) ok 0 "${line#PASS }" ;;
        "FAIL "*) ok 1 "${line#FAIL }" ;;
        "DIAG "*) diag "${line#DIAG }" ;;
    esac
done <"$WORK/browser.out"
ok "$rc" "the browser checks ran to the end (check-html.mjs exit status $rc)"
[ "$rc" -eq 0 ] || diag "$(tail -n 20 "$WORK/browser.err")"
for s in report big hostile; do
    [ -f "$SHOTS/$s.png" ] && diag "screenshot: $SHOTS/$s.png"
done

done_testing
