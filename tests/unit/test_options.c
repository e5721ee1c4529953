/* test_options.c -- NVCHECK_OPTIONS parsing (src/engine/options.c): values, kinds lists, errors. */
#include "engine/options.h"
#include "kinds.h"
#include "tap.h"

#define BIT(k) (1u << (k))
#define ALL ((1u << NV_NKINDS) - 1)
/* Everything but redundant-flush and overwritten-unflushed (findings.def). */
#define DEFAULT_KINDS (ALL & ~BIT(NV_K_REDUNDANT_FLUSH) & ~BIT(NV_K_OVERWRITTEN_UNFLUSHED))
#define KNOWN "(known: stack_depth kinds drain max_findings max_shadow_mb max_stacks quiet)"

static struct nvc_options o;
static char err[1024];

/* parse -- the defaults, then s. */
static void parse(const char *s)
{
    nvc_options_defaults(&o);
    memset(err, 'Z', sizeof err);
    err[sizeof err - 1] = 0;
    nvc_options_parse(&o, s, err, sizeof err);
}

/* others_default -- every field but `except` still has its default value. */
static void others_default(const char *what, const char *except)
{
    int good = 1;
    if (strcmp(except, "stack_depth") != 0)
        good = good && o.stack_depth == 16;
    if (strcmp(except, "kinds") != 0)
        good = good && o.kinds == DEFAULT_KINDS;
    if (strcmp(except, "drain") != 0)
        good = good && o.drain == 0;
    if (strcmp(except, "max_findings") != 0)
        good = good && o.max_findings == 10000;
    if (strcmp(except, "quiet") != 0)
        good = good && o.quiet == 0;
    ok(good, "%s: other options keep their defaults", what);
}

/* printable -- s with blanks other than ' ' escaped, for test names (one line each). */
static const char *printable(const char *s)
{
    static char buf[256];
    size_t n = 0;
    if (!s)
        return "(NULL)";
    for (; *s && n + 3 < sizeof buf; s++) {
        if (*s == '\n' || *s == '\t') {
            buf[n++] = '\\';
            buf[n++] = *s == '\n' ? 'n' : 't';
        } else {
            buf[n++] = *s;
        }
    }
    buf[n] = 0;
    return buf;
}

/* parse_ok -- s parses without complaint. */
static void parse_ok(const char *s)
{
    parse(s);
    is_s(err, "", "'%s': no error", printable(s));
}

/* count -- occurrences of needle in hay. */
static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

/* parse_bad -- s has one bad item about option `name` showing `shown`; the default stays. */
static void parse_bad(const char *s, const char *name, const char *shown)
{
    parse(s);
    ok(err[0] != 0, "'%s': an error", s);
    ok(strstr(err, name) != NULL, "'%s': error names the option '%s'", s, name);
    ok(strstr(err, shown) != NULL, "'%s': error shows '%s'", s, shown);
    ok(strchr(err, '\n') == NULL, "'%s': error is one line", s);
    is_u(count(err, KNOWN), 1, "'%s': error ends with the known options once", s);
    ok(strlen(err) >= strlen(KNOWN) && strcmp(err + strlen(err) - strlen(KNOWN), KNOWN) == 0,
       "'%s': known options at the end", s);
    others_default(s, "");
}

