#!/bin/sh
# output.sh -- output trouble: a full device, RLIMIT_FSIZE, a path that is not a
# directory, an unwritable or vanished directory, planted symlinks and files, a
# directory, a device or a FIFO at the report's name. Each time: at most one line on
# stderr, the program's output and exit status unchanged, no file touched outside the
# report's own name, no temp file left, never a partial report.
. "$top_srcdir/tests/e2e/lib.sh"
VALID=

# out NAME TARGET [VAR=VALUE...] -- run scenario NAME with NVCHECK_OUTPUT=TARGET.
out() {
    name=$1 target=$2; shift 2
    OUT="$WORK/o.$T"
    mkdir -p "$OUT"
    env NVCHECK_OUTPUT="$target" LD_PRELOAD="$PRELOAD" "$@" "$SCEN" "$name" \
        >"$OUT/stdout" 2>"$OUT/stderr"
    RC=$?
}

# unharmed WHAT [LINE-REGEX] -- exit status 0, "base" on stdout, and on stderr
# exactly one line (matching LINE-REGEX), or only the summary line when no regex.
unharmed() {
    [ "$RC" -eq 0 ] && grep -q '^base 0x' "$OUT/stdout"
    ok $? "$1: exit status and output unchanged"
    if [ -n "$2" ]; then
        [ "$(wc -l <"$OUT/stderr")" -eq 1 ] && grep -Eq "$2" "$OUT/stderr"
        ok $? "$1: one line on stderr"
    else
        [ "$(wc -l <"$OUT/stderr")" -eq 1 ] && grep -q '^nvcheck: 1 error, 0 warnings' "$OUT/stderr"
        ok $? "$1: only the summary line on stderr"
    fi
    [ $? -eq 0 ] || diag "$(cat "$OUT/stderr")"
}

no_temp() {
    [ -z "$(find "$WORK" "$@" -name '*.tmp.*' ! -type l 2>/dev/null)" ]
    ok $? "$1: no temp file left"
}

# ---- a full device, file size limits ----
out unflushed /dev/full
unharmed "/dev/full" '^nvcheck: cannot write report /dev/full: No space left on device$'
[ -c /dev/full ] && [ ! -e /dev/full.tmp.* ] 2>/dev/null
ok $? "/dev/full: still the device, nothing created beside it"

# RLIMIT_FSIZE: the report's write fails (SIGXFSZ is swallowed). The program's
# output, and our line, go to a pipe, which has no size limit.
for lim in 0 4; do
    if [ "$lim" -eq 0 ] && [ -n "$NV_TSAN_RUNTIME" ]; then
        # TSan writes 512 KiB to a temporary file as it starts: with no file size
        # allowed, SIGXFSZ kills the program before main (and before nvcheck starts).
        for what in "ran on to its exit status 0" "one line on stderr" "no report left"; do
            skip "ulimit -f 0: $what: TSan cannot start under ulimit -f 0"
        done
        continue
    fi
    OUT="$WORK/fsize.$lim"
    mkdir -p "$OUT"
    (ulimit -f $lim && env NVCHECK_OUTPUT="$OUT/r.json" LD_PRELOAD="$PRELOAD" "$SCEN" many 2>&1
        echo "status $?") | cat >"$OUT/all"
    grep -q '^base 0x' "$OUT/all" && grep -qx 'status 0' "$OUT/all"
    ok $? "ulimit -f $lim: the program ran on to its exit status 0 (not killed by SIGXFSZ)"
    [ "$(grep -c '^nvcheck' "$OUT/all")" -eq 1 ] &&
        grep -q "^nvcheck: cannot write report $OUT/r.json: File too large\$" "$OUT/all"
    ok $? "ulimit -f $lim: one line on stderr"
    [ $? -eq 0 ] || diag "$(cat "$OUT/all")"
    [ -z "$(ls "$OUT" | grep -v '^all$')" ]
    ok $? "ulimit -f $lim: no report, partial or temp, left"
done

