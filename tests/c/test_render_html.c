/* test_render_html.c - the HTML report: a whole page from a realistic
 * two-group report (tables, SVG charts of the page's width, thresholds in
 * their own units, faults, worker processes), with every string from the report escaped and nothing
 * that would fetch from outside the page; short, empty and extreme reports drawn without NaN or
 * infinities; documents that are not version 1 reports refused with a reason.
 *
 * Given a path, the test also writes the sample page there (and the
 * sample report beside it, given a second path), to look at in a browser:
 *   test_render_html /tmp/report.html /tmp/report.json */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "check.h"
#include "stats/hist.h"
#include "report/render_html.h"
#include "util/rng.h"

#define SCRIPT_NAME "<script>alert(1)</script>"

/* ------------------------------------------------------------ a sample */

/* A histogram as the JSON report writes it (docs/report.md). */
static cJSON *hist_json(const throng__hist_t *h)
{
    cJSON *o = cJSON_CreateObject(), *buckets = cJSON_CreateArray();
    cJSON_AddNumberToObject(o, "count", (double)throng__hist_count(h));
    cJSON_AddNumberToObject(o, "min", (double)throng__hist_min(h) * 1e-9);
    cJSON_AddNumberToObject(o, "mean", throng__hist_mean(h) * 1e-9);
    cJSON_AddNumberToObject(o, "max", (double)throng__hist_max(h) * 1e-9);
    cJSON_AddNumberToObject(o, "p50", (double)throng__hist_percentile(h, 50) * 1e-9);
    cJSON_AddNumberToObject(o, "p90", (double)throng__hist_percentile(h, 90) * 1e-9);
    cJSON_AddNumberToObject(o, "p99", (double)throng__hist_percentile(h, 99) * 1e-9);
    cJSON_AddNumberToObject(o, "p999", (double)throng__hist_percentile(h, 99.9) * 1e-9);
    cJSON_AddNumberToObject(o, "sum_ns", throng__hist_mean(h) * (double)throng__hist_count(h));
    size_t index = 0;
    uint64_t lo, hi, count;
    while (throng__hist_next(h, &index, &lo, &hi, &count)) {
        double b[3] = {(double)lo, (double)hi, (double)count};
        cJSON_AddItemToArray(buckets, cJSON_CreateDoubleArray(b, 3));
    }
    cJSON_AddItemToObject(o, "buckets", buckets);
    return o;
}

/* What one name, group or the whole run did. */
typedef struct {
    throng__hist_t latency;
    double requests, failures, ok, errors; /* errors: 500 responses */
} tally_t;

/* A statistics object from a tally over a run of elapsed seconds. */
static cJSON *stats_json(const tally_t *t, double elapsed, const char *fault_sample)
{
    cJSON *o = cJSON_CreateObject(), *faults = cJSON_CreateObject(), *status;
    cJSON_AddNumberToObject(o, "requests", t->requests);
    cJSON_AddNumberToObject(o, "rate", t->requests / elapsed);
    cJSON_AddNumberToObject(o, "sent", t->requests + t->failures);
    cJSON_AddNumberToObject(o, "failures", t->failures);
    cJSON_AddNumberToObject(o, "bytes_sent", t->requests * 212);
    cJSON_AddNumberToObject(o, "bytes_received", t->requests * 4480);
    if (t->failures > 0) {
        cJSON *f = cJSON_AddObjectToObject(faults, "timed-out");
        cJSON_AddNumberToObject(f, "count", t->failures);
        cJSON_AddStringToObject(f, "sample", fault_sample);
    }
    cJSON_AddItemToObject(o, "faults", faults);
    status = cJSON_AddObjectToObject(o, "status");
    if (t->ok > 0) cJSON_AddNumberToObject(status, "200", t->ok);
    if (t->errors > 0) cJSON_AddNumberToObject(status, "500", t->errors);
    cJSON_AddItemToObject(o, "latency", hist_json(&t->latency));
    cJSON_AddItemToObject(o, "ttfb", hist_json(&t->latency));
    cJSON_AddItemToObject(o, "connect", hist_json(&t->latency));
    cJSON_AddItemToObject(o, "tls", hist_json(&t->latency));
    return o;
}

/* A latency in ns: log-normal around median_ns, with a rare slow tail. */
static uint64_t draw_latency(throng__rng_t *r, double median_ns)
{
    double u1 = throng__rng_double(r), u2 = throng__rng_double(r);
    double z = sqrt(-2 * log(u1 > 0 ? u1 : 1e-300)) * cos(2 * M_PI * u2);
    double v = median_ns * exp(0.4 * z);
    if (throng__rng_double(r) < 0.003) v *= 8;
    return (uint64_t)v;
}

enum { NAMES = 4, SECONDS = 30 };
static const char *const name_of[NAMES] = {"table", SCRIPT_NAME, "login", "list"};
static const int group_of[NAMES] = {0, 0, 1, 1};
static const double median_of[NAMES] = {180e3, 420e3, 2.1e6, 950e3};

