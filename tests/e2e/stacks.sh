#!/bin/sh
# stacks.sh -- call stacks are exact when one write site is reached by several paths.
#
# The interposer caches each thread's recent stacks and, on a miss, finds the stack
# slots of return addresses from frame sizes it learned earlier (src/engine/unwind.c);
# a wrong slot would hand one caller's stack to another's write. Three callers of one
# site, interleaved (one with a frame that changes size every call): each caller's
# 300 writes must form their own finding, whose second frame is that caller's line.
. "$top_srcdir/tests/e2e/lib.sh"

# frame1 ADDR -- "file:line" of the second frame of the finding at ADDR.
frame1() {
    /usr/bin/python3 - "$REPORTS" "$1" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
for f in rep["findings"]:
    if f["address"] == sys.argv[2] and len(f["stack"]) > 1:
        fr = f["stack"][1]
        print("%s:%s" % (rep["modules"][fr["module"]]["path"], fr["offset"]))
PY
}

for opts in "" "stack_depth=2" "stack_depth=32"; do
    run paths NVCHECK_OPTIONS="$opts"
    ok $RC "paths ${opts:-(defaults)}: exit status 0"
    for c in a:4096 b:16384 c:28672; do
        caller=${c%%:*} off=${c#*:}
        expect unflushed-write +$off 8 $off path-write
        addr=$(hex $((BASE + off)))
        awk -v a="$addr" '$1 == "unflushed-write" && $3 == a && $6 == 300 && $7 == 2400' \
            "$FLAT" | grep -q .
        ok $? "path $caller: all 300 writes and only they in its finding"
        want="scenarios.c:$(line_of path-$caller)"
        got=$(where "$(frame1 "$addr")")
        [ "$got" = "$want" ]
        ok $? "path $caller: second frame at $want (got $got)"
    done
    expect leaked-token +0 65536 0 get
    expect_count 4
done

done_testing
