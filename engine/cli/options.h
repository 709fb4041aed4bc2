/* options.h - the command line's flag tables: parsing and --help from one
 * description, so that the help always tells what the parser accepts. */
#ifndef THRONG_CLI_OPTIONS_H
#define THRONG_CLI_OPTIONS_H

#include <stdint.h>
#include <stdio.h>

typedef enum {
    CLI_FLAG,     /* no value; target is int, set to 1 */
    CLI_UINT,     /* unsigned with optional k/M suffix; target is unsigned, range min..max */
    CLI_U64,      /* like CLI_UINT; target is uint64_t */
    CLI_DURATION, /* throng_parse_duration(): "250ms", "30s", "1h30m", bare seconds; target is
                     double seconds */
    CLI_SHARE,    /* "0.1" or "10%"; target is double in 0..1 */
    CLI_STRING,   /* target is const char * (points into argv) */
    CLI_CHOICE,   /* one of choices; target is int, set to the index */
    CLI_LIST      /* may be given many times; target is cli_list_t */
} cli_kind_t;

#define CLI_LIST_MAX 64

/* The values of a flag given several times, in order (point into argv). */
typedef struct cli_list {
    const char *items[CLI_LIST_MAX];
    size_t n;
} cli_list_t;

typedef struct cli_option {
    const char *name; /* long name, without the dashes */
    char short_name;  /* 0 when none */
    cli_kind_t kind;
    void *target;
    const char *metavar;        /* the value's name in --help */
    const char *help;           /* one line */
    const char *const *choices; /* CLI_CHOICE: NULL-terminated */
    unsigned long long min, max;
    int seen;         /* set by the parser */
    const char *text; /* the value as given, last time (set by the parser) */
} cli_option_t;

/* The result of parsing: positionals in order, and what followed "--". */
typedef struct cli_args {
    char **positional;
    int npositional;
    char **rest; /* after "--" */
    int nrest;
    int help; /* -h/--help was given */
} cli_args_t;

/* Parses argv[0..argc) against opts (terminated by an entry with name NULL).
 * On a bad flag or value prints one line naming it to stderr, prefixed with
 * cmd, and returns -1. args->positional must hold argc entries. */
int cli_parse(const char *cmd, cli_option_t *opts, int argc, char **argv, cli_args_t *args);

/* The options seen, as "--name=value" (or "--name" for flags) tokens in
 * table order, every value of a CLI_LIST: a canonical spelling of what was
 * given. Returns how many were written into out (at most cap). */
int cli_canonical(const cli_option_t *opts, char **out, int cap);

/* Prints each option of the table as a --help line. */
void cli_print_options(FILE *out, const cli_option_t *opts);

/* 1 when a persona argument names a script (a path, or a name ending in
 * .lua) rather than a built-in persona. */
int cli_looks_like_path(const char *persona);

/* Value parsers, also used for values found outside flags. 0 on success.
 * (Durations: throng_parse_duration(), the library's one parser.) */
int cli_parse_share(const char *s, double *share);
int cli_parse_count(const char *s, unsigned long long *value);

#endif
