/* report_merge.c - merging JSON reports: several machines loading one
 * service at once (side by side), or one run's successive parts (one after
 * the other, as a home group whose process was restarted). Counts add;
 * histograms merge exactly by their buckets, and their percentiles are
 * drawn again from the merged buckets. */
#include <math.h>
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
    for (size_t i = 0; i < m; i++)
        cJSON_AddItemToArray(buckets, cJSON_CreateDoubleArray(&b[3 * i], 3));
    cJSON_ReplaceItemInObjectCaseSensitive(into, "buckets", buckets);
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

static void merge_faults(cJSON *into, const cJSON *from)
{
    const cJSON *f;
    cJSON_ArrayForEach(f, from)
    {
        cJSON *mine = cJSON_GetObjectItemCaseSensitive(into, f->string);
        if (mine)
            add_num(mine, f, "count");
        else
            cJSON_AddItemToObject(into, f->string, cJSON_Duplicate(f, 1));
    }
}

static int merge_stats(cJSON *into, const cJSON *from, double elapsed)
{
    static const char *const counts[] = {"requests",  "sent",     "faulted",    "cancelled",
                                         "in_flight", "failures", "bytes_sent", "bytes_received"};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
        add_num(into, from, counts[i]);
    set_num(into, "rate", elapsed > 0 ? num(into, "requests") / elapsed : 0);
    merge_faults(cJSON_GetObjectItemCaseSensitive(into, "faults"),
                 cJSON_GetObjectItemCaseSensitive(from, "faults"));
    add_members(cJSON_GetObjectItemCaseSensitive(into, "status"),
                cJSON_GetObjectItemCaseSensitive(from, "status"));
    static const char *const hists[] = {"latency", "ttfb", "connect", "tls"};
    for (size_t i = 0; i < sizeof hists / sizeof hists[0]; i++) {
        cJSON *h = cJSON_GetObjectItemCaseSensitive(into, hists[i]);
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(from, hists[i]);
        if (h && o && merge_hist(h, o) != 0) return -1;
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

static int merge_group(cJSON *into, const cJSON *from, int sequential, double elapsed)
{
    static const char *const sums[] = {"sessions",    "connects",    "tls_handshakes",
                                       "tls_resumed", "unsolicited", "clients_faulted",
                                       "cancelled"};
    for (size_t i = 0; i < sizeof sums / sizeof sums[0]; i++)
        add_num(into, from, sums[i]);
    if (sequential) {
        /* The later part's clients are the ones running now. */
        set_num(into, "clients_active", num(from, "clients_active"));
        max_num(into, from, "clients");
    } else {
        add_num(into, from, "clients_active");
        add_num(into, from, "clients");
    }
    if (merge_stats(cJSON_GetObjectItemCaseSensitive(into, "totals"),
                    cJSON_GetObjectItemCaseSensitive(from, "totals"), elapsed) != 0)
        return -1;
    cJSON *names = cJSON_GetObjectItemCaseSensitive(into, "names");
    const cJSON *n;
    cJSON_ArrayForEach(n, cJSON_GetObjectItemCaseSensitive(from, "names"))
    {
        cJSON *mine = named(names, cJSON_GetObjectItemCaseSensitive(n, "name")->valuestring);
        if (!mine)
            cJSON_AddItemToArray(names, cJSON_Duplicate(n, 1));
        else if (merge_stats(mine, n, elapsed) != 0)
            return -1;
    }
    return 0;
}

/* Seconds: side by side they add by t (percentiles: the larger, as an
 * upper bound); one after the other the later follow the earlier. */
static void merge_series(cJSON *into, const cJSON *from, int sequential, double offset)
{
    const cJSON *p;
    cJSON_ArrayForEach(p, from)
    {
        double t = num(p, "t") + (sequential ? offset : 0);
        cJSON *mine = NULL, *x;
        if (!sequential) cJSON_ArrayForEach(x, into) if (num(x, "t") == t) mine = x;
        if (!mine) {
            cJSON *copy = cJSON_Duplicate(p, 1);
            set_num(copy, "t", t);
            cJSON_AddItemToArray(into, copy);
            continue;
        }
        double r0 = num(mine, "requests"), r1 = num(p, "requests");
        set_num(mine, "mean",
                r0 + r1 > 0 ? (num(mine, "mean") * r0 + num(p, "mean") * r1) / (r0 + r1) : 0);
        add_num(mine, p, "requests");
        add_num(mine, p, "failures");
        static const char *const qs[] = {"p50", "p90", "p99", "max"};
        for (size_t i = 0; i < 4; i++)
            max_num(mine, p, qs[i]);
    }
}

static int valid(const cJSON *doc)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(doc, "format");
    return cJSON_IsString(f) && strcmp(f->valuestring, "throng-report") == 0 &&
           num(doc, "version") == 1 &&
           cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(doc, "groups"));
}

/* Merges report from into into. */
static int merge_report(cJSON *into, const cJSON *from, int sequential)
{
    double before = num(into, "elapsed");
    double elapsed =
        sequential ? before + num(from, "elapsed") : fmax(before, num(from, "elapsed"));
    set_num(into, "elapsed", elapsed);
    cJSON *groups = cJSON_GetObjectItemCaseSensitive(into, "groups");
    const cJSON *g;
    cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(from, "groups"))
    {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(g, "name");
        cJSON *mine = cJSON_IsString(name) ? named(groups, name->valuestring) : NULL;
        if (!mine)
            cJSON_AddItemToArray(groups, cJSON_Duplicate(g, 1));
        else if (merge_group(mine, g, sequential, elapsed) != 0)
            return -1;
    }
    if (merge_stats(cJSON_GetObjectItemCaseSensitive(into, "totals"),
                    cJSON_GetObjectItemCaseSensitive(from, "totals"), elapsed) != 0)
        return -1;
    /* One after the other, the later part's seconds follow the earlier's last. */
    double last = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(into, "series")) last =
        fmax(last, num(p, "t"));
    merge_series(cJSON_GetObjectItemCaseSensitive(into, "series"),
                 cJSON_GetObjectItemCaseSensitive(from, "series"), sequential, last);
    cJSON *procs = cJSON_GetObjectItemCaseSensitive(into, "processes");
    add_num(procs, cJSON_GetObjectItemCaseSensitive(from, "processes"), "started");
    add_num(procs, cJSON_GetObjectItemCaseSensitive(from, "processes"), "lost");
    cJSON *threads = cJSON_GetObjectItemCaseSensitive(into, "threads");
    if (threads) add_num(threads, cJSON_GetObjectItemCaseSensitive(from, "threads"), "abandoned");
    /* The later report says how the whole ended, and its thresholds stand. */
    if (sequential) {
        static const char *const latest[] = {"ending", "ending_text", "thresholds"};
        for (size_t i = 0; i < 3; i++)
            cJSON_ReplaceItemInObjectCaseSensitive(
                into, latest[i],
                cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(from, latest[i]), 1));
    }
    return 0;
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
        if (!doc || !valid(doc)) {
            snprintf(msg, sizeof msg, "report %zu is not a throng report (version 1)", i + 1);
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
    char *text = rc == 0 ? cJSON_PrintUnformatted(merged) : NULL;
    cJSON_Delete(merged);
    if (rc == 0 && !text) rc = THRONG_ENOMEM;
    if (rc != 0 && err && errlen) snprintf(err, errlen, "%s", msg);
    if (rc == 0) *out = text;
    return rc;
}
