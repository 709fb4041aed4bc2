/* render_summary.c - the summary for scripts (--summary-json) and the
 * verdict on a run, both from the JSON report alone, so that a run and
 * `throng report FILE.json` give the same. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util/error.h"
#include "report/render_summary.h"

const cJSON *throng__summary_obj(const cJSON *o, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(o, key);
}

double throng__summary_num(const cJSON *o, const char *key)
{
    const cJSON *v = throng__summary_obj(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

const char *throng__summary_str(const cJSON *o, const char *key)
{
    const cJSON *v = throng__summary_obj(o, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* The same rules, in the same order, as the exit status of `throng run`
 * (engine/cli/run_engine.c), so that a summary or a JUnit report never
 * says a run passed that exited with a failure, or the other way round. */
int throng__report_verdict(const cJSON *report, char *why, size_t whylen)
{
    const char *ending = throng__summary_str(report, "ending");
    const cJSON *procs = throng__summary_obj(report, "processes"),
                *threads = throng__summary_obj(report, "threads");
    const cJSON *thresholds = throng__summary_obj(report, "thresholds"), *t;
    const cJSON *totals = throng__summary_obj(report, "totals");
    double lost = throng__summary_num(procs, "lost"),
           abandoned = throng__summary_num(threads, "abandoned");
    snprintf(why, whylen, "%s", "");
    if (strcmp(ending, "stopped") == 0) {
        snprintf(why, whylen, "stopped (SIGINT or SIGTERM) before its end: aborted");
        return 3;
    }
    if (strcmp(ending, "processes") == 0) {
        snprintf(why, whylen, "every worker process ended before the run did%s%s",
                 throng__summary_str(procs, "sample")[0] ? ": " : "",
                 throng__summary_str(procs, "sample"));
        return 4;
    }
    if (lost > 0 || abandoned > 0) {
        if (lost > 0)
            snprintf(why, whylen, "%.0f of %.0f worker process%s lost%s%s", lost,
                     throng__summary_num(procs, "started"),
                     throng__summary_num(procs, "started") == 1 ? "" : "es",
                     throng__summary_str(procs, "sample")[0] ? ": " : "",
                     throng__summary_str(procs, "sample"));
        else
            snprintf(why, whylen, "%.0f worker thread%s abandoned%s%s", abandoned,
                     abandoned == 1 ? "" : "s",
                     throng__summary_str(threads, "sample")[0] ? ": " : "",
                     throng__summary_str(threads, "sample"));
        return 1;
    }
    if (cJSON_GetArraySize(thresholds) > 0) {
        int failed = 0;
        cJSON_ArrayForEach(t, thresholds) failed += !cJSON_IsTrue(throng__summary_obj(t, "passed"));
        if (failed)
            snprintf(why, whylen, "%d of %d threshold%s not met", failed,
                     cJSON_GetArraySize(thresholds),
                     cJSON_GetArraySize(thresholds) == 1 ? "" : "s");
        return failed ? 5 : 0;
    }
    if (strcmp(ending, "clients") == 0) {
        snprintf(why, whylen, "every client faulted out");
        return 1;
    }
    if (throng__summary_num(totals, "failures") > 0) {
        size_t at =
            (size_t)snprintf(why, whylen, "%.0f failure%s", throng__summary_num(totals, "failures"),
                             throng__summary_num(totals, "failures") == 1 ? "" : "s");
        const cJSON *f;
        int first = 1;
        cJSON_ArrayForEach(f, throng__summary_obj(totals, "faults"))
        {
            if (at >= whylen) break;
            at += (size_t)snprintf(why + at, whylen - at, "%s%s %.0f", first ? ": " : ", ",
                                   f->string, throng__summary_num(f, "count"));
            first = 0;
        }
        return 1;
    }
    return 0;
}

const char *throng__verdict_name(int exit_status)
{
    return exit_status == 0 ? "passed" : exit_status == 3 ? "aborted" : "failed";
}

/* The share of the exchanges tried that failed, as the errors threshold
 * measures it (stats/threshold.c), so that error_rate and errors<1% agree. */