/* Everything a run counts, by name, group, run and second. */
typedef struct {
    tally_t name[NAMES], group[2], all, second;
    cJSON *series;
} run_t;

/* One request of name k in second t: a response (maybe a 500), or a
 * timeout during seconds 12 to 14. */
static void one_request(run_t *run, throng__rng_t *r, int k, int t)
{
    tally_t *to[4] = {&run->name[k], &run->group[group_of[k]], &run->all, &run->second};
    int timed_out = t >= 12 && t <= 14 && k == 0 && throng__rng_double(r) < 0.05;
    int error = !timed_out && throng__rng_double(r) < 0.004;
    uint64_t ns = draw_latency(r, median_of[k] * (t == 20 ? 3 : 1));
    for (int i = 0; i < 4; i++) {
        if (timed_out) {
            to[i]->failures++;
            continue;
        }
        throng__hist_record(&to[i]->latency, ns);
        to[i]->requests++;
        *(error ? &to[i]->errors : &to[i]->ok) += 1;
    }
}

/* One second of the run: a ramp to 400 requests, then a plateau. */
static void one_second(run_t *run, throng__rng_t *r, int t)
{
    int n = t < 8 ? 50 * t : 400 + (int)(throng__rng_double(r) * 40);
    throng__hist_init(&run->second.latency);
    run->second.requests = run->second.failures = 0;
    for (int i = 0; i < n; i++)
        one_request(run, r, (int)(throng__rng_double(r) * NAMES), t);
    const throng__hist_t *h = &run->second.latency;
    cJSON *s = cJSON_CreateObject();
    cJSON_AddNumberToObject(s, "t", t);
    cJSON_AddNumberToObject(s, "requests", run->second.requests);
    cJSON_AddNumberToObject(s, "failures", run->second.failures);
    cJSON_AddNumberToObject(s, "mean", throng__hist_mean(h) * 1e-9);
    cJSON_AddNumberToObject(s, "p50", (double)throng__hist_percentile(h, 50) * 1e-9);
    cJSON_AddNumberToObject(s, "p90", (double)throng__hist_percentile(h, 90) * 1e-9);
    cJSON_AddNumberToObject(s, "p99", (double)throng__hist_percentile(h, 99) * 1e-9);
    cJSON_AddNumberToObject(s, "max", (double)throng__hist_max(h) * 1e-9);
    cJSON_AddItemToArray(run->series, s);
}

/* The report's header fields and settings. */
static cJSON *report_head(void)
{
    cJSON *r = cJSON_CreateObject(), *s;
    cJSON_AddStringToObject(r, "format", "throng-report");
    cJSON_AddNumberToObject(r, "version", 1);
    cJSON_AddStringToObject(r, "throng", "0.1.0");
    cJSON_AddStringToObject(r, "started_at", "2026-11-22T00:57:27Z");
    cJSON_AddNumberToObject(r, "elapsed", SECONDS + 0.002);
    cJSON_AddStringToObject(r, "ending", "duration");
    cJSON_AddStringToObject(r, "ending_text", "duration reached");
    s = cJSON_AddObjectToObject(r, "settings");
    cJSON_AddNumberToObject(s, "duration", SECONDS);
    cJSON_AddNumberToObject(s, "max_requests", 0);
    cJSON_AddNumberToObject(s, "timeout", 5);
    cJSON_AddNumberToObject(s, "connect_timeout", 5);
    cJSON_AddStringToObject(s, "on_fault", "drop");
    cJSON_AddNumberToObject(s, "processes", 2);
    cJSON_AddBoolToObject(s, "once", 0);
    cJSON_AddNumberToObject(s, "seed", 1234);
    return r;
}

/* A group's configuration and statistics, its names among run->name. */
static cJSON *group_json(const run_t *run, int g, double elapsed)
{
    static const char *const label[2] = {"table", "admin & <ops>"};
    static const char *const persona[2] = {"table", "scripts/personas/admin.lua"};
    const char *sample = "no response within 5s from \"127.0.0.1:5050\" <GET /table?rows=100>";
    cJSON *o = cJSON_CreateObject(), *names = cJSON_CreateArray();
    cJSON_AddStringToObject(o, "name", label[g]);
    cJSON_AddStringToObject(o, "persona", persona[g]);
    cJSON_AddStringToObject(o, "server", "127.0.0.1:5050");
    cJSON_AddStringToObject(o, "style", g ? "session" : "request");
    cJSON_AddNumberToObject(o, "clients", g ? 4 : 16);
    cJSON_AddNumberToObject(o, "threads", g ? 1 : 2);
    cJSON_AddNumberToObject(o, "request_count", g ? 1 : 4);
    cJSON_AddNumberToObject(o, "slow_down", g ? 0.5 : 0.05);
    cJSON_AddNumberToObject(o, "sessions", g ? 1400 : 2390);
    cJSON_AddNumberToObject(o, "connects", g ? 1400 : 2407);
    cJSON_AddNumberToObject(o, "clients_active", g ? 4 : 16);
    cJSON_AddNumberToObject(o, "clients_faulted", 0);
    cJSON_AddNumberToObject(o, "cancelled", g ? 1 : 3);
    cJSON_AddItemToObject(o, "totals", stats_json(&run->group[g], elapsed, sample));
    for (int k = 0; k < NAMES; k++) {
        if (group_of[k] != g) continue;
        cJSON *n = stats_json(&run->name[k], elapsed, sample);
        cJSON_AddItemToObjectCS(n, "name", cJSON_CreateString(name_of[k]));
        cJSON_AddItemToArray(names, n);
    }
    cJSON_AddItemToObject(o, "names", names);
    return o;
}

