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

# normalize FILE -- replace the source and build directories by fixed names, so
# golden files do not depend on where the tree was checked out.
normalize() {
    sed -e "s|$top_builddir/|@BUILD@/|g" -e "s|$top_srcdir/|@SRC@/|g" "$1"
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
