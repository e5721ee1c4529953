/* render_junit.c -- nvcheck report --format junit: JUnit XML for CI test reports.
 *
 * The shape Jenkins, GitLab and the GitHub test-report actions read (validated in the
 * tests against Jenkins' junit-10.xsd): <testsuites>, one <testsuite> per program run
 * (one raw report = one process; named after argv[0], plus the pid unless --stable),
 * one <testcase> per finding group present in that process (classname = the kind,
 * name = the innermost function and file:line), failing with
 * <failure type="KIND" message="the finding's message"> whose body is exactly the
 * text renderer's block for that finding (stack and related stacks), so CI shows what
 * a terminal shows. The block and the counts are the process's own share of a group
 * that spans processes.
 *
 * Warnings fail their testcase too, with "[warning] " before the message: a test report
 * hides passing cases, and a leaked token left green would never be read. Gate on
 * severity with nvcheck check --fail-on, not with this report. A process without
 * findings gets one passing testcase, "no persistence findings", so every run shows up.
 *
 * Names come from DWARF, argv and hand-editable reports: everything is escaped, bytes
 * that are not UTF-8 and control characters that XML 1.0 forbids (even as references)
 * become U+FFFD, and newlines in attributes, DEL and the C1 controls (U+009B is a
 * terminal's CSI) are written as references.
 *
 * What the harvest lacks is a suite of its own, "nvcheck harvest", after the others:
 * a testcase in error for each process that started under the checker and left no
 * report (its findings are missing), and a skipped one for each directory that held
 * no report (nothing was checked there) -- an empty harvest never shows as green.
 *
 * --stable: no pids, timestamps or report paths; processes sorted by argv and then by
 * the findings they hold, which never depend on pids.
 */
#include "cli.h"

#include "kinds.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REPLACEMENT "\xEF\xBF\xBD" /* U+FFFD */

struct junit {
    FILE *out;
    const struct cli_set *set;
    const struct cli_groups *g;
    const struct cli_render_opts *o;
    size_t **of; /* of[r]: indices of the groups present in report r, ascending */
    size_t *nof;
};

/* utf8_len -- length of the well-formed UTF-8 sequence at s (0: malformed); its code
 * point in *cp. */
static size_t utf8_len(const unsigned char *s, uint32_t *cp)
{
    size_t n;
    if (s[0] < 0x80)
        return *cp = s[0], 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF)
        n = 2, *cp = s[0] & 0x1F;
    else if (s[0] >= 0xE0 && s[0] <= 0xEF)
        n = 3, *cp = s[0] & 0x0F;
    else if (s[0] >= 0xF0 && s[0] <= 0xF4)
        n = 4, *cp = s[0] & 0x07;
    else
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        *cp = *cp << 6 | (s[i] & 0x3F);
    }
    if ((n == 3 && *cp < 0x800) || (n == 4 && (*cp < 0x10000 || *cp > 0x10FFFF)) ||
        (*cp >= 0xD800 && *cp <= 0xDFFF))
        return 0;
    return n;
}

/* esc -- s as XML character data (attr: as a double-quoted attribute value). What XML
 * 1.0 cannot carry -- malformed UTF-8 (per byte), control characters other than tab,
 * newline and return, U+FFFE and U+FFFF -- becomes U+FFFD. */
static void esc(FILE *out, const char *s, int attr)
{
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p;) {
        uint32_t c;
        size_t n = utf8_len(p, &c);
        if (n == 0)
            n = 1, c = 0xFFFD;
        if (c == '&')
            fputs("&amp;", out);
        else if (c == '<')
            fputs("&lt;", out);
        else if (c == '>')
            fputs("&gt;", out);
        else if (c == '"' && attr)
            fputs("&quot;", out);
        else if (c == '\'' && attr)
            fputs("&apos;", out);
        else if (c == '\r' || (attr && (c == '\n' || c == '\t')) || (c >= 0x7f && c < 0xa0))
            fprintf(out, "&#%u;", (unsigned)c); /* DEL, C1: a terminal must not see them raw */
        else if ((c < 0x20 && c != '\n' && c != '\t') || c == 0xFFFD || c == 0xFFFE || c == 0xFFFF)
            fputs(REPLACEMENT, out);
        else
            fwrite(p, 1, n, out);
        p += n;
    }
}

