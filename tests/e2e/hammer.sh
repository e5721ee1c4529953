#!/bin/sh
# hammer.sh -- 16 threads hammering the API at once (tests/e2e/hammer.c): the report
# holds exactly the findings the program was built to leave, whatever the
# interleaving -- kinds, addresses, sizes, counts, byte totals, source lines,
# flushing threads -- the data read back is what was written, and nothing hangs.
# HAMMER_ITERATIONS (default 1000) sets the rounds per thread, HAMMER_TIMEOUT (default
# 120) the seconds after which the run counts as deadlocked.
. "$top_srcdir/tests/e2e/lib.sh"
HAMMER="$top_builddir/tests/e2e/hammer"
HSRC="$top_srcdir/tests/e2e/hammer.c"
N=${HAMMER_ITERATIONS:-1000}
LIMIT=${HAMMER_TIMEOUT:-120}
THREADS=16 GROUP=8 PART=8192 PRIV=65536
ulimit -c 0

# The run takes about a second (4 s under ThreadSanitizer): one that has not ended
# after LIMIT seconds is deadlocked (or livelocked), and is killed.
OUT="$WORK/out"
mkdir -p "$OUT"
t0=$(date +%s)
env NVCHECK_OUTPUT="$OUT/report.%p.json" NVCHECK_OPTIONS= LD_PRELOAD="$PRELOAD" \
    timeout -k 10 "$LIMIT" "$HAMMER" "$N" >"$OUT/stdout" 2>"$OUT/stderr"
RC=$?
secs=$(($(date +%s) - t0))
[ "$RC" -ne 124 ] && [ "$RC" -ne 137 ]
ok $? "no deadlock: $THREADS threads x $N rounds ended within ${LIMIT} s (took $secs s)"
[ "$RC" -ne 124 ] && [ "$RC" -ne 137 ] ||
    diag "DEADLOCK: killed after $LIMIT s (exit status $RC); the threads were still running"
[ "$RC" -eq 0 ]
ok $? "exit status 0: every API call returned what it should"
[ "$RC" -eq 0 ] || diag "exit status $RC" "$(head -5 "$OUT/stderr")"
calls=$(sed -n 's/^calls //p' "$OUT/stdout")
verified=$(sed -n 's/^threads.*verified \([0-9]*\) bytes$/\1/p' "$OUT/stdout")
[ "${verified:-0}" -eq $((THREADS * (PRIV + PART))) ]
ok $? "no lost update: all $((THREADS * (PRIV + PART))) bytes read back as written"
diag "$THREADS threads, ${calls:-?} API calls ($((2 * THREADS * N + 2)) tokens created and freed) in $secs s"

REPORTS=$(ls "$OUT"/report.*.json 2>/dev/null)
[ "$(echo "$REPORTS" | wc -w)" -eq 1 ]
ok $? "one report"
[ "$(echo "$REPORTS" | wc -w)" -eq 1 ] || { diag "reports: $REPORTS"; done_testing; exit; }
python3 "$top_srcdir/tests/helpers/schema-check.py" "$top_srcdir/reports/raw-report.schema.json" \
    $REPORTS >"$WORK/schema" 2>&1
rc=$?
if [ $rc -eq 77 ]; then
    echo "ok $((T = T + 1)) # SKIP report schema: python3-jsonschema is not installed"
else
    ok $rc "the report is valid against raw-report.schema.json"
    [ $rc -eq 0 ] || diag "$(cat "$WORK/schema")"
fi

# ---- the findings, normalised: frames become hammer.c:LINE ----

for r in $REPORTS; do "$NVFLAT" "$r"; done >"$WORK/flat"
# The program's frames, as the report names its module (the real path of the binary).
bin=$(tr ' ' '\n' <"$WORK/flat" | sed 's/^[a-z-]*=//' | grep '/hammer:0x' | head -n 1)
bin=${bin%:*}
offs=$(tr ' ' '\n' <"$WORK/flat" | sed -n "s|^\([a-z-]*=\)\{0,1\}$bin:||p" | sort -u)
# shellcheck disable=SC2086
addr2line -e "$bin" $offs | sed 's/ (discriminator.*//; s|.*/||' >"$WORK/lines"
echo "$offs" | paste -d' ' - "$WORK/lines" >"$WORK/map"
awk -v bin="$bin:" 'NR == FNR { at[$1] = $2; next }
    $1 == "summary" { print; next }
    { for (i = 8; i <= NF; i++) {
          p = index($i, bin)
          if (p) $i = substr($i, 1, p - 1) at[substr($i, p + length(bin))]
      }
      print }' "$WORK/map" "$WORK/flat" | sort >"$WORK/got"

# ---- what the program was built to leave ----
# Offsets as in hammer.c: private leftovers at LEFT (16384) + 100, 1000, 3000, 4128,
# 5000, the out-of-region write at PRIV_TOK (32768) - 8; a shared part's tail at
# TAIL (4096) + 7, 263, 1031, 2053.

