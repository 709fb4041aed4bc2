/* engine.c - the engine's lifecycle: configuration, groups, where their
 * clients run, start, throng_wait() (the control loop of control.c over
 * the run's sources), stop, and cleanup. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <uv.h>

#include "core/engine.h"
#include "core/group.h"
#include "core/mpi_rank.h"
#include "core/proc.h"
#include "core/shard.h"
#include "report/report_json.h"
#include "util/http.h"
#include "util/source.h"

void throng_config_init(throng_config_t *c)
{
    if (!c) return;
    memset(c, 0, sizeof *c);
    c->server = "127.0.0.1:5050";
    c->timeout = 5;
    c->connect_timeout = 5;
    c->max_body = THRONG__HTTP_MAX_BODY;
    c->buffer_budget = THRONG__HTTP_BUFFER_BUDGET;
    c->on_fault = THRONG_ON_FAULT_DROP;
    c->progress_interval = 1;
    c->log_level = THRONG_LOG_WARN;
    c->processes = 1;
    c->lua_memory = 512;
    c->hook_timeout = 5;
    c->tls_resume = 1;
}

throng_engine_t *throng_engine_new(const throng_config_t *config)
{
    throng_engine_t *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    if (config)
        e->cfg = *config;
    else
        throng_config_init(&e->cfg);
    if ((e->cfg.server && !(e->server = strdup(e->cfg.server))) ||
        (e->cfg.cacert && !(e->cacert = strdup(e->cfg.cacert))) ||
        (e->cfg.cert && !(e->cert = strdup(e->cfg.cert))) ||
        (e->cfg.key && !(e->key = strdup(e->cfg.key))) ||
        (e->cfg.run_id && !(e->run_id_own = strdup(e->cfg.run_id)))) {
        free(e->server);
        free(e->key);
        free(e->cacert);
        free(e->cert);
        free(e);
        return NULL;
    }
    e->cfg.server = e->server;
    e->cfg.cacert = e->cacert;
    e->cfg.cert = e->cert;
    e->cfg.key = e->key;
    e->cfg.run_id = e->run_id_own;
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
    if (c->max_body > ((uint64_t)1 << 30))
        return throng__fail(e->errmsg, THRONG_EINVAL, "max_body must be at most 1 GiB");
    if (!(c->duration >= 0))
        return throng__fail(e->errmsg, THRONG_EINVAL, "duration must not be negative");
    if (c->seed > THRONG_MAX_SEED)
        return throng__fail(e->errmsg, THRONG_EINVAL,
                            "seed must be at most 4503599627370495 (2^52 - 1), which a JSON "
                            "report holds exactly");
    if (!(c->hook_timeout >= 0) || c->hook_timeout > 86400)
        return throng__fail(e->errmsg, THRONG_EINVAL,
                            "hook_timeout must be 0 (never) or up to a day, in seconds");
    if (c->on_fault != THRONG_ON_FAULT_DROP && c->on_fault != THRONG_ON_FAULT_RESTART)
        return throng__fail(e->errmsg, THRONG_EINVAL, "on_fault must be drop or restart");
    if (e->ngroups == 0)
        return throng__fail(e->errmsg, THRONG_EINVAL,
                            "no group to run: add one with throng_add_group()");
    if ((c->processes == 0 || c->processes > 4096) && c->processes != THRONG_PROCESSES_AUTO)
        return throng__fail(e->errmsg, THRONG_EINVAL,
                            "processes must be between 1 and 4096, or THRONG_PROCESSES_AUTO");
    if (c->shards > THRONG_MAX_SHARDS)
        return throng__fail(e->errmsg, THRONG_EINVAL, "shards must be at most %u, not %u",
                            THRONG_MAX_SHARDS, c->shards);
    if (c->shards > 1 && c->shard >= c->shards)
        return throng__fail(e->errmsg, THRONG_EINVAL, "shard %u of %u: the shard must be below %u",
                            c->shard, c->shards, c->shards);
    if (c->shards <= 1 && c->shard > 0)
        return throng__fail(e->errmsg, THRONG_EINVAL,
                            "shard %u: with shards %u the run is whole, its one shard is 0",
                            c->shard, c->shards);
    if (!(c->start_at >= 0) || !isfinite(c->start_at))
        return throng__fail(e->errmsg, THRONG_EINVAL,
                            "start_at must be Unix seconds (0: at once), not %g", c->start_at);
    if (c->run_id && !throng__run_id_ok(c->run_id))
        return throng__fail(e->errmsg, THRONG_EINVAL,
                            "run_id '%.80s': 1 to %d letters, digits, '.', '_', '-' or ':'",
                            c->run_id, THRONG_RUN_ID_MAX);
    if (c->max_connecting > THRONG_MAX_CONNECTING)
        return throng__fail(e->errmsg, THRONG_EINVAL,
                            "max_connecting must be at most 1000000 (0: the default, 256)");
    return 0;
}

/* ------------------------------------------------------------ open files */

/* Descriptors a process keeps for itself besides its clients' sockets:
 * the loops, their wake-ups, pipes, the log, Lua's files. */