/* attr -- ` name="value"`, escaped. */
static void attr(FILE *out, const char *name, const char *value)
{
    fprintf(out, " %s=\"", name);
    esc(out, value, 1);
    fputc('"', out);
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* share -- the members of group g that came from report r, as a group of their own. */
static void share(const struct cli_group *g, const struct cli_report *r, struct cli_group *out)
{
    *out = (struct cli_group){0};
    out->members = cli_alloc(g->nmembers * sizeof *out->members);
    out->has_bytes = 1;
    for (size_t i = 0; i < g->nmembers; i++) {
        const struct cli_finding *f = g->members[i];
        if (f->report != r)
            continue;
        if (!out->first)
            out->first = f;
        out->members[out->nmembers++] = f;
        out->count = out->count > UINT64_MAX - f->count ? UINT64_MAX : out->count + f->count;
        out->bytes = out->bytes > UINT64_MAX - f->bytes ? UINT64_MAX : out->bytes + f->bytes;
        out->has_bytes &= f->has_bytes;
    }
}

/* block -- the text renderer's block for one group: rendered alone, with the report's
 * header line cut off (everything up to the first blank line). Caller frees. */
static char *block(const struct junit *j, const struct cli_group *g)
{
    struct cli_set none = {0};
    struct cli_groups one = {1, (struct cli_group *)g};
    struct cli_render_opts o = {.stable = j->o->stable};
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) {
        cli_error("junit", "out of memory");
        exit(CLI_BAD_INPUT);
    }
    cli_render_text(m, &none, &one, &o);
    fclose(m);
    char *start = strstr(buf, "\n\n");
    start = start ? start + 2 : buf;
    memmove(buf, start, strlen(start) + 1);
    return buf;
}

/* case_name -- "function at file:line" of the innermost frame with a source file; else
 * what is known of the innermost frame. Caller frees. */
static char *case_name(const struct cli_finding *f, int stable)
{
    const struct cli_frame *p = NULL;
    for (size_t i = 0; i < f->stack.n && !p; i++)
        if (f->stack.f[i].file)
            p = &f->stack.f[i];
    if (!p && f->stack.n)
        p = &f->stack.f[0];
    if (!p)
        return cli_strdup("(no stack recorded)");
    const char *fn = p->function ? p->function : "??";
    if (p->file)
        return p->line > 0 ? cli_printf("%s at %s:%d", fn, base_name(p->file), p->line)
                           : cli_printf("%s at %s", fn, base_name(p->file));
    if (p->module && (p->function || stable))
        return cli_printf("%s in %s", fn, base_name(p->module));
    if (p->module)
        return cli_printf("%s+0x%llx", base_name(p->module), (unsigned long long)p->offset);
    return stable ? cli_strdup("??") : cli_printf("0x%llx", (unsigned long long)p->address);
}

static void testcase(const struct junit *j, const struct cli_group *g, const struct cli_report *r)
{
    struct cli_group mine;
    share(g, r, &mine);
    const struct cli_finding *f = mine.first;
    const char *raw = f->message ? f->message : "";
    char *msg = j->o->stable ? cli_stable_text(raw) : cli_strdup(raw);
    char *m = f->severity == NV_SEV_WARNING ? cli_printf("[warning] %s", msg) : cli_strdup(msg);
    char *name = case_name(f, j->o->stable), *body = block(j, &mine);
    fputs("    <testcase", j->out);
    attr(j->out, "classname", f->kind);
    attr(j->out, "name", name);
    fputs(" time=\"0\">\n      <failure", j->out);
    attr(j->out, "type", f->kind);
    attr(j->out, "message", m);
    fputc('>', j->out);
    esc(j->out, body, 0);
    fputs("</failure>\n    </testcase>\n", j->out);
    free(msg), free(m), free(name), free(body);
    free(mine.members);
}

