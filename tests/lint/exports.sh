#!/bin/sh
# exports.sh -- libnvmem.so and libnvcheck.so export exactly the seven API routines.
: "${top_builddir:=$(cd "$(dirname "$0")/../.." && pwd)}"
want="RtlDrainNonVolatileFlush
RtlFillNonVolatileMemory
RtlFlushNonVolatileMemory
RtlFlushNonVolatileMemoryRanges
RtlFreeNonVolatileToken
RtlGetNonVolatileToken
RtlWriteNonVolatileMemory"
n=0
for lib in .libs/libnvmem.so .libs/libnvcheck.so; do
    got=$(nm -D --defined-only "$top_builddir/$lib" | awk '$2 ~ /^[TtWwDdBbVv]$/ {print $3}' \
        | grep -v '^_\(init\|fini\|edata\|end\|_bss_start\)$' | sed 's/@.*//' | sort -u)
    n=$((n + 1))
    if [ "$got" = "$want" ]; then
        echo "ok $n - $lib exports exactly the seven routines"
    else
        echo "not ok $n - $lib exports exactly the seven routines"
        echo "$got" | sed 's/^/#   /'
    fi
done
echo "1..$n"