#define FD_MARGIN 64

/* Raises the soft open-file limit to the hard one, when asked. */
static void raise_fd_limit(const throng_engine_t *e)
{
    struct rlimit lim;
    if (!e->cfg.raise_fd_limit || getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
    if (lim.rlim_cur == lim.rlim_max) return;
    lim.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &lim) == 0)
        throng__engine_log((throng_engine_t *)e, THRONG_LOG_DEBUG, "open-file limit raised to %llu",
                           (unsigned long long)lim.rlim_cur);
}

/* The files one process may open (raised as it will be); 0: no limit. */
static uint64_t fd_limit(const throng_engine_t *e)
{
    struct rlimit lim;
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return 0;
    rlim_t n = e->cfg.raise_fd_limit ? lim.rlim_max : lim.rlim_cur;
    return n == RLIM_INFINITY ? 0 : (uint64_t)n;
}

/* Clients a process can hold within the limit (at least 1). */
static unsigned clients_per_process(const throng_engine_t *e)
{
    uint64_t files = fd_limit(e);
    if (!files) return THRONG_MAX_CLIENTS;
    return files > FD_MARGIN + 1 ? (unsigned)(files - FD_MARGIN) : 1;
}

static int open_model(const throng_group_t *c)
{
    return c->rate > 0 || (c->nstages && c->stages_rate);
}

/* The open model's pool cap wanted: enough clients for the peak rate for
 * the timeout (before the open-file limit bounds it). */
static double wanted_pool(const throng_engine_t *e, const throng__group_t *g)
{
    return ceil(throng__group_peak(&g->cfg) * (e->cfg.timeout > 0 ? e->cfg.timeout : 5));
}

/* How many processes the group asks for; THRONG_PROCESSES_AUTO resolved:
 * as few as hold its clients (an open model's pool cap) within the
 * open-file limit, never more than its clients. */
static unsigned group_procs(const throng_engine_t *e, const throng__group_t *g)
{
    unsigned p = g->cfg.processes ? g->cfg.processes : e->cfg.processes;
    if (p != THRONG_PROCESSES_AUTO) return p;
    double load = g->cfg.clients;
    if (open_model(&g->cfg)) {
        double cap = g->cfg.max_clients ? g->cfg.max_clients : wanted_pool(e, g);
        if (cap > THRONG_MAX_CLIENTS) cap = THRONG_MAX_CLIENTS;
        if (cap > load) load = cap;
    }
    double per = clients_per_process(e);
    p = (unsigned)ceil(load / per);
    if (p > THRONG_MAX_PROCESSES) p = THRONG_MAX_PROCESSES;
    if (p > g->cfg.clients) p = g->cfg.clients;
    return p ? p : 1;
}

/* The online cores, for -p auto's word when it needs more than one each. */
static unsigned online_cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

/* Local ports the kernel picks from for connections to one destination
 * (Linux's ip_local_port_range; its default when unreadable). */
static unsigned local_ports(void)
{
    unsigned lo = 32768, hi = 60999;
    FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "re");
    if (f) {
        if (fscanf(f, "%u %u", &lo, &hi) != 2 || hi < lo) lo = 32768, hi = 60999;
        fclose(f);
    }
    return hi - lo + 1;
}

/* A group's clients (or its open model's pool cap, explicit or the
 * default) over all its processes, and whether the cap is the user's. */
static double group_load(const throng_engine_t *e, const throng__group_t *g, int *explicit_cap)
{
    const throng_group_t *c = &g->cfg;
    double load = c->clients;
    *explicit_cap = 0;
    if (open_model(c)) {
        unsigned procs = g->procs > 1 ? g->procs : 1;
        double cap = c->max_clients;
        if (cap) {
            *explicit_cap = cap > load;
        } else {
            cap = wanted_pool(e, g);
            double files = (double)clients_per_process(e) * procs;
            if (cap > files) cap = files;
        }
        if (cap > load) load = cap;
    }
    return load;
}

/* Refuses a run that needs more open files in some process than it may
 * open: every group with processes of its own needs its share in each;
 * the groups left in this process add up. */
