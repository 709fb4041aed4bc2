/* cmd_home.c - the home's commands: create, add, update, start, status,
 * log, stop; and the group reports `throng report NAME` prints. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "home.h"
#include "options.h"
#include "supervisor.h"
#include "throng.h"

/* The layer-cake testing clients' programs name no persona: they run the
 * table-request client, shaped by their flags. */
static const char *persona_of(const char *given, char *abs, size_t len)
{
    static const char *const described[] = {"clients_as_threads", "clients_as_processes",
                                            "connect_and_request"};
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(described[i]);
        if (!strncmp(given, described[i], n) && (!given[n] || !strcmp(given + n, ".py")))
            return "table";
    }
    if (!cli_looks_like_path(given)) return given;
    return realpath(given, abs) ? abs : given; /* the supervisor runs from elsewhere */
}

/* A group's default name: its persona's file name without the extension. */
static void default_name(const char *persona, char *name, size_t len)
{
    const char *base = strrchr(persona, '/');
    base = base ? base + 1 : persona;
    snprintf(name, len, "%.*s", (int)strcspn(base, "."), base);
}

/* The flag tokens (starting with '-') have the same flag as a new one. */
static int same_flag(const char *a, const char *b)
{
    size_t na = strcspn(a, "="), nb = strcspn(b, "=");
    return na == nb && !strncmp(a, b, na);
}

/* ----------------------------------------------------------------- add */

static int add(const home_t *h, int argc, char **argv)
{
    if (argc < 1 || argv[0][0] == '-') {
        fprintf(stderr, "throng add: give a persona: throng add PERSONA [NAME] [flags]\n");
        return CLI_EXIT_USAGE;
    }
    char abs[PATH_MAX], name[HOME_NAME_MAX], p[PATH_MAX];
    const char *persona = persona_of(argv[0], abs, sizeof abs);
    int rest = 1;
    if (argc > 1 && argv[1][0] != '-') {
        snprintf(name, sizeof name, "%s", argv[1]);
        rest = 2;
    } else {
        default_name(argv[0], name, sizeof name);
    }
    if (!home_valid_name(name)) {
        fprintf(stderr, "throng add: '%s' is not a group name (letters, digits, - and _)\n", name);
        return CLI_EXIT_USAGE;
    }
    struct stat st;
    if (stat(home_path(h, p, sizeof p, "groups/%s", name), &st) == 0) {
        fprintf(stderr, "throng add: a group named %s exists already (see throng update)\n", name);
        return CLI_EXIT_USAGE;
    }
    char *args[CLI_RUN_TOKENS_MAX];
    int n = 0;
    args[n++] = (char *)persona;
    for (int i = rest; i < argc && n < CLI_RUN_TOKENS_MAX; i++)
        args[n++] = argv[i];
    cli_run_canon_t canon;
    if (cli_run_canonical("throng add", n, args, &canon) != CLI_EXIT_OK) {
        cli_run_canon_free(&canon);
        return CLI_EXIT_USAGE;
    }
    int rc = home_write_group(h, name, canon.tokens, canon.ntokens);
    cli_run_canon_free(&canon);
    if (rc == 0) printf("added %s: %s\n", name, persona);
    return rc == 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}

/* -------------------------------------------------------------- update */

/* The group's tokens with new flags and persona arguments in place of old
 * ones of the same name. */
static int merge_tokens(char **old, int nold, char **add_tokens, int nadd, char **out, int cap)
{
    int n = 0, i;
    /* flags before "--" */
    for (i = 0; i < nold && strcmp(old[i], "--") && n < cap; i++) {
        int replaced = 0;
        for (int j = 0; j < nadd && strcmp(add_tokens[j], "--"); j++)
            replaced |= old[i][0] == '-' && same_flag(old[i], add_tokens[j]);
        if (!replaced) out[n++] = old[i];
    }
    int j;
    for (j = 0; j < nadd && strcmp(add_tokens[j], "--") && n < cap; j++)
        out[n++] = add_tokens[j];
    /* persona arguments, key=value */
    int old_rest = i < nold, new_rest = j < nadd;
    if ((old_rest || new_rest) && n < cap) out[n++] = "--";
    for (int k = i + 1; old_rest && k < nold && n < cap; k++) {
        int replaced = 0;
        for (int m = j + 1; new_rest && m < nadd; m++)
            replaced |= same_flag(old[k], add_tokens[m]);
        if (!replaced) out[n++] = old[k];
    }
    for (int m = j + 1; new_rest && m < nadd && n < cap; m++)
        out[n++] = add_tokens[m];
    return n;
}

