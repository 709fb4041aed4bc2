/* test_render_junit.c - the JUnit XML and the summary for scripts, drawn
 * through throng_render from hand-made reports: a test case per threshold,
 * failed ones with what was measured and the limit in the units they were
 * written in (ms, %, /s, counts); every string escaped and every byte left
 * valid UTF-8 that XML allows; the run's own failures (a lost worker
 * process, a stopped run, faults with no thresholds) as test cases too, so
 * that the suite fails exactly when the exit status does; the summary's
 * numbers those of the report; documents that are not reports refused. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "check.h"
#include "throng.h"

/* ------------------------------------------------------------ reports */

static cJSON *report_new(const char *ending)
{
    cJSON *r = cJSON_CreateObject(), *totals, *latency, *faults, *f;
    cJSON_AddStringToObject(r, "format", "throng-report");
    cJSON_AddNumberToObject(r, "version", 1);
    cJSON_AddStringToObject(r, "throng", "0.1.0");
    cJSON_AddStringToObject(r, "started_at", "2026-11-22T00:57:27Z");
    cJSON_AddNumberToObject(r, "elapsed", 5.002);
    cJSON_AddStringToObject(r, "ending", ending);
    cJSON_AddStringToObject(r, "ending_text", "duration reached");
    cJSON_AddNumberToObject(cJSON_AddObjectToObject(r, "settings"), "seed", 1234);
    cJSON_AddArrayToObject(r, "groups");
    totals = cJSON_AddObjectToObject(r, "totals");
    cJSON_AddNumberToObject(totals, "sent", 1000);
    cJSON_AddNumberToObject(totals, "requests", 990);
    cJSON_AddNumberToObject(totals, "faulted", 10);
    cJSON_AddNumberToObject(totals, "cancelled", 0);
    cJSON_AddNumberToObject(totals, "in_flight", 0);
    cJSON_AddNumberToObject(totals, "rate", 197.9);
    cJSON_AddNumberToObject(totals, "failures", 23);
    faults = cJSON_AddObjectToObject(totals, "faults");
    f = cJSON_AddObjectToObject(faults, "timed-out");
    cJSON_AddNumberToObject(f, "count", 10);
    f = cJSON_AddObjectToObject(faults, "invalid");
    cJSON_AddNumberToObject(f, "count", 13);
    latency = cJSON_AddObjectToObject(totals, "latency");
    cJSON_AddNumberToObject(latency, "count", 1000);
    cJSON_AddNumberToObject(latency, "p50", 0.0012);
    cJSON_AddNumberToObject(latency, "p90", 0.0051);
    cJSON_AddNumberToObject(latency, "p99", 0.0234);
    cJSON_AddNumberToObject(latency, "max", 0.2);
    cJSON_AddArrayToObject(r, "series");
    cJSON_AddArrayToObject(r, "thresholds");
    cJSON *procs = cJSON_AddObjectToObject(r, "processes");
    cJSON_AddNumberToObject(procs, "started", 0);
    cJSON_AddNumberToObject(procs, "lost", 0);
    cJSON_AddStringToObject(procs, "sample", "");
    return r;
}

/* A threshold as the report has it; value < 0: never measured. */
static void add_threshold(cJSON *r, const char *group, const char *expression, const char *metric,
                          const char *op, double limit, double value, int passed, const char *note)
{
    cJSON *t = cJSON_CreateObject();
    cJSON_AddStringToObject(t, "expression", expression);
    if (group)
        cJSON_AddStringToObject(t, "group", group);
    else
        cJSON_AddNullToObject(t, "group");
    cJSON_AddNullToObject(t, "name");
    cJSON_AddStringToObject(t, "metric", metric);
    cJSON_AddStringToObject(t, "op", op);
    cJSON_AddNumberToObject(t, "limit", limit);
    if (value >= 0)
        cJSON_AddNumberToObject(t, "value", value);
    else
        cJSON_AddNullToObject(t, "value");
    cJSON_AddBoolToObject(t, "passed", passed);
    if (note) cJSON_AddStringToObject(t, "note", note);
    cJSON_AddItemToArray(cJSON_GetObjectItem(r, "thresholds"), t);
}

/* The report drawn as format (NULL when refused); frees r. */
static char *draw(cJSON *r, throng_render_t format)
{
    char *json = cJSON_PrintUnformatted(r), *out = NULL, err[256] = "";
    cJSON_Delete(r);
    int rc = throng_render(json, strlen(json), format, 0, &out, err, sizeof err);
    if (rc != 0) fprintf(stderr, "throng_render: %d %s\n", rc, err);
    CHECK_INT(rc, 0);
    free(json);
    return rc == 0 ? out : NULL;
}

