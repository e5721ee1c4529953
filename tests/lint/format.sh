#!/bin/sh
# format.sh -- the sources follow .clang-format (test programs are exempt: their line
# numbers are part of what the tests check). Skips when clang-format is missing.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
cd "$top_srcdir" || exit 1
if ! command -v clang-format >/dev/null 2>&1; then
    echo "1..0 # SKIP clang-format is not installed"
    exit 0
fi
n=0
for f in src/*/*.c src/*/*.h preload/*.c preload/*.h include/*.h bench/*.c; do
    n=$((n + 1))
    if clang-format "$f" | cmp -s - "$f"; then
        echo "ok $n - $f is formatted"
    else
        echo "not ok $n - $f is formatted (run: clang-format -i $f)"
    fi
done
echo "1..$n"