static int update(const home_t *h, int argc, char **argv)
{
    if (argc < 1 || argv[0][0] == '-') {
        fprintf(stderr, "throng update: give a group: throng update NAME --flag=value ...\n");
        return CLI_EXIT_USAGE;
    }
    const char *name = argv[0];
    char *old[CLI_RUN_TOKENS_MAX], *merged[2 * CLI_RUN_TOKENS_MAX];
    int nold = home_read_group(h, name, old, CLI_RUN_TOKENS_MAX);
    if (nold < 0) {
        fprintf(stderr, "throng update: no group named %s (see throng status)\n", name);
        return CLI_EXIT_USAGE;
    }
    /* The new flags, spelled as the stored ones are. */
    cli_run_canon_t fresh, checked;
    int status = CLI_EXIT_USAGE;
    if (cli_run_canonical("throng update", argc - 1, argv + 1, &fresh) != CLI_EXIT_OK) {
        cli_run_canon_free(&fresh);
        goto done_old;
    }
    int n = merge_tokens(old, nold, fresh.tokens, fresh.ntokens, merged, 2 * CLI_RUN_TOKENS_MAX);
    /* Checked whole, as the group will run. */
    if (cli_run_canonical("throng update", n, merged, &checked) == CLI_EXIT_OK &&
        home_write_group(h, name, checked.tokens, checked.ntokens) == 0) {
        printf("updated %s\n", name);
        status = CLI_EXIT_OK;
    }
    cli_run_canon_free(&checked);
    cli_run_canon_free(&fresh);
done_old:
    home_free_tokens(old, nold);
    return status;
}

/* -------------------------------------------------------------- status */

/* A number after "key": in a line of JSON, or -1. */
static double json_number(const char *line, const char *key)
{
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    const char *p = strstr(line, pattern);
    return p ? atof(p + strlen(pattern)) : -1;
}

static void fmt_uptime(char *buf, size_t len, double s)
{
    if (s < 60)
        snprintf(buf, len, "%.0fs", s);
    else if (s < 3600)
        snprintf(buf, len, "%.0fm", s / 60);
    else if (s < 86400)
        snprintf(buf, len, "%.0fh", s / 3600);
    else
        snprintf(buf, len, "%.0fd", s / 86400);
}

/* The first line of a home's file, without its newline ("" when none). */
static void read_line(const home_t *h, char *line, size_t len, const char *fmt, const char *name)
{
    char p[PATH_MAX];
    line[0] = '\0';
    FILE *f = home_fopen_read(home_path(h, p, sizeof p, fmt, name));
    if (!f) return;
    if (!fgets(line, (int)len, f)) line[0] = '\0';
    fclose(f);
    line[strcspn(line, "\n")] = '\0';
}

/* A group with no process of its own running now: what the supervisor
 * says of it (state/NAME.proc, written by supervisor.c): starting, waiting
 * to restart, or stopped and why. sup is the supervisor's pid, or 0, or
 * HOME_STARTING. */