/* One threshold as the report holds it. */
static cJSON *threshold_json(const char *expr, const char *name, const char *metric, const char *op,
                             double limit, double value)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "expression", expr);
    cJSON_AddItemToObject(o, "name", name ? cJSON_CreateString(name) : cJSON_CreateNull());
    cJSON_AddStringToObject(o, "metric", metric);
    cJSON_AddStringToObject(o, "op", op);
    cJSON_AddNumberToObject(o, "limit", limit);
    cJSON_AddNumberToObject(o, "value", value);
    cJSON_AddBoolToObject(o, "passed", op[0] == '<' ? value < limit : value > limit);
    return o;
}

/* Thresholds: one that held, one that did not, and processes: one lost. */
static void report_tail(cJSON *r, const run_t *run)
{
    cJSON *t = cJSON_AddArrayToObject(r, "thresholds"), *p;
    const cJSON *lat = cJSON_GetObjectItem(cJSON_GetObjectItem(r, "totals"), "latency");
    double p99 = cJSON_GetObjectItem(lat, "p99")->valuedouble;
    cJSON_AddItemToArray(
        t, threshold_json("table:p50<20ms", "table", "p50", "<", 0.02,
                          (double)throng__hist_percentile(&run->name[0].latency, 50) * 1e-9));
    cJSON_AddItemToArray(t, threshold_json("p99<1ms", NULL, "p99", "<", 0.001, p99));
    cJSON_AddItemToArray(t, threshold_json("rate>100", NULL, "rate", ">", 100,
                                           run->all.requests / (SECONDS + 0.002)));
    p = cJSON_AddObjectToObject(r, "processes");
    cJSON_AddNumberToObject(p, "started", 2);
    cJSON_AddNumberToObject(p, "lost", 1);
    cJSON_AddStringToObject(p, "sample", "worker 2 (pid 4242) ended: killed by signal 9 <SIGKILL>");
}

/* A 30-second, two-group report with faults, errors and a latency spike,
 * from a fixed seed: always the same. */
static cJSON *sample_report(void)
{
    run_t *run = calloc(1, sizeof *run);
    throng__rng_t rng;
    if (!run) abort();
    throng__rng_seed(&rng, 1234);
    cJSON *r = report_head();
    run->series = cJSON_CreateArray();
    for (int t = 1; t <= SECONDS; t++)
        one_second(run, &rng, t);
    double elapsed = SECONDS + 0.002;
    cJSON *groups = cJSON_AddArrayToObject(r, "groups");
    for (int g = 0; g < 2; g++)
        cJSON_AddItemToArray(groups, group_json(run, g, elapsed));
    cJSON_AddItemToObject(r, "totals", stats_json(&run->all, elapsed, "no response within 5s"));
    cJSON_AddItemToObject(r, "series", run->series);
    report_tail(r, run);
    free(run);
    return r;
}

/* ------------------------------------------------------------ checks */

/* Renders a report into a NUL-terminated string (the caller frees it), or
 * NULL with the reason in err. */
static char *render(const cJSON *r, char *err)
{
    throng__buf_t b = {0};
    err[0] = '\0';
    if (throng__render_html(r, &b, err) != 0) {
        CHECK_INT(b.len, 0);
        throng__buf_free(&b);
        return NULL;
    }
    if (throng__buf_append(&b, "", 1) != 0) abort();
    return b.data;
}

/* How many times needle occurs in s. */
static int count_of(const char *s, const char *needle)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* Whether word occurs in s, in any case, not inside a longer word: "nan"
 * and "inf" as printf writes them, but not "maintenance" or "info". */
static int has_word(const char *s, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = s; *p; p++) {
        if (strncasecmp(p, word, n) != 0) continue;
        int before = p > s && isalpha((unsigned char)p[-1]);
        if (!before && !isalpha((unsigned char)p[n])) return 1;
    }
    return 0;
}

