/* supervisor.h - the background process that keeps a home's groups going:
 * one `throng run` process per group, restarted with backoff when it ends,
 * all stopped together. */
#ifndef THRONG_CLI_SUPERVISOR_H
#define THRONG_CLI_SUPERVISOR_H

#include <sys/types.h>

#include "home.h"

/* Starts the supervisor, detached from the terminal. Returns 0 with its pid
 * once it runs, or -1 after printing why (one already runs, no group, ...). */
int supervisor_start(const home_t *h, pid_t *pid);

/* Stops the running supervisor and waits until it and every group process
 * are gone; one still starting (or started by a `throng start` given up to
 * half a second later) is waited for and stopped too. Returns 0, 1 when
 * none was running, or -1 after printing why. */
int supervisor_stop(const home_t *h);

/* The arguments of a group's `throng run`: its settings plus the home's
 * (log, status, snapshot). argv (cap entries) gets malloc'd strings. */
int supervisor_group_argv(const home_t *h, const char *name, char **argv, int cap);

#endif