static int check_descriptors(throng_engine_t *e)
{
    uint64_t limit = fd_limit(e);
    if (!limit) return 0;
    double here = 0;
    unsigned nhere = 0;
    const throng__group_t *named = NULL; /* the group the message names */
    int capped = 0;
    double need = 0, total = 0;
    unsigned procs = 1;
    for (unsigned i = 0; i < e->ngroups; i++) {
        const throng__group_t *g = &e->groups[i];
        int cap;
        double load = group_load(e, g, &cap);
        if (g->procs > 1) {
            double each = ceil(load / g->procs);
            if (each + FD_MARGIN > limit && !named) {
                named = g, capped = cap, need = each, total = load, procs = g->procs;
            }
        } else {
            here += load;
            if (nhere++ == 0 || cap) capped = cap;
        }
    }
    if (!named && here + FD_MARGIN > limit) {
        for (unsigned i = 0; i < e->ngroups && !named; i++)
            if (e->groups[i].procs <= 1) named = &e->groups[i];
        need = total = here, procs = 1;
    } else if (!named) {
        return 0;
    }
    unsigned per = clients_per_process(e);
    unsigned spread = (unsigned)ceil(total / per);
    char who[256], ways[320];
    if (nhere > 1 && procs == 1)
        snprintf(who, sizeof who, "the %u groups in this process ('%s' among them): %.0f clients",
                 nhere, named->label, need);
    else if (capped)
        snprintf(who, sizeof who, "group '%s': a pool of up to %.0f clients (max_clients)",
                 named->label, need);
    else
        snprintf(who, sizeof who, "group '%s': %.0f clients", named->label, need);
    struct rlimit lim;
    int low_soft = !e->cfg.raise_fd_limit && getrlimit(RLIMIT_NOFILE, &lim) == 0 &&
                   lim.rlim_cur < lim.rlim_max;
    snprintf(ways, sizeof ways, "spread them with -p %u (or -p auto)%s, or raise it (%s)",
             spread > procs ? spread : procs + 1,
             total > local_ports() ? ", over source addresses (--source)" : "",
             low_soft ? "raise_fd_limit, or ulimit -n up to the hard limit" : "ulimit -Hn");
    return throng__fail(e->errmsg, THRONG_EINVAL,
                        "%s in %s need%s about %.0f open files, the limit is %llu: %s", who,
                        procs > 1 ? "each of its processes" : "one process",
                        capped && !(nhere > 1 && procs == 1) ? "s" : "", need + FD_MARGIN,
                        (unsigned long long)limit, ways);
}

/* A closed run's clients start over this spread when no ramp is asked
 * for: clients / SPREAD_RATE seconds, at most SPREAD_MAX, so that
 * thousands of clients never call connect in the same millisecond. */
#define SPREAD_RATE 2000.0
#define SPREAD_MAX 1.0

/* The open model's default pool cap: enough clients for the peak rate
 * for the timeout, within the open-file limit of each process. */
static unsigned default_max_clients(const throng_engine_t *e, const throng__group_t *g)
{
    double want = wanted_pool(e, g);
    unsigned procs = g->procs > 1 ? g->procs : 1;
    double files = (double)clients_per_process(e) * procs;
    if (want > files) want = files;
    if (want > THRONG_MAX_CLIENTS) want = THRONG_MAX_CLIENTS;
    return want > g->cfg.clients ? (unsigned)want : g->cfg.clients;
}

/* The group's load over time, in the settings its workers share. 0, or
 * THRONG_EINVAL when its pool cap cannot give each worker a client. */
static int prepare_load(throng_engine_t *e, throng__group_t *g)
{
    throng__worker_settings_t *s = &g->set;
    const throng_group_t *c = &g->cfg;
    s->open = open_model(c);
    s->arrivals = c->arrivals;
    if (c->nstages) {
        throng__schedule_stages(&s->load, c->stages, c->nstages);
        double total = 0;
        for (size_t i = 0; i < c->nstages; i++)
            total += c->stages[i].duration;
        /* The stages say how long the group runs, unless a duration does. */
        if (s->duration <= 0 && e->cfg.duration <= 0) s->duration = total;
    } else if (s->open) {
        throng__schedule_constant(&s->load, c->rate);
    } else {
        double spread = c->clients / SPREAD_RATE;
        throng__schedule_ramp(&s->load,
                              c->ramp_up > 0        ? c->ramp_up
                              : spread < SPREAD_MAX ? spread
                                                    : SPREAD_MAX,
                              c->clients);
    }
    /* No arrival past the group's end or the run's: it could not be sent. */
    s->arrivals_end = INFINITY;
    if (s->duration > 0) s->arrivals_end = s->duration;
    if (e->cfg.duration > 0 && e->cfg.duration - c->start_delay < s->arrivals_end)
        s->arrivals_end = e->cfg.duration - c->start_delay;
    if (s->open) {
        /* Every worker thread of every process takes a share of the
         * arrivals, with a client of its own to start with. */
        unsigned procs = g->procs > 1 ? g->procs : 1,
                 workers = procs * (c->threads ? c->threads : 1);
        if (c->max_clients && c->max_clients < workers)
            return throng__fail(e->errmsg, THRONG_EINVAL,
                                "group '%s': max_clients (%u) is fewer than its %u worker threads "
                                "(%u process%s of %u): each takes a share of the arrivals with a "
                                "client at least",
                                g->label, c->max_clients, workers, procs, procs == 1 ? "" : "es",
                                c->threads ? c->threads : 1);
        if (g->cfg.clients < workers) g->cfg.clients = workers;
        s->max_clients = c->max_clients ? c->max_clients : default_max_clients(e, g);
        if (s->max_clients < g->cfg.clients) s->max_clients = g->cfg.clients;
        g->cfg.max_clients = s->max_clients; /* what the report says: the cap in force */
    }
    return 0;
}

/* Makes the engine's one TLS context, for every group (https:// servers,
 * plans' and client:connect()'s among them), once: a CA, certificate or key
 * file that cannot be read or does not fit stops a start, and a check. */