static void test_defaults(void)
{
    memset(&o, 0xff, sizeof o);
    nvc_options_defaults(&o);
    is_u(o.stack_depth, 16, "default stack_depth");
    is_u(o.kinds, DEFAULT_KINDS, "default kinds");
    is_u(o.drain, 0, "default drain (thread)");
    is_u(o.max_findings, 10000, "default max_findings");
    is_u(o.quiet, 0, "default quiet");
    for (int k = 0; k < NV_NKINDS; k++)
        is_u((o.kinds >> k) & 1, nv_kinds[k].on_by_default, "default kinds: %s %s",
             nv_kinds[k].name, nv_kinds[k].on_by_default ? "on" : "off");
    ok(!(o.kinds & BIT(NV_K_REDUNDANT_FLUSH)), "redundant-flush off by default");
    ok(!(o.kinds & BIT(NV_K_OVERWRITTEN_UNFLUSHED)), "overwritten-unflushed off by default");
    is_u(o.kinds & ~ALL, 0, "default kinds: no bits beyond the kinds");

    parse_ok(NULL);
    others_default("NULL", "");
    parse_ok("");
    others_default("empty string", "");
    parse_ok(":: \t\n: ");
    others_default("separators only", "");

    /* Defaults are not applied by parse: it only changes what it names. */
    memset(&o, 0, sizeof o);
    o.stack_depth = 3;
    nvc_options_parse(&o, "quiet=1", err, sizeof err);
    ok(o.stack_depth == 3 && o.quiet == 1 && o.kinds == 0, "parse leaves unnamed fields alone");
}

static void test_good_values(void)
{
    parse_ok("stack_depth=1");
    is_u(o.stack_depth, 1, "stack_depth=1");
    others_default("stack_depth=1", "stack_depth");
    parse_ok("stack_depth=64");
    is_u(o.stack_depth, 64, "stack_depth=64");
    parse_ok("stack_depth=8");
    is_u(o.stack_depth, 8, "stack_depth=8");
    parse_ok("stack_depth=016");
    is_u(o.stack_depth, 16, "stack_depth=016 (leading zero)");

    parse_ok("drain=global");
    is_u(o.drain, 1, "drain=global");
    others_default("drain=global", "drain");
    parse_ok("drain=thread");
    is_u(o.drain, 0, "drain=thread");
    parse_ok("drain=global:drain=thread");
    is_u(o.drain, 0, "drain=global then thread: the last wins");

    parse_ok("quiet=1");
    is_u(o.quiet, 1, "quiet=1");
    others_default("quiet=1", "quiet");
    parse_ok("quiet=1:quiet=0");
    is_u(o.quiet, 0, "quiet=0 after quiet=1");

    parse_ok("max_findings=1");
    is_u(o.max_findings, 1, "max_findings=1");
    parse_ok("max_findings=1000000");
    is_u(o.max_findings, 1000000, "max_findings=1000000");
    parse_ok("max_findings=123");
    is_u(o.max_findings, 123, "max_findings=123");
    others_default("max_findings=123", "max_findings");

    parse_ok("stack_depth=3:stack_depth=5");
    is_u(o.stack_depth, 5, "a repeated option: the last wins");
}

static void kinds_case(const char *list, uint32_t want)
{
    char s[128];
    snprintf(s, sizeof s, "kinds=%s", list);
    parse_ok(s);
    is_u(o.kinds, want, "%s", s);
    others_default(s, "kinds");
}

