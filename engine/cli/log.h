/* log.h - where the throng command writes log lines: one timestamped line
 * each, tagged with the process id and the client's id; to stderr, or to a
 * file that rolls over by size so a long run cannot fill the disk. */
#ifndef THRONG_CLI_LOG_H
#define THRONG_CLI_LOG_H

#include <stdio.h>

#include "throng.h"

/* The names --log-level accepts, in throng_log_level_t order. */
extern const char *const cli_log_levels[];

#define CLI_LOG_KEEP 5 /* rolled-over files kept: FILE.1 (newest) .. FILE.5 */

typedef struct cli_log cli_log_t;

/* A log to path (appended), rolled over when it passes max_bytes (0: never).
 * NULL after printing why, prefixed with cmd. */
cli_log_t *cli_log_open(const char *cmd, const char *path, unsigned long long max_bytes);

/* The log to stderr (through cli_stderr_write). */
cli_log_t *cli_log_stderr(void);

/* Text for stderr that must never make the caller wait (the log lines and
 * the progress line, from any thread): written without blocking, queued
 * (up to 64 KiB) when stderr cannot take it now, dropped and counted when
 * the queue is full too. */
void cli_stderr_write(const char *text, size_t len);
void cli_stderr_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* At the end: waits up to wait seconds for the queue to reach stderr, then
 * says how many lines were dropped, if any, by this process and by the
 * worker processes forked after cli_log_setup (lines a worker process still
 * held when it ended count as dropped); prefixed with cmd, written if
 * stderr takes it within another second. Returns how many. */
unsigned long long cli_stderr_finish(const char *cmd, double wait);

/* Closes log. A line the file did not take (a full disk, an I/O error), in
 * this process or a worker process, was said on stderr at the first one,
 * naming the file and why; here their count is said, and the return is -1
 * (the run could not write its log): 0 otherwise, and for stderr's log. */
int cli_log_close(cli_log_t *log);

/* Sends config's log lines at level and above to log. Call it before the
 * engine forks its worker processes: it sets up the counts they share. */
void cli_log_setup(throng_config_t *config, cli_log_t *log, throng_log_level_t level);

#endif
