/* cmd_wrk.c - `throng wrk`: wrk's command line, wrk's scripts and wrk's
 * report layout on throng's engine, through throng.h's throng_wrk_* (the
 * script's control state, engine/src/lua/wrk_script.c): each wrk thread is
 * a group of the built-in wrk persona (lua/throng/personas/wrk.lua) with
 * one worker thread and its share of the connections; setup and done run
 * in the control state, as wrk runs them in its main thread. The figures
 * come from the public report (throng_wrk_figures). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "log.h"
#include "options.h"
#include "run_engine.h"
#include "throng.h"

#define CMD "throng wrk"

/* Everything the flags say. */
typedef struct wrk_flags {
    unsigned connections, threads;
    double duration, timeout;
    const char *script, *json_file, *html_file;
    cli_list_t headers;
    int latency, version;
    const char *url;
    char **script_args; /* after the URL, or after "--" */
    int nscript_args;
} wrk_flags_t;

static void usage(FILE *out, const cli_option_t *opts)
{
    fprintf(out, "usage: throng wrk <options> <url> [-- script args]\n"
                 "\n"
                 "wrk's command line on throng's engine: -t threads in one process, -c\n"
                 "connections in all spread over them, each keeping one connection and asking\n"
                 "again as soon as it is answered, for -d. A wrk script (-s) runs unchanged:\n"
                 "the global wrk table (scheme, host, port, method, path, headers, body,\n"
                 "format, lookup, connect) and the hooks setup(thread), init(args), delay(),\n"
                 "request(), response(status, headers, body) and done(summary, latency,\n"
                 "requests), one script instance per thread (docs/from-wrk.md). The report\n"
                 "has wrk's layout; a request that timed out is counted as a timeout and its\n"
                 "wait is in the latency figures; a script error is counted (Script errors)\n"
                 "with its file and line instead of ending the run. --json and --html write\n"
                 "throng's full report.\n"
                 "\n"
                 "flags:\n");
    cli_print_options(out, opts);
    fprintf(out, "\n"
                 "exit status: 0 the run ended, 1 a script error was counted, 2 usage error\n"
                 "(nothing ran), 3 stopped by SIGINT or SIGTERM, 6 a report could not be\n"
                 "written.\n");
}

static int usage_error(const char *fmt, const char *value)
{
    fprintf(stderr, CMD ": ");
    fprintf(stderr, fmt, value);
    fputc('\n', stderr);
    return CLI_EXIT_USAGE;
}

/* ------------------------------------------------------------- wrk's units */

/* wrk's units.c: n scaled by scale while at least 0.85 of it, never to the
 * last unit of the list. */
static void format_units(char *out, size_t cap, double n, int scale, const char *base,
                         const char *const *units, int prec)
{
    const char *unit = base;
    for (int i = 0; units[i + 1] && n >= scale * 0.85; i++) {
        n /= scale;
        unit = units[i];
    }
    snprintf(out, cap, "%.*f%s", prec, n, unit);
}

static void format_time_us(char *out, size_t cap, double us)
{
    static const char *const ms[] = {"ms", "s", NULL}, *const m[] = {"m", "h", NULL};
    if (us >= 1e6)
        format_units(out, cap, us / 1e6, 60, "s", m, 2);
    else
        format_units(out, cap, us, 1000, "us", ms, 2);
}

static void format_time_s(char *out, size_t cap, double s)
{
    static const char *const m[] = {"m", "h", NULL};
    format_units(out, cap, s, 60, "s", m, 0);
}

static void format_binary(char *out, size_t cap, double n)
{
    static const char *const u[] = {"K", "M", "G", "T", "P", NULL};
    format_units(out, cap, n, 1024, "", u, 2);
}

static void format_metric(char *out, size_t cap, double n)
{
    static const char *const u[] = {"k", "M", "G", "T", "P", NULL};
    format_units(out, cap, n, 1000, "", u, 2);
}

