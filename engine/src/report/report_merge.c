/* report_merge.c - merging JSON reports: several machines loading one
 * service at once (side by side), or one run's successive parts (one after
 * the other, as a home group whose process was restarted). Counts add;
 * histograms merge exactly by their buckets, and their percentiles are
 * drawn again from the merged buckets. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "util/buf.h"
#include "util/error.h"
#include "report/report_json.h"

static double num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static void set_num(cJSON *o, const char *key, double v)
{
    cJSON *item = cJSON_GetObjectItemCaseSensitive(o, key);
    if (cJSON_IsNumber(item))
        cJSON_SetNumberValue(item, v);
    else
        cJSON_AddNumberToObject(o, key, v);
}

static void add_num(cJSON *into, const cJSON *from, const char *key)
{
    set_num(into, key, num(into, key) + num(from, key));
}

static void max_num(cJSON *into, const cJSON *from, const char *key)
{
    double a = num(into, key), b = num(from, key);
    set_num(into, key, a > b ? a : b);
}

/* ---------------------------------------------------------- checking */

/* A report read from a file is checked before anything adds or draws it:
 * every number where docs/report-schema.json puts one, finite, not
 * negative, and small enough that a double holds it exactly (so that sums
 * and the text report's whole numbers stay exact); strings, booleans,
 * objects and arrays where they belong; arrays no longer than any run
 * makes. A field left out counts as 0, as in older reports. */

#define MAX_EXACT 9007199254740992.0 /* 2^53 */
#define MAX_SUM_NS (MAX_EXACT * 4294967296.0)
#define MAX_GROUPS 4096
#define MAX_NAMES 1024
#define MAX_THRESHOLDS 4096
#define MAX_POINTS (1 << 24) /* half a year of one-second points */
#define MAX_BUCKETS (1 << 16)
#define MAX_STAGES 64 /* THRONG_MAX_STAGES */

/* Where the check is, as a path ("groups[0].totals.latency.p99"), and
 * where the first problem goes. */
typedef struct check {
    char path[160];
    char *why;
    size_t whylen;
} check_t;

static int problem(check_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int problem(check_t *c, const char *fmt, ...)
{
    char what[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(c->why, c->whylen, "%s: %s", c->path[0] ? c->path : "the report", what);
    return -1;
}

/* Goes into a member (key) or an element (key NULL, index i) of the path;
 * returns what leave() takes to come back. */
static size_t enter(check_t *c, const char *key, int i)
{
    size_t n = strlen(c->path);
    if (key)
        snprintf(c->path + n, sizeof c->path - n, "%s%.40s", n ? "." : "", key);
    else
        snprintf(c->path + n, sizeof c->path - n, "[%d]", i);
    return n;
}

static int leave(check_t *c, size_t n, int rc)
{
    if (rc == 0) c->path[n] = '\0';
    return rc;
}

/* What a JSON value is, for messages. */
static const char *kind(const cJSON *v)
{
    if (cJSON_IsNumber(v)) return "a number";
    if (cJSON_IsString(v)) return "a string";
    if (cJSON_IsArray(v)) return "an array";
    if (cJSON_IsObject(v)) return "an object";
    if (cJSON_IsBool(v)) return "a boolean";
    return "null";
}

/* v (at the path) is a finite number within -max..max, not negative unless
 * signed_ok, whole when whole. */
static int check_value(check_t *c, const cJSON *v, int whole, int signed_ok, double max)
{
    if (!cJSON_IsNumber(v)) return problem(c, "%s where a number belongs", kind(v));
    double x = v->valuedouble;
    if (!isfinite(x)) return problem(c, "%g is not a finite number", x);
    if (x < 0 && !signed_ok) return problem(c, "%g is negative", x);
    if (whole && x != floor(x)) return problem(c, "%g is not a whole number", x);
    if (fabs(x) > max) return problem(c, "%g is too large (at most %.0f)", x, max);
    return 0;
}

enum { COUNT, AMOUNT, SIGNED, STRING, STRING_OR_NULL, NUMBER_OR_NULL, BOOLEAN };

/* o[key], when present, is of the kind asked: a count (a whole number from
 * 0 to 2^53), an amount (a number from 0 to 2^53: seconds, a rate), a
 * signed number, a string, ... */
static int check_field(check_t *c, const cJSON *o, const char *key, int want)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v) return 0;
    size_t at = enter(c, key, 0);
    int rc = 0;
    switch (want) {
    case COUNT:
        rc = check_value(c, v, 1, 0, MAX_EXACT);
        break;
    case AMOUNT:
        rc = check_value(c, v, 0, 0, MAX_EXACT);
        break;
    case NUMBER_OR_NULL:
        if (cJSON_IsNull(v)) break;
        /* fall through */
    case SIGNED:
        rc = check_value(c, v, 0, 1, MAX_EXACT);
        break;
    case STRING_OR_NULL:
        if (cJSON_IsNull(v)) break;
        /* fall through */
    case STRING:
        if (!cJSON_IsString(v)) rc = problem(c, "%s where a string belongs", kind(v));
        break;
    case BOOLEAN:
        if (!cJSON_IsBool(v)) rc = problem(c, "%s where true or false belongs", kind(v));
        break;
    }
    return leave(c, at, rc);
}

/* Each of keys (NULL-terminated) as check_field() wants it. */
static int check_fields(check_t *c, const cJSON *o, const char *const *keys, int want)
{
    for (; *keys; keys++)
        if (check_field(c, o, *keys, want)) return -1;
    return 0;
}

/* o[key], when present, is an object (max < 0) or an array of at most max
 * elements; *out is it, or NULL when absent. */
static int check_container(check_t *c, const cJSON *o, const char *key, int max, const cJSON **out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    *out = NULL;
    if (!v) return 0;
    size_t at = enter(c, key, 0);
    int rc = 0;
    if (max < 0 ? !cJSON_IsObject(v) : !cJSON_IsArray(v))
        rc = problem(c, "%s where %s belongs", kind(v), max < 0 ? "an object" : "an array");
    else if (max >= 0 && cJSON_GetArraySize(v) > max)
        rc = problem(c, "%d elements, more than a run makes (%d)", cJSON_GetArraySize(v), max);
    *out = v;
    return leave(c, at, rc);
}

/* One [low, high, count] bucket of a histogram, in nanoseconds. */
static int check_bucket(check_t *c, const cJSON *b)
{
    if (!cJSON_IsArray(b) || cJSON_GetArraySize(b) != 3)
        return problem(c, "%s where a bucket [low, high, count] belongs", kind(b));
    for (int k = 0; k < 3; k++) {
        size_t at = enter(c, NULL, k);
        if (leave(c, at, check_value(c, cJSON_GetArrayItem(b, k), 1, 0, MAX_EXACT))) return -1;
    }
    if (cJSON_GetArrayItem(b, 1)->valuedouble < cJSON_GetArrayItem(b, 0)->valuedouble)
        return problem(c, "the high bound is below the low one");
    if (cJSON_GetArrayItem(b, 2)->valuedouble < 1) return problem(c, "a bucket's count is 0");
    return 0;
}

