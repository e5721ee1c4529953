/* render_html.c -- nvcheck report --format html: one self-contained page to read the
 * findings in (src/cli/html/viewer.js is the viewer; html_data.c the data).
 *
 * Self-contained: no network, no external script, style, font or image, so the page
 * works from a file:// URL or a CI artifact. Safe by construction: nothing from a
 * report or a source file is ever written as HTML. All of it goes into one JSON
 * document inside <script type="application/json" id="data">, with '<', '>', '&' and
 * U+2028/U+2029 written as \u escapes, so no string can end that element or start a
 * tag; the viewer builds the page from it with createElement and textContent only.
 * A Content-Security-Policy allows exactly the page's own inline script and style (by
 * their SHA-256, computed here over the bytes written) and nothing else: even if data
 * did reach the markup, no script or remote request of theirs would run.
 *
 * The same input gives the same bytes (no time stamps); --stable leaves out everything
 * run-dependent, as in the other formats (html_data.c).
 */
#include "html.h"

#include <string.h>

struct esc {
    FILE *out;
    int held; /* bytes of a possible U+2028/U+2029 (E2 80 A8/A9) held back: 0..2 */
};

/* put_escaped -- JSON text as the content of a script element. */
static int put_escaped(const char *buf, size_t n, void *data)
{
    struct esc *e = data;
    for (size_t i = 0; i < n; i++) {
        unsigned char b = (unsigned char)buf[i];
        if ((e->held == 0 && b == 0xe2) || (e->held == 1 && b == 0x80)) {
            e->held++;
            continue;
        }
        if (e->held == 2 && (b == 0xa8 || b == 0xa9)) {
            fputs(b == 0xa8 ? "\\u2028" : "\\u2029", e->out);
            e->held = 0;
            continue;
        }
        if (e->held)
            fwrite("\xe2\x80", 1, (size_t)e->held, e->out);
        e->held = 0;
        if (b == 0xe2) { /* may start another sequence */
            e->held = 1;
            continue;
        }
        if (b == '<' || b == '>' || b == '&')
            fprintf(e->out, "\\u%04x", b);
        else
            fputc(b, e->out);
    }
    return 0;
}

static const char head[] =
    "<!DOCTYPE html>\n"
    "<html lang=\"en\">\n"
    "<head>\n"
    "<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<meta name=\"generator\" content=\"nvcheck report --format html\">\n";

static const char body[] =
    "<link rel=\"icon\" href=\"data:,\">\n"
    "<title>nvcheck report</title>\n"
    "<style>%s</style>\n"
    "</head>\n"
    "<body>\n"
    "<noscript><p>This report is drawn by JavaScript, which is off. The findings are the\n"
    "JSON document in this file's script element \"data\"; <code>nvcheck report</code>\n"
    "renders the same reports as text.</p></noscript>\n"
    "<div id=\"app\"><p>Loading the report... If this stays, the page's script did not run:\n"
    "scripts may be blocked where the page is served (open the file locally instead).</p></div>\n"
    "<script type=\"application/json\" id=\"data\">";

int cli_render_html(FILE *out, const struct cli_set *set, const struct cli_groups *g,
                    const struct cli_render_opts *o)
{
    char js[45], css[45];
    cli_json_init();
    json_t *data = html_data(set, g, o);
    html_sha256_b64(html_viewer_js, strlen(html_viewer_js), js);
    html_sha256_b64(html_viewer_css, strlen(html_viewer_css), css);
    fputs(head, out);
    fprintf(out,
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "script-src 'sha256-%s'; style-src 'sha256-%s'; img-src data:; "
            "base-uri 'none'; form-action 'none'\">\n",
            js, css);
    fprintf(out, body, html_viewer_css);
    struct esc e = {out, 0};
    int rc = json_dump_callback(data, put_escaped, &e, JSON_COMPACT);
    if (e.held)
        fwrite("\xe2\x80", 1, (size_t)e.held, out);
    fprintf(out, "</script>\n<script>%s</script>\n</body>\n</html>\n", html_viewer_js);
    json_decref(data);
    if (rc != 0 || ferror(out))
        return cli_error("report", "cannot write the HTML report");
    return CLI_OK;
}