static void group_not_running(const char *name, pid_t sup, const char *state)
{
    long pid = 0, at = 0;
    int used = 0;
    if (sup == HOME_STARTING || (sup && !strcmp(state, "starting"))) {
        printf("%-16s starting\n", name);
    } else if (sup && sscanf(state, "running %ld", &pid) == 1 && pid > 0 &&
               kill((pid_t)pid, 0) == 0) {
        printf("%-16s starting <%ld>\n", name, pid); /* it has not said its figures yet */
    } else if (sup && sscanf(state, "restarting %ld %n", &at, &used) == 1 && used > 0) {
        long left = at - (long)time(NULL);
        printf("%-16s stopped, restarting in %lds: %s\n", name, left > 0 ? left : 0, state + used);
    } else if (!strncmp(state, "stopped", 7)) {
        printf("%-16s stopped%s\n", name, state + 7);
    } else if (!strncmp(state, "restarting ", 11) &&
               sscanf(state, "restarting %ld %n", &at, &used) == 1) {
        printf("%-16s stopped: %s\n", name, state + used);
    } else {
        printf("%-16s stopped\n", name);
    }
}

static void group_status(const home_t *h, const char *name, pid_t sup, int longer)
{
    char line[512], state[1200];
    read_line(h, line, sizeof line, "state/%s.status", name);
    read_line(h, state, sizeof state, "state/%s.proc", name);
    long pid = (long)json_number(line, "pid"), proc = 0;
    /* The status file is the running process's only once it wrote it. */
    int current = sscanf(state, "running %ld", &proc) != 1 || proc == pid;
    if (!sup || sup == HOME_STARTING || pid <= 0 || !current || kill((pid_t)pid, 0) != 0) {
        group_not_running(name, sup, state);
        return;
    }
    char up[16];
    fmt_uptime(up, sizeof up, (double)time(NULL) - json_number(line, "started"));
    printf("%-16s <%ld> %s", name, pid, up);
    if (longer) {
        double p99 = json_number(line, "p99");
        printf("   %.1f requests/s   %.0f failures   p99 %.3gms   %.0f clients",
               json_number(line, "rate"), json_number(line, "failures"), p99 * 1e3,
               json_number(line, "clients"));
    }
    printf("\n");
}

/* ---------------------------------------------------- status --dashboard */

/* The home's figures for its dashboard: every group's latest snapshot
 * (state/NAME.json) merged as loads running at once, remade when one of
 * the files changes. */
typedef struct home_watch {
    const home_t *h;
    char names[HOME_GROUPS_MAX][HOME_NAME_MAX];
    int n;
    struct timespec seen[HOME_GROUPS_MAX]; /* each file's mtime when last merged */
    off_t sizes[HOME_GROUPS_MAX];
    atomic_int stop; /* the page's stop button was pressed */
} home_watch_t;

static char *slurp(const char *path);

static int watch_source(void *data, char **report, int *ended)
{
    home_watch_t *w = data;
    char p[PATH_MAX], err[256];
    struct timespec now[HOME_GROUPS_MAX];
    off_t sizes[HOME_GROUPS_MAX];
    int changed = 0;
    *ended = home_supervisor(w->h) == 0;
    for (int i = 0; i < w->n; i++) {
        struct stat st;
        memset(&now[i], 0, sizeof now[i]);
        sizes[i] = -1;
        if (stat(home_path(w->h, p, sizeof p, "state/%s.json", w->names[i]), &st) == 0) {
            now[i] = st.st_mtim;
            sizes[i] = st.st_size;
        }
        changed |= now[i].tv_sec != w->seen[i].tv_sec || now[i].tv_nsec != w->seen[i].tv_nsec ||
                   sizes[i] != w->sizes[i];
    }
    if (!changed) return 0;
    char *texts[HOME_GROUPS_MAX];
    const char *list[HOME_GROUPS_MAX];
    size_t k = 0;
    for (int i = 0; i < w->n; i++) {
        texts[i] = sizes[i] >= 0 ? slurp(home_path(w->h, p, sizeof p, "state/%s.json", w->names[i]))
                                 : NULL;
        if (texts[i]) list[k++] = texts[i];
    }
    int rc = k ? throng_report_merge(list, k, 0, report, err, sizeof err) : -1;
    for (int i = 0; i < w->n; i++)
        free(texts[i]);
    if (rc != 0) return -1; /* none yet, or one being replaced: the next call tries again */
    memcpy(w->seen, now, sizeof now);
    memcpy(w->sizes, sizes, sizeof sizes);
    return 0;
}