/* wrk's print_units: right-aligned in width, padded so units line up. */
static void print_units(double n, void (*fmt)(char *, size_t, double), int width)
{
    char msg[64];
    fmt(msg, sizeof msg, n);
    int len = (int)strlen(msg), pad = 2;
    if (len > 0 && ((msg[len - 1] >= 'a' && msg[len - 1] <= 'z') ||
                    (msg[len - 1] >= 'A' && msg[len - 1] <= 'Z')))
        pad--;
    if (len > 1 && ((msg[len - 2] >= 'a' && msg[len - 2] <= 'z') ||
                    (msg[len - 2] >= 'A' && msg[len - 2] <= 'Z')))
        pad--;
    width -= pad;
    printf("%*.*s%.*s", width, width, msg, pad, "  ");
}

/* ------------------------------------------------------- the run's figures */

static void print_stats(const char *name, const throng_wrk_stats_t *s,
                        void (*fmt)(char *, size_t, double))
{
    printf("    %-10s", name);
    print_units(s->mean, fmt, 8);
    print_units(s->stdev, fmt, 10);
    print_units(s->max, fmt, 9);
    printf("%8.2f%%\n", s->within);
}

static void print_report(const wrk_flags_t *f, const throng_wrk_t *w,
                         const throng_wrk_figures_t *sum)
{
    char a[64], b[64];
    printf("  Thread Stats%6s%11s%8s%12s\n", "Avg", "Stdev", "Max", "+/- Stdev");
    print_stats("Latency", &sum->latency, format_time_us);
    print_stats("Req/Sec", &sum->rate, format_metric);
    if (f->latency) {
        static const double ps[] = {50, 75, 90, 99};
        printf("  Latency Distribution\n");
        for (size_t i = 0; i < 4; i++) {
            printf("%7.0f%%", ps[i]);
            print_units(throng_wrk_percentile(w, ps[i]), format_time_us, 10);
            printf("\n");
        }
    }
    format_time_us(a, sizeof a, sum->elapsed * 1e6);
    format_binary(b, sizeof b, (double)sum->bytes);
    printf("  %llu requests in %s, %sB read\n", (unsigned long long)sum->requests, a, b);
    if (sum->connect || sum->read || sum->write || sum->timeout)
        printf("  Socket errors: connect %llu, read %llu, write %llu, timeout %llu\n",
               (unsigned long long)sum->connect, (unsigned long long)sum->read,
               (unsigned long long)sum->write, (unsigned long long)sum->timeout);
    if (sum->status) printf("  Non-2xx or 3xx responses: %llu\n", (unsigned long long)sum->status);
    if (sum->timeout)
        printf("  Timeouts in latency: %llu requests timed out, their waits are in the "
               "figures above\n",
               (unsigned long long)sum->timeout);
    if (sum->script_errors)
        printf("  Script errors: %llu, first: %s\n", (unsigned long long)sum->script_errors,
               sum->script_sample ? sum->script_sample : "");
    double secs = sum->elapsed > 0 ? sum->elapsed : 1;
    printf("Requests/sec: %9.2f\n", (double)sum->requests / secs);
    format_binary(a, sizeof a, (double)sum->bytes / secs);
    printf("Transfer/sec: %10sB\n", a);
}

/* ------------------------------------------------------------------ run */
static throng_engine_t *running;

static void on_signal(int sig)
{
    (void)sig;
    if (running) throng_stop(running);
}

/* -H values joined by newlines, checked. NULL after printing why. */
static char *join_headers(const cli_list_t *h)
{
    size_t len = 1;
    for (size_t i = 0; i < h->n; i++) {
        if (strchr(h->items[i], '\n') || strchr(h->items[i], '\r') || !strchr(h->items[i], ':') ||
            h->items[i][0] == ':') {
            usage_error("-H '%s' is not of the form 'Name: value'", h->items[i]);
            return NULL;
        }
        len += strlen(h->items[i]) + 1;
    }
    char *s = malloc(len), *p = s;
    if (!s) return NULL;
    *p = '\0';
    for (size_t i = 0; i < h->n; i++)
        p += sprintf(p, "%s%s", i ? "\n" : "", h->items[i]);
    return s;
}

