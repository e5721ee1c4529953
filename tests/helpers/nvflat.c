/* nvflat.c -- print a raw nvcheck report as one line per finding, for shell tests.
 *
 *   KIND SEVERITY ADDRESS SIZE REGION_OFFSET COUNT BYTES FRAME [ROLE=FRAME]...
 *
 * FRAME is the innermost frame as MODULE_PATH:OFFSET ("-" when absent); null fields
 * print as "-". A last line "summary ERRORS WARNINGS" closes the output. Exit 2 when
 * the file is not a raw report.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

static json_t *modules;

static void frame(json_t *stack)
{
    json_t *f = json_array_get(stack, 0);
    json_t *m = json_object_get(f, "module");
    if (!f) {
        printf("-");
        return;
    }
    if (!json_is_integer(m)) {
        printf("?:%s", json_string_value(json_object_get(f, "address")));
        return;
    }
    json_t *mod = json_array_get(modules, (size_t)json_integer_value(m));
    printf("%s:%s", json_string_value(json_object_get(mod, "path")),
           json_string_value(json_object_get(f, "offset")));
}

static void field(json_t *v)
{
    if (json_is_string(v))
        printf(" %s", json_string_value(v));
    else if (json_is_integer(v))
        printf(" %lld", (long long)json_integer_value(v));
    else
        printf(" -");
}

int main(int argc, char **argv)
{
    json_error_t err;
    if (argc != 2) {
        fprintf(stderr, "usage: nvflat REPORT\n");
        return 2;
    }
    json_t *r = json_load_file(argv[1], 0, &err);
    if (!r || strcmp(json_string_value(json_object_get(r, "schema")) ?: "", "nvcheck-raw/1")) {
        fprintf(stderr, "nvflat: %s: %s\n", argv[1], r ? "not a raw report" : err.text);
        return 2;
    }
    modules = json_object_get(r, "modules");
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(r, "findings"), i, f) {
        printf("%s %s", json_string_value(json_object_get(f, "kind")),
               json_string_value(json_object_get(f, "severity")));
        field(json_object_get(f, "address"));
        field(json_object_get(f, "size"));
        field(json_object_get(json_object_get(f, "region"), "offset"));
        field(json_object_get(f, "count"));
        field(json_object_get(f, "bytes"));
        printf(" ");
        frame(json_object_get(f, "stack"));
        size_t j;
        json_t *rel;
        json_array_foreach(json_object_get(f, "related"), j, rel) {
            printf(" %s=", json_string_value(json_object_get(rel, "role")));
            frame(json_object_get(rel, "stack"));
        }
        printf("\n");
    }
    json_t *s = json_object_get(r, "summary");
    printf("summary %lld %lld\n", (long long)json_integer_value(json_object_get(s, "errors")),
           (long long)json_integer_value(json_object_get(s, "warnings")));
    json_decref(r);
    return 0;
}