static int check_hist(check_t *c, const cJSON *h)
{
    static const char *const amounts[] = {"min", "mean", "max", "p50", "p90", "p99", "p999", NULL};
    if (check_field(c, h, "count", COUNT) || check_fields(c, h, amounts, AMOUNT)) return -1;
    const cJSON *sum = cJSON_GetObjectItemCaseSensitive(h, "sum_ns"), *buckets, *b;
    if (sum) {
        size_t at = enter(c, "sum_ns", 0);
        if (leave(c, at, check_value(c, sum, 0, 0, MAX_SUM_NS))) return -1;
    }
    if (check_container(c, h, "buckets", MAX_BUCKETS, &buckets)) return -1;
    size_t at = enter(c, "buckets", 0);
    int i = 0;
    cJSON_ArrayForEach(b, buckets)
    {
        size_t in = enter(c, NULL, i++);
        if (leave(c, in, check_bucket(c, b))) return -1;
    }
    return leave(c, at, 0);
}

/* A statistics object: the run's, a group's or a request name's totals. */
static int check_stats(check_t *c, const cJSON *s)
{
    static const char *const counts[] = {"requests",  "sent",     "faulted",    "cancelled",
                                         "in_flight", "failures", "bytes_sent", "bytes_received",
                                         "arrivals",  "dropped",  NULL};
    if (!cJSON_IsObject(s)) return problem(c, "%s where an object belongs", kind(s));
    if (check_fields(c, s, counts, COUNT) || check_field(c, s, "rate", AMOUNT) ||
        check_field(c, s, "expected_interval", AMOUNT) || check_field(c, s, "name", STRING))
        return -1;
    const cJSON *o, *m;
    if (check_container(c, s, "faults", -1, &o)) return -1;
    size_t at = enter(c, "faults", 0);
    cJSON_ArrayForEach(m, o)
    {
        size_t in = enter(c, m->string, 0);
        int rc = !cJSON_IsObject(m)
                     ? problem(c, "%s where an object belongs", kind(m))
                     : check_field(c, m, "count", COUNT) || check_field(c, m, "sample", STRING);
        if (leave(c, in, rc ? -1 : 0)) return -1;
    }
    leave(c, at, 0);
    if (check_container(c, s, "status", -1, &o)) return -1;
    at = enter(c, "status", 0);
    cJSON_ArrayForEach(m, o)
    {
        size_t n = strlen(m->string), in = enter(c, m->string, 0);
        int rc = n == 0 || n > 3 || strspn(m->string, "0123456789") != n
                     ? problem(c, "not a status code")
                     : check_value(c, m, 1, 0, MAX_EXACT);
        if (leave(c, in, rc)) return -1;
    }
    leave(c, at, 0);
    static const char *const hists[] = {"latency", "service", "corrected", "ttfb",
                                        "connect", "tls",     NULL};
    for (const char *const *h = hists; *h; h++) {
        if (check_container(c, s, *h, -1, &o)) return -1;
        at = enter(c, *h, 0);
        if (leave(c, at, o ? check_hist(c, o) : 0)) return -1;
    }
    return 0;
}

/* s[key], when present, as check_stats() wants it. */
static int check_stats_at(check_t *c, const cJSON *o, const char *key)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!s) return 0;
    size_t at = enter(c, key, 0);
    return leave(c, at, check_stats(c, s));
}

static int check_stage(check_t *c, const cJSON *st)
{
    static const char *const amounts[] = {"duration", "target", NULL};
    if (!cJSON_IsObject(st)) return problem(c, "%s where a stage object belongs", kind(st));
    return check_fields(c, st, amounts, AMOUNT);
}

/* A group's load model as configured. */
static int check_load(check_t *c, const cJSON *l)
{
    static const char *const strings[] = {"model", "arrivals", NULL};
    static const char *const amounts[] = {"rate", "ramp_up", "expected_interval", NULL};
    if (check_fields(c, l, strings, STRING) || check_fields(c, l, amounts, AMOUNT) ||
        check_field(c, l, "max_clients", COUNT) || check_field(c, l, "stages_rate", BOOLEAN))
        return -1;
    const cJSON *stages, *st;
    if (check_container(c, l, "stages", MAX_STAGES, &stages)) return -1;
    size_t at = enter(c, "stages", 0);
    int i = 0;
    cJSON_ArrayForEach(st, stages)
    {
        size_t in = enter(c, NULL, i++);
        if (leave(c, in, check_stage(c, st))) return -1;
    }
    return leave(c, at, 0);
}

/* A transaction's figures: count, failures (no more than the count),
 * rate and wall times. */
static int check_txn(check_t *c, const cJSON *t)
{
    static const char *const counts[] = {"count", "failures", NULL};
    if (!cJSON_IsObject(t)) return problem(c, "%s where an object belongs", kind(t));
    if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(t, "name")))
        return problem(c, "a transaction has no name");
    if (check_fields(c, t, counts, COUNT) || check_field(c, t, "rate", AMOUNT)) return -1;
    if (num(t, "failures") > num(t, "count")) return problem(c, "more failures than transactions");
    const cJSON *h;
    if (check_container(c, t, "latency", -1, &h)) return -1;
    size_t at = enter(c, "latency", 0);
    return leave(c, at, h ? check_hist(c, h) : 0);
}

/* A check's figures: passes and fails. */
static int check_check(check_t *c, const cJSON *k)
{
    static const char *const counts[] = {"passes", "fails", NULL};
    if (!cJSON_IsObject(k)) return problem(c, "%s where an object belongs", kind(k));
    if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(k, "name")))
        return problem(c, "a check has no name");
    return check_fields(c, k, counts, COUNT);
}

static int check_point(check_t *c, const cJSON *p);
static int check_list(check_t *c, const cJSON *doc, const char *key, int max,
                      int (*each)(check_t *, const cJSON *));

static int check_group(check_t *c, const cJSON *g)
{
    static const char *const strings[] = {"name", "persona", "server", "style", NULL};
    static const char *const counts[] = {"clients",          "processes",      "threads",
                                         "request_count",    "sessions",       "connects",
                                         "unsolicited",      "clients_active", "clients_faulted",
                                         "clients_finished", "cancelled",      NULL};
    if (!cJSON_IsObject(g)) return problem(c, "%s where a group object belongs", kind(g));
    if (check_fields(c, g, strings, STRING) || check_fields(c, g, counts, COUNT) ||
        check_field(c, g, "slow_down", AMOUNT) || check_stats_at(c, g, "totals"))
        return -1;
    const cJSON *names, *n, *load;
    if (check_container(c, g, "load", -1, &load)) return -1;
    if (load) {
        size_t in = enter(c, "load", 0);
        if (leave(c, in, check_load(c, load))) return -1;
    }
    if (check_container(c, g, "names", MAX_NAMES, &names)) return -1;
    size_t at = enter(c, "names", 0);
    int i = 0;
    cJSON_ArrayForEach(n, names)
    {
        size_t in = enter(c, NULL, i++);
        int rc = check_stats(c, n);
        if (rc == 0 && !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(n, "name")))
            rc = problem(c, "a request name's statistics have no name");
        if (leave(c, in, rc)) return -1;
    }
    if (leave(c, at, 0)) return -1;
    if (check_list(c, g, "transactions", MAX_NAMES, check_txn) ||
        check_list(c, g, "checks", MAX_NAMES, check_check))
        return -1;
    return check_list(c, g, "series", MAX_POINTS, check_point); /* optional: older reports */
}

