/* run_engine.c - running an engine from the command line. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "run_engine.h"

/* The one engine a signal should stop; the command runs one at a time. */
static throng_engine_t *volatile running_engine;

static void on_signal(int sig)
{
    throng_engine_t *e = running_engine;
    if (!e) return;
    throng_stop(e);
    /* A second signal ends the process the usual way. */
    signal(sig, SIG_DFL);
}

static void on_progress(const throng_progress_t *p, void *data)
{
    const cli_progress_t *cp = data;
    char when[32];
    if (cp->duration > 0)
        snprintf(when, sizeof when, "%.0fs/%.0fs", p->elapsed, cp->duration);
    else
        snprintf(when, sizeof when, "%.0fs", p->elapsed);
    fprintf(stderr, "\r\033[K%s  %llu requests  %.0f/s  %llu failures  %llu clients", when,
            (unsigned long long)p->requests, p->rate, (unsigned long long)p->failures,
            (unsigned long long)p->clients_active);
    fflush(stderr);
}

void cli_progress_setup(throng_config_t *config, cli_progress_t *progress, int quiet)
{
    progress->enabled = !quiet && isatty(STDERR_FILENO);
    progress->duration = config->duration;
    if (progress->enabled) {
        config->progress = on_progress;
        config->progress_data = progress;
    }
}

static int exit_status(const throng_report_t *r)
{
    if (r->ending == THRONG_END_STOPPED) return CLI_EXIT_ABORTED;
    if (r->ending == THRONG_END_PROCESSES) return CLI_EXIT_PROCESSES;
    if (r->failures || r->processes_lost || r->ending == THRONG_END_CLIENTS) return CLI_EXIT_FAULTS;
    return CLI_EXIT_OK;
}

int cli_run_engine(const char *cmd, throng_engine_t *e, cli_progress_t *progress)
{
    int rc = throng_start(e);
    if (rc) {
        fprintf(stderr, "%s: %s\n", cmd, throng_errmsg(e));
        return CLI_EXIT_USAGE;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    running_engine = e;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    rc = throng_wait(e);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    running_engine = NULL;
    if (progress->enabled) fprintf(stderr, "\r\033[K");
    if (rc) fprintf(stderr, "%s: %s\n", cmd, throng_errmsg(e));

    char *text = NULL;
    if (throng_report_text(e, &text) == 0) {
        fputs(text, stdout);
        fflush(stdout);
        throng_free(text);
    }
    const throng_report_t *r = throng_report(e);
    return r ? exit_status(r) : CLI_EXIT_FAULTS;
}
