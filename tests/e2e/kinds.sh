#!/bin/sh
# kinds.sh -- every finding kind, end to end: exact kind, address, size, region
# offset, and the source line of the call (and of related calls).
. "$top_srcdir/tests/e2e/lib.sh"

run unflushed
ok $RC "unflushed: program exit status unchanged"
expect unflushed-write +64 64 64 unflushed token-freed-at=unflushed-free
expect_count 1

run unflushed-exit
expect unflushed-write +3 10 3 unflushed-exit
expect leaked-token +0 65536 0 get
expect_count 2

run fill
expect unflushed-write +4090 12 4090 fill
expect_count 1

run undrained
expect undrained-flush +128 32 128 undrained flushed-at=undrained
expect_count 1

run undrained-flush
expect undrained-flush +200 100 200 undrained-write flushed-at=undrained-flush \
    token-freed-at=undrained-free
expect_count 1

run nt
expect undrained-flush +1000 300 1000 nt flushed-at=nt
expect_count 1

run ranges
expect undrained-flush +2048 16 2048 ranges-undrained flushed-at=ranges-flush
expect_count 1

run invalid-token
expect invalid-token - - - forged
expect invalid-token - - - double-free token-freed-at=first-free
expect invalid-token - - - default-write
expect_count 3

run out-of-region
expect out-of-region +65528 16 65528 oor-write token-created-at=get
expect out-of-region +-64 64 -64 oor-flush token-created-at=get
expect_count 2

run invalid-argument
expect invalid-argument 0x0 8 - null-dst
expect invalid-argument 0x0 0 - bad-flags
expect invalid-argument 0x0 0 - nodrain-alone
expect invalid-argument 0x0 0 - nodrain-nt
expect invalid-argument +64 - - wrap
expect invalid-argument +0 0 - empty-region
expect invalid-argument 0x0 48 - null-ranges
expect_count 7

run redundant
expect_count 0
run redundant NVCHECK_OPTIONS=kinds=+redundant-flush
expect redundant-flush +4096 64 - redundant
expect_count 1

run overwritten
expect_count 0
run overwritten NVCHECK_OPTIONS=kinds=+overwritten-unflushed
expect overwritten-unflushed +80 16 - overwrite previous-write=first-write
expect_count 1

run leaked
expect leaked-token +0 65536 0 get
expect_count 1

run unflushed NVCHECK_OPTIONS=kinds=none
expect_count 0

done_testing
