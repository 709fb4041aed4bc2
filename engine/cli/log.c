/* log.c - the throng command's log lines, and their files' rollover. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "files.h"
#include "log.h"

const char *const cli_log_levels[] = {"error", "warn", "info", "debug", "trace", NULL};

struct cli_log {
    int fd;          /* -1: stderr, through the queue below */
    char *path;      /* NULL for stderr */
    const char *cmd; /* prefixes what is said of the file */
    unsigned long long max_bytes, bytes;
    pthread_mutex_t lock; /* lines come from every worker thread */
};

static cli_log_t stderr_log = {-1, NULL, NULL, 0, 0, PTHREAD_MUTEX_INITIALIZER};

/* ---------------------------------------------------------------- counts
 *
 * What the processes of one run count together. Worker processes (-p N)
 * are forked from this one and log themselves (the log callback runs in
 * them, on their own copy of the queue and of the --log descriptor), and
 * they end with _exit: what they dropped or could not write is counted in
 * one shared page, made by cli_log_setup before the engine forks, so that
 * the parent can say it at the end. Until then the counts are this
 * process's own. */
typedef struct {
    atomic_ullong dropped;         /* lines for stderr dropped by the parent */
    atomic_ullong dropped_workers; /* ... by worker processes */
    atomic_ullong queued_workers;  /* lines worker processes queued and have not written yet */
    atomic_ullong lost;            /* lines the --log file did not take */
    atomic_ullong log_errors;      /* the --log file could not be written or reopened */
    atomic_int said;               /* the --log file's failure was said (once per run) */
} counts_t;

static counts_t own_counts;
static counts_t *counts = &own_counts;
static pid_t counts_owner; /* the process that made the shared page (0: none made) */

static void counts_share(void)
{
    if (counts != &own_counts) return;
    void *page =
        mmap(NULL, sizeof(counts_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) return; /* worker processes' counts are then lost with them */
    memcpy(page, &own_counts, sizeof own_counts);
    counts = page;
    counts_owner = getpid();
}

/* How many whole lines len bytes of buf hold. */
static unsigned long long lines_in(const char *buf, size_t len)
{
    unsigned long long n = 0;
    for (const char *p = buf, *end = buf + len; (p = memchr(p, '\n', (size_t)(end - p))); p++)
        n++;
    return n;
}

/* ---------------------------------------------------------------- stderr
 *
 * Lines for stderr never wait for it: a terminal, pipe or socket nobody
 * reads must not slow the clients down. Each line is written without
 * blocking; what does not fit waits in a bounded queue, flushed before the
 * next line, and a line that finds the queue full is dropped and counted.
 * For a pipe or a terminal, stderr is opened again (a new open file
 * description of the same pipe), so that O_NONBLOCK stays ours and does
 * not change the descriptor other processes share. */

#define QUEUE_MAX 65536
#define LINE_MAX_BYTES 8192

static struct {
    pthread_mutex_t lock;
    pid_t pid;  /* the process the queue belongs to: a forked child starts empty */
    int worker; /* that process is a worker process of the one that shares the counts */
    int fd;     /* -1: not chosen yet */
    int sock;   /* fd is a socket: send(MSG_DONTWAIT) */
    int check;  /* fd may block: poll it before each write */
    char buf[QUEUE_MAX];
    size_t len;
    int stuck; /* a wait for stderr ran out: no more waiting for it */
} err_q = {PTHREAD_MUTEX_INITIALIZER, 0, 0, -1, 0, 0, {0}, 0, 0};

/* Lines this process dropped, counted where the parent sees them. */
static void count_dropped(unsigned long long lines)
{
    atomic_fetch_add(err_q.worker ? &counts->dropped_workers : &counts->dropped, lines);
}

static void queue_choose_fd(void)
{
    struct stat st;
    err_q.fd = STDERR_FILENO;
    err_q.sock = err_q.check = 0;
    if (fstat(STDERR_FILENO, &st) != 0 || S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)) return;
    if (S_ISSOCK(st.st_mode)) {
        err_q.sock = 1;
        return;
    }
    int fd = open("/proc/self/fd/2", O_WRONLY | O_APPEND | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd >= 0)
        err_q.fd = fd;
    else
        err_q.check = 1;
}

