/* supervisor.c - keeping a home's groups going in the background.
 *
 * `throng start` forks twice (the supervisor belongs to no terminal and is
 * nobody's child that could wait for it), and the supervisor takes the
 * home's lock: a second supervisor cannot, so two starts cannot both win.
 * Each group runs as `throng run` (execv of this very program: no shell,
 * whatever the settings say), asks for SIGTERM should the supervisor die,
 * and is restarted when it ends, after a backoff from 1 s to 60 s. A
 * restart keeps the figures: the ended process's last report is merged
 * into the group's history. `throng stop` ends the groups with SIGUSR1:
 * each run ends as if its duration were over (in-flight requests
 * cancelled), not aborted as SIGTERM would. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "files.h"
#include "supervisor.h"
#include "throng.h"

#define BACKOFF_MIN 1.0
#define BACKOFF_MAX 60.0
#define STOP_GRACE 15.0     /* seconds group processes have to end before SIGKILL */
#define STOP_SEES_START 500 /* ms: a start this close after a stop is stopped too */
/* s: how long `throng stop` waits; the SIGKILL after STOP_GRACE and a slow
 * machine's reaping fit in it */
#define STOP_WAIT 30

typedef struct group_proc {
    char name[HOME_NAME_MAX];
    pid_t pid;
    double started, restart_at, backoff;
    int failed; /* refused its settings: not restarted */
} group_proc_t;

typedef struct supervisor {
    const home_t *h;
    char exe[PATH_MAX];
    group_proc_t groups[HOME_GROUPS_MAX];
    int ngroups;
    int wake[2]; /* signals write here */
    int stopping;
    double stop_deadline;
} supervisor_t;

static int wake_fd = -1; /* the one supervisor of this process: its self-pipe */

/* Lines note() could not write (a full disk): counted, and the first
 * failure said on stderr. The supervisor has no terminal (its stderr is
 * /dev/null once detached), so the count and that first failure are also
 * written to supervisor.log as soon as it takes a line again, and the
 * supervisor ends with status 6, as a run that could not write its log. */
static struct {
    unsigned long long lost, told; /* lines lost; how many of them the log was told of */
    char first[PATH_MAX + 64];     /* "cannot write FILE: why" */
} lost_lines;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A line note() could not write to path: counted, said once. */
static void line_lost(const char *path)
{
    if (!lost_lines.lost++) {
        snprintf(lost_lines.first, sizeof lost_lines.first, "cannot write %s: %s", path,
                 strerror(errno));
        fprintf(stderr, "throng supervisor: %s\n", lost_lines.first);
    }
}

/* supervisor.log takes lines again: first the count of those it missed. */
static void note_lost(const char *path, const char *when)
{
    char line[PATH_MAX + 256];
    unsigned long long n = lost_lines.lost - lost_lines.told;
    int len = snprintf(line, sizeof line, "%s [%ld] supervisor: %llu line%s lost (the first: %s)\n",
                       when, (long)getpid(), n, n == 1 ? "" : "s", lost_lines.first);
    int fd = cli_open_private(path, O_WRONLY | O_CREAT | O_APPEND);
    if (fd < 0) return;
    if (len > 0 &&
        cli_write_all(fd, line, (size_t)len < sizeof line ? (size_t)len : sizeof line - 1) == 0)
        lost_lines.told += n;
    close(fd);
}

