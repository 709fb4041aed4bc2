/* engine.h - the engine behind throng_engine_t: groups, their worker
 * threads, the control loop that waits, samples progress and stops them,
 * and the merged report. */
#ifndef THRONG_ENGINE_H
#define THRONG_ENGINE_H

#include <stdatomic.h>
#include <time.h>

#include "util/error.h"
#include "stats/stats.h"
#include "throng.h"
#include "stats/threshold.h"
#include "client/worker.h"

typedef struct throng__group {
    throng_group_t cfg; /* strings owned by the engine */
    char **args;
    char label[160]; /* "table", or the script's file name */
    throng__worker_settings_t set;
    int session_style; /* the persona has a session function */
    unsigned procs;    /* worker processes its clients are spread over */
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
    char *server; /* owned copy of cfg.server */
    throng__group_t *groups;
    unsigned ngroups;
    throng__worker_t **workers; /* this process's worker threads */
    unsigned nworkers;
    unsigned forks;             /* worker processes to start: the most any group wants (1: none) */
    struct throng__proc *procs; /* worker processes, when forks > 1 */
    unsigned nprocs;
    char proc_sample[THRONG_SAMPLE_LEN]; /* what happened to the first process lost */

    int pipe[2]; /* workers write 'f' when done, throng_stop() writes 's' */
    _Atomic int state;
    _Atomic int stop_requested;
    uint64_t seed;
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
    double last_p99;           /* of the latest second settled, for the progress line */
    pthread_mutex_t live_lock; /* guards series and procs' stats against live reports */
    throng__buf_t last_reply;  /* keep_last_reply: the latest response's body */
    int last_status;
    uint64_t last_at;
    char errmsg[THRONG__ERRMSG_LEN];
};

struct throng__link;

/* Fills r from total (report.c); _build fills e->report from e->total. */
void throng__report_fill(const throng_engine_t *e, throng_report_t *r, const throng__stats_t *total,
                         double elapsed, throng_ending_t ending);
void throng__report_build(throng_engine_t *e, double elapsed, throng_ending_t ending);

/* A running run's report so far (config.live_reports), as JSON. */
struct cJSON *throng__engine_live_json(throng_engine_t *e);

/* ---- shared with proc.c, which runs the same steps in each worker process ---- */

/* Creates this process's workers (process proc, 0 without processes): its
 * share of every group's clients, spread over the group's threads. */
int throng__engine_create_workers(throng_engine_t *e, unsigned proc);
int throng__engine_start_workers(throng_engine_t *e);

/* Waits for the workers; with a link (in a worker process) also obeys the
 * parent and sends it statistics every second. Returns why the run ended. */
throng_ending_t throng__engine_control(throng_engine_t *e, const struct throng__link *link);

/* Joins the workers, merges their stats into e->gstats, frees them. */
int throng__engine_join_workers(throng_engine_t *e);

/* Merges every group's stats into e->total, once the run has ended. */
void throng__engine_totals(throng_engine_t *e);

/* Settles the series' seconds before `before` and notes the latest p99. */
void throng__engine_settle(throng_engine_t *e, uint64_t before);

void throng__engine_stop_workers(throng_engine_t *e, throng_ending_t reason);

/* Calls the progress callback with sum. */
void throng__engine_progress(throng_engine_t *e, const throng__counts_t *sum, double elapsed,
                             uint64_t *last_requests, double *last_at);

/* Why a run ended whose workers (or processes) ended on their own. */
throng_ending_t throng__engine_own_ending(const throng_ending_t *endings, unsigned n);

/* The threads a group runs in worker process proc (0 without processes). */
unsigned throng__group_threads(const throng__group_t *g, unsigned proc);

void throng__engine_log(throng_engine_t *e, throng_log_level_t level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
uint64_t throng__now_ns(void);
double throng__engine_elapsed(const throng_engine_t *e);

#endif