static int check_point(check_t *c, const cJSON *p)
{
    static const char *const counts[] = {"t",        "requests", "failures", "active",
                                         "arrivals", "dropped",  NULL};
    static const char *const amounts[] = {"mean", "p50",    "p90",      "p99",
                                          "max",  "target", "achieved", NULL};
    if (!cJSON_IsObject(p)) return problem(c, "%s where an object belongs", kind(p));
    return check_fields(c, p, counts, COUNT) || check_fields(c, p, amounts, AMOUNT) ? -1 : 0;
}

static int check_threshold(check_t *c, const cJSON *t)
{
    static const char *const strings[] = {"expression", "metric", "op", "note", NULL};
    static const char *const named[] = {"group", "name", NULL};
    if (!cJSON_IsObject(t)) return problem(c, "%s where an object belongs", kind(t));
    if (check_fields(c, t, strings, STRING) || check_fields(c, t, named, STRING_OR_NULL) ||
        check_field(c, t, "limit", SIGNED) || check_field(c, t, "value", NUMBER_OR_NULL) ||
        check_field(c, t, "passed", BOOLEAN))
        return -1;
    return 0;
}

/* The elements of doc[key], an array of at most max, each checked by each. */
static int check_list(check_t *c, const cJSON *doc, const char *key, int max,
                      int (*each)(check_t *, const cJSON *))
{
    const cJSON *list, *x;
    if (check_container(c, doc, key, max, &list)) return -1;
    size_t at = enter(c, key, 0);
    int i = 0;
    cJSON_ArrayForEach(x, list)
    {
        size_t in = enter(c, NULL, i++);
        if (leave(c, in, each(c, x))) return -1;
    }
    return leave(c, at, 0);
}

int throng__report_check(const cJSON *doc, char *why, size_t whylen)
{
    check_t c = {.path = "", .why = why, .whylen = whylen};
    static const char *const strings[] = {"throng", "started_at", "ending", "ending_text", NULL};
    const cJSON *format = cJSON_GetObjectItemCaseSensitive(doc, "format"), *o;
    if (!cJSON_IsObject(doc)) return problem(&c, "%s, not a report object", kind(doc));
    if (!cJSON_IsString(format) || strcmp(format->valuestring, "throng-report") != 0)
        return problem(&c, "not a throng report (no \"format\": \"throng-report\")");
    if (num(doc, "version") != 1) return problem(&c, "version: only version 1 is known");
    if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(doc, "groups")))
        return problem(&c, "groups: missing, or not an array");
    if (check_fields(&c, doc, strings, STRING) || check_field(&c, doc, "elapsed", AMOUNT) ||
        check_list(&c, doc, "groups", MAX_GROUPS, check_group) ||
        check_stats_at(&c, doc, "totals") ||
        check_list(&c, doc, "series", MAX_POINTS, check_point) ||
        check_list(&c, doc, "thresholds", MAX_THRESHOLDS, check_threshold))
        return -1;
    static const char *const settings[] = {"duration", "timeout", "connect_timeout", NULL};
    static const char *const setting_counts[] = {"max_requests", "max_body", "processes", NULL};
    if (check_container(&c, doc, "settings", -1, &o)) return -1;
    size_t at = enter(&c, "settings", 0);
    if (o && (check_fields(&c, o, settings, AMOUNT) || check_fields(&c, o, setting_counts, COUNT) ||
              check_field(&c, o, "on_fault", STRING) || check_field(&c, o, "once", BOOLEAN)))
        return -1;
    const cJSON *seed = o ? cJSON_GetObjectItemCaseSensitive(o, "seed") : NULL;
    if (seed) { /* 64 bits */
        size_t in = enter(&c, "seed", 0);
        if (leave(&c, in, check_value(&c, seed, 1, 0, 18446744073709551615.0))) return -1;
    }
    leave(&c, at, 0);
    static const char *const processes[] = {"started", "lost", NULL};
    if (check_container(&c, doc, "processes", -1, &o)) return -1;
    at = enter(&c, "processes", 0);
    if (o && (check_fields(&c, o, processes, COUNT) || check_field(&c, o, "sample", STRING)))
        return -1;
    leave(&c, at, 0);
    return 0;
}

/* o[key] as the merge adds into it: the member when there is one, else a
 * new empty object (or array) put there, so that what a report left out
 * can still receive the other's figures. NULL only when memory runs out.
 * (throng__report_check() has seen to the member's type.) */
static cJSON *member(cJSON *o, const char *key, int array)
{
    cJSON *m = cJSON_GetObjectItemCaseSensitive(o, key);
    if (m || !o) return m;
    m = array ? cJSON_CreateArray() : cJSON_CreateObject();
    if (m && !cJSON_AddItemToObject(o, key, m)) {
        cJSON_Delete(m);
        m = NULL;
    }
    return m;
}

/* Puts item at o[key], in place of what was there; 0, or -1 (item freed). */
static int put(cJSON *o, const char *key, cJSON *item)
{
    if (!item) return -1;
    int done = cJSON_GetObjectItemCaseSensitive(o, key)
                   ? cJSON_ReplaceItemInObjectCaseSensitive(o, key, item)
                   : cJSON_AddItemToObject(o, key, item);
    if (!done) cJSON_Delete(item);
    return done ? 0 : -1;
}

/* Appends a copy of item to array; 0, or -1. */
static int append_copy(cJSON *array, const cJSON *item)
{
    cJSON *copy = cJSON_Duplicate(item, 1);
    if (copy && cJSON_AddItemToArray(array, copy)) return 0;
    cJSON_Delete(copy);
    return -1;
}

/* ---------------------------------------------------------- histograms */

