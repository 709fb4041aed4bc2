/* proc.c - worker processes.
 *
 * throng_start() forks them before any thread or Lua state exists. Each
 * runs share `part` of one group's clients: it builds its workers and runs
 * the same control loop as any run (control.c) over its threads, with its
 * parent as the authority for stops and time. It sends its group's whole
 * statistics (cumulative, so a lost frame or a lost process costs nothing
 * already received) and its finished seconds every second and once more at
 * the end, then exits. To the parent's control loop each process is a
 * source: the parent reads its frames, relays stops, kills it when it
 * outlasts the grace of a stop, and notices when it ends without its final
 * frame (lost).
 *
 * Children never outlive the parent: each asks the kernel for SIGKILL when
 * its parent dies, and treats the end of its control pipe as a stop. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/engine.h"
#include "core/proc.h"

/* ---------------------------------------------------------------- child */

/* A worker process's line to its parent, as the uplink of its control loop. */
typedef struct link {
    throng__uplink_t base;
    throng_engine_t *engine;
    unsigned index, group, part;
    int ctl_fd;   /* the parent's stop requests */
    int stats_fd; /* frames to the parent */
} link_t;

static void write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return; /* the parent is gone */
        p += n;
        len -= (size_t)n;
    }
}

/* Writes the frames in b to the parent and empties b. */
static void send_buf(const link_t *l, throng__buf_t *b)
{
    write_all(l->stats_fd, b->data, b->len);
    b->len = 0;
}

/* The statistics of the group this process runs. */
static void send_stats(const link_t *l, char kind, throng_ending_t ending, const throng__stats_t *s)
{
    throng__buf_t b = {0};
    if (throng__frame_stats(&b, kind, ending, l->group, 1, &s) == 0) send_buf(l, &b);
    throng__buf_free(&b);
}

/* Sends the seconds gathered in series and forgets them. */
static void send_seconds(const link_t *l, throng__series_t *series)
{
    throng__buf_t b = {0};
    if (throng__frame_seconds(&b, series) == 0) send_buf(l, &b);
    throng__buf_free(&b);
}

/* Sends a text frame ('E', 'A'). */
static void send_text(const link_t *l, char kind, const char *text)
{
    throng__buf_t b = {0};
    if (throng__frame_text(&b, kind, text) == 0) send_buf(l, &b);
    throng__buf_free(&b);
}

/* Reads the parent's stop request: 1 when it came, or the parent is gone. */
static int link_heard(throng__uplink_t *u, throng_ending_t *reason)
{
    const link_t *l = (const link_t *)u;
    unsigned char msg[2];
    ssize_t n = read(l->ctl_fd, msg, sizeof msg);
    if (n == 2) {
        *reason = (throng_ending_t)msg[1];
        return 1;
    }
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        *reason = THRONG_END_STOPPED; /* the parent is gone */
        return 1;
    }
    return 0;
}

/* Every tick: the group's latest statistics and the seconds taken. */
static void link_tick(throng__uplink_t *u, throng__control_t *c)
{
    const link_t *l = (const link_t *)u;
    throng__stats_t *groups = calloc(c->ngroups, sizeof *groups); /* empty stats */
    if (groups) {
        pthread_mutex_lock(c->lock);
        throng__control_latest(c, groups);
        pthread_mutex_unlock(c->lock);
        send_stats(l, 'S', THRONG_END_NONE, &groups[l->group]);
        for (unsigned g = 0; g < c->ngroups; g++)
            throng__stats_free(&groups[g]);
        free(groups);
    }
    send_seconds(l, c->series);
}

/* The child's whole life: never returns. */
static void child_main(throng_engine_t *e, link_t *l)
{
    /* The run's wake-up pipe belongs to the parent. */
    close(e->pipe[0]);
    close(e->pipe[1]);
    e->pipe[0] = e->pipe[1] = -1;
    e->in_worker_process = 1;
    int rc = throng__threads_source_open(&e->threads, e, e->errmsg);
    if (rc == 0) {
        e->threads_open = 1;
        rc = throng__engine_create_workers(e, (int)l->group, l->part);
    }
    if (rc == 0) rc = throng__engine_start_workers(e);
    if (rc != 0) {
        send_text(l, 'E', e->errmsg);
        _exit(2);
    }
    throng__engine_log(e, THRONG_LOG_INFO, "worker process %d running %s (%u of %u) on %u thread%s",
                       (int)getpid(), e->groups[l->group].label, l->part + 1,
                       e->groups[l->group].procs, e->nworkers, e->nworkers == 1 ? "" : "s");
    throng__source_t *threads = &e->threads.base;
    throng__engine_control_setup(e, &threads, 1);
    throng__control_t *c = &e->control;
    c->duration = 0; /* the parent keeps time, and says when to stop */
    c->wake_fd = -1;
    c->stop_requested = NULL;
    c->progress = NULL;
    c->uplink = &l->base;
    /* The parent hears this often: its progress line, live reports and a
     * lost process's kept figures are no older than about two ticks of
     * the workers (250 ms each) and one of this loop. */
    c->tick = 0.25;
    throng_ending_t ending = throng__control_run(c);
    for (unsigned i = 0; i < e->threads.abandoned; i++)
        send_text(l, 'A', e->threads.abandoned_sample);
    send_seconds(l, &e->series);
    send_stats(l, 'F', ending, e->gstats[l->group]);
    _exit(0);
}

