/* engine.c - the engine's lifecycle: configuration, groups, start, the
 * control loop of throng_wait(), stop, and cleanup. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "core/engine.h"
#include "core/group.h"
#include "core/proc.h"
#include "report/report_json.h"

void throng_config_init(throng_config_t *c)
{
    if (!c) return;
    memset(c, 0, sizeof *c);
    c->server = "127.0.0.1:5050";
    c->timeout = 5;
    c->connect_timeout = 5;
    c->on_fault = THRONG_ON_FAULT_DROP;
    c->progress_interval = 1;
    c->log_level = THRONG_LOG_WARN;
    c->processes = 1;
}

throng_engine_t *throng_engine_new(const throng_config_t *config)
{
    throng_engine_t *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    if (config)
        e->cfg = *config;
    else
        throng_config_init(&e->cfg);
    if (e->cfg.server && !(e->server = strdup(e->cfg.server))) {
        free(e);
        return NULL;
    }
    e->cfg.server = e->server;
    e->pipe[0] = e->pipe[1] = -1;
    pthread_mutex_init(&e->live_lock, NULL);
    atomic_init(&e->state, THRONG__IDLE);
    atomic_init(&e->stop_requested, 0);
    return e;
}

const char *throng_errmsg(const throng_engine_t *e)
{
    if (!e) return "no engine (NULL)";
    return e->errmsg[0] ? e->errmsg : "no error";
}

static int check_config(throng_engine_t *e)
{
    const throng_config_t *c = &e->cfg;
    if (!(c->timeout > 0))
        return throng__fail(e->errmsg, THRONG_EINVAL, "timeout must be more than 0 seconds");
    if (!(c->connect_timeout > 0))
        return throng__fail(e->errmsg, THRONG_EINVAL,
                            "connect_timeout must be more than 0 seconds");
    if (!(c->duration >= 0))
        return throng__fail(e->errmsg, THRONG_EINVAL, "duration must not be negative");
    if (c->on_fault != THRONG_ON_FAULT_DROP && c->on_fault != THRONG_ON_FAULT_RESTART)
        return throng__fail(e->errmsg, THRONG_EINVAL, "on_fault must be drop or restart");
    if (e->ngroups == 0)
        return throng__fail(e->errmsg, THRONG_EINVAL,
                            "no group to run: add one with throng_add_group()");
    if (c->processes == 0 || c->processes > 4096)
        return throng__fail(e->errmsg, THRONG_EINVAL, "processes must be between 1 and 4096");
    return 0;
}

/* Resolves the group's server and fills the settings its workers share. */
static int prepare_group(throng_engine_t *e, throng__group_t *g)
{
    throng__worker_settings_t *s = &g->set;
    const char *server = g->cfg.server ? g->cfg.server : e->cfg.server;
    int rc = throng__address_parse(server ? server : "127.0.0.1:5050", 5050, "server", &s->address,
                                   e->errmsg);
    if (rc == 0 && s->address.port == 0)
        rc = throng__fail(e->errmsg, THRONG_EADDR,
                          "server '%s': port 0 is not a port to connect to", server);
    if (rc == 0) rc = throng__address_resolve(&s->address, e->errmsg);
    if (rc) return rc;
    s->timeout = e->cfg.timeout;
    s->connect_timeout = e->cfg.connect_timeout;
    s->on_fault = e->cfg.on_fault;
    s->request_count = g->cfg.request_count;
    s->slow_down = g->cfg.slow_down;
    s->start_delay = g->cfg.start_delay;
    s->duration = g->cfg.duration;
    s->once = e->cfg.once;
    s->keep_last_reply = e->cfg.keep_last_reply;
    s->log = e->cfg.log;
    s->log_data = e->cfg.log_data;
    s->log_level = e->cfg.log_level;
    g->procs = g->cfg.processes ? g->cfg.processes : e->cfg.processes;
    if (g->procs > g->cfg.clients) g->procs = g->cfg.clients; /* no process without a client */
    if (g->procs > e->forks) e->forks = g->procs;
    return 0;
}

/* [*from, from + result) of n items split in parts: part i's share, the
 * first (n % parts) one larger, so nothing is lost to rounding. */
