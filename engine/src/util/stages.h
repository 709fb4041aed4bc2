/* stages.h - a group's load over time (stages.c): clients, or arrivals per
 * second, as a chain of linear segments from the group's start, read from
 * "30s:100,5m:100,30s:0" or built from a rate or a ramp-up; and the two
 * questions the scheduler asks of it: when does the whole number of
 * clients next change, and when does the n-th arrival fall due (the time
 * at which the integral of the rate reaches n). Times are seconds from
 * the group's start. */
#ifndef THRONG_STAGES_H
#define THRONG_STAGES_H

#include <stddef.h>

#include "throng.h"

/* The level goes linearly from a at t0 to b at t1 (t1 may be INFINITY,
 * with a == b). */
typedef struct throng__segment {
    double t0, t1, a, b;
} throng__segment_t;

typedef struct throng__schedule {
    throng__segment_t seg[THRONG_MAX_STAGES + 1]; /* the stages, then the last level held */
    size_t n;
    double area[THRONG_MAX_STAGES + 1]; /* the integral of the level up to seg[i].t0 */
} throng__schedule_t;

/* A schedule from stages (from 0, each stage from the previous target;
 * the last target held after them). nstages from 1 to THRONG_MAX_STAGES. */
void throng__schedule_stages(throng__schedule_t *s, const throng_stage_t *stages, size_t nstages);

/* A constant level from the start. */
void throng__schedule_constant(throng__schedule_t *s, double level);

/* From 0 to level linearly over ramp seconds, then level held. */
void throng__schedule_ramp(throng__schedule_t *s, double ramp, double level);

/* The level at t (t < 0: the first segment's start). */
double throng__schedule_level(const throng__schedule_t *s, double t);

/* The highest level it reaches. */
double throng__schedule_peak(const throng__schedule_t *s);

/* The whole number of the level at t: floor, with a margin for rounding, so
 * that a level of exactly k counts k at the time it is reached. */
unsigned throng__schedule_count(const throng__schedule_t *s, double t);

/* The first time after t at which throng__schedule_count changes;
 * INFINITY when it never does. */
double throng__schedule_next_change(const throng__schedule_t *s, double t);

/* The integral of the level from 0 to t. */
double throng__schedule_area(const throng__schedule_t *s, double t);

/* The first time at which the integral reaches v; INFINITY when it never
 * does. */
double throng__schedule_when(const throng__schedule_t *s, double v);

/* Parses "30s:100,5m:100" or "30s:500/s,...": see throng_parse_stages. */
int throng__stages_parse(const char *text, throng_stage_t *stages, size_t cap, size_t *n, int *rate,
                         char *err, size_t errlen);

#endif
