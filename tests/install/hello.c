/* hello.c -- make installcheck: a program built against the installed libnvmem with
 * `pkg-config --cflags --libs libnvmem`. It writes 8 bytes without flushing them and
 * frees the token: under the installed nvcheck that is one unflushed-write. */
#include <nvmem.h>

#include <stdio.h>

static char nv[4096];

int main(void)
{
    PVOID token;
    unsigned long long v = 42;
    if (RtlGetNonVolatileToken(nv, sizeof nv, &token) != STATUS_SUCCESS ||
        RtlWriteNonVolatileMemory(token, nv, &v, sizeof v, 0) != STATUS_SUCCESS ||
        RtlFreeNonVolatileToken(token) != STATUS_SUCCESS) {
        fprintf(stderr, "hello: the NV API failed\n");
        return 1;
    }
    puts("hello: wrote 8 bytes");
    return 0;
}