/* A line to supervisor.log and, for a group's event, to the group's log. */
static void note(const supervisor_t *s, const char *group, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void note(const supervisor_t *s, const char *group, const char *fmt, ...)
{
    char msg[512], when[32], path[PATH_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S.000", &tm);
    const char *files[2] = {home_path(s->h, path, sizeof path, "supervisor.log"), NULL};
    char gpath[PATH_MAX];
    if (group) files[1] = home_path(s->h, gpath, sizeof gpath, "logs/%s.log", group);
    char line[700];
    int n = snprintf(line, sizeof line, "%s [%ld] supervisor: %s%s%s\n", when, (long)getpid(),
                     group ? group : "", group ? ": " : "", msg);
    if (n <= 0) return;
    for (int i = 0; i < 2 && files[i]; i++) {
        if (i == 0 && lost_lines.lost > lost_lines.told) note_lost(files[0], when);
        int fd = cli_open_private(files[i], O_WRONLY | O_CREAT | O_APPEND);
        int rc =
            fd < 0 ? -1
                   : cli_write_all(fd, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
        if (fd >= 0 && close(fd) != 0 && rc == 0 && errno != EINTR) rc = -1;
        if (rc != 0) line_lost(files[i]);
    }
}

/* ------------------------------------------------------------ arguments */

int supervisor_group_argv(const home_t *h, const char *name, char **argv, int cap)
{
    char *tokens[256], p[PATH_MAX];
    int n = home_read_group(h, name, tokens, 256), k = 0, has_level = 0, has_duration = 0,
        has_every = 0;
    if (n < 0) return -1;
    for (int i = 0; i < n; i++) {
        has_level |=
            !strncmp(tokens[i], "--log-level=", 12) || !strncmp(tokens[i], "--debug-level=", 14);
        has_duration |= !strncmp(tokens[i], "--duration=", 11);
        has_every |= !strncmp(tokens[i], "--snapshot-every=", 17);
    }
    argv[k++] = strdup("throng");
    argv[k++] = strdup("run");
    int i = 0;
    for (; i < n && strcmp(tokens[i], "--") != 0 && k < cap - 16; i++)
        argv[k++] = tokens[i];
    /* What the home adds, before the persona's own arguments. */
    argv[k++] = strdup(home_path(h, p, sizeof p, "--log=%s/logs/%s.log", h->dir, name) +
                       strlen(h->dir) + 1);
    argv[k++] = strdup("--log-max=10M");
    argv[k++] = strdup(home_path(h, p, sizeof p, "--status=%s/state/%s.status", h->dir, name) +
                       strlen(h->dir) + 1);
    argv[k++] = strdup(home_path(h, p, sizeof p, "--snapshot=%s/state/%s.json", h->dir, name) +
                       strlen(h->dir) + 1);
    /* Every 10 s unless the group asks otherwise (a home watched with
     * throng status --dashboard: 1s; each is the whole report so far). */
    if (!has_every) argv[k++] = strdup("--snapshot-every=10s");
    snprintf(p, sizeof p, "--name=%s", name);
    argv[k++] = strdup(p);
    argv[k++] = strdup("--quiet");
    if (!has_level) argv[k++] = strdup("--log-level=info");
    if (!has_duration) argv[k++] = strdup("--duration=0"); /* until stopped */
    for (; i < n && k < cap - 1; i++)
        argv[k++] = tokens[i];
    argv[k] = NULL;
    return k;
}

/* --------------------------------------------------------------- groups */

/* The ended process's last report joins the group's history; the report
 * of one killed before its run ended (the last it published) counts its
 * process lost, with what happened (how). */
static void keep_figures(const supervisor_t *s, const char *name, int killed, const char *how)
{
    char now_p[PATH_MAX], hist_p[PATH_MAX];
    home_path(s->h, now_p, sizeof now_p, "state/%s.json", name);
    home_path(s->h, hist_p, sizeof hist_p, "state/%s.history.json", name);
    FILE *f = home_fopen_read(now_p);
    if (!f) return;
    char *texts[2] = {NULL, NULL}, *merged = NULL;
    size_t cap = 0;
    if (getdelim(&texts[1], &cap, '\0', f) < 0) texts[1] = NULL;
    fclose(f);
    char *marked = NULL, why[160];
    snprintf(why, sizeof why, "the group's process %s before its run ended", how);
    if (killed && texts[1] && throng_report_mark_lost(texts[1], why, &marked, NULL, 0) == 0) {
        free(texts[1]);
        texts[1] = strdup(marked);
        throng_free(marked);
    }
    FILE *g = home_fopen_read(hist_p);
    cap = 0;
    if (g && getdelim(&texts[0], &cap, '\0', g) < 0) texts[0] = NULL;
    if (g) fclose(g);
    const char *list[2] = {texts[0] ? texts[0] : texts[1], texts[1]};
    int n = texts[0] ? 2 : 1;
    char err[256];
    if (texts[1] && throng_report_merge(list, (size_t)n, 1, &merged, err, sizeof err) == 0) {
        if (cli_replace_file(hist_p, merged, strlen(merged), CLI_FILE_PRIVATE | CLI_FILE_DURABLE) ==
            0)
            unlink(now_p);
        else
            note(s, name, "cannot write %s: %s", hist_p, strerror(errno));
    }
    throng_free(merged);
    free(texts[0]);
    free(texts[1]);
}

/* ------------------------------------------------------- group state */

static void describe(int status, char *buf, size_t len)
{
    if (WIFSIGNALED(status))
        snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
}

/* The last line of path holding marker (the text after it), or of any text
 * when marker is NULL, in out; only the file's last 64 KiB are read. */
static int last_line(const char *path, const char *marker, char *out, size_t len)
{
    FILE *f = home_fopen_read(path);
    if (!f) return 0;
    if (fseek(f, -65536, SEEK_END) != 0) rewind(f);
    char line[1024];
    int found = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        const char *at = marker ? strstr(line, marker) : line;
        if (!at || !*at) continue;
        const char *text = marker ? at + strlen(marker) : at;
        size_t n = strlen(text) < len ? strlen(text) : len - 1;
        memcpy(out, text, n);
        out[n] = '\0';
        found = 1;
    }
    fclose(f);
    return found;
}

/* state/NAME.proc, what `throng status` reads of a group the supervisor
 * keeps: "starting", "running PID", "restarting EPOCH WHY" or "stopped WHY". */
static void set_state(const supervisor_t *s, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_state(const supervisor_t *s, const char *name, const char *fmt, ...)
{
    char path[PATH_MAX], text[1200];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof text - 1, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n > sizeof text - 2) n = (int)sizeof text - 2;
    text[n++] = '\n';
    if (cli_replace_file(home_path(s->h, path, sizeof path, "state/%s.proc", name), text, (size_t)n,
                         CLI_FILE_PRIVATE) != 0)
        note(s, name, "cannot write %s: %s", path, strerror(errno));
}

/* Runs of blanks in text made one space, none before ';' or at the end:
 * a report's columns read as a sentence. */
static void squeeze(char *text)
{
    char *to = text;
    for (const char *from = text; *from; from++) {
        if (*from == ' ' && (from[1] == ' ' || from[1] == ';' || from[1] == '\0')) continue;
        *to++ = *from;
    }
    *to = '\0';
}

/* Why a group's process ended, for its state: how it ended and the last
 * error it said: for refused settings, the last line of its output, where
 * throng run says why; else its log's last error line, or when it logged
 * none, its report's ending and first fault. */
static void why_ended(const supervisor_t *s, const char *name, int status, char *out, size_t len)
{
    char how[96], said[400] = "", ending[200] = "", fault[200] = "", log_p[PATH_MAX],
                  out_p[PATH_MAX];
    describe(status, how, sizeof how);
    home_path(s->h, log_p, sizeof log_p, "logs/%s.log", name);
    home_path(s->h, out_p, sizeof out_p, "logs/%s.out", name);
    int refused = WIFEXITED(status) && WEXITSTATUS(status) == 2;
    if (refused) last_line(out_p, NULL, said, sizeof said);
    if (!refused && !last_line(log_p, " error: ", said, sizeof said) &&
        last_line(out_p, "ended: ", ending, sizeof ending)) {
        ending[strcspn(ending, "(")] = '\0'; /* the seed, not a reason */
        int faults =
            last_line(out_p, "  faults     ", fault, sizeof fault) && strcmp(fault, "none") != 0;
        snprintf(out, len, "process %s; ended: %s%s%s", how, ending, faults ? "; faults: " : "",
                 faults ? fault : "");
    } else {
        snprintf(out, len, "process %s%s%s", how, said[0] ? "; last error: " : "", said);
    }
    squeeze(out);
}

/* Starts a group's process: its output to logs/NAME.out, then execv. */
static void spawn(supervisor_t *s, group_proc_t *g)
{
    char *argv[300], out_p[PATH_MAX];
    int n = supervisor_group_argv(s->h, g->name, argv, 300);
    if (n < 0) {
        note(s, g->name, "its settings are gone; not started");
        set_state(s, g->name, "stopped: its settings are gone");
        g->failed = 1;
        return;
    }
    home_path(s->h, out_p, sizeof out_p, "logs/%s.out", g->name);
    pid_t parent = getpid(), pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM); /* no group outlives its supervisor */
        if (getppid() != parent) _exit(1);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGCHLD, SIG_DFL);
        int fd = cli_open_private(out_p, O_WRONLY | O_CREAT | O_TRUNC);
        if (fd >= 0)
            dup2(fd, STDOUT_FILENO), dup2(fd, STDERR_FILENO);
        else /* a symlink there is refused: its output goes nowhere */
            note(s, g->name, "cannot open %s: %s", out_p, strerror(errno));
        execv(s->exe, argv);
        fprintf(stderr, "supervisor: cannot run %s: %s\n", s->exe, strerror(errno));
        _exit(127);
    }
    for (int i = 0; i < n; i++)
        free(argv[i]);
    if (pid < 0) {
        note(s, g->name, "cannot start a process: %s", strerror(errno));
        g->restart_at = now_s() + g->backoff;
        return;
    }
    g->pid = pid;
    g->started = now_s();
    note(s, g->name, "started process %d", (int)pid);
    set_state(s, g->name, "running %d", (int)pid);
}

