/* stages.c - a group's load over time, and when it changes. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/duration.h"
#include "util/stages.h"

#define EPS 1e-9 /* levels within this of a whole number count as it */

/* Fills the running integral at each segment's start. */
static void integrate(throng__schedule_t *s)
{
    double area = 0;
    for (size_t i = 0; i < s->n; i++) {
        s->area[i] = area;
        const throng__segment_t *g = &s->seg[i];
        if (isfinite(g->t1)) area += (g->a + g->b) / 2 * (g->t1 - g->t0);
    }
}

static void hold_from(throng__schedule_t *s, double t, double level)
{
    s->seg[s->n++] = (throng__segment_t){t, INFINITY, level, level};
}

void throng__schedule_stages(throng__schedule_t *s, const throng_stage_t *stages, size_t nstages)
{
    double t = 0, level = 0;
    s->n = 0;
    for (size_t i = 0; i < nstages && i < THRONG_MAX_STAGES; i++) {
        double end = t + stages[i].duration;
        if (stages[i].duration > 0)
            s->seg[s->n++] = (throng__segment_t){t, end, level, stages[i].target};
        t = end;
        level = stages[i].target;
    }
    hold_from(s, t, level);
    integrate(s);
}

void throng__schedule_constant(throng__schedule_t *s, double level)
{
    s->n = 0;
    hold_from(s, 0, level);
    integrate(s);
}

void throng__schedule_ramp(throng__schedule_t *s, double ramp, double level)
{
    throng_stage_t st = {ramp, level};
    throng__schedule_stages(s, &st, 1);
}

/* The segment holding t (the first for t before it, the last after). */
static size_t segment_at(const throng__schedule_t *s, double t)
{
    size_t i = 0;
    while (i + 1 < s->n && t >= s->seg[i].t1)
        i++;
    return i;
}

static double level_in(const throng__segment_t *g, double t)
{
    if (!isfinite(g->t1) || t <= g->t0) return g->a;
    if (t >= g->t1) return g->b;
    return g->a + (g->b - g->a) * (t - g->t0) / (g->t1 - g->t0);
}

double throng__schedule_level(const throng__schedule_t *s, double t)
{
    return level_in(&s->seg[segment_at(s, t)], t);
}

double throng__schedule_peak(const throng__schedule_t *s)
{
    double peak = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (s->seg[i].a > peak) peak = s->seg[i].a;
        if (s->seg[i].b > peak) peak = s->seg[i].b;
    }
    return peak;
}

static unsigned count_of(double level)
{
    double c = floor(level + EPS);
    return c <= 0 ? 0 : c >= 4e9 ? 4000000000u : (unsigned)c;
}

unsigned throng__schedule_count(const throng__schedule_t *s, double t)
{
    return count_of(throng__schedule_level(s, t));
}

double throng__schedule_next_change(const throng__schedule_t *s, double t)
{
    unsigned now = throng__schedule_count(s, t);
    for (size_t i = segment_at(s, t); i < s->n; i++) {
        const throng__segment_t *g = &s->seg[i];
        if (!isfinite(g->t1)) return count_of(g->a) != now && g->t0 > t ? g->t0 : INFINITY;
        double from = t > g->t0 ? t : g->t0;
        if (count_of(level_in(g, from)) != now && from > t) return from; /* a step at its start */
        double target; /* the level at which the count next differs */
        if (g->b > g->a)
            target = now + 1;
        else if (g->b < g->a)
            target = now - EPS * 2; /* just below: the count drops to now - 1 */
        else
            continue;
        if ((g->b > g->a && target > g->b + EPS) || (g->b < g->a && target < g->b - EPS))
            continue; /* not within this segment */
        double when = g->t0 + (target - g->a) / (g->b - g->a) * (g->t1 - g->t0);
        if (when <= t) when = nextafter(t, INFINITY);
        return when;
    }
    return INFINITY;
}

double throng__schedule_area(const throng__schedule_t *s, double t)
{
    if (t <= 0) return 0;
    size_t i = segment_at(s, t);
    const throng__segment_t *g = &s->seg[i];
    double u = t - g->t0;
    if (u <= 0) return s->area[i];
    return s->area[i] + (g->a + level_in(g, t)) / 2 * u;
}

