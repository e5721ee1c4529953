#!/bin/sh
# forbidden.sh -- the engine and the interposer never call malloc or stdio (they run
# inside other programs, possibly in signal handlers or under the program's own
# malloc lock), and only unwind.c (libunwind, loaded privately), exec.c (the real
# exec functions), signals.c (where abort() lies, looked up at start), ends.c (the
# real __libc_start_main, looked up as the program starts), jumps.c and cancel.c (the
# real longjmp family and pthread_setcanceltype, looked up at load) may use
# dlopen/dlsym.
: "${top_builddir:=$(cd "$(dirname "$0")/../.." && pwd)}"
malloc='^(malloc|calloc|realloc|free|strdup|strndup|aligned_alloc|posix_memalign|memalign|valloc)$'
stdio='^(printf|fprintf|vfprintf|sprintf|snprintf|vsnprintf|fopen|fdopen|fclose|fputs|fputc|puts|putchar|fwrite|fflush|perror|asprintf|vasprintf)$'
dl='^(dlopen|dlsym|dlvsym|dlmopen)$'
n=0
objs=$(find "$top_builddir/src/engine" "$top_builddir/preload" -name '*.o' -path '*/.libs/*' 2>/dev/null)
[ -n "$objs" ] || objs=$(find "$top_builddir/src/engine" "$top_builddir/preload" -name '*.o')
for o in $objs; do
    und=$(nm -u "$o" | awk '{print $NF}' | sed 's/@.*//')
    bad=$(echo "$und" | grep -E "$malloc|$stdio")
    case $o in *unwind.o | *exec.o | *signals.o | *ends.o | *jumps.o | *cancel.o) ;; *) bad="$bad$(echo "$und" | grep -E "$dl")" ;; esac
    n=$((n + 1))
    name=$(basename "$o")
    if [ -z "$bad" ]; then
        echo "ok $n - $name: no malloc, stdio or stray dlsym"
    else
        echo "not ok $n - $name: no malloc, stdio or stray dlsym"
        echo "$bad" | sed 's/^/#   calls /'
    fi
done
[ $n -gt 10 ] || { n=$((n + 1)); echo "not ok $n - found the engine objects (only $((n - 1)))"; }
echo "1..$n"
