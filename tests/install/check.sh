#!/bin/sh
# check.sh -- make installcheck (distcheck runs it too): what `make install` put in
# place is complete and usable. The header, libnvmem, its pkg-config file, the
# interposer, nvcheck and its manual page are where they belong; a program builds
# against them with `pkg-config --cflags --libs libnvmem` and runs; and, when the
# install is not staged (no DESTDIR: the installed nvcheck looks for its interposer
# where it was configured to), the installed nvcheck finds that program's bug.
#
# The Makefile passes the directories (bindir, includedir, libdir, pkglibdir, mandir),
# DESTDIR, CC, PKG_CONFIG and srcdir in the environment.
# shellcheck shell=sh
set -u
D=${DESTDIR:-}
fails=0
say() { echo "installcheck: $*"; }
fail() {
    say "FAIL: $*"
    fails=$((fails + 1))
}

for f in "$D$includedir/nvmem.h" "$D$libdir/libnvmem.so" "$D$libdir/pkgconfig/libnvmem.pc" \
    "$D$pkglibdir/libnvcheck.so" "$D$bindir/nvcheck" "$D$mandir/man1/nvcheck.1"; do
    if [ -f "$f" ]; then say "installed: $f"; else fail "missing: $f"; fi
done
[ -x "$D$bindir/nvcheck" ] || fail "$D$bindir/nvcheck is not executable"
ls "$D$libdir"/libnvmem.so.* >/dev/null 2>&1 || fail "no $D$libdir/libnvmem.so.*"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/nvcheck-install.XXXXXX") || exit 1
trap 'rm -rf "$WORK"' EXIT

# Only the installed .pc file; with DESTDIR, its paths are under the staging directory.
PKG_CONFIG_LIBDIR="$D$libdir/pkgconfig" PKG_CONFIG_PATH= PKG_CONFIG_SYSROOT_DIR="$D"
export PKG_CONFIG_LIBDIR PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
if flags=$(${PKG_CONFIG:-pkg-config} --cflags --libs libnvmem); then
    say "pkg-config --cflags --libs libnvmem: $flags"
else
    fail "pkg-config does not know libnvmem"
fi
# shellcheck disable=SC2086
if ${CC:-cc} -o "$WORK/hello" "$srcdir/tests/install/hello.c" $flags >"$WORK/cc.log" 2>&1; then
    say "built tests/install/hello.c against the installed libnvmem"
else
    cat "$WORK/cc.log"
    fail "cannot build a program with pkg-config --cflags --libs libnvmem"
fi

if [ -x "$WORK/hello" ]; then
    out=$(LD_LIBRARY_PATH="$D$libdir" "$WORK/hello" 2>&1)
    [ "$out" = "hello: wrote 8 bytes" ] || fail "the program, run with libnvmem, said: $out"
    if [ -z "$D" ]; then
        LD_LIBRARY_PATH="$libdir" "$bindir/nvcheck" run -q -o "$WORK/reports" -- "$WORK/hello" \
            >"$WORK/run.out" 2>&1
        rc=$?
        if [ "$rc" -eq 66 ] && "$bindir/nvcheck" report "$WORK/reports" 2>&1 |
            grep -q 'unflushed-write'; then
            say "the installed nvcheck found the unflushed write (exit status 66)"
        else
            cat "$WORK/run.out"
            fail "installed nvcheck run: exit status $rc, expected 66 and an unflushed-write"
        fi
    else
        say "DESTDIR install: nvcheck run needs the interposer at $pkglibdir (not tried)"
    fi
fi

[ "$fails" -eq 0 ] && say "all good" && exit 0
say "$fails problem(s)"
exit 1