static void watch_stop(void *data)
{
    atomic_store(&((home_watch_t *)data)->stop, 1);
}

static volatile sig_atomic_t watch_signal;

static void on_watch_signal(int sig)
{
    watch_signal = sig;
}

/* Serves the home's dashboard until SIGINT/SIGTERM or, when seconds > 0,
 * that long. The page's stop button stops the home as throng stop
 * does; the dashboard then shows the figures as they ended. */
static int status_dashboard(const home_t *h, const char *addr, double seconds)
{
    home_watch_t *w = calloc(1, sizeof *w);
    if (!w) return CLI_EXIT_FAULTS;
    w->h = h;
    w->n = home_groups(h, w->names);
    for (int i = 0; i < w->n; i++)
        w->sizes[i] = -1;
    struct sigaction sa = {.sa_handler = on_watch_signal}, old_int, old_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    throng_dashboard_t *d = NULL;
    char err[256];
    if (throng_dashboard_start_with(watch_source, watch_stop, w, addr, &d, err, sizeof err) != 0) {
        fprintf(stderr, "throng status: --dashboard: %s\n", err);
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        free(w);
        return CLI_EXIT_USAGE;
    }
    printf("dashboard on http://%s/\n", throng_dashboard_address(d));
    fflush(stdout);
    struct timespec start, now, tick = {0, 100 * 1000 * 1000};
    clock_gettime(CLOCK_MONOTONIC, &start);
    int status = CLI_EXIT_OK;
    while (!watch_signal) {
        if (atomic_exchange(&w->stop, 0)) {
            int rc = supervisor_stop(h);
            printf("%s\n", rc == 0 ? "stopped" : rc == 1 ? "not running" : "could not stop");
            fflush(stdout);
            if (rc < 0) status = CLI_EXIT_FAULTS;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (seconds > 0 &&
            (double)(now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9 >= seconds)
            break;
        nanosleep(&tick, NULL);
    }
    throng_dashboard_free(d);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    free(w);
    return status;
}

static int status(const home_t *h, int argc, char **argv)
{
    int longer = 0, dashboard = 0;
    const char *addr = THRONG_DASHBOARD_LISTEN, *for_text = NULL;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--long") || !strcmp(argv[i], "--long-listing") ||
            !strcmp(argv[i], "-l")) {
            longer = 1;
        } else if (!strcmp(argv[i], "--dashboard")) {
            dashboard = 1;
            if (i + 1 < argc && argv[i + 1][0] != '-') addr = argv[++i];
        } else if (!strncmp(argv[i], "--dashboard=", 12)) {
            dashboard = 1;
            addr = argv[i] + 12;
        } else if (!strcmp(argv[i], "--for") && i + 1 < argc) {
            for_text = argv[++i];
        } else if (!strncmp(argv[i], "--for=", 6)) {
            for_text = argv[i] + 6;
        } else {
            fprintf(stderr,
                    "throng status: unknown flag %s (--long, --dashboard [ADDR], --for TIME)\n",
                    argv[i]);
            return CLI_EXIT_USAGE;
        }
    }
    double seconds = 0;
    if (for_text && (throng_parse_duration(for_text, &seconds) != 0 || !(seconds > 0))) {
        fprintf(stderr, "throng status: --for expects a time such as 30s or 1h, not '%s'\n",
                for_text);
        return CLI_EXIT_USAGE;
    }
    if (for_text && !dashboard) {
        fprintf(stderr, "throng status: --for goes with --dashboard\n");
        return CLI_EXIT_USAGE;
    }
    if (dashboard) return status_dashboard(h, addr, seconds);
    pid_t sup = home_supervisor(h);
    if (!sup) printf("not running (throng start starts the groups)\n");
    if (sup == HOME_STARTING) printf("starting\n");
    char names[HOME_GROUPS_MAX][HOME_NAME_MAX];
    int n = home_groups(h, names);
    for (int i = 0; i < n; i++)
        group_status(h, names[i], sup, longer);
    return CLI_EXIT_OK;
}

