/* run_engine.c - running an engine from the command line. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "files.h"
#include "log.h"
#include "run_engine.h"

/* The one engine a signal should stop; the command runs one at a time. */
static throng_engine_t *volatile running_engine;
/* What a signal asked for, kept for the moment the run has started: the
 * engine takes a stop only once throng_start() has begun, and a signal may
 * come between its handler's install and that (a `throng stop` given as
 * the group starts). */
static volatile sig_atomic_t asked_stop, asked_finish;

static void on_signal(int sig)
{
    throng_engine_t *e = running_engine;
    if (!e) return;
    asked_stop = 1;
    throng_stop(e);
    /* A second signal ends the process the usual way. */
    signal(sig, SIG_DFL);
}

/* SIGUSR1, what `throng stop` sends a home's groups: the run ends as if its
 * duration were over, its in-flight requests cancelled, not aborted. */
static void on_finish_signal(int sig)
{
    (void)sig;
    throng_engine_t *e = running_engine;
    if (!e) return;
    asked_finish = 1;
    throng_finish(e);
}

/* "1.23ms": the progress line's latency. */
static void fmt_latency(char *buf, size_t len, double s)
{
    if (!(s > 0))
        snprintf(buf, len, "-");
    else if (s < 999.5e-6)
        snprintf(buf, len, "%.0fus", s * 1e6);
    else if (s < 0.9995)
        snprintf(buf, len, "%.3gms", s * 1e3);
    else
        snprintf(buf, len, "%.2fs", s);
}

/* A live file (--status, --snapshot) rewritten whole. A failure is said
 * once per file (without waiting for stderr: this runs on the engine's
 * thread) and makes the run's exit status CLI_EXIT_WRITE. */
static void replace_live(cli_output_t *o, const char *flag, const char *path, const char *text,
                         unsigned flags, int *said)
{
    if (cli_replace_file(path, text, strlen(text), flags) == 0) return;
    o->write_failed = 1;
    if (!*said)
        cli_stderr_printf("%s: cannot write %s %s: %s\n", o->cmd, flag, path, strerror(errno));
    *said = 1;
}

/* --status: the live figures as one line of JSON. */
static void write_status(cli_output_t *o, const throng_progress_t *p)
{
    char line[512];
    snprintf(line, sizeof line,
             "{\"pid\":%ld,\"started\":%lld,\"elapsed\":%.1f,\"requests\":%llu,\"rate\":%.1f,"
             "\"p99\":%.6f,\"failures\":%llu,\"clients\":%llu}\n",
             (long)getpid(), o->started, p->elapsed, (unsigned long long)p->requests, p->rate,
             p->p99, (unsigned long long)p->failures, (unsigned long long)p->clients_active);
    replace_live(o, "--status", o->status_file, line, 0, &o->status_said);
}

/* --snapshot: the report so far. */
static void write_snapshot(cli_output_t *o)
{
    char *json = NULL;
    if (o->engine && throng_report_json(o->engine, &json) == 0)
        replace_live(o, "--snapshot", o->snapshot_file, json, CLI_FILE_DURABLE, &o->snapshot_said);
    throng_free(json);
}

static void progress_line(const cli_output_t *o, const throng_progress_t *p)
{
    char when[32], p99[16];
    if (o->duration > 0)
        snprintf(when, sizeof when, "%.0fs/%.0fs", p->elapsed, o->duration);
    else
        snprintf(when, sizeof when, "%.0fs", p->elapsed);
    fmt_latency(p99, sizeof p99, p->p99);
    cli_stderr_printf("%s%s  %llu requests  %.0f/s  p99 %s  %llu failures  %llu clients%s",
                      o->tty ? "\r\033[K" : "progress: ", when, (unsigned long long)p->requests,
                      p->rate, p99, (unsigned long long)p->failures,
                      (unsigned long long)p->clients_active, o->tty ? "" : "\n");
}

/* Called about every second by the engine: whatever this run asked for. */
static void on_progress(const throng_progress_t *p, void *data)
{
    cli_output_t *o = data;
    if (!o->quiet &&
        (o->tty || (o->interval > 0 && p->elapsed - o->last_line >= o->interval - 0.05))) {
        progress_line(o, p);
        o->last_line = p->elapsed;
    }
    if (o->status_file) write_status(o, p);
    if (o->snapshot_file && p->elapsed - o->last_snapshot >= o->snapshot_every - 0.05) {
        write_snapshot(o);
        o->last_snapshot = p->elapsed;
    }
}

