/* smoke-check.c - a few seconds of load against a server, and a verdict.
 *
 *     smoke-check [-d SECONDS] [-c CLIENTS] [--max-error-rate PCT]
 *                 [--max-p99 MS] [--persona NAME|PATH] URL
 *
 * Runs a persona (the built-in table persona unless told otherwise) against
 * URL, then prints one line, PASS or FAIL, and when it failed, one line per
 * reason. Exit status: 0 pass, 1 fail, 2 usage error or the run could not
 * start, 3 interrupted (SIGINT). See README.md in this folder.
 *
 * It judges the run from the report structure (throng_report()): the
 * numbers are right there, so the program can say by how much a limit was
 * missed. The engine's own thresholds (throng_add_threshold) would give the
 * same verdict and record it in the JSON report, but the report structure
 * only counts the thresholds that failed, not which.
 *
 * Only throng.h and the C library are used:
 *     cc smoke-check.c $(pkg-config --cflags --libs throng) -o smoke-check
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <throng.h>

enum { EXIT_PASS = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_INTERRUPTED = 3 };

/* ------------------------------------------------------------ SIGINT */

/* What the signal handler can reach. throng_stop() is async-signal-safe;
 * a signal that comes before the run has started is remembered in
 * `interrupted` and acted on once throng_start() has returned. */
static throng_engine_t *volatile running;
static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
    if (running) throng_stop(running);
}

static void catch_sigint(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sa.sa_flags = SA_RESETHAND; /* a second Ctrl-C ends the program at once */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
}

/* ------------------------------------------------------------ arguments */

typedef struct options {
    double duration; /* seconds */
    unsigned clients;
    double max_error_rate; /* percent */
    double max_p99;        /* milliseconds; < 0: no limit */
    const char *persona;   /* NULL: the built-in table persona */
    const char *url;
} options_t;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: smoke-check [-d TIME] [-c CLIENTS] [--max-error-rate PCT]\n"
            "                   [--max-p99 MS] [--persona NAME|PATH] URL\n"
            "\n"
            "Loads URL (host:port, [v6]:port or http://host:port/) for a few seconds and\n"
            "says whether it held up.\n"
            "\n"
            "  -d, --duration TIME       how long to run: 3 (seconds), 500ms, 2m (default 3s)\n"
            "  -c, --clients N           clients at once (default 4)\n"
            "  --max-error-rate PCT      most failed exchanges allowed, in percent of all\n"
            "                            (default 1)\n"
            "  --max-p99 MS              highest latency p99 allowed, in milliseconds\n"
            "                            (default: no limit)\n"
            "  --persona NAME|PATH       a built-in persona (table) or a persona script\n"
            "                            (a path with a / or ending in .lua); default table\n"
            "\n"
            "exit status: 0 pass, 1 a limit was exceeded (or nothing was answered),\n"
            "2 usage error or the run could not start, 3 interrupted.\n");
}

static int usage_error(const char *fmt, const char *what)
{
    fprintf(stderr, "smoke-check: ");
    fprintf(stderr, fmt, what);
    fprintf(stderr, "\nTry 'smoke-check --help'.\n");
    return -1;
}

/* A number in [min, max]; the whole text must be the number. */
static int parse_number(const char *flag, const char *text, double min, double max, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end != '\0' || !(v >= min && v <= max)) {
        fprintf(stderr, "smoke-check: %s wants a number from %g to %g, not '%s'\n", flag, min, max,
                text);
        return -1;
    }
    *out = v;
    return 0;
}

/* Is argv[*i] the flag (short or long), with its value as the next
 * argument or after '='? Sets *value, advancing *i past it. */
static int flag_is(int argc, char **argv, int *i, const char *shrt, const char *lng,
                   const char **value, int *missing)
{
    const char *a = argv[*i];
    size_t n = strlen(lng);
    if (strncmp(a, lng, n) == 0 && a[n] == '=') {
        *value = a + n + 1;
        return 1;
    }
    if (strcmp(a, lng) != 0 && !(shrt && strcmp(a, shrt) == 0)) return 0;
    if (*i + 1 >= argc) {
        *missing = 1;
        return 1;
    }
    *value = argv[++*i];
    return 1;
}

static int parse_args(int argc, char **argv, options_t *o)
{
    o->duration = 3;
    o->clients = 4;
    o->max_error_rate = 1;
    o->max_p99 = -1;
    o->persona = NULL;
    o->url = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        int missing = 0;
        double num;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            exit(EXIT_PASS);
        } else if (flag_is(argc, argv, &i, "-d", "--duration", &v, &missing)) {
            if (missing) return usage_error("%s needs a value", a);
            /* Durations as the throng command reads them: 3, 500ms, 1m, 1h. */
            if (throng_parse_duration(v, &o->duration) != 0 || o->duration < 0.1 ||
                o->duration > 3600) {
                fprintf(stderr,
                        "smoke-check: --duration wants a time from 0.1s to 1h (3, 500ms, 2m), "
                        "not '%s'\n",
                        v);
                return -1;
            }
        } else if (flag_is(argc, argv, &i, "-c", "--clients", &v, &missing)) {
            if (missing) return usage_error("%s needs a value", a);
            if (parse_number("--clients", v, 1, 100000, &num)) return -1;
            if (num != (unsigned)num)
                return usage_error("--clients wants a whole number, not %s", v);
            o->clients = (unsigned)num;
        } else if (flag_is(argc, argv, &i, NULL, "--max-error-rate", &v, &missing)) {
            if (missing) return usage_error("%s needs a value", a);
            if (parse_number("--max-error-rate", v, 0, 100, &o->max_error_rate)) return -1;
        } else if (flag_is(argc, argv, &i, NULL, "--max-p99", &v, &missing)) {
            if (missing) return usage_error("%s needs a value", a);
            if (parse_number("--max-p99", v, 0.001, 3600e3, &o->max_p99)) return -1;
        } else if (flag_is(argc, argv, &i, NULL, "--persona", &v, &missing)) {
            if (missing) return usage_error("%s needs a value", a);
            o->persona = v;
        } else if (a[0] == '-' && a[1] != '\0') {
            return usage_error("unknown flag %s", a);
        } else if (o->url) {
            return usage_error("one URL only; '%s' is one too many", a);
        } else {
            o->url = a;
        }
    }
    if (!o->url) return usage_error("%s", "which server? Give its URL, e.g. 127.0.0.1:5050");
    return 0;
}