/* Every coordinate of every polyline is a number inside a chart. */
static void check_points(const char *html)
{
    int bad = 0;
    for (const char *p = html; (p = strstr(p, "points=\""));) {
        p += 8;
        while (*p != '"') {
            char *end;
            double x = strtod(p, &end);
            if (end == p || *end != ',') break;
            double y = strtod(end + 1, &end);
            bad += !(x >= 0 && x <= 1000 && y >= 0 && y <= 400);
            p = end + (*end == ' ');
        }
        bad += *p != '"';
    }
    CHECK_INT(bad, 0);
}

/* What every page must be: whole, offline, free of NaN and infinities. */
static void check_page(const char *html)
{
    CHECK(strncmp(html, "<!DOCTYPE html>", 15) == 0);
    CHECK(strstr(html, "</html>\n") != NULL);
    CHECK(count_of(html, "<svg") >= 5);
    CHECK_INT(count_of(html, "</svg>"), count_of(html, "<svg"));
    /* Every chart is as wide as the page, its proportions kept. */
    CHECK_INT(count_of(html, "width=\"100%\" preserveAspectRatio"), count_of(html, "<svg"));
    CHECK(!strstr(html, "http://") && !strstr(html, "https://"));
    CHECK(!strstr(html, "src=") && !strstr(html, "href=") && !strstr(html, "url("));
    CHECK(!strstr(html, "@import") && !strstr(html, "<script") && !strstr(html, "<link"));
    CHECK(!has_word(html, "nan") && !has_word(html, "inf") && !has_word(html, "infinity"));
    check_points(html);
}

/* The sample, written to out_html (and out_json) when given. */
static void test_sample(const char *out_html, const char *out_json)
{
    char err[THRONG__ERRMSG_LEN];
    cJSON *r = sample_report();
    char *html = render(r, err);
    CHECK(html != NULL);
    if (!html) {
        fprintf(stderr, "render: %s\n", err);
        cJSON_Delete(r);
        return;
    }
    check_page(html);
    CHECK(strstr(html, "throng report") != NULL);
    CHECK(strstr(html, "2026-11-22T00:57:27Z") != NULL);
    CHECK(strstr(html, "duration reached") != NULL);
    /* Groups, names and persona paths, escaped. */
    CHECK(strstr(html, "admin &amp; &lt;ops&gt;") != NULL);
    CHECK(strstr(html, "scripts/personas/admin.lua") != NULL);
    CHECK(strstr(html, ">login<") != NULL && strstr(html, ">list<") != NULL);
    CHECK(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;") != NULL);
    CHECK(!strstr(html, SCRIPT_NAME));
    /* Fault samples and the lost process, escaped. */
    CHECK(strstr(html, "timed-out") != NULL);
    CHECK(strstr(html, "&quot;127.0.0.1:5050&quot; &lt;GET /table?rows=100&gt;") != NULL);
    CHECK(strstr(html, "killed by signal 9 &lt;SIGKILL&gt;") != NULL);
    /* Thresholds: the failed one (p99<1ms against a ~10ms tail). */
    CHECK(strstr(html, ">FAIL<") != NULL && strstr(html, ">PASS<") != NULL);
    CHECK(strstr(html, "p99&lt;1ms") != NULL);
    CHECK(strstr(html, "Requests per second") && strstr(html, "Latency percentiles per second") &&
          strstr(html, "Latency by percentile"));
    const char *ids[] = {"rate",
                         "latency",
                         "latency-distribution",
                         "ttfb-distribution",
                         "connect-distribution",
                         "tls-distribution"};
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
        char id[64];
        snprintf(id, sizeof id, "<svg class=\"chart\" id=\"chart-%s\"", ids[i]);
        CHECK(strstr(html, id) != NULL);
    }
    CHECK(strstr(html, "Time to first byte by percentile") &&
          strstr(html, "Connect time by percentile") &&
          strstr(html, "TLS handshake time by percentile"));
    CHECK(strstr(html, ">99.9%<") != NULL && strstr(html, ">99.99%<") != NULL);
    CHECK(strstr(html, ">failures<") != NULL); /* the second line of the rate chart */
    CHECK(strstr(html, ">500<") != NULL);
    CHECK(!strstr(html, "no data"));
    if (out_html) {
        FILE *f = fopen(out_html, "w");
        CHECK(f && fputs(html, f) >= 0 && fclose(f) == 0);
    }
    if (out_json) {
        char *text = cJSON_Print(r);
        FILE *f = fopen(out_json, "w");
        CHECK(text && f && fputs(text, f) >= 0 && fputc('\n', f) >= 0 && fclose(f) == 0);
        free(text);
    }
    free(html);
    cJSON_Delete(r);
}

/* The same page twice from the same report. */
static void test_stable(void)
{
    char err[THRONG__ERRMSG_LEN];
    cJSON *r = sample_report();
    char *a = render(r, err), *b = render(r, err);
    CHECK(a && b && strcmp(a, b) == 0);
    free(a);
    free(b);
    cJSON_Delete(r);
}

