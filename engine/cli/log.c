/* log.c - the throng command's log lines. */
#include <stdio.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

const char *const cli_log_levels[] = {"error", "warn", "info", "debug", "trace", NULL};

/* "2026-03-08T21:04:33.651 [pid] client 7 info: message" as one write, so
 * that lines from several threads never interleave. */
static void write_line(throng_log_level_t level, uint64_t client, const char *message, void *data)
{
    FILE *out = data;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    localtime_r(&tv.tv_sec, &tm);
    char when[32];
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    char who[32] = "";
    if (client) snprintf(who, sizeof who, " client %llu", (unsigned long long)client);
    fprintf(out, "%s.%03ld [%ld]%s %s: %s\n", when, (long)(tv.tv_usec / 1000), (long)getpid(), who,
            cli_log_levels[level], message);
    fflush(out);
}

void cli_log_setup(throng_config_t *config, FILE *out, throng_log_level_t level)
{
    config->log = write_line;
    config->log_data = out;
    config->log_level = level;
}