static int bucket_order(const void *a, const void *b)
{
    const double *x = a, *y = b;
    return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* The value at percentile q of sorted buckets (lo, hi, count) triples:
 * the middle of the bucket holding the rank, as the engine reports it. */
static double bucket_percentile(const double *b, size_t n, double total, double q, double max)
{
    double rank = ceil(q / 100 * total), seen = 0;
    if (rank < 1) rank = 1;
    for (size_t i = 0; i < n; i++) {
        seen += b[3 * i + 2];
        if (seen >= rank) {
            double mid = (b[3 * i] + b[3 * i + 1]) / 2 * 1e-9;
            return mid > max ? max : mid;
        }
    }
    return max;
}

/* Merges histogram from into into: buckets by their bounds, then the
 * summary again. */
static int merge_hist(cJSON *into, const cJSON *from)
{
    const cJSON *lists[2] = {cJSON_GetObjectItemCaseSensitive(into, "buckets"),
                             cJSON_GetObjectItemCaseSensitive(from, "buckets")};
    size_t n = (size_t)cJSON_GetArraySize(lists[0]) + (size_t)cJSON_GetArraySize(lists[1]);
    double *b = calloc(n ? 3 * n : 3, sizeof *b);
    if (!b) return -1;
    size_t k = 0;
    for (int l = 0; l < 2; l++) {
        const cJSON *cell;
        cJSON_ArrayForEach(cell, lists[l])
        {
            for (int i = 0; i < 3; i++)
                b[3 * k + i] =
                    cJSON_GetArrayItem(cell, i) ? cJSON_GetArrayItem(cell, i)->valuedouble : 0;
            k++;
        }
    }
    qsort(b, k, 3 * sizeof *b, bucket_order);
    size_t m = 0; /* equal buckets add up */
    for (size_t i = 0; i < k; i++) {
        if (m && b[3 * (m - 1)] == b[3 * i] && b[3 * (m - 1) + 1] == b[3 * i + 1])
            b[3 * (m - 1) + 2] += b[3 * i + 2];
        else
            memmove(&b[3 * m++], &b[3 * i], 3 * sizeof *b);
    }
    double count = num(into, "count") + num(from, "count");
    double lo = num(into, "count") == 0   ? num(from, "min")
                : num(from, "count") == 0 ? num(into, "min")
                                          : fmin(num(into, "min"), num(from, "min"));
    double max = fmax(num(into, "max"), num(from, "max"));
    double sum = num(into, "sum_ns") + num(from, "sum_ns");
    cJSON *buckets = cJSON_CreateArray();
    for (size_t i = 0; buckets && i < m; i++)
        cJSON_AddItemToArray(buckets, cJSON_CreateDoubleArray(&b[3 * i], 3));
    if (put(into, "buckets", buckets) != 0) {
        free(b);
        return -1;
    }
    set_num(into, "count", count);
    set_num(into, "min", lo);
    set_num(into, "max", max);
    set_num(into, "sum_ns", sum);
    set_num(into, "mean", count > 0 ? sum / count * 1e-9 : 0);
    static const struct {
        const char *key;
        double q;
    } ps[] = {{"p50", 50}, {"p90", 90}, {"p99", 99}, {"p999", 99.9}};
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++)
        set_num(into, ps[i].key, count > 0 ? bucket_percentile(b, m, count, ps[i].q, max) : 0);
    free(b);
    return 0;
}

/* ---------------------------------------------------------- statistics */

/* Adds object from's numeric members to into's ({ "200": n } and the like). */
static void add_members(cJSON *into, const cJSON *from)
{
    const cJSON *f;
    cJSON_ArrayForEach(f, from)
    {
        if (cJSON_IsNumber(f)) set_num(into, f->string, num(into, f->string) + f->valuedouble);
    }
}

static int merge_faults(cJSON *into, const cJSON *from)
{
    const cJSON *f;
    cJSON_ArrayForEach(f, from)
    {
        cJSON *mine = cJSON_GetObjectItemCaseSensitive(into, f->string);
        if (mine)
            add_num(mine, f, "count");
        else if (put(into, f->string, cJSON_Duplicate(f, 1)) != 0)
            return -1;
    }
    return 0;
}

static int merge_stats(cJSON *into, const cJSON *from, double elapsed)
{
    if (!from) return 0;
    if (!into) return -1;
    static const char *const counts[] = {"requests",   "sent",          "faulted",  "cancelled",
                                         "in_flight",  "failures",      "arrivals", "dropped",
                                         "bytes_sent", "bytes_received"};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
        add_num(into, from, counts[i]);
    /* Groups of one name share their settings; a total of groups with
     * different intervals keeps the first one given. */
    if (!(num(into, "expected_interval") > 0) && num(from, "expected_interval") > 0)
        set_num(into, "expected_interval", num(from, "expected_interval"));
    set_num(into, "rate", elapsed > 0 ? num(into, "requests") / elapsed : 0);
    const cJSON *faults = cJSON_GetObjectItemCaseSensitive(from, "faults");
    if (faults && merge_faults(member(into, "faults", 0), faults) != 0) return -1;
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(from, "status");
    if (status) add_members(member(into, "status", 0), status);
    static const char *const hists[] = {"latency", "service", "corrected",
                                        "ttfb",    "connect", "tls"};
    for (size_t i = 0; i < sizeof hists / sizeof hists[0]; i++) {
        cJSON *h = cJSON_GetObjectItemCaseSensitive(into, hists[i]);
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(from, hists[i]);
        if (o && (h ? merge_hist(h, o) : put(into, hists[i], cJSON_Duplicate(o, 1))) != 0)
            return -1;
    }
    return 0;
}

/* The element of array with the given name, or NULL. */
static cJSON *named(cJSON *array, const char *name)
{
    cJSON *x;
    cJSON_ArrayForEach(x, array)
    {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(x, "name");
        if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0) return x;
    }
    return NULL;
}

/* Side by side, a group's loads add up: its rates, pools and stage
 * targets (stages of the same durations; others keep the first report's).
 * One after the other, the first report's stands. */
static int merge_load(cJSON *into, const cJSON *from)
{
    if (!from) return 0;
    if (!into) return 0; /* a report without loads says nothing of them */
    add_num(into, from, "rate");
    add_num(into, from, "max_clients");
    cJSON *a = cJSON_GetObjectItemCaseSensitive(into, "stages");
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(from, "stages");
    if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b)) return 0;
    for (int i = 0; i < cJSON_GetArraySize(a); i++)
        if (num(cJSON_GetArrayItem(a, i), "duration") != num(cJSON_GetArrayItem(b, i), "duration"))
            return 0;
    for (int i = 0; i < cJSON_GetArraySize(a); i++)
        add_num(cJSON_GetArrayItem(a, i), cJSON_GetArrayItem(b, i), "target");
    return 0;
}

/* A group's transactions and checks, each added to the one of the same
 * name or appended. */
static int merge_txns_checks(cJSON *into, const cJSON *from, double elapsed)
{
    const cJSON *from_txns = cJSON_GetObjectItemCaseSensitive(from, "transactions"), *t;
    cJSON *txns = from_txns ? member(into, "transactions", 1) : NULL;
    if (from_txns && !txns) return -1;
    cJSON_ArrayForEach(t, from_txns)
    {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(t, "name");
        cJSON *mine = cJSON_IsString(name) ? named(txns, name->valuestring) : NULL;
        if (!mine) {
            if (append_copy(txns, t)) return -1;
            continue;
        }
        add_num(mine, t, "count");
        add_num(mine, t, "failures");
        set_num(mine, "rate", elapsed > 0 ? num(mine, "count") / elapsed : 0);
        cJSON *h = cJSON_GetObjectItemCaseSensitive(mine, "latency");
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(t, "latency");
        if (o && (h ? merge_hist(h, o) : put(mine, "latency", cJSON_Duplicate(o, 1))) != 0)
            return -1;
    }
    const cJSON *from_checks = cJSON_GetObjectItemCaseSensitive(from, "checks"), *k;
    cJSON *checks = from_checks ? member(into, "checks", 1) : NULL;
    if (from_checks && !checks) return -1;
    cJSON_ArrayForEach(k, from_checks)
    {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(k, "name");
        cJSON *mine = cJSON_IsString(name) ? named(checks, name->valuestring) : NULL;
        if (!mine) {
            if (append_copy(checks, k)) return -1;
            continue;
        }
        add_num(mine, k, "passes");
        add_num(mine, k, "fails");
    }
    return 0;
}

