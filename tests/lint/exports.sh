#!/bin/sh
# exports.sh -- libnvmem.so exports exactly the seven API routines; libnvcheck.so
# exactly what preload/exports.txt lists (the same file the build exports by): the
# routines and the libc functions the interposer takes over, each for a reason the
# list says.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
api="RtlDrainNonVolatileFlush
RtlFillNonVolatileMemory
RtlFlushNonVolatileMemory
RtlFlushNonVolatileMemoryRanges
RtlFreeNonVolatileToken
RtlGetNonVolatileToken
RtlWriteNonVolatileMemory"
n=0
check() { # check LIB WANT WHAT
    got=$(nm -D --defined-only "$top_builddir/$1" | awk '$2 ~ /^[TtWwDdBbVviu]$/ {print $3}' \
        | grep -v '^_\(init\|fini\|edata\|end\|_bss_start\)$' | sed 's/@.*//' | LC_ALL=C sort -u)
    n=$((n + 1))
    if [ "$got" = "$2" ]; then
        echo "ok $n - $1 exports exactly $3"
    else
        echo "not ok $n - $1 exports exactly $3"
        diff -u /dev/fd/3 /dev/fd/4 3<<W 4<<G | sed 's/^/#   /'
$2
W
$got
G
    fi
}
list=$(grep -v '^#' "$top_srcdir/preload/exports.txt" | grep . | LC_ALL=C sort -u)
n=$((n + 1))
if [ -n "$list" ] && echo "$list" | grep -q '^RtlWriteNonVolatileMemory$'; then
    echo "ok $n - preload/exports.txt lists $(echo "$list" | wc -l) symbols, the API among them"
else
    echo "not ok $n - preload/exports.txt lists the API"
fi
check .libs/libnvmem.so "$api" "the seven routines"
check .libs/libnvcheck.so "$list" "the symbols in preload/exports.txt"
echo "1..$n"