/* A persona is a script when it looks like a path, else a built-in name. */
static int is_script(const char *persona)
{
    size_t n = strlen(persona);
    return strchr(persona, '/') || (n > 4 && strcmp(persona + n - 4, ".lua") == 0);
}

/* ------------------------------------------------------------- verdict */

/* The fault kind seen most often, with its sample message: the likeliest
 * reason for failures. -1 when there was none. */
static int main_fault(const throng_report_t *r)
{
    int worst = -1;
    for (int k = 0; k < THRONG_FAULT_KINDS; k++)
        if (k != THRONG_FAULT_BUSY && r->faults[k] &&
            (worst < 0 || r->faults[k] > r->faults[worst]))
            worst = k;
    return worst;
}

/* Prints the verdict line, then the reasons; returns the exit status. */
static int judge(const options_t *o, const throng_report_t *r)
{
    /* Failures over everything that was tried: the exchanges that got an
     * answer and the faults. This is what throng's "errors" threshold
     * measures too. */
    double tried = (double)(r->requests + r->failures);
    double error_rate = tried > 0 ? 100.0 * (double)r->failures / tried : 0;
    double p99_ms = r->latency.p99 * 1e3;
    int no_answer = r->requests == 0;
    int errors_over = error_rate > o->max_error_rate;
    int p99_over = o->max_p99 >= 0 && !no_answer && p99_ms > o->max_p99;
    int pass = !no_answer && !errors_over && !p99_over;

    char p99[32] = "-", p99_limit[48] = "no limit";
    if (!no_answer) snprintf(p99, sizeof p99, "%.3g ms", p99_ms);
    if (o->max_p99 >= 0) snprintf(p99_limit, sizeof p99_limit, "max %g ms", o->max_p99);
    printf("smoke-check: %s %s: %llu requests in %.1f s, error rate %.2f%% (max %g%%), "
           "p99 %s (%s)\n",
           pass ? "PASS" : "FAIL", o->url, (unsigned long long)r->requests, r->elapsed, error_rate,
           o->max_error_rate, p99, p99_limit);
    if (pass) return EXIT_PASS;

    int k = main_fault(r);
    if (no_answer)
        printf("  no request was answered%s%s\n", k >= 0 ? ": " : "",
               k >= 0 ? r->fault_sample[k] : "");
    if (errors_over) {
        printf("  error rate %.2f%% is over --max-error-rate %g%%", error_rate, o->max_error_rate);
        if (k >= 0)
            printf(" (%llu %s, e.g. %s)", (unsigned long long)r->faults[k],
                   throng_fault_name((throng_fault_t)k), r->fault_sample[k]);
        printf("\n");
    }
    if (p99_over) printf("  p99 %.3g ms is over --max-p99 %g ms\n", p99_ms, o->max_p99);
    return EXIT_FAIL;
}

/* ----------------------------------------------------------------- main */

int main(int argc, char **argv)
{
    options_t o;
    if (parse_args(argc, argv, &o) != 0) return EXIT_USAGE;

    throng_config_t config;
    throng_config_init(&config); /* every setting at its default */
    config.server = o.url;
    config.duration = o.duration;

    throng_group_t group;
    throng_group_init(&group);
    group.clients = o.clients;
    group.request_count = 10; /* ten exchanges per connection */
    group.slow_down = 0.1;    /* and a tenth of a second's rest between sessions */
    if (o.persona && is_script(o.persona))
        group.persona_path = o.persona;
    else
        group.persona = o.persona; /* NULL: the built-in table persona */

    throng_engine_t *engine = throng_engine_new(&config);
    if (!engine) {
        fprintf(stderr, "smoke-check: out of memory\n");
        return EXIT_USAGE;
    }
    int status = EXIT_USAGE;
    catch_sigint();
    /* Settings are checked here and in throng_start(): a bad URL, an unknown
     * persona or a script that does not load is refused before any load. */
    if (throng_add_group(engine, &group) != 0 || throng_start(engine) != 0) {
        fprintf(stderr, "smoke-check: %s\n", throng_errmsg(engine));
        goto done;
    }
    running = engine;
    if (interrupted) throng_stop(engine); /* Ctrl-C while it was starting */
    int rc = throng_wait(engine);         /* the run goes on in the engine's threads */
    signal(SIGINT, SIG_DFL);
    running = NULL;
    if (rc != 0) {
        fprintf(stderr, "smoke-check: %s\n", throng_errmsg(engine));
        goto done;
    }

    const throng_report_t *r = throng_report(engine);
    if (r->ending == THRONG_END_STOPPED) {
        printf("smoke-check: interrupted after %.1f s, %llu requests: no verdict\n", r->elapsed,
               (unsigned long long)r->requests);
        status = EXIT_INTERRUPTED;
    } else {
        status = judge(&o, r);
    }
done:
    throng_engine_free(engine);
    return status;
}
