/* copy.c -- non-temporal copy and fill (SSE2 streaming stores).
 *
 * Streaming stores need 16-byte alignment, so the unaligned head and tail go through
 * the cache and their lines are flushed at once; the caller then drains. Short
 * ranges are cheaper as a cached copy plus flush (PMDK makes the same cut).
 */
#include "copy.h"

#include "cpu.h"

#include <emmintrin.h>
#include <stdint.h>
#include <string.h>

#define NT_MIN 256 /* below this, cached copy + flush beats streaming */

static int overlaps(const char *d, const char *s, size_t n)
{
    return (d < s + n) && (s < d + n);
}

void nvm_copy_nt(void *dst, const void *src, size_t len)
{
    char *d = dst;
    const char *s = src;
    if (len == 0) /* pointers may be anything, even NULL: touch nothing */
        return;
    if (len < NT_MIN || overlaps(d, s, len)) {
        memmove(d, s, len);
        nvm_flush(d, len);
        return;
    }
    size_t head = (size_t)(-(uintptr_t)d & (NVM_LINE - 1));
    memcpy(d, s, head);
    nvm_flush(d, head);
    d += head, s += head, len -= head;
    for (; len >= NVM_LINE; d += NVM_LINE, s += NVM_LINE, len -= NVM_LINE) {
        __m128i a = _mm_loadu_si128((const __m128i *)s);
        __m128i b = _mm_loadu_si128((const __m128i *)(s + 16));
        __m128i c = _mm_loadu_si128((const __m128i *)(s + 32));
        __m128i e = _mm_loadu_si128((const __m128i *)(s + 48));
        _mm_stream_si128((__m128i *)d, a);
        _mm_stream_si128((__m128i *)(d + 16), b);
        _mm_stream_si128((__m128i *)(d + 32), c);
        _mm_stream_si128((__m128i *)(d + 48), e);
    }
    memcpy(d, s, len);
    nvm_flush(d, len);
}

void nvm_fill_nt(void *dst, int value, size_t len)
{
    char *d = dst;
    if (len == 0)
        return;
    if (len < NT_MIN) {
        memset(d, value, len);
        nvm_flush(d, len);
        return;
    }
    size_t head = (size_t)(-(uintptr_t)d & (NVM_LINE - 1));
    memset(d, value, head);
    nvm_flush(d, head);
    d += head, len -= head;
    __m128i v = _mm_set1_epi8((char)value);
    for (; len >= NVM_LINE; d += NVM_LINE, len -= NVM_LINE) {
        _mm_stream_si128((__m128i *)d, v);
        _mm_stream_si128((__m128i *)(d + 16), v);
        _mm_stream_si128((__m128i *)(d + 32), v);
        _mm_stream_si128((__m128i *)(d + 48), v);
    }
    memset(d, value, len);
    nvm_flush(d, len);
}
