/* mpi_rank.c - a run spread over the ranks of an MPI job (see mpi_rank.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/frame.h"
#include "core/mpi_rank.h"
#include "core/shard.h"

#ifdef THRONG_HAVE_MPI
#include <mpi.h>

/* Rank r -> 0: frames; 0 -> r: a stop request (two bytes, 's' and why). */
#define TAG_FRAMES 1
#define TAG_STOP 2

/* A rank sends every tick (a quarter of a second) while it runs, stopping
 * included: one silent this long is dead or hung, and is lost. Before its
 * first frame it has longer: it starts its threads and their Lua states
 * after the agreed instant, slowly in a sanitizer build. */
#define SILENCE 3.0
#define SILENCE_FIRST 10.0

/* The largest message a rank sends (see send_to_root()). */
#define PIECE 3584

/* How long a rank waits at the end for its final frames to leave. */
#define FLUSH_WAIT 10.0

/* A message on its way: its request and the buffer it must keep. */
typedef struct sending {
    MPI_Request req;
    throng__buf_t buf;
} sending_t;

/* Another rank, as a source of rank 0's control loop. */
typedef struct rank_source {
    throng__source_t base;
    throng_engine_t *engine;
    int rank;
    throng__frames_t frames;
    double last_heard;         /* elapsed when it last sent (0: the start) */
    int heard;                 /* it sent something */
    int silent;                /* it was silent for SILENCE: lost at the next pump */
    int gave_up;               /* it outlasted the grace of a stop: lost at the next pump */
    unsigned char stop_msg[2]; /* a stop request, kept until its send completes */
    MPI_Request stop_req;
    int stop_sent;
    throng__buf_t in; /* the message being received */
} rank_source_t;

/* Rank 0's own threads, wrapped so that their figures are also kept apart. */
typedef struct own_source {
    throng__source_t base;
    throng__source_t *inner;
    unsigned ngroups;
    throng__stats_t **gstats; /* per group, its final statistics */
    throng__series_t series;  /* its seconds */
} own_source_t;

/* Another rank's line to rank 0, as its control loop's uplink. */
typedef struct rank_link {
    throng__uplink_t base;
    throng_engine_t *engine;
    sending_t *sends;
    size_t nsends, cap;
    throng__series_t series; /* its seconds, kept for its own report */
} rank_link_t;