# Our summary line to a pipe nobody reads any more (its read end closed before the
# program starts): no SIGPIPE for the program, its status stays 0.
OUT="$WORK/epipe"
mkdir -p "$OUT"
/usr/bin/python3 -c '
import os, subprocess, sys
r, w = os.pipe()
os.close(r)
p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=w)
print(p.returncode)' env NVCHECK_OUTPUT="$OUT/r.json" LD_PRELOAD="$PRELOAD" "$SCEN" unflushed \
    >"$OUT/status" 2>/dev/null
[ "$(cat "$OUT/status")" = 0 ]
ok $? "stderr a pipe nobody reads: the program is not killed by SIGPIPE (status $(cat "$OUT/status"))"
[ -f "$OUT/r.json" ]
ok $? "stderr a pipe nobody reads: the report is written all the same"

# ---- paths that cannot be written ----
: >"$WORK/plainfile"
out unflushed "$WORK/plainfile/r.json"
unharmed "a file where a directory should be" '^nvcheck: cannot write report .*/plainfile/r.json.tmp.[0-9]+: Not a directory$'

# As root no directory is unwritable: the program then runs as user nobody (lib.sh,
# as_user_setup), with copies of the binaries when it cannot read the build tree.
mkdir -p "$WORK/ro" && chmod 555 "$WORK/ro"
if [ "$(id -u)" -ne 0 ]; then
    out unflushed "$WORK/ro/r.json"
    unharmed "an unwritable directory" '^nvcheck: cannot write report .*/ro/r.json.tmp.[0-9]+: Permission denied$'
elif as_user_setup; then
    scen=$(for_user "$SCEN")
    so=$(for_user "$NVCHECK_SO")
    nvmem=$(for_user "$top_builddir/.libs/libnvmem.so.0")
    OUT="$WORK/o.$T"
    mkdir -p "$OUT"
    $AS_USER env LD_LIBRARY_PATH="${nvmem%/*}" NVCHECK_OUTPUT="$WORK/ro/r.json" \
        LD_PRELOAD="${NV_ASAN_RUNTIME:+$NV_ASAN_RUNTIME }${NV_TSAN_RUNTIME:+$NV_TSAN_RUNTIME }$so" \
        "$scen" unflushed >"$OUT/stdout" 2>"$OUT/stderr"
    RC=$?
    unharmed "an unwritable directory (as user nobody)" '^nvcheck: cannot write report .*/ro/r.json.tmp.[0-9]+: Permission denied$'
else
    T=$((T + 2)); echo "ok $((T - 1)) # SKIP $AS_USER_WHY: no directory is unwritable"
    echo "ok $T # SKIP $AS_USER_WHY"
fi
chmod 755 "$WORK/ro"
[ -z "$(ls -A "$WORK/ro")" ]
ok $? "an unwritable directory: nothing written into it"

mkdir -p "$WORK/gone"
out rmdir "$WORK/gone/r.json" SCENARIO_DIR="$WORK/gone"
unharmed "the output directory disappeared" '^nvcheck: cannot write report .*/gone/r.json.tmp.[0-9]+: No such file or directory$'

# Removed and made anew: the name decides, the report lands in the new directory.
mkdir -p "$WORK/remade"
out remake-dir "$WORK/remade/r.json" SCENARIO_DIR="$WORK/remade"
unharmed "the output directory removed and made anew" "^nvcheck: 1 error, 1 warning in pid [0-9]+; report: .*/remade/r.json$"
[ -f "$WORK/remade/r.json" ] && VALID="$VALID $WORK/remade/r.json"
ok $? "the output directory removed and made anew: the report is in the new one"

# A relative name means the directory the process started in, whatever it does.
mkdir -p "$WORK/start" "$WORK/elsewhere"
(cd "$WORK/start" && env -u NVCHECK_OUTPUT LD_PRELOAD="$PRELOAD" SCENARIO_DIR="$WORK/elsewhere" \
    "$SCEN" chdir >/dev/null 2>&1)
r=$(ls "$WORK/start"/nvcheck.*.json 2>/dev/null)
[ -n "$r" ] && [ -z "$(ls "$WORK/elsewhere")" ] && VALID="$VALID $r"
ok $? "chdir before exit: the default nvcheck.PID.json is in the starting directory"

