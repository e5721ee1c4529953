# html-lib.sh -- shared by the HTML report tests (html.sh in a browser, html-page.sh
# without one): reports of several scenarios, and the hostile program whose source
# file is named like an HTML tag and whose C++ function name holds "<script>".
# shellcheck shell=sh
. "$top_srcdir/tests/cli/lib.sh"

HOSTILE_NAME='<img src=x onerror=alert(1)>.c'

# scenario_reports -- run the scenarios the page tests look at (every kind of bar and
# row: regions with one or twelve ranges, out-of-region, no region, warnings, a fork);
# sets SET to the directories of their reports.
scenario_reports() {
    SET=
    for s in unflushed undrained-flush many invalid-argument fork leaked out-of-region; do
        run "$s"
        SET="$SET $OUT"
    done
    run overwritten NVCHECK_OPTIONS=kinds=all
    SET="$SET $OUT"
}

# end_reports -- run scenarios that end each way: exit(3), killed by SIGSEGV, an exec
# (and the exec'd image's exit 0); sets ENDS to the directories of their reports.
end_reports() {
    ENDS=
    ulimit -c 0
    for e in exit segv exec; do
        case $e in
            exit) run die SCENARIO_END=exit SCENARIO_STATUS=3 ;;
            segv) run die SCENARIO_END=segv ASAN_OPTIONS="$ASAN_OPTIONS:handle_segv=0" ;;
            exec) run exec ;;
        esac
        mv "$OUT" "$WORK/end.$e"
        ENDS="$ENDS $WORK/end.$e"
    done
}

# build_hostile -- compile the hostile program in $WORK/hostile and run it under the
# interposer: HOSTILE_REPORT is its report, or empty (said why) when no compiler.
build_hostile() {
    H="$WORK/hostile"
    HOSTILE_REPORT=
    mkdir -p "$H/out"
    cat >"$H/$HOSTILE_NAME" <<'SRC'
/* A source file named like an HTML tag, with HTML on its lines: the report shows both as text. */
#include <nvmem.h>
void hostile_write(PVOID tok, char *dst);
void hostile_write(PVOID tok, char *dst)
{
    static const char msg[] = "<script>window.__pwned = 1</script>";
    RtlWriteNonVolatileMemory(tok, dst, (void *)msg, sizeof msg, 0); /* <img src=x onerror="window.__pwned = 2"> @nv:hostile */
}
SRC
    cat >"$H/script.cc" <<'SRC'
// A C++ function whose demangled name holds "<script>": void put<script>().
#include <nvmem.h>
#include <sys/mman.h>
extern "C" void hostile_write(PVOID tok, char *dst);
struct script {};
static char *base;
static PVOID tok;
template <class T> __attribute__((noinline)) void put()
{
    RtlWriteNonVolatileMemory(tok, base + 256, (void *)"&amp;</script>", 15, 0); // @nv:put
}
int main()
{
    base = (char *)mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED || RtlGetNonVolatileToken(base, 4096, &tok) != STATUS_SUCCESS)
        return 99;
    hostile_write(tok, base + 64);
    put<script>();
    return RtlFreeNonVolatileToken(tok) == STATUS_SUCCESS ? 0 : 1;
}
SRC
    san=
    [ -n "$NV_ASAN_RUNTIME" ] && san="-fsanitize=address,undefined"
    if ! (cd "$H" && ${CC:-cc} -g -O0 $san -I"$top_srcdir/include" -c "$HOSTILE_NAME" -o hostile.o &&
          ${CXX:-c++} -g -O0 $san -I"$top_srcdir/include" -c script.cc -o script.o &&
          ${CXX:-c++} $san -o hostile hostile.o script.o -L"$top_builddir/.libs" -lnvmem \
              -Wl,-rpath,"$top_builddir/.libs") >"$H/build.log" 2>&1; then
        HOSTILE_WHY="cannot build the hostile program: $(tail -n 1 "$H/build.log")"
        return
    fi
    env NVCHECK_OUTPUT="$H/out/r.%p.json" LD_PRELOAD="$PRELOAD" "$H/hostile" >/dev/null 2>&1
    HOSTILE_REPORT=$(ls "$H"/out/r.*.json 2>/dev/null)
    [ -n "$HOSTILE_REPORT" ] || HOSTILE_WHY="the hostile program wrote no report"
}