/* ----------------------------------------------------------------- log */

/* "1h", "30m", "90s", "2d" before now, as a log line's timestamp prefix. */
static int cutoff_back(const char *back, char *out, size_t len)
{
    double seconds;
    if (throng_parse_duration(back, &seconds) != 0) return -1;
    time_t t = time(NULL) - (time_t)seconds;
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(out, len, "%Y-%m-%dT%H:%M:%S", &tm);
    return 0;
}

/* "2026-03-08T21:04", "2026-03-08T21:04:33" or "21:04[:33]" (today). */
static int cutoff_since(const char *since, char *out, size_t len)
{
    int y, mo, d, hh, mm, ss = 0;
    if (sscanf(since, "%d-%d-%dT%d:%d:%d", &y, &mo, &d, &hh, &mm, &ss) >= 5) {
        snprintf(out, len, "%04d-%02d-%02dT%02d:%02d:%02d", y, mo, d, hh, mm, ss);
        return 0;
    }
    if (sscanf(since, "%d:%d:%d", &hh, &mm, &ss) >= 2) {
        time_t t = time(NULL);
        struct tm tm;
        localtime_r(&t, &tm);
        snprintf(out, len, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, hh, mm, ss);
        return 0;
    }
    return -1;
}

/* Prints the lines of one file from cutoff on ("" for all). A line without
 * a timestamp goes with the one before it. */
static void print_log(const char *path, const char *cutoff, int *showing)
{
    FILE *f = home_fopen_read(path);
    if (!f) return;
    char line[8192];
    while (fgets(line, sizeof line, f)) {
        if (line[0] >= '0' && line[0] <= '9' && strlen(line) > 19 && line[10] == 'T')
            *showing = strncmp(line, cutoff, strlen(cutoff)) >= 0;
        if (*showing) fputs(line, stdout);
    }
    fclose(f);
}

/* --tail: the file's growth, until interrupted. */
static void follow(const char *path)
{
    FILE *f = home_fopen_read(path);
    if (!f) return;
    fseek(f, 0, SEEK_END);
    char line[8192];
    for (;;) {
        if (fgets(line, sizeof line, f)) {
            fputs(line, stdout);
            fflush(stdout);
        } else {
            clearerr(f);
            usleep(200000);
        }
    }
}

static int log_cmd(const home_t *h, int argc, char **argv)
{
    const char *name = NULL, *back = NULL, *since = NULL;
    int tail = 0;
    cli_option_t opts[] = {
        {"back", 'b', CLI_STRING, &back, "TIME", "the lines of the last TIME (1h, 30m, 2d)"},
        {"since", 0, CLI_STRING, &since, "TIME",
         "the lines since TIME (21:04 or 2026-03-08T21:04)"},
        {"tail", 0, CLI_FLAG, &tail, NULL, "then keep printing new lines, until interrupted"},
        {NULL},
    };
    char *positional[4];
    cli_args_t args = {.positional = positional};
    if (argc > 4 || cli_parse("throng log", opts, argc, argv, &args) != 0) return CLI_EXIT_USAGE;
    if (args.npositional != 1) { /* --help was answered before (cmd_home) */
        fprintf(stderr, "usage: throng log NAME [flags]\n\nflags:\n");
        cli_print_options(stderr, opts);
        return CLI_EXIT_USAGE;
    }
    name = positional[0];
    char cutoff[64] = "", p[PATH_MAX];
    if (back && cutoff_back(back, cutoff, sizeof cutoff) != 0) {
        fprintf(stderr, "throng log: --back expects a time such as 1h, 30m or 2d, not '%s'\n",
                back);
        return CLI_EXIT_USAGE;
    }
    if (since && cutoff_since(since, cutoff, sizeof cutoff) != 0) {
        fprintf(stderr, "throng log: --since expects 21:04 or 2026-03-08T21:04, not '%s'\n", since);
        return CLI_EXIT_USAGE;
    }
    if (access(home_path(h, p, sizeof p, "groups/%s", name), F_OK) != 0) {
        fprintf(stderr, "throng log: no group named %s\n", name);
        return CLI_EXIT_USAGE;
    }
    int showing = cutoff[0] == '\0';
    /* The rolled-over files first, oldest first, then the current one. */
    for (int i = 5; i >= 1; i--)
        print_log(home_path(h, p, sizeof p, "logs/%s.log.%d", name, i), cutoff, &showing);
    print_log(home_path(h, p, sizeof p, "logs/%s.log", name), cutoff, &showing);
    fflush(stdout);
    if (tail) follow(home_path(h, p, sizeof p, "logs/%s.log", name));
    return CLI_EXIT_OK;
}