/* properties -- the command line; unless --stable also pid, parent and report file. */
static void properties(const struct junit *j, const struct cli_report *r)
{
    FILE *out = j->out;
    char *argv = cli_strdup("");
    for (size_t i = 0; i < r->argc; i++) {
        char *t = cli_printf("%s%s%s", argv, i ? " " : "", r->argv[i]);
        free(argv);
        argv = t;
    }
    fputs("    <properties>\n      <property name=\"argv\"", out);
    attr(out, "value", argv);
    fputs("/>\n", out);
    if (!j->o->stable) {
        fprintf(out, "      <property name=\"pid\" value=\"%lld\"/>\n", (long long)r->pid);
        fprintf(out, "      <property name=\"ppid\" value=\"%lld\"/>\n", (long long)r->ppid);
        fputs("      <property name=\"report\"", out);
        attr(out, "value", r->path);
        fputs("/>\n", out);
    }
    fputs("    </properties>\n", out);
    free(argv);
}

static void suite(const struct junit *j, size_t ri, size_t id)
{
    const struct cli_report *r = &j->set->r[ri];
    FILE *out = j->out;
    size_t n = j->nof[ri];
    const char *prog = r->argc ? base_name(r->argv[0]) : "?";
    char *name =
        j->o->stable ? cli_strdup(prog) : cli_printf("%s (pid %lld)", prog, (long long)r->pid);
    fputs("  <testsuite", out);
    attr(out, "name", name);
    fprintf(out, " tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"0\" time=\"0\" id=\"%zu\"",
            n ? n : 1, n, id);
    time_t t = (time_t)r->start_time;
    struct tm tm;
    char stamp[32];
    if (!j->o->stable && gmtime_r(&t, &tm) &&
        strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm))
        attr(out, "timestamp", stamp);
    fputs(">\n", out);
    properties(j, r);
    for (size_t i = 0; i < n; i++)
        testcase(j, &j->g->g[j->of[ri][i]], r);
    if (!n)
        fputs("    <testcase classname=\"nvcheck\" name=\"no persistence findings\" time=\"0\"/>\n",
              out);
    if (r->truncated)
        fprintf(out,
                "    <system-err>incomplete: the process kept at most %lld findings and "
                "dropped %lld more occurrences (raise max_findings to see them)</system-err>\n",
                (long long)r->max_findings, (long long)r->dropped_occurrences);
    fputs("  </testsuite>\n", out);
    free(name);
}

/* harvest -- the suite of what is missing: lost processes, empty directories. */
static void harvest(const struct junit *j, size_t id)
{
    const struct cli_set *set = j->set;
    FILE *out = j->out;
    size_t n = set->nlost + set->nempty;
    if (!n)
        return;
    fprintf(out,
            "  <testsuite name=\"nvcheck harvest\" tests=\"%zu\" failures=\"0\" errors=\"%zu\" "
            "skipped=\"%zu\" time=\"0\" id=\"%zu\">\n",
            n, set->nlost, set->nempty, id);
    for (size_t i = 0; i < set->nlost; i++) {
        const struct cli_lost *l = &set->lost[i];
        const char *exe = l->exe ? l->exe : "?";
        char *name = j->o->stable ? cli_printf("process (%s)", base_name(exe))
                                  : cli_printf("process %lld (%s)", (long long)l->pid, exe);
        char *msg = cli_printf("left no report: %s; its findings are missing", l->why);
        fputs("    <testcase classname=\"nvcheck\"", out);
        attr(out, "name", name);
        fputs(" time=\"0\">\n      <error type=\"lost-process\"", out);
        attr(out, "message", msg);
        fputs("/>\n    </testcase>\n", out);
        free(name), free(msg);
    }
    for (size_t i = 0; i < set->nempty; i++) {
        char *name = cli_printf("no reports in %s", set->empty[i]);
        fputs("    <testcase classname=\"nvcheck\"", out);
        attr(out, "name", name);
        fputs(" time=\"0\">\n      <skipped message=\"nothing was checked there\"/>\n"
              "    </testcase>\n",
              out);
        free(name);
    }
    fputs("  </testsuite>\n", out);
}