line() { echo "hammer.c:$(grep -n "/\* @nv:$1 \*/" "$HSRC" | cut -d: -f1)"; }
L_FREE=$(line priv-free) L_SFREE=$(line shared-free)
# want KIND ADDR SIZE ROFF COUNT BYTES MARKER [ROLE=MARKER...]
want() {
    w="$1 error $2 $3 $4 $5 $6 $(line "$7")"
    shift 7
    for rel in "$@"; do w="$w ${rel%%=*}=$(line "${rel#*=}")"; done
    echo "$w"
}
{
    sed -n 's/^thread \([0-9]*\) tid [0-9]* priv \(0x[0-9a-f]*\) part \(0x[0-9a-f]*\)$/\1 \2 \3/p' \
        "$OUT/stdout" | while read -r i p q; do
        s=$(sed -n "s/^shared $((i / GROUP)) //p" "$OUT/stdout")
        at() { hex $((p + $1)); }
        want unflushed-write "$(at 16484)" 24 16484 "$N" $((24 * N)) priv-unflushed-a \
            token-freed-at=priv-free
        want unflushed-write "$(at 17384)" 40 17384 "$N" $((40 * N)) priv-unflushed-b \
            token-freed-at=priv-free
        want unflushed-write "$(at 19384)" 13 19384 "$N" $((13 * N)) priv-fill \
            token-freed-at=priv-free
        want undrained-flush "$(at 20512)" 32 20512 "$N" $((32 * N)) priv-undrained \
            flushed-at=priv-undrained token-freed-at=priv-free
        want undrained-flush "$(at 21384)" 100 21384 "$N" $((100 * N)) priv-rw \
            flushed-at=priv-rflush token-freed-at=priv-free
        want out-of-region "$(at 32760)" 16 32760 "$N" - priv-oor \
            token-created-at=priv-get
        roff=$((q - s + 4096))
        want undrained-flush "$(hex $((q + 4103)))" 40 $((roff + 7)) 1 40 tail-undrained \
            flushed-at=tail-undrained token-freed-at=shared-free
        want undrained-flush "$(hex $((q + 4359)))" 40 $((roff + 263)) 1 40 tail-write \
            flushed-at=tail-flush token-freed-at=shared-free
        want undrained-flush "$(hex $((q + 5127)))" 30 $((roff + 1031)) 1 30 tail-nt \
            flushed-at=tail-nt token-freed-at=shared-free
    done
    sed -n 's/^shared [0-9]* //p' "$OUT/stdout" | while read -r s; do
        want unflushed-write "$(hex $((s + 6149)))" 20 6149 "$GROUP" $((20 * GROUP)) \
            tail-unflushed token-freed-at=shared-free
    done
    want invalid-token - - - $((THREADS * N)) - forged # refused sizes: no bytes (null)
    want invalid-argument 0x0 0 - $((THREADS * N)) - bad-flags
    echo "summary $((THREADS * 9 + THREADS / GROUP + 2)) 0"
} | sort >"$WORK/want"

# check NAME PATTERN -- the expected findings matching PATTERN (grep -E) are exactly
# the reported ones matching it.
check() {
    grep -E -- "$2" "$WORK/want" >"$WORK/w.part"
    grep -E -- "$2" "$WORK/got" >"$WORK/g.part"
    [ -s "$WORK/w.part" ] && cmp -s "$WORK/w.part" "$WORK/g.part"
    ok $? "$1 ($(wc -l <"$WORK/w.part") expected)"
    cmp -s "$WORK/w.part" "$WORK/g.part" || diag "$(diff "$WORK/w.part" "$WORK/g.part" | head -20)"
}
check "private regions: unflushed writes and fills, per thread, each round" \
    "^unflushed-write .* ($(line priv-unflushed-a)|$(line priv-unflushed-b)|$(line priv-fill)) "
check "private regions: undrained flushes at token free, per thread" \
    "^undrained-flush .* token-freed-at=$L_FREE\$"
check "private regions: out-of-region writes, per thread" "^out-of-region "
check "shared regions: each thread's undrained flushes" \
    "^undrained-flush .* token-freed-at=$L_SFREE\$"
check "shared regions: unflushed writes of 8 threads merged per region" \
    "^unflushed-write .* token-freed-at=$L_SFREE\$"
check "forged tokens and bad flags of all threads merged" "^invalid-"
check "summary: errors and warnings" "^summary "
cmp -s "$WORK/want" "$WORK/got"
ok $? "the report holds exactly these $(($(wc -l <"$WORK/want") - 1)) findings, nothing else"
cmp -s "$WORK/want" "$WORK/got" || diag "$(diff "$WORK/want" "$WORK/got" | head -20)"

# ---- flushing threads: a tail's undrained flushes name the thread that flushed ----

sed -n 's/^thread \([0-9]*\) tid \([0-9]*\) priv .* part \(0x[0-9a-f]*\)$/\2 \3/p' \
    "$OUT/stdout" >"$WORK/tids"
python3 - "$WORK/tids" $REPORTS >"$WORK/threads" 2>&1 <<'EOF'
import json, sys
parts = [(int(q, 16), int(tid)) for tid, q in (l.split() for l in open(sys.argv[1]))]
ids, seen, bad = set(), 0, 0
for f in json.load(open(sys.argv[2]))["findings"]:
    a = int(f["address"] or "0", 16)
    for q, tid in parts:
        if f["kind"] == "undrained-flush" and q + 4096 <= a < q + 8192:
            seen += 1
            th = f.get("thread") or {}
            ids.add(th.get("id"))
            if th.get("tid") != tid:
                bad += 1
                print(f"{f['address']}: flushed by {th}, want tid {tid}")
print(f"{seen} tail flushes, {len(ids)} distinct flushing threads, {bad} misattributed")
sys.exit(1 if bad or seen != 3 * len(parts) or len(ids) != len(parts) else 0)
EOF
rc=$?
ok $rc "each tail flush is attributed to its own thread (16 distinct thread ids)"
[ $rc -eq 0 ] || diag "$(cat "$WORK/threads")"

done_testing