static int merge_series(cJSON *into, const cJSON *from, int sequential, double offset);

/* Groups of one name; one after the other, the later part's seconds
 * follow offset, the earlier part's last. */
static int merge_group(cJSON *into, const cJSON *from, int sequential, double elapsed,
                       double offset)
{
    static const char *const sums[] = {"sessions",         "connects",    "tls_handshakes",
                                       "tls_resumed",      "unsolicited", "clients_faulted",
                                       "clients_finished", "cancelled"};
    for (size_t i = 0; i < sizeof sums / sizeof sums[0]; i++)
        add_num(into, from, sums[i]);
    if (sequential) {
        /* The later part's clients are the ones running now. */
        set_num(into, "clients_active", num(from, "clients_active"));
        max_num(into, from, "clients");
    } else {
        add_num(into, from, "clients_active");
        add_num(into, from, "clients");
        max_num(into, from, "threads"); /* a shard without a client has none */
        if (merge_load(cJSON_GetObjectItemCaseSensitive(into, "load"),
                       cJSON_GetObjectItemCaseSensitive(from, "load")) != 0)
            return -1;
    }
    const cJSON *totals = cJSON_GetObjectItemCaseSensitive(from, "totals");
    if (totals && merge_stats(member(into, "totals", 0), totals, elapsed) != 0) return -1;
    const cJSON *from_names = cJSON_GetObjectItemCaseSensitive(from, "names"), *n;
    cJSON *names = from_names ? member(into, "names", 1) : NULL;
    if (from_names && !names) return -1;
    cJSON_ArrayForEach(n, from_names)
    {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(n, "name");
        cJSON *mine = cJSON_IsString(name) ? named(names, name->valuestring) : NULL;
        if (mine ? merge_stats(mine, n, elapsed) : append_copy(names, n)) return -1;
    }
    const cJSON *series = cJSON_GetObjectItemCaseSensitive(from, "series");
    if (series && merge_series(member(into, "series", 1), series, sequential, offset) != 0)
        return -1;
    return merge_txns_checks(into, from, elapsed);
}

/* Seconds: side by side they add by t (percentiles: the larger, as an
 * upper bound); one after the other the later follow the earlier. */
static int merge_series(cJSON *into, const cJSON *from, int sequential, double offset)
{
    if (from && !into) return -1;
    const cJSON *p;
    cJSON_ArrayForEach(p, from)
    {
        double t = num(p, "t") + (sequential ? offset : 0);
        cJSON *mine = NULL, *x;
        if (!sequential) cJSON_ArrayForEach(x, into) if (num(x, "t") == t) mine = x;
        if (!mine) {
            cJSON *copy = cJSON_Duplicate(p, 1);
            if (!copy || !cJSON_AddItemToArray(into, copy)) {
                cJSON_Delete(copy);
                return -1;
            }
            set_num(copy, "t", t);
            continue;
        }
        double r0 = num(mine, "requests"), r1 = num(p, "requests");
        set_num(mine, "mean",
                r0 + r1 > 0 ? (num(mine, "mean") * r0 + num(p, "mean") * r1) / (r0 + r1) : 0);
        add_num(mine, p, "requests");
        add_num(mine, p, "failures");
        static const char *const load[] = {"target", "achieved", "active", "arrivals", "dropped"};
        for (size_t i = 0; i < sizeof load / sizeof load[0]; i++)
            add_num(mine, p, load[i]);
        static const char *const qs[] = {"p50", "p90", "p99", "max"};
        for (size_t i = 0; i < 4; i++)
            max_num(mine, p, qs[i]);
    }
    return 0;
}

/* Merges report from into into. */
static int merge_report(cJSON *into, const cJSON *from, int sequential)
{
    double before = num(into, "elapsed");
    double elapsed =
        sequential ? before + num(from, "elapsed") : fmax(before, num(from, "elapsed"));
    set_num(into, "elapsed", elapsed);
    /* One after the other, the later part's seconds follow the earlier's
     * last, the run's and its groups' alike. */
    double last = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(into, "series")) last =
        fmax(last, num(p, "t"));
    cJSON *groups = cJSON_GetObjectItemCaseSensitive(into, "groups");
    const cJSON *g;
    cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(from, "groups"))
    {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(g, "name");
        cJSON *mine = cJSON_IsString(name) ? named(groups, name->valuestring) : NULL;
        if (!mine && sequential && cJSON_GetObjectItemCaseSensitive(g, "series")) {
            /* A group new in the later part: its seconds start where it did. */
            cJSON *copy = cJSON_Duplicate(g, 1);
            cJSON *x, *list = copy ? cJSON_GetObjectItemCaseSensitive(copy, "series") : NULL;
            cJSON_ArrayForEach(x, list) set_num(x, "t", num(x, "t") + last);
            if (!copy || !cJSON_AddItemToArray(groups, copy)) {
                cJSON_Delete(copy);
                return -1;
            }
            continue;
        }
        if (mine ? merge_group(mine, g, sequential, elapsed, last) : append_copy(groups, g))
            return -1;
    }
    const cJSON *totals = cJSON_GetObjectItemCaseSensitive(from, "totals");
    if (totals && merge_stats(member(into, "totals", 0), totals, elapsed) != 0) return -1;
    const cJSON *series = cJSON_GetObjectItemCaseSensitive(from, "series");
    if (series && merge_series(member(into, "series", 1), series, sequential, last) != 0) return -1;
    const cJSON *procs = cJSON_GetObjectItemCaseSensitive(from, "processes");
    if (procs) {
        add_num(member(into, "processes", 0), procs, "started");
        add_num(member(into, "processes", 0), procs, "lost");
    }
    const cJSON *threads = cJSON_GetObjectItemCaseSensitive(from, "threads");
    if (threads) add_num(member(into, "threads", 0), threads, "abandoned");
    /* The later report says how the whole ended, and its thresholds stand. */
    if (sequential) {
        static const char *const latest[] = {"ending", "ending_text", "thresholds"};
        for (size_t i = 0; i < 3; i++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(from, latest[i]);
            if (v && put(into, latest[i], cJSON_Duplicate(v, 1)) != 0) return -1;
        }
    }
    return 0;
}

/* Says in the report how it was merged: doc.merge = {kind, reports}. */
static int mark_merge(cJSON *doc, const char *kind, size_t n)
{
    cJSON *m = cJSON_CreateObject();
    if (!m || !cJSON_AddStringToObject(m, "kind", kind) ||
        !cJSON_AddNumberToObject(m, "reports", (double)n)) {
        cJSON_Delete(m);
        return -1;
    }
    return put(doc, "merge", m);
}