void cli_output_setup(throng_config_t *config, cli_output_t *o)
{
    o->tty = isatty(STDERR_FILENO);
    o->duration = config->duration;
    o->started = (long long)time(NULL);
    o->last_snapshot = -1e9; /* the first one at the first tick */
    if (!(o->snapshot_every > 0)) o->snapshot_every = 30;
    if (o->snapshot_file || o->dashboard) config->live_reports = 1;
    int lines = !o->quiet && (o->tty || o->interval > 0);
    if (!lines && !o->status_file && !o->snapshot_file) return;
    config->progress = on_progress;
    config->progress_data = o;
    config->progress_interval = 1;
}

static int exit_status(const throng_report_t *r)
{
    if (r->ending == THRONG_END_STOPPED) return CLI_EXIT_ABORTED;
    if (r->ending == THRONG_END_PROCESSES) return CLI_EXIT_PROCESSES;
    /* A lost worker process took its clients and its latest figures with
     * it, an abandoned thread its clients: the run did not measure what
     * was asked, whatever the thresholds say of what is left. */
    if (r->processes_lost || r->threads_abandoned) return CLI_EXIT_FAULTS;
    /* With thresholds, they decide: they say how many faults are acceptable. */
    if (r->thresholds) return r->thresholds_failed ? CLI_EXIT_THRESHOLDS : CLI_EXIT_OK;
    if (r->failures || r->ending == THRONG_END_CLIENTS) return CLI_EXIT_FAULTS;
    return CLI_EXIT_OK;
}

int cli_write_file(const char *cmd, const char *flag, const char *path, const char *text)
{
    if (cli_replace_file(path, text, strlen(text), CLI_FILE_DURABLE) != 0) {
        cli_stderr_printf("%s: cannot write %s %s: %s\n", cmd, flag, path, strerror(errno));
        return -1;
    }
    return 0;
}

int cli_write_rendered(const char *cmd, const char *flag, const char *path, const char *json,
                       throng_render_t format)
{
    char *text = NULL, err[256];
    int rc = -1;
    if (throng_render(json, strlen(json), format, 0, &text, err, sizeof err) == 0)
        rc = cli_write_file(cmd, flag, path, text);
    else
        cli_stderr_printf("%s: %s: %s\n", cmd, flag, err);
    throng_free(text);
    return rc;
}

/* --json-per-rank: this rank's own part. */
static int write_rank_report(const char *cmd, throng_engine_t *e, const cli_output_t *o)
{
    char *json = NULL, path[4096];
    if (throng_report_json_rank(e, &json) != 0) {
        cli_stderr_printf("%s: cannot make rank %u's JSON report\n", cmd, o->rank);
        return -1;
    }
    snprintf(path, sizeof path, "%s%u.json", o->json_per_rank, o->rank);
    int rc = cli_write_file(cmd, "--json-per-rank", path, json);
    throng_free(json);
    return rc;
}

/* --json, --html, --junit and --summary-json, once the run has ended. */
static int write_reports(const char *cmd, throng_engine_t *e, const cli_output_t *o)
{
    if (!o->json_file && !o->html_file && !o->junit_file && !o->summary_file) return 0;
    char *json = NULL;
    int bad = 0;
    if (throng_report_json(e, &json) != 0) {
        cli_stderr_printf("%s: cannot make the JSON report\n", cmd);
        return -1;
    }
    if (o->json_file) bad |= cli_write_file(cmd, "--json", o->json_file, json);
    if (o->html_file)
        bad |= cli_write_rendered(cmd, "--html", o->html_file, json, THRONG_RENDER_HTML);
    if (o->junit_file)
        bad |= cli_write_rendered(cmd, "--junit", o->junit_file, json, THRONG_RENDER_JUNIT);
    if (o->summary_file)
        bad |=
            cli_write_rendered(cmd, "--summary-json", o->summary_file, json, THRONG_RENDER_SUMMARY);
    throng_free(json);
    return bad ? -1 : 0;
}

/* --dashboard: started before the run, so that its address is known (and
 * said) before the load begins. */