static void test_kinds(void)
{
    kinds_case("all", ALL);
    kinds_case("none", 0);
    kinds_case("default", DEFAULT_KINDS);
    kinds_case("+redundant-flush", DEFAULT_KINDS | BIT(NV_K_REDUNDANT_FLUSH));
    kinds_case("redundant-flush", DEFAULT_KINDS | BIT(NV_K_REDUNDANT_FLUSH));
    kinds_case("-leaked-token", DEFAULT_KINDS & ~BIT(NV_K_LEAKED_TOKEN));
    kinds_case("none,unflushed-write", BIT(NV_K_UNFLUSHED_WRITE));
    kinds_case("all,-leaked-token", ALL & ~BIT(NV_K_LEAKED_TOKEN));
    kinds_case("none,default", DEFAULT_KINDS);
    kinds_case("all,none", 0);
    kinds_case("none,+overwritten-unflushed,invalid-token",
               BIT(NV_K_OVERWRITTEN_UNFLUSHED) | BIT(NV_K_INVALID_TOKEN));
    kinds_case("-unflushed-write,-undrained-flush",
               DEFAULT_KINDS & ~BIT(NV_K_UNFLUSHED_WRITE) & ~BIT(NV_K_UNDRAINED_FLUSH));
    kinds_case("+leaked-token,-leaked-token", DEFAULT_KINDS & ~BIT(NV_K_LEAKED_TOKEN));
    kinds_case("-redundant-flush", DEFAULT_KINDS);
    kinds_case("+unflushed-write", DEFAULT_KINDS);
    kinds_case("", DEFAULT_KINDS);
    kinds_case("all,", ALL);

    char s[512] = "kinds=none";
    for (int k = 0; k < NV_NKINDS; k++) {
        char one[64];
        snprintf(one, sizeof one, "kinds=none,%s", nv_kinds[k].name);
        parse_ok(one);
        is_u(o.kinds, BIT(k), "%s", one);
        snprintf(one, sizeof one, "kinds=all,-%s", nv_kinds[k].name);
        parse_ok(one);
        is_u(o.kinds, ALL & ~BIT(k), "%s", one);
        strcat(s, ",+");
        strcat(s, nv_kinds[k].name);
    }
    parse_ok(s);
    is_u(o.kinds, ALL, "every kind named once: all");

    /* The list ends at the item separator. */
    parse_ok("kinds=none:quiet=1");
    ok(o.kinds == 0 && o.quiet == 1, "kinds list ends at ':'");
    parse_ok("kinds=none,leaked-token quiet=1");
    ok(o.kinds == BIT(NV_K_LEAKED_TOKEN) && o.quiet == 1, "kinds list ends at a blank");

    /* nvc_kinds_parse directly. */
    uint32_t m = 0x5;
    const char *bad = NULL;
    unsigned bad_len = 99;
    const char *list = "all,+bogus,none";
    is_u((uint64_t)(int64_t)nvc_kinds_parse(&m, list, (unsigned)strlen(list), &bad, &bad_len),
         (uint64_t)-1, "kinds_parse: bad item is an error");
    ok(bad == list + 4, "kinds_parse: bad points at the item");
    is_u(bad_len, 6, "kinds_parse: bad_len is the item's length");
    is_u(m, 0x5, "kinds_parse: the mask is untouched on error");
    is_u(nvc_kinds_parse(&m, "none,garbage", 4, &bad, &bad_len), 0,
         "kinds_parse: the length ends the list");
    is_u(m, 0, "kinds_parse: 'none' applied");
    m = 0;
    is_u(nvc_kinds_parse(&m, "leaked-token", 12, &bad, &bad_len), 0, "kinds_parse: one kind");
    is_u(m, BIT(NV_K_LEAKED_TOKEN), "kinds_parse: applied to the given mask");
    m = 0x3;
    is_u((uint64_t)(int64_t)nvc_kinds_parse(&m, "-all", 4, &bad, &bad_len), (uint64_t)-1,
         "kinds_parse: -all is not a thing");
    is_u((uint64_t)(int64_t)nvc_kinds_parse(&m, "-none", 5, &bad, &bad_len), (uint64_t)-1,
         "kinds_parse: -none is not a thing");
    is_u((uint64_t)(int64_t)nvc_kinds_parse(&m, "-default", 8, &bad, &bad_len), (uint64_t)-1,
         "kinds_parse: -default is not a thing");
    is_u((uint64_t)(int64_t)nvc_kinds_parse(&m, "leaked-token,,all", 17, &bad, &bad_len),
         (uint64_t)-1, "kinds_parse: an empty item inside the list");
    is_u(m, 0x3, "kinds_parse: mask untouched after errors");
}