/* A group's process ended: keep its figures, and restart it unless the
 * supervisor is stopping or the settings were refused. */
static void ended(supervisor_t *s, group_proc_t *g, int status)
{
    char how[96], why[1000];
    describe(status, how, sizeof how);
    why_ended(s, g->name, status, why, sizeof why);
    g->pid = 0;
    keep_figures(s, g->name, WIFSIGNALED(status), how);
    if (s->stopping) {
        note(s, g->name, "process %s", how);
        set_state(s, g->name, "stopped by throng stop");
        return;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 2) {
        g->failed = 1;
        note(s, g->name, "process %s: its settings are refused (see logs/%s.out); not restarted",
             how, g->name);
        set_state(s, g->name, "stopped: %s; not restarted", why);
        return;
    }
    double ran = now_s() - g->started;
    g->backoff = ran > BACKOFF_MAX ? BACKOFF_MIN : g->backoff * 2;
    if (g->backoff < BACKOFF_MIN) g->backoff = BACKOFF_MIN;
    if (g->backoff > BACKOFF_MAX) g->backoff = BACKOFF_MAX;
    g->restart_at = now_s() + g->backoff;
    note(s, g->name, "process %s after %.0fs; restarting in %.0fs", how, ran, g->backoff);
    set_state(s, g->name, "restarting %lld %s", (long long)time(NULL) + (long long)g->backoff, why);
}

