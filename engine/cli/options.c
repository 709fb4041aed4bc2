/* options.c - flag parsing and help lines for the throng command. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "options.h"
#include "throng.h"

int cli_looks_like_path(const char *s)
{
    size_t n = strlen(s);
    return strchr(s, '/') || (n > 4 && strcmp(s + n - 4, ".lua") == 0);
}

int cli_parse_share(const char *s, double *share)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || !isfinite(v)) return -1;
    if (strcmp(end, "%") == 0)
        v /= 100;
    else if (*end != '\0')
        return -1;
    if (v < 0 || v > 1) return -1;
    *share = v;
    return 0;
}

int cli_parse_count(const char *s, unsigned long long *value)
{
    char *end;
    if (*s == '-' || *s == '\0') return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || errno) return -1;
    unsigned long long mult = 1;
    if (*end == 'k' || *end == 'K')
        mult = 1000, end++;
    else if (*end == 'M')
        mult = 1000000, end++;
    if (*end != '\0') return -1;
    if (v > ULLONG_MAX / mult) return -1;
    *value = v * mult;
    return 0;
}

/* Explains what a flag of this kind accepts, for the error line. */
static const char *kind_expects(const cli_option_t *o)
{
    switch (o->kind) {
    case CLI_UINT:
    case CLI_U64:
        return "a whole number";
    case CLI_DURATION:
        return "a duration such as 500ms, 30s, 5m, 1h or 1h30m";
    case CLI_SHARE:
        return "a share between 0 and 1, or a percentage such as 10%";
    default:
        return "a value";
    }
}

static int set_value(const char *cmd, cli_option_t *o, const char *flag, const char *val)
{
    unsigned long long n;
    switch (o->kind) {
    case CLI_FLAG:
        *(int *)o->target = 1;
        return 0;
    case CLI_UINT:
    case CLI_U64:
        if (cli_parse_count(val, &n) != 0) break;
        if (o->max && (n < o->min || n > o->max)) {
            fprintf(stderr, "%s: %s must be between %llu and %llu, not %s\n", cmd, flag, o->min,
                    o->max, val);
            return -1;
        }
        if (o->kind == CLI_UINT)
            *(unsigned *)o->target = (unsigned)n;
        else
            *(uint64_t *)o->target = n;
        return 0;
    case CLI_DURATION:
        if (throng_parse_duration(val, (double *)o->target) == 0) return 0;
        break;
    case CLI_SHARE:
        if (cli_parse_share(val, (double *)o->target) == 0) return 0;
        break;
    case CLI_STRING:
        *(const char **)o->target = val;
        return 0;
    case CLI_LIST: {
        cli_list_t *list = o->target;
        if (list->n == CLI_LIST_MAX) {
            fprintf(stderr, "%s: %s given more than %d times\n", cmd, flag, CLI_LIST_MAX);
            return -1;
        }
        list->items[list->n++] = val;
        return 0;
    }
    case CLI_CHOICE:
        for (int i = 0; o->choices[i]; i++) {
            if (strcasecmp(o->choices[i], val) == 0) {
                *(int *)o->target = i;
                return 0;
            }
        }
        fprintf(stderr, "%s: %s must be one of", cmd, flag);
        for (int i = 0; o->choices[i]; i++)
            fprintf(stderr, "%s %s", i ? "," : "", o->choices[i]);
        fprintf(stderr, ", not '%s'\n", val);
        return -1;
    }
    fprintf(stderr, "%s: %s expects %s, not '%s'\n", cmd, flag, kind_expects(o), val);
    return -1;
}

static cli_option_t *find_long(cli_option_t *opts, const char *name, size_t len)
{
    for (cli_option_t *o = opts; o->name; o++)
        if (strlen(o->name) == len && strncmp(o->name, name, len) == 0) return o;
    return NULL;
}

static cli_option_t *find_short(cli_option_t *opts, char c)
{
    for (cli_option_t *o = opts; o->name; o++)
        if (o->short_name == c) return o;
    return NULL;
}

int cli_parse(const char *cmd, cli_option_t *opts, int argc, char **argv, cli_args_t *args)
{
    args->npositional = 0;
    args->rest = NULL;
    args->nrest = 0;
    args->help = 0;
    for (int i = 0; i < argc; i++) {
        char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            args->rest = argv + i + 1;
            args->nrest = argc - i - 1;
            return 0;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            args->help = 1;
            continue;
        }
        if (a[0] != '-' || a[1] == '\0') {
            args->positional[args->npositional++] = a;
            continue;
        }
        cli_option_t *o;
        char flag[96];
        const char *val = NULL;
        if (a[1] == '-') {
            const char *name = a + 2, *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            o = find_long(opts, name, len);
            snprintf(flag, sizeof flag, "--%.*s", (int)len, name);
            if (eq) val = eq + 1;
        } else {
            o = find_short(opts, a[1]);
            snprintf(flag, sizeof flag, "-%c", a[1]);
            if (a[2]) val = a + 2;
        }
        if (o) snprintf(flag, sizeof flag, "--%s", o->name); /* messages name the long form */
        if (!o) {
            fprintf(stderr, "%s: unknown flag %s (see %s --help)\n", cmd, flag, cmd);
            return -1;
        }
        if (o->kind == CLI_FLAG) {
            if (val) {
                fprintf(stderr, "%s: %s takes no value\n", cmd, flag);
                return -1;
            }
        } else if (!val) {
            if (i + 1 >= argc) {
                fprintf(stderr, "%s: %s needs %s\n", cmd, flag,
                        o->metavar ? o->metavar : "a value");
                return -1;
            }
            val = argv[++i];
        }
        if (set_value(cmd, o, flag, val) != 0) return -1;
        o->seen = 1;
        o->text = val;
    }
    return 0;
}

/* "--name=value" in a new string (NULL when memory runs out). */
static char *token(const char *name, const char *value)
{
    size_t n = strlen(name) + (value ? strlen(value) : 0) + 4;
    char *t = malloc(n);
    if (t) snprintf(t, n, value ? "--%s=%s" : "--%s", name, value);
    return t;
}

int cli_canonical(const cli_option_t *opts, char **out, int cap)
{
    int n = 0;
    for (const cli_option_t *o = opts; o->name; o++) {
        if (!o->seen) continue;
        if (o->kind == CLI_LIST) {
            const cli_list_t *list = o->target;
            for (size_t i = 0; i < list->n && n < cap; i++)
                out[n++] = token(o->name, list->items[i]);
        } else if (n < cap) {
            out[n++] = token(o->name, o->kind == CLI_FLAG ? NULL : o->text);
        }
    }
    return n;
}

void cli_print_options(FILE *out, const cli_option_t *opts)
{
    for (const cli_option_t *o = opts; o->name; o++) {
        char left[64];
        int n = 0;
        if (o->short_name)
            n = snprintf(left, sizeof left, "-%c, ", o->short_name);
        else
            n = snprintf(left, sizeof left, "    ");
        snprintf(left + n, sizeof left - (size_t)n, "--%s%s%s", o->name, o->metavar ? " " : "",
                 o->metavar ? o->metavar : "");
        fprintf(out, "  %-28s %s\n", left, o->help);
    }
}