/* -------------------------------------------------------------- report */

static char *slurp(const char *path)
{
    FILE *f = home_fopen_read(path);
    if (!f) return NULL;
    char *text = NULL;
    size_t cap = 0;
    if (getdelim(&text, &cap, '\0', f) < 0) {
        free(text);
        text = NULL;
    }
    fclose(f);
    return text;
}

int cli_home_report(const char *home_dir, const char *name, char **json)
{
    home_t h;
    char p[PATH_MAX], err[256];
    if (home_locate(&h, home_dir) != 0 || !home_exists(&h)) return -1;
    if (access(home_path(&h, p, sizeof p, "groups/%s", name), F_OK) != 0) return -1;
    char *hist = slurp(home_path(&h, p, sizeof p, "state/%s.history.json", name));
    char *now = slurp(home_path(&h, p, sizeof p, "state/%s.json", name));
    const char *list[2];
    int n = 0;
    if (hist) list[n++] = hist;
    if (now) list[n++] = now;
    int rc = 0;
    if (n == 0) {
        fprintf(stderr, "throng report: group %s has no figures yet\n", name);
        rc = 1;
    } else if (throng_report_merge(list, (size_t)n, 1, json, err, sizeof err) != 0) {
        fprintf(stderr, "throng report: group %s: %s\n", name, err);
        rc = 1;
    }
    free(hist);
    free(now);
    return rc;
}

/* ---------------------------------------------------------------- help */

/* Each verb's usage, for --help (which does nothing else). */
static const struct {
    const char *verb, *text;
} home_help[] = {
    {"create", "usage: throng create [--home DIR]\n"
               "\n"
               "Makes a home: the folder (.throng, or DIR) where groups, their logs, state\n"
               "and reports live, owner-only.\n"},
    {"add", "usage: throng add PERSONA [NAME] [run flags] [--home DIR]\n"
            "\n"
            "Adds a group to the home: PERSONA is a built-in name (table, url, wrk,\n"
            "watchdog, admin, typical, expert) or a script, checked now; NAME defaults to\n"
            "the persona's.\n"
            "The group runs as `throng run PERSONA [run flags]`: see throng run --help.\n"},
    {"update", "usage: throng update NAME --flag=value ... [--home DIR]\n"
               "\n"
               "Changes a group's run flags (a flag given again replaces the old one); a\n"
               "running group picks them up at its next start.\n"},
    {"start", "usage: throng start [--home DIR]\n"
              "\n"
              "Starts every group in the background under a supervisor, which restarts a\n"
              "group process that dies (backoff 1 s to a minute).\n"},
    {"status", "usage: throng status [-l|--long] [--home DIR]\n"
               "       throng status --dashboard [ADDR] [--for TIME] [--home DIR]\n"
               "\n"
               "Whether the home runs, and each group's state: <pid> and uptime when it\n"
               "runs, starting until its process says its first figures, else stopped\n"
               "and why (by throng stop, or how its last process ended and its last\n"
               "error; when it restarts). --long adds requests/s, failures and p99.\n"
               "\n"
               "--dashboard serves the live dashboard (as throng run --dashboard: the page,\n"
               "/events, /snapshot.json, /metrics) for the whole home on ADDR (default\n"
               "127.0.0.1:5665; port 0 picks one): every group's latest snapshot merged,\n"
               "looked at each second; groups write theirs every 10 s unless added with\n"
               "--snapshot-every (1s for a livelier page). The page's stop button stops\n"
               "the home as throng stop does. It serves until SIGINT/SIGTERM or, with\n"
               "--for TIME, that long.\n"},
    {"log", "usage: throng log NAME [flags] [--home DIR]\n"
            "\n"
            "Prints a group's log.\n"
            "\n"
            "flags:\n"
            "  -b, --back TIME   the lines of the last TIME (1h, 30m, 2d)\n"
            "      --since TIME  the lines since TIME (21:04 or 2026-03-08T21:04)\n"
            "      --tail        then keep printing new lines, until interrupted\n"},
    {"stop", "usage: throng stop [--home DIR]\n"
             "\n"
             "Stops the supervisor and every group; no process is left. Each group's\n"
             "run ends as if its duration were over (SIGUSR1): its in-flight requests\n"
             "are cancelled, not aborted, and its report says \"stopped by throng stop\".\n"},
};

