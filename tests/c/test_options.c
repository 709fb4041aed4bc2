/* test_options.c - the command line's value parsers (shares, counts,
 * durations through the library's parser) and the flag parser: every spelling of a flag and its
 * value, positionals, "--", --help, and one clear stderr line for each mistake.
 *
 * The flag parser belongs to the `throng` command, not to the library the
 * test links, so its source is compiled into this test directly. */
#include "options.c"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

static int near(double a, double b)
{
    return fabs(a - b) <= 1e-12 * (fabs(b) > 1 ? fabs(b) : 1);
}

static void test_share(void)
{
    double v = -1;
    CHECK_INT(cli_parse_share("0.1", &v), 0);
    CHECK(near(v, 0.1));
    CHECK_INT(cli_parse_share("10%", &v), 0);
    CHECK(near(v, 0.1));
    CHECK_INT(cli_parse_share("0", &v), 0);
    CHECK(v == 0);
    CHECK_INT(cli_parse_share("1", &v), 0);
    CHECK(v == 1);
    CHECK_INT(cli_parse_share("100%", &v), 0);
    CHECK(v == 1);
    v = 7;
    CHECK_INT(cli_parse_share("1.5", &v), -1);
    CHECK_INT(cli_parse_share("-0.1", &v), -1);
    CHECK_INT(cli_parse_share("50%%", &v), -1);
    CHECK_INT(cli_parse_share("101%", &v), -1);
    CHECK_INT(cli_parse_share("", &v), -1);
    CHECK_INT(cli_parse_share("half", &v), -1);
    CHECK_INT(cli_parse_share("nan", &v), -1);
    CHECK(v == 7);
}

static void test_count(void)
{
    unsigned long long v = 0;
    CHECK_INT(cli_parse_count("10", &v), 0);
    CHECK_INT(v, 10);
    CHECK_INT(cli_parse_count("10k", &v), 0);
    CHECK_INT(v, 10000);
    CHECK_INT(cli_parse_count("10K", &v), 0);
    CHECK_INT(v, 10000);
    CHECK_INT(cli_parse_count("2M", &v), 0);
    CHECK_INT(v, 2000000);
    CHECK_INT(cli_parse_count("0", &v), 0);
    CHECK_INT(v, 0);
    CHECK_INT(cli_parse_count("18446744073709551615", &v), 0);
    CHECK(v == 18446744073709551615ULL);
    v = 77;
    CHECK_INT(cli_parse_count("-1", &v), -1);
    CHECK_INT(cli_parse_count("1.5", &v), -1);
    CHECK_INT(cli_parse_count("", &v), -1);
    CHECK_INT(cli_parse_count("k", &v), -1);
    CHECK_INT(cli_parse_count("10kk", &v), -1);
    CHECK_INT(cli_parse_count("10x", &v), -1);
    CHECK_INT(cli_parse_count("99999999999999999999", &v), -1);
    CHECK_INT(cli_parse_count("18446744073709551615k", &v), -1);
    CHECK_INT(cli_parse_count("18446744073709552M", &v), -1);
    CHECK_INT(v, 77);
}

/* ------------------------------------------------------------ cli_parse */

/* The settings a small command takes. */
typedef struct settings {
    int verbose;
    unsigned clients;
    uint64_t requests;
    double duration, busy;
    const char *server;
    int fault;
} settings_t;

static const char *const fault_choices[] = {"drop", "restart", NULL};

static settings_t set;
static cli_option_t opts[] = {
    {"verbose", 'v', CLI_FLAG, &set.verbose, NULL, "say more", NULL, 0, 0, 0},
    {"clients", 'c', CLI_UINT, &set.clients, "N", "clients", NULL, 1, 1000, 0},
    {"requests", 'n', CLI_U64, &set.requests, "N", "requests", NULL, 0, 0, 0},
    {"duration", 'd', CLI_DURATION, &set.duration, "TIME", "duration", NULL, 0, 0, 0},
    {"busy", 0, CLI_SHARE, &set.busy, "SHARE", "busy share", NULL, 0, 0, 0},
    {"server", 's', CLI_STRING, &set.server, "ADDR", "server", NULL, 0, 0, 0},
    {"on-fault", 0, CLI_CHOICE, &set.fault, "WHAT", "on fault", fault_choices, 0, 0, 0},
    {NULL, 0, 0, NULL, NULL, NULL, NULL, 0, 0, 0},
};