/* Writes what it can of buf now; how much, or -1 on a hard error. */
static ssize_t write_now(const char *buf, size_t len)
{
    if (err_q.check) {
        struct pollfd pfd = {err_q.fd, POLLOUT, 0};
        if (poll(&pfd, 1, 0) != 1 || !(pfd.revents & POLLOUT)) return 0;
    }
    ssize_t n;
    do
        n = err_q.sock ? send(err_q.fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL)
                       : write(err_q.fd, buf, len);
    while (n < 0 && errno == EINTR);
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    return n;
}

/* The queue to stderr, as far as it goes now. Called with err_q.lock. A
 * worker process's queued lines are counted as queued until written: one
 * that ends with lines still queued has dropped them. */
static void queue_flush(void)
{
    size_t done = 0;
    ssize_t n = 0;
    while (done < err_q.len && (n = write_now(err_q.buf + done, err_q.len - done)) > 0)
        done += (size_t)n;
    if (err_q.worker) atomic_fetch_sub(&counts->queued_workers, lines_in(err_q.buf, done));
    if (n < 0) { /* stderr is gone: nothing queued will ever get there */
        unsigned long long lines = lines_in(err_q.buf + done, err_q.len - done);
        if (err_q.worker) atomic_fetch_sub(&counts->queued_workers, lines);
        count_dropped(lines ? lines : 1);
        done = err_q.len;
    }
    memmove(err_q.buf, err_q.buf + done, err_q.len - done);
    err_q.len -= done;
}

/* Queues text (one line, or the progress line) for stderr, or drops it. */
static void queue_line(const char *text, size_t len)
{
    pthread_mutex_lock(&err_q.lock);
    if (err_q.pid != getpid()) { /* the parent's queued lines are the parent's to write */
        err_q.pid = getpid();
        err_q.worker = counts_owner != 0 && err_q.pid != counts_owner;
        err_q.len = 0;
        err_q.stuck = 0;
        if (err_q.fd < 0) queue_choose_fd();
    }
    queue_flush();
    size_t done = 0;
    if (err_q.len == 0) {
        ssize_t n = write_now(text, len);
        done = n > 0 ? (size_t)n : 0;
    }
    if (len - done <= sizeof err_q.buf - err_q.len) {
        memcpy(err_q.buf + err_q.len, text + done, len - done);
        err_q.len += len - done;
        if (err_q.worker) /* by its newlines, as queue_flush counts them off */
            atomic_fetch_add(&counts->queued_workers, lines_in(text + done, len - done));
    } else {
        count_dropped(1); /* never half written: done is 0 unless the queue was empty */
    }
    pthread_mutex_unlock(&err_q.lock);
}

void cli_stderr_write(const char *text, size_t len)
{
    queue_line(text, len < LINE_MAX_BYTES ? len : LINE_MAX_BYTES);
}