/* Just after fork, in the child: die with the parent, leave SIGINT to it
 * (a terminal's Ctrl-C reaches the whole process group), close what
 * belongs to the parent and the other children. */
static void child_setup(throng_engine_t *e, pid_t parent, unsigned index)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1); /* the parent died before the line above */
    signal(SIGINT, SIG_IGN);
    signal(SIGUSR1, SIG_IGN); /* the parent's, as SIGINT: it tells the child */
    signal(SIGTERM, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    for (unsigned i = 0; i < index; i++) {
        close(e->procs[i].ctl_fd);
        close(e->procs[i].stats_fd);
    }
}

/* -------------------------------------------------------------- parent */

static int spawn_one(throng_engine_t *e, unsigned i)
{
    throng__proc_t *p = &e->procs[i];
    int ctl[2], stats[2];
    /* The control line is a socket pair, so that writing to a child that is
     * gone fails with EPIPE (MSG_NOSIGNAL) instead of raising SIGPIPE. */
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ctl) != 0) goto fail;
    if (pipe2(stats, O_CLOEXEC) != 0) {
        close(ctl[0]);
        close(ctl[1]);
        goto fail;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        close(ctl[0]), close(ctl[1]), close(stats[0]), close(stats[1]);
        goto fail;
    }
    if (pid == 0) {
        child_setup(e, parent, i);
        close(ctl[1]);
        close(stats[0]);
        fcntl(ctl[0], F_SETFL, O_NONBLOCK);
        link_t link = {{ctl[0], link_heard, link_tick}, e, i, p->group, p->part, ctl[0], stats[1]};
        child_main(e, &link);
    }
    close(ctl[0]);
    close(stats[1]);
    p->pid = pid;
    snprintf(p->frames.who, sizeof p->frames.who, "worker process %d", (int)pid);
    p->ctl_fd = ctl[1];
    p->stats_fd = stats[0];
    fcntl(p->stats_fd, F_SETFL, O_NONBLOCK);
    throng__engine_log(e, THRONG_LOG_INFO, "worker process %d started (%u of %u, for %s)", (int)pid,
                       i + 1, e->forks, e->groups[p->group].label);
    return 0;
fail:
    return throng__fail(e->errmsg, THRONG_ESYS, "cannot start worker process %u: %s", i + 1,
                        strerror(errno));
}

/* "killed by signal 9 (Killed)" or "exited with status 2". */
static void describe_status(int status, char *buf, size_t len)
{
    if (WIFSIGNALED(status))
        snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else if (WIFEXITED(status))
        snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
    else
        snprintf(buf, len, "ended (status %#x)", status);
}

/* A child's statistics pipe reached its end: reap it and see whether it
 * said goodbye. */
static void child_ended(throng__proc_t *p)
{
    throng_engine_t *e = p->engine;
    close(p->stats_fd);
    p->stats_fd = -1;
    close(p->ctl_fd);
    p->ctl_fd = -1;
    int status = 0;
    while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR)
        ;
    p->exited = 1;
    p->base.ended = 1;
    if (p->frames.said_goodbye && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        throng__engine_log(e, THRONG_LOG_INFO, "worker process %d ended", (int)p->pid);
        return;
    }
    char how[96];
    describe_status(status, how, sizeof how);
    snprintf(p->base.why, sizeof p->base.why, "worker process %d %s; its last statistics are kept",
             (int)p->pid, how);
    p->base.lost = 1;
    throng__frames_lost(&p->frames);
}

/* Takes in what the child sent; says what it could not read or do. */
static void take_frames(throng__proc_t *p, const char *data, size_t len)
{
    throng__frames_t *f = &p->frames;
    int was_malformed = f->malformed;
    if (throng__frames_take(f, data, len) != 0) f->malformed = 1;
    if (f->malformed && !was_malformed)
        throng__engine_log(p->engine, THRONG_LOG_ERROR,
                           "worker process %d sent malformed statistics", (int)p->pid);
    if (f->error[0]) {
        throng__engine_log(p->engine, THRONG_LOG_ERROR, "worker process %d could not start: %s",
                           (int)p->pid, f->error);
        f->error[0] = 0;
    }
    if (f->said_goodbye) p->base.ending = f->ending;
}