static char errline[512];
static char *positional[32];

/* Parses a NULL-terminated list of words with fresh settings, capturing
 * what the parser writes to stderr in errline. */
static int parse_words(cli_args_t *args, const char *const *words)
{
    char *argv[32];
    int argc = 0;
    while (words[argc]) {
        argv[argc] = (char *)words[argc];
        argc++;
    }
    memset(&set, 0, sizeof set);
    for (cli_option_t *o = opts; o->name; o++)
        o->seen = 0;
    memset(args, 0, sizeof *args);
    args->positional = positional;

    FILE *tmp = tmpfile();
    if (!tmp) {
        CHECK(!"tmpfile");
        return -2;
    }
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    dup2(fileno(tmp), STDERR_FILENO);
    int rc = cli_parse("throng run", opts, argc, argv, args);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    rewind(tmp);
    size_t n = fread(errline, 1, sizeof errline - 1, tmp);
    errline[n] = '\0';
    fclose(tmp);
    return rc;
}

#define PARSE(args, ...) parse_words(args, (const char *const[]){__VA_ARGS__, NULL})

static void test_values(void)
{
    cli_args_t a;
    CHECK_INT(PARSE(&a, "--clients=10", "--duration", "250ms", "--busy=10%", "-s", "h:1", "-v"), 0);
    CHECK_INT(set.clients, 10);
    CHECK(near(set.duration, 0.25));
    CHECK(near(set.busy, 0.1));
    CHECK_STR(set.server, "h:1");
    CHECK_INT(set.verbose, 1);
    CHECK_INT(opts[1].seen, 1);
    CHECK_INT(opts[2].seen, 0);
    CHECK_STR(errline, "");
    CHECK_INT(a.npositional, 0);
    CHECK_INT(a.help, 0);

    CHECK_INT(PARSE(&a, "--clients", "10"), 0);
    CHECK_INT(set.clients, 10);
    CHECK_INT(PARSE(&a, "-c10"), 0);
    CHECK_INT(set.clients, 10);
    CHECK_INT(PARSE(&a, "-c", "10"), 0);
    CHECK_INT(set.clients, 10);
    CHECK_INT(PARSE(&a, "-c2k", "-n", "5M"), -1); /* 2000 is over the range */
    CHECK_INT(PARSE(&a, "-n", "5M", "-d5m"), 0);
    CHECK_INT(set.requests, 5000000);
    CHECK(near(set.duration, 300));
    /* The last of a repeated flag wins. */
    CHECK_INT(PARSE(&a, "-c", "3", "--clients=4"), 0);
    CHECK_INT(set.clients, 4);
    /* A string value may start with a dash when it follows the flag. */
    CHECK_INT(PARSE(&a, "--server", "-weird-"), 0);
    CHECK_STR(set.server, "-weird-");
}

static void test_mistakes(void)
{
    cli_args_t a;
    CHECK_INT(PARSE(&a, "-c", "5", "--bogus=3"), -1);
    CHECK(strstr(errline, "--bogus") != NULL);
    CHECK(strstr(errline, "throng run") != NULL);
    CHECK(strchr(errline, '\n') == errline + strlen(errline) - 1); /* one line */

    CHECK_INT(PARSE(&a, "-x"), -1);
    CHECK(strstr(errline, "-x") != NULL);

    CHECK_INT(PARSE(&a, "--clients"), -1);
    CHECK(strstr(errline, "--clients") != NULL);
    CHECK_INT(PARSE(&a, "-c"), -1);
    CHECK(strstr(errline, "-c") != NULL);

    CHECK_INT(PARSE(&a, "--clients=0"), -1);
    CHECK(strstr(errline, "--clients") != NULL && strstr(errline, "1000") != NULL);
    CHECK_INT(PARSE(&a, "-c", "1001"), -1);
    CHECK(strstr(errline, "1001") != NULL);
    CHECK_INT(PARSE(&a, "-c", "ten"), -1);
    CHECK(strstr(errline, "ten") != NULL);
    CHECK_INT(PARSE(&a, "--duration=10x"), -1);
    CHECK(strstr(errline, "--duration") != NULL && strstr(errline, "10x") != NULL);
    CHECK_INT(PARSE(&a, "--busy", "2"), -1);
    CHECK(strstr(errline, "--busy") != NULL);
    CHECK_INT(PARSE(&a, "--verbose=yes"), -1);
    CHECK(strstr(errline, "--verbose") != NULL);
}

