/* worker_run.h - one worker thread run by a test: its settings, its
 * clients running a persona source, a join that cannot hang the suite,
 * and its end. Shared by the tests of the client and of the session
 * style; everything here is static, so each test binary has its own. */
#ifndef THRONG_TEST_WORKER_RUN_H
#define THRONG_TEST_WORKER_RUN_H

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "client/worker.h"
#include "util/address.h"
#include "util/error.h"

typedef struct run {
    throng__worker_settings_t set;
    throng__budget_t budget;
    throng__worker_t w;
    int notify_fd;      /* given to the worker before its thread starts */
    unsigned memory_mb; /* the persona state's Lua budget (0: none) */
    char err[THRONG__ERRMSG_LEN];
} run_t;

/* Settings for clients of address: drop on fault, no notify pipe; the
 * test sets its own timeouts and session shape after. */
static void run_settings(run_t *r, const char *address)
{
    memset(r, 0, sizeof *r);
    r->notify_fd = -1;
    CHECK_INT(throng__address_parse(address, 80, "server", &r->set.address, r->err), 0);
    CHECK_INT(throng__address_resolve(&r->set.address, r->err), 0);
    r->set.on_fault = THRONG_ON_FAULT_DROP;
}

/* Starts clients running source, with a request limit (0: none). */
static int start(run_t *r, const char *source, unsigned clients, uint64_t limit)
{
    throng__persona_spec_t spec = {NULL, NULL, source};
    throng__persona_params_t params = {.request_count = r->set.request_count,
                                       .slow_down = r->set.slow_down,
                                       .memory_limit = (size_t)r->memory_mb << 20};
    int rc = throng__worker_init(&r->w, &r->set, &spec, &params, clients, 1, 7, r->err);
    if (rc != 0) {
        fprintf(stderr, "worker_init: %s\n", r->err);
        return rc;
    }
    if (limit) {
        atomic_init(&r->budget.issued, 0);
        r->budget.limit = limit;
        r->w.budget = &r->budget;
    }
    r->w.notify_fd = r->notify_fd;
    return throng__worker_start(&r->w, r->err);
}

/* Joins within seconds, or fails the test and leaves (the thread would
 * hold the process): a client left waiting for ever fails here. */
static void join_within(run_t *r, int seconds)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += seconds;
    if (pthread_timedjoin_np(r->w.thread, NULL, &ts) != 0) {
        fprintf(stderr, "the worker did not end within %ds\n", seconds);
        _exit(1);
    }
}

#endif