/* How often needle occurs in s. */
static int occurs(const char *s, const char *needle)
{
    int n = 0;
    for (const char *p = s; p && (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* 1 when every byte of s is part of a UTF-8 character XML 1.0 allows (no
 * control character but newline), and every & starts an entity. */
static int clean_xml(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        if (*p == '&') {
            static const char *const ok[] = {"&amp;",  "&lt;", "&gt;",  "&quot;",
                                             "&apos;", "&#9;", "&#10;", "&#13;"};
            int known = 0;
            for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
                known |= strncmp((const char *)p, ok[i], strlen(ok[i])) == 0;
            if (!known) return 0;
        }
        if (*p < 0x20 && *p != '\n') return 0;
        size_t n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 : 4;
        if (*p >= 0x80 && (*p < 0xc2 || *p > 0xf4)) return 0;
        for (size_t i = 1; i < n; i++)
            if ((p[i] & 0xc0) != 0x80) return 0;
        p += n;
    }
    return 1;
}

/* ------------------------------------------------------------ tests */

/* Each kind of threshold, failed, says what it measured in its own units. */
static void test_units(void)
{
    cJSON *r = report_new("duration");
    add_threshold(r, NULL, "errors<1%", "errors", "<", 0.01, 0.023, 0, NULL);
    add_threshold(r, NULL, "p99<20ms", "p99", "<", 0.02, 0.0234, 0, NULL);
    add_threshold(r, NULL, "p99 < 1.5s", "p99", "<", 1.5, 2.25, 0, NULL);
    add_threshold(r, NULL, "max<1s", "max", "<", 1, 0.0000234, 0, NULL);
    add_threshold(r, NULL, "rate>1000/s", "rate", ">", 1000, 950.25, 0, NULL);
    add_threshold(r, NULL, "dropped<10", "dropped", "<", 10, 12, 0, NULL);
    add_threshold(r, NULL, "errors<0.01", "errors", "<", 0.01, 0.0234, 0, NULL);
    add_threshold(r, NULL, "corrected.p99<50ms", "corrected.p99", "<", 0.05, -1, 0,
                  "no expected interval");
    add_threshold(r, "api", "p50<=2ms", "p50", "<=", 0.002, 0.0011, 1, NULL);
    add_threshold(r, NULL, "nosuch:p99<20ms", "p99", "<", 0.02, -1, 0, NULL);
    cJSON *last = cJSON_GetArrayItem(cJSON_GetObjectItem(r, "thresholds"), 9);
    cJSON_ReplaceItemInObject(last, "name", cJSON_CreateString("nosuch"));
    char *x = draw(r, THRONG_RENDER_JUNIT);
    if (!x) return;
    CHECK(strncmp(x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites", 50) == 0);
    CHECK(strstr(
        x, "<testsuite name=\"throng\" tests=\"10\" failures=\"9\" errors=\"0\" skipped=\"0\" "
           "time=\"5.002\""));
    CHECK_INT(occurs(x, "<testcase "), 10);
    CHECK_INT(occurs(x, "<failure "), 9);
    CHECK(strstr(x, "message=\"errors 2.3% (limit &lt;1%)\""));
    CHECK(strstr(x, "message=\"p99 23.4ms (limit &lt;20ms)\""));
    CHECK(strstr(x, "message=\"p99 2.25s (limit &lt;1.5s)\""));
    CHECK(strstr(x, "message=\"max 23us (limit &lt;1s)\"")); /* far below 1s: readable */
    CHECK(strstr(x, "message=\"rate 950/s (limit &gt;1000/s)\""));
    CHECK(strstr(x, "message=\"dropped 12 (limit &lt;10)\""));
    CHECK(strstr(x, "message=\"errors 0.0234 (limit &lt;0.01)\"")); /* written as a share */
    CHECK(strstr(x, "message=\"corrected.p99 never measured: no expected interval (limit "
                    "&lt;50ms)\""));
    CHECK(strstr(x, "message=\"nosuch:p99 never measured: no request named &apos;nosuch&apos; "
                    "ran (limit &lt;20ms)\""));
    CHECK(strstr(x, "message=\"p99 23.4ms (limit &lt;20ms)\" type=\"threshold\">p99&lt;20ms: "
                    "measured 23.4ms, limit &lt;20ms</failure>"));
    CHECK(strstr(x, "<testcase classname=\"throng.thresholds\" name=\"p99 &lt; 1.5s\""));
    /* A plan group's threshold, passed: its own class, no failure. */
    CHECK(strstr(x, "<testcase classname=\"throng.thresholds.api\" name=\"p50&lt;=2ms\" "
                    "time=\"0\"/>"));
    CHECK(strstr(x, "<property name=\"exit_status\" value=\"5\"/>"));
    CHECK(strstr(x, "<property name=\"seed\" value=\"1234\"/>"));
    /* With thresholds and nothing else wrong, they are the whole suite. */
    CHECK(!strstr(x, "throng.run"));
    CHECK(clean_xml(x));
    throng_free(x);
}

/* Names with markup, quotes, control characters and bytes that are not
 * UTF-8 come out escaped and valid. */
static void test_escaping(void)
{
    cJSON *r = report_new("duration");
    add_threshold(r, "g&\"'", "a&b\"c'd\x01\xff\xc3\xa9:p99<20ms", "p99", "<", 0.02, 0.03, 0, NULL);
    char *x = draw(r, THRONG_RENDER_JUNIT);
    if (!x) return;
    CHECK(strstr(x, "classname=\"throng.thresholds.g&amp;&quot;&apos;\""));
    CHECK(strstr(x, "name=\"a&amp;b&quot;c&apos;d\xef\xbf\xbd\xef\xbf\xbd\xc3\xa9:p99&lt;20ms\""));
    CHECK(strstr(x, "message=\"a&amp;b&quot;c&apos;d\xef\xbf\xbd\xef\xbf\xbd\xc3\xa9:p99 30ms "
                    "(limit &lt;20ms)\""));
    CHECK(!strchr(x, '\x01') && !strchr(x, '\''));
    CHECK(clean_xml(x));
    throng_free(x);

    /* A fault's sample (server bytes) in the run's test case, with a newline and a tab. */
    r = report_new("processes");
    cJSON *procs = cJSON_GetObjectItem(r, "processes");
    cJSON_ReplaceItemInObject(procs, "started", cJSON_CreateNumber(2));
    cJSON_ReplaceItemInObject(procs, "lost", cJSON_CreateNumber(2));
    cJSON_ReplaceItemInObject(procs, "sample", cJSON_CreateString("killed <9>\n\tby \"oom\"\x7f"));
    x = draw(r, THRONG_RENDER_JUNIT);
    if (!x) return;
    CHECK(strstr(x, "2 of 2 worker processes lost: killed &lt;9&gt;&#10;&#9;by &quot;oom&quot;"));
    CHECK(clean_xml(x));
    throng_free(x);
}

/* What fails a run besides its thresholds, as test cases of throng.run. */
static void test_run_cases(void)
{
    /* No thresholds and no failure: one passing case, "run". */
    cJSON *r = report_new("duration");
    cJSON *totals = cJSON_GetObjectItem(r, "totals");
    cJSON_ReplaceItemInObject(totals, "failures", cJSON_CreateNumber(0));
    char *x = draw(r, THRONG_RENDER_JUNIT);
    if (!x) return;
    CHECK(strstr(x, "tests=\"1\" failures=\"0\""));
    CHECK(strstr(x, "<testcase classname=\"throng.run\" name=\"run\" time=\"0\"/>"));
    throng_free(x);

    /* No thresholds, faults: "run" fails, saying which. */
    x = draw(report_new("duration"), THRONG_RENDER_JUNIT);
    if (!x) return;
    CHECK(strstr(x, "tests=\"1\" failures=\"1\""));
    CHECK(strstr(x, "message=\"23 failures: timed-out 10, invalid 13\" type=\"faults\""));
    CHECK(strstr(x, "<property name=\"exit_status\" value=\"1\"/>"));
    throng_free(x);

    /* Passing thresholds, a lost worker process: the run still failed. */
    r = report_new("duration");
    add_threshold(r, NULL, "p99<50ms", "p99", "<", 0.05, 0.0234, 1, NULL);
    cJSON *procs = cJSON_GetObjectItem(r, "processes");
    cJSON_ReplaceItemInObject(procs, "started", cJSON_CreateNumber(4));
    cJSON_ReplaceItemInObject(procs, "lost", cJSON_CreateNumber(1));
    cJSON_ReplaceItemInObject(procs, "sample", cJSON_CreateString("process 2: killed by signal 9"));
    x = draw(r, THRONG_RENDER_JUNIT);
    if (!x) return;
    CHECK(strstr(x, "tests=\"2\" failures=\"1\""));
    CHECK(strstr(x, "name=\"worker processes\" time=\"0\">\n      <failure message=\"1 of 4 "
                    "worker processes lost: process 2: killed by signal 9\""));
    CHECK(!strstr(x, "name=\"run\""));
    throng_free(x);

    /* Stopped by a signal: "run" fails, even with thresholds that passed. */
    r = report_new("stopped");
    add_threshold(r, NULL, "p99<50ms", "p99", "<", 0.05, 0.0234, 1, NULL);
    x = draw(r, THRONG_RENDER_JUNIT);
    if (!x) return;
    CHECK(strstr(x, "tests=\"2\" failures=\"1\""));
    CHECK(strstr(x, "type=\"aborted\""));
    CHECK(strstr(x, "<property name=\"exit_status\" value=\"3\"/>"));
    throng_free(x);
}

static const cJSON *at(const cJSON *o, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(o, key);
}

static double number(const cJSON *o, const char *key)
{
    const cJSON *v = at(o, key);
    CHECK(cJSON_IsNumber(v));
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

/* The summary's fields, from the report's. */
static void test_summary(void)
{
    cJSON *r = report_new("duration");
    add_threshold(r, NULL, "errors<1%", "errors", "<", 0.01, 0.023, 0, NULL);
    add_threshold(r, "api", "corrected.p99<50ms", "corrected.p99", "<", 0.05, -1, 0, "none");
    char *text = draw(r, THRONG_RENDER_SUMMARY);
    if (!text) return;
    cJSON *s = cJSON_Parse(text);
    CHECK(s != NULL);
    CHECK_INT(number(s, "schema"), 1);
    CHECK_STR(cJSON_GetStringValue(at(s, "status")), "failed");
    CHECK_INT(number(s, "exit_status"), 5);
    CHECK_STR(cJSON_GetStringValue(at(s, "reason")), "2 of 2 thresholds not met");
    CHECK_STR(cJSON_GetStringValue(at(s, "ending")), "duration");
    CHECK(number(s, "duration_s") == 5.002);
    CHECK_INT(number(s, "requests"), 990);
    CHECK(number(s, "rps") == 197.9);
    CHECK_INT(number(s, "failures"), 23);
    CHECK(number(s, "error_rate") == 0.023); /* failures / sent, as errors<1% measures */
    const cJSON *ms = at(s, "latency_ms");
    CHECK(fabs(number(ms, "p50") - 0.0012 * 1e3) < 1e-9);
    CHECK(fabs(number(ms, "p90") - 0.0051 * 1e3) < 1e-9);
    CHECK(fabs(number(ms, "p99") - 0.0234 * 1e3) < 1e-9);
    CHECK(fabs(number(ms, "max") - 0.2 * 1e3) < 1e-9);
    CHECK_INT(number(s, "seed"), 1234);
    const cJSON *ts = at(s, "thresholds");
    CHECK_INT(cJSON_GetArraySize(ts), 2);
    const cJSON *t0 = cJSON_GetArrayItem(ts, 0), *t1 = cJSON_GetArrayItem(ts, 1);
    CHECK_STR(cJSON_GetStringValue(at(t0, "name")), "errors<1%");
    CHECK(cJSON_IsNull(at(t0, "group")));
    CHECK(cJSON_IsFalse(at(t0, "ok")));
    CHECK(number(t0, "measured") == 0.023);
    CHECK(number(t0, "limit") == 0.01);
    CHECK_STR(cJSON_GetStringValue(at(t1, "group")), "api");
    CHECK(cJSON_IsNull(at(t1, "measured")));
    cJSON_Delete(s);
    throng_free(text);

    /* A clean run passes; a stopped one is aborted. */
    r = report_new("duration");
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(r, "totals"), "failures", cJSON_CreateNumber(0));
    text = draw(r, THRONG_RENDER_SUMMARY);
    s = text ? cJSON_Parse(text) : NULL;
    CHECK_STR(cJSON_GetStringValue(at(s, "status")), "passed");
    CHECK_INT(number(s, "exit_status"), 0);
    CHECK(number(s, "error_rate") == 0);
    cJSON_Delete(s);
    throng_free(text);
    text = draw(report_new("stopped"), THRONG_RENDER_SUMMARY);
    s = text ? cJSON_Parse(text) : NULL;
    CHECK_STR(cJSON_GetStringValue(at(s, "status")), "aborted");
    CHECK_INT(number(s, "exit_status"), 3);
    cJSON_Delete(s);
    throng_free(text);
}

/* What is not a report is refused, saying why, by both. */
static void test_refused(void)
{
    static const throng_render_t formats[] = {THRONG_RENDER_JUNIT, THRONG_RENDER_SUMMARY};
    for (size_t i = 0; i < 2; i++) {
        char *out = NULL, err[256] = "";
        CHECK_INT(throng_render("{\"format\":\"other\"}", 18, formats[i], 0, &out, err, sizeof err),
                  THRONG_EINVAL);
        CHECK(out == NULL && strstr(err, "throng report"));
        CHECK_INT(throng_render("[1,", 3, formats[i], 0, &out, err, sizeof err), THRONG_EINVAL);
        CHECK(strstr(err, "not JSON"));
    }
}

int main(void)
{
    test_units();
    test_escaping();
    test_run_cases();
    test_summary();
    test_refused();
    return check_result("test_render_junit");
}
