/* log.h - where the throng command writes log lines: one timestamped line
 * each, tagged with the process id and the client's id. */
#ifndef THRONG_CLI_LOG_H
#define THRONG_CLI_LOG_H

#include <stdio.h>

#include "throng.h"

/* The names --log-level accepts, in throng_log_level_t order. */
extern const char *const cli_log_levels[];

/* Sends config's log lines at level and above to out (stderr by default). */
void cli_log_setup(throng_config_t *config, FILE *out, throng_log_level_t level);

#endif
