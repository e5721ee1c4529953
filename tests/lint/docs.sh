#!/bin/sh
# docs.sh -- the documentation follows the single sources of truth: every finding
# kind of findings.def is described in reports/kinds.md with its severity and
# default, and every option of options.def is in the README's option table.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
n=0
t() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
kinds=$(sed -n 's/^NV_KIND([A-Z_]*, "\([a-z-]*\)", \([A-Z]*\), \([01]\),.*/\1:\2:\3/p' \
    "$top_srcdir/src/common/findings.def")
[ "$(echo "$kinds" | wc -l)" -ge 8 ]
t $? "findings.def parsed ($(echo "$kinds" | wc -l) kinds)"
for k in $kinds; do
    name=${k%%:*} rest=${k#*:}
    sev=$(echo "${rest%%:*}" | tr 'A-Z' 'a-z')
    if [ "${rest#*:}" = 1 ]; then on=yes; else on=no; fi
    grep -q "^| \`$name\` | $sev | $on |" "$top_srcdir/reports/kinds.md"
    t $? "reports/kinds.md: $name ($sev, on by default: $on)"
done
for o in $(sed -n 's/^NV_OPTION(\([a-z_]*\),.*/\1/p' "$top_srcdir/src/common/options.def"); do
    grep -q "^| \`$o\` |" "$top_srcdir/README.md"
    t $? "README documents option $o"
done
# Every long option of every command is in the man page.
for cmd in run report check; do
    for o in $("$top_builddir/nvcheck" $cmd --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
        sed 's/\\-/-/g' "$top_srcdir/doc/nvcheck.1" | grep -q -- "$o"
        t $? "nvcheck.1 documents nvcheck $cmd $o"
    done
done
echo "1..$n"