static void reap(supervisor_t *s)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
        for (int i = 0; i < s->ngroups; i++)
            if (s->groups[i].pid == pid) ended(s, &s->groups[i], status);
}

/* ------------------------------------------------------------------ loop */

static void on_signal(int sig)
{
    char c = (char)sig;
    ssize_t n = write(wake_fd, &c, 1);
    (void)n;
}

static void begin_stop(supervisor_t *s)
{
    if (s->stopping) return;
    s->stopping = 1;
    s->stop_deadline = now_s() + STOP_GRACE;
    note(s, NULL, "stopping every group");
    for (int i = 0; i < s->ngroups; i++)
        if (s->groups[i].pid)
            kill(s->groups[i].pid, SIGUSR1);
        else if (!s->groups[i].failed) /* waiting to restart */
            set_state(s, s->groups[i].name, "stopped by throng stop");
}

static int alive(const supervisor_t *s)
{
    int n = 0;
    for (int i = 0; i < s->ngroups; i++)
        n += s->groups[i].pid != 0;
    return n;
}

static void run_loop(supervisor_t *s)
{
    for (;;) {
        struct pollfd pfd = {s->wake[0], POLLIN, 0};
        poll(&pfd, 1, 500);
        char sigs[64];
        ssize_t n = read(s->wake[0], sigs, sizeof sigs);
        for (ssize_t i = 0; i < n; i++)
            if (sigs[i] == SIGTERM || sigs[i] == SIGINT || sigs[i] == SIGHUP) begin_stop(s);
        reap(s);
        if (s->stopping) {
            if (!alive(s)) return;
            if (now_s() > s->stop_deadline)
                for (int i = 0; i < s->ngroups; i++)
                    if (s->groups[i].pid) kill(s->groups[i].pid, SIGKILL);
            continue;
        }
        double t = now_s();
        for (int i = 0; i < s->ngroups; i++) {
            group_proc_t *g = &s->groups[i];
            if (!g->pid && !g->failed && t >= g->restart_at) spawn(s, g);
        }
    }
}