static double error_rate(const cJSON *totals)
{
    double sent = throng__summary_num(totals, "sent"),
           failures = throng__summary_num(totals, "failures");
    return sent > failures ? failures / sent : failures > 0 ? 1 : 0;
}

/* A copy of o[key] (a number, or null when absent or not a number). */
static cJSON *number_or_null(const cJSON *o, const char *key)
{
    const cJSON *v = throng__summary_obj(o, key);
    return cJSON_IsNumber(v) ? cJSON_CreateNumber(v->valuedouble) : cJSON_CreateNull();
}

static cJSON *thresholds_json(const cJSON *report)
{
    cJSON *list = cJSON_CreateArray();
    const cJSON *t;
    cJSON_ArrayForEach(t, throng__summary_obj(report, "thresholds"))
    {
        cJSON *o = cJSON_CreateObject();
        const cJSON *group = throng__summary_obj(t, "group");
        cJSON_AddStringToObject(o, "name", throng__summary_str(t, "expression"));
        if (cJSON_IsString(group))
            cJSON_AddStringToObject(o, "group", group->valuestring);
        else
            cJSON_AddNullToObject(o, "group");
        cJSON_AddBoolToObject(o, "ok", cJSON_IsTrue(throng__summary_obj(t, "passed")));
        cJSON_AddItemToObject(o, "measured", number_or_null(t, "value"));
        cJSON_AddItemToObject(o, "limit", number_or_null(t, "limit"));
        cJSON_AddItemToArray(list, o);
    }
    return list;
}

static cJSON *summary_json(const cJSON *report)
{
    const cJSON *totals = throng__summary_obj(report, "totals"),
                *latency = throng__summary_obj(totals, "latency");
    char why[256];
    int exit_status = throng__report_verdict(report, why, sizeof why);
    cJSON *s = cJSON_CreateObject();
    cJSON_AddNumberToObject(s, "schema", 1);
    cJSON_AddStringToObject(s, "status", throng__verdict_name(exit_status));
    cJSON_AddNumberToObject(s, "exit_status", exit_status);
    cJSON_AddStringToObject(s, "reason", why);
    cJSON_AddStringToObject(s, "ending", throng__summary_str(report, "ending"));
    cJSON_AddNumberToObject(s, "duration_s", throng__summary_num(report, "elapsed"));
    cJSON_AddNumberToObject(s, "requests", throng__summary_num(totals, "requests"));
    cJSON_AddNumberToObject(s, "rps", throng__summary_num(totals, "rate"));
    cJSON_AddNumberToObject(s, "failures", throng__summary_num(totals, "failures"));
    cJSON_AddNumberToObject(s, "error_rate", error_rate(totals));
    cJSON *ms = cJSON_AddObjectToObject(s, "latency_ms");
    static const char *const keys[] = {"p50", "p90", "p99", "max"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        /* To the nanosecond the histograms hold, so that 5.1 reads 5.1. */
        cJSON_AddNumberToObject(ms, keys[i],
                                round(throng__summary_num(latency, keys[i]) * 1e9) / 1e6);
    cJSON_AddItemToObject(s, "thresholds", thresholds_json(report));
    cJSON_AddItemToObject(s, "seed",
                          number_or_null(throng__summary_obj(report, "settings"), "seed"));
    return s;
}

int throng__summary_is_report(const cJSON *report, char *err)
{
    if (!cJSON_IsObject(report) ||
        strcmp(throng__summary_str(report, "format"), "throng-report") != 0 ||
        throng__summary_num(report, "version") != 1)
        return throng__fail(err, THRONG_EINVAL,
                            "not a throng report (format throng-report, "
                            "version 1)");
    return 0;
}

int throng__render_summary(const cJSON *report, throng__buf_t *out, char *err)
{
    if (throng__summary_is_report(report, err)) return THRONG_EINVAL;
    cJSON *s = summary_json(report);
    char *text = s ? cJSON_PrintUnformatted(s) : NULL;
    cJSON_Delete(s);
    int rc = text && throng__buf_puts(out, text) == 0 && throng__buf_puts(out, "\n") == 0
                 ? 0
                 : THRONG_ENOMEM;
    cJSON_free(text);
    return rc;
}
