/* test_jsonw.c -- the JSON writer (src/engine/jsonw.c), read back with jansson, and nv_format
 * (say.c). */
#include "engine/jsonw.h"
#include "engine/say.h"
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdint.h>
#include <unistd.h>

/* ---- helpers: a document into a temp file, then its text and its parse ---- */

static struct jw W;
static int doc_fd = -1;
static char *text; /* the last document's bytes, NUL-terminated */
static size_t text_len;

static void doc_begin(void)
{
    char path[] = "/tmp/test_jsonw.XXXXXX";
    doc_fd = mkstemp(path);
    if (doc_fd < 0) {
        perror("mkstemp");
        exit(99);
    }
    unlink(path);
    jw_init(&W, doc_fd);
}

/* doc_end -- finish, read the text back; the return value of jw_finish. */
static int doc_end(void)
{
    int rc = jw_finish(&W);
    off_t size = lseek(doc_fd, 0, SEEK_END);
    free(text);
    text = malloc((size_t)size + 1);
    text_len = 0;
    while (text_len < (size_t)size) {
        ssize_t k = pread(doc_fd, text + text_len, (size_t)size - text_len, (off_t)text_len);
        if (k <= 0)
            break;
        text_len += (size_t)k;
    }
    text[text_len] = 0;
    close(doc_fd);
    doc_fd = -1;
    return rc;
}

/* parsed -- the document parsed by jansson (NULL, with a diagnostic, if invalid). */
static json_t *parsed(size_t flags)
{
    json_error_t e;
    json_t *j = json_loadb(text, text_len, flags | JSON_DECODE_ANY, &e);
    if (!j)
        printf("# jansson: %s at line %d column %d\n", e.text, e.line, e.column);
    return j;
}

static json_t *finish_and_parse(const char *what)
{
    is_u(doc_end(), 0, "%s: jw_finish returns 0", what);
    json_t *j = parsed(0);
    ok(j != NULL, "%s: parses", what);
    return j;
}

/* ---- structure ---- */