static unsigned share(unsigned n, unsigned parts, unsigned i, unsigned *from)
{
    unsigned base = n / parts, extra = n % parts;
    *from = i * base + (i < extra ? i : extra);
    return base + (i < extra);
}

/* A group's clients in worker process proc: the first g->procs processes
 * share them. */
static unsigned group_clients(const throng__group_t *g, unsigned proc, unsigned *from)
{
    *from = 0;
    return proc < g->procs ? share(g->cfg.clients, g->procs, proc, from) : 0;
}

/* The threads a group runs in one process: no more than its clients there. */
unsigned throng__group_threads(const throng__group_t *g, unsigned proc)
{
    unsigned from, n = group_clients(g, proc, &from);
    return g->cfg.threads < n ? g->cfg.threads : n;
}

int throng__engine_create_workers(throng_engine_t *e, unsigned proc)
{
    uint64_t total_clients = 0;
    for (unsigned i = 0; i < e->ngroups; i++) {
        e->nworkers += throng__group_threads(&e->groups[i], proc);
        total_clients += e->groups[i].cfg.clients;
    }
    e->workers = calloc(e->nworkers ? e->nworkers : 1, sizeof *e->workers);
    if (!e->workers) return throng__fail(e->errmsg, THRONG_ENOMEM, "out of memory");
    unsigned wi = 0;
    uint64_t group_base = 0; /* clients of the groups before, across all processes */
    for (unsigned gi = 0; gi < e->ngroups; gi++) {
        throng__group_t *g = &e->groups[gi];
        throng__persona_spec_t spec = {g->cfg.persona, g->cfg.persona_path, g->cfg.persona_source};
        throng__persona_params_t params = {
            g->cfg.request_count, g->cfg.slow_down, g->cfg.args,
            g->cfg.nargs,         e->functions,     e->nfunctions,
            e->cfg.log,           e->cfg.log_data,  (int)e->cfg.log_level};
        unsigned pfrom, pclients = group_clients(g, proc, &pfrom);
        unsigned threads = throng__group_threads(g, proc);
        for (unsigned t = 0; t < threads; t++, wi++) {
            unsigned tfrom, n = share(pclients, threads, t, &tfrom);
            uint64_t first = group_base + pfrom + tfrom; /* the worker's first client, from 0 */
            throng__worker_t *w = e->workers[wi] = calloc(1, sizeof *w);
            if (!w) return throng__fail(e->errmsg, THRONG_ENOMEM, "out of memory");
            w->group = gi;
            w->run_start_ms = e->started_ns / 1000000;
            int rc =
                throng__worker_init(w, &g->set, &spec, &params, n, first + 1, e->seed, e->errmsg);
            if (rc) return rc;
            g->session_style = throng__persona_session_style(&w->persona);
            w->budget = e->budget;
            if (e->cfg.live_reports || e->forks > 1) {
                if (!(w->published = malloc(sizeof *w->published)))
                    return throng__fail(e->errmsg, THRONG_ENOMEM, "out of memory");
                throng__stats_init(w->published);
            }
            w->notify_fd = e->pipe[1];
        }
        group_base += g->cfg.clients;
    }
    return 0;
}

/* Frees every worker; nonzero when one's loop did not close cleanly. */
static int destroy_workers(throng_engine_t *e)
{
    int bad = 0;
    for (unsigned i = 0; i < e->nworkers && e->workers; i++) {
        if (!e->workers[i]) continue;
        bad |= throng__worker_destroy(e->workers[i]) != 0;
        free(e->workers[i]);
    }
    free(e->workers);
    e->workers = NULL;
    e->nworkers = 0;
    return bad;
}

void throng__engine_log(throng_engine_t *e, throng_log_level_t level, const char *fmt, ...)
{
    if (!e->cfg.log || e->cfg.log_level < level) return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    e->cfg.log(level, 0, msg, e->cfg.log_data);
}

uint64_t throng__now_ns(void)
{
    return uv_hrtime();
}

double throng__engine_elapsed(const throng_engine_t *e)
{
    return (double)(throng__now_ns() - e->started_ns) * 1e-9;
}