double throng__schedule_when(const throng__schedule_t *s, double v)
{
    if (v <= 0) return 0;
    for (size_t i = 0; i < s->n; i++) {
        const throng__segment_t *g = &s->seg[i];
        double need = v - s->area[i];
        if (!isfinite(g->t1)) return g->a > 0 ? g->t0 + need / g->a : INFINITY;
        double d = g->t1 - g->t0, whole = (g->a + g->b) / 2 * d;
        if (need > whole) continue;
        /* a u + (b - a) / (2 d) u^2 = need, in the form that stays exact
         * when the slope is 0 or tiny. */
        double c2 = (g->b - g->a) / (2 * d);
        double disc = g->a * g->a + 4 * c2 * need;
        if (disc < 0) disc = 0;
        double root = g->a + sqrt(disc);
        double u = root > 0 ? 2 * need / root : 0;
        return g->t0 + (u < d ? u : d);
    }
    return INFINITY;
}

/* ------------------------------------------------------------- parsing */

static int refuse(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int refuse(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return THRONG_EINVAL;
}

/* One stage "DURATION:TARGET[/s]" of len bytes at p (the i-th, from 1). */
static int parse_stage(const char *p, size_t len, size_t i, throng_stage_t *st, int *rate,
                       char *err, size_t errlen)
{
    char text[96], why[160];
    if (len >= sizeof text)
        return refuse(err, errlen, "stage %zu is too long: give DURATION:TARGET", i);
    memcpy(text, p, len);
    text[len] = 0;
    char *colon = strchr(text, ':');
    if (!colon)
        return refuse(err, errlen,
                      "stage %zu '%s' has no ':': give DURATION:CLIENTS (30s:100) or "
                      "DURATION:RATE/s (30s:500/s)",
                      i, text);
    *colon = 0;
    if (throng__duration_parse(text, &st->duration, why, sizeof why) != 0)
        return refuse(err, errlen, "stage %zu: %s", i, why);
    char written[96];
    snprintf(written, sizeof written, "%s", colon + 1);
    char *target = colon + 1, *end;
    size_t tlen = strlen(target);
    int is_rate = tlen > 2 && strcmp(target + tlen - 2, "/s") == 0;
    if (is_rate) target[tlen - 2] = 0;
    if (!*target || strspn(target, "0123456789.") != strlen(target))
        return refuse(err, errlen, "stage %zu: '%s' is not a number of %s", i, written,
                      is_rate ? "arrivals per second" : "clients");
    st->target = strtod(target, &end);
    if (*end || !isfinite(st->target))
        return refuse(err, errlen, "stage %zu: '%s' is not a number of %s", i, written,
                      is_rate ? "arrivals per second" : "clients");
    if (!is_rate && st->target != floor(st->target))
        return refuse(err, errlen,
                      "stage %zu: %s clients is not a whole number (a rate is written %s/s)", i,
                      target, target);
    if (!is_rate && st->target > THRONG_MAX_CLIENTS)
        return refuse(err, errlen, "stage %zu: %s clients is more than %u", i, target,
                      THRONG_MAX_CLIENTS);
    if (*rate >= 0 && *rate != is_rate)
        return refuse(err, errlen,
                      "stage %zu: '%s' mixes %s with the %s of the stages before: all stages give "
                      "clients (30s:100) or all give rates (30s:500/s)",
                      i, written, is_rate ? "a rate" : "clients", *rate ? "rates" : "clients");
    *rate = is_rate;
    return 0;
}

int throng__stages_parse(const char *text, throng_stage_t *stages, size_t cap, size_t *n, int *rate,
                         char *err, size_t errlen)
{
    if (!text || !*text)
        return refuse(err, errlen, "no stages: give DURATION:TARGET[,...] (30s:100,5m:100,30s:0)");
    size_t count = 0;
    int is_rate = -1;
    const char *p = text;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (count == cap || count == THRONG_MAX_STAGES)
            return refuse(err, errlen, "too many stages: at most %d",
                          (int)(cap < THRONG_MAX_STAGES ? cap : THRONG_MAX_STAGES));
        int rc = parse_stage(p, len, count + 1, &stages[count], &is_rate, err, errlen);
        if (rc) return rc;
        count++;
        if (!comma) break;
        p = comma + 1;
    }
    double total = 0;
    for (size_t i = 0; i < count; i++)
        total += stages[i].duration;
    if (total <= 0) return refuse(err, errlen, "the stages last no time: give each a duration");
    *n = count;
    *rate = is_rate;
    return 0;
}

int throng_parse_stages(const char *text, throng_stage_t *stages, size_t cap, size_t *n, int *rate,
                        char *err, size_t errlen)
{
    if (!stages || !n || !rate) return refuse(err, errlen, "no place for the stages");
    return throng__stages_parse(text, stages, cap, n, rate, err, errlen);
}
