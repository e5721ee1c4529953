# lib.sh -- shared by the CLI tests: everything of tests/e2e/lib.sh (TAP, running
# scenarios under the interposer), plus the nvcheck binary -- under valgrind memcheck
# when NV_VALGRIND is set (make check-valgrind).
# shellcheck shell=sh
. "$top_srcdir/tests/e2e/lib.sh"

NVCHECK_BIN="$top_builddir/nvcheck"
if [ -n "$NV_VALGRIND" ]; then
    NVCHECK="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=all --show-leak-kinds=all $NVCHECK_BIN"
else
    NVCHECK="$NVCHECK_BIN"
fi

# nvcheck ARGS... -- run the CLI; status in RC, output in $WORK/out, $WORK/err.
nvcheck() {
    $NVCHECK "$@" >"$WORK/out" 2>"$WORK/err"
    RC=$?
    if [ "$RC" -eq 99 ] && [ -n "$NV_VALGRIND" ]; then
        diag "valgrind found errors:" "$(cat "$WORK/err")"
    fi
}

# normalize FILE -- the one place where goldens are made independent of where the
# tree is: a path in the build tree becomes @BUILD@/..., one in the source tree
# @SRC@/...; nothing else changes. In a VPATH build (distcheck: the build tree is
# inside the source tree) the longer directory that matches decides. When the two are
# the same directory, the path's own kind does: sources (.c .cc .h .def) are @SRC@,
# everything else -- programs, libraries -- @BUILD@.
normalize() {
    awk -v b="$top_builddir/" -v s="$top_srcdir/" '
        function path_end(str,   n) {
            n = match(str, /[^A-Za-z0-9_.\/-]/)
            return n ? n - 1 : length(str)
        }
        {
            out = ""
            line = $0
            for (;;) {
                ib = index(line, b)
                is = index(line, s)
                if (!ib && !is)
                    break
                if (ib && (!is || ib < is || (ib == is && length(b) >= length(s)))) {
                    at = ib; dir = b; tok = "@BUILD@/"
                } else {
                    at = is; dir = s; tok = "@SRC@/"
                }
                rest = substr(line, at + length(dir))
                rel = substr(rest, 1, path_end(rest))
                if (b == s)
                    tok = rel ~ /\.(c|cc|h|def)$/ ? "@SRC@/" : "@BUILD@/"
                out = out substr(line, 1, at - 1) tok rel
                line = substr(rest, length(rel) + 1)
            }
            print out line
        }' "$1"
}

# golden NAME FILE -- FILE (normalized) equals tests/cli/golden/NAME; with
# NV_UPDATE_GOLDEN=1 it rewrites the golden instead.
golden() {
    want="$top_srcdir/tests/cli/golden/$1"
    normalize "$2" >"$WORK/golden.got"
    if [ -n "$NV_UPDATE_GOLDEN" ]; then
        cp "$WORK/golden.got" "$want"
    fi
    if cmp -s "$WORK/golden.got" "$want"; then
        ok 0 "golden $1"
    else
        ok 1 "golden $1"
        diag "$(diff -u "$want" "$WORK/golden.got" | head -40)"
    fi
}
