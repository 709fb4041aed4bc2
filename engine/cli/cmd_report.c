/* cmd_report.c - `throng report FILE.json`: the text report of a run again,
 * or its HTML page, from the JSON report it wrote. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "options.h"
#include "run_engine.h"

#define CMD "throng report"

static void usage(FILE *out, const cli_option_t *opts)
{
    fprintf(out, "usage: throng report FILE.json [flags]\n"
                 "\n"
                 "Prints the text report of a run again from the JSON report that\n"
                 "'throng run --json FILE.json' wrote; --html draws its HTML page.\n"
                 "\n"
                 "flags:\n");
    cli_print_options(out, opts);
}

/* The whole file, NUL-terminated (the caller frees it), or NULL. */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *data = malloc(cap);
    size_t got;
    while (data && (got = fread(data + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            char *grown = realloc(data, cap *= 2);
            if (!grown) free(data);
            data = grown;
        }
    }
    int failed = ferror(f);
    fclose(f);
    if (!data || failed) {
        free(data);
        return NULL;
    }
    data[n] = '\0';
    *len = n;
    return data;
}

int cmd_report(int argc, char **argv)
{
    int latency = 0;
    const char *html = NULL;
    cli_option_t opts[] = {
        {"latency", 0, CLI_FLAG, &latency, NULL, "add the latency distribution"},
        {"html", 0, CLI_STRING, &html, "FILE", "write the report as an HTML page to FILE"},
        {NULL},
    };
    char *positional[8];
    cli_args_t args = {.positional = positional};
    if (argc > 8 || cli_parse(CMD, opts, argc, argv, &args) != 0) return CLI_EXIT_USAGE;
    if (args.help) {
        usage(stdout, opts);
        return CLI_EXIT_OK;
    }
    if (args.npositional != 1) {
        fprintf(stderr, CMD ": give one JSON report (see throng report --help)\n");
        return CLI_EXIT_USAGE;
    }
    size_t len;
    char *json = read_file(positional[0], &len), *out = NULL, err[256];
    if (!json) {
        fprintf(stderr, CMD ": %s: %s\n", positional[0], strerror(errno));
        return CLI_EXIT_USAGE;
    }
    int status = CLI_EXIT_OK;
    if (throng_render(json, len, THRONG_RENDER_TEXT, latency ? THRONG_TEXT_LATENCY : 0, &out, err,
                      sizeof err) != 0) {
        fprintf(stderr, CMD ": %s: %s\n", positional[0], err);
        status = CLI_EXIT_USAGE;
    } else {
        fputs(out, stdout);
        throng_free(out);
        out = NULL;
        if (html) {
            if (throng_render(json, len, THRONG_RENDER_HTML, 0, &out, err, sizeof err) != 0) {
                fprintf(stderr, CMD ": %s: %s\n", positional[0], err);
                status = CLI_EXIT_USAGE;
            } else if (cli_write_file(CMD, "--html", html, out) != 0) {
                status = CLI_EXIT_USAGE;
            }
            throng_free(out);
        }
    }
    free(json);
    return status;
}
