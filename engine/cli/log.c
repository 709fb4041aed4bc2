/* log.c - the throng command's log lines, and their files' rollover. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

const char *const cli_log_levels[] = {"error", "warn", "info", "debug", "trace", NULL};

struct cli_log {
    FILE *out;
    char *path; /* NULL for stderr */
    unsigned long long max_bytes, bytes;
    pthread_mutex_t lock; /* lines come from every worker thread */
};

static cli_log_t stderr_log = {NULL, NULL, 0, 0, PTHREAD_MUTEX_INITIALIZER};

cli_log_t *cli_log_stderr(void)
{
    stderr_log.out = stderr;
    return &stderr_log;
}

cli_log_t *cli_log_open(const char *cmd, const char *path, unsigned long long max_bytes)
{
    cli_log_t *log = calloc(1, sizeof *log);
    if (log) log->path = strdup(path);
    if (!log || !log->path) {
        fprintf(stderr, "%s: out of memory\n", cmd);
        free(log);
        return NULL;
    }
    if (!(log->out = fopen(path, "a"))) {
        fprintf(stderr, "%s: --log %s: %s\n", cmd, path, strerror(errno));
        free(log->path);
        free(log);
        return NULL;
    }
    struct stat st;
    log->bytes = fstat(fileno(log->out), &st) == 0 ? (unsigned long long)st.st_size : 0;
    log->max_bytes = max_bytes;
    pthread_mutex_init(&log->lock, NULL);
    return log;
}

void cli_log_close(cli_log_t *log)
{
    if (!log || log == &stderr_log) return;
    fclose(log->out);
    pthread_mutex_destroy(&log->lock);
    free(log->path);
    free(log);
}

/* FILE.4 -> FILE.5, ..., FILE -> FILE.1, and a new FILE; the oldest goes. */
static void roll_over(cli_log_t *log)
{
    size_t n = strlen(log->path) + 8;
    char from[n], to[n];
    snprintf(to, n, "%s.%d", log->path, CLI_LOG_KEEP);
    unlink(to);
    for (int i = CLI_LOG_KEEP - 1; i >= 1; i--) {
        snprintf(from, n, "%s.%d", log->path, i);
        snprintf(to, n, "%s.%d", log->path, i + 1);
        rename(from, to);
    }
    snprintf(to, n, "%s.1", log->path);
    fclose(log->out);
    rename(log->path, to);
    log->out = fopen(log->path, "a");
    if (!log->out) log->out = stderr; /* lines must go somewhere */
    log->bytes = 0;
}

/* "2026-03-08T21:04:33.651 [pid] client 7 info: message" */
static void write_line(throng_log_level_t level, uint64_t client, const char *message, void *data)
{
    cli_log_t *log = data;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    localtime_r(&tv.tv_sec, &tm);
    char when[32], who[32] = "";
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    if (client) snprintf(who, sizeof who, " client %llu", (unsigned long long)client);
    pthread_mutex_lock(&log->lock);
    int n = fprintf(log->out, "%s.%03ld [%ld]%s %s: %s\n", when, (long)(tv.tv_usec / 1000),
                    (long)getpid(), who, cli_log_levels[level], message);
    fflush(log->out);
    if (n > 0) log->bytes += (unsigned long long)n;
    if (log->path && log->max_bytes && log->bytes >= log->max_bytes) roll_over(log);
    pthread_mutex_unlock(&log->lock);
}

void cli_log_setup(throng_config_t *config, cli_log_t *log, throng_log_level_t level)
{
    config->log = write_line;
    config->log_data = log;
    config->log_level = level;
}