static int prepare_tls(throng_engine_t *e)
{
    if (e->tls) return 0;
    throng__tls_options_t o = {.insecure = e->cfg.insecure,
                               .cacert = e->cfg.cacert,
                               .cert = e->cfg.cert,
                               .key = e->cfg.key,
                               .resume = e->cfg.tls_resume};
    return throng__tls_ctx_new(&o, &e->tls, e->errmsg);
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
    throng__sources_free(&s->sources); /* a start tried again parses it again */
    if (rc == 0) rc = throng__sources_parse(g->cfg.source, &s->sources, e->errmsg);
    char why[THRONG__ERRMSG_LEN];
    if (rc == 0 &&
        (rc = throng__sources_check_family(&s->sources, (const struct sockaddr *)&s->address.sa,
                                           s->address.authority, why)) != 0)
        throng__fail(e->errmsg, rc, "group '%s': %s", g->label, why);
    if (rc == 0) rc = prepare_tls(e);
    if (rc) return rc;
    s->tls = e->tls;
    s->timeout = e->cfg.timeout;
    s->connect_timeout = e->cfg.connect_timeout;
    s->max_body = e->cfg.max_body ? (size_t)e->cfg.max_body : THRONG__HTTP_MAX_BODY;
    s->buffer_budget =
        e->cfg.buffer_budget ? (size_t)e->cfg.buffer_budget : THRONG__HTTP_BUFFER_BUDGET;
    s->on_fault = e->cfg.on_fault;
    s->request_count = g->cfg.request_count;
    s->slow_down = g->cfg.slow_down;
    s->start_delay = g->cfg.start_delay;
    s->duration = g->cfg.duration;
    s->once = e->cfg.once;
    s->keep_last_reply = e->cfg.keep_last_reply;
    s->expected_interval = g->cfg.expected_interval;
    s->log = e->cfg.log;
    s->log_data = e->cfg.log_data;
    s->log_level = e->cfg.log_level;
    s->max_connecting =
        e->cfg.max_connecting ? e->cfg.max_connecting : THRONG_MAX_CONNECTING_DEFAULT;
    g->procs = group_procs(e, g);
    if ((rc = prepare_load(e, g)) != 0) return rc;
    if (g->procs > g->cfg.clients) g->procs = g->cfg.clients; /* no process without a client */
    if (g->procs > 1) e->forks += g->procs;                   /* processes of its own */
    return 0;
}

/* [*from, from + result) of n items split in parts (shard.c's division). */
static unsigned share(unsigned n, unsigned parts, unsigned i, unsigned *from)
{
    uint64_t first, n_i = throng__share(n, parts, i, &first);
    *from = (unsigned)first;
    return (unsigned)n_i;
}

/* A group's clients in share `part` of them: its worker processes (or
 * this process, part 0 of 1) share them. */
static unsigned group_clients(const throng__group_t *g, unsigned part, unsigned *from)
{
    unsigned parts = g->procs > 1 ? g->procs : 1;
    *from = 0;
    return part < parts ? share(g->cfg.clients, parts, part, from) : 0;
}

unsigned throng__group_threads(const throng__group_t *g, unsigned part)
{
    unsigned from, n = group_clients(g, part, &from);
    return g->cfg.threads < n ? g->cfg.threads : n;
}

/* A group's clients in the whole run, every shard's. */
static uint64_t whole_clients(const throng__group_t *g)
{
    return g->cfg.clients > g->whole.clients ? g->cfg.clients : g->whole.clients;
}

/* Whether group gi runs here: in create_workers(e, group, part)'s terms. */
static int runs_here(const throng_engine_t *e, unsigned gi, int group)
{
    return group < 0 ? e->groups[gi].procs <= 1 : (unsigned)group == gi;
}