int throng_report_merge(const char *const *reports, size_t n, int sequential, char **out, char *err,
                        size_t errlen)
{
    char msg[THRONG__ERRMSG_LEN] = "";
    cJSON *merged = NULL;
    int rc = 0;
    if (!reports || !out || n == 0) {
        snprintf(msg, sizeof msg, "give at least one report");
        rc = THRONG_EINVAL;
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        cJSON *doc = reports[i] ? cJSON_Parse(reports[i]) : NULL;
        char why[THRONG__ERRMSG_LEN - 32] = "not JSON";
        if (!doc || throng__report_check(doc, why, sizeof why) != 0) {
            /* One report is named by its caller; of several, say which. */
            if (n > 1)
                snprintf(msg, sizeof msg, "report %zu: %s", i + 1, why);
            else
                snprintf(msg, sizeof msg, "%s", why);
            rc = THRONG_EINVAL;
        } else if (!merged) {
            merged = doc;
            doc = NULL;
        } else if (merge_report(merged, doc, sequential) != 0) {
            snprintf(msg, sizeof msg, "out of memory merging reports");
            rc = THRONG_ENOMEM;
        }
        cJSON_Delete(doc);
    }
    /* Reports of separate runs side by side say so: their counts add up,
     * but they are not one run's shards (throng_report_merge_shards()). */
    if (rc == 0 && n > 1 && !sequential) {
        cJSON_DeleteItemFromObjectCaseSensitive(merged, "run"); /* no one run's */
        if (mark_merge(merged, "side-by-side", n) != 0) rc = THRONG_ENOMEM;
    }
    char *text = rc == 0 ? cJSON_PrintUnformatted(merged) : NULL;
    cJSON_Delete(merged);
    if (rc == 0 && !text) rc = THRONG_ENOMEM;
    if (rc != 0 && err && errlen) snprintf(err, errlen, "%s", msg);
    if (rc == 0) *out = text;
    return rc;
}

int throng_report_mark_lost(const char *json, const char *why, char **out, char *err, size_t errlen)
{
    char msg[THRONG__ERRMSG_LEN - 32] = "not JSON";
    cJSON *doc = json ? cJSON_Parse(json) : NULL;
    if (!out || !doc || throng__report_check(doc, msg, sizeof msg) != 0) {
        if (err && errlen) snprintf(err, errlen, "%s", out ? msg : "no place for the report");
        cJSON_Delete(doc);
        return THRONG_EINVAL;
    }
    cJSON *procs = member(doc, "processes", 0);
    char *text = NULL;
    if (procs) {
        set_num(procs, "lost", num(procs, "lost") + 1);
        const cJSON *sample = cJSON_GetObjectItemCaseSensitive(procs, "sample");
        if (why && (!cJSON_IsString(sample) || !sample->valuestring[0])) {
            cJSON *text_why = cJSON_CreateString(why);
            if (text_why) cJSON_ReplaceItemInObjectCaseSensitive(procs, "sample", text_why);
            if (text_why && !cJSON_GetObjectItemCaseSensitive(procs, "sample"))
                cJSON_AddItemToObject(procs, "sample", text_why);
        }
        text = cJSON_PrintUnformatted(doc);
    }
    cJSON_Delete(doc);
    if (!text) {
        if (err && errlen) snprintf(err, errlen, "out of memory");
        return THRONG_ENOMEM;
    }
    *out = text;
    return 0;
}

/* ---------------------------------------------------------- shards */

/* A shard report's run: its id, shard, shards and start; 0, or -1 when
 * the report is no shard's. */
typedef struct shard_of {
    const char *id;
    unsigned shard, shards;
    double start;
} shard_of_t;

static int shard_of(const cJSON *doc, shard_of_t *s)
{
    const cJSON *run = cJSON_GetObjectItemCaseSensitive(doc, "run");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(run, "id");
    if (!cJSON_IsObject(run) || !cJSON_IsString(id) || num(run, "shards") < 2 ||
        num(run, "shards") > THRONG_MAX_SHARDS || num(run, "shards") != floor(num(run, "shards")) ||
        num(run, "shard") != floor(num(run, "shard")) ||
        !cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(run, "shard")) ||
        cJSON_GetObjectItemCaseSensitive(run, "missing"))
        return -1;
    s->id = id->valuestring;
    s->shard = (unsigned)num(run, "shard");
    s->shards = (unsigned)num(run, "shards");
    s->start = num(run, "start");
    return s->shard < s->shards ? 0 : -1;
}

/* Moves every second of a report (the run's and each group's) later by
 * offset seconds: shards that started apart line up on the run's start. */
static void shift_series(cJSON *doc, double offset)
{
    cJSON *p, *g;
    if (offset <= 0) return;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(doc, "series"))
        set_num(p, "t", num(p, "t") + offset);
    cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(doc, "groups"))
        cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(g, "series"))
            set_num(p, "t", num(p, "t") + offset);
    set_num(doc, "elapsed", num(doc, "elapsed") + offset);
}

/* "1, 3 and 4" of the shards in list (n of them), into text. */
static void shard_list(const unsigned *list, size_t n, char *text, size_t len)
{
    size_t used = 0;
    text[0] = '\0';
    for (size_t i = 0; i < n && used < len; i++)
        used += (size_t)snprintf(text + used, len - used, "%s%u",
                                 i == 0       ? ""
                                 : i + 1 == n ? " and "
                                              : ", ",
                                 list[i]);
}

/* The merged report's run: its id, shards, start, which shards it holds
 * and which it lacks. */
static int mark_run(cJSON *doc, const shard_of_t *first, double start, const unsigned char *seen)
{
    cJSON *run = cJSON_CreateObject(), *merged = cJSON_CreateArray(),
          *missing = cJSON_CreateArray();
    int ok = run && merged && missing && cJSON_AddStringToObject(run, "id", first->id) &&
             cJSON_AddNumberToObject(run, "shards", first->shards) &&
             cJSON_AddNumberToObject(run, "start", start);
    for (unsigned i = 0; ok && i < first->shards; i++)
        ok = cJSON_AddItemToArray(seen[i] ? merged : missing, cJSON_CreateNumber(i));
    if (ok && cJSON_AddItemToObject(run, "merged", merged)) {
        merged = NULL;
        if (cJSON_AddItemToObject(run, "missing", missing)) missing = NULL;
    }
    cJSON_Delete(merged);
    cJSON_Delete(missing);
    if (!ok || missing) {
        cJSON_Delete(run);
        return -1;
    }
    return put(doc, "run", run);
}