static void test_separators(void)
{
    parse_ok("stack_depth=8:kinds=+redundant-flush:drain=global");
    ok(o.stack_depth == 8 && o.kinds == (DEFAULT_KINDS | BIT(NV_K_REDUNDANT_FLUSH)) &&
           o.drain == 1 && o.max_findings == 10000 && o.quiet == 0,
       "three options separated by ':'");
    parse_ok("stack_depth=8 quiet=1\tdrain=global\nmax_findings=5");
    ok(o.stack_depth == 8 && o.quiet == 1 && o.drain == 1 && o.max_findings == 5 &&
           o.kinds == DEFAULT_KINDS,
       "options separated by blanks, tabs and newlines");
    parse_ok("::  stack_depth=3:: \t quiet=1 ::");
    ok(o.stack_depth == 3 && o.quiet == 1, "runs of separators, leading and trailing");
    parse_ok(" max_findings=7");
    is_u(o.max_findings, 7, "a leading blank");
    parse_ok("max_findings=7 ");
    is_u(o.max_findings, 7, "a trailing blank");
    parse_ok("max_findings=7\n");
    is_u(o.max_findings, 7, "a trailing newline");
}

static void test_bad_values(void)
{
    parse_bad("stack_depth=0", "stack_depth", "stack_depth=0");
    parse_bad("stack_depth=65", "stack_depth", "stack_depth=65");
    parse_bad("stack_depth=abc", "stack_depth", "stack_depth=abc");
    parse_bad("stack_depth=", "stack_depth", "stack_depth=:");
    parse_bad("stack_depth=99999999999999", "stack_depth", "stack_depth=99999999999999");
    parse_bad("stack_depth=4294967304", "stack_depth", "4294967304"); /* 2^32 + 8 */
    parse_bad("stack_depth=18446744073709551624", "stack_depth",
              "18446744073709551624"); /* 2^64 + 8: must not wrap to 8 */
    parse_bad("stack_depth=-1", "stack_depth", "stack_depth=-1");
    parse_bad("stack_depth=+8", "stack_depth", "stack_depth=+8");
    parse_bad("stack_depth=8a", "stack_depth", "stack_depth=8a");
    parse_bad("stack_depth=0x10", "stack_depth", "stack_depth=0x10");
    parse_bad("stack_depth==8", "stack_depth", "stack_depth==8");
    parse("stack_depth=65");
    ok(strstr(err, "1..64") != NULL, "stack_depth=65: the error gives the range");
    parse_bad("max_findings=0", "max_findings", "max_findings=0");
    parse_bad("max_findings=1000001", "max_findings", "max_findings=1000001");
    parse_bad("quiet=2", "quiet", "quiet=2");
    parse_bad("quiet=yes", "quiet", "quiet=yes");
    parse_bad("quiet=", "quiet", "quiet=");
    parse_bad("drain=foo", "drain", "drain=foo");
    parse("drain=foo");
    ok(strstr(err, "thread") && strstr(err, "global"), "drain=foo: the error names the choices");
    parse_bad("drain=", "drain", "drain=");
    parse_bad("drain=Global", "drain", "drain=Global");
    parse_bad("drain=globalx", "drain", "drain=globalx");
    parse_bad("drain=1", "drain", "drain=1");
    parse_bad("kinds=+bogus", "kinds", "+bogus");
    parse_bad("kinds=all,+bogus", "kinds", "+bogus");
    parse("kinds=all,+bogus");
    is_u(o.kinds, DEFAULT_KINDS, "kinds=all,+bogus: not applied in part");
    parse_bad("kinds=none,unflushed", "kinds", "'unflushed'");
    parse_bad("kinds=-all", "kinds", "-all");
    parse_bad("kinds=UNFLUSHED-WRITE", "kinds", "UNFLUSHED-WRITE");

    /* The option without '='. */
    parse_bad("stack_depth", "stack_depth", "stack_depth=VALUE");
    parse_bad("quiet", "quiet", "quiet=VALUE");

    /* A bad item does not stop the good ones around it. */
    parse("quiet=1:stack_depth=0:drain=global");
    ok(o.quiet == 1 && o.drain == 1 && o.stack_depth == 16, "good items around a bad one apply");
    ok(strstr(err, "stack_depth=0") != NULL, "... and the bad one is named");
    ok(strstr(err, "quiet") == strstr(err, "quiet)"),
       "... and the good ones are not (only in known list)");
}