static void test_choices(void)
{
    cli_args_t a;
    CHECK_INT(PARSE(&a, "--on-fault=restart"), 0);
    CHECK_INT(set.fault, 1);
    CHECK_INT(PARSE(&a, "--on-fault", "RESTART"), 0);
    CHECK_INT(set.fault, 1);
    CHECK_INT(PARSE(&a, "--on-fault", "Drop"), 0);
    CHECK_INT(set.fault, 0);
    CHECK_INT(PARSE(&a, "--on-fault=retry"), -1);
    CHECK(strstr(errline, "retry") != NULL && strstr(errline, "drop") != NULL &&
          strstr(errline, "restart") != NULL);
}

static void test_positionals_and_rest(void)
{
    cli_args_t a;
    CHECK_INT(PARSE(&a, "script.lua", "-c", "2", "other", "-", "--", "-c", "9", "key=value"), 0);
    CHECK_INT(set.clients, 2);
    CHECK_INT(a.npositional, 3);
    if (a.npositional == 3) {
        CHECK_STR(a.positional[0], "script.lua");
        CHECK_STR(a.positional[1], "other");
        CHECK_STR(a.positional[2], "-"); /* stdin, as usual */
    }
    CHECK_INT(a.nrest, 3);
    if (a.nrest == 3) {
        CHECK_STR(a.rest[0], "-c");
        CHECK_STR(a.rest[1], "9");
        CHECK_STR(a.rest[2], "key=value");
    }

    CHECK_INT(PARSE(&a, "x", "--"), 0);
    CHECK_INT(a.npositional, 1);
    CHECK_INT(a.nrest, 0);
    CHECK_INT(PARSE(&a, "x"), 0);
    CHECK_INT(a.nrest, 0);
}

static void test_help(void)
{
    cli_args_t a;
    CHECK_INT(PARSE(&a, "-h"), 0);
    CHECK_INT(a.help, 1);
    CHECK_INT(PARSE(&a, "run.lua", "--help"), 0);
    CHECK_INT(a.help, 1);
    CHECK_INT(PARSE(&a, "run.lua"), 0);
    CHECK_INT(a.help, 0);
    CHECK_INT(PARSE(&a, "--", "-h"), 0);
    CHECK_INT(a.help, 0);

    /* --help lists every flag the parser knows, with its short name. */
    FILE *out = tmpfile();
    if (!out) return;
    cli_print_options(out, opts);
    rewind(out);
    char text[4096];
    size_t n = fread(text, 1, sizeof text - 1, out);
    text[n] = '\0';
    fclose(out);
    for (cli_option_t *o = opts; o->name; o++) {
        char flag[64];
        snprintf(flag, sizeof flag, "--%s", o->name);
        CHECK(strstr(text, flag) != NULL);
        CHECK(strstr(text, o->help) != NULL);
    }
    CHECK(strstr(text, "-c, --clients N") != NULL);
}

/* A duration flag reads what throng_parse_duration() reads (tested on its
 * own in test_duration.c), hours and compounds among it. */
static void test_duration_flag(void)
{
    cli_args_t a;
    CHECK_INT(PARSE(&a, "-d", "1h30m"), 0);
    CHECK(near(set.duration, 5400));
    CHECK_INT(PARSE(&a, "--duration=2h"), 0);
    CHECK(near(set.duration, 7200));
    CHECK_INT(PARSE(&a, "-d", "1.5"), 0);
    CHECK(near(set.duration, 1.5));
    CHECK_INT(PARSE(&a, "-d", "-1s"), -1);
    CHECK(strstr(errline, "1h30m") != NULL); /* the message shows what is accepted */
}

int main(void)
{
    test_duration_flag();
    test_share();
    test_count();
    test_values();
    test_mistakes();
    test_choices();
    test_positionals_and_rest();
    test_help();
    return check_result("test_options");
}