static void log_line(throng_log_level_t level, uint64_t client, const char *msg, void *data)
{
    (void)client, (void)data;
    static const char *const names[] = {"error", "warn", "info", "debug", "trace"};
    cli_stderr_printf(CMD ": %s: %s\n", names[level], msg);
}

/* Runs the load; prints wrk's report; calls done. */
static int run(const wrk_flags_t *f, const throng_url_t *u, const char *headers)
{
    int status = CLI_EXIT_USAGE;
    unsigned nt = f->threads;
    throng_engine_t *e = NULL;
    throng_wrk_t *w = NULL;
    char *json = NULL, err[1024];

    if (throng_wrk_open(f->script, f->url, headers, (const char *const *)f->script_args,
                        (size_t)f->nscript_args, &w, err, sizeof err) != 0) {
        fprintf(stderr, CMD ": %s\n", err);
        goto done;
    }
    if (throng_wrk_setup(w, nt) != 0) {
        fprintf(stderr, CMD ": %s\n", throng_wrk_errmsg(w));
        goto done;
    }

    throng_config_t cfg;
    throng_config_init(&cfg);
    cfg.server = u->origin;
    cfg.duration = f->duration;
    cfg.timeout = f->timeout;
    cfg.connect_timeout = f->timeout > 5 ? f->timeout : 5;
    cfg.raise_fd_limit = 1;
    cfg.on_fault = THRONG_ON_FAULT_RESTART; /* as wrk reconnects after an error */
    cfg.insecure = 1;                       /* wrk verifies no certificate */
    cfg.log = log_line;
    cfg.log_level = THRONG_LOG_WARN;
    e = throng_engine_new(&cfg);
    if (!e) goto done;
    for (unsigned i = 0; i < nt; i++) {
        throng_group_t g;
        throng_group_init(&g);
        g.clients = f->connections / nt + (i < f->connections % nt);
        g.threads = 1;
        g.request_count = THRONG_MAX_REQUEST_COUNT;
        g.slow_down = 0;
        if (throng_wrk_add_group(w, e, i, &g) != 0) {
            fprintf(stderr, CMD ": %s\n", throng_wrk_errmsg(w));
            goto done;
        }
    }

    char t[64];
    format_time_s(t, sizeof t, f->duration);
    printf("Running %s test @ %s\n", t, f->url);
    printf("  %u threads and %u connections\n", nt, f->connections);
    fflush(stdout);
    running = e;
    struct sigaction sa = {.sa_handler = on_signal}, old_int, old_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    int rc = throng_start(e);
    if (rc == 0) rc = throng_wait(e);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    running = NULL;
    if (rc != 0) {
        fprintf(stderr, CMD ": %s\n", throng_errmsg(e));
        goto done;
    }
    const throng_report_t *r = throng_report(e);
    throng_wrk_figures_t sum;
    if (!r || throng_wrk_figures(w, e, &sum) != 0) {
        fprintf(stderr, CMD ": no report: %s\n", throng_wrk_errmsg(w));
        status = CLI_EXIT_FAULTS;
        goto done;
    }
    print_report(f, w, &sum);
    printf("throng's full report: --json FILE or --html FILE%s%s%s%s%s\n",
           f->json_file || f->html_file ? " (written to " : "", f->json_file ? f->json_file : "",
           f->json_file && f->html_file ? ", " : "", f->html_file ? f->html_file : "",
           f->json_file || f->html_file ? ")" : "");
    status = r->ending == THRONG_END_STOPPED ? CLI_EXIT_ABORTED
             : sum.script_errors             ? CLI_EXIT_FAULTS
                                             : CLI_EXIT_OK;
    if ((f->json_file || f->html_file) && throng_report_json(e, &json) != 0) {
        fprintf(stderr, CMD ": no report: %s\n", throng_errmsg(e));
        status = CLI_EXIT_WRITE;
    }
    if (json && f->json_file && cli_write_file(CMD, "--json", f->json_file, json) != 0)
        status = CLI_EXIT_WRITE;
    if (json && f->html_file) {
        char *html = NULL;
        if (throng_render(json, strlen(json), THRONG_RENDER_HTML, THRONG_TEXT_LATENCY, &html, err,
                          sizeof err) != 0 ||
            cli_write_file(CMD, "--html", f->html_file, html) != 0)
            status = CLI_EXIT_WRITE;
        throng_free(html);
    }
    if (throng_wrk_done(w, e) != 0) {
        fflush(stdout);
        fprintf(stderr, CMD ": %s\n", throng_wrk_errmsg(w));
        if (status == CLI_EXIT_OK) status = CLI_EXIT_FAULTS;
    }
done:
    throng_free(json);
    throng_engine_free(e);
    throng_wrk_close(w);
    return status;
}

