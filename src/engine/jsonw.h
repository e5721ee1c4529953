/* jsonw.h -- a streaming JSON writer over a file descriptor; no malloc, no stdio. */
#ifndef NV_JSONW_H
#define NV_JSONW_H

#include <stddef.h>
#include <stdint.h>

#define JW_MAX_DEPTH 32

struct jw {
    int fd;
    int err; /* first errno from write(2); later output is dropped */
    int depth;
    unsigned char first[JW_MAX_DEPTH];
    int after_key;
    size_t n;
    char buf[16384];
};

void jw_init(struct jw *w, int fd);
void jw_obj(struct jw *w);
void jw_end_obj(struct jw *w);
void jw_arr(struct jw *w);
void jw_end_arr(struct jw *w);
void jw_key(struct jw *w, const char *k);
void jw_str(struct jw *w, const char *s); /* NULL writes null */
void jw_u64(struct jw *w, uint64_t v);    /* null above INT64_MAX: what JSON readers take */
void jw_i64(struct jw *w, int64_t v);
void jw_hex(struct jw *w, uint64_t v); /* "0x..." -- addresses do not fit a double */
void jw_bool(struct jw *w, int v);
void jw_null(struct jw *w);

/* A string built from pieces: jw_str_begin, any number of jw_str_add/jw_str_fmt,
 * jw_str_end. */
void jw_str_begin(struct jw *w);
void jw_str_add(struct jw *w, const char *s);
void jw_str_fmt(struct jw *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void jw_str_end(struct jw *w);

/* jw_finish -- flush; 0, or the first errno. */
int jw_finish(struct jw *w);

#endif