# ---- planted files and symlinks ----
# At the (predictable) temp name: never followed or clobbered; another name is used.
mkdir -p "$WORK/plant"
echo precious >"$WORK/victim"
OUT="$WORK/plant"
LD_PRELOAD="$PRELOAD" NVCHECK_OUTPUT="$WORK/plant/r.json" "$SCEN" die >"$OUT/stdout" 2>"$OUT/stderr" &
pid=$!
i=0
while ! grep -q '^ready$' "$OUT/stdout" 2>/dev/null && [ $i -lt 3000 ]; do
    sleep 0.01; i=$((i + 1))
done
ln -s "$WORK/victim" "$WORK/plant/r.json.tmp.$pid"
kill -TERM $pid
wait $pid
RC=$?
[ $RC -eq 143 ]
ok $? "symlink at the temp name: the program still dies of its SIGTERM"
[ "$(cat "$WORK/victim")" = precious ] && [ -L "$WORK/plant/r.json.tmp.$pid" ]
ok $? "symlink at the temp name: neither it nor its target touched"
[ -f "$WORK/plant/r.json" ] && [ ! -L "$WORK/plant/r.json" ] && VALID="$VALID $WORK/plant/r.json"
ok $? "symlink at the temp name: the report written all the same"
[ "$(ls "$WORK/plant" | grep -c tmp)" -eq 1 ]
ok $? "symlink at the temp name: no other temp file left"

# At the final (fixed) name: a symlink to a file is replaced, never followed; one
# to a device is left alone (NVCHECK_OUTPUT=/dev/stdout would otherwise replace it).
ln -sf "$WORK/victim" "$WORK/final.json"
out unflushed "$WORK/final.json"
unharmed "symlink to a file at the final name"
[ "$(cat "$WORK/victim")" = precious ] && [ -f "$WORK/final.json" ] && [ ! -L "$WORK/final.json" ]
ok $? "symlink to a file at the final name: replaced, its target untouched"
VALID="$VALID $WORK/final.json"
ln -sf /dev/null "$WORK/devlink.json"
out unflushed "$WORK/devlink.json"
unharmed "symlink to a device at the final name" '^nvcheck: cannot write report .*/devlink.json: a symbolic link to something other than a regular file; left alone$'
[ -L "$WORK/devlink.json" ] && [ -c /dev/null ]
ok $? "symlink to a device at the final name: left alone, the device too"

# A directory at the final name gets the report inside it.
mkdir -p "$WORK/isdir.json"
out unflushed "$WORK/isdir.json"
unharmed "a directory at the final name"
r=$(ls "$WORK/isdir.json"/nvcheck.*.json 2>/dev/null)
[ -n "$r" ] && VALID="$VALID $r"
ok $? "a directory at the final name: nvcheck.PID.json inside it"

# A FIFO at the final name is a stream: written into when someone reads it ... The
# reader has the FIFO open before the program starts (a reader that is late makes the
# program's non-blocking open fail, and then it would wait forever): it opens it
# without blocking, says so, and reads until the program has written and closed it.
mkfifo "$WORK/fifo"
timeout 120 /usr/bin/python3 -c '
import os, select, sys
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK)
open(sys.argv[2], "w").close()
out = open(sys.argv[3], "wb")
p = select.poll()
p.register(fd, select.POLLIN)
while True:
    p.poll()
    try:
        b = os.read(fd, 65536)
    except BlockingIOError:
        continue
    if not b:
        break
    out.write(b)' "$WORK/fifo" "$WORK/fifo.ready" "$WORK/fifo.out" &
reader=$!
i=0
while [ ! -e "$WORK/fifo.ready" ] && [ $i -lt 3000 ]; do sleep 0.01; i=$((i + 1)); done
out unflushed "$WORK/fifo"
wait $reader
unharmed "a FIFO with a reader"
[ -p "$WORK/fifo" ] && cp "$WORK/fifo.out" "$WORK/fifo.json" && VALID="$VALID $WORK/fifo.json"
ok $? "a FIFO with a reader: it got the report and is still a FIFO"
# ... and not waited for when nobody does.
out unflushed "$WORK/fifo"
unharmed "a FIFO without a reader" '^nvcheck: cannot write report .*/fifo: No such device or address$'

no_temp "all of the above"

valid_reports "the reports written ($(echo $VALID | wc -w)) are complete and valid" $VALID

done_testing
