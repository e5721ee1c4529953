/* html.h -- the pieces of nvcheck report --format html (render_html.c): the page's
 * data as one JSON object, source snippets read at render time, the hashes of the
 * inline script and style for the Content-Security-Policy, and the viewer's static
 * CSS and JavaScript (src/cli/html/, embedded at build time as html_assets.c). */
#ifndef NVCLI_HTML_H
#define NVCLI_HTML_H

#include "cli.h"

#include <jansson.h>

/* html_data -- everything the viewer shows (header, processes, findings with their
 * stacks, regions with their unpersisted ranges, source snippets) as one JSON object;
 * its shape is described at the top of html_data.c. Caller decrefs. */
json_t *html_data(const struct cli_set *set, const struct cli_groups *g,
                  const struct cli_render_opts *o);

/* html_processes -- one object per process (html_data.c describes them), ordered by
 * pid, or by argv when stable; pos[i] is where report i went. */
json_t *html_processes(const struct cli_set *set, int stable, size_t *pos);
/* html_summary -- totals by severity and by kind, as in the JSON report. */
json_t *html_summary(const struct cli_set *set, const struct cli_groups *g);

/* Source snippets: files are read once, only readable regular files of bounded size. */
struct html_sources;
struct html_sources *html_sources_new(void);
void html_sources_free(struct html_sources *s);
/* html_snippet -- the lines around line of file as [first line number, [text...],
 * newer-than-the-binary], or NULL when the file cannot be shown (not an absolute path,
 * not a readable regular file, too big, binary, or shorter than line). module (may be
 * NULL) is the binary the frame is in: a source newer than it is flagged. */
json_t *html_snippet(struct html_sources *s, const char *file, int line, const char *module);

/* html_sha256_b64 -- SHA-256 of n bytes at p, base64-encoded (44 characters + NUL). */
void html_sha256_b64(const void *p, size_t n, char out[45]);

extern const char html_viewer_css[];
extern const char html_viewer_js[];

#endif
