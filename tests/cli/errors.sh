#!/bin/sh
# errors.sh -- bad input and bad usage of nvcheck report (and of nvcheck itself): every
# case exits 2 with exactly one line "nvcheck: WHAT: problem" on stderr, nothing on
# stdout, and no crash (under NV_VALGRIND=1: no memory error, no leak).
# shellcheck shell=sh
. "$top_srcdir/tests/cli/lib.sh"

# bad NAME WHAT ARGS... -- nvcheck ARGS fails cleanly, its one line starting with
# "nvcheck: WHAT: ".
bad() {
    name=$1 what=$2
    shift 2
    nvcheck "$@"
    lines=$(wc -l <"$WORK/err")
    [ "$RC" -eq 2 ] && [ "$lines" -eq 1 ] && [ ! -s "$WORK/out" ] &&
        head -n 1 "$WORK/err" | grep -qF "nvcheck: $what: "
    ok $? "$name: exit 2, one line 'nvcheck: ${what#"$WORK/"}: ...'"
    [ "$RC" -eq 2 ] && [ "$lines" -eq 1 ] || diag "exit $RC, stderr:" "$(head -n 5 "$WORK/err")"
}

# says NAME TEXT -- the last message contains TEXT.
says() {
    grep -qF "$2" "$WORK/err"
    ok $? "$1: says '$2'"
    grep -qF "$2" "$WORK/err" || diag "$(cat "$WORK/err")"
}

# ---- usage ----

nvcheck --help
[ "$RC" -eq 0 ] && grep -q "^usage: nvcheck COMMAND" "$WORK/out" && [ ! -s "$WORK/err" ]
ok $? "nvcheck --help: usage on stdout, exit 0"
nvcheck --version
[ "$RC" -eq 0 ] && grep -q "^nvcheck [0-9][0-9.]*" "$WORK/out"
ok $? "nvcheck --version: exit 0"
nvcheck report --help
[ "$RC" -eq 0 ] && grep -q "^usage: nvcheck report" "$WORK/out" && [ ! -s "$WORK/err" ]
ok $? "nvcheck report --help: exit 0"
nvcheck
[ "$RC" -eq 2 ] && [ ! -s "$WORK/out" ] && grep -q "^usage: nvcheck" "$WORK/err"
ok $? "nvcheck without a command: usage on stderr, exit 2"
bad "unknown command" bogus bogus
bad "report without reports" report report
bad "unknown option" report report --bogus x.json
says "unknown option" "'--bogus'"
bad "unknown short option in a cluster" report report -qz x.json
says "unknown short option in a cluster" "'-z'"
bad "an option without its value" report report x.json --format
says "an option without its value" "'--format' needs a value"
bad "unknown format" report report --format xml x.json
bad "bad --color" report report --color sometimes x.json
bad "bad --max-findings" report report --max-findings many x.json

# ---- files that are not reports ----

run unflushed
R=$REPORTS
D="$WORK/bad"
mkdir "$D"

bad "missing file" "$D/missing.json" report "$D/missing.json"
says "missing file" "No such file or directory"
mkdir "$D/empty-dir"
bad "a directory without reports" "$D/empty-dir" report "$D/empty-dir"
: >"$D/empty.json"
bad "empty file" "$D/empty.json" report "$D/empty.json"
head -c 700 "$R" >"$D/truncated.json"
bad "truncated JSON" "$D/truncated.json" report "$D/truncated.json"
says "truncated JSON" "not valid JSON"
echo "hello, world" >"$D/text.json"
bad "not JSON" "$D/text.json" report "$D/text.json"
echo '{}' >"$D/object.json"
bad "foreign JSON {}" "$D/object.json" report "$D/object.json"
echo '[1,2]' >"$D/array.json"
bad "foreign JSON [1,2]" "$D/array.json" report "$D/array.json"
"$NVCHECK_BIN" report -f json "$R" >"$D/rendered.json" 2>/dev/null
bad "a rendered report as input" "$D/rendered.json" report "$D/rendered.json"
says "a rendered report as input" "rendered report"
sed 's|"nvcheck-raw/1"|"nvcheck-raw/2"|' "$R" >"$D/newer.json"
bad "a newer schema" "$D/newer.json" report "$D/newer.json"
says "a newer schema" "newer nvcheck"
cp "$R" "$D/unreadable.json"
chmod 000 "$D/unreadable.json"
if [ "$(id -u)" -ne 0 ]; then
    bad "unreadable file" "$D/unreadable.json" report "$D/unreadable.json"
    says "unreadable file" "Permission denied"
