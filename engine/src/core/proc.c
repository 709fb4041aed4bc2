/* proc.c - worker processes.
 *
 * throng_start() forks them before any thread or Lua state exists. Each
 * child builds its share of the workers, runs the same control loop as a
 * run without processes, sends its whole statistics (cumulative, so a lost
 * frame or a lost process costs nothing already received) every second and
 * once more at the end, then exits. The parent only reads, merges, relays
 * stops, and notices children that end without their final frame.
 *
 * Children never outlive the parent: each asks the kernel for SIGKILL when
 * its parent dies, and treats the end of its control pipe as a stop. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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

#define STOP_GRACE 10.0 /* seconds a stopped child has before SIGKILL */

/* A frame: its header, then len bytes of payload. */
typedef struct frame_header {
    uint32_t len;
    char kind;            /* 'S' statistics, 'F' final statistics, 'E' an error message */
    unsigned char ending; /* 'F': why the child's run ended */
    uint16_t pad;
} frame_header_t;

/* ---------------------------------------------------------------- child */

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

static void send_frame(const throng__link_t *link, char kind, throng_ending_t ending,
                       const void *payload, size_t len)
{
    frame_header_t h = {(uint32_t)len, kind, (unsigned char)ending, 0};
    write_all(link->stats_fd, &h, sizeof h);
    write_all(link->stats_fd, payload, len);
}

/* The payload: each group's serialised stats, after its length. */
void throng__proc_send(const throng__link_t *link, char kind, throng_ending_t ending,
                       const throng__stats_t *stats, unsigned ngroups)
{
    throng__buf_t b = {0};
    int rc = 0;
    for (unsigned g = 0; rc == 0 && g < ngroups; g++) {
        size_t at = b.len;
        uint32_t len = 0;
        rc = throng__buf_append(&b, &len, sizeof len);
        if (rc == 0) rc = throng__stats_serialize(&stats[g], &b);
        len = (uint32_t)(b.len - at - sizeof len);
        if (rc == 0) memcpy(b.data + at, &len, sizeof len);
    }
    if (rc == 0) send_frame(link, kind, ending, b.data, b.len);
    throng__buf_free(&b);
}

/* Sends the seconds gathered in e->series (merged across this process's
 * workers) and forgets them. */
static void send_gathered(throng_engine_t *e, const throng__link_t *link)
{
    const throng__second_t *second;
    for (size_t i = 0; (second = throng__series_pending(&e->series, i)) != NULL; i++)
        send_frame(link, 'P', THRONG_END_NONE, second, sizeof *second);
    throng__series_free(&e->series);
    throng__series_init(&e->series);
}

void throng__proc_send_seconds(throng_engine_t *e, const throng__link_t *link)
{
    for (unsigned i = 0; i < e->nworkers; i++)
        throng__worker_take_seconds(e->workers[i], &e->series);
    send_gathered(e, link);
}

/* The child's whole life: never returns. */
static void child_main(throng_engine_t *e, const throng__link_t *link)
{
    /* The run's own pipe belongs to the parent; this process gets its own. */
    close(e->pipe[0]);
    close(e->pipe[1]);
    e->cfg.progress = NULL;
    e->cfg.duration = 0; /* the parent keeps time and says when to stop */
    int rc = pipe2(e->pipe, O_CLOEXEC | O_NONBLOCK) == 0 ? 0 : THRONG_ESYS;
    if (rc == 0) rc = throng__engine_create_workers(e, link->index);
    if (rc == 0) rc = throng__engine_start_workers(e);
    if (rc != 0) {
        send_frame(link, 'E', THRONG_END_NONE, e->errmsg, strlen(e->errmsg));
        _exit(2);
    }
    throng__engine_log(e, THRONG_LOG_INFO, "worker process %d running %u worker thread%s",
                       (int)getpid(), e->nworkers, e->nworkers == 1 ? "" : "s");
    throng_ending_t ending = throng__engine_control(e, link);
    throng__engine_join_workers(e); /* their last seconds go to e->series */
    send_gathered(e, link);
    throng__proc_send(link, 'F', ending, e->gstats[0], e->ngroups);
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
        throng__link_t link = {i, ctl[0], stats[1]};
        child_main(e, &link);
    }
    close(ctl[0]);
    close(stats[1]);
    throng__proc_t *p = &e->procs[i];
    p->pid = pid;
    p->ctl_fd = ctl[1];
    p->stats_fd = stats[0];
    fcntl(p->stats_fd, F_SETFL, O_NONBLOCK);
    throng__engine_log(e, THRONG_LOG_INFO, "worker process %d started (%u of %u)", (int)pid, i + 1,
                       e->cfg.processes);
    return 0;
fail:
    return throng__fail(e->errmsg, THRONG_ESYS, "cannot start worker process %u: %s", i + 1,
                        strerror(errno));
}

