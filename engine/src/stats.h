/* stats.h - what one worker thread counts. Each thread owns its own stats
 * and updates them without locks; they are merged when reported. */
#ifndef THRONG_STATS_H
#define THRONG_STATS_H

#include <stdint.h>

#include "buf.h"
#include "hist.h"
#include "throng.h"

typedef struct throng__counts {
    uint64_t requests; /* exchanges completed with a response */
    uint64_t sent;     /* requests written */
    uint64_t sessions; /* sessions completed */
    uint64_t connects; /* connections established */
    uint64_t bytes_sent, bytes_received;
    uint64_t faults[THRONG_FAULT_KINDS];
    uint64_t status[6]; /* by status class; [0] = outside 100..599 */
    uint64_t cancelled; /* in flight when a time or request limit ended the run */
    uint64_t clients_active, clients_faulted;
} throng__counts_t;

typedef struct throng__stats {
    throng__counts_t n;
    char sample[THRONG_FAULT_KINDS][THRONG_SAMPLE_LEN]; /* the first message of each kind */
    throng__hist_t latency;                             /* request written -> response complete */
    throng__hist_t connect;                             /* connect started -> connected */
} throng__stats_t;

void throng__stats_init(throng__stats_t *s);

/* Counts a fault; keeps its message when it is the first of its kind. */
void throng__stats_fault(throng__stats_t *s, throng_fault_t kind, const char *msg);

static inline void throng__stats_status(throng__stats_t *s, int status)
{
    s->n.status[(status >= 100 && status < 600) ? status / 100 : 0]++;
}

/* Adds from into into (counts, samples still missing, histograms). */
void throng__stats_merge(throng__stats_t *into, const throng__stats_t *from);
void throng__counts_add(throng__counts_t *into, const throng__counts_t *from);

/* Appends s's whole state to out (counts, samples, both histograms), for a
 * worker process to send its parent. 0, or -1 when memory runs out. */
int throng__stats_serialize(const throng__stats_t *s, throng__buf_t *out);

/* Rebuilds s from exactly len bytes of serialize's output; -1 when
 * malformed, never reading outside data[0..len). */
int throng__stats_deserialize(throng__stats_t *s, const char *data, size_t len);

/* Faults that count as failures: every kind but busy. */
uint64_t throng__counts_failures(const throng__counts_t *n);

#endif
