/* pmlog.c -- a tiny persistent append-only log on the NV memory API, with a bug.
 *
 * The log is a header (record count) followed by fixed-size records. Appending a
 * record must make the record durable *before* the count that publishes it; here
 * log_append writes the record and persists only the header, so after a crash the
 * count can cover a record that never reached the media. nvcheck reports the record
 * write as unflushed-write at the line marked below. Run with --fixed for the
 * correct version: one flag, WRITE_NV_MEMORY_FLAG_PERSIST, on the record write.
 */
#include <nvmem.h>

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

struct record {
    char text[56];
    unsigned long seq;
};

struct log {
    unsigned long count;
    char pad[56];
    struct record rec[63];
};

static int fixed;

static void log_append(PVOID token, struct log *log, const char *text)
{
    struct record r = {.seq = log->count + 1};
    strncpy(r.text, text, sizeof r.text - 1);
    unsigned long n = log->count + 1;
    ULONG flags = fixed ? WRITE_NV_MEMORY_FLAG_PERSIST : 0;
    RtlWriteNonVolatileMemory(token, &log->rec[log->count], &r, sizeof r, flags); /* @nv:append */
    RtlWriteNonVolatileMemory(token, &log->count, &n, sizeof n, WRITE_NV_MEMORY_FLAG_PERSIST);
}

int main(int argc, char **argv)
{
    fixed = argc > 1 && strcmp(argv[1], "--fixed") == 0;
    /* Stands in for a DAX mapping of a file on a pmem filesystem. */
    struct log *log = mmap(NULL, sizeof *log, PROT_READ | PROT_WRITE,
                           MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    PVOID token;
    if (log == MAP_FAILED || RtlGetNonVolatileToken(log, sizeof *log, &token) != STATUS_SUCCESS) {
        fprintf(stderr, "pmlog: cannot map the log\n");
        return 1;
    }
    log_append(token, log, "hello");
    log_append(token, log, "world");
    printf("pmlog: %lu records appended%s\n", log->count, fixed ? " (fixed)" : "");
    RtlFreeNonVolatileToken(token);
    munmap(log, sizeof *log);
    return 0;
}
