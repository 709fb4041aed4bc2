/* cmd_report.c - `throng report FILE.json`: the text report of a run again,
 * or its HTML page, from the JSON report it wrote. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "options.h"
#include "run_engine.h"

#define CMD "throng report"

static void usage(FILE *out, const cli_option_t *opts)
{
    fprintf(out, "usage: throng report FILE.json [FILE.json ...] [flags]\n"
                 "       throng report NAME [--home DIR]\n"
                 "\n"
                 "Prints the text report of a run again from the JSON report that\n"
                 "'throng run --json FILE.json' wrote; --html draws its HTML page, --junit\n"
                 "its thresholds as JUnit XML, --summary-json its short summary.\n"
                 "Several reports are merged first. The reports of one run's shards\n"
                 "(throng run --shard I/N, all of one run id) merge exactly into the whole\n"
                 "run's: counts and histograms added bucket by bucket, seconds aligned on\n"
                 "the run's start, thresholds measured again on the whole; a report of\n"
                 "another run, a shard given twice or a shard missing is refused, naming\n"
                 "it (--partial merges what there is, and says which shards are missing).\n"
                 "Reports of separate runs (machines that loaded one service at the same\n"
                 "time) merge side by side, and say so; --sequential merges one run's\n"
                 "successive parts.\n"
                 "\n"
                 "exit status: 0, 2 usage error or a report refused, 5 a threshold of the\n"
                 "(merged) report not met (merged shards, or --threshold), 6 a file could\n"
                 "not be written.\n"
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

/* Prints err, each "report N" ("reports A and B") in it named by its file. */
static void say_named(const char *err, char **paths, int n)
{
    fputs(CMD ": ", stderr);
    for (const char *p = err; *p;) {
        int a, b, used = 0;
        if (sscanf(p, "reports %d and %d%n", &a, &b, &used) == 2 && used && a >= 1 && a <= n &&
            b >= 1 && b <= n) {
            fprintf(stderr, "%s and %s", paths[a - 1], paths[b - 1]);
            p += used;
        } else if (sscanf(p, "report %d%n", &a, &used) == 1 && used && a >= 1 && a <= n) {
            fputs(paths[a - 1], stderr);
            p += used;
        } else {
            fputc(*p++, stderr);
        }
    }
    fputc('\n', stderr);
}

/* How several reports merge. */
typedef struct merge_how {
    int sequential, side_by_side, partial;
    int shards; /* out: they were one run's shards */
} merge_how_t;

/* 1 when the report is a shard's (run.shards above 1). */
static int is_shard(const char *text)
{
    char *alone = NULL, err[64];
    int yes = throng_report_merge_shards(&text, 1, 1, &alone, err, sizeof err) == 0;
    throng_free(alone);
    return yes;
}

/* The one report, or several merged; NULL after saying why. */
static char *read_reports(char **paths, int n, merge_how_t *how, size_t *len)
{
    int sequential = how->sequential;
    char **texts = calloc((size_t)n, sizeof *texts), *merged = NULL, err[256];
    for (int i = 0; texts && i < n; i++) {
        if (!(texts[i] = read_file(paths[i], len))) {
            fprintf(stderr, CMD ": %s: %s\n", paths[i], strerror(errno));
            goto done;
        }
    }
    if (!texts) goto done;
    /* Each report is checked alone first, so that a bad one is named by its file. */
    for (int i = 0; n > 1 && i < n; i++) {
        char *alone = NULL;
        if (throng_report_merge((const char *const *)&texts[i], 1, 0, &alone, err, sizeof err)) {
            fprintf(stderr, CMD ": %s: %s\n", paths[i], err);
            goto done;
        }
        throng_free(alone);
    }
    int shards = 0;
    for (int i = 0; n > 1 && !sequential && !how->side_by_side && i < n; i++)
        shards += is_shard(texts[i]);
    if (shards && shards < n) {
        for (int i = 0; i < n; i++)
            if (!is_shard(texts[i])) {
                fprintf(stderr,
                        CMD ": %s is not a shard's report, the others are: give one run's "
                            "shards, or --side-by-side to add separate runs up\n",
                        paths[i]);
                break;
            }
        goto done;
    }
    if (n == 1) {
        merged = texts[0];
        texts[0] = NULL;
    } else if (shards) {
        how->shards = 1;
        if (throng_report_merge_shards((const char *const *)texts, (size_t)n, how->partial, &merged,
                                       err, sizeof err) != 0) {
            say_named(err, paths, n);
            merged = NULL;
        } else {
            *len = strlen(merged);
        }
    } else if (throng_report_merge((const char *const *)texts, (size_t)n, sequential, &merged, err,
                                   sizeof err) != 0) {
        fprintf(stderr, CMD ": %s\n", err);
        merged = NULL;
    } else {
        *len = strlen(merged);
    }
done:
    for (int i = 0; texts && i < n; i++)
        free(texts[i]);
    free(texts);
    return merged;
}