/* Replaces key of o with v. */
static void set(cJSON *o, const char *key, cJSON *v)
{
    cJSON_ReplaceItemInObjectCaseSensitive(o, key, v);
}

/* Empties a statistics object: no requests, no buckets, zero latency. */
static void empty_stats(cJSON *st)
{
    set(st, "requests", cJSON_CreateNumber(0));
    set(st, "rate", cJSON_CreateNumber(0));
    set(st, "status", cJSON_CreateObject());
    set(st, "faults", cJSON_CreateObject());
    cJSON *lat = cJSON_GetObjectItem(st, "latency");
    const char *keys[] = {"count", "min", "mean", "max", "p50", "p90", "p99", "p999", "sum_ns"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        set(lat, keys[i], cJSON_CreateNumber(0));
    set(lat, "buckets", cJSON_CreateArray());
}

/* A run that ended before its first second, with nothing measured: every
 * chart says "no data", the tables show zeros. */
static void test_empty(void)
{
    char err[THRONG__ERRMSG_LEN];
    cJSON *r = sample_report();
    set(r, "series", cJSON_CreateArray());
    set(r, "thresholds", cJSON_CreateArray());
    empty_stats(cJSON_GetObjectItem(r, "totals"));
    cJSON_DeleteItemFromArray(cJSON_GetObjectItem(r, "groups"), 1);
    cJSON *g = cJSON_GetArrayItem(cJSON_GetObjectItem(r, "groups"), 0);
    set(g, "names", cJSON_CreateArray());
    empty_stats(cJSON_GetObjectItem(g, "totals"));
    char *html = render(r, err);
    CHECK(html != NULL);
    if (html) {
        check_page(html);
        CHECK_INT(count_of(html, ">no data<"), 3);
        CHECK(strstr(html, "No responses.") != NULL);
        CHECK(strstr(html, "No faults.") != NULL);
        CHECK(strstr(html, ">&ndash;<") != NULL); /* no latency, rather than 0 */
        CHECK(!strstr(html, "FAIL"));
    }
    free(html);
    cJSON_Delete(r);
}

/* Builds a one-second series entry. */
static cJSON *second_json(double t, double requests, double failures, double latency)
{
    cJSON *s = cJSON_CreateObject();
    const char *keys[] = {"mean", "p50", "p90", "p99", "max"};
    cJSON_AddNumberToObject(s, "t", t);
    cJSON_AddNumberToObject(s, "requests", requests);
    cJSON_AddNumberToObject(s, "failures", failures);
    for (int i = 0; i < 5; i++)
        cJSON_AddNumberToObject(s, keys[i], latency);
    return s;
}

/* Renders the sample with its series and run latency replaced, and checks
 * the page; returns it for more checks (the caller frees it). */
static char *render_with(cJSON *series, cJSON *buckets)
{
    char err[THRONG__ERRMSG_LEN];
    cJSON *r = sample_report();
    set(r, "series", series);
    if (buckets)
        set(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "totals"), "latency"), "buckets", buckets);
    char *html = render(r, err);
    CHECK(html != NULL);
    if (html) check_page(html);
    cJSON_Delete(r);
    return html;
}

/* One second; seconds with zero requests or zero latency; huge values. */
static void test_edges(void)
{
    cJSON *one = cJSON_CreateArray();
    cJSON_AddItemToArray(one, second_json(1, 12, 0, 0.0012));
    char *html = render_with(one, NULL);
    CHECK(html && strstr(html, "<circle") != NULL); /* a lone point is a dot */
    free(html);

    cJSON *zeros = cJSON_CreateArray();
    for (int t = 1; t <= 5; t++)
        cJSON_AddItemToArray(zeros, second_json(t, 0, 0, 0));
    html = render_with(zeros, NULL);
    CHECK(html && count_of(html, ">no data<") == 1); /* no latency to draw */
    free(html);

    cJSON *instant = cJSON_CreateArray();
    for (int t = 1; t <= 5; t++)
        cJSON_AddItemToArray(instant, second_json(t, 100, 0, 0));
    double zero[3] = {0, 0, 1000};
    cJSON *zero_buckets = cJSON_CreateArray();
    cJSON_AddItemToArray(zero_buckets, cJSON_CreateDoubleArray(zero, 3));
    html = render_with(instant, zero_buckets);
    CHECK(html && !strstr(html, "no data"));
    free(html);

    cJSON *huge = cJSON_CreateArray();
    cJSON_AddItemToArray(huge, second_json(1, 1e300, 1e299, 1e300));
    cJSON_AddItemToArray(huge, second_json(1e15, 1.7e308, 0, 1.7e308));
    double big[2][3] = {{1e300, 1.7e308, 1e300}, {1.7e308, 1.79e308, 1.7e308}};
    cJSON *big_buckets = cJSON_CreateArray();
    for (int i = 0; i < 2; i++)
        cJSON_AddItemToArray(big_buckets, cJSON_CreateDoubleArray(big[i], 3));
    free(render_with(huge, big_buckets));
}