int throng_report_merge_shards(const char *const *reports, size_t n, int partial, char **out,
                               char *err, size_t errlen)
{
    char msg[THRONG__ERRMSG_LEN] = "";
    cJSON **docs = reports && n ? calloc(n, sizeof *docs) : NULL;
    shard_of_t *of = n ? calloc(n, sizeof *of) : NULL;
    unsigned char *seen = NULL;
    unsigned *owner = NULL, *absent = NULL;
    cJSON *merged = NULL;
    int rc = 0;
    if (!reports || !out || n == 0) {
        snprintf(msg, sizeof msg, "give at least one shard's report");
        rc = THRONG_EINVAL;
    } else if (!docs || !of) {
        rc = THRONG_ENOMEM;
    }
    double start = INFINITY;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char why[THRONG__ERRMSG_LEN - 32] = "not JSON";
        docs[i] = reports[i] ? cJSON_Parse(reports[i]) : NULL;
        if (!docs[i] || throng__report_check(docs[i], why, sizeof why) != 0) {
            snprintf(msg, sizeof msg, "report %zu: %s", i + 1, why);
            rc = THRONG_EINVAL;
        } else if (shard_of(docs[i], &of[i]) != 0) {
            snprintf(msg, sizeof msg,
                     "report %zu is not a shard's (no run.shard of run.shards above 1): merge "
                     "it side by side instead",
                     i + 1);
            rc = THRONG_EINVAL;
        } else if (strcmp(of[i].id, of[0].id) != 0) {
            snprintf(msg, sizeof msg, "report %zu is of run '%.64s', report 1 of run '%.64s'",
                     i + 1, of[i].id, of[0].id);
            rc = THRONG_EINVAL;
        } else if (of[i].shards != of[0].shards) {
            snprintf(msg, sizeof msg, "report %zu says %u shards, report 1 %u", i + 1, of[i].shards,
                     of[0].shards);
            rc = THRONG_EINVAL;
        } else if (of[i].start < start) {
            start = of[i].start;
        }
    }
    if (rc == 0 &&
        (!(seen = calloc(of[0].shards, 1)) || !(owner = calloc(of[0].shards, sizeof *owner)) ||
         !(absent = calloc(of[0].shards, sizeof *absent))))
        rc = THRONG_ENOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        unsigned k = of[i].shard;
        if (seen[k]) {
            snprintf(msg, sizeof msg, "shard %u of %u twice: reports %u and %zu", k, of[i].shards,
                     owner[k] + 1, i + 1);
            rc = THRONG_EINVAL;
        }
        seen[k] = 1;
        owner[k] = (unsigned)i;
    }
    size_t nabsent = 0;
    for (unsigned k = 0; rc == 0 && k < of[0].shards; k++)
        if (!seen[k]) absent[nabsent++] = k;
    if (rc == 0 && nabsent && !partial) {
        char list[THRONG__ERRMSG_LEN / 2];
        shard_list(absent, nabsent, list, sizeof list);
        snprintf(msg, sizeof msg,
                 "run '%.64s': shard%s %s of %u missing (%zu of %u given); --partial merges "
                 "without %s",
                 of[0].id, nabsent == 1 ? "" : "s", list, of[0].shards, n, of[0].shards,
                 nabsent == 1 ? "it" : "them");
        rc = THRONG_EINVAL;
    }
    /* In shard order, so that the first shard's report is the frame. */
    for (unsigned k = 0; rc == 0 && k < of[0].shards; k++) {
        if (!seen[k]) continue;
        cJSON *doc = docs[owner[k]];
        /* Whole seconds apart: the series stay on one-second points. */
        shift_series(doc, round(of[owner[k]].start - start));
        if (!merged) {
            merged = doc;
            docs[owner[k]] = NULL;
        } else if (merge_report(merged, doc, 0) != 0) {
            rc = THRONG_ENOMEM;
        } else {
            cJSON *s = member(merged, "settings", 0);
            add_num(s, cJSON_GetObjectItemCaseSensitive(doc, "settings"), "max_requests");
        }
    }
    if (rc == 0 &&
        (mark_run(merged, &of[0], start, seen) != 0 || mark_merge(merged, "shards", n) != 0 ||
         throng__report_thresholds(merged, NULL, 0, NULL, msg, sizeof msg) < 0))
        rc = msg[0] ? THRONG_EINVAL : THRONG_ENOMEM;
    char *text = rc == 0 ? cJSON_PrintUnformatted(merged) : NULL;
    if (rc == 0 && !text) rc = THRONG_ENOMEM;
    if (rc == THRONG_ENOMEM && !msg[0]) snprintf(msg, sizeof msg, "out of memory merging shards");
    if (rc != 0 && err && errlen) snprintf(err, errlen, "%s", msg);
    if (rc == 0) *out = text;
    cJSON_Delete(merged);
    for (size_t i = 0; docs && i < n; i++)
        cJSON_Delete(docs[i]);
    free(docs);
    free(of);
    free(seen);
    free(owner);
    free(absent);
    return rc;
}

/* ---------------------------------------------------------- thresholds */

/* What a threshold reads, gathered from a report's JSON: a stats object
 * (the run's totals, a group's, or a request name's across the groups it
 * applies to, merged) and the report's elapsed time. */
static double hist_value(const cJSON *h, const throng__threshold_t *t)
{
    switch (t->metric) {
    case THRONG__METRIC_MEAN:
        return num(h, "mean");
    case THRONG__METRIC_MIN:
        return num(h, "min");
    case THRONG__METRIC_MAX:
        return num(h, "max");
    default:
        break;
    }
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(h, "buckets"), *cell;
    size_t n = (size_t)cJSON_GetArraySize(list), k = 0;
    double *b = calloc(n ? 3 * n : 3, sizeof *b), v = num(h, "max");
    if (!b) return v;
    cJSON_ArrayForEach(cell, list)
    {
        for (int i = 0; i < 3; i++)
            b[3 * k + i] =
                cJSON_GetArrayItem(cell, i) ? cJSON_GetArrayItem(cell, i)->valuedouble : 0;
        k++;
    }
    qsort(b, k, 3 * sizeof *b, bucket_order);
    v = bucket_percentile(b, k, num(h, "count"), t->q, num(h, "max"));
    free(b);
    return v;
}

static int json_compare(const char *op, double value, double limit)
{
    if (op[0] == '<') return op[1] ? value <= limit : value < limit;
    return op[1] ? value >= limit : value > limit;
}

/* The groups a threshold applies to: the one named, or all. */
static int applies(const throng__threshold_t *t, const char *group, const cJSON *g)
{
    (void)t;
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(g, "name");
    return !group || (cJSON_IsString(name) && strcmp(name->valuestring, group) == 0);
}

/* Adds copies of every element named name of groups' lists key into
 * *into (made on the first). */
static int gather(cJSON *doc, const throng__threshold_t *t, const char *group, const char *key,
                  cJSON **into, double elapsed)
{
    const cJSON *g;
    cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(doc, "groups"))
    {
        if (!applies(t, group, g)) continue;
        cJSON *x = named(cJSON_GetObjectItemCaseSensitive(g, key), t->name);
        if (!x) continue;
        if (!*into) {
            if (!(*into = cJSON_Duplicate(x, 1))) return -1;
        } else if (!strcmp(key, "names")) {
            if (merge_stats(*into, x, elapsed) != 0) return -1;
        } else if (!strcmp(key, "checks")) {
            add_num(*into, x, "passes");
            add_num(*into, x, "fails");
        } else {
            add_num(*into, x, "count");
            add_num(*into, x, "failures");
            cJSON *h = cJSON_GetObjectItemCaseSensitive(*into, "latency");
            const cJSON *o = cJSON_GetObjectItemCaseSensitive(x, "latency");
            if (h && o && merge_hist(h, o) != 0) return -1;
        }
    }
    return 0;
}