/* Stops the children with reason (a closed control pipe also stops them). */
static void stop_children(throng_engine_t *e, throng_ending_t reason)
{
    unsigned char msg[2] = {'s', (unsigned char)reason};
    for (unsigned i = 0; i < e->nprocs; i++) {
        if (e->procs[i].ctl_fd < 0) continue;
        ssize_t n = send(e->procs[i].ctl_fd, msg, sizeof msg, MSG_NOSIGNAL);
        (void)n; /* a child that is gone has nothing to stop */
    }
}

int throng__proc_spawn(throng_engine_t *e)
{
    e->procs = calloc(e->forks, sizeof *e->procs);
    if (!e->procs) return throng__fail(e->errmsg, THRONG_ENOMEM, "out of memory");
    for (unsigned i = 0; i < e->forks; i++) {
        e->procs[i].ctl_fd = e->procs[i].stats_fd = -1;
        if (!(e->procs[i].last = calloc(e->ngroups, sizeof *e->procs[i].last)))
            return throng__fail(e->errmsg, THRONG_ENOMEM, "out of memory");
        for (unsigned g = 0; g < e->ngroups; g++)
            throng__stats_init(&e->procs[i].last[g]);
    }
    for (unsigned i = 0; i < e->forks; i++) {
        int rc = spawn_one(e, i);
        if (rc) {
            e->nprocs = i;
            stop_children(e, THRONG_END_STOPPED);
            for (unsigned j = 0; j < i; j++)
                waitpid(e->procs[j].pid, NULL, 0);
            throng__proc_free(e);
            return rc;
        }
        e->nprocs = i + 1;
    }
    return 0;
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
static void child_ended(throng_engine_t *e, throng__proc_t *p)
{
    close(p->stats_fd);
    p->stats_fd = -1;
    close(p->ctl_fd);
    p->ctl_fd = -1;
    int status = 0;
    while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR)
        ;
    p->exited = 1;
    if (p->finished && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        throng__engine_log(e, THRONG_LOG_INFO, "worker process %d ended", (int)p->pid);
        return;
    }
    char how[96], msg[THRONG_SAMPLE_LEN];
    describe_status(status, how, sizeof how);
    snprintf(msg, sizeof msg, "worker process %d %s; its last statistics are kept", (int)p->pid,
             how);
    p->lost = 1;
    /* Its clients are neither running nor faulted out any more. */
    pthread_mutex_lock(&e->live_lock);
    for (unsigned g = 0; g < e->ngroups; g++)
        p->last[g].n.clients_active = 0;
    pthread_mutex_unlock(&e->live_lock);
    if (!e->proc_sample[0]) snprintf(e->proc_sample, sizeof e->proc_sample, "%s", msg);
    throng__engine_log(e, THRONG_LOG_ERROR, "%s", msg);
}

/* A statistics frame: each group's stats after its length. */
static int take_stats(throng_engine_t *e, throng__proc_t *p, const char *data, size_t len)
{
    const char *at = data, *end = data + len;
    for (unsigned g = 0; g < e->ngroups; g++) {
        uint32_t n;
        if ((size_t)(end - at) < sizeof n) return -1;
        memcpy(&n, at, sizeof n);
        at += sizeof n;
        if ((size_t)(end - at) < n || throng__stats_deserialize(&p->last[g], at, n) != 0) return -1;
        at += n;
    }
    return at == end ? 0 : -1;
}

/* Parses the complete frames in p->in. */
static void take_frames(throng_engine_t *e, throng__proc_t *p)
{
    size_t at = 0;
    while (p->in.len - at >= sizeof(frame_header_t)) {
        frame_header_t h;
        memcpy(&h, p->in.data + at, sizeof h);
        if (p->in.len - at - sizeof h < h.len) break;
        const char *payload = p->in.data + at + sizeof h;
        pthread_mutex_lock(&e->live_lock);
        int bad = (h.kind == 'S' || h.kind == 'F') && take_stats(e, p, payload, h.len) != 0;
        if (h.kind == 'P' && h.len == sizeof(throng__second_t)) {
            throng__second_t second;
            memcpy(&second, payload, sizeof second);
            throng__series_add(&e->series, &second);
        }
        pthread_mutex_unlock(&e->live_lock);
        if (h.kind == 'S' || h.kind == 'F') {
            if (bad)
                throng__engine_log(e, THRONG_LOG_ERROR,
                                   "worker process %d sent malformed statistics", (int)p->pid);
            if (h.kind == 'F') {
                p->finished = 1;
                p->ending = (throng_ending_t)h.ending;
            }
        } else if (h.kind == 'E') {
            throng__engine_log(e, THRONG_LOG_ERROR, "worker process %d could not start: %.*s",
                               (int)p->pid, (int)h.len, payload);
        }
        at += sizeof h + h.len;
    }
    memmove(p->in.data, p->in.data + at, p->in.len - at);
    p->in.len -= at;
}