/* The supervisor's whole life, in the grandchild of `throng start`. report
 * is the pipe to tell the starter how it went; the home's lock, taken by
 * the starter, came with the fork and is held until this process ends. */
static void supervise(const home_t *h, int report)
{
    supervisor_t *s = calloc(1, sizeof *s);
    char p[PATH_MAX], msg[256];
    if (!s) goto fail_nomem;
    s->h = h;
    ssize_t len = readlink("/proc/self/exe", s->exe, sizeof s->exe - 1);
    if (len <= 0) {
        snprintf(msg, sizeof msg, "cannot find the throng program: %s", strerror(errno));
        goto fail;
    }
    s->exe[len] = '\0';
    char names[HOME_GROUPS_MAX][HOME_NAME_MAX];
    s->ngroups = home_groups(h, names);
    for (int i = 0; i < s->ngroups; i++) {
        snprintf(s->groups[i].name, HOME_NAME_MAX, "%s", names[i]);
        s->groups[i].backoff = BACKOFF_MIN / 2;
    }
    if (pipe2(s->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
        snprintf(msg, sizeof msg, "cannot make a pipe: %s", strerror(errno));
        goto fail;
    }
    wake_fd = s->wake[1];
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGCHLD, &sa, NULL);
    /* The pid file last: once it is there, a SIGTERM finds the handler. */
    char pid_line[32];
    snprintf(pid_line, sizeof pid_line, "%ld\n", (long)getpid());
    if (cli_replace_file(home_path(h, p, sizeof p, "supervisor.pid"), pid_line, strlen(pid_line),
                         CLI_FILE_PRIVATE) != 0) {
        snprintf(msg, sizeof msg, "cannot write supervisor.pid: %s", strerror(errno));
        goto fail;
    }
    note(s, NULL, "started (pid %ld) with %d group%s", (long)getpid(), s->ngroups,
         s->ngroups == 1 ? "" : "s");
    for (int i = 0; i < s->ngroups; i++) /* until its process runs */
        set_state(s, s->groups[i].name, "starting");
    dprintf(report, "ok %ld\n", (long)getpid());
    close(report);
    run_loop(s);
    note(s, NULL, "stopped");
    unlink(home_path(h, p, sizeof p, "supervisor.pid"));
    _exit(lost_lines.lost ? 6 : 0); /* 6: as a run that could not write its log */
fail_nomem:
    snprintf(msg, sizeof msg, "out of memory");
fail:
    dprintf(report, "error %s\n", msg);
    _exit(1);
}

/* In the child of `throng start`: leave the terminal's session, and hand
 * the supervisor to init so nobody has to wait for it. */
