#!/bin/sh
# model.sh -- the engine's findings against the reference model, exactly.
#
# tests/model/modelcheck runs seeded random API sequences under the interposer and
# writes what the byte-array model of DESIGN.md section 3 (tests/model/model.c)
# predicts; the raw report must hold exactly those findings: kind, address, size,
# region, routine, thread, count, bytes, ranges, the site of the call (frame 0,
# resolved with nm) and of every related stack, and, for argument findings, the
# message. A mismatch prints the seed, the sequence and the first differing findings.
#
# Longer runs: more seeds rather than longer ones (a process keeps at most 10^6
# distinct findings; 10,000 sequences make about 23,000), e.g.
#   MODEL_SEED="$(seq 100 199)" MODEL_SEQUENCES=10000 sh tests/model/model.sh
# or MODEL_SEED=random. A failure says how to replay one sequence call by call.
. "$top_srcdir/tests/e2e/lib.sh"

MC="$top_builddir/tests/model/modelcheck"
PY=/usr/bin/python3
# 3 x 3000 + 2 x 1000 sequences: over 10,000 (about 10 s, twice that under ASan).
# ThreadSanitizer slows every call tenfold; the thread tests are hammer.sh's job.
N=${MODEL_SEQUENCES:-3000}
[ -n "$NV_TSAN_RUNTIME" ] && N=${MODEL_SEQUENCES:-600}
SEEDS=${MODEL_SEED:-"1 2 3"}
[ "$SEEDS" = random ] && SEEDS=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
SEEDS1=${SEEDS%% *}
SEEDS1=${SEEDS1:-1}

if [ ! -x "$PY" ]; then
    echo "1..0 # SKIP $PY is not installed"
    exit 0
fi

# compare EXPECTED REPORT LABEL -- exit 0 when the report holds exactly the expected
# findings (of the kinds the report says were on); diagnostics on stdout as # lines.
compare() {
    "$PY" - "$@" <<'EOF'
import bisect, json, subprocess, sys

exp_path, rep_path, label = sys.argv[1:4]
ARG_KINDS = ('invalid-token', 'out-of-region', 'invalid-argument')
rep = json.load(open(rep_path))
mods = rep['modules']
tables = {}


def hexn(v):
    return None if v is None else '0x%x' % int(v, 16)


def symbols(path):
    if path not in tables:
        out = subprocess.run(['nm', '-S', '--defined-only', path],
                             capture_output=True, text=True).stdout
        tab = sorted((int(f[0], 16), int(f[1], 16), f[3].split('.')[0])
                     for f in (l.split() for l in out.splitlines())
                     if len(f) == 4 and f[2] in 'tT')
        tables[path] = ([t[0] for t in tab], tab)
    return tables[path]


def site(stack):
    """The function holding frame 0: a site_* function of modelcheck.c."""
    if not stack:
        return None
    fr = stack[0]
    if 'module' not in fr:
        return fr.get('address')
    path = mods[fr['module']]['path']
    off = int(fr['offset'], 16)
    starts, tab = symbols(path)
    i = bisect.bisect_right(starts, off) - 1
    if i >= 0 and off < tab[i][0] + tab[i][1]:
        return tab[i][2]
    return '%s+0x%x' % (path, off)


def leaked(d, f, from_report):
    """Which leaked token a report names first is not specified (token-table order):
    check that the ranges are tokens that leaked (all of them, up to eight) and that
    address, size and region are the first range's; compare the rest."""
    rs = [tuple(r) for r in d['ranges']]
    ok = (len(rs) == min(d['count'], 8) and len(set(rs)) == len(rs) and set(rs) <= tokens
          and rs and (d['address'], d['size']) == rs[0] and d['region'] ==
          {'base': d['address'], 'size': d['size'], 'offset': 0})
    if not from_report:
        ok = ok and len(tokens) == d['count']
    for k in ('address', 'size', 'region'):
        d[k] = 'first token' if ok else d[k]
    d['ranges'] = 'leaked tokens' if ok else d['ranges']


def canon(f, from_report):
    d = {'kind': f['kind'], 'address': hexn(f['address']), 'size': f['size'],
         'count': f['count'], 'bytes': f['bytes'], 'ranges_truncated': f['ranges_truncated']}
    r = f['region']
    d['region'] = r and {'base': hexn(r['base']), 'size': r['size'], 'offset': r['offset']}
    for k in ('token', 'routine'):
        if k in f:
            d[k] = hexn(f[k]) if k == 'token' else f[k]
    if f['kind'] in ARG_KINDS:
        d['message'] = f['message']
    if from_report:
        d['site'] = site(f['stack'])
        if 'thread' in f:
            d['thread'] = f['thread']['id']
        d['ranges'] = [[hexn(x['address']), x['size']] for x in f['ranges']]
        d['related'] = [[x['role'], site(x['stack'])] for x in f['related']]
    else:
        d['site'] = f['site']
        if 'thread' in f:
            d['thread'] = f['thread']
        d['ranges'] = [[hexn(a), s] for a, s in f['ranges']]
        d['related'] = f['related']
    if f['kind'] == 'leaked-token':
        leaked(d, f, from_report)
    return json.dumps(d, sort_keys=True)


def rbase(d):
    return d['region']['base'] if isinstance(d['region'], dict) else None


def ident(k):
    d = json.loads(k)
    return (d['kind'], d['site'], str(d['related']), d.get('thread'), rbase(d), d.get('routine'))


on = set(rep['options']['kinds'])
expected = [e for e in map(json.loads, open(exp_path)) if e['kind'] in on]
tokens = {(hexn(a), s) for e in expected for a, s in e.get('tokens', [])}
seq_of = {}
exp = {}
for e in expected:
    k = canon(e, False)
    exp.setdefault(k, []).append(e['seq'])
    if e['region']:
        seq_of.setdefault(hexn(e['region']['base']), e['seq'])
got = {}
for f in rep['findings']:
    got.setdefault(canon(f, True), []).append(1)
missing = [k for k in exp if len(exp[k]) > len(got.get(k, []))]
extra = [k for k in got if len(got[k]) > len(exp.get(k, []))]
s = rep['summary']
problems = []
if s['truncated'] or s['stacks_dropped'] or s['threads'] != 4:
    problems.append('summary: truncated %s, stacks_dropped %s, threads %s (want false, 0, 4)'
                    % (s['truncated'], s['stacks_dropped'], s['threads']))
print('# %s: %d findings expected, %d reported, %d missing, %d unexpected'
      % (label, len(expected), len(rep['findings']), len(missing), len(extra)))
paired = {}
for k in extra:
    paired.setdefault(ident(k), []).append(k)
# One example per kind that differs: a deviation in a finding merged across
# sequences (argument and warning kinds) shows in many of them.
shown, kinds = set(), []
for k in missing:
    kind = json.loads(k)['kind']
    if kind in kinds or len(kinds) == 4:
        continue
    kinds.append(kind)
    alt = (paired.get(ident(k)) or [None])[0]
    shown.add(alt)
    print('# %s sequence %d: the model expects %s' % (label, exp[k][0], k))
    print('#   the report has %s' % (alt or 'no such finding'))
for k in extra:
    kind = json.loads(k)['kind']
    if k in shown or kind in kinds or len(kinds) == 4:
        continue
    kinds.append(kind)
    print('# %s sequence %s: the report has %s; the model expects no such finding'
          % (label, seq_of.get(rbase(json.loads(k)), '?'), k))
for p in problems:
    print('# %s: %s' % (label, p))
sys.exit(1 if missing or extra or problems else 0)
EOF
}