/* ------------------------------------------------- the process as a source */

static throng__proc_t *of(throng__source_t *s)
{
    return (throng__proc_t *)s;
}

static int proc_fd(throng__source_t *s)
{
    return of(s)->stats_fd;
}

/* Reads what the child sent; at the end of its pipe, it has ended. */
static void proc_pump(throng__source_t *s)
{
    throng__proc_t *p = of(s);
    if (p->stats_fd < 0) return;
    char buf[64 * 1024];
    for (;;) {
        ssize_t n = read(p->stats_fd, buf, sizeof buf);
        if (n > 0) {
            take_frames(p, buf, (size_t)n);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
        break;
    }
    child_ended(p);
}

static void proc_counts(throng__source_t *s, throng__counts_t *sum)
{
    throng__frames_counts(&of(s)->frames, sum);
}

static void proc_latest(throng__source_t *s, throng__stats_t *groups)
{
    throng__frames_latest(&of(s)->frames, groups);
}

/* Its seconds go to the run's series and their group's. */
static void proc_seconds(throng__source_t *s, throng__series_t *series)
{
    throng__frames_seconds(&of(s)->frames, series);
}

/* Asks the child to stop (a closed control line also stops it). */
static void proc_stop(throng__source_t *s, throng_ending_t reason)
{
    throng__proc_t *p = of(s);
    unsigned char msg[2] = {'s', (unsigned char)reason};
    if (p->ctl_fd < 0) return;
    ssize_t n = send(p->ctl_fd, msg, sizeof msg, MSG_NOSIGNAL);
    (void)n; /* a child that is gone has nothing to stop */
}

static void proc_kill(throng__source_t *s)
{
    throng__proc_t *p = of(s);
    if (p->killed || p->exited) return;
    throng__engine_log(p->engine, THRONG_LOG_WARN,
                       "worker process %d did not stop in time; killing it", (int)p->pid);
    kill(p->pid, SIGKILL);
    p->killed = 1;
}

static int proc_finish(throng__source_t *s, throng__stats_t *const *gstats, char *err)
{
    (void)err;
    throng__frames_finish(&of(s)->frames, gstats);
    return 0;
}

static const throng__source_ops_t proc_ops = {
    proc_fd,   proc_pump, proc_counts, proc_latest, proc_seconds,
    proc_stop, proc_kill, proc_finish, NULL,
};

throng__source_t *throng__proc_source(throng_engine_t *e, unsigned i)
{
    return &e->procs[i].base;
}

int throng__proc_spawn(throng_engine_t *e)
{
    e->procs = calloc(e->forks, sizeof *e->procs);
    if (!e->procs) return throng__fail(e->errmsg, THRONG_ENOMEM, "out of memory");
    unsigned i = 0;
    for (unsigned gi = 0; gi < e->ngroups; gi++) {
        unsigned procs = e->groups[gi].procs;
        for (unsigned part = 0; procs > 1 && part < procs && i < e->forks; part++, i++) {
            throng__proc_t *p = &e->procs[i];
            p->base.ops = &proc_ops;
            p->base.lag = 2.5; /* a second reaches the child within a tick, the parent within
                                  the child's next one */
            p->base.ending = THRONG_END_NONE;
            p->engine = e;
            p->group = gi;
            p->part = part;
            p->ctl_fd = p->stats_fd = -1;
            if (throng__frames_init(&p->frames, e->ngroups) != 0)
                return throng__fail(e->errmsg, THRONG_ENOMEM, "out of memory");
        }
    }
    for (i = 0; i < e->forks; i++) {
        int rc = spawn_one(e, i);
        if (rc) {
            throng__proc_free(e);
            return rc;
        }
        e->nprocs = i + 1;
    }
    return 0;
}

void throng__proc_free(throng_engine_t *e)
{
    for (unsigned i = 0; i < e->nprocs && e->procs; i++) {
        throng__proc_t *p = &e->procs[i];
        if (!p->exited && p->pid > 0) {
            kill(p->pid, SIGKILL);
            waitpid(p->pid, NULL, 0);
        }
        if (p->ctl_fd >= 0) close(p->ctl_fd);
        if (p->stats_fd >= 0) close(p->stats_fd);
    }
    for (unsigned i = 0; i < e->forks && e->procs; i++) {
        throng__proc_t *p = &e->procs[i];
        throng__frames_free(&p->frames);
    }
    free(e->procs);
    e->procs = NULL;
    e->nprocs = 0;
}