static int start_dashboard(const char *cmd, throng_engine_t *e, const char *addr,
                           throng_dashboard_t **dash)
{
    char err[512];
    if (throng_dashboard_start(e, addr, dash, err, sizeof err) != 0) {
        fprintf(stderr, "%s: --dashboard: %s\n", cmd, err);
        return -1;
    }
    cli_stderr_printf("%s: dashboard on http://%s/\n", cmd, throng_dashboard_address(*dash));
    return 0;
}

/* --dashboard-linger: the final figures stay up a while (a last scrape). */
static void linger(double seconds)
{
    struct timespec ts = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
    while (seconds > 0 && nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

int cli_run_engine(const char *cmd, throng_engine_t *e, cli_output_t *o)
{
    o->engine = e;
    o->cmd = cmd;
    /* The handler goes in first: a Ctrl-C while the run starts stops it. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    asked_stop = asked_finish = 0;
    running_engine = e;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_finish_signal;
    sigaction(SIGUSR1, &sa, NULL);
    throng_dashboard_t *dash = NULL;
    int side_rank = o->mpi && o->rank != 0; /* an MPI rank other than 0: its part only */
    if (o->dashboard && !side_rank && start_dashboard(cmd, e, o->dashboard, &dash) != 0) {
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGUSR1, SIG_DFL);
        running_engine = NULL;
        return CLI_EXIT_USAGE;
    }
    int rc = throng_start(e);
    if (rc) {
        throng_dashboard_free(dash);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGUSR1, SIG_DFL);
        running_engine = NULL;
        fprintf(stderr, "%s: %s\n", cmd, throng_errmsg(e));
        if (o->mpi) throng_mpi_abort(CLI_EXIT_USAGE); /* the other ranks wait for this one */
        return CLI_EXIT_USAGE;
    }
    /* Asked before the engine took stops: asked again (a stop wins). */
    if (asked_stop)
        throng_stop(e);
    else if (asked_finish)
        throng_finish(e);
    rc = throng_wait(e);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGUSR1, SIG_DFL);
    running_engine = NULL;
    if (o->tty && !o->quiet) cli_stderr_write("\r\033[K", 4);
    if (rc) cli_stderr_printf("%s: %s\n", cmd, throng_errmsg(e));
    /* The progress and log lines before the report, when stderr takes them. */
    cli_stderr_finish(cmd, 1.0);

    if (o->json_per_rank && write_rank_report(cmd, e, o) != 0) o->write_failed = 1;
    if (side_rank) {
        /* Rank 0 has its figures, reports them and gives the exit status. */
        cli_stderr_finish(cmd, 1.0);
        return o->write_failed ? CLI_EXIT_WRITE : rc ? CLI_EXIT_FAULTS : CLI_EXIT_OK;
    }
    char *text = NULL;
    if (throng_report_text(e, o->text_flags, &text) == 0) {
        fputs(text, stdout);
        throng_free(text);
        if (cli_check_stdout(cmd, "the report") != 0) o->write_failed = 1;
    }
    if (write_reports(cmd, e, o) != 0) o->write_failed = 1;
    if (o->snapshot_file) write_snapshot(o); /* the final figures */
    if (dash) {
        cli_stderr_finish(cmd, 1.0);
        linger(o->dashboard_linger);
        throng_dashboard_free(dash);
    }
    const throng_report_t *r = throng_report(e);
    int status = r ? exit_status(r) : CLI_EXIT_FAULTS;
    cli_stderr_finish(cmd, 1.0);
    return o->write_failed ? cli_write_status(status) : status;
}

int cli_write_status(int status)
{
    /* What was measured is known, but not to whoever reads the files: that
     * outweighs the run's own verdict, not a usage error or an abort. */
    if (status == CLI_EXIT_OK || status == CLI_EXIT_FAULTS || status == CLI_EXIT_THRESHOLDS)
        return CLI_EXIT_WRITE;
    return status;
}

int cli_check_stdout(const char *cmd, const char *what)
{
    static int said;
    errno = 0;
    if (fflush(stdout) == 0 && !ferror(stdout)) return 0;
    if (!said)
        cli_stderr_printf("%s: cannot write %s to stdout: %s\n", cmd, what,
                          errno ? strerror(errno) : "write error");
    said = 1;
    return -1;
}
