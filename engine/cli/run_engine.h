/* run_engine.h - what `throng run` and `throng demo` share: running a
 * configured engine under SIGINT/SIGTERM, drawing progress, printing the
 * report and turning the outcome into an exit status. */
#ifndef THRONG_CLI_RUN_ENGINE_H
#define THRONG_CLI_RUN_ENGINE_H

#include "throng.h"

/* Progress line settings for cli_progress_setup(). */
typedef struct cli_progress {
    int enabled;
    double duration; /* for "elapsed / duration"; 0 when open-ended */
} cli_progress_t;

/* Sets config's progress callback when stderr is a terminal and not quiet. */
void cli_progress_setup(throng_config_t *config, cli_progress_t *progress, int quiet);

/* Starts e, waits for it with SIGINT/SIGTERM wired to throng_stop(),
 * prints the report on stdout and returns the exit status. cmd prefixes
 * error lines. */
int cli_run_engine(const char *cmd, throng_engine_t *e, cli_progress_t *progress);

#endif