static void test_nested(void)
{
    doc_begin();
    jw_obj(&W);
    jw_key(&W, "a");
    jw_u64(&W, 1);
    jw_key(&W, "b");
    jw_obj(&W);
    jw_key(&W, "c");
    jw_arr(&W);
    jw_u64(&W, 1);
    jw_u64(&W, 2);
    jw_obj(&W);
    jw_key(&W, "d");
    jw_arr(&W);
    jw_arr(&W);
    jw_end_arr(&W);
    jw_obj(&W);
    jw_end_obj(&W);
    jw_arr(&W);
    jw_arr(&W);
    jw_arr(&W);
    jw_str(&W, "deep");
    jw_u64(&W, 5);
    jw_end_arr(&W);
    jw_end_arr(&W);
    jw_end_arr(&W);
    jw_end_arr(&W);
    jw_key(&W, "e");
    jw_null(&W);
    jw_end_obj(&W);
    jw_end_arr(&W);
    jw_key(&W, "f");
    jw_obj(&W);
    jw_end_obj(&W);
    jw_end_obj(&W);
    jw_key(&W, "g");
    jw_arr(&W);
    jw_end_arr(&W);
    jw_key(&W, "h");
    jw_str(&W, "x");
    jw_end_obj(&W);
    json_t *j = finish_and_parse("nested");
    ok(json_is_object(j) && json_object_size(j) == 4, "nested: top level has 4 members");
    is_u(json_integer_value(json_object_get(j, "a")), 1, "nested: a");
    json_t *b = json_object_get(j, "b");
    ok(json_is_object(b) && json_object_size(b) == 2, "nested: b has 2 members");
    json_t *c = json_object_get(b, "c");
    ok(json_is_array(c) && json_array_size(c) == 3, "nested: b.c has 3 elements");
    is_u(json_integer_value(json_array_get(c, 0)), 1, "nested: b.c[0]");
    is_u(json_integer_value(json_array_get(c, 1)), 2, "nested: b.c[1]");
    json_t *c2 = json_array_get(c, 2);
    ok(json_is_object(c2) && json_object_size(c2) == 2, "nested: b.c[2] has 2 members");
    json_t *d = json_object_get(c2, "d");
    ok(json_is_array(d) && json_array_size(d) == 3, "nested: d has 3 elements");
    ok(json_is_array(json_array_get(d, 0)) && json_array_size(json_array_get(d, 0)) == 0,
       "nested: d[0] is []");
    ok(json_is_object(json_array_get(d, 1)) && json_object_size(json_array_get(d, 1)) == 0,
       "nested: d[1] is {}");
    json_t *deep = json_array_get(json_array_get(json_array_get(d, 2), 0), 0);
    ok(json_is_array(deep) && json_array_size(deep) == 2, "nested: d[2][0][0] has 2 elements");
    is_s(json_string_value(json_array_get(deep, 0)), "deep", "nested: a string 7 levels down");
    is_u(json_integer_value(json_array_get(deep, 1)), 5, "nested: a number 7 levels down");
    ok(json_is_null(json_object_get(c2, "e")), "nested: e is null");
    json_t *f = json_object_get(b, "f");
    ok(json_is_object(f) && json_object_size(f) == 0, "nested: b.f is {}");
    json_t *g = json_object_get(j, "g");
    ok(json_is_array(g) && json_array_size(g) == 0, "nested: g is []");
    is_s(json_string_value(json_object_get(j, "h")), "x", "nested: h");
    ok(text_len > 0 && text[text_len - 1] == '\n', "nested: the document ends with a newline");
    json_decref(j);

    /* The layout: members of the two outer levels on their own lines, deeper ones inline. */
    doc_begin();
    jw_obj(&W);
    jw_key(&W, "a");
    jw_u64(&W, 1);
    jw_key(&W, "b");
    jw_arr(&W);
    jw_u64(&W, 2);
    jw_obj(&W);
    jw_key(&W, "c");
    jw_u64(&W, 3);
    jw_key(&W, "d");
    jw_arr(&W);
    jw_end_arr(&W);
    jw_end_obj(&W);
    jw_end_arr(&W);
    jw_end_obj(&W);
    doc_end();
    is_s(text, "{\n  \"a\":1,\n  \"b\":[\n    2,\n    {\"c\":3,\"d\":[]}\n  ]\n}\n",
         "layout: exact text");

    /* Empty containers at the top. */
    doc_begin();
    jw_obj(&W);
    jw_end_obj(&W);
    is_u(doc_end(), 0, "empty object: finish");
    is_s(text, "{}\n", "empty object: exact text");
    doc_begin();
    jw_arr(&W);
    jw_end_arr(&W);
    doc_end();
    is_s(text, "[]\n", "empty array: exact text");
    doc_begin();
    jw_obj(&W);
    jw_key(&W, "e");
    jw_obj(&W);
    jw_end_obj(&W);
    jw_key(&W, "a");
    jw_arr(&W);
    jw_end_arr(&W);
    jw_end_obj(&W);
    j = finish_and_parse("empty members");
    ok(json_object_size(json_object_get(j, "e")) == 0 && json_is_object(json_object_get(j, "e")),
       "empty members: {}");
    ok(json_array_size(json_object_get(j, "a")) == 0 && json_is_array(json_object_get(j, "a")),
       "empty members: []");
    json_decref(j);

    /* A writer can be reused for a second document after jw_init. */
    doc_begin();
    jw_arr(&W);
    jw_u64(&W, 1);
    jw_end_arr(&W);
    doc_end();
    doc_begin();
    jw_arr(&W);
    jw_u64(&W, 2);
    jw_end_arr(&W);
    j = finish_and_parse("reused writer");
    ok(json_array_size(j) == 1 && json_integer_value(json_array_get(j, 0)) == 2,
       "reused writer: only the second document");
    json_decref(j);

    /* Nesting down to JW_MAX_DEPTH - 1 levels. */
    doc_begin();
    for (int i = 0; i < JW_MAX_DEPTH - 1; i++) {
        jw_arr(&W);
        jw_u64(&W, (uint64_t)i);
    }
    for (int i = 0; i < JW_MAX_DEPTH - 1; i++) {
        jw_u64(&W, 100 + (uint64_t)i);
        jw_end_arr(&W);
    }
    j = finish_and_parse("31 levels");
    int good = j != NULL;
    json_t *a = j;
    for (int i = 0; i < JW_MAX_DEPTH - 1 && good; i++) {
        size_t want = i == JW_MAX_DEPTH - 2 ? 2 : 3;
        good = json_is_array(a) && json_array_size(a) == want &&
               json_integer_value(json_array_get(a, 0)) == i &&
               json_integer_value(json_array_get(a, want - 1)) == 100 + (JW_MAX_DEPTH - 2 - i);
        a = json_array_get(a, 1);
    }
    ok(good, "31 levels: every level exact");
    int lines = 0;
    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    is_u(lines, 9, "31 levels: only the two outer levels are laid out on lines");
    const char *head = "[\n  0,\n  [\n    1,\n    [2,[3,[4,";
    ok(strncmp(text, head, strlen(head)) == 0, "31 levels: the layout of the first levels");
    json_decref(j);
}

/* ---- scalars ---- */