elif as_user_setup; then
    # As root chmod 000 does not stop reads: nvcheck runs as user nobody (lib.sh).
    saved=$NVCHECK
    NVCHECK="$AS_USER ${NVCHECK%"$NVCHECK_BIN"}$(for_user "$NVCHECK_BIN")"
    bad "unreadable file (as user nobody)" "$D/unreadable.json" report "$D/unreadable.json"
    says "unreadable file (as user nobody)" "Permission denied"
    NVCHECK=$saved
else
    ok 0 "unreadable file # SKIP $AS_USER_WHY: chmod 000 does not stop reads"
fi

# mutate NAME PYTHON -- a copy of the report, changed by PYTHON (d is the document).
mutate() {
    python3 - "$R" "$D/$1.json" "$2" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
exec(sys.argv[3])
json.dump(d, open(sys.argv[2], "w"))
EOF
}
mutate offset-number 'd["findings"][0]["stack"][0]["offset"] = 4660'
bad "a frame offset as a number" "$D/offset-number.json" report "$D/offset-number.json"
says "a frame offset as a number" "findings[0].stack[0].offset: expected a string"
mutate no-kind 'del d["findings"][0]["kind"]'
bad "a finding without kind" "$D/no-kind.json" report "$D/no-kind.json"
says "a finding without kind" "findings[0].kind: missing"
mutate module-range 'd["findings"][0]["related"][0]["stack"][1]["module"] = 4096'
bad "module index out of range" "$D/module-range.json" report "$D/module-range.json"
says "module index out of range" "findings[0].related[0].stack[1].module: no module 4096"
mutate negative-size 'd["findings"][0]["size"] = -1'
bad "a negative size" "$D/negative-size.json" report "$D/negative-size.json"
# "end" is optional (older versions wrote none); when there, it is checked like the rest.
mutate end-string 'd["end"] = "exit"'
bad "end not an object" "$D/end-string.json" report "$D/end-string.json"
says "end not an object" "end: expected an object"
mutate end-no-how 'del d["end"]["how"]'
bad "end without how" "$D/end-no-how.json" report "$D/end-no-how.json"
says "end without how" "end.how: missing"
mutate end-how 'd["end"]["how"] = "vanished"'
bad "end.how unknown" "$D/end-how.json" report "$D/end-how.json"
says "end.how unknown" 'end.how: expected "exit", "exec" or "signal", got "vanished"'
mutate end-status-string 'd["end"]["status"] = "3"'
bad "end.status a string" "$D/end-status-string.json" report "$D/end-status-string.json"
says "end.status a string" "end.status: expected an integer"
mutate end-status-range 'd["end"]["status"] = 256'
bad "end.status beyond 255" "$D/end-status-range.json" report "$D/end-status-range.json"
says "end.status beyond 255" "end.status: expected an exit status (0 to 255), got 256"
mutate end-signal 'd["end"] = {"how": "signal", "signal": 0, "signal_name": "SIGSEGV"}'
bad "end.signal 0" "$D/end-signal.json" report "$D/end-signal.json"
says "end.signal 0" "end.signal: expected a signal number (1 to 127), got 0"
mutate end-signal-name 'd["end"] = {"how": "signal", "signal": 11, "signal_name": 11}'
bad "end.signal_name a number" "$D/end-signal-name.json" report "$D/end-signal-name.json"
says "end.signal_name a number" "end.signal_name: expected a string"
sed 's|"count":1,|"count":123456789012345678901234567890,|' "$R" >"$D/huge-int.json"
bad "an integer beyond 64 bits" "$D/huge-int.json" report "$D/huge-int.json"
sed 's|"count":1,|"count":1e999,|' "$R" >"$D/huge-real.json"
bad "a real beyond double" "$D/huge-real.json" report "$D/huge-real.json"
sed "s|\"message\":\"|\"message\":\"$(printf '\377\376')|" "$R" >"$D/utf8.json"
bad "invalid UTF-8" "$D/utf8.json" report "$D/utf8.json"
{
    printf '{"schema":"nvcheck-raw/1","findings":'
    python3 -c 'print("[" * 100000 + "]" * 100000, end="")'
    printf '}'
} >"$D/deep.json"
bad "arrays nested 100000 deep" "$D/deep.json" report "$D/deep.json"
truncate -s 1G "$D/huge.json"
bad "a 1 GB file" "$D/huge.json" report "$D/huge.json"
says "a 1 GB file" "too large"
rm -f "$D/huge.json"

# A good report and a bad one: nothing is rendered.
bad "a good report, then a bad one" "$D/text.json" report "$R" "$D/text.json"
mkdir "$D/mixed"
cp "$R" "$D/mixed/a.json"
cp "$D/text.json" "$D/mixed/b.json"
bad "a bad report in a directory" "$D/mixed/b.json" report "$D/mixed"

done_testing