int cmd_wrk(int argc, char **argv)
{
    wrk_flags_t f = {.connections = 10, .threads = 2, .duration = 10, .timeout = 2};
    cli_option_t opts[] = {
        {"connections", 'c', CLI_UINT, &f.connections, "N",
         "connections to keep open, in all (default 10)", NULL, 1, THRONG_MAX_CLIENTS},
        {"duration", 'd', CLI_DURATION, &f.duration, "TIME",
         "duration of the test: 30s, 2m (default 10s)"},
        {"threads", 't', CLI_UINT, &f.threads, "N", "number of threads to use (default 2)", NULL, 1,
         THRONG_MAX_THREADS},
        {"script", 's', CLI_STRING, &f.script, "FILE", "load a wrk Lua script file"},
        {"header", 'H', CLI_LIST, &f.headers, "HEADER",
         "add a header to the request: 'Name: value'"},
        {"latency", 0, CLI_FLAG, &f.latency, NULL, "print the latency distribution"},
        {"timeout", 0, CLI_DURATION, &f.timeout, "TIME",
         "socket/request timeout (default 2s); timed-out requests are reported as timeouts"},
        {"json", 0, CLI_STRING, &f.json_file, "FILE", "write throng's whole report as JSON"},
        {"html", 0, CLI_STRING, &f.html_file, "FILE", "write throng's report as an HTML page"},
        {"version", 'v', CLI_FLAG, &f.version, NULL, "print version details"},
        {NULL},
    };
    char **positional = calloc((size_t)argc + 1, sizeof *positional);
    cli_args_t args = {.positional = positional};
    int status = CLI_EXIT_USAGE;
    char *headers = NULL;
    if (!positional || cli_parse(CMD, opts, argc, argv, &args) != 0) goto out;
    if (args.help) {
        usage(stdout, opts);
        status = CLI_EXIT_OK;
        goto out;
    }
    if (f.version) {
        printf("throng wrk %s: wrk's command line and Lua API on throng's engine\n",
               throng_version());
        status = CLI_EXIT_OK;
        goto out;
    }
    if (args.npositional < 1) {
        usage(stderr, opts);
        goto out;
    }
    f.url = args.positional[0];
    /* Script arguments: the words after the URL, then those after "--". */
    f.script_args = calloc((size_t)argc + 1, sizeof *f.script_args);
    if (!f.script_args) goto out;
    for (int i = 1; i < args.npositional; i++)
        f.script_args[f.nscript_args++] = args.positional[i];
    for (int i = 0; i < args.nrest; i++)
        f.script_args[f.nscript_args++] = args.rest[i];
    throng_url_t u;
    char err[512];
    if (!strstr(f.url, "://") || throng_parse_url(f.url, &u, err, sizeof err) != 0) {
        status = usage_error("invalid URL: %s", f.url);
        goto out;
    }
    if (f.connections < f.threads) {
        status = usage_error("number of connections must be >= threads%s", "");
        goto out;
    }
    if (!(f.duration > 0)) {
        status = usage_error("-d/--duration must be more than 0%s", "");
        goto out;
    }
    if (!(f.timeout > 0)) {
        status = usage_error("--timeout must be more than 0%s", "");
        goto out;
    }
    if (f.script && access(f.script, R_OK) != 0) {
        fprintf(stderr, CMD ": %s: %s\n", f.script, strerror(errno));
        goto out;
    }
    headers = join_headers(&f.headers);
    if (!headers) goto out;
    status = run(&f, &u, headers);
out:
    free(headers);
    free(f.script_args);
    free(positional);
    return status;
}
