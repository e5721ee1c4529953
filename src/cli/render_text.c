/* render_text.c -- PLACEHOLDER until its owner lands it. */
#include "cli.h"

int cli_render_text(FILE *out, const struct cli_set *set, const struct cli_groups *g,
        const struct cli_render_opts *o)
{
    (void)out, (void)set, (void)g, (void)o;
    return cli_error("report", "this format is not built yet");
}
