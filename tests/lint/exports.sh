#!/bin/sh
# exports.sh -- libnvmem.so exports exactly the seven API routines; libnvcheck.so
# those and the exec family (an image about to be replaced writes its report first).
: "${top_builddir:=$(cd "$(dirname "$0")/../.." && pwd)}"
api="RtlDrainNonVolatileFlush
RtlFillNonVolatileMemory
RtlFlushNonVolatileMemory
RtlFlushNonVolatileMemoryRanges
RtlFreeNonVolatileToken
RtlGetNonVolatileToken
RtlWriteNonVolatileMemory"
exec="execl
execle
execlp
execv
execve
execvp
execvpe
fexecve"
n=0
check() { # check LIB WANT WHAT
    got=$(nm -D --defined-only "$top_builddir/$1" | awk '$2 ~ /^[TtWwDdBbVv]$/ {print $3}' \
        | grep -v '^_\(init\|fini\|edata\|end\|_bss_start\)$' | sed 's/@.*//' | LC_ALL=C sort -u)
    n=$((n + 1))
    if [ "$got" = "$2" ]; then
        echo "ok $n - $1 exports exactly $3"
    else
        echo "not ok $n - $1 exports exactly $3"
        echo "$got" | sed 's/^/#   /'
    fi
}
check .libs/libnvmem.so "$api" "the seven routines"
check .libs/libnvcheck.so "$(printf '%s\n%s\n' "$api" "$exec" | LC_ALL=C sort)" \
    "the seven routines and the exec family"
echo "1..$n"