/* The part of html inside the chart of that id ("" when it has none). */
static char *chart_of(const char *html, const char *id)
{
    char open[64];
    snprintf(open, sizeof open, "id=\"chart-%s\"", id);
    const char *a = strstr(html, open), *b = a ? strstr(a, "</svg>") : NULL;
    size_t n = b ? (size_t)(b - a) : 0;
    char *c = malloc(n + 1);
    if (!c) abort();
    memcpy(c, a ? a : "", n);
    c[n] = '\0';
    return c;
}

/* The last point of the first polyline of a chart: *x, *y. */
static void last_point(const char *chart, double *x, double *y)
{
    const char *p = strstr(chart, "points=\""), *end = p ? strchr(p + 8, '"') : NULL;
    *x = *y = -1;
    if (!end) return;
    const char *last = end;
    while (last > p && last[-1] != ' ' && last[-1] != '"')
        last--;
    sscanf(last, "%lf,%lf", x, y);
}

/* A 10 s run stops a few milliseconds after 10 s: its 11th second, with
 * the few requests of those milliseconds, is not charted (no fall to
 * nearly nothing at 11 s), and the time axis ends at 10, not 15. A run
 * shorter than a second charts its one second as a rate. */
static void test_whole_seconds(void)
{
    char err[THRONG__ERRMSG_LEN];
    cJSON *r = sample_report(), *series = cJSON_CreateArray();
    for (int t = 1; t <= 10; t++)
        cJSON_AddItemToArray(series, second_json(t, 1000, 0, 0.001));
    cJSON_AddItemToArray(series, second_json(11, 3, 0, 0.001));
    set(r, "series", series);
    set(r, "elapsed", cJSON_CreateNumber(10.003));
    char *html = render(r, err), *rate = chart_of(html ? html : "", "rate");
    double x, y;
    last_point(rate, &x, &y);
    CHECK(x == 960.0);       /* the axis's end */
    CHECK(y > 0 && y < 100); /* 1000/s, high on the chart, not 3 at its foot */
    CHECK(strstr(rate, "text-anchor=\"middle\">10</text>") != NULL);
    CHECK(!strstr(rate, ">11</text>") && !strstr(rate, ">15</text>"));
    CHECK(html && strstr(html, "its last 0.003s") != NULL);
    free(rate);
    free(html);

    /* Exactly 10 s (and a bit): nothing left out, nothing said. */
    set(r, "series", cJSON_CreateArray());
    for (int t = 1; t <= 10; t++)
        cJSON_AddItemToArray(cJSON_GetObjectItem(r, "series"), second_json(t, 1000, 0, 0.001));
    set(r, "elapsed", cJSON_CreateNumber(10.01));
    html = render(r, err);
    CHECK(html && !strstr(html, "left out"));
    rate = chart_of(html ? html : "", "rate");
    last_point(rate, &x, &y);
    CHECK(x == 960.0);
    free(rate);
    free(html);

    /* Half a second holding 40 requests: 80 per second. */
    set(r, "series", cJSON_CreateArray());
    cJSON_AddItemToArray(cJSON_GetObjectItem(r, "series"), second_json(1, 40, 0, 0.001));
    set(r, "elapsed", cJSON_CreateNumber(0.5));
    html = render(r, err);
    rate = chart_of(html ? html : "", "rate");
    CHECK(strstr(rate, "<circle") != NULL);
    /* the axis's top: 80/s, not 40 */
    CHECK(strstr(rate, ">80</text>") && strstr(rate, "cy=\"52.0\""));
    CHECK(html && strstr(html, "less than a second") != NULL);
    free(rate);
    free(html);
    cJSON_Delete(r);
}

/* With a series per group, the requests per second chart has a line for
 * each group besides the run's, each in the legend. */
static void test_group_lines(void)
{
    char err[THRONG__ERRMSG_LEN];
    cJSON *r = sample_report(), *g;
    char *html = render(r, err), *rate = chart_of(html ? html : "", "rate");
    CHECK(html && strstr(html, "no series per group") != NULL);
    CHECK_INT(count_of(rate, "<polyline"), 2); /* requests and failures */
    free(rate);
    free(html);
    int k = 0;
    cJSON_ArrayForEach(g, cJSON_GetObjectItem(r, "groups"))
    {
        cJSON *series = cJSON_AddArrayToObject(g, "series");
        for (int t = 1; t <= SECONDS; t++)
            cJSON_AddItemToArray(series, second_json(t, k ? 100 : 300, 0, 0.001));
        k++;
    }
    html = render(r, err);
    rate = chart_of(html ? html : "", "rate");
    CHECK(html && !strstr(html, "no series per group"));
    CHECK_INT(count_of(rate, "<polyline"), 4); /* all, each group, failures */
    CHECK(strstr(rate, ">all groups</text>") != NULL);
    CHECK(strstr(rate, ">table</text>") != NULL);
    CHECK(strstr(rate, ">admin &amp; &lt;ops&gt;</text>") != NULL);
    free(rate);
    free(html);
    cJSON_Delete(r);
}