int throng__engine_create_workers(throng_engine_t *e, int group, unsigned part)
{
    for (unsigned i = 0; i < e->ngroups; i++)
        if (runs_here(e, i, group)) e->nworkers += throng__group_threads(&e->groups[i], part);
    e->workers = calloc(e->nworkers ? e->nworkers : 1, sizeof *e->workers);
    if (!e->workers) return throng__fail(e->errmsg, THRONG_ENOMEM, "out of memory");
    unsigned wi = 0;
    uint64_t group_base = 0; /* clients of the groups before, across all processes */
    for (unsigned gi = 0; gi < e->ngroups; gi++) {
        throng__group_t *g = &e->groups[gi];
        if (!runs_here(e, gi, group)) {
            group_base += whole_clients(g);
            continue;
        }
        throng__persona_spec_t spec = {g->cfg.persona, g->cfg.persona_path, g->cfg.persona_source};
        throng__persona_params_t params = {g->cfg.request_count,
                                           g->cfg.slow_down,
                                           g->cfg.args,
                                           g->cfg.nargs,
                                           e->functions,
                                           e->nfunctions,
                                           e->cfg.log,
                                           e->cfg.log_data,
                                           (int)e->cfg.log_level,
                                           (size_t)e->cfg.lua_memory << 20,
                                           e->cfg.hook_timeout > 0,
                                           e->cfg.hook_timeout,
                                           &e->stop_requested};
        unsigned pfrom, pclients = group_clients(g, part, &pfrom);
        unsigned threads = throng__group_threads(g, part);
        for (unsigned t = 0; t < threads; t++, wi++) {
            unsigned tfrom, n = share(pclients, threads, t, &tfrom);
            /* The worker's first client, from 0, its ids unique across shards. */
            uint64_t first = group_base + g->shard_from + pfrom + tfrom;
            throng__worker_t *w = e->workers[wi] = calloc(1, sizeof *w);
            if (!w) return throng__fail(e->errmsg, THRONG_ENOMEM, "out of memory");
            w->group = gi;
            w->run_start_ms = e->started_ns / 1000000;
            w->run_start_ns = e->started_ns;
            w->place = (throng__place_t){g->procs > 1 ? g->procs : 1, part, threads, t};
            /* The open model's pool grows up to this worker's share of the cap. */
            if (g->set.open) w->cap = throng__place_share(&w->place, g->set.max_clients);
            int rc =
                throng__worker_init(w, &g->set, &spec, &params, n, first + 1, e->seed, e->errmsg);
            if (rc) return rc;
            g->session_style = throng__persona_session_style(&w->persona);
            w->budget = e->budget;
            /* Published figures: live reports, a parent, or an abandoned thread's last. */
            if (!(w->published = throng__stats_new()))
                return throng__fail(e->errmsg, THRONG_ENOMEM, "out of memory");
            w->notify_fd = e->threads.pipe[1];
        }
        group_base += whole_clients(g);
    }
    return 0;
}

int throng__engine_destroy_workers(throng_engine_t *e)
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
        throng__engine_destroy_workers(e);
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
        params.memory_limit = (size_t)e->cfg.lua_memory << 20;
        params.interruptible = e->cfg.hook_timeout > 0;
        params.hook_timeout = e->cfg.hook_timeout;
        params.stop = &e->stop_requested;
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

/* The request name the url persona gives a URL: its path without the
 * query, "/" for none, as the report shows it. */
static void url_name(const char *url, size_t ulen, char *name, size_t len)
{
    const char *end = url + ulen, *scheme = strstr(url, "://");
    const char *path = scheme && scheme < end ? scheme + 3 : url;
    while (path < end && !strchr("/?#", *path))
        path++;
    size_t n = 0;
    while (path + n < end && !strchr("?#", path[n]))
        n++;
    snprintf(name, len, "%s%.*s", n && *path == '/' ? "" : "/", (int)n, path);
}

/* Adds a name to the ones listed in names ("/a', '/b"), once, while it
 * fits in len bytes. */
static void add_name(char *names, size_t len, const char *name)
{
    char quoted[THRONG__NAME_LEN + 8];
    snprintf(quoted, sizeof quoted, "'%s'", name);
    if (names[0]) {
        char all[THRONG__ERRMSG_LEN];
        snprintf(all, sizeof all, "'%s'", names);
        if (strstr(all, quoted)) return;
    }
    size_t used = strlen(names);
    if (used + strlen(name) + 4 < len)
        snprintf(names + used, len - used, "%s%s", used ? "', '" : "", name);
}

/* Whether a url persona's list (urls=FILE: lines "[METHOD] URL [@BODYFILE]",
 * blank lines and # comments skipped) has a URL named name: 1 or 0, with
 * the list's names added to names; -1 when the file cannot be read (the
 * persona's init says why). */
static int list_has_name(const char *file, const char *name, char *names, size_t len)
{
    FILE *f = fopen(file, "r");
    if (!f) return -1;
    char line[4096], got[THRONG__NAME_LEN];
    int found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        const char *w = line + strspn(line, " \t\r\n");
        if (!*w || *w == '#') continue;
        size_t wl = strcspn(w, " \t\r\n");
        if (!memchr(w, ':', wl) && !memchr(w, '/', wl)) { /* a method first */
            w += wl;
            w += strspn(w, " \t\r\n");
            wl = strcspn(w, " \t\r\n");
        }
        url_name(w, wl, got, sizeof got);
        add_name(names, len, got);
        found = strcmp(got, name) == 0;
    }
    fclose(f);
    return found;
}

/* Whether a group can make a request named name, as far as can be known
 * before the run: 1, or 0 when it cannot (the names it does use are then
 * added to names). The table persona names every request "table"; the url
 * persona each by its URL's path without the query, as the report does,
 * for one URL or a list. A script may use any name. */