static void test_scalars(void)
{
    doc_begin();
    jw_obj(&W);
    jw_key(&W, "u0");
    jw_u64(&W, 0);
    jw_key(&W, "u1");
    jw_u64(&W, 1);
    jw_key(&W, "u63");
    jw_u64(&W, (uint64_t)INT64_MAX);
    jw_key(&W, "u1e12");
    jw_u64(&W, 1000000000000ull);
    jw_key(&W, "i0");
    jw_i64(&W, 0);
    jw_key(&W, "im1");
    jw_i64(&W, -1);
    jw_key(&W, "im42");
    jw_i64(&W, -42);
    jw_key(&W, "imin");
    jw_i64(&W, INT64_MIN);
    jw_key(&W, "imax");
    jw_i64(&W, INT64_MAX);
    jw_key(&W, "h0");
    jw_hex(&W, 0);
    jw_key(&W, "h1");
    jw_hex(&W, 0xdeadbeef);
    jw_key(&W, "hmax");
    jw_hex(&W, UINT64_MAX);
    jw_key(&W, "haddr");
    jw_hex(&W, 0x7f00c0001040ull);
    jw_key(&W, "t");
    jw_bool(&W, 1);
    jw_key(&W, "t42");
    jw_bool(&W, 42);
    jw_key(&W, "f");
    jw_bool(&W, 0);
    jw_key(&W, "n");
    jw_null(&W);
    jw_key(&W, "sn");
    jw_str(&W, NULL);
    jw_key(&W, "se");
    jw_str(&W, "");
    jw_key(&W, "");
    jw_str(&W, "empty key");
    jw_end_obj(&W);
    json_t *j = finish_and_parse("scalars");
    ok(json_object_size(j) == 20, "scalars: 20 members");
#define INT_IS(k, v)                                                                               \
    ok(json_is_integer(json_object_get(j, k)) &&                                                   \
           json_integer_value(json_object_get(j, k)) == (json_int_t)(v),                           \
       "scalars: %s = %s", k, #v)
    INT_IS("u0", 0);
    INT_IS("u1", 1);
    INT_IS("u63", INT64_MAX);
    INT_IS("u1e12", 1000000000000ll);
    INT_IS("i0", 0);
    INT_IS("im1", -1);
    INT_IS("im42", -42);
    INT_IS("imin", INT64_MIN);
    INT_IS("imax", INT64_MAX);
#undef INT_IS
    is_s(json_string_value(json_object_get(j, "h0")), "0x0", "scalars: hex 0");
    is_s(json_string_value(json_object_get(j, "h1")), "0xdeadbeef", "scalars: hex 0xdeadbeef");
    is_s(json_string_value(json_object_get(j, "hmax")), "0xffffffffffffffff", "scalars: hex max");
    is_s(json_string_value(json_object_get(j, "haddr")), "0x7f00c0001040", "scalars: hex address");
    ok(json_is_true(json_object_get(j, "t")), "scalars: true");
    ok(json_is_true(json_object_get(j, "t42")), "scalars: bool(42) is true");
    ok(json_is_false(json_object_get(j, "f")), "scalars: false");
    ok(json_is_null(json_object_get(j, "n")), "scalars: null");
    ok(json_is_null(json_object_get(j, "sn")), "scalars: jw_str(NULL) is null");
    ok(json_is_string(json_object_get(j, "se")) &&
           strcmp(json_string_value(json_object_get(j, "se")), "") == 0,
       "scalars: empty string");
    is_s(json_string_value(json_object_get(j, "")), "empty key", "scalars: empty key");
    ok(strstr(text, "\"imin\":-9223372036854775808") != NULL, "scalars: INT64_MIN literally");
    json_decref(j);

    /* Above INT64_MAX jansson takes no integer ("too big integer": the whole document
     * refused): jw_u64 writes null there, and the document stays readable. */
    doc_begin();
    jw_arr(&W);
    jw_u64(&W, UINT64_MAX);
    jw_u64(&W, (uint64_t)INT64_MAX + 1);
    jw_u64(&W, (uint64_t)INT64_MAX);
    jw_u64(&W, 18446744073709547520ull); /* issue 9: 2^64 - 4096, a wrapped size sum */
    jw_end_arr(&W);
    is_u(doc_end(), 0, "u64 beyond INT64_MAX: finish");
    is_s(text, "[\n  null,\n  null,\n  9223372036854775807,\n  null\n]\n",
         "u64 beyond INT64_MAX: null; INT64_MAX itself an integer");
    j = parsed(0);
    ok(j && json_array_size(j) == 4 && json_is_null(json_array_get(j, 0)) &&
           json_is_null(json_array_get(j, 1)) && json_is_null(json_array_get(j, 3)) &&
           json_integer_value(json_array_get(j, 2)) == INT64_MAX,
       "u64 beyond INT64_MAX: jansson reads the document");
    json_decref(j);
}

/* ---- strings ---- */

/* str_round -- s written as a value and as a key reads back as want. */
static void str_round(const char *s, const char *want, const char *what)
{
    doc_begin();
    jw_obj(&W);
    jw_key(&W, "v");
    jw_str(&W, s);
    jw_key(&W, s);
    jw_u64(&W, 7);
    jw_end_obj(&W);
    is_u(doc_end(), 0, "%s: finish", what);
    json_t *j = parsed(0);
    ok(j != NULL, "%s: parses", what);
    const char *got = json_string_value(json_object_get(j, "v"));
    ok(got && strcmp(got, want) == 0, "%s: value reads back exactly", what);
    json_t *k = json_object_get(j, want);
    ok(k && json_integer_value(k) == 7, "%s: key reads back exactly", what);
    json_decref(j);
}

#define FFFD "\xEF\xBF\xBD"

static void test_strings(void)
{
    str_round("plain", "plain", "plain");
    str_round("he said \"hi\"", "he said \"hi\"", "quotes");
    ok(strstr(text, "he said \\\"hi\\\"") != NULL, "quotes: escaped as \\\"");
    str_round("back\\slash\\", "back\\slash\\", "backslashes");
    ok(strstr(text, "back\\\\slash\\\\") != NULL, "backslashes: escaped as \\\\");
    str_round("\x01", "\x01", "\\x01");
    ok(strstr(text, "\\u0001") != NULL, "\\x01: escaped as \\u0001");
    str_round("a\nb\tc\rd\be\ff\x1f", "a\nb\tc\rd\be\ff\x1f", "control characters");
    ok(strstr(text, "\\u001f") != NULL || strstr(text, "\\u001F") != NULL,
       "control characters: \\x1f escaped");
    {
        /* No raw control character may appear inside a string. */
        const char *v = strstr(text, "\"v\":");
        int raw = 0;
        for (const char *p = v ? v : text; *p && *p != ','; p++)
            raw = raw || (unsigned char)*p < 0x20;
        ok(!raw, "control characters: none raw in the text");
    }
    char all[128];
    for (int i = 1; i < 128; i++)
        all[i - 1] = (char)i;
    all[127] = 0;
    str_round(all, all, "every ASCII byte 1..127");

    /* Valid UTF-8 passes through byte for byte. */
    const char *utf = "h\xC3\xA9llo \xE2\x82\xAC \xF0\x9D\x84\x9E \xE6\x97\xA5\xE6\x9C\xAC";
    str_round(utf, utf, "valid UTF-8");
    ok(strstr(text, utf) != NULL, "valid UTF-8: unchanged in the text");
    static const char *const edges[] = {
        "\xC2\x80",         /* U+0080 */
        "\xDF\xBF",         /* U+07FF */
        "\xE0\xA0\x80",     /* U+0800 */
        "\xED\x9F\xBF",     /* U+D7FF */
        "\xEE\x80\x80",     /* U+E000 */
        "\xEF\xBF\xBF",     /* U+FFFF */
        "\xF0\x90\x80\x80", /* U+10000 */
        "\xF4\x8F\xBF\xBF", /* U+10FFFF */
        "\x7F",             /* DEL */
    };
    for (size_t i = 0; i < sizeof edges / sizeof *edges; i++) {
        char what[64];
        snprintf(what, sizeof what, "valid edge %zu", i);
        str_round(edges[i], edges[i], what);
        ok(strstr(text, edges[i]) != NULL, "%s: unchanged in the text", what);
    }

    /* Invalid UTF-8: each byte that does not start a valid sequence becomes U+FFFD. */
    static const struct {
        const char *in, *out, *what;
    } bad[] = {
        {"a\xFFz", "a" FFFD "z", "lone 0xff"},
        {"\xFE", FFFD, "lone 0xfe"},
        {"\x80", FFFD, "lone continuation byte"},
        {"x\xC3", "x" FFFD, "truncated 2-byte sequence at the end"},
        {"\xE2\x82", FFFD FFFD, "truncated 3-byte sequence at the end"},
        {"\xE2\x82Z", FFFD FFFD "Z", "truncated 3-byte sequence before ASCII"},
        {"\xF0\x9D\x84", FFFD FFFD FFFD, "truncated 4-byte sequence"},
        {"\xC0\xAF", FFFD FFFD, "overlong '/' (C0 AF)"},
        {"\xC1\xBF", FFFD FFFD, "overlong C1 BF"},
        {"\xE0\x80\xAF", FFFD FFFD FFFD, "overlong 3-byte"},
        {"\xF0\x80\x80\xAF", FFFD FFFD FFFD FFFD, "overlong 4-byte"},
        {"\xED\xA0\x80", FFFD FFFD FFFD, "surrogate D800 (ED A0 80)"},
        {"\xED\xBF\xBF", FFFD FFFD FFFD, "surrogate DFFF"},
        {"\xF4\x90\x80\x80", FFFD FFFD FFFD FFFD, "above U+10FFFF"},
        {"\xF8\x88\x80\x80\x80", FFFD FFFD FFFD FFFD FFFD, "5-byte form"},
        {"\xC3\xA9\xFF\xC3\xA9", "\xC3\xA9" FFFD "\xC3\xA9", "invalid between valid"},
        {"\xC3\xC3\xA9", FFFD "\xC3\xA9", "a lead byte before a valid sequence"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        str_round(bad[i].in, bad[i].out, bad[i].what);

    /* A long string crossing the buffer many times, with escapes throughout. */
    static const char piece[] = "ab\"\\\n\x01z\xC3\xA9"; /* 9 bytes, ends on a whole sequence */
    size_t n = 50000 / 9 * 9;
    char *big = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        big[i] = piece[i % 9];
    big[n] = 0;
    str_round(big, big, "a 50000-byte string");
    free(big);
}

static void test_str_pieces(void)
{
    doc_begin();
    jw_obj(&W);
    jw_key(&W, "a");
    jw_str_begin(&W);
    jw_str_add(&W, "path=");
    jw_str_add(&W, NULL);
    jw_str_fmt(&W, "%s:%d:%p:%zu", "x\"y", -5, (void *)0x10, (size_t)42);
    jw_str_add(&W, "\xFF");
    jw_str_add(&W, "\n");
    jw_str_end(&W);
    jw_key(&W, "b");
    jw_arr(&W);
    jw_str_begin(&W);
    jw_str_end(&W);
    jw_str_begin(&W);
    jw_str_fmt(&W, "%u", 7u);
    jw_str_end(&W);
    jw_u64(&W, 3);
    jw_end_arr(&W);
    char many[300];
    memset(many, 'a', sizeof many - 1);
    many[sizeof many - 1] = 0;
    jw_key(&W, "c");
    jw_str_begin(&W);
    jw_str_fmt(&W, "%s", many);
    jw_str_end(&W);
    jw_key(&W, "d");
    jw_str_begin(&W);
    for (int i = 0; i < 3000; i++)
        jw_str_fmt(&W, "%d,", i);
    jw_str_end(&W);
    jw_end_obj(&W);
    json_t *j = finish_and_parse("string pieces");
    is_s(json_string_value(json_object_get(j, "a")), "path=x\"y:-5:0x10:42" FFFD "\n",
         "string pieces: composed and escaped");
    json_t *b = json_object_get(j, "b");
    ok(json_array_size(b) == 3, "string pieces: in an array, separators right");
    is_s(json_string_value(json_array_get(b, 0)), "", "string pieces: empty");
    is_s(json_string_value(json_array_get(b, 1)), "7", "string pieces: fmt alone");
    is_u(json_integer_value(json_array_get(b, 2)), 3, "string pieces: value after");
    const char *c = json_string_value(json_object_get(j, "c"));
    ok(c && strlen(c) <= 299 && strspn(c, "a") == strlen(c) && strlen(c) >= 255,
       "string pieces: a long fmt is cut to its buffer, not overflowed (%zu)", c ? strlen(c) : 0);
    const char *d = json_string_value(json_object_get(j, "d"));
    int good = d != NULL;
    for (int i = 0; i < 3000 && good; i++) {
        char num[16];
        int k = snprintf(num, sizeof num, "%d,", i);
        good = strncmp(d, num, (size_t)k) == 0;
        d += k;
    }
    ok(good && d && !*d, "string pieces: 3000 pieces in one string");
    json_decref(j);
}

/* ---- a big document ---- */

static void test_big(void)
{
    enum { N = 100000 };
    doc_begin();
    jw_obj(&W);
    jw_key(&W, "items");
    jw_arr(&W);
    for (uint64_t i = 0; i < N; i++)
        jw_u64(&W, i * 3);
    jw_end_arr(&W);
    jw_key(&W, "objs");
    jw_arr(&W);
    for (uint64_t i = 0; i < N / 10; i++) {
        jw_obj(&W);
        jw_key(&W, "i");
        jw_u64(&W, i);
        jw_key(&W, "h");
        jw_hex(&W, i << 12);
        jw_end_obj(&W);
    }
    jw_end_arr(&W);
    jw_key(&W, "end");
    jw_bool(&W, 1);
    jw_end_obj(&W);
    json_t *j = finish_and_parse("big document");
    ok(text_len > 16384 * 10, "big document: much bigger than the buffer (%zu bytes)", text_len);
    json_t *items = json_object_get(j, "items");
    is_u(json_array_size(items), N, "big document: 100000 elements");
    int good = 1;
    for (size_t i = 0; i < N && good; i++)
        good = json_integer_value(json_array_get(items, i)) == (json_int_t)(i * 3);
    ok(good, "big document: every element exact");
    json_t *objs = json_object_get(j, "objs");
    is_u(json_array_size(objs), N / 10, "big document: 10000 objects");
    good = 1;
    for (size_t i = 0; i < N / 10 && good; i++) {
        char h[32];
        snprintf(h, sizeof h, "0x%zx", i << 12);
        json_t *o = json_array_get(objs, i);
        good = json_integer_value(json_object_get(o, "i")) == (json_int_t)i &&
               strcmp(json_string_value(json_object_get(o, "h")), h) == 0;
    }
    ok(good, "big document: every object exact");
    ok(json_is_true(json_object_get(j, "end")), "big document: complete to the last member");
    json_decref(j);
}

/* ---- write errors ---- */

static void write_some(struct jw *w, int n)
{
    jw_arr(w);
    for (int i = 0; i < n; i++)
        jw_str(w, "some text to fill the buffer with");
    jw_end_arr(w);
}

static void test_errors(void)
{
    struct jw *w = malloc(sizeof *w);

    int fd = open("/dev/null", O_WRONLY);
    close(fd); /* fd is now closed */
    jw_init(w, fd);
    write_some(w, 10);
    is_u(jw_finish(w), EBADF, "closed fd: EBADF");
    jw_init(w, fd);
    write_some(w, 5000);
    is_u(jw_finish(w), EBADF, "closed fd, big document: EBADF");
    is_u(jw_finish(w), EBADF, "closed fd: finish again keeps the first error");

    jw_init(w, -1);
    write_some(w, 10);
    is_u(jw_finish(w), EBADF, "fd -1: EBADF");

    fd = open("/dev/null", O_RDONLY);
    jw_init(w, fd);
    write_some(w, 10);
    is_u(jw_finish(w), EBADF, "read-only fd: EBADF");
    close(fd);

    fd = open("/dev/full", O_WRONLY);
    if (fd >= 0) {
        jw_init(w, fd);
        write_some(w, 10);
        is_u(jw_finish(w), ENOSPC, "/dev/full: ENOSPC");
        jw_init(w, fd);
        write_some(w, 5000); /* fails at the first buffer flush, then keeps going */
        jw_u64(w, 1);
        is_u(jw_finish(w), ENOSPC, "/dev/full, big document: ENOSPC");
        close(fd);
    } else {
        ok(1, "# SKIP no /dev/full");
        ok(1, "# SKIP no /dev/full");
    }

    int p[2];
    if (pipe(p) == 0) {
        signal(SIGPIPE, SIG_IGN);
        close(p[0]);
        jw_init(w, p[1]);
        write_some(w, 10);
        is_u(jw_finish(w), EPIPE, "pipe without reader: EPIPE");
        close(p[1]);
    }

    /* A fresh jw_init clears the error. */
    doc_begin();
    W.err = EIO; /* as if left from before */
    jw_init(&W, doc_fd);
    jw_arr(&W);
    jw_end_arr(&W);
    is_u(doc_end(), 0, "jw_init clears a previous error");
    is_s(text, "[]\n", "jw_init: a fresh document");
    free(w);
}

/* ---- nv_format ---- */

/* fmt -- nv_format into a 256-byte buffer; checks the returned length. */
static char fbuf[256];
#define FMT_IS(want, ...)                                                                          \
    do {                                                                                           \
        size_t n_ = nv_format(fbuf, sizeof fbuf, __VA_ARGS__);                                     \
        is_s(fbuf, want, "nv_format %s", #__VA_ARGS__);                                            \
        is_u(n_, strlen(want), "nv_format %s: returns the length", #__VA_ARGS__);                  \
    } while (0)

/* nocheck -- nv_vformat without the compiler's format checking (unknown conversions). */
static size_t nocheck(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t n = nv_vformat(buf, cap, fmt, ap);
    va_end(ap);
    return n;
}

#if defined(__x86_64__)
/* after -- nv_vformat, then the int va_arg that follows what it consumed (x86-64: a
 * va_list is passed by reference, so the callee's reads advance ours). */
static int after(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    nv_vformat(fbuf, sizeof fbuf, fmt, ap);
    int next = va_arg(ap, int);
    va_end(ap);
    return next;
}
#endif

static void test_format(void)
{
    FMT_IS("", "%s", "");
    FMT_IS("plain text", "plain text");
    FMT_IS("abc", "%s", "abc");
    FMT_IS("x", "%c", 'x');
    FMT_IS("a-b", "a%cb", '-');
    FMT_IS("0", "%d", 0);
    FMT_IS("42", "%d", 42);
    FMT_IS("-1", "%d", -1);
    FMT_IS("-2147483648", "%d", INT_MIN);
    FMT_IS("2147483647", "%d", INT_MAX);
    FMT_IS("-9223372036854775808", "%ld", LONG_MIN);
    FMT_IS("-9223372036854775808", "%lld", LLONG_MIN);
    FMT_IS("9223372036854775807", "%lld", LLONG_MAX);
    FMT_IS("0", "%u", 0u);
    FMT_IS("4294967295", "%u", UINT_MAX);
    FMT_IS("18446744073709551615", "%lu", ULONG_MAX);
    FMT_IS("18446744073709551615", "%zu", SIZE_MAX);
    FMT_IS("0", "%zu", (size_t)0);
    FMT_IS("18446744073709551615", "%llu", ULLONG_MAX);
    FMT_IS("1234567890123", "%llu", 1234567890123ull);
    FMT_IS("0", "%x", 0u);
    FMT_IS("deadbeef", "%x", 0xdeadbeefu);
    FMT_IS("ffffffff", "%x", UINT_MAX);
    FMT_IS("ffffffffffffffff", "%lx", ULONG_MAX);
    FMT_IS("123456789abcdef0", "%lx", 0x123456789abcdef0ul);
    FMT_IS("ffffffffffffffff", "%zx", SIZE_MAX);
    FMT_IS("ffffffffffffffff", "%llx", ULLONG_MAX);
    FMT_IS("0x1234", "%p", (void *)0x1234);
    FMT_IS("0x7fffdeadbeef", "%p", (void *)0x7fffdeadbeefull);
    FMT_IS("0x0", "%p", (void *)NULL);
    FMT_IS("%", "%%");
    FMT_IS("100%", "%d%%", 100);
    FMT_IS("a1b-2c3d", "a%ub%dc%xd", 1u, -2, 3u);
    FMT_IS("s=x n=-7 z=5 u=8 p=0xff %", "s=%s n=%d z=%zu u=%llu p=%p %%", "x", -7, (size_t)5, 8ull,
           (void *)0xff);
    /* Small int widths are read as int, not as a wider type. */
    FMT_IS("-1 4294967295", "%d %u", -1, (unsigned)-1);

    size_t n;

    /* Agreement with snprintf over a range of values. */
    int agree = 1;
    long long vals[] = {
        0,     1,      -1,      9,       10,        -10,       99,           100,
        65535, -65536, INT_MAX, INT_MIN, LLONG_MAX, LLONG_MIN, 4294967296ll, -4294967297ll};
    for (size_t i = 0; i < sizeof vals / sizeof *vals; i++) {
        char want[256];
        long long v = vals[i];
        snprintf(want, sizeof want, "%d %u %x %lld %llu %llx %lu %lx %zu %zx", (int)v, (unsigned)v,
                 (unsigned)v, v, (unsigned long long)v, (unsigned long long)v, (unsigned long)v,
                 (unsigned long)v, (size_t)v, (size_t)v);
        nv_format(fbuf, sizeof fbuf, "%d %u %x %lld %llu %llx %lu %lx %zu %zx", (int)v, (unsigned)v,
                  (unsigned)v, v, (unsigned long long)v, (unsigned long long)v, (unsigned long)v,
                  (unsigned long)v, (size_t)v, (size_t)v);
        if (strcmp(want, fbuf) != 0) {
            printf("# got '%s' want '%s'\n", fbuf, want);
            agree = 0;
        }
    }
    ok(agree, "nv_format agrees with snprintf on 16 values x 10 conversions");

    /* Truncation: always NUL-terminated, never past cap. */
    const char *full = "value=-12345 name=abcdef hex=beef";
    int good = 1;
    for (size_t cap = 0; cap <= strlen(full) + 3; cap++) {
        char buf[64];
        memset(buf, 0x7e, sizeof buf);
        size_t n = nv_format(buf, cap, "value=%d name=%s hex=%x", -12345, "abcdef", 0xbeefu);
        size_t want = cap == 0 ? 0 : (strlen(full) < cap - 1 ? strlen(full) : cap - 1);
        int canary = 1;
        for (size_t i = cap; i < sizeof buf; i++)
            canary = canary && buf[i] == 0x7e;
        if (n != want || !canary || (cap > 0 && (buf[want] != 0 || strncmp(buf, full, want))))
            good = 0, printf("# cap %zu: n %zu want %zu\n", cap, n, want);
    }
    ok(good, "truncation at every capacity 0..%zu: NUL-terminated, canary intact",
       strlen(full) + 3);
    {
        char buf[8];
        memset(buf, 0x7e, sizeof buf);
        size_t n = nv_format(buf, 0, "%s", "anything");
        ok(n == 0 && buf[0] == 0x7e, "cap 0: nothing written at all");
        n = nv_format(buf, 1, "%s", "anything");
        ok(n == 0 && buf[0] == 0 && buf[1] == 0x7e, "cap 1: just the NUL");
        n = nv_format(buf, 4, "%llu", ULLONG_MAX);
        ok(n == 3 && strcmp(buf, "184") == 0 && buf[4] == 0x7e, "cap 4: a number cut to 3 digits");
        n = nv_format(buf, 3, "%%%%%%");
        ok(n == 2 && strcmp(buf, "%%") == 0, "cap 3: three percent signs cut to two");
    }

    /* NULL for %s prints "(null)" (through nocheck: the compiler rightly objects). */
    n = nocheck(fbuf, sizeof fbuf, "[%s]", (const char *)NULL);
    is_s(fbuf, "[(null)]", "NULL string: (null)");
    is_u(n, 8, "NULL string: length");

    /* Unknown conversions stop the output and read no argument. */
    n = nocheck(fbuf, sizeof fbuf, "ab%qcd%s", "never");
    is_s(fbuf, "ab", "unknown conversion %%q: output stops");
    is_u(n, 2, "unknown conversion: returns the length so far");
    nocheck(fbuf, sizeof fbuf, "x%5dy", 3);
    is_s(fbuf, "x", "width is unsupported: output stops");
    nocheck(fbuf, sizeof fbuf, "x%hdy", 3);
    is_s(fbuf, "x", "%%h is unsupported: output stops");
    nocheck(fbuf, sizeof fbuf, "x%");
    is_s(fbuf, "x", "a lone %% at the end");
    nocheck(fbuf, sizeof fbuf, "x%l");
    is_s(fbuf, "x", "%%l at the end");
    nocheck(fbuf, sizeof fbuf, "x%z");
    is_s(fbuf, "x", "%%z at the end");
#if defined(__x86_64__)
    is_u(after("a%qb%s", 1234), 1234, "unknown conversion: no argument consumed");
    is_s(fbuf, "a", "unknown conversion: output 'a'");
    is_u(after("%d%q%s", 5, 77), 77, "unknown conversion after %%d: only its argument read");
    is_s(fbuf, "5", "unknown conversion after %%d: output '5'");
    is_u(after("%s%c%lld%zx%p%%%d", "s", 'c', 1ll, (size_t)2, (void *)3, 4, 99), 99,
         "each conversion reads exactly one argument");
    is_s(fbuf, "sc120x3%4", "each conversion reads exactly one argument: output");
#else
    ok(1, "# SKIP va_list probing needs x86-64");
#endif
}

/* ---- nv_say ---- */

static void test_say(void)
{
    int p[2];
    if (pipe(p) != 0) {
        ok(0, "pipe");
        return;
    }
    int saved = dup(2);
    dup2(p[1], 2);
    errno = 1234;
    nv_say("hello %d %s", 5, "world");
    int e = errno;
    char big[1000];
    memset(big, 'm', sizeof big - 1);
    big[sizeof big - 1] = 0;
    nv_say("%s", big);
    dup2(saved, 2);
    close(saved);
    close(p[1]);
    char buf[2048];
    size_t n = 0;
    ssize_t k;
    while ((k = read(p[0], buf + n, sizeof buf - 1 - n)) > 0)
        n += (size_t)k;
    buf[n] = 0;
    close(p[0]);
    is_u(e, 1234, "nv_say keeps errno");
    ok(strncmp(buf, "nvcheck: hello 5 world\n", 23) == 0, "nv_say: prefix, message, newline");
    const char *second = buf + 23;
    size_t len2 = n - 23;
    ok(len2 <= 512 && len2 > 400, "nv_say: a long message is cut to the line (%zu)", len2);
    ok(len2 > 0 && strncmp(second, "nvcheck: mmm", 12) == 0 && second[len2 - 1] == '\n' &&
           strspn(second + 9, "m") == len2 - 10,
       "nv_say: the cut line still ends with a newline");
}

/* ---- nv_say_init: only the stderr the process started with (issue 15 item 18) ---- */

/* file_text -- what the file at fd holds (from its start). */
static const char *file_text(int fd)
{
    static char buf[4096];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    buf[n > 0 ? n : 0] = 0;
    return buf;
}

/* close_copies -- close every descriptor but keep that is the same file as keep. */
static int close_copies(int keep)
{
    struct stat a, b;
    int closed = 0;
    fstat(keep, &a);
    for (int fd = 3; fd < 4096; fd++)
        if (fd != keep && fstat(fd, &b) == 0 && b.st_dev == a.st_dev && b.st_ino == a.st_ino)
            closed += close(fd) == 0;
    return closed;
}

static void test_say_init(void)
{
    char errname[] = "/tmp/nvcheck-say-err.XXXXXX", dataname[] = "/tmp/nvcheck-say-data.XXXXXX";
    int errf = mkstemp(errname), data = mkstemp(dataname);
    unlink(errname);
    unlink(dataname);
    int saved = dup(2);
    dup2(errf, 2);
    nv_say_init();
    struct stat st2, st;
    fstat(2, &st2);
    int dupfd = -1;
    for (int fd = 3; fd < 4096 && dupfd < 0; fd++)
        if (fd != errf && fstat(fd, &st) == 0 && st.st_ino == st2.st_ino && st.st_dev == st2.st_dev)
            dupfd = fd;
    ok(dupfd >= 64, "say init: stderr duplicated at a high number (%d)", dupfd);
    ok(dupfd >= 0 && (fcntl(dupfd, F_GETFD) & FD_CLOEXEC), "say init: the duplicate is close-on-exec");
    nv_say("one");
    is_s(file_text(errf), "nvcheck: one\n", "say: fd 2 still stderr: written there");

    /* A data file where stderr was: the line goes to the duplicate, never the data. */
    write(data, "program data\n", 13);
    dup2(data, 2);
    nv_say("two");
    is_s(file_text(data), "program data\n", "say: a data file at fd 2 is not written to");
    is_s(file_text(errf), "nvcheck: one\nnvcheck: two\n", "say: ... the line went to stderr");
    /* stderr closed: the duplicate. */
    close(2);
    errno = 77;
    nv_say("three");
    is_u(errno, 77, "say: stderr closed: errno kept");
    is_s(file_text(errf), "nvcheck: one\nnvcheck: two\nnvcheck: three\n",
         "say: stderr closed: written to the duplicate");
    /* The duplicate closed too (or its number reused): nowhere. */
    ok(close_copies(errf) == 1, "say: the duplicate closed (closefrom)");
    dup2(data, 2);
    dup2(data, dupfd); /* the program's data at the duplicate's old number as well */
    nv_say("four");
    is_s(file_text(data), "program data\n", "say: duplicate gone, data at both numbers: untouched");
    is_s(file_text(errf), "nvcheck: one\nnvcheck: two\nnvcheck: three\n",
         "say: duplicate gone: the line is dropped");
    close(dupfd);

    /* A pipe as stderr: no duplicate (it would hold the pipe open); a changed fd 2 means
     * nowhere, and the reader sees end-of-file once the program closes its stderr. */
    int p[2];
    pipe(p);
    dup2(p[1], 2);
    close(p[1]);
    nv_say_init();
    nv_say("five");
    dup2(data, 2);
    nv_say("six");
    char buf[64] = {0};
    ssize_t n = read(p[0], buf, sizeof buf - 1);
    ok(n == 14 && strcmp(buf, "nvcheck: five\n") == 0, "say: pipe stderr: written while fd 2");
    n = read(p[0], buf, sizeof buf - 1);
    ok(n == 0, "say: pipe stderr replaced: end-of-file for its reader (no duplicate held)");
    is_s(file_text(data), "program data\n", "say: pipe stderr replaced: data untouched");
    close(p[0]);

    /* No stderr at start: never write to what later becomes fd 2. */
    close(2);
    nv_say_init();
    dup2(data, 2);
    nv_say("seven");
    is_s(file_text(data), "program data\n", "say: no stderr at start: nothing written later");

    dup2(saved, 2);
    close(saved);
    close(errf);
    close(data);
}

int main(void)
{
    test_nested();
    test_scalars();
    test_strings();
    test_str_pieces();
    test_big();
    test_errors();
    test_format();
    test_say();
    test_say_init(); /* last: nv_say_init changes where every later line goes */
    free(text);
    return done_testing();
}
