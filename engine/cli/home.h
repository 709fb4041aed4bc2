/* home.h - the home: a folder (.throng, or --home DIR) holding a
 * long-running composite of named groups, their logs and their figures.
 *
 *   groups/NAME             the group's `throng run` arguments, one per line
 *   logs/NAME.log[.1-.5]    its log lines, rolled over by size
 *   state/NAME.status       its live figures (rewritten every second)
 *   state/NAME.json         its report so far (rewritten every 10 s and at exit)
 *   state/NAME.history.json the reports of its earlier processes, merged
 *   supervisor.pid, supervisor.lock, supervisor.log
 */
#ifndef THRONG_CLI_HOME_H
#define THRONG_CLI_HOME_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#define HOME_NAME_MAX 64
#define HOME_GROUPS_MAX 64

typedef struct home {
    char dir[1024];
} home_t;

/* Fills h->dir from --home (NULL: ./.throng), made absolute. */
int home_locate(home_t *h, const char *dir);

/* dir/part, into buf (PATH_MAX-sized). */
const char *home_path(const home_t *h, char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* 1 when the home exists (its groups folder is there). */
int home_exists(const home_t *h);

/* Makes the home and its folders, owner-only. -1 after printing why. */
int home_create(const home_t *h);

/* Group names: letters, digits, '-' and '_'. */
int home_valid_name(const char *name);

/* The group names, sorted. Returns how many (at most HOME_GROUPS_MAX). */
int home_groups(const home_t *h, char names[][HOME_NAME_MAX]);

/* A group's arguments (one per line of groups/NAME): into tokens (each
 * malloc'd). Returns how many, or -1 when the group does not exist. */
int home_read_group(const home_t *h, const char *name, char **tokens, int cap);

/* Writes a group's arguments (whole, owner-only). -1 after printing why. */
int home_write_group(const home_t *h, const char *name, char *const *tokens, int n);

void home_free_tokens(char **tokens, int n);

/* Every file in the home is opened with O_NOFOLLOW (a symlink planted
 * there is refused, not followed) and created owner-only. For reading: */
FILE *home_fopen_read(const char *path);

/* supervisor.lock, opened (created when missing), or -1. */
int home_lock_open(const home_t *h);

/* Takes the supervisor's lock on fd without waiting: 0, or -1 when it is held. */
int home_lock_take(int fd);

/* The running supervisor's pid; HOME_STARTING while one holds the lock
 * but has not said its pid yet; 0 when none runs. */
#define HOME_STARTING ((pid_t)-1)
pid_t home_supervisor(const home_t *h);

#endif
