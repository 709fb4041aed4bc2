/* engine.h - the engine behind throng_engine_t: groups, their worker
 * threads, the control loop that waits, samples progress and stops them,
 * and the merged report. */
#ifndef THRONG_ENGINE_H
#define THRONG_ENGINE_H

#include <stdatomic.h>

#include "error.h"
#include "stats.h"
#include "throng.h"
#include "worker.h"

typedef struct throng__group {
    throng_group_t cfg; /* strings owned by the engine */
    char **args;
    char label[160]; /* "table", or the script's file name */
    throng__worker_settings_t set;
    unsigned first_worker, nworkers;
    int session_style; /* the persona has a session function */
} throng__group_t;

typedef enum { THRONG__IDLE, THRONG__RUNNING, THRONG__ENDED } throng__engine_state_t;

struct throng_engine {
    throng_config_t cfg;
    char *server; /* owned copy of cfg.server */
    throng__group_t *groups;
    unsigned ngroups;
    throng__worker_t **workers;
    unsigned nworkers;

    int pipe[2]; /* workers write 'f' when done, throng_stop() writes 's' */
    _Atomic int state;
    _Atomic int stop_requested;
    uint64_t seed;
    uint64_t started_ns;

    throng_report_t report;
    throng__stats_t *total; /* every worker's stats merged */
    char errmsg[THRONG__ERRMSG_LEN];
};

/* Fills e->report from e->total (report.c). */
void throng__report_build(throng_engine_t *e, double elapsed, throng_ending_t ending);

#endif