struct throng__mpi {
    int rank, size;
    rank_source_t *ranks; /* rank 0: ranks 1 .. size-1, at [r - 1] */
    own_source_t own;     /* rank 0 */
    int own_set;
    int link_set;
    rank_link_t link; /* others */
};

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void sleep_for(double s)
{
    if (s <= 0) return;
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

int throng__mpi_check(throng_engine_t *e)
{
    int inited = 0, finalized = 0;
    MPI_Initialized(&inited);
    MPI_Finalized(&finalized);
    if (!inited || finalized)
        return throng__fail(e->errmsg, THRONG_ESTATE,
                            "an MPI run needs MPI initialised: call throng_mpi_init() first");
    for (unsigned i = 0; i < e->ngroups; i++)
        if (e->groups[i].procs > 1)
            return throng__fail(e->errmsg, THRONG_EINVAL,
                                "group '%s': worker processes (-p %u) cannot run under MPI (Open "
                                "MPI does not allow fork after MPI_Init): start more ranks instead",
                                e->groups[i].label, e->groups[i].procs);
    return 0;
}

int throng__mpi_start(throng_engine_t *e)
{
    struct throng__mpi *m = calloc(1, sizeof *m);
    if (!m) return throng__fail(e->errmsg, THRONG_ENOMEM, "out of memory");
    e->mpi = m;
    MPI_Comm_rank(MPI_COMM_WORLD, &m->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &m->size);
    /* A rank that dies must not end the others' MPI calls in an abort. */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    /* Every rank is ready (its groups checked, its scripts loaded once);
     * rank 0 then says the seed and an instant a moment ahead, so that
     * every rank starts its load at once whatever the broadcast took. */
    if (MPI_Barrier(MPI_COMM_WORLD) != MPI_SUCCESS)
        return throng__fail(e->errmsg, THRONG_ESYS, "MPI: the ranks did not meet at the start");
    double agreed[2] = {(double)e->run_seed, wall_now() + 0.25};
    if (MPI_Bcast(agreed, 2, MPI_DOUBLE, 0, MPI_COMM_WORLD) != MPI_SUCCESS)
        return throng__fail(e->errmsg, THRONG_ESYS, "MPI: the start was not agreed");
    /* Each rank's seed is its shard's of the run's (which every rank
     * derived alike already, unless given different settings). */
    e->run_seed = (uint64_t)agreed[0];
    e->seed = throng__shard_seed(e->run_seed, e->cfg.shard, e->cfg.shards);
    e->cfg.start_at = agreed[1]; /* throng_start() waits until then */
    /* The run's identity too, which each rank derived from its settings:
     * rank 0's is the run's, whatever another's settings came to. */
    if (MPI_Bcast(e->run_id, (int)sizeof e->run_id, MPI_CHAR, 0, MPI_COMM_WORLD) != MPI_SUCCESS)
        return throng__fail(e->errmsg, THRONG_ESYS, "MPI: the run's identity was not agreed");
    e->run_id[sizeof e->run_id - 1] = '\0';
    return 0;
}

/* ------------------------------------------------------ rank 0's sources */

static rank_source_t *rank_of(throng__source_t *s)
{
    return (rank_source_t *)s;
}

static int rank_fd(throng__source_t *s)
{
    (void)s;
    return -1; /* MPI has no descriptor: the loop wakes often (watch_every) */
}

/* Receives what the rank sent; ends it when it said goodbye or was lost. */
static void rank_pump(throng__source_t *s)
{
    rank_source_t *r = rank_of(s);
    for (;;) {
        int flag = 0, n = 0;
        MPI_Status st;
        if (MPI_Iprobe(r->rank, TAG_FRAMES, MPI_COMM_WORLD, &flag, &st) != MPI_SUCCESS || !flag)
            break;
        MPI_Get_count(&st, MPI_BYTE, &n);
        r->in.len = 0;
        if (n < 0 || throng__buf_reserve(&r->in, (size_t)n + 1) != 0) break;
        if (MPI_Recv(r->in.data, n, MPI_BYTE, r->rank, TAG_FRAMES, MPI_COMM_WORLD,
                     MPI_STATUS_IGNORE) != MPI_SUCCESS)
            break;
        int was_malformed = r->frames.malformed;
        if (throng__frames_take(&r->frames, r->in.data, (size_t)n) != 0) r->frames.malformed = 1;
        if (r->frames.malformed && !was_malformed)
            throng__engine_log(r->engine, THRONG_LOG_ERROR, "rank %d sent malformed statistics",
                               r->rank);
        if (r->frames.error[0]) {
            throng__engine_log(r->engine, THRONG_LOG_ERROR, "rank %d could not start: %s", r->rank,
                               r->frames.error);
            r->frames.error[0] = 0;
        }
        r->last_heard = throng__engine_elapsed(r->engine);
        r->heard = 1;
        r->silent = 0;
    }
    if (r->frames.said_goodbye) {
        s->ended = 1;
        s->ending = r->frames.ending;
        throng__engine_log(r->engine, THRONG_LOG_INFO, "rank %d ended", r->rank);
    } else if (r->silent || r->gave_up) {
        s->ended = 1;
        s->lost = 1;
        throng__frames_lost(&r->frames);
        snprintf(s->why, sizeof s->why, "rank %d %s; its last statistics are kept", r->rank,
                 r->gave_up ? "did not stop in time" : "went silent (dead or hung)");
    }
}

static void rank_counts(throng__source_t *s, throng__counts_t *sum)
{
    throng__frames_counts(&rank_of(s)->frames, sum);
}

static void rank_latest(throng__source_t *s, throng__stats_t *groups)
{
    throng__frames_latest(&rank_of(s)->frames, groups);
}

static void rank_seconds(throng__source_t *s, throng__series_t *series)
{
    throng__frames_seconds(&rank_of(s)->frames, series);
}

static void rank_stop(throng__source_t *s, throng_ending_t reason)
{
    rank_source_t *r = rank_of(s);
    if (r->stop_sent) return;
    r->stop_msg[0] = 's';
    r->stop_msg[1] = (unsigned char)reason;
    if (MPI_Isend(r->stop_msg, 2, MPI_BYTE, r->rank, TAG_STOP, MPI_COMM_WORLD, &r->stop_req) ==
        MPI_SUCCESS)
        r->stop_sent = 1;
}

/* A remote rank cannot be killed from here: it is given up on, lost. */
static void rank_kill(throng__source_t *s)
{
    rank_of(s)->gave_up = 1;
}

static int rank_finish(throng__source_t *s, throng__stats_t *const *gstats, char *err)
{
    (void)err;
    throng__frames_finish(&rank_of(s)->frames, gstats);
    return 0;
}

/* Silence for SILENCE seconds (SILENCE_FIRST before its first frame):
 * dead or hung. */
static void rank_watch(throng__source_t *s, double elapsed, double stopped_at)
{
    rank_source_t *r = rank_of(s);
    (void)stopped_at;
    if (elapsed - r->last_heard > (r->heard ? SILENCE : SILENCE_FIRST)) r->silent = 1;
}

static const throng__source_ops_t rank_ops = {
    rank_fd,   rank_pump, rank_counts, rank_latest, rank_seconds,
    rank_stop, rank_kill, rank_finish, rank_watch,
};

/* ---------------------------------------- rank 0's own threads, kept apart */

static own_source_t *own_of(throng__source_t *s)
{
    return (own_source_t *)s;
}

static int own_fd(throng__source_t *s)
{
    throng__source_t *in = own_of(s)->inner;
    return in->ops->fd(in);
}

static void own_pump(throng__source_t *s)
{
    throng__source_t *in = own_of(s)->inner;
    in->ops->pump(in);
    s->ended = in->ended;
    s->lost = in->lost;
    s->ending = in->ending;
    memcpy(s->why, in->why, sizeof s->why);
}

static void own_counts(throng__source_t *s, throng__counts_t *sum)
{
    throng__source_t *in = own_of(s)->inner;
    in->ops->counts(in, sum);
}

static void own_latest(throng__source_t *s, throng__stats_t *groups)
{
    throng__source_t *in = own_of(s)->inner;
    in->ops->latest(in, groups);
}

/* Its seconds go to the run's series and to its own. */
static void own_seconds(throng__source_t *s, throng__series_t *series)
{
    own_source_t *o = own_of(s);
    throng__series_t taken;
    throng__series_init(&taken);
    o->inner->ops->seconds(o->inner, &taken);
    for (size_t g = 0; g < taken.ngroups; g++) {
        const throng__second_t *second;
        for (size_t i = 0; (second = throng__series_pending(&taken.groups[g], i)) != NULL; i++) {
            throng__series_add_group(series, (unsigned)g, second);
            throng__series_add_group(&o->series, (unsigned)g, second);
        }
    }
    throng__series_free(&taken);
}

static void own_stop(throng__source_t *s, throng_ending_t reason)
{
    throng__source_t *in = own_of(s)->inner;
    in->ops->stop(in, reason);
}

/* Its final statistics go to its own, and from there to the run's. */
static int own_finish(throng__source_t *s, throng__stats_t *const *gstats, char *err)
{
    own_source_t *o = own_of(s);
    int rc = o->inner->ops->finish(o->inner, o->gstats, err);
    o->inner->finished = 1;
    for (unsigned g = 0; g < o->ngroups; g++)
        throng__stats_merge(gstats[g], o->gstats[g]);
    return rc;
}

static void own_watch(throng__source_t *s, double elapsed, double stopped_at)
{
    throng__source_t *in = own_of(s)->inner;
    if (in->ops->watch) in->ops->watch(in, elapsed, stopped_at);
}

static const throng__source_ops_t own_ops = {
    own_fd, own_pump, own_counts, own_latest, own_seconds, own_stop, NULL, own_finish, own_watch,
};

/* ------------------------------------------------- another rank's uplink */

/* Forgets the sends that have completed. */
static void reap_sends(rank_link_t *l)
{
    size_t kept = 0;
    for (size_t i = 0; i < l->nsends; i++) {
        int done = 0;
        if (MPI_Test(&l->sends[i].req, &done, MPI_STATUS_IGNORE) != MPI_SUCCESS) done = 1;
        if (done)
            throng__buf_free(&l->sends[i].buf);
        else
            l->sends[kept++] = l->sends[i];
    }
    l->nsends = kept;
}

/* Sends len bytes of data to rank 0 as one message (a copy is kept until
 * it has left). */
static void send_piece(rank_link_t *l, const char *data, size_t len)
{
    if (l->nsends == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        sending_t *grown = realloc(l->sends, cap * sizeof *grown);
        if (!grown) return;
        l->sends = grown;
        l->cap = cap;
    }
    sending_t *s = &l->sends[l->nsends];
    memset(&s->buf, 0, sizeof s->buf);
    if (throng__buf_append(&s->buf, data, len) != 0) return;
    if (MPI_Isend(s->buf.data, (int)len, MPI_BYTE, 0, TAG_FRAMES, MPI_COMM_WORLD, &s->req) !=
        MPI_SUCCESS) {
        throng__buf_free(&s->buf);
        return;
    }
    l->nsends++;
}

/* Sends b's frames to rank 0 and empties b. In pieces below Open MPI's
 * eager limit (4 KB in shared memory): each is copied out whole when sent,
 * so rank 0 never waits in a receive on a rank that died mid-message (a
 * larger one is read from the sender's memory, which fails when it is
 * gone). Rank 0 joins the pieces: MPI keeps their order. */
static void send_to_root(rank_link_t *l, throng__buf_t *b)
{
    reap_sends(l);
    for (size_t at = 0; at < b->len; at += PIECE)
        send_piece(l, b->data + at, b->len - at < PIECE ? b->len - at : PIECE);
    throng__buf_free(b);
}

/* Keeps a copy of the seconds in series before they go to rank 0. */
static void keep_seconds(rank_link_t *l, const throng__series_t *series)
{
    for (size_t g = 0; g < series->ngroups; g++) {
        const throng__second_t *second;
        for (size_t i = 0; (second = throng__series_pending(&series->groups[g], i)) != NULL; i++)
            throng__series_add_group(&l->series, (unsigned)g, second);
    }
}

/* Rank 0's stop request: 1 and *reason when it came. */
static int link_heard(throng__uplink_t *u, throng_ending_t *reason)
{
    (void)u;
    int flag = 0;
    MPI_Status st;
    if (MPI_Iprobe(0, TAG_STOP, MPI_COMM_WORLD, &flag, &st) != MPI_SUCCESS || !flag) return 0;
    unsigned char msg[2] = {0, THRONG_END_STOPPED};
    MPI_Recv(msg, 2, MPI_BYTE, 0, TAG_STOP, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    *reason = (throng_ending_t)msg[1];
    return 1;
}

/* Every tick: every group's latest statistics and the seconds taken. */
static void link_tick(throng__uplink_t *u, throng__control_t *c)
{
    rank_link_t *l = (rank_link_t *)u;
    throng__buf_t b = {0};
    throng__stats_t *groups = calloc(c->ngroups, sizeof *groups);
    const throng__stats_t **views = calloc(c->ngroups, sizeof *views);
    if (groups && views) {
        for (unsigned g = 0; g < c->ngroups; g++) /* calloc'ed: empty already */
            views[g] = &groups[g];
        pthread_mutex_lock(c->lock);
        throng__control_latest(c, groups);
        pthread_mutex_unlock(c->lock);
        throng__frame_stats(&b, 'S', THRONG_END_NONE, 0, c->ngroups, views);
        for (unsigned g = 0; g < c->ngroups; g++)
            throng__stats_free(&groups[g]);
    }
    free(groups);
    free(views);
    keep_seconds(l, c->series);
    throng__frame_seconds(&b, c->series);
    send_to_root(l, &b);
}

void throng__mpi_end(throng_engine_t *e, throng_ending_t ending)
{
    struct throng__mpi *m = e->mpi;
    if (!m || m->rank == 0) return;
    rank_link_t *l = &m->link;
    throng__buf_t b = {0};
    for (unsigned i = 0; i < e->threads.abandoned; i++)
        throng__frame_text(&b, 'A', e->threads.abandoned_sample);
    keep_seconds(l, &e->series);
    throng__frame_seconds(&b, &e->series);
    throng__frame_stats(&b, 'F', ending, 0, e->ngroups, (const throng__stats_t *const *)e->gstats);
    send_to_root(l, &b);
    /* Rank 0 takes them within its next wake-up; a dead one never does. */
    double until = wall_now() + FLUSH_WAIT;
    while (l->nsends > 0 && wall_now() < until) {
        sleep_for(0.002);
        reap_sends(l);
    }
    if (l->nsends > 0)
        throng__engine_log(e, THRONG_LOG_WARN, "rank %d: rank 0 did not take its final figures",
                           m->rank);
}

/* ------------------------------------------------------------- set-up */

int throng__mpi_sources(throng_engine_t *e)
{
    struct throng__mpi *m = e->mpi;
    throng__control_t *c = &e->control;
    /* MPI has no descriptor to wait on: the loop looks every 20 ms. */
    c->watch_every = 0.02;
    if (m->rank != 0) {
        m->link.base = (throng__uplink_t){-1, link_heard, link_tick};
        m->link.engine = e;
        throng__series_init(&m->link.series);
        m->link_set = 1;
        c->uplink = &m->link.base;
        c->progress = NULL;
        c->tick = 0.25;
        /* Rank 0 keeps time; this is only in case it is gone for good. */
        c->duration = e->cfg.duration > 0 ? e->cfg.duration + 10 : 0;
        return 0;
    }
    own_source_t *o = &m->own;
    o->ngroups = e->ngroups;
    throng__series_init(&o->series);
    if (!(o->gstats = calloc(e->ngroups, sizeof *o->gstats)))
        return throng__fail(e->errmsg, THRONG_ENOMEM, "out of memory");
    for (unsigned g = 0; g < e->ngroups; g++) {
        if (!(o->gstats[g] = throng__stats_new()))
            return throng__fail(e->errmsg, THRONG_ENOMEM, "out of memory");
    }
    m->own_set = 1;
    for (unsigned i = 0; i < e->nsources; i++) {
        if (e->sources[i] != &e->threads.base) continue;
        o->base.ops = &own_ops;
        o->base.lag = e->threads.base.lag;
        o->base.ending = THRONG_END_NONE;
        o->inner = &e->threads.base;
        e->sources[i] = &o->base;
    }
    if (m->size > 1 && !(m->ranks = calloc((size_t)m->size - 1, sizeof *m->ranks)))
        return throng__fail(e->errmsg, THRONG_ENOMEM, "out of memory");
    for (int r = 1; r < m->size; r++) {
        rank_source_t *rs = &m->ranks[r - 1];
        rs->base.ops = &rank_ops;
        /* A second reaches the rank's loop within its threads' lag, leaves
         * at its next tick (250 ms) and is here within a wake-up (20 ms). */
        rs->base.lag = e->threads.base.lag + 0.5;
        rs->base.ending = THRONG_END_NONE;
        rs->engine = e;
        rs->rank = r;
        if (throng__frames_init(&rs->frames, e->ngroups) != 0)
            return throng__fail(e->errmsg, THRONG_ENOMEM, "out of memory");
        snprintf(rs->frames.who, sizeof rs->frames.who, "rank %d", r);
        e->sources[e->nsources++] = &rs->base;
    }
    c->nsources = e->nsources;
    return 0;
}

unsigned throng__mpi_size(const throng_engine_t *e)
{
    return e->mpi ? (unsigned)e->mpi->size : 0;
}

int throng__mpi_whole(const throng_engine_t *e)
{
    return e->mpi && e->mpi->rank == 0 && e->mpi->size > 1;
}

unsigned throng__mpi_lost(const throng_engine_t *e)
{
    const struct throng__mpi *m = e->mpi;
    unsigned n = 0;
    for (int r = 1; m && m->ranks && r < m->size; r++)
        n += m->ranks[r - 1].base.lost;
    return n;
}

int throng__mpi_own(const throng_engine_t *e, throng__stats_t *const **gstats,
                    throng__series_t **series)
{
    struct throng__mpi *m = e->mpi;
    if (m && m->own_set) {
        *gstats = m->own.gstats;
        *series = &m->own.series;
        return 1;
    }
    if (m && m->link_set) {
        *gstats = e->gstats;
        *series = &m->link.series;
        return 1;
    }
    return 0;
}

void throng__mpi_free(throng_engine_t *e)
{
    struct throng__mpi *m = e->mpi;
    if (!m) return;
    for (int r = 1; m->ranks && r < m->size; r++) {
        rank_source_t *rs = &m->ranks[r - 1];
        if (rs->stop_sent) {
            int done = 0;
            MPI_Test(&rs->stop_req, &done, MPI_STATUS_IGNORE);
            if (!done) MPI_Request_free(&rs->stop_req); /* a rank that ended on its own */
        }
        throng__frames_free(&rs->frames);
        throng__buf_free(&rs->in);
    }
    free(m->ranks);
    for (unsigned g = 0; m->own.gstats && g < m->own.ngroups; g++) {
        if (m->own.gstats[g]) throng__stats_free(m->own.gstats[g]);
        free(m->own.gstats[g]);
    }
    free(m->own.gstats);
    throng__series_free(&m->own.series);
    for (size_t i = 0; i < m->link.nsends; i++) {
        MPI_Request_free(&m->link.sends[i].req);
        throng__buf_free(&m->link.sends[i].buf);
    }
    free(m->link.sends);
    if (m->link_set) throng__series_free(&m->link.series);
    free(m);
    e->mpi = NULL;
}

/* ------------------------------------------------------------- public */

int throng_mpi_available(void)
{
    return 1;
}

int throng_mpi_init(unsigned *rank, unsigned *size, char *err, size_t errlen)
{
    int inited = 0, provided = 0, r = 0, n = 1;
    MPI_Initialized(&inited);
    if (!inited && MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        if (err && errlen) snprintf(err, errlen, "MPI_Init_thread failed");
        return THRONG_ESYS;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &r);
    MPI_Comm_size(MPI_COMM_WORLD, &n);
    if (rank) *rank = (unsigned)r;
    if (size) *size = (unsigned)n;
    return 0;
}

void throng_mpi_abort(int status)
{
    int inited = 0;
    MPI_Initialized(&inited);
    if (inited) MPI_Abort(MPI_COMM_WORLD, status);
}

void throng_mpi_finalize(void)
{
    int inited = 0, finalized = 0;
    MPI_Initialized(&inited);
    MPI_Finalized(&finalized);
    if (inited && !finalized) MPI_Finalize();
}

#else /* built without MPI */

int throng__mpi_check(throng_engine_t *e)
{
    return throng__fail(e->errmsg, THRONG_EINVAL,
                        "this throng was built without MPI (configure with -DTHRONG_MPI=ON and "
                        "Open MPI's libopenmpi-dev installed)");
}

int throng__mpi_start(throng_engine_t *e)
{
    return throng__mpi_check(e);
}

int throng__mpi_sources(throng_engine_t *e)
{
    return throng__mpi_check(e);
}

void throng__mpi_end(throng_engine_t *e, throng_ending_t ending)
{
    (void)e;
    (void)ending;
}

unsigned throng__mpi_size(const throng_engine_t *e)
{
    (void)e;
    return 0;
}

int throng__mpi_whole(const throng_engine_t *e)
{
    (void)e;
    return 0;
}

unsigned throng__mpi_lost(const throng_engine_t *e)
{
    (void)e;
    return 0;
}

int throng__mpi_own(const throng_engine_t *e, throng__stats_t *const **gstats,
                    throng__series_t **series)
{
    (void)e;
    (void)gstats;
    (void)series;
    return 0;
}

void throng__mpi_free(throng_engine_t *e)
{
    (void)e;
}

int throng_mpi_available(void)
{
    return 0;
}

int throng_mpi_init(unsigned *rank, unsigned *size, char *err, size_t errlen)
{
    if (rank) *rank = 0;
    if (size) *size = 1;
    if (err && errlen)
        snprintf(err, errlen,
                 "this throng was built without MPI (configure with -DTHRONG_MPI=ON and "
                 "Open MPI's libopenmpi-dev installed)");
    return THRONG_ESTATE;
}

void throng_mpi_abort(int status)
{
    (void)status;
}

void throng_mpi_finalize(void) {}

#endif