int cmd_report(int argc, char **argv)
{
    int latency = 0, sequential = 0, merge = 0, side_by_side = 0, partial = 0;
    cli_list_t thresholds = {0};
    const char *html = NULL, *json_out = NULL, *home = NULL, *junit = NULL, *summary = NULL;
    cli_option_t opts[] = {
        {"latency", 0, CLI_FLAG, &latency, NULL, "add the latency distribution"},
        {"html", 0, CLI_STRING, &html, "FILE", "write the report as an HTML page to FILE"},
        {"json", 0, CLI_STRING, &json_out, "FILE", "write the (merged) report as JSON to FILE"},
        {"junit", 0, CLI_STRING, &junit, "FILE", "write the thresholds as JUnit XML to FILE"},
        {"summary-json", 0, CLI_STRING, &summary, "FILE",
         "write the short summary for scripts as JSON to FILE"},
        {"merge", 0, CLI_FLAG, &merge, NULL,
         "merge the reports given (several are merged anyway): one run's shards exactly"},
        {"partial", 0, CLI_FLAG, &partial, NULL,
         "merge a run's shards even when some are missing (the report says which)"},
        {"side-by-side", 0, CLI_FLAG, &side_by_side, NULL,
         "add the reports up as separate runs side by side, even shards of runs"},
        {"sequential", 0, CLI_FLAG, &sequential, NULL,
         "the reports are successive parts of one run, not machines side by side"},
        {"threshold", 0, CLI_LIST, &thresholds, "EXPR",
         "a condition the (merged) report must meet, as p99<50ms, errors<1% (repeatable); "
         "exit status 5 when one is not"},
        {"home", 0, CLI_STRING, &home, "DIR",
         "the home whose group NAME is reported (default .throng)"},
        {NULL},
    };
    char **positional = calloc((size_t)argc + 1, sizeof *positional);
    cli_args_t args = {.positional = positional};
    if (!positional || cli_parse(CMD, opts, argc, argv, &args) != 0) {
        free(positional);
        return CLI_EXIT_USAGE;
    }
    if (args.help || args.npositional == 0) {
        if (!args.help)
            fprintf(stderr, CMD ": give a JSON report (see throng report --help)\n");
        else
            usage(stdout, opts);
        free(positional);
        return args.help ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    }
    size_t len = 0;
    char *json = NULL, *out = NULL, err[256];
    merge_how_t how = {sequential, side_by_side, partial, 0};
    (void)merge;
    /* A name that is not a file is a home's group. */
    if (args.npositional == 1 && access(positional[0], F_OK) != 0) {
        int rc = cli_home_report(home, positional[0], &json);
        if (rc < 0) {
            fprintf(stderr, CMD ": %s: no such file, nor a group in the home\n", positional[0]);
            free(positional);
            return CLI_EXIT_USAGE;
        }
        if (rc > 0) {
            free(positional);
            return CLI_EXIT_USAGE;
        }
        len = strlen(json);
    } else {
        if (sequential + side_by_side > 1) {
            fprintf(stderr, CMD ": --sequential and --side-by-side exclude each other\n");
            free(positional);
            return CLI_EXIT_USAGE;
        }
        json = read_reports(positional, args.npositional, &how, &len);
    }
    const char *name = args.npositional == 1 ? positional[0] : "merged report";
    free(positional);
    if (!json) return CLI_EXIT_USAGE;
    unsigned failed = 0;
    if (thresholds.n || how.shards) {
        char *judged = NULL;
        if (throng_report_thresholds(json, thresholds.items, thresholds.n, &judged, &failed, err,
                                     sizeof err) != 0) {
            fprintf(stderr, CMD ": %s\n", err);
            free(json);
            return CLI_EXIT_USAGE;
        }
        free(json);
        json = strdup(judged);
        throng_free(judged);
        if (!json) return CLI_EXIT_USAGE;
        len = strlen(json);
    }
    if (json_out && cli_write_file(CMD, "--json", json_out, json) != 0) {
        free(json);
        return CLI_EXIT_WRITE;
    }
    int status = CLI_EXIT_OK;
    if (throng_render(json, len, THRONG_RENDER_TEXT, latency ? THRONG_TEXT_LATENCY : 0, &out, err,
                      sizeof err) != 0) {
        fprintf(stderr, CMD ": %s: %s\n", name, err);
        status = CLI_EXIT_USAGE;
    } else {
        fputs(out, stdout);
        throng_free(out);
        out = NULL;
        if (html) {
            if (throng_render(json, len, THRONG_RENDER_HTML, 0, &out, err, sizeof err) != 0) {
                fprintf(stderr, CMD ": %s: %s\n", name, err);
                status = CLI_EXIT_USAGE;
            } else if (cli_write_file(CMD, "--html", html, out) != 0) {
                status = CLI_EXIT_WRITE;
            }
            throng_free(out);
        }
        if (junit && cli_write_rendered(CMD, "--junit", junit, json, THRONG_RENDER_JUNIT) != 0)
            status = CLI_EXIT_WRITE;
        if (summary &&
            cli_write_rendered(CMD, "--summary-json", summary, json, THRONG_RENDER_SUMMARY) != 0)
            status = CLI_EXIT_WRITE;
    }
    free(json);
    if (status == CLI_EXIT_OK && failed) status = CLI_EXIT_THRESHOLDS;
    return status;
}