/* report_of -- the index in set of the report a finding came from. */
static size_t report_of(const struct cli_set *set, const struct cli_finding *f)
{
    size_t i = (size_t)(f->report - set->r);
    return i < set->n ? i : 0;
}

/* index_groups -- of[r], nof[r]: which groups have members in report r, in group order. */
static void index_groups(struct junit *j)
{
    size_t n = j->set->n ? j->set->n : 1, *last = cli_alloc(n * sizeof *last);
    j->of = cli_alloc(n * sizeof *j->of);
    j->nof = cli_alloc(n * sizeof *j->nof);
    for (int pass = 0; pass < 2; pass++) {
        for (size_t r = 0; r < j->set->n; r++) {
            last[r] = (size_t)-1;
            if (pass)
                j->of[r] = cli_alloc((j->nof[r] ? j->nof[r] : 1) * sizeof **j->of), j->nof[r] = 0;
        }
        for (size_t gi = 0; gi < j->g->n; gi++)
            for (size_t m = 0; m < j->g->g[gi].nmembers; m++) {
                size_t r = report_of(j->set, j->g->g[gi].members[m]);
                if (last[r] == gi)
                    continue;
                last[r] = gi;
                if (pass)
                    j->of[r][j->nof[r]] = gi;
                j->nof[r]++;
            }
    }
    free(last);
}

/* cmp_suites -- --stable order: by argv, then by the groups found (never by pid). */
static int cmp_suites(const void *pa, const void *pb, void *arg)
{
    const struct junit *j = arg;
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    const struct cli_report *x = &j->set->r[a], *y = &j->set->r[b];
    for (size_t i = 0; i < x->argc && i < y->argc; i++) {
        int c = strcmp(x->argv[i], y->argv[i]);
        if (c)
            return c;
    }
    if (x->argc != y->argc)
        return x->argc < y->argc ? -1 : 1;
    for (size_t i = 0; i < j->nof[a] && i < j->nof[b]; i++)
        if (j->of[a][i] != j->of[b][i])
            return j->of[a][i] < j->of[b][i] ? -1 : 1;
    return (j->nof[a] > j->nof[b]) - (j->nof[a] < j->nof[b]);
}

int cli_render_junit(FILE *out, const struct cli_set *set, const struct cli_groups *g,
                     const struct cli_render_opts *o)
{
    struct junit j = {out, set, g, o, NULL, NULL};
    index_groups(&j);
    size_t *order = cli_alloc((set->n ? set->n : 1) * sizeof *order), tests = 0, failures = 0;
    for (size_t i = 0; i < set->n; i++) {
        order[i] = i;
        tests += j.nof[i] ? j.nof[i] : 1;
        failures += j.nof[i];
    }
    if (o->stable)
        qsort_r(order, set->n, sizeof *order, cmp_suites, &j);
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
    fprintf(out,
            "<testsuites name=\"nvcheck\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
            "time=\"0\">\n",
            tests + set->nlost + set->nempty, failures, set->nlost);
    for (size_t i = 0; i < set->n; i++)
        suite(&j, order[i], i);
    harvest(&j, set->n);
    fputs("</testsuites>\n", out);
    for (size_t i = 0; i < set->n; i++)
        free(j.of[i]);
    free(j.of), free(j.nof), free(order);
    return CLI_OK;
}