int throng__engine_start_workers(throng_engine_t *e)
{
    unsigned started = 0;
    int rc = 0;
    for (; rc == 0 && started < e->nworkers; started++)
        rc = throng__worker_start(e->workers[started], e->errmsg);
    if (rc) {
        /* Stop what already runs, then undo everything. */
        for (unsigned i = 0; i + 1 < started; i++)
            throng__worker_request_stop(e->workers[i], THRONG_END_STOPPED);
        for (unsigned i = 0; i + 1 < started; i++)
            throng__worker_join(e->workers[i]);
        destroy_workers(e);
    }
    return rc;
}

/* With worker processes, each persona is loaded once here first, with one
 * instance, so that a script error stops the run before anything forks. */
static int check_personas(throng_engine_t *e)
{
    for (unsigned i = 0; i < e->ngroups; i++) {
        throng__group_t *g = &e->groups[i];
        throng__persona_spec_t spec = {g->cfg.persona, g->cfg.persona_path, g->cfg.persona_source};
        /* No log: the workers load it again, and their lines are the ones shown. */
        throng__persona_params_t params = {g->cfg.request_count, g->cfg.slow_down, g->cfg.args,
                                           g->cfg.nargs,         e->functions,     e->nfunctions};
        throng__persona_t p;
        throng__lua_caller_t who = {0};
        int ref, rc = throng__persona_open(&p, &spec, &params, e->errmsg);
        if (rc == 0) rc = throng__persona_instance(&p, &who, &ref, e->errmsg);
        if (rc == 0) g->session_style = throng__persona_session_style(&p);
        throng__persona_close(&p);
        if (rc) return rc;
    }
    return 0;
}

/* Everything throng_start() does; a failure leaves what was made for
 * throng_engine_free(). */
/* The settings, checked and resolved; nothing is made yet, so a mistake
 * here can be mended and throng_start() called again. */
static int check_run(throng_engine_t *e)
{
    int rc = check_config(e);
    e->forks = 1;
    for (unsigned i = 0; rc == 0 && i < e->ngroups; i++)
        rc = prepare_group(e, &e->groups[i]);
    return rc;
}