/* Measures one threshold on the report, into its JSON object o. */
static int judge(cJSON *doc, cJSON *o, const throng__threshold_t *t, const char *group)
{
    double elapsed = num(doc, "elapsed"), value = 0;
    const char *note = "";
    int measured = 1;
    cJSON *own = NULL; /* a name's figures, gathered */
    const cJSON *stats = cJSON_GetObjectItemCaseSensitive(doc, "totals");
    if (group) {
        const cJSON *g = named(cJSON_GetObjectItemCaseSensitive(doc, "groups"), group);
        stats = g ? cJSON_GetObjectItemCaseSensitive(g, "totals") : NULL;
    }
    double requests = num(stats, "requests"), sent = num(stats, "sent"),
           failures = num(stats, "failures");
    const cJSON *h = NULL;
    static const char *const hists[] = {"latency", "service", "corrected"};
    if (stats) h = cJSON_GetObjectItemCaseSensitive(stats, hists[t->hist]);
    if (t->metric == THRONG__METRIC_CHECK_RATE) {
        if (gather(doc, t, group, "checks", &own, elapsed) != 0) return -1;
        double all = num(own, "passes") + num(own, "fails");
        if (all > 0)
            value = num(own, "passes") / all;
        else
            measured = 0, note = "no check of that name ran";
    } else if (t->name[0]) {
        if (gather(doc, t, group, "transactions", &own, elapsed) != 0) return -1;
        if (own) {
            h = cJSON_GetObjectItemCaseSensitive(own, "latency");
            requests = sent = num(own, "count");
            failures = num(own, "failures");
        } else {
            if (gather(doc, t, group, "names", &own, elapsed) != 0) return -1;
            if (own) {
                h = cJSON_GetObjectItemCaseSensitive(own, hists[t->hist]);
                requests = num(own, "requests");
                sent = num(own, "sent");
                failures = num(own, "failures");
            } else {
                measured = 0;
            }
        }
    }
    int latency = t->metric <= THRONG__METRIC_MAX;
    if (measured && t->metric != THRONG__METRIC_CHECK_RATE) {
        if (!stats || (latency && num(h, "count") <= 0)) {
            measured = 0;
            if (t->hist == THRONG__HIST_CORRECTED)
                note = "nothing corrected: no expected interval was set (expected_interval)";
        } else {
            switch (t->metric) {
            case THRONG__METRIC_ERRORS:
                value = sent > failures ? failures / sent : failures > 0 ? 1 : 0;
                break;
            case THRONG__METRIC_FAILURES:
                value = failures;
                break;
            case THRONG__METRIC_RATE:
                value = elapsed > 0 ? requests / elapsed : 0;
                break;
            case THRONG__METRIC_REQUESTS:
                value = requests;
                break;
            case THRONG__METRIC_DROPPED:
                value = num(stats, "dropped");
                break;
            case THRONG__METRIC_DROPPED_SHARE:
                value =
                    num(stats, "arrivals") > 0 ? num(stats, "dropped") / num(stats, "arrivals") : 0;
                break;
            default:
                value = hist_value(h, t);
            }
        }
    }
    cJSON_Delete(own);
    int passed = measured && json_compare(t->op, value, t->limit);
    if (put(o, "value", measured ? cJSON_CreateNumber(value) : cJSON_CreateNull()) != 0 ||
        put(o, "passed", cJSON_CreateBool(passed)) != 0 ||
        (note[0] && put(o, "note", cJSON_CreateString(note)) != 0))
        return -1;
    return passed ? 0 : 1;
}

int throng__report_thresholds(cJSON *doc, const char *const *expressions, size_t n,
                              unsigned *failed, char *why, size_t whylen)
{
    cJSON *list = member(doc, "thresholds", 1), *o;
    unsigned bad = 0;
    if (!list) return -1;
    throng__threshold_t t;
    char msg[THRONG__ERRMSG_LEN];
    for (size_t i = 0; i < n; i++) {
        if (throng__threshold_parse(expressions[i], &t, msg) != 0) {
            snprintf(why, whylen, "%s", msg);
            return -1;
        }
        cJSON *x = cJSON_CreateObject();
        if (!x || !cJSON_AddItemToArray(list, x)) {
            cJSON_Delete(x);
            return -1;
        }
        cJSON_AddStringToObject(x, "expression", t.expression);
        cJSON_AddNullToObject(x, "group");
        if (t.name[0])
            cJSON_AddStringToObject(x, "name", t.name);
        else
            cJSON_AddNullToObject(x, "name");
        cJSON_AddStringToObject(x, "metric", t.metric_text);
        cJSON_AddStringToObject(x, "op", t.op);
        cJSON_AddNumberToObject(x, "limit", t.limit);
    }
    cJSON_ArrayForEach(o, list)
    {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "expression");
        const cJSON *g = cJSON_GetObjectItemCaseSensitive(o, "group");
        if (!cJSON_IsString(e) || throng__threshold_parse(e->valuestring, &t, msg) != 0) {
            snprintf(why, whylen, "threshold '%.100s' of the report: %.300s",
                     cJSON_IsString(e) ? e->valuestring : "?", msg);
            return -1;
        }
        int rc = judge(doc, o, &t, cJSON_IsString(g) ? g->valuestring : NULL);
        if (rc < 0) return -1;
        bad += rc;
    }
    if (failed) *failed = bad;
    return (int)bad;
}

int throng_report_thresholds(const char *json, const char *const *expressions, size_t n, char **out,
                             unsigned *failed, char *err, size_t errlen)
{
    char msg[THRONG__ERRMSG_LEN - 32] = "not JSON";
    cJSON *doc = json ? cJSON_Parse(json) : NULL;
    int rc = THRONG_EINVAL;
    unsigned bad = 0;
    if (!out || (n && !expressions)) {
        snprintf(msg, sizeof msg, "invalid argument");
    } else if (doc && throng__report_check(doc, msg, sizeof msg) == 0) {
        msg[0] = '\0';
        if (throng__report_thresholds(doc, expressions, n, &bad, msg, sizeof msg) < 0)
            rc = msg[0] ? THRONG_EINVAL : THRONG_ENOMEM;
        else if ((*out = cJSON_PrintUnformatted(doc)) != NULL)
            rc = 0;
        else
            rc = THRONG_ENOMEM;
        if (rc == THRONG_ENOMEM) snprintf(msg, sizeof msg, "out of memory");
    }
    cJSON_Delete(doc);
    if (rc == 0 && failed) *failed = bad;
    if (rc != 0 && err && errlen) snprintf(err, errlen, "%s", msg);
    return rc;
}