static void detach(const home_t *h, int report)
{
    setsid();
    pid_t pid = fork();
    if (pid != 0) _exit(pid < 0);
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
        dup2(null, STDERR_FILENO);
        if (null > STDERR_FILENO) close(null);
    }
    if (chdir(h->dir) != 0) _exit(1);
    umask(077);
    supervise(h, report);
}

int supervisor_start(const home_t *h, pid_t *pid)
{
    /* The lock first, before anything can see a half-started supervisor:
     * from here on `throng stop` waits for this one instead of finding
     * nothing. The supervisor inherits it across the forks. */
    char p[PATH_MAX];
    int lock = home_lock_open(h);
    if (lock < 0) {
        fprintf(stderr, "throng start: %s: %s\n", home_path(h, p, sizeof p, "supervisor.lock"),
                strerror(errno));
        return -1;
    }
    /* A supervisor ending at this moment lets go of the lock: try again. */
    int taken = home_lock_take(lock) == 0;
    for (int i = 0; !taken && i < 50 && home_supervisor(h) == 0; i++) {
        usleep(10000);
        taken = home_lock_take(lock) == 0;
    }
    if (!taken) {
        pid_t running = home_supervisor(h);
        if (running > 0)
            fprintf(stderr, "throng start: already running (supervisor pid %d)\n", (int)running);
        else
            fprintf(stderr, "throng start: already running (a supervisor is starting)\n");
        close(lock);
        return -1;
    }
    unlink(home_path(h, p, sizeof p, "supervisor.pid")); /* stale: its supervisor is gone */
    char names[HOME_GROUPS_MAX][HOME_NAME_MAX];
    if (home_groups(h, names) == 0) {
        fprintf(stderr, "throng start: no group in %s (add one with throng add)\n", h->dir);
        close(lock);
        return -1;
    }
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) {
        fprintf(stderr, "throng start: %s\n", strerror(errno));
        close(lock);
        return -1;
    }
    fflush(NULL);
    pid_t child = fork();
    if (child == 0) {
        close(report[0]);
        detach(h, report[1]);
    }
    close(report[1]);
    if (child > 0) waitpid(child, NULL, 0);
    close(lock); /* the supervisor holds it now, or nobody does */
    char line[300] = "";
    FILE *f = fdopen(report[0], "r");
    if (!f || !fgets(line, sizeof line, f))
        snprintf(line, sizeof line, "error the supervisor did not start");
    if (f) fclose(f);
    line[strcspn(line, "\n")] = '\0';
    if (strncmp(line, "ok ", 3) == 0) {
        *pid = (pid_t)atol(line + 3);
        return 0;
    }
    fprintf(stderr, "throng start: %s\n", strncmp(line, "error ", 6) == 0 ? line + 6 : line);
    return -1;
}

int supervisor_stop(const home_t *h)
{
    /* A `throng start` given at the same moment may not have taken the
     * lock yet: it does so first thing, so a short wait sees it. */
    pid_t pid = home_supervisor(h);
    for (int i = 0; pid == 0 && i < STOP_SEES_START / 20; i++) {
        usleep(20000);
        pid = home_supervisor(h);
    }
    /* A supervisor still starting says its pid within moments. */
    for (int i = 0; pid == HOME_STARTING && i < 200; i++) {
        usleep(50000);
        pid = home_supervisor(h);
    }
    if (pid == HOME_STARTING) {
        fprintf(stderr, "throng stop: a supervisor holds the home's lock but has not said its pid "
                        "in 10s; not stopped\n");
        return -1;
    }
    if (!pid) return 1;
    if (kill(pid, SIGTERM) != 0) {
        fprintf(stderr, "throng stop: cannot signal the supervisor (pid %d): %s\n", (int)pid,
                strerror(errno));
        return -1;
    }
    /* Gone when its lock is free: it holds it until its last group ended. */
    for (int i = 0; i < STOP_WAIT * 20; i++) {
        if (home_supervisor(h) == 0) return 0;
        usleep(50000);
    }
    fprintf(stderr, "throng stop: the supervisor (pid %d) is still running after %ds\n", (int)pid,
            STOP_WAIT);
    return -1;
}