/* 1 when argv asks for help (-h or --help before any --). */
static int wants_help(int argc, char **argv)
{
    for (int i = 0; i < argc && strcmp(argv[i], "--"); i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return 1;
    return 0;
}

/* ------------------------------------------------------------ dispatch */

/* Takes --home DIR (or --home=DIR) out of argv. */
static const char *take_home(int *argc, char **argv)
{
    const char *dir = NULL;
    int n = 0;
    for (int i = 0; i < *argc; i++) {
        if (!strcmp(argv[i], "--home") && i + 1 < *argc)
            dir = argv[++i];
        else if (!strncmp(argv[i], "--home=", 7))
            dir = argv[i] + 7;
        else
            argv[n++] = argv[i];
    }
    *argc = n;
    return dir;
}

static int need_home(const home_t *h, const char *verb)
{
    if (home_exists(h)) return 0;
    fprintf(stderr, "throng %s: no home at %s (make one with throng create)\n", verb, h->dir);
    return -1;
}

int cmd_home(const char *verb, int argc, char **argv)
{
    if (wants_help(argc, argv)) {
        for (size_t i = 0; i < sizeof home_help / sizeof home_help[0]; i++)
            if (!strcmp(home_help[i].verb, verb)) fputs(home_help[i].text, stdout);
        return CLI_EXIT_OK;
    }
    home_t h;
    const char *dir = take_home(&argc, argv);
    if (home_locate(&h, dir) != 0) {
        fprintf(stderr, "throng %s: cannot tell where the home is\n", verb);
        return CLI_EXIT_USAGE;
    }
    if (!strcmp(verb, "create")) {
        if (argc) {
            fprintf(stderr, "throng create: takes no arguments but --home DIR\n");
            return CLI_EXIT_USAGE;
        }
        if (home_create(&h) != 0) return CLI_EXIT_USAGE;
        printf("created %s\n", h.dir);
        return CLI_EXIT_OK;
    }
    if (need_home(&h, verb) != 0) return CLI_EXIT_USAGE;
    if (!strcmp(verb, "add")) return add(&h, argc, argv);
    if (!strcmp(verb, "update")) return update(&h, argc, argv);
    if (!strcmp(verb, "status")) return status(&h, argc, argv);
    if (!strcmp(verb, "log")) return log_cmd(&h, argc, argv);
    if (!strcmp(verb, "start")) {
        pid_t pid;
        if (argc) {
            fprintf(stderr, "throng start: takes no arguments but --home DIR\n");
            return CLI_EXIT_USAGE;
        }
        if (supervisor_start(&h, &pid) != 0) return CLI_EXIT_USAGE;
        printf("started (supervisor pid %d)\n", (int)pid);
        return CLI_EXIT_OK;
    }
    if (!strcmp(verb, "stop")) {
        int rc = supervisor_stop(&h);
        if (rc == 1) printf("not running\n");
        if (rc == 0) printf("stopped\n");
        return rc < 0 ? CLI_EXIT_FAULTS : CLI_EXIT_OK;
    }
    fprintf(stderr, "throng: unknown command '%s'\n", verb);
    return CLI_EXIT_USAGE;
}
