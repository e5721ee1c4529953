#!/bin/sh
# demo.sh -- from a fresh Debian 12 machine: install what is missing, build, and run
# nvcheck on the bundled example (examples/pmlog.c, a persistent log that publishes
# a record before persisting it), showing the finding; then the fixed version.
set -e
cd "$(dirname "$0")/.."
sh scripts/deps.sh
sh scripts/build.sh
out=demo-out
rm -rf "$out" && mkdir -p "$out"
echo "== examples/pmlog under nvcheck"
NVCHECK_OUTPUT="$out/nvcheck.%p.json" LD_PRELOAD="$PWD/.libs/libnvcheck.so" examples/pmlog || true
/usr/bin/python3 - "$out"/nvcheck.*.json <<'PY'
import json, subprocess, sys
for path in sys.argv[1:]:
    r = json.load(open(path))
    for f in r["findings"]:
        print(f"\n{f['severity']}: {f['kind']}: {f['message']}")
        print(f"  region {f['region']['base']} + {f['region']['offset']} ({f['region']['size']} bytes)")
        for role, stack in [("written at", f["stack"])] + [(x["role"], x["stack"]) for x in f["related"]]:
            print(f"  {role}:")
            for fr in stack:
                mod = r["modules"][fr["module"]]["path"] if "module" in fr else "?"
                loc = subprocess.run(["addr2line", "-f", "-C", "-e", mod, fr.get("offset", "0")],
                                     capture_output=True, text=True).stdout.split("\n")
                print(f"    {loc[0]} at {loc[1].split(' (')[0]}")
PY
echo
echo "== the fixed version: no findings"
rm -f "$out"/*.json
NVCHECK_OUTPUT="$out/nvcheck.%p.json" LD_PRELOAD="$PWD/.libs/libnvcheck.so" examples/pmlog --fixed
python3 -c "import json,sys; print('findings:', len(json.load(open(sys.argv[1]))['findings']))" "$out"/nvcheck.*.json
