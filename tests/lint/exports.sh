#!/bin/sh
# exports.sh -- libnvmem.so exports exactly the seven API routines; libnvcheck.so
# those, the exec family and _exit/_Exit (an image about to end writes its report
# first), __libc_start_main (preload/ends.c: it registers the handler that takes the
# exit status), and the signal dispositions (preload/signals.c: a fatal signal writes
# the report, the program's own handlers still run).
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
ends="_Exit
__libc_start_main
_exit"
sig="bsd_signal
sigaction
signal
sysv_signal"
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
check .libs/libnvcheck.so "$(printf '%s\n%s\n%s\n%s\n' "$api" "$exec" "$ends" "$sig" | LC_ALL=C sort)" \
    "the seven routines, the exec family, _exit/_Exit, __libc_start_main and the signal functions"
echo "1..$n"
