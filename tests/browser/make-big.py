#!/usr/bin/env python3
"""make-big.py RAW N OUT -- a raw report with N distinct findings, from a real one.

For the HTML report's load-time test: takes the findings of RAW (a real report of the
"many" scenario: symbolisable frames with source lines) and writes OUT with N findings
spread over N/100 regions, three kinds (so the filters have work to do), and a stack
each that no other finding has -- a second frame in a module that is not on disk, at
an offset of its own -- so nvcheck report merges none of them."""
import copy
import json
import sys

raw, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
d = json.load(open(raw))
src = d["findings"]
fake = len(d["modules"])
d["modules"].append({"path": "/nonexistent/libbig.so", "build_id": "00" * 20, "base": "0x10000000"})
base0 = int(src[0]["region"]["base"], 16)
kinds = [("unflushed-write", "error"), ("undrained-flush", "error"), ("overwritten-unflushed", "warning")]
findings = []
for i in range(n):
    f = copy.deepcopy(src[i % len(src)])
    kind, sev = kinds[0] if i % 10 < 7 else kinds[1] if i % 10 < 9 else kinds[2]
    base = base0 + (i // 100) * 0x100000
    off, size = (i % 100) * 640 + 64 * (i % 7), 8 + 8 * (i % 8)
    f.update(kind=kind, severity=sev, size=size, bytes=size, address=hex(base + off),
             message="%d bytes written at %s (finding %d)" % (size, hex(base + off), i),
             region={"base": hex(base), "size": 65536, "offset": off},
             ranges=[{"address": hex(base + off), "size": size}])
    f["stack"].insert(1, {"module": fake, "offset": hex(0x1000 + 16 * i)})
    findings.append(f)
d["findings"] = findings
errors = sum(1 for f in findings if f["severity"] == "error")
d["summary"].update(errors=errors, warnings=n - errors, by_kind={})
json.dump(d, open(out, "w"))