/* Thresholds measured in the unit their limit was written in; the limit as
 * written; the seed every digit of it. */
static void test_threshold_units(void)
{
    char err[THRONG__ERRMSG_LEN];
    cJSON *r = sample_report(), *t = cJSON_CreateArray();
    cJSON_AddItemToArray(t, threshold_json("errors<1%", NULL, "errors", "<", 0.01, 0.0022));
    cJSON_AddItemToArray(t, threshold_json("errors<0.01", NULL, "errors", "<", 0.01, 0.0022));
    cJSON_AddItemToArray(t, threshold_json("p99<50ms", NULL, "p99", "<", 0.05, 0.001043711));
    cJSON_AddItemToArray(t, threshold_json("p99 < 1s", NULL, "p99", "<", 1, 0.001043711));
    cJSON_AddItemToArray(t, threshold_json("p50<250us", NULL, "p50", "<", 0.00025, 0.0001));
    cJSON_AddItemToArray(t, threshold_json("dropped<5%", NULL, "dropped", "<", 0.05, 0.125));
    cJSON_AddItemToArray(t, threshold_json("requests>100", NULL, "requests", ">", 100, 3064));
    set(r, "thresholds", t);
    set(cJSON_GetObjectItem(r, "settings"), "seed", cJSON_CreateNumber(4503599627370495.0));
    char *html = render(r, err);
    CHECK(html != NULL);
    if (html) {
        CHECK(strstr(html, ">0.22%<") != NULL);
        CHECK(strstr(html, ">0.0022<") != NULL);
        CHECK(strstr(html, ">1.04ms<") != NULL);
        CHECK(strstr(html, ">0.00104s<") != NULL);
        CHECK(strstr(html, ">100us<") != NULL);
        CHECK(strstr(html, ">12.5%<") != NULL);
        CHECK(strstr(html, ">3064<") != NULL);
        CHECK(strstr(html, ">&lt; 1%<") && strstr(html, ">&lt; 0.01<") &&
              strstr(html, ">&lt; 50ms<") && strstr(html, ">&lt; 1s<"));
        CHECK(strstr(html, ">4503599627370495<") != NULL);
    }
    free(html);
    cJSON_Delete(r);
}

/* Without a TLS handshake (plain http) the page says so rather than
 * drawing an empty chart. */
static void test_no_tls(void)
{
    char err[THRONG__ERRMSG_LEN];
    cJSON *r = sample_report(), *g;
    cJSON_DeleteItemFromObject(cJSON_GetObjectItem(r, "totals"), "tls");
    cJSON_ArrayForEach(g, cJSON_GetObjectItem(r, "groups"))
        cJSON_DeleteItemFromObject(cJSON_GetObjectItem(g, "totals"), "tls");
    char *html = render(r, err);
    CHECK(html && !strstr(html, "chart-tls-distribution"));
    CHECK(html && strstr(html, "no group made a TLS handshake") != NULL);
    CHECK(html && strstr(html, "chart-connect-distribution") != NULL);
    free(html);
    cJSON_Delete(r);

    /* One group of two over https: the run's handshakes are that group's,
     * drawn once. */
    r = sample_report();
    cJSON *groups = cJSON_GetObjectItem(r, "groups");
    cJSON *table = cJSON_GetObjectItem(cJSON_GetArrayItem(groups, 0), "totals");
    cJSON_DeleteItemFromObject(cJSON_GetObjectItem(cJSON_GetArrayItem(groups, 1), "totals"), "tls");
    set(cJSON_GetObjectItem(r, "totals"), "tls",
        cJSON_Duplicate(cJSON_GetObjectItem(table, "tls"), 1));
    html = render(r, err);
    char *tls = chart_of(html ? html : "", "tls-distribution");
    CHECK_INT(count_of(tls, "<polyline"), 1);
    CHECK(strstr(tls, ">all handshakes<") != NULL);
    free(tls);
    free(html);
    cJSON_Delete(r);
}