static void test_unknown(void)
{
    parse_bad("foo=1", "foo", "'foo'");
    parse_bad("stack=5", "stack", "'stack'");
    parse_bad("stack_depthx=5", "stack_depthx", "'stack_depthx'");
    parse_bad("STACK_DEPTH=5", "STACK_DEPTH", "'STACK_DEPTH'");
    parse_bad("=5", "unknown option", "''");
    parse_bad("bogus", "bogus", "'bogus'");

    parse("foo=1:stack_depth=8:bar:baz=2 quiet=1");
    ok(o.stack_depth == 8 && o.quiet == 1, "several unknown: the known ones still apply");
    const char *foo = strstr(err, "'foo'"), *bar = strstr(err, "'bar'"),
               *baz = strstr(err, "'baz'"), *known = strstr(err, KNOWN);
    ok(foo && bar && baz, "several unknown: each is named");
    ok(foo && bar && baz && known && foo < bar && bar < baz && baz < known,
       "several unknown: in order, then the known options");
    is_u(count(err, KNOWN), 1, "several unknown: the known list once");
    is_u(count(err, "unknown option"), 3, "several unknown: three complaints");
    ok(strchr(err, '\n') == NULL, "several unknown: one line");
    char want[512];
    snprintf(want, sizeof want,
             "unknown option 'foo'; unknown option 'bar'; unknown option 'baz' %s", KNOWN);
    is_s(err, want, "several unknown: the exact line");

    parse("foo=1:stack_depth=0:drain=x");
    snprintf(want, sizeof want,
             "unknown option 'foo'; stack_depth=0: expected a number 1..64; "
             "drain=x: expected thread or global %s",
             KNOWN);
    is_s(err, want, "mixed errors: the exact line");

    /* A very long name is shortened, not overflowed. */
    char s[300];
    memset(s, 'x', 200);
    strcpy(s + 200, "=1:quiet=1");
    parse(s);
    is_u(o.quiet, 1, "a 200-character name: the rest still parses");
    ok(strstr(err, "unknown option 'xxxxxxxx") != NULL && strstr(err, KNOWN) != NULL,
       "a 200-character name: named (shortened) and the known list follows");
    ok(strlen(err) < 200, "a 200-character name: shortened in the message");
    memset(s, '9', 200);
    strcpy(s + 200, "");
    char s2[320];
    snprintf(s2, sizeof s2, "stack_depth=%s", s);
    parse(s2);
    is_u(o.stack_depth, 16, "a 200-digit value: the default stays");
    ok(strstr(err, "stack_depth=999") != NULL, "a 200-digit value: named");
}

static void test_capacity(void)
{
    /* A small err buffer: always NUL-terminated, never written past cap. */
    const char *s = "foo=1:stack_depth=0:drain=x:kinds=+bogus";
    char full[1024];
    nvc_options_defaults(&o);
    nvc_options_parse(&o, s, full, sizeof full);
    int good = 1;
    for (unsigned cap = 1; cap <= strlen(full) + 2; cap++) {
        char buf[1100];
        memset(buf, 0x5a, sizeof buf);
        nvc_options_defaults(&o);
        nvc_options_parse(&o, s, buf, cap);
        size_t n = strnlen(buf, cap);
        int canary = 1;
        for (size_t i = cap; i < sizeof buf; i++)
            canary = canary && buf[i] == 0x5a;
        if (n >= cap || !canary || strncmp(buf, full, n) != 0 ||
            (cap > strlen(full) && strcmp(buf, full) != 0) || o.stack_depth != 16 || o.drain)
            good = 0;
    }
    ok(good, "err capacities 1..%zu: a NUL-terminated prefix, nothing written past cap",
       strlen(full) + 2);
    ok(strlen(full) > 100, "the full message is long enough to truncate (%zu)", strlen(full));
}

int main(void)
{
    test_defaults();
    test_good_values();
    test_kinds();
    test_separators();
    test_bad_values();
    test_unknown();
    test_capacity();
    return done_testing();
}