/* Reads what a child sent; returns 0 when its pipe has ended. */
static int read_child(throng_engine_t *e, throng__proc_t *p)
{
    for (;;) {
        if (throng__buf_reserve(&p->in, 64 * 1024) != 0) return 1;
        ssize_t n = read(p->stats_fd, p->in.data + p->in.len, p->in.cap - p->in.len);
        if (n > 0) {
            p->in.len += (size_t)n;
            take_frames(e, p);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return 1;
        return 0;
    }
}

static void progress_of_children(throng_engine_t *e, double elapsed, uint64_t *last_requests,
                                 double *last_at)
{
    throng__counts_t sum;
    memset(&sum, 0, sizeof sum);
    for (unsigned i = 0; i < e->nprocs; i++)
        for (unsigned g = 0; g < e->ngroups; g++)
            throng__counts_add(&sum, &e->procs[i].last[g].n);
    throng__engine_progress(e, &sum, elapsed, last_requests, last_at);
}

/* Why the run ended when the children ended on their own. */
static throng_ending_t children_ending(throng_engine_t *e)
{
    throng_ending_t endings[e->nprocs];
    unsigned n = 0;
    for (unsigned i = 0; i < e->nprocs; i++)
        if (!e->procs[i].lost) endings[n++] = e->procs[i].ending;
    return n ? throng__engine_own_ending(endings, n) : THRONG_END_PROCESSES;
}

/* Waits on the stop pipe and every child's statistics, up to timeout ms. */
static void wait_children(throng_engine_t *e, int timeout)
{
    struct pollfd pfd[e->nprocs + 1];
    pfd[0] = (struct pollfd){e->pipe[0], POLLIN, 0};
    for (unsigned i = 0; i < e->nprocs; i++)
        pfd[i + 1] = (struct pollfd){e->procs[i].stats_fd, POLLIN, 0};
    poll(pfd, e->nprocs + 1, timeout);
    for (unsigned i = 0; i < e->nprocs; i++) {
        throng__proc_t *p = &e->procs[i];
        if (p->stats_fd >= 0 && pfd[i + 1].revents && !read_child(e, p)) child_ended(e, p);
    }
}

throng_ending_t throng__proc_control(throng_engine_t *e)
{
    throng_ending_t ending = THRONG_END_NONE;
    double interval = e->cfg.progress_interval > 0 ? e->cfg.progress_interval : 1;
    double next_progress = interval, last_at = 0, stopped_at = 0;
    uint64_t last_requests = 0;
    unsigned alive = e->nprocs;
    while (alive > 0) {
        double elapsed = throng__engine_elapsed(e);
        double until = next_progress - elapsed;
        if (ending == THRONG_END_NONE && e->cfg.duration > 0 && e->cfg.duration - elapsed < until)
            until = e->cfg.duration - elapsed;
        wait_children(e, until < 0 ? 0 : (int)(until * 1000) + 1);
        char buf[64];
        while (read(e->pipe[0], buf, sizeof buf) > 0)
            ;
        elapsed = throng__engine_elapsed(e);
        throng_ending_t now = THRONG_END_NONE;
        if (atomic_load(&e->stop_requested))
            now = THRONG_END_STOPPED;
        else if (e->cfg.duration > 0 && elapsed >= e->cfg.duration)
            now = THRONG_END_DURATION;
        if (ending == THRONG_END_NONE && now != THRONG_END_NONE) {
            ending = now;
            stopped_at = elapsed;
            throng__engine_log(e, THRONG_LOG_INFO, "stopping the worker processes: %s",
                               now == THRONG_END_STOPPED ? "asked to stop" : "duration reached");
            stop_children(e, ending);
        }
        if (ending != THRONG_END_NONE && elapsed - stopped_at > STOP_GRACE)
            for (unsigned i = 0; i < e->nprocs; i++)
                if (!e->procs[i].exited) kill(e->procs[i].pid, SIGKILL);
        alive = 0;
        for (unsigned i = 0; i < e->nprocs; i++)
            alive += !e->procs[i].exited;
        /* Seconds come from every process within about a second of their end. */
        if (elapsed >= 2.5) throng__engine_settle(e, (uint64_t)(elapsed - 1.5));
        if (e->cfg.progress && elapsed >= next_progress && alive > 0) {
            progress_of_children(e, elapsed, &last_requests, &last_at);
            while (next_progress <= elapsed)
                next_progress += interval;
        }
    }
    for (unsigned i = 0; i < e->nprocs; i++)
        for (unsigned g = 0; g < e->ngroups; g++)
            throng__stats_merge(e->gstats[g], &e->procs[i].last[g]);
    return ending != THRONG_END_NONE ? ending : children_ending(e);
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
        throng__buf_free(&p->in);
    }
    for (unsigned i = 0; i < e->forks && e->procs; i++) {
        for (unsigned g = 0; g < e->ngroups && e->procs[i].last; g++)
            throng__stats_free(&e->procs[i].last[g]);
        free(e->procs[i].last);
    }
    free(e->procs);
    e->procs = NULL;
    e->nprocs = 0;
}