# check LABEL OPTIONS [VAR=VALUE...] -- one modelcheck run under the interposer.
check() {
    label=$1 opts=$2; shift 2
    out="$WORK/$T"
    mkdir -p "$out"
    env NVCHECK_OUTPUT="$out/report.json" LD_PRELOAD="$PRELOAD" \
        NVCHECK_OPTIONS="max_findings=1000000:quiet=1:$opts" "$@" \
        "$MC" "$out/expected.jsonl" >"$out/stdout" 2>"$out/stderr"
    rc=$?
    stats=$(sed -n 's/^seed [0-9]* //p' "$out/stdout")
    if [ $rc -ne 0 ] || [ ! -f "$out/report.json" ]; then
        ok 1 "$label: modelcheck ran (exit $rc)"
        head -n 20 "$out/stderr" | sed 's/^/# /'
        return
    fi
    compare "$out/expected.jsonl" "$out/report.json" "$label" >"$out/compare"
    rc=$?
    ok $rc "$label: $stats; the report equals the model"
    if [ $rc -ne 0 ]; then
        cat "$out/compare"
        env=$(echo "$*" | sed 's/MODEL_SEQUENCES=[^ ]*//; s/MODEL_FIRST=[^ ]*//')
        diag "(the sequence of a merged finding is that of its first occurrence)" \
            "replay a sequence call by call: $env MODEL_FIRST=SEQUENCE MODEL_SEQUENCES=1" \
            "  MODEL_TRACE=1 NVCHECK_OPTIONS=$opts LD_PRELOAD=$NVCHECK_SO $MC OUT"
    fi
}

# Directed cases: the smallest sequences for rules worth a test of their own.
for c in either-drains third-thread-drain overwrite-across-4k overwrite-lowest-first; do
    check "case $c" kinds=all MODEL_CASE="$c"
done

# Random sequences: every kind on, per-thread drains; and the same sequences without
# overwrite detection, which is what lets plain stores go through the shard's store
# log (src/engine/storelog.c) instead of straight into the chunks.
for s in $SEEDS; do
    check "seed $s" kinds=all MODEL_SEED="$s" MODEL_SEQUENCES="$N"
    check "seed $s, logged stores" kinds=all,-overwritten-unflushed MODEL_SEED="$s" \
        MODEL_SEQUENCES="$N"
done
# The default kinds (the engine's fast paths without overwrite detection), and global
# drains (pmemcheck's model).
check "seed $SEEDS1, default kinds" kinds=default MODEL_SEED="$SEEDS1" \
    MODEL_SEQUENCES=$(((N + 2) / 3)) MODEL_FIRST="$N"
check "seed $SEEDS1, drain=global" kinds=all:drain=global MODEL_DRAIN=global \
    MODEL_SEED="$SEEDS1" MODEL_SEQUENCES=$(((N + 2) / 3)) MODEL_FIRST=$((2 * N))

done_testing
