/* check.h -- what nvcheck check takes out before it gates: suppressions and baselines. */
#ifndef NVCLI_CHECK_H
#define NVCLI_CHECK_H

#include "cli.h"

/* ---- suppressions (suppress.c; the file format is described there) ---- */

struct cli_supp_rule {
    const char *file; /* as given on the command line */
    int line;
    char *kind;    /* a kind name, or NULL for '*' */
    char *pattern; /* glob: '*' any run of characters, '?' one */
    int at_offset; /* pattern is MODULE+0xOFFSET: module glob in module, ... */
    char *module;
    uint64_t offset;    /* ... and the frame's exact offset */
    size_t hits;        /* finding groups this rule suppressed */
    size_t module_hits; /* of them, matched by a module's name alone */
    size_t generated;   /* "# nvcheck-generated: stacks=N" before it: N; 0 when none */
    size_t nstacks;     /* distinct stacks (with lines) of the groups it suppressed */
    char **stacks;
};

struct cli_supps {
    size_t n;
    struct cli_supp_rule *v;
};

/* cli_supp_load -- append the rules of path. Bad input: one line "nvcheck: FILE:LINE:
 * problem" (or "nvcheck: FILE: problem"), CLI_BAD_INPUT, and no rule of path kept. */
int cli_supp_load(struct cli_supps *s, const char *path);
/* cli_supp_match -- the first rule that suppresses f (and count a hit, and f's stack
 * among the rule's distinct stacks), or NULL. */
struct cli_supp_rule *cli_supp_match(struct cli_supps *s, const struct cli_finding *f);
void cli_supp_free(struct cli_supps *s);
/* cli_supp_warn -- a line for each rule broader than it looks: one that suppressed
 * findings from more distinct stacks than it was generated from, or that matched by
 * naming a module alone (every finding of its kind in that module). How many. */
size_t cli_supp_warn(const struct cli_supps *s, FILE *out);
/* cli_glob -- does s match pattern as a whole ('*' any run, '?' one character)? */
int cli_glob(const char *pattern, const char *s);

/* ---- baselines (baseline.c) ---- */

/* Keys of the findings already known: cli_finding_key(f, 0), so line numbers and
 * addresses never matter. */
struct cli_baseline {
    size_t n;
    char **keys;        /* sorted once complete */
    struct cli_set raw; /* raw baseline reports, keyed by cli_baseline_finish */
};

/* cli_baseline_load -- a rendered JSON report (nvcheck/1) gives keys at once; a raw
 * report or a directory of them is read into b->raw. CLI_OK or CLI_BAD_INPUT (said). */
int cli_baseline_load(struct cli_baseline *b, const char *path);
/* cli_baseline_finish -- symbolise the raw baseline reports, add their keys, sort. */
void cli_baseline_finish(struct cli_baseline *b, int quiet);
int cli_baseline_has(const struct cli_baseline *b, const char *key);
void cli_baseline_free(struct cli_baseline *b);

#endif