void cli_stderr_printf(const char *fmt, ...)
{
    char line[LINE_MAX_BYTES];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n > 0) cli_stderr_write(line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Waits up to the deadline (now_s() seconds) for the queue to empty; once
 * one wait has run out, the next ones only try. */
static int queue_drain(double deadline)
{
    for (;;) {
        pthread_mutex_lock(&err_q.lock);
        queue_flush();
        size_t left = err_q.len;
        int fd = err_q.fd, give_up = err_q.stuck || now_s() >= deadline;
        if (left && give_up) err_q.stuck = 1;
        pthread_mutex_unlock(&err_q.lock);
        if (!left) return 0;
        if (give_up || fd < 0) return -1;
        struct pollfd pfd = {fd, POLLOUT, 0};
        double ms = (deadline - now_s()) * 1000;
        poll(&pfd, 1, ms > 0 ? (int)ms + 1 : 0);
    }
}

unsigned long long cli_stderr_finish(const char *cmd, double wait)
{
    double deadline = now_s() + wait;
    queue_drain(deadline);
    pthread_mutex_lock(&err_q.lock);
    unsigned long long dropped = 0, workers = 0;
    if (!err_q.worker) { /* the worker processes have ended: what they still queued is lost */
        dropped = atomic_exchange(&counts->dropped, 0);
        workers = atomic_exchange(&counts->dropped_workers, 0) +
                  atomic_exchange(&counts->queued_workers, 0);
    }
    pthread_mutex_unlock(&err_q.lock);
    dropped += workers;
    if (dropped) {
        char whose[64] = "";
        if (workers) snprintf(whose, sizeof whose, " (%llu of them in worker processes)", workers);
        cli_stderr_printf("%s: %llu log line%s dropped: stderr was not being read%s\n", cmd,
                          dropped, dropped == 1 ? "" : "s", whose);
        queue_drain(deadline + 1);
    }
    return dropped;
}

/* ------------------------------------------------------------------- log */

cli_log_t *cli_log_stderr(void)
{
    return &stderr_log;
}

/* Opened for appending, refusing a symlink, owner-only when created. */
static int open_append(const char *path)
{
    return cli_open_private(path, O_WRONLY | O_CREAT | O_APPEND);
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
    if ((log->fd = open_append(path)) < 0) {
        fprintf(stderr, "%s: --log %s: %s\n", cmd, path, strerror(errno));
        free(log->path);
        free(log);
        return NULL;
    }
    struct stat st;
    int regular = fstat(log->fd, &st) == 0 && S_ISREG(st.st_mode);
    log->bytes = regular ? (unsigned long long)st.st_size : 0;
    /* Only a regular file rolls over: renaming a device (/dev/null) or a
     * FIFO would move it away and leave a plain file in its place. */
    log->max_bytes = regular ? max_bytes : 0;
    log->cmd = cmd;
    pthread_mutex_init(&log->lock, NULL);
    return log;
}

int cli_log_close(cli_log_t *log)
{
    if (!log || log == &stderr_log) return 0;
    int failed = 0;
    if (log->fd >= 0 && close(log->fd) != 0 && errno != EINTR) {
        cli_stderr_printf("%s: cannot write --log %s: %s\n", log->cmd, log->path, strerror(errno));
        failed = 1;
    }
    unsigned long long lost = atomic_exchange(&counts->lost, 0);
    failed |= atomic_exchange(&counts->log_errors, 0) != 0;
    if (lost)
        cli_stderr_printf("%s: %llu log line%s could not be written to --log %s\n", log->cmd, lost,
                          lost == 1 ? "" : "s", log->path);
    pthread_mutex_destroy(&log->lock);
    free(log->path);
    free(log);
    return failed || lost ? -1 : 0;
}

/* The log file failed (what, with errno): said once per run, from whichever
 * process saw it first, and counted. Called with log->lock. */
static void log_failed(cli_log_t *log, const char *what)
{
    int said = 0;
    atomic_fetch_add(&counts->log_errors, 1);
    if (atomic_compare_exchange_strong(&counts->said, &said, 1))
        cli_stderr_printf("%s: %s --log %s: %s\n", log->cmd, what, log->path, strerror(errno));
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
    if (log->fd >= 0) close(log->fd);
    rename(log->path, to);
    /* -1: to stderr, lines must go somewhere; the next roll-over tries again */
    if ((log->fd = open_append(log->path)) < 0) log_failed(log, "cannot reopen");
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
    char line[LINE_MAX_BYTES];
    int n =
        snprintf(line, sizeof line, "%s.%03ld [%ld]%s %s: %s\n", when, (long)(tv.tv_usec / 1000),
                 (long)getpid(), who, cli_log_levels[level], message);
    if (n <= 0) return;
    if ((size_t)n >= sizeof line) { /* a long message keeps its end of line */
        n = (int)sizeof line - 1;
        line[n - 1] = '\n';
    }
    pthread_mutex_lock(&log->lock);
    if (log->fd >= 0) {
        if (cli_write_all(log->fd, line, (size_t)n) != 0) {
            atomic_fetch_add(&counts->lost, 1);
            log_failed(log, "cannot write");
        }
    } else {
        cli_stderr_write(line, (size_t)n);
    }
    log->bytes += (unsigned long long)n;
    if (log->path && log->max_bytes && log->bytes >= log->max_bytes) roll_over(log);
    pthread_mutex_unlock(&log->lock);
}

void cli_log_setup(throng_config_t *config, cli_log_t *log, throng_log_level_t level)
{
    counts_share();
    config->log = write_line;
    config->log_data = log;
    config->log_level = level;
}