static int name_possible(const throng__group_t *g, const char *name, char *names, size_t len)
{
    const throng_group_t *c = &g->cfg;
    if (c->persona_path || c->persona_source) return 1;
    if (!c->persona || strcmp(c->persona, "table") == 0) {
        add_name(names, len, "table");
        return strcmp(name, "table") == 0;
    }
    if (strcmp(c->persona, "url") != 0) return 1;
    for (size_t i = 0; i < c->nargs; i++) {
        const char *a = c->args[i];
        if (strncmp(a, "urls=", 5) == 0) return list_has_name(a + 5, name, names, len) != 0;
        if (strncmp(a, "url=", 4) != 0) continue;
        char got[THRONG__NAME_LEN];
        url_name(a + 4, strlen(a + 4), got, sizeof got);
        add_name(names, len, got);
        return strcmp(got, name) == 0;
    }
    return 1;
}

/* A threshold on a request name no group can use is refused before the
 * run, rather than failing after the whole duration: when every group it
 * applies to runs a built-in persona whose one name is another. */
static int check_threshold_names(throng_engine_t *e)
{
    for (unsigned i = 0; i < e->nthresholds; i++) {
        const throng__threshold_t *t = &e->thresholds[i];
        if (!t->name[0] || e->ngroups == 0) continue;
        char names[200] = "";
        int possible = 0;
        for (unsigned gi = 0; gi < e->ngroups && !possible; gi++) {
            if (t->group >= 0 && (unsigned)t->group != gi) continue;
            possible = name_possible(&e->groups[gi], t->name, names, sizeof names);
        }
        if (!possible)
            return throng__fail(e->errmsg, THRONG_EINVAL,
                                "threshold '%s': no request is named '%s' (the persona names "
                                "its requests '%s')",
                                t->expression, t->name, names);
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
    if (rc == 0) rc = throng__shard_divide(e);
    if (rc == 0) rc = prepare_tls(e);
    if (rc == 0) rc = check_threshold_names(e);
    if (rc == 0) raise_fd_limit(e);
    e->forks = 0;
    for (unsigned i = 0; rc == 0 && i < e->ngroups; i++)
        rc = prepare_group(e, &e->groups[i]);
    if (rc == 0 && e->forks > 4096)
        rc = throng__fail(e->errmsg, THRONG_EINVAL,
                          "the groups ask for %u worker processes in all; at most 4096", e->forks);
    if (rc == 0) rc = check_descriptors(e);
    if (rc == 0 && e->cfg.mpi) rc = throng__mpi_check(e);
    return rc;
}

/* This process's worker threads: the groups that run here, as a source. */
static int start_threads(throng_engine_t *e)
{
    int rc = throng__threads_source_open(&e->threads, e, e->errmsg);
    if (rc) return rc;
    e->threads_open = 1;
    if ((rc = throng__engine_create_workers(e, -1, 0)) != 0) {
        throng__engine_destroy_workers(e);
        return rc;
    }
    return throng__engine_start_workers(e);
}

/* The grace a stopped worker process has before it is killed: 10 s, and
 * 1 ms more for each client its busiest process holds. A stop closes every
 * connection, a FIN each way that costs both sides tens of microseconds
 * (more when the cores are shared): 100,000 clients in 6 processes on 2
 * cores, nginx on the same, took over 10 s to close, and the processes
 * were killed, their final statistics lost. */
static double stop_grace(const throng_engine_t *e)
{
    double most = 0;
    for (unsigned i = 0; i < e->ngroups; i++) {
        const throng__group_t *g = &e->groups[i];
        int explicit_cap;
        double per = group_load(e, g, &explicit_cap) / (g->procs > 1 ? g->procs : 1);
        if (per > most) most = per;
    }
    return 10 + most / 1000;
}

void throng__engine_control_setup(throng_engine_t *e, throng__source_t **sources, unsigned n)
{
    throng__control_t *c = &e->control;
    throng__control_init(c);
    c->grace = stop_grace(e);
    c->sources = sources;
    c->nsources = n;
    c->ngroups = e->ngroups;
    c->gstats = e->gstats;
    c->series = &e->series;
    c->lock = &e->live_lock;
    c->started_ns = e->started_ns;
    c->duration = e->cfg.duration;
    c->watch_every = 0.25; /* a stuck hook is seen within it */
    c->wake_fd = e->pipe[0];
    c->stop_requested = &e->stop_requested;
    c->progress = e->cfg.progress;
    c->progress_data = e->cfg.progress_data;
    c->progress_interval = e->cfg.progress_interval;
    c->log = e->cfg.log;
    c->log_data = e->cfg.log_data;
    c->log_level = e->cfg.log_level;
}

/* Unix time now, in seconds. */
static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Waits for config.start_at (a stop ends the wait: the run then ends as
 * soon as it begins), and notes the run's start: the agreed time when it
 * was still ahead, so that every shard's report says the same. */
static void wait_start_at(throng_engine_t *e)
{
    double at = e->cfg.start_at, now = wall_now();
    int ahead = at > now;
    while (at > now && !atomic_load(&e->stop_requested)) {
        double left = at - now > 0.05 ? 0.05 : at - now;
        struct timespec ts = {0, (long)(left * 1e9)};
        nanosleep(&ts, NULL);
        now = wall_now();
    }
    e->run_start = ahead ? at : now;
}

static int start_run(throng_engine_t *e)
{
    int rc = 0;
    if (pipe2(e->pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        return throng__fail(e->errmsg, THRONG_ESYS, "cannot create a pipe: %s", strerror(errno));
    throng__shard_identity(e);
    if (!(e->total = throng__stats_new()) || !(e->gstats = calloc(e->ngroups, sizeof *e->gstats)))
        return throng__fail(e->errmsg, THRONG_ENOMEM, "out of memory");
    for (unsigned i = 0; i < e->ngroups; i++)
        if (!(e->gstats[i] = throng__stats_new()))
            return throng__fail(e->errmsg, THRONG_ENOMEM, "out of memory");
    if (e->cfg.max_requests) {
        /* Shared with the worker processes, which fork after this; a shard
         * whose part of the limit is 0 sends nothing. */
        e->budget = mmap(NULL, sizeof *e->budget, PROT_READ | PROT_WRITE,
                         MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (e->budget == MAP_FAILED) {
            e->budget = NULL;
            return throng__fail(e->errmsg, THRONG_ESYS, "cannot share the request limit: %s",
                                strerror(errno));
        }
        atomic_init(&e->budget->issued, 0);
        e->budget->limit = e->max_requests;
    }
    /* An MPI run's ranks agree the seed and the start instant. */
    if (e->cfg.mpi && (rc = throng__mpi_start(e)) != 0) return rc;
    wait_start_at(e);
    e->started_ns = throng__now_ns();
    e->started_wall = time(NULL);
    /* Every worker process is forked before this process makes any thread
     * or Lua state of its own (check_personas' are closed again). */
    if (e->forks > 0) {
        if ((rc = check_personas(e)) != 0 || (rc = throng__proc_spawn(e)) != 0) return rc;
    }
    int local = 0;
    for (unsigned i = 0; i < e->ngroups; i++)
        local |= e->groups[i].procs <= 1;
    /* An MPI run's rank 0: the other ranks are sources too. */
    if (!(e->sources = calloc(e->nprocs + throng__mpi_size(e) + 1, sizeof *e->sources)))
        rc = throng__fail(e->errmsg, THRONG_ENOMEM, "out of memory");
    else if (local)
        rc = start_threads(e);
    if (rc) {
        throng__proc_free(e); /* the worker processes go with the run */
        return rc;
    }
    if (local) e->sources[e->nsources++] = &e->threads.base;
    for (unsigned i = 0; i < e->nprocs; i++)
        e->sources[e->nsources++] = throng__proc_source(e, i);
    throng__engine_control_setup(e, e->sources, e->nsources);
    if (e->cfg.mpi) rc = throng__mpi_sources(e);
    return rc;
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
        unsigned cores = online_cores();
        if ((g->cfg.processes ? g->cfg.processes : e->cfg.processes) == THRONG_PROCESSES_AUTO)
            throng__engine_log(e, g->procs > cores ? THRONG_LOG_WARN : THRONG_LOG_INFO,
                               "%s: %u worker process%s chosen for the open-file limit%s", g->label,
                               g->procs, g->procs == 1 ? "" : "es",
                               g->procs > cores ? ", more than one per core" : "");
        throng__engine_log(
            e, THRONG_LOG_INFO, "run started: %s, %u client%s on %u thread%s%s against %s",
            g->label, g->cfg.clients, g->cfg.clients == 1 ? "" : "s", g->cfg.threads,
            g->cfg.threads == 1 ? "" : "s", g->procs > 1 ? " in each of its worker processes" : "",
            g->set.address.authority);
    }
    return 0;
}

/* Asks for the end of the run: THRONG__STOP_ABORT or THRONG__STOP_FINISH.
 * Only atomics and write(2): async-signal-safe. A stop during
 * throng_start() is kept, and the run ends as soon as it begins. */
static void ask_end(throng_engine_t *e, int how)
{
    if (!e) return;
    int state = atomic_load(&e->state);
    if (state != THRONG__RUNNING && state != THRONG__STARTING) return;
    if (how == THRONG__STOP_ABORT) {
        atomic_store(&e->stop_requested, how);
    } else {
        int none = 0; /* an abort asked for already stays one */
        atomic_compare_exchange_strong(&e->stop_requested, &none, how);
    }
    if (e->pipe[1] >= 0) {
        ssize_t n = write(e->pipe[1], "s", 1);
        (void)n; /* a full pipe already holds a wake-up */
    }
}

void throng_stop(throng_engine_t *e)
{
    ask_end(e, THRONG__STOP_ABORT);
}

void throng_finish(throng_engine_t *e)
{
    ask_end(e, THRONG__STOP_FINISH);
}

/* Checks every threshold against the run's results. Each is judged on a
 * copy and stored under live_lock, which a live report (the dashboard's
 * thread, a --snapshot) holds while it reads the thresholds; the log line
 * goes out after, with the lock free, for a log callback may ask for a
 * report. */
static void check_thresholds(throng_engine_t *e, double elapsed)
{
    for (unsigned i = 0; i < e->nthresholds; i++) {
        throng__threshold_t t = e->thresholds[i];
        throng__threshold_eval(&t, t.group >= 0 ? e->gstats[t.group] : e->total, elapsed);
        pthread_mutex_lock(&e->live_lock);
        e->thresholds[i] = t;
        pthread_mutex_unlock(&e->live_lock);
        throng__engine_log(e, t.passed ? THRONG_LOG_INFO : THRONG_LOG_WARN, "threshold %s: %s",
                           t.expression, t.passed ? "passed" : "failed");
    }
}

int throng_wait(throng_engine_t *e)
{
    if (!e) return THRONG_EINVAL;
    if (atomic_load(&e->state) != THRONG__RUNNING)
        return throng__fail(e->errmsg, THRONG_ESTATE, "throng_wait() needs a started engine");
    throng_ending_t ending = throng__control_run(&e->control);
    throng__mpi_end(e, ending);
    int rc = e->control.rc;
    if (rc) snprintf(e->errmsg, sizeof e->errmsg, "%s", e->control.errmsg);
    snprintf(e->proc_sample, sizeof e->proc_sample, "%s", e->control.lost_sample);
    throng__control_settle(&e->control, UINT64_MAX);
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

/* The figures so far: every source's latest (or final) statistics, merged
 * by group, under the live lock. */
/* A live report's thresholds as they stand so far, measured on copies: the
 * engine's own are measured once, at the end. */
static void live_thresholds(const throng_engine_t *e, cJSON *doc, const throng__stats_t *groups,
                            const throng__stats_t *total, double elapsed)
{
    cJSON *list = cJSON_GetObjectItemCaseSensitive(doc, "thresholds");
    for (unsigned i = 0; i < e->nthresholds; i++) {
        cJSON *o = cJSON_GetArrayItem(list, (int)i);
        if (!o) break;
        throng__threshold_t t = e->thresholds[i];
        throng__threshold_eval(&t, t.group >= 0 ? &groups[t.group] : total, elapsed);
        cJSON_ReplaceItemInObjectCaseSensitive(
            o, "value", t.measured ? cJSON_CreateNumber(t.value) : cJSON_CreateNull());
        cJSON_ReplaceItemInObjectCaseSensitive(o, "passed", cJSON_CreateBool(t.passed));
    }
}

cJSON *throng__engine_live_json(throng_engine_t *e)
{
    /* calloc'ed: empty stats */
    throng__stats_t *groups = calloc(e->ngroups, sizeof *groups), *total = throng__stats_new();
    throng__stats_t **views = calloc(e->ngroups, sizeof *views);
    cJSON *doc = NULL;
    if (groups && total && views) {
        for (unsigned g = 0; g < e->ngroups; g++)
            views[g] = &groups[g];
        pthread_mutex_lock(&e->live_lock);
        throng__control_latest(&e->control, groups);
        for (unsigned g = 0; g < e->ngroups; g++)
            throng__stats_merge(total, &groups[g]);
        throng_report_t r;
        throng__report_fill(e, &r, total, throng__engine_elapsed(e), THRONG_END_NONE);
        doc = throng__engine_report_json(e, &r, views, total, &e->series, 0);
        live_thresholds(e, doc, groups, total, r.elapsed);
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
    throng__engine_destroy_workers(e);
    throng__proc_free(e);
    throng__mpi_free(e);
    if (e->threads_open) throng__threads_source_close(&e->threads);
    free(e->sources);
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
    free(e->cacert);
    free(e->cert);
    free(e->key);
    free(e->run_id_own);
    throng__tls_ctx_free(e->tls);
    pthread_mutex_destroy(&e->live_lock);
    free(e);
}

unsigned throng_group_count(const throng_engine_t *e)
{
    return e ? e->ngroups : 0;
}

int throng_group_get(const throng_engine_t *e, unsigned i, throng_group_t *out)
{
    if (!e || !out || i >= e->ngroups) return THRONG_EINVAL;
    *out = e->groups[i].cfg;
    out->name = e->groups[i].label;
    if (!out->processes) out->processes = e->cfg.processes;
    /* -p auto, once throng_check() or throng_start() resolved it. */
    if (out->processes == THRONG_PROCESSES_AUTO && e->groups[i].procs)
        out->processes = e->groups[i].procs;
    if (!out->server) out->server = e->cfg.server;
    return 0;
}

int throng_check(throng_engine_t *e)
{
    if (!e) return THRONG_EINVAL;
    if (atomic_load(&e->state) != THRONG__IDLE)
        return throng__fail(e->errmsg, THRONG_ESTATE, "throng_check() needs an engine not started");
    int rc = check_config(e);
    if (rc == 0) rc = throng__shard_divide(e);
    if (rc == 0) rc = prepare_tls(e);
    if (rc == 0) rc = check_threshold_names(e);
    for (unsigned i = 0; rc == 0 && i < e->ngroups; i++) {
        throng__group_t *g = &e->groups[i];
        g->procs = group_procs(e, g);
        if (g->procs > g->cfg.clients) g->procs = g->cfg.clients;
    }
    if (rc == 0) rc = check_descriptors(e);
    if (rc == 0) rc = check_personas(e);
    return rc;
}
