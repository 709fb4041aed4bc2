/* engine.h - the engine behind throng_engine_t: groups, where their
 * clients run (this process's worker threads, worker processes), the run's
 * sources handed to the one control loop (control.h), and the merged
 * report. */
#ifndef THRONG_ENGINE_H
#define THRONG_ENGINE_H

#include <stdatomic.h>
#include <time.h>

#include "util/error.h"
#include "stats/stats.h"
#include "throng.h"
#include "stats/threshold.h"
#include "client/worker.h"
#include "core/control.h"
#include "core/source_threads.h"

typedef struct throng__group {
    throng_group_t cfg; /* strings owned by the engine */
    char **args;
    char label[160]; /* "table", or the script's file name */
    throng__worker_settings_t set;
    int session_style;           /* the persona has a session function */
    unsigned procs;              /* worker processes its clients are spread over; 1: this process's
                                    threads. Each group with more than one has processes of its own. */
    throng_group_t whole;        /* the group as added (its stages owned): cfg is its part
                                    in this shard (shard.c), the whole when not sharded */
    throng_stage_t *stages_part; /* cfg.stages' targets in this shard (owned) */
    uint64_t shard_from;         /* its clients in the shards before this one */
} throng__group_t;

typedef enum {
    THRONG__IDLE,
    THRONG__STARTING, /* inside throng_start(): a stop is kept for when it runs */
    THRONG__RUNNING,
    THRONG__ENDED,
    THRONG__FAILED /* throng_start() failed: the engine is done with */
} throng__engine_state_t;

struct throng_engine {
    throng_config_t cfg;
    char *server;              /* owned copy of cfg.server */
    char *cacert, *cert, *key; /* owned copies of cfg's TLS files */
    char *run_id_own;          /* owned copy of cfg.run_id */
    throng__tls_ctx_t *tls;    /* every group's TLS context, made by throng_start() */
    throng__group_t *groups;
    unsigned ngroups;
    throng__worker_t **workers; /* this process's worker threads */
    unsigned nworkers;
    unsigned forks;             /* worker processes to start: every group's with procs > 1 */
    struct throng__proc *procs; /* worker processes (the parent's view of them) */
    unsigned nprocs;
    char proc_sample[THRONG_SAMPLE_LEN]; /* what happened to the first process lost */
    struct throng__mpi *mpi;             /* an MPI run's ranks (mpi_rank.c); NULL: none */
    int in_worker_process;               /* this is a worker process's copy of the engine */

    throng__threads_source_t threads; /* this process's worker threads, as a source */
    int threads_open;
    throng__source_t **sources; /* every source of the run: threads, then processes */
    unsigned nsources;
    throng__control_t control; /* the one control loop, set up by throng_start() */

    int pipe[2]; /* throng_stop() writes 's' to wake the control loop */
    _Atomic int state;
    _Atomic int stop_requested;
    uint64_t seed;     /* this shard's seed (the run's when not sharded) */
    uint64_t run_seed; /* the run's seed, every shard's alike */
    char run_id[THRONG_RUN_ID_MAX + 1];
    double run_start;         /* Unix time the load started: the agreed start_at, or now */
    uint64_t max_requests;    /* this shard's part of config.max_requests */
    throng__budget_t *budget; /* the request limit, shared across fork; NULL: none */
    uint64_t started_ns;
    time_t started_wall; /* for the report's started_at */
    struct throng__threshold *thresholds;
    unsigned nthresholds;
    throng__lua_function_t *functions; /* throng_register_function */
    size_t nfunctions;

    throng_report_t report;
    throng__stats_t *total;    /* every group's stats merged */
    throng__stats_t **gstats;  /* each group's stats, merged from its workers (or processes) */
    throng__series_t series;   /* the run's per-second points */
    pthread_mutex_t live_lock; /* guards series and procs' stats against live reports */
    throng__buf_t last_reply;  /* keep_last_reply: the latest response's body */
    int last_status;
    uint64_t last_at;
    char errmsg[THRONG__ERRMSG_LEN];
};

/* Fills r from total (report.c); _build fills e->report from e->total. */
void throng__report_fill(const throng_engine_t *e, throng_report_t *r, const throng__stats_t *total,
                         double elapsed, throng_ending_t ending);
void throng__report_build(throng_engine_t *e, double elapsed, throng_ending_t ending);

/* The report as JSON (docs/report.md): r, each group's statistics and
 * their total and the series, with the engine's description of the run;
 * part: the figures are this process's own part (an MPI rank's), not the
 * whole run's (which rank 0 of an MPI run describes with every rank's). */
struct cJSON *throng__engine_report_json(const throng_engine_t *e, const throng_report_t *r,
                                         throng__stats_t *const *gstats,
                                         const throng__stats_t *total,
                                         const throng__series_t *series, int part);

/* A running run's report so far (config.live_reports), as JSON. */
struct cJSON *throng__engine_live_json(throng_engine_t *e);

/* ---- shared with proc.c, which runs the same steps in each worker process ---- */

/* Creates this process's workers: with group -1 every group that runs in
 * this process's threads (procs 1), all its clients; otherwise share `part`
 * of that group's clients (a worker process), spread over its threads. */
int throng__engine_create_workers(throng_engine_t *e, int group, unsigned part);
int throng__engine_start_workers(throng_engine_t *e);

/* Frees every worker; nonzero when one's loop did not close cleanly. */
int throng__engine_destroy_workers(throng_engine_t *e);

/* Fills e->control with what every run shares (groups' stats, series,
 * lock, clock, log) and the sources given. */
void throng__engine_control_setup(throng_engine_t *e, throng__source_t **sources, unsigned n);

/* Merges every group's stats into e->total, once the run has ended. */
void throng__engine_totals(throng_engine_t *e);

/* The threads a group runs in share `part` of its clients (0: the first
 * worker process, or this process). */
unsigned throng__group_threads(const throng__group_t *g, unsigned part);

void throng__engine_log(throng_engine_t *e, throng_log_level_t level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
uint64_t throng__now_ns(void);
double throng__engine_elapsed(const throng_engine_t *e);

#endif
