/* control.h - the one control loop of a run.
 *
 * A run's statistics come from its sources: the worker threads of this
 * process (source_threads.c), worker processes (proc.c), later MPI ranks.
 * The loop drives them all through one small interface and alone decides:
 * when the run ends and why (a stop asked for, the duration, or every
 * source ended on its own), which sources are told to stop, which are
 * killed when they outlast the grace after a stop, when a second of the
 * series is complete, and when a source's final statistics go into its
 * groups' (once, as soon as it has ended).
 *
 * A worker process runs the same loop over its own threads, with an uplink
 * to its parent: the parent is its authority for stops and time, and hears
 * from it every tick instead of a progress callback.
 *
 * Locking: the loop holds c->lock while it changes what a live report
 * reads (the series, a source's latest statistics, the groups' stats, a
 * source that finishes); throng__control_latest() is called with it held. */
#ifndef THRONG_CONTROL_H
#define THRONG_CONTROL_H

#include <pthread.h>
#include <stdatomic.h>

#include "stats/series.h"
#include "stats/stats.h"
#include "throng.h"

typedef struct throng__source throng__source_t;
typedef struct throng__control throng__control_t;

/* What a stop asked for: the values of control's stop_requested. */
enum {
    THRONG__STOP_NONE,
    THRONG__STOP_ABORT, /* throng_stop(): in-flight exchanges faulted aborted */
    THRONG__STOP_FINISH /* throng_finish(): as if the duration were over */
};

typedef struct throng__source_ops {
    /* The fd that turns readable when the source has news; -1: none. */
    int (*fd)(throng__source_t *s);
    /* Takes in what has arrived; sets s->ended (and s->lost, s->ending)
     * when the source has ended. Called after every wake-up. */
    void (*pump)(throng__source_t *s);
    /* Adds its latest counts to sum (the progress line). */
    void (*counts)(throng__source_t *s, throng__counts_t *sum);
    /* Merges its latest statistics into groups[g] for each group it runs
     * (live reports, a worker process's reports to its parent). */
    void (*latest)(throng__source_t *s, throng__stats_t *groups);
    /* Hands its finished seconds to series. */
    void (*seconds)(throng__source_t *s, throng__series_t *series);
    /* Asks it to stop for reason; it ends soon after, through pump. */
    void (*stop)(throng__source_t *s, throng_ending_t reason);
    /* Ends it at once, after the grace of a stop; NULL: it cannot be killed
     * (a thread), and the loop waits for it. */
    void (*kill)(throng__source_t *s);
    /* Once it has ended: merges its final statistics into gstats[g] for
     * each group g it ran. 0, or a THRONG_E* code with the reason in err. */
    int (*finish)(throng__source_t *s, throng__stats_t *const *gstats, char *err);
    /* Before every pump: looks for what is stuck (a hook that does not
     * return); stopped_at is when the run was asked to end, or < 0. NULL:
     * nothing to watch. */
    void (*watch)(throng__source_t *s, double elapsed, double stopped_at);
} throng__source_ops_t;

struct throng__source {
    const throng__source_ops_t *ops;
    double lag; /* seconds after a second's end by which the source surely handed it over */
    /* Set by the source (in pump): */
    int ended;                   /* it has ended, on its own or stopped */
    int lost;                    /* it ended without its final statistics: crashed or killed */
    throng_ending_t ending;      /* why it ended on its own (not when lost) */
    int idle;                    /* it had nothing to run (a shard without a client here):
                                    its ending says nothing of the others' */
    char why[THRONG_SAMPLE_LEN]; /* lost: what happened ("worker process 12 killed by ...") */
    /* The loop's: */
    int finished; /* its final statistics are in its groups' */
};

/* Who, besides the run's own settings, may end the run and hears how it
 * goes: a worker process's parent. */
typedef struct throng__uplink {
    int fd; /* readable when the authority has spoken (or is gone) */
    /* 1 and *reason when it asks the run to stop (or is gone); 0: not yet. */
    int (*heard)(struct throng__uplink *u, throng_ending_t *reason);
    /* Every tick: tells it how the run goes (c's series holds the seconds
     * taken since the last tick; the uplink takes them). */
    void (*tick)(struct throng__uplink *u, throng__control_t *c);
} throng__uplink_t;

struct throng__control {
    /* Set by the owner before throng__control_run(): */
    throng__source_t **sources;
    unsigned nsources;
    unsigned ngroups;
    throng__stats_t *const *gstats; /* each group's final statistics */
    throng__series_t *series;       /* the run's seconds */
    pthread_mutex_t *lock;          /* guards what live reports read; NULL: none */
    uint64_t started_ns;            /* the run's start, uv_hrtime() */
    double duration;                /* seconds; 0: none (a worker process: its parent's) */
    double tick;                    /* seconds between ticks (default 1) */
    double grace;                   /* seconds a stopped source has before it is killed */
    double watch_every;             /* seconds between the sources' watches (0: every wake-up,
                                       which is at least once a second) */
    int wake_fd;                    /* readable when stop_requested was set; -1: none */
    _Atomic int *stop_requested;    /* THRONG__STOP_*: throng_stop(), throng_finish(); NULL: none */
    throng__uplink_t *uplink;       /* a worker process's parent; NULL: none */
    throng_progress_cb progress;    /* without an uplink: the progress line */
    void *progress_data;
    double progress_interval;
    throng_log_cb log;
    void *log_data;
    throng_log_level_t log_level;

    /* Results: */
    throng_ending_t ending;
    unsigned lost;                       /* sources lost */
    char lost_sample[THRONG_SAMPLE_LEN]; /* what happened to the first */
    double last_p99;                     /* of the latest second settled */
    int rc;                              /* the first failure of a source's finish */
    char errmsg[512];

    /* The loop's own: */
    double stopped_at;
    double next_progress;
    uint64_t last_requests;
    double last_progress_at;
};

/* Defaults: a tick a second, a grace of 10 s, nothing else. */
void throng__control_init(throng__control_t *c);

/* Runs the loop until every source has ended and finished; returns why
 * the run ended (also in c->ending). Seconds taken but not settled stay in
 * c->series (settle them all at the end). */
throng_ending_t throng__control_run(throng__control_t *c);

/* The figures so far: each group's finished statistics and every running
 * source's latest, merged into groups[ngroups]. Call with c->lock held. */
void throng__control_latest(throng__control_t *c, throng__stats_t *groups);

/* Settles the seconds before `before` into points and notes the latest p99
 * (takes c->lock). */
void throng__control_settle(throng__control_t *c, uint64_t before);

/* Why a run ended whose sources (or a source's threads) all ended on their
 * own: every client gone, every group's own duration over, every client's
 * one session run, or else the request limit. */
throng_ending_t throng__control_own_ending(const throng_ending_t *endings, unsigned n);

#endif
