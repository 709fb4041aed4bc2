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

/* One histogram as its length (4 bytes) and compact form. */
static int put_hist(const throng__hist_t *h, throng__buf_t *out)
{
    size_t need = throng__hist_serialize(h, NULL, 0);
    uint32_t len = (uint32_t)need;
    if (throng__buf_append(out, &len, sizeof len) != 0 || throng__buf_reserve(out, need) != 0)
        return -1;
    throng__hist_serialize(h, (uint8_t *)out->data + out->len, need);
    out->len += need;
    return 0;
}

static int get_hist(throng__hist_t *h, const char **p, const char *end)
{
    uint32_t len;
    if ((size_t)(end - *p) < sizeof len) return -1;
    memcpy(&len, *p, sizeof len);
    *p += sizeof len;
    if ((size_t)(end - *p) < len) return -1;
    if (throng__hist_deserialize(h, (const uint8_t *)*p, len) != 0) return -1;
    *p += len;
    return 0;
}

/* The counts and samples travel as they are in memory: both ends are the
 * same program, forked. */
int throng__stats_serialize(const throng__stats_t *s, throng__buf_t *out)
{
    if (throng__buf_append(out, &s->n, sizeof s->n) != 0 ||
        throng__buf_append(out, s->sample, sizeof s->sample) != 0)
        return -1;
    return put_hist(&s->latency, out) || put_hist(&s->connect, out) ? -1 : 0;
}

int throng__stats_deserialize(throng__stats_t *s, const char *data, size_t len)
{
    const char *p = data, *end = data + len;
    if (len < sizeof s->n + sizeof s->sample) return -1;
    memcpy(&s->n, p, sizeof s->n);
    p += sizeof s->n;
    memcpy(s->sample, p, sizeof s->sample);
    p += sizeof s->sample;
    for (int k = 0; k < THRONG_FAULT_KINDS; k++)
        s->sample[k][THRONG_SAMPLE_LEN - 1] = '\0';
    if (get_hist(&s->latency, &p, end) != 0 || get_hist(&s->connect, &p, end) != 0) return -1;
    return p == end ? 0 : -1;
}
