/* stats.c - counting faults and merging per-thread statistics. */
#include <stdio.h>
#include <string.h>

#include "stats.h"

void throng__stats_init(throng__stats_t *s)
{
    memset(&s->n, 0, sizeof s->n);
    memset(s->sample, 0, sizeof s->sample);
    throng__hist_init(&s->latency);
    throng__hist_init(&s->connect);
}

void throng__stats_fault(throng__stats_t *s, throng_fault_t kind, const char *msg)
{
    s->n.faults[kind]++;
    if (!s->sample[kind][0] && msg) snprintf(s->sample[kind], THRONG_SAMPLE_LEN, "%s", msg);
}

void throng__counts_add(throng__counts_t *into, const throng__counts_t *from)
{
    /* The struct is all uint64_t counters: add it as an array. */
    uint64_t *a = (uint64_t *)into;
    const uint64_t *b = (const uint64_t *)from;
    for (size_t i = 0; i < sizeof *into / sizeof(uint64_t); i++)
        a[i] += b[i];
}

void throng__stats_merge(throng__stats_t *into, const throng__stats_t *from)
{
    throng__counts_add(&into->n, &from->n);
    for (int k = 0; k < THRONG_FAULT_KINDS; k++)
        if (!into->sample[k][0] && from->sample[k][0])
            memcpy(into->sample[k], from->sample[k], THRONG_SAMPLE_LEN);
    throng__hist_merge(&into->latency, &from->latency);
    throng__hist_merge(&into->connect, &from->connect);
}

uint64_t throng__counts_failures(const throng__counts_t *n)
{
    uint64_t f = 0;
    for (int k = 0; k < THRONG_FAULT_KINDS; k++)
        if (k != THRONG_FAULT_BUSY) f += n->faults[k];
    return f;
}