static int start_run(throng_engine_t *e)
{
    int rc;
    if (pipe2(e->pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        return throng__fail(e->errmsg, THRONG_ESYS, "cannot create a pipe: %s", strerror(errno));
    e->seed = e->cfg.seed ? e->cfg.seed : throng__fresh_seed();
    if (!(e->total = malloc(sizeof *e->total)) ||
        !(e->gstats = calloc(e->ngroups, sizeof *e->gstats)))
        return throng__fail(e->errmsg, THRONG_ENOMEM, "out of memory");
    throng__stats_init(e->total);
    for (unsigned i = 0; i < e->ngroups; i++) {
        if (!(e->gstats[i] = malloc(sizeof *e->gstats[i])))
            return throng__fail(e->errmsg, THRONG_ENOMEM, "out of memory");
        throng__stats_init(e->gstats[i]);
    }
    if (e->cfg.max_requests) {
        /* Shared with the worker processes, which fork after this. */
        e->budget = mmap(NULL, sizeof *e->budget, PROT_READ | PROT_WRITE,
                         MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (e->budget == MAP_FAILED) {
            e->budget = NULL;
            return throng__fail(e->errmsg, THRONG_ESYS, "cannot share the request limit: %s",
                                strerror(errno));
        }
        atomic_init(&e->budget->issued, 0);
        e->budget->limit = e->cfg.max_requests;
    }
    e->started_ns = throng__now_ns();
    e->started_wall = time(NULL);
    if (e->forks > 1) {
        if ((rc = check_personas(e)) != 0 || (rc = throng__proc_spawn(e)) != 0) return rc;
    } else {
        if ((rc = throng__engine_create_workers(e, 0)) != 0) {
            destroy_workers(e);
            return rc;
        }
        if ((rc = throng__engine_start_workers(e)) != 0) return rc;
    }
    return 0;
}

int throng_start(throng_engine_t *e)
{
    if (!e) return THRONG_EINVAL;
    int idle = THRONG__IDLE;
    if (!atomic_compare_exchange_strong(&e->state, &idle, THRONG__STARTING))
        return throng__fail(e->errmsg, THRONG_ESTATE,
                            idle == THRONG__FAILED
                                ? "this engine failed to start; create a new engine to try again"
                                : "this engine has already run; create a new engine for another "
                                  "run");
    int rc = check_run(e);
    if (rc) {
        atomic_store(&e->state, THRONG__IDLE);
        return rc;
    }
    if ((rc = start_run(e)) != 0) {
        atomic_store(&e->state, THRONG__FAILED);
        return rc;
    }
    atomic_store(&e->state, THRONG__RUNNING);
    for (unsigned i = 0; i < e->ngroups; i++) {
        const throng__group_t *g = &e->groups[i];
        throng__engine_log(e, THRONG_LOG_INFO,
                           "run started: %s, %u client%s on %u thread%s%s against %s", g->label,
                           g->cfg.clients, g->cfg.clients == 1 ? "" : "s", g->cfg.threads,
                           g->cfg.threads == 1 ? "" : "s",
                           g->procs > 1 ? " in each worker process" : "", g->set.address.authority);
    }
    return 0;
}

void throng_stop(throng_engine_t *e)
{
    /* Only atomics and write(2): async-signal-safe. A stop during
     * throng_start() is kept, and the run ends as soon as it begins. */
    if (!e) return;
    int state = atomic_load(&e->state);
    if (state != THRONG__RUNNING && state != THRONG__STARTING) return;
    atomic_store(&e->stop_requested, 1);
    if (e->pipe[1] >= 0) {
        ssize_t n = write(e->pipe[1], "s", 1);
        (void)n; /* a full pipe already holds a wake-up */
    }
}

void throng__engine_stop_workers(throng_engine_t *e, throng_ending_t reason)
{
    for (unsigned i = 0; i < e->nworkers; i++)
        throng__worker_request_stop(e->workers[i], reason);
}

void throng__engine_progress(throng_engine_t *e, const throng__counts_t *sum, double elapsed,
                             uint64_t *last_requests, double *last_at)
{
    throng_progress_t p = {0};
    p.elapsed = elapsed;
    p.requests = sum->requests;
    p.failures = throng__counts_failures(sum);
    p.clients_active = sum->clients_active;
    p.clients_faulted = sum->clients_faulted;
    p.p99 = e->last_p99;
    double dt = elapsed - *last_at;
    p.rate = dt > 0 ? (double)(sum->requests - *last_requests) / dt : 0;
    *last_requests = sum->requests;
    *last_at = elapsed;
    e->cfg.progress(&p, e->cfg.progress_data);
}

/* Sums the workers' latest snapshots for the progress callback. */
static void local_progress(throng_engine_t *e, double elapsed, uint64_t *last_requests,
                           double *last_at)
{
    throng__counts_t sum, one;
    memset(&sum, 0, sizeof sum);
    for (unsigned i = 0; i < e->nworkers; i++) {
        throng__worker_snapshot(e->workers[i], &one);
        throng__counts_add(&sum, &one);
    }
    throng__engine_progress(e, &sum, elapsed, last_requests, last_at);
}

/* In a worker process: the workers' latest published stats, by group, and
 * their finished seconds, to the parent. */
static void send_snapshot(throng_engine_t *e, const throng__link_t *link)
{
    throng__stats_t *sums = calloc(e->ngroups, sizeof *sums);
    if (!sums) return;
    for (unsigned g = 0; g < e->ngroups; g++)
        throng__stats_init(&sums[g]);
    for (unsigned i = 0; i < e->nworkers; i++)
        throng__worker_merge_published(e->workers[i], &sums[e->workers[i]->group]);
    throng__proc_send(link, 'S', THRONG_END_NONE, sums, e->ngroups);
    for (unsigned g = 0; g < e->ngroups; g++)
        throng__stats_free(&sums[g]);
    free(sums);
    throng__proc_send_seconds(e, link);
}

void throng__engine_settle(throng_engine_t *e, uint64_t before)
{
    pthread_mutex_lock(&e->live_lock);
    throng__series_settle(&e->series, before);
    if (e->series.npoints) e->last_p99 = e->series.points[e->series.npoints - 1].p99;
    pthread_mutex_unlock(&e->live_lock);
}

/* Takes the workers' finished seconds and settles those surely complete. */
static void gather_seconds(throng_engine_t *e, double elapsed)
{
    pthread_mutex_lock(&e->live_lock);
    for (unsigned i = 0; i < e->nworkers; i++)
        throng__worker_take_seconds(e->workers[i], &e->series);
    pthread_mutex_unlock(&e->live_lock);
    /* A worker hands a second over within a tick (250 ms) of its end. */
    double done = elapsed - 0.5;
    if (done >= 1) throng__engine_settle(e, (uint64_t)done + 1);
}

/* Reads the parent's stop request: 1 when it came, or the parent is gone. */
static int parent_says_stop(const throng__link_t *link, throng_ending_t *reason)
{
    unsigned char msg[2];
    ssize_t n = read(link->ctl_fd, msg, sizeof msg);
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

/* Milliseconds until the next thing the control loop must do. */
static int next_wakeup(const throng_engine_t *e, double elapsed, double next_tick, int stopping)
{
    double until = next_tick - elapsed;
    if (until > 1) until = 1;
    if (!stopping && e->cfg.duration > 0 && e->cfg.duration - elapsed < until)
        until = e->cfg.duration - elapsed;
    if (until < 0) until = 0;
    return (int)(until * 1000) + 1;
}

/* Why a run whose workers all ended on their own ended. */
throng_ending_t throng__engine_own_ending(const throng_ending_t *endings, unsigned n)
{
    int all_clients = n > 0, all_duration = n > 0, any_once = 0;
    for (unsigned i = 0; i < n; i++) {
        all_clients &= endings[i] == THRONG_END_CLIENTS;
        all_duration &= endings[i] == THRONG_END_DURATION; /* groups with their own duration */
        any_once |= endings[i] == THRONG_END_ONCE;
    }
    return all_clients    ? THRONG_END_CLIENTS
           : all_duration ? THRONG_END_DURATION
           : any_once     ? THRONG_END_ONCE
                          : THRONG_END_REQUESTS;
}

throng_ending_t throng__engine_control(throng_engine_t *e, const throng__link_t *link)
{
    unsigned finished = 0;
    throng_ending_t ending = THRONG_END_NONE;
    double interval = link ? 1 : e->cfg.progress_interval > 0 ? e->cfg.progress_interval : 1;
    double next_tick = interval, last_at = 0;
    uint64_t last_requests = 0;
    while (finished < e->nworkers) {
        struct pollfd pfd[2] = {{e->pipe[0], POLLIN, 0}, {link ? link->ctl_fd : -1, POLLIN, 0}};
        poll(pfd, link ? 2 : 1,
             next_wakeup(e, throng__engine_elapsed(e), next_tick, ending != THRONG_END_NONE));
        char buf[64];
        ssize_t n;
        while ((n = read(e->pipe[0], buf, sizeof buf)) > 0)
            for (ssize_t i = 0; i < n; i++)
                finished += buf[i] == 'f';
        double elapsed = throng__engine_elapsed(e);
        throng_ending_t asked;
        if (ending == THRONG_END_NONE && link && (pfd[1].revents & (POLLIN | POLLHUP)) &&
            parent_says_stop(link, &asked)) {
            ending = asked;
            throng__engine_stop_workers(e, ending);
        } else if (ending == THRONG_END_NONE && atomic_load(&e->stop_requested)) {
            ending = THRONG_END_STOPPED;
            throng__engine_log(e, THRONG_LOG_INFO, "stopping: asked to stop after %.2fs", elapsed);
            throng__engine_stop_workers(e, ending);
        } else if (ending == THRONG_END_NONE && e->cfg.duration > 0 && elapsed >= e->cfg.duration) {
            ending = THRONG_END_DURATION;
            throng__engine_log(e, THRONG_LOG_INFO, "stopping: the duration (%gs) is reached",
                               e->cfg.duration);
            throng__engine_stop_workers(e, ending);
        }
        if (elapsed >= next_tick && finished < e->nworkers) {
            if (link) {
                send_snapshot(e, link);
            } else {
                gather_seconds(e, elapsed);
                if (e->cfg.progress) local_progress(e, elapsed, &last_requests, &last_at);
            }
            while (next_tick <= elapsed)
                next_tick += interval;
        }
    }
    if (ending != THRONG_END_NONE) return ending;
    throng_ending_t endings[e->nworkers ? e->nworkers : 1];
    for (unsigned i = 0; i < e->nworkers; i++)
        endings[i] = e->workers[i]->ending;
    return throng__engine_own_ending(endings, e->nworkers);
}

int throng__engine_join_workers(throng_engine_t *e)
{
    for (unsigned i = 0; i < e->nworkers; i++) {
        throng__worker_join(e->workers[i]);
        throng__stats_merge(e->gstats[e->workers[i]->group], &e->workers[i]->stats);
        throng__worker_take_seconds(e->workers[i], &e->series);
        const throng__worker_t *w = e->workers[i];
        if (w->last_at && w->last_at >= e->last_at) {
            e->last_reply.len = 0;
            throng__buf_append(&e->last_reply, w->last_reply.data ? w->last_reply.data : "",
                               w->last_reply.len);
            e->last_status = w->last_status;
            e->last_at = w->last_at;
        }
    }
    pthread_mutex_lock(&e->live_lock); /* a live report may be reading the workers */
    int bad = destroy_workers(e);
    pthread_mutex_unlock(&e->live_lock);
    return bad ? throng__fail(e->errmsg, THRONG_ESYS, "a worker's event loop kept a handle open")
               : 0;
}

/* Checks every threshold against the run's results. */
static void check_thresholds(throng_engine_t *e, double elapsed)
{
    for (unsigned i = 0; i < e->nthresholds; i++) {
        throng__threshold_t *t = &e->thresholds[i];
        throng__threshold_eval(t, t->group >= 0 ? e->gstats[t->group] : e->total, elapsed);
        throng__engine_log(e, t->passed ? THRONG_LOG_INFO : THRONG_LOG_WARN, "threshold %s: %s",
                           t->expression, t->passed ? "passed" : "failed");
    }
}

int throng_wait(throng_engine_t *e)
{
    if (!e) return THRONG_EINVAL;
    if (atomic_load(&e->state) != THRONG__RUNNING)
        return throng__fail(e->errmsg, THRONG_ESTATE, "throng_wait() needs a started engine");
    int rc = 0;
    throng_ending_t ending;
    if (e->nprocs) {
        ending = throng__proc_control(e);
    } else {
        ending = throng__engine_control(e, NULL);
        rc = throng__engine_join_workers(e);
    }
    throng__engine_settle(e, UINT64_MAX);
    throng__engine_totals(e);
    double elapsed = throng__engine_elapsed(e);
    check_thresholds(e, elapsed);
    throng__report_build(e, elapsed, ending);
    throng__engine_log(e, THRONG_LOG_INFO, "run ended after %.2fs: %llu requests, %llu failures",
                       elapsed, (unsigned long long)e->report.requests,
                       (unsigned long long)e->report.failures);
    atomic_store(&e->state, THRONG__ENDED);
    return rc;
}

/* The figures so far: the workers' published stats (or the worker
 * processes' latest), merged by group, under the live lock. */
cJSON *throng__engine_live_json(throng_engine_t *e)
{
    throng__stats_t *groups = calloc(e->ngroups, sizeof *groups), *total = malloc(sizeof *total);
    throng__stats_t **views = calloc(e->ngroups, sizeof *views);
    cJSON *doc = NULL;
    if (groups && total && views) {
        throng__stats_init(total);
        for (unsigned g = 0; g < e->ngroups; g++) {
            throng__stats_init(&groups[g]);
            views[g] = &groups[g];
        }
        pthread_mutex_lock(&e->live_lock);
        for (unsigned i = 0; i < e->nworkers; i++)
            throng__worker_merge_published(e->workers[i], &groups[e->workers[i]->group]);
        for (unsigned i = 0; i < e->nprocs; i++)
            for (unsigned g = 0; g < e->ngroups; g++)
                throng__stats_merge(&groups[g], &e->procs[i].last[g]);
        for (unsigned g = 0; g < e->ngroups; g++)
            throng__stats_merge(total, &groups[g]);
        throng_report_t r;
        throng__report_fill(e, &r, total, throng__engine_elapsed(e), THRONG_END_NONE);
        r.processes_lost = 0;
        throng__report_view_t v = {&r, views, total};
        doc = throng__report_json(e, &v);
        pthread_mutex_unlock(&e->live_lock);
        for (unsigned g = 0; g < e->ngroups; g++)
            throng__stats_free(&groups[g]);
        throng__stats_free(total);
    }
    free(groups);
    free(total);
    free(views);
    return doc;
}

void throng__engine_totals(throng_engine_t *e)
{
    for (unsigned g = 0; g < e->ngroups; g++)
        throng__stats_merge(e->total, e->gstats[g]);
}

/* A Lua identifier: letters, digits and _, not starting with a digit. */
static int is_identifier(const char *s)
{
    if (!s || !*s || (*s >= '0' && *s <= '9') || strlen(s) >= 64) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_'))
            return 0;
    return 1;
}

static const char *const module_names[] = {"spread_out", "random", "fault", "table_shape",
                                           "now",        "log",    "json",  "version"};

int throng_register_function(throng_engine_t *e, const char *name, throng_lua_function fn,
                             void *data)
{
    if (!e) return THRONG_EINVAL;
    if (atomic_load(&e->state) != THRONG__IDLE)
        return throng__fail(e->errmsg, THRONG_ESTATE,
                            "functions are registered before "
                            "throng_start()");
    if (!fn) return throng__fail(e->errmsg, THRONG_EINVAL, "register a function, not NULL");
    if (!is_identifier(name))
        return throng__fail(e->errmsg, THRONG_EINVAL,
                            "'%s' is not a Lua name (letters, digits and _)", name ? name : "");
    for (size_t i = 0; i < sizeof module_names / sizeof module_names[0]; i++)
        if (strcmp(name, module_names[i]) == 0)
            return throng__fail(e->errmsg, THRONG_EINVAL, "throng.%s is built in", name);
    for (size_t i = 0; i < e->nfunctions; i++)
        if (strcmp(name, e->functions[i].name) == 0)
            return throng__fail(e->errmsg, THRONG_EINVAL, "throng.%s is registered already", name);
    throng__lua_function_t *grown = realloc(e->functions, (e->nfunctions + 1) * sizeof *grown);
    if (!grown) return throng__fail(e->errmsg, THRONG_ENOMEM, "out of memory");
    e->functions = grown;
    throng__lua_function_t *f = &e->functions[e->nfunctions++];
    snprintf(f->name, sizeof f->name, "%s", name);
    f->fn = (int (*)(lua_State *))fn;
    f->data = data;
    return 0;
}

int throng_add_threshold(throng_engine_t *e, const char *expression)
{
    if (!e) return THRONG_EINVAL;
    if (atomic_load(&e->state) != THRONG__IDLE)
        return throng__fail(e->errmsg, THRONG_ESTATE, "thresholds are added before throng_start()");
    throng__threshold_t t;
    if (throng__threshold_parse(expression, &t, e->errmsg) != 0) return THRONG_EINVAL;
    throng__threshold_t *grown = realloc(e->thresholds, (e->nthresholds + 1) * sizeof *grown);
    if (!grown) return throng__fail(e->errmsg, THRONG_ENOMEM, "out of memory");
    e->thresholds = grown;
    e->thresholds[e->nthresholds++] = t;
    return 0;
}

int throng_run(throng_engine_t *e)
{
    int rc = throng_start(e);
    return rc ? rc : throng_wait(e);
}

void throng_engine_free(throng_engine_t *e)
{
    if (!e) return;
    if (atomic_load(&e->state) == THRONG__RUNNING) {
        throng_stop(e);
        throng_wait(e);
    }
    destroy_workers(e);
    throng__proc_free(e);
    for (unsigned i = 0; i < e->ngroups; i++)
        throng__group_free(&e->groups[i]);
    free(e->groups);
    if (e->pipe[0] >= 0) close(e->pipe[0]);
    if (e->pipe[1] >= 0) close(e->pipe[1]);
    throng__buf_free(&e->last_reply);
    for (unsigned g = 0; g < e->ngroups && e->gstats; g++) {
        if (e->gstats[g]) throng__stats_free(e->gstats[g]);
        free(e->gstats[g]);
    }
    free(e->gstats);
    if (e->total) throng__stats_free(e->total);
    throng__series_free(&e->series);
    free(e->thresholds);
    free(e->functions);
    if (e->budget) munmap(e->budget, sizeof *e->budget);
    free(e->total);
    free(e->server);
    pthread_mutex_destroy(&e->live_lock);
    free(e);
}