/* Numbers that cJSON reads as infinities (1e999) count as missing. */
static void test_overflowing_numbers(void)
{
    static const char text[] =
        "{\"format\":\"throng-report\",\"version\":1,\"throng\":\"0.1.0\","
        "\"started_at\":\"2026-11-22T00:57:27Z\",\"elapsed\":1e999,\"ending\":\"duration\","
        "\"ending_text\":\"duration reached\",\"settings\":{\"duration\":-1e999},"
        "\"groups\":[{\"name\":\"g\",\"totals\":{\"requests\":1e999},\"names\":[]}],"
        "\"totals\":{\"requests\":1e999,\"rate\":1e999,\"status\":{\"200\":1e999},"
        "\"latency\":{\"p50\":1e999,\"buckets\":[[0,1e999,5],[1,2,1e999],[3,4,2]]}},"
        "\"series\":[{\"t\":1e999,\"requests\":1e999,\"p50\":1e999},{\"t\":2,\"requests\":3,"
        "\"p50\":-1e999,\"p90\":0.001}],"
        "\"thresholds\":[{\"expression\":\"p99<1ms\",\"metric\":\"p99\",\"op\":\"<\","
        "\"limit\":1e999,\"value\":1e999,\"passed\":false}],"
        "\"processes\":{\"started\":1e999,\"lost\":1e999,\"sample\":\"\"}}";
    char err[THRONG__ERRMSG_LEN];
    cJSON *r = cJSON_Parse(text);
    CHECK(r != NULL);
    char *html = render(r, err);
    CHECK(html != NULL);
    if (html) check_page(html);
    free(html);
    cJSON_Delete(r);
}

/* Latencies in the tables: three significant digits in a readable unit. */
static void test_latency_format(void)
{
    static const char text[] =
        "{\"format\":\"throng-report\",\"version\":1,\"groups\":[{\"name\":\"g\",\"names\":[{"
        "\"name\":\"fixed\",\"requests\":1234567,\"latency\":{\"mean\":0.0000005,"
        "\"p50\":0.000845,\"p90\":0.00123,\"p99\":2.01,\"p999\":0.9996,\"max\":0.0999}}]}],"
        "\"totals\":{},\"series\":[]}";
    char err[THRONG__ERRMSG_LEN];
    cJSON *r = cJSON_Parse(text);
    char *html = render(r, err);
    CHECK(html != NULL);
    if (html) {
        check_page(html);
        CHECK(strstr(html, ">1,234,567<") != NULL);
        CHECK(strstr(html, ">500ns<") != NULL);
        CHECK(strstr(html, ">845us<") != NULL);
        CHECK(strstr(html, ">1.23ms<") != NULL);
        CHECK(strstr(html, ">2.01s<") != NULL);
        CHECK(strstr(html, ">1.00s<") != NULL); /* 999.6ms rounds up a unit */
        CHECK(strstr(html, ">99.9ms<") != NULL);
    }
    free(html);
    cJSON_Delete(r);
}

/* Refuses text without rendering anything, with a message holding want. */
static void check_refused(const char *text, const char *want)
{
    char err[THRONG__ERRMSG_LEN];
    cJSON *r = cJSON_Parse(text);
    throng__buf_t b = {0};
    CHECK(r != NULL);
    err[0] = '\0';
    CHECK_INT(throng__render_html(r, &b, err), -1);
    CHECK_INT(b.len, 0);
    if (!strstr(err, want)) {
        fprintf(stderr, "%s\n  -> '%s', expected a message holding '%s'\n", text, err, want);
        CHECK(!"refused with a reason");
    }
    throng__buf_free(&b);
    cJSON_Delete(r);
}

/* Documents that are not version 1 reports. */
static void test_refused(void)
{
    check_refused("{\"x\":1}", "not a throng report");
    check_refused("[1,2]", "not a JSON object");
    check_refused("{\"format\":\"throng-report\"}", "version");
    check_refused("{\"format\":\"throng-report\",\"version\":2,\"groups\":[],\"totals\":{},"
                  "\"series\":[]}",
                  "version 2");
    check_refused("{\"format\":\"throng-report\",\"version\":1,\"groups\":{},\"totals\":{},"
                  "\"series\":[]}",
                  "groups");
}

/* Appends to a buffer that already holds text, and leaves it whole when
 * refusing. */
static void test_appends(void)
{
    char err[THRONG__ERRMSG_LEN];
    throng__buf_t b = {0};
    cJSON *r = sample_report(), *bad = cJSON_Parse("{\"x\":1}");
    throng__buf_puts(&b, "before");
    CHECK_INT(throng__render_html(bad, &b, err), -1);
    CHECK_INT(b.len, 6);
    CHECK_INT(throng__render_html(r, &b, err), 0);
    CHECK(b.len > 6 && strncmp(b.data, "before<!DOCTYPE html>", 21) == 0);
    throng__buf_free(&b);
    cJSON_Delete(bad);
    cJSON_Delete(r);
}

int main(int argc, char **argv)
{
    test_sample(argc > 1 ? argv[1] : NULL, argc > 2 ? argv[2] : NULL);
    test_stable();
    test_empty();
    test_edges();
    test_whole_seconds();
    test_group_lines();
    test_threshold_units();
    test_no_tls();
    test_overflowing_numbers();
    test_latency_format();
    test_refused();
    test_appends();
    return check_result("test_render_html");
}
