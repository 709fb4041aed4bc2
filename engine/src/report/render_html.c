/* render_html.c - the HTML report (render_html.h).
 *
 * One pass over the parsed report writes the page: a header, the settings
 * and groups, a summary table per group, the charts, status codes, faults,
 * thresholds and worker processes. Fields that are missing or of the wrong
 * type read as 0 or "", so a report from a slightly different writer still
 * gives a page; only the format and version are checked.
 *
 * Charts are SVG drawn here, each with a viewBox and width 100% so that it
 * takes the page's width: lines of (x, y) points on two axes starting at
 * 0, with ticks at "nice" values (1, 2 or 5 times a power of ten). The
 * per-second charts draw the run's whole seconds only, their time axis
 * ending at the last one. The distributions (latency, time to first byte,
 * connect and TLS handshake times) put -log10(1 - q) on x, so that 90%,
 * 99%, 99.9% ... are evenly spaced. Every coordinate is clamped into the plot area, which
 * also turns NaN into a number, and printed with one decimal, so the same
 * report always gives the same page. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/render_html.h"

/* ------------------------------------------------------------ writing */

typedef struct {
    throng__buf_t *out;
    int ngroups;
    int failed; /* memory ran out: the page is incomplete */
} page_t;

/* Room for any one formatted number or short label. */
typedef char text_t[64];

/* Appends s, remembering a failure instead of returning it, so that the
 * page can be written without checking every line. */
static void put(page_t *p, const char *s)
{
    if (!p->failed && throng__buf_puts(p->out, s) != 0) p->failed = 1;
}

/* Appends formatted text (a va_list twin of throng__buf_printf). */
static void __attribute__((format(printf, 2, 3))) putf(page_t *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (p->failed || n < 0 || throng__buf_reserve(p->out, (size_t)n + 1) != 0) {
        p->failed = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(p->out->data + p->out->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    p->out->len += (size_t)n;
}

/* The entity for a character that cannot appear as itself in text or in a
 * quoted attribute, NULL for the others. */
static const char *entity(unsigned char c)
{
    switch (c) {
    case '&':
        return "&amp;";
    case '<':
        return "&lt;";
    case '>':
        return "&gt;";
    case '"':
        return "&quot;";
    case '\'':
        return "&#39;";
    }
    /* Control characters are not allowed in HTML text: a space will do. */
    return c < 0x20 && c != '\n' && c != '\t' ? " " : NULL;
}

/* Appends s HTML-escaped, at most max bytes of it (cut at a character
 * boundary, with an ellipsis) when max is not 0. */
static void put_esc_max(page_t *p, const char *s, size_t max)
{
    size_t len = strlen(s), cut = len;
    if (max && len > max) {
        cut = max;
        while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
            cut--;
    }
    size_t run = 0; /* bytes waiting to be copied as they are */
    for (size_t i = 0; i < cut; i++) {
        const char *e = entity((unsigned char)s[i]);
        if (!e) {
            run++;
            continue;
        }
        if (!p->failed && throng__buf_append(p->out, s + i - run, run) != 0) p->failed = 1;
        put(p, e);
        run = 0;
    }
    if (!p->failed && throng__buf_append(p->out, s + cut - run, run) != 0) p->failed = 1;
    if (cut < len) put(p, "&#8230;");
}

/* Appends s HTML-escaped. */
static void put_esc(page_t *p, const char *s)
{
    put_esc_max(p, s, 0);
}

/* ------------------------------------------------------------ reading */

/* A member of an object, NULL when o is not an object or lacks it. */
static const cJSON *field(const cJSON *o, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(o, key);
}

/* A number field, 0 when missing, not a number or not finite. */
static double num(const cJSON *o, const char *key)
{
    const cJSON *v = field(o, key);
    return cJSON_IsNumber(v) && isfinite(v->valuedouble) ? v->valuedouble : 0;
}

/* A string field, "" when missing or not a string. */
static const char *str(const cJSON *o, const char *key)
{
    const cJSON *v = field(o, key);
    return cJSON_IsString(v) && v->valuestring ? v->valuestring : "";
}

/* Refuses anything but a version 1 report, saying why. */
static int check_report(const cJSON *r, char *err)
{
    if (!cJSON_IsObject(r)) return throng__fail(err, -1, "not a throng report: not a JSON object");
    if (strcmp(str(r, "format"), "throng-report") != 0)
        return throng__fail(err, -1, "not a throng report: no \"format\": \"throng-report\"");
    const cJSON *v = field(r, "version");
    if (!cJSON_IsNumber(v))
        return throng__fail(err, -1, "not a throng report: no \"version\" number");
    if (v->valuedouble != 1)
        return throng__fail(err, -1, "a version %g throng report: this renderer reads version 1",
                            v->valuedouble);
    if (!cJSON_IsArray(field(r, "groups")) || !cJSON_IsObject(field(r, "totals")) ||
        !cJSON_IsArray(field(r, "series")))
        return throng__fail(err, -1,
                            "not a version 1 throng report: \"groups\", \"totals\" and "
                            "\"series\" are missing or not of their type");
    return 0;
}

/* ------------------------------------------------------------ numbers */

/* "845us", "1.23ms", "2.01s": three significant digits in the largest unit
 * that keeps the number at least 1. */
static const char *fmt_time(text_t t, double s)
{
    static const struct {
        double scale;
        const char *unit;
    } units[] = {{1e9, "ns"}, {1e6, "us"}, {1e3, "ms"}, {1, "s"}};
    if (!(s > 0) || !isfinite(s)) return strcpy(t, "0");
    int u = 0;
    while (u < 3 && s * units[u].scale >= 999.5)
        u++;
    double v = s * units[u].scale;
    int decimals = v < 9.995 ? 2 : v < 99.95 ? 1 : 0;
    snprintf(t, sizeof(text_t), "%.*f%s", decimals, v, units[u].unit);
    return t;
}

/* An integer count with thousands separators: "1,234,567". */
static const char *fmt_count(text_t t, double v)
{
    if (!isfinite(v) || fabs(v) >= 1e15) {
        snprintf(t, sizeof(text_t), "%.4g", isfinite(v) ? v : 0);
        return t;
    }
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%.0f", fabs(v)), o = 0;
    if (v <= -0.5) t[o++] = '-';
    for (int i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0) t[o++] = ',';
        t[o++] = digits[i];
    }
    t[o] = '\0';
    return t;
}

/* Requests per second: one decimal below 1000, a grouped count above. */
static const char *fmt_rate(text_t t, double v)
{
    if (fabs(v) < 1000)
        snprintf(t, sizeof(text_t), "%.1f", v);
    else
        fmt_count(t, v);
    return t;
}

/* "512 B", "1.5 MB". */
static const char *fmt_bytes(text_t t, double b)
{
    static const char *unit[] = {"B", "KB", "MB", "GB", "TB", "PB"};
    int i = 0;
    while (b >= 1000 && i < 5)
        b /= 1000, i++;
    snprintf(t, sizeof(text_t), i ? "%.1f %s" : "%.0f %s", b, unit[i]);
    return t;
}

/* A plain number as given: an integer without decimals. */
static const char *fmt_num(text_t t, double v)
{
    if (v == floor(v) && fabs(v) <= 9007199254740992.0) /* every such integer is exact */
        snprintf(t, sizeof(text_t), "%.0f", v);
    else
        snprintf(t, sizeof(text_t), "%g", v);
    return t;
}

/* The seed as the integer it is, every digit of it and no separators,
 * so that it can be given back to --seed as shown. */
static const char *fmt_seed(text_t t, double v)
{
    if (v >= 0 && v == floor(v) && v < 1e20)
        snprintf(t, sizeof(text_t), "%.0f", v);
    else
        snprintf(t, sizeof(text_t), "%.17g", v);
    return t;
}

/* The run's length: "5.00s", "2m 05s", "1h 02m 03s". */
static const char *fmt_elapsed(text_t t, double s)
{
    if (!(s >= 60) || s >= 1e9) {
        snprintf(t, sizeof(text_t), "%.2fs", s >= 0 ? s : 0);
        return t;
    }
    long n = lround(s), h = n / 3600, m = n / 60 % 60, sec = n % 60;
    if (h)
        snprintf(t, sizeof(text_t), "%ldh %02ldm %02lds", h, m, sec);
    else
        snprintf(t, sizeof(text_t), "%ldm %02lds", m, sec);
    return t;
}

/* A latency of a statistics object (key of its histogram), or a dash when
 * it has no response, so that nothing reads as a latency of 0. Written as
 * HTML. */
static const char *fmt_latency(text_t t, const cJSON *st, const char *key)
{
    if (!(num(st, "requests") > 0)) return strcpy(t, "&ndash;");
    return fmt_time(t, num(field(st, "latency"), key));
}

/* ------------------------------------------------------------ page frame */

static const char page_style[] =
    "body{margin:0 auto;max-width:1600px;padding:20px 28px 40px;color:#1f2328;"
    "background:#fff;font:14px/1.45 system-ui,-apple-system,\"Segoe UI\",Roboto,"
    "\"Helvetica Neue\",Arial,sans-serif}\n"
    "h1{font-size:26px;margin:8px 0 2px}\n"
    "h2{font-size:18px;margin:30px 0 10px;padding-bottom:4px;border-bottom:1px solid #d0d7de}\n"
    "h3{font-size:15px;margin:18px 0 6px}\n"
    ".meta{color:#57606a;margin:0 0 14px}\n"
    ".meta b{color:#1f2328;font-weight:600}\n"
    ".kpis{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0}\n"
    ".kpi{border:1px solid #d0d7de;border-radius:6px;padding:5px 12px;min-width:72px}\n"
    ".kpi span{display:block;color:#57606a;font-size:12px}\n"
    ".kpi b{font-size:18px;font-variant-numeric:tabular-nums}\n"
    "table{border-collapse:collapse;margin:4px 0 12px;font-size:13px}\n"
    "th,td{border:1px solid #d0d7de;padding:4px 9px;text-align:left;vertical-align:top}\n"
    "th{background:#f6f8fa;font-weight:600}\n"
    ".n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
    "tr.total td{font-weight:600;background:#f6f8fa}\n"
    "code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,\"Liberation Mono\","
    "monospace;font-size:12px}\n"
    ".sample{max-width:520px;overflow-wrap:anywhere}\n"
    ".good{color:#1a7f37}.bad{color:#cf222e}\n"
    ".pass,.fail{display:inline-block;padding:0 8px;border-radius:10px;font-weight:700;"
    "font-size:12px;color:#fff}\n"
    ".pass{background:#1a7f37}.fail{background:#cf222e}\n"
    ".none{color:#57606a;font-style:italic}\n"
    "svg.chart{display:block;width:100%;height:auto;margin:6px 0 18px;"
    "border:1px solid #d0d7de;border-radius:6px;background:#fff}\n"
    "svg.chart text{font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,Arial,sans-serif;"
    "font-size:11px;fill:#57606a}\n"
    "svg.chart .title{font-size:14px;font-weight:600;fill:#1f2328}\n"
    "svg.chart .label{font-size:12px;fill:#1f2328}\n"
    "svg.chart .nodata{font-size:16px}\n"
    "svg.chart .grid{stroke:#eaeef2;stroke-width:1}\n"
    "svg.chart .axis{stroke:#8c959f;stroke-width:1;fill:none}\n"
    "svg.chart .ln{fill:none;stroke-width:1.8;stroke-linejoin:round;stroke-linecap:round}\n"
    "footer{margin-top:36px;color:#57606a;font-size:12px}\n";

/* From the doctype to the opening of the body. */
static void page_open(page_t *p, const cJSON *r)
{
    put(p, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
           "<title>throng report ");
    put_esc(p, str(r, "started_at"));
    put(p, "</title>\n<style>\n");
    put(p, page_style);
    put(p, "</style>\n</head>\n<body>\n");
}

/* The footer and the end of the page. */
static void page_close(page_t *p, const cJSON *r)
{
    put(p, "<footer>A run of throng ");
    put_esc(p, str(r, "throng"));
    put(p, ", drawn from its JSON report (version 1).</footer>\n</body>\n</html>\n");
}

/* ------------------------------------------------------------ header */

/* How many thresholds passed and failed. */
static void count_thresholds(const cJSON *r, int *passed, int *failed)
{
    const cJSON *t;
    *passed = *failed = 0;
    cJSON_ArrayForEach(t, field(r, "thresholds"))
    {
        if (cJSON_IsTrue(field(t, "passed")))
            ++*passed;
        else
            ++*failed;
    }
}

/* One headline number. */
static void kpi(page_t *p, const char *name, const char *value, const char *cls)
{
    putf(p, "<div class=\"kpi\"><span>%s</span><b%s%s%s>%s</b></div>\n", name,
         cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "", value);
}

/* The run at a glance: requests, rate, failures, latency, thresholds. */
static void header_kpis(page_t *p, const cJSON *r)
{
    const cJSON *tot = field(r, "totals");
    text_t t;
    put(p, "<div class=\"kpis\">\n");
    kpi(p, "requests", fmt_count(t, num(tot, "requests")), NULL);
    kpi(p, "per second", fmt_rate(t, num(tot, "rate")), NULL);
    kpi(p, "failures", fmt_count(t, num(tot, "failures")), num(tot, "failures") > 0 ? "bad" : NULL);
    kpi(p, "p50", fmt_latency(t, tot, "p50"), NULL);
    kpi(p, "p99", fmt_latency(t, tot, "p99"), NULL);
    kpi(p, "max", fmt_latency(t, tot, "max"), NULL);
    int passed, failed;
    count_thresholds(r, &passed, &failed);
    if (passed + failed) {
        snprintf(t, sizeof t, "%d of %d passed", passed, passed + failed);
        kpi(p, "thresholds", t, failed ? "bad" : "good");
    }
    put(p, "</div>\n");
}

/* Whose figures these are: a shard of a run, a run's shards merged, or
 * separate runs side by side (as the text report's header says). */
static void run_meta(page_t *p, const cJSON *r)
{
    const cJSON *run = field(r, "run"), *merge = field(r, "merge");
    const cJSON *merged = field(run, "merged"), *missing = field(run, "missing"), *x;
    if (cJSON_IsArray(merged)) {
        put(p, "<p class=\"meta\">run <b>");
        put_esc(p, str(run, "id"));
        putf(p, "</b>: %d of %.0f shards merged exactly", cJSON_GetArraySize(merged),
             num(run, "shards"));
        const char *sep = " &middot; <b class=\"bad\">missing ";
        cJSON_ArrayForEach(x, missing)
        {
            putf(p, "%s%.0f", sep, cJSON_IsNumber(x) ? x->valuedouble : -1);
            sep = ", ";
        }
        put(p, cJSON_GetArraySize(missing) > 0 ? "</b></p>\n" : "</p>\n");
    } else if (num(run, "shards") > 1) {
        put(p, "<p class=\"meta\">run <b>");
        put_esc(p, str(run, "id"));
        putf(p, "</b>: shard <b>%.0f</b> of %.0f (from 0)</p>\n", num(run, "shard"),
             num(run, "shards"));
    }
    if (strcmp(str(merge, "kind"), "side-by-side") == 0)
        putf(p,
             "<p class=\"meta\">merged side by side: %.0f reports of separate runs, their "
             "counts added (not one run's shards)</p>\n",
             num(merge, "reports"));
}

/* The title, when and how the run went. */
static void header(page_t *p, const cJSON *r)
{
    text_t t;
    put(p, "<header>\n<h1>throng report</h1>\n<p class=\"meta\">started <b>");
    put_esc(p, str(r, "started_at"));
    putf(p, "</b> &middot; elapsed <b>%s</b> &middot; ended: <b>",
         fmt_elapsed(t, num(r, "elapsed")));
    put_esc(p, str(r, "ending_text"));
    put(p, "</b> &middot; throng <b>");
    put_esc(p, str(r, "throng"));
    put(p, "</b></p>\n");
    run_meta(p, r);
    header_kpis(p, r);
    put(p, "</header>\n");
}

/* ------------------------------------------------------------ settings */

/* The run's settings, one column each. */
static void settings_table(page_t *p, const cJSON *r)
{
    const cJSON *s = field(r, "settings");
    text_t a, b, c, d, e, f;
    double duration = num(s, "duration"), max_requests = num(s, "max_requests");
    put(p, "<h2>Settings</h2>\n<table>\n<tr><th>duration</th><th>max requests</th>"
           "<th>timeout</th><th>connect timeout</th><th>on fault</th><th>processes</th>"
           "<th>once</th><th>seed</th></tr>\n");
    snprintf(a, sizeof a, "%gs", duration);
    snprintf(c, sizeof c, "%gs", num(s, "timeout"));
    snprintf(d, sizeof d, "%gs", num(s, "connect_timeout"));
    putf(p,
         "<tr><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
         "<td class=\"n\">%s</td><td>",
         duration > 0 ? a : "none", max_requests > 0 ? fmt_count(b, max_requests) : "none", c, d);
    put_esc(p, str(s, "on_fault"));
    putf(p, "</td><td class=\"n\">%s</td><td>%s</td><td class=\"n\">%s</td></tr>\n</table>\n",
         fmt_num(e, num(s, "processes")), cJSON_IsTrue(field(s, "once")) ? "yes" : "no",
         fmt_seed(f, num(s, "seed")));
}

/* One group's configuration as a table row. */
/* The group's load model in words: "open, 200/s (poisson), pool up to 1000",
 * "closed, stages 30s:100, 5m:100, 30s:0", "closed". */
static void load_cell(page_t *p, const cJSON *load)
{
    const cJSON *stages = field(load, "stages"), *st;
    int open = strcmp(str(load, "model"), "open") == 0, first = 1;
    put(p, open ? "open" : "closed");
    if (open && num(load, "rate") > 0) putf(p, ", %g/s", num(load, "rate"));
    if (open) {
        put(p, " (");
        put_esc(p, str(load, "arrivals"));
        put(p, ")");
    }
    cJSON_ArrayForEach(st, stages)
    {
        putf(p, "%s%gs:%g%s", first ? ", stages " : ", ", num(st, "duration"), num(st, "target"),
             open ? "/s" : "");
        first = 0;
    }
    if (open && num(load, "max_clients") > 0) putf(p, ", pool up to %g", num(load, "max_clients"));
    if (num(load, "ramp_up") > 0) putf(p, ", ramp-up %gs", num(load, "ramp_up"));
    if (num(load, "expected_interval") > 0)
        putf(p, ", expected interval %gs", num(load, "expected_interval"));
}

static void group_row(page_t *p, const cJSON *g)
{
    text_t a, b, c;
    put(p, "<tr><td>");
    put_esc(p, str(g, "name"));
    put(p, "</td><td class=\"mono\">");
    put_esc(p, str(g, "persona"));
    put(p, "</td><td class=\"mono\">");
    put_esc(p, str(g, "server"));
    put(p, "</td><td>");
    put_esc(p, str(g, "style"));
    putf(p, "</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>",
         fmt_count(a, num(g, "clients")), fmt_count(b, num(g, "threads")),
         fmt_count(c, num(g, "request_count")));
    putf(p, "<td class=\"n\">%gs</td><td>", num(g, "slow_down"));
    load_cell(p, field(g, "load"));
    put(p, "</td></tr>\n");
}

/* One group's activity: sessions, connections, clients, bytes. */
static void activity_row(page_t *p, const cJSON *g)
{
    const cJSON *tot = field(g, "totals");
    text_t a, b, c, d, e, f, h, i, j;
    put(p, "<tr><td>");
    put_esc(p, str(g, "name"));
    putf(p,
         "</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
         "<td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>",
         fmt_count(a, num(g, "sessions")), fmt_count(b, num(g, "connects")),
         fmt_count(c, num(g, "clients_active")), fmt_count(d, num(g, "clients_finished")),
         fmt_count(j, num(g, "clients_faulted")), fmt_count(e, num(g, "cancelled")));
    putf(p, "<td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td></tr>\n",
         fmt_count(f, num(tot, "sent")), fmt_bytes(h, num(tot, "bytes_sent")),
         fmt_bytes(i, num(tot, "bytes_received")));
}

/* A percentile of one of a statistics object's histograms, or a dash
 * when it holds nothing. Written as HTML. */
static const char *fmt_hist(text_t t, const cJSON *st, const char *hist, const char *key)
{
    const cJSON *h = field(st, hist);
    if (!(num(h, "count") > 0)) return strcpy(t, "&ndash;");
    return fmt_time(t, num(h, key));
}

/* How long connecting and the TLS handshake took, per group: the TLS
 * columns read "&ndash;" for a plain http:// group. */
static void connections_table(page_t *p, const cJSON *r)
{
    const cJSON *g;
    put(p, "<table>\n<tr><th>group</th><th>connect p50</th><th>connect p99</th>"
           "<th>connect max</th><th>tls handshakes</th><th>tls resumed</th><th>tls p50</th>"
           "<th>tls p90</th><th>tls p99</th><th>tls max</th></tr>\n");
    cJSON_ArrayForEach(g, field(r, "groups"))
    {
        const cJSON *tot = field(g, "totals");
        text_t a, b, c, d, e, f, h, i, j;
        put(p, "<tr><td>");
        put_esc(p, str(g, "name"));
        putf(p,
             "</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
             "<td class=\"n\">%s</td><td class=\"n\">%s</td>",
             fmt_hist(a, tot, "connect", "p50"), fmt_hist(b, tot, "connect", "p99"),
             fmt_hist(c, tot, "connect", "max"), fmt_count(d, num(g, "tls_handshakes")),
             fmt_count(e, num(g, "tls_resumed")));
        putf(p,
             "<td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
             "<td class=\"n\">%s</td></tr>\n",
             fmt_hist(f, tot, "tls", "p50"), fmt_hist(h, tot, "tls", "p90"),
             fmt_hist(i, tot, "tls", "p99"), fmt_hist(j, tot, "tls", "max"));
    }
    put(p, "</table>\n");
}

/* Every group: how it was set up, then what its clients did. */
static void groups_tables(page_t *p, const cJSON *r)
{
    const cJSON *g;
    put(p, "<h2>Groups</h2>\n<table>\n<tr><th>group</th><th>persona</th><th>server</th>"
           "<th>style</th><th>clients</th><th>threads</th><th>requests per session</th>"
           "<th>slow down</th><th>load model</th></tr>\n");
    cJSON_ArrayForEach(g, field(r, "groups")) group_row(p, g);
    put(p, "</table>\n<table>\n<tr><th>group</th><th>sessions</th><th>connections</th>"
           "<th>clients active</th><th>clients finished</th><th>clients faulted</th>"
           "<th>cancelled</th>"
           "<th>requests sent</th><th>data sent</th><th>data received</th></tr>\n");
    cJSON_ArrayForEach(g, field(r, "groups")) activity_row(p, g);
    put(p, "</table>\n");
    connections_table(p, r);
}

/* ------------------------------------------------------------ summary */

/* One statistics object as a row: label, counts, latency percentiles. */
static void stats_row(page_t *p, const char *label, const cJSON *st, int total)
{
    double failures = num(st, "failures");
    text_t a, b, c, d, e, f, g, h, i;
    put(p, total ? "<tr class=\"total\"><td>" : "<tr><td>");
    put_esc(p, label);
    putf(p, "</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n%s\">%s</td>",
         fmt_count(a, num(st, "requests")), fmt_rate(b, num(st, "rate")),
         failures > 0 ? " bad" : "", fmt_count(c, failures));
    putf(p,
         "<td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
         "<td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td></tr>\n",
         fmt_latency(d, st, "mean"), fmt_latency(e, st, "p50"), fmt_latency(f, st, "p90"),
         fmt_latency(g, st, "p99"), fmt_latency(h, st, "p999"), fmt_latency(i, st, "max"));
}

/* The head of a summary table, whose first column is named first. */
static void stats_head(page_t *p, const char *first)
{
    putf(p,
         "<table>\n<tr><th>%s</th><th>requests</th><th>per second</th><th>failures</th>"
         "<th>mean</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th>"
         "</tr>\n",
         first);
}

/* A group's transactions (as request rows: count, rate, failures, wall
 * times) and checks (passes, fails, pass rate), when it has any. */
static void txn_and_check_tables(page_t *p, const cJSON *g)
{
    const cJSON *n;
    if (cJSON_GetArraySize(field(g, "transactions")) > 0) {
        put(p, "<table>\n<tr><th>transaction</th><th>count</th><th>per second</th>"
               "<th>failures</th><th>mean</th><th>p50</th><th>p90</th><th>p99</th>"
               "<th>p99.9</th><th>max</th></tr>\n");
        cJSON_ArrayForEach(n, field(g, "transactions"))
        {
            double failures = num(n, "failures");
            text_t a, b, c, d, e, f, h, i, k;
            put(p, "<tr><td>");
            put_esc(p, str(n, "name"));
            putf(p, "</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n%s\">%s</td>",
                 fmt_count(a, num(n, "count")), fmt_rate(b, num(n, "rate")),
                 failures > 0 ? " bad" : "", fmt_count(c, failures));
            putf(p,
                 "<td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
                 "<td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td></tr>\n",
                 fmt_latency(d, n, "mean"), fmt_latency(e, n, "p50"), fmt_latency(f, n, "p90"),
                 fmt_latency(h, n, "p99"), fmt_latency(i, n, "p999"), fmt_latency(k, n, "max"));
        }
        put(p, "</table>\n");
    }
    if (cJSON_GetArraySize(field(g, "checks")) > 0) {
        put(p, "<table>\n<tr><th>check</th><th>passes</th><th>fails</th><th>pass rate</th></tr>\n");
        cJSON_ArrayForEach(n, field(g, "checks"))
        {
            double pass = num(n, "passes"), fail = num(n, "fails");
            text_t a, b;
            put(p, "<tr><td>");
            put_esc(p, str(n, "name"));
            putf(p,
                 "</td><td class=\"n\">%s</td><td class=\"n%s\">%s</td>"
                 "<td class=\"n\">%.2f%%</td></tr>\n",
                 fmt_count(a, pass), fail > 0 ? " bad" : "", fmt_count(b, fail),
                 pass + fail > 0 ? 100 * pass / (pass + fail) : 0.0);
        }
        put(p, "</table>\n");
    }
}

/* A group's requests by name, then the group's total. */
static void group_summary(page_t *p, const cJSON *g)
{
    const cJSON *n;
    put(p, "<h3>group ");
    put_esc(p, str(g, "name"));
    put(p, "</h3>\n");
    stats_head(p, "request name");
    cJSON_ArrayForEach(n, field(g, "names")) stats_row(p, str(n, "name"), n, 0);
    stats_row(p, "total", field(g, "totals"), 1);
    put(p, "</table>\n");
    txn_and_check_tables(p, g);
}

/* A summary table per group, then one of every group's total and the
 * run's (only with several groups: with one, its total is the run's). */
static void summary_tables(page_t *p, const cJSON *r)
{
    const cJSON *g;
    put(p, "<h2>Requests and latency</h2>\n");
    cJSON_ArrayForEach(g, field(r, "groups")) group_summary(p, g);
    if (p->ngroups == 1) return;
    put(p, "<h3>all groups</h3>\n");
    stats_head(p, "group");
    cJSON_ArrayForEach(g, field(r, "groups")) stats_row(p, str(g, "name"), field(g, "totals"), 0);
    stats_row(p, "all", field(r, "totals"), 1);
    put(p, "</table>\n");
}

/* ------------------------------------------------------------ status */

/* The status code a key of "status" names, -1 when it is not one. */
static int status_code(const char *key)
{
    char *end;
    long v = strtol(key, &end, 10);
    return end != key && *end == '\0' && v >= 0 && v <= 999 ? (int)v : -1;
}

/* How many responses of a status code a statistics object holds. */
static double status_count(const cJSON *st, int code)
{
    char key[8];
    snprintf(key, sizeof key, "%d", code);
    return num(field(st, "status"), key);
}

/* One status code's row: per group when there are several, then all. */
static void status_row(page_t *p, const cJSON *r, int code, double all)
{
    const cJSON *g;
    text_t t;
    double n = status_count(field(r, "totals"), code);
    const char *cls = code >= 200 && code < 400 ? "good" : code >= 400 ? "bad" : "";
    putf(p, "<tr><td class=\"%s\">%d</td>", cls, code);
    if (p->ngroups > 1) {
        cJSON_ArrayForEach(g, field(r, "groups"))
        {
            fmt_count(t, status_count(field(g, "totals"), code));
            putf(p, "<td class=\"n\">%s</td>", t);
        }
    }
    putf(p, "<td class=\"n\">%s</td>", fmt_count(t, n));
    putf(p, "<td class=\"n\">%.1f%%</td></tr>\n", all > 0 ? 100 * n / all : 0);
}

/* Responses by status code, in numeric order. */
static void status_table(page_t *p, const cJSON *r)
{
    unsigned char seen[1000] = {0};
    double all = 0;
    const cJSON *s, *g;
    cJSON_ArrayForEach(s, field(field(r, "totals"), "status"))
    {
        int code = status_code(s->string);
        if (code >= 0 && cJSON_IsNumber(s) && isfinite(s->valuedouble))
            seen[code] = 1, all += s->valuedouble;
    }
    put(p, "<h2>Status codes</h2>\n");
    if (!(all > 0)) {
        put(p, "<p class=\"none\">No responses.</p>\n");
        return;
    }
    put(p, "<table>\n<tr><th>status</th>");
    if (p->ngroups > 1) {
        cJSON_ArrayForEach(g, field(r, "groups"))
        {
            put(p, "<th>");
            put_esc(p, str(g, "name"));
            put(p, "</th>");
        }
    }
    put(p, "<th>responses</th><th>share</th></tr>\n");
    for (int code = 0; code < 1000; code++)
        if (seen[code]) status_row(p, r, code, all);
    put(p, "</table>\n");
}

/* ------------------------------------------------------------ faults */

/* A group's faults, one row each. */
static void fault_rows(page_t *p, const cJSON *g)
{
    const cJSON *f;
    text_t t;
    cJSON_ArrayForEach(f, field(field(g, "totals"), "faults"))
    {
        put(p, "<tr>");
        if (p->ngroups > 1) {
            put(p, "<td>");
            put_esc(p, str(g, "name"));
            put(p, "</td>");
        }
        put(p, "<td>");
        put_esc(p, f->string ? f->string : "");
        putf(p, "</td><td class=\"n\">%s</td><td class=\"mono sample\">",
             fmt_count(t, num(f, "count")));
        put_esc_max(p, str(f, "sample"), 2000);
        put(p, "</td></tr>\n");
    }
}

/* Faults of every kind, with the first message of each. */
static void faults_table(page_t *p, const cJSON *r)
{
    const cJSON *g;
    int any = 0;
    cJSON_ArrayForEach(g, field(r, "groups"))
    {
        if (cJSON_GetArraySize(field(field(g, "totals"), "faults")) > 0) any = 1;
    }
    put(p, "<h2>Faults</h2>\n");
    if (!any) {
        put(p, "<p class=\"none\">No faults.</p>\n");
        return;
    }
    put(p, "<table>\n<tr>");
    if (p->ngroups > 1) put(p, "<th>group</th>");
    put(p, "<th>kind</th><th>count</th><th>first message</th></tr>\n");
    cJSON_ArrayForEach(g, field(r, "groups")) fault_rows(p, g);
    put(p, "</table>\n");
}

/* ------------------------------------------------------------ thresholds */

/* v with three significant digits, without an exponent nor trailing
 * zeros: "0.22", "1.04", "250", "0.00104". */
static const char *fmt_sig(text_t t, double v)
{
    if (!isfinite(v) || fabs(v) >= 1e15) {
        snprintf(t, sizeof(text_t), "%g", isfinite(v) ? v : 0);
        return t;
    }
    int decimals = v == 0 ? 0 : 2 - (int)floor(log10(fabs(v)));
    decimals = decimals < 0 ? 0 : decimals > 12 ? 12 : decimals;
    snprintf(t, sizeof(text_t), "%.*f", decimals, v);
    if (strchr(t, '.')) {
        size_t n = strlen(t);
        while (t[n - 1] == '0')
            t[--n] = '\0';
        if (t[n - 1] == '.') t[--n] = '\0';
    }
    if (strcmp(t, "-0") == 0) strcpy(t, "0");
    return t;
}

/* The limit of a threshold's expression as written, blanks left out
 * ("1%", "50ms", "1000"): what follows its < or > (and =). */
static void limit_text(text_t t, const char *expression)
{
    const char *s = strpbrk(expression, "<>");
    size_t n = 0;
    t[0] = '\0';
    if (!s) return;
    if (*++s == '=') s++;
    for (; *s && n + 1 < sizeof(text_t); s++)
        if (*s != ' ' && *s != '\t') t[n++] = *s;
    t[n] = '\0';
}

/* The seconds in one unit of a duration ("ms": 0.001), 0 for a unit that
 * is not one alone (a bare number, "1h30m"). */
static double unit_seconds(const char *unit)
{
    static const struct {
        const char *name;
        double seconds;
    } units[] = {{"ns", 1e-9}, {"us", 1e-6}, {"ms", 1e-3}, {"s", 1},
                 {"m", 60},    {"h", 3600},  {"d", 86400}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(unit, units[i].name) == 0) return units[i].seconds;
    return 0;
}

/* A threshold's measured value in the unit its limit was written in:
 * errors<1% measured as "0.22%", p99<50ms as "1.04ms", p99<1s as
 * "0.00104s"; in the metric's own terms when the limit has no unit of its
 * own (errors<0.01: a share, "0.0022"). */
static const char *fmt_measured(text_t t, const char *metric, double v, const char *limit)
{
    char *unit;
    strtod(limit, &unit);
    if (strcmp(unit, "%") == 0) {
        fmt_sig(t, v * 100);
        strcat(t, "%");
        return t;
    }
    const char *m = metric;
    if (strncmp(m, "service.", 8) == 0) m += 8;
    if (strncmp(m, "corrected.", 10) == 0) m += 10;
    int latency = strcmp(m, "mean") == 0 || strcmp(m, "avg") == 0 || strcmp(m, "min") == 0 ||
                  strcmp(m, "max") == 0 || (m[0] == 'p' && m[1] >= '0' && m[1] <= '9');
    double in = unit_seconds(unit);
    if (latency && in > 0) {
        fmt_sig(t, v / in);
        strcat(t, unit);
        return t;
    }
    if (latency) return fmt_time(t, v);
    if (strcmp(m, "errors") == 0) return fmt_sig(t, v);
    if (strcmp(m, "rate") == 0) {
        fmt_sig(t, v);
        if (strcmp(unit, "/s") == 0) strcat(t, "/s");
        return t;
    }
    return fmt_num(t, v);
}

/* One threshold: what was asked, what was measured, whether it held. The
 * limit is shown as written and the measured value in its unit. */
static void threshold_row(page_t *p, const cJSON *t)
{
    int passed = cJSON_IsTrue(field(t, "passed"));
    text_t v, l;
    limit_text(l, str(t, "expression"));
    if (cJSON_IsNumber(field(t, "value")))
        fmt_measured(v, str(t, "metric"), num(t, "value"), l);
    else
        snprintf(v, sizeof v, "never measured");
    put(p, "<tr><td class=\"mono\">");
    put_esc(p, str(t, "expression"));
    if (str(t, "note")[0]) { /* why it could not be measured */
        put(p, "<br><small>");
        put_esc_max(p, str(t, "note"), 200);
        put(p, "</small>");
    }
    put(p, "</td><td class=\"n\">");
    put_esc(p, v);
    put(p, "</td><td class=\"n\">");
    put_esc(p, str(t, "op"));
    put(p, " ");
    put_esc(p, l);
    putf(p, "</td><td><span class=\"%s\">%s</span></td></tr>\n", passed ? "pass" : "fail",
         passed ? "PASS" : "FAIL");
}

/* Every --threshold of the run, when there were some. */
static void thresholds_table(page_t *p, const cJSON *r)
{
    const cJSON *t, *all = field(r, "thresholds");
    if (cJSON_GetArraySize(all) == 0) return;
    put(p, "<h2>Thresholds</h2>\n<table>\n<tr><th>threshold</th><th>measured</th>"
           "<th>limit</th><th>result</th></tr>\n");
    cJSON_ArrayForEach(t, all) threshold_row(p, t);
    put(p, "</table>\n");
}

/* Worker processes (-p), when the run started some. */
static void processes_section(page_t *p, const cJSON *r)
{
    const cJSON *pr = field(r, "processes");
    double started = num(pr, "started"), lost = num(pr, "lost");
    text_t a, b;
    if (!(started > 0)) return;
    putf(p,
         "<h2>Worker processes</h2>\n<table>\n<tr><th>started</th><th>lost</th>"
         "<th>first loss</th></tr>\n<tr><td class=\"n\">%s</td><td class=\"n%s\">%s</td>"
         "<td class=\"mono sample\">",
         fmt_count(a, started), lost > 0 ? " bad" : "", fmt_count(b, lost));
    put_esc_max(p, str(pr, "sample"), 2000);
    put(p, "</td></tr>\n</table>\n");
}

/* ------------------------------------------------------------ charts */

#define SVG_W 1000.0
#define SVG_H 300.0
#define PLOT_LEFT 70.0
#define PLOT_RIGHT 960.0
#define PLOT_TOP 52.0
#define PLOT_BOTTOM 250.0
#define LEGEND_ROW 16.0 /* each extra row of the legend makes the chart this much taller */
#define CHART_LINES 8
#define MAX_DECADES 8 /* the percentile axis stops at 99.999999% */

static const char *const palette[CHART_LINES] = {"#0969da", "#cf222e", "#1a7f37", "#8250df",
                                                 "#bf8700", "#1b7c83", "#e16f24", "#6e7781"};

typedef struct {
    double hi, step; /* from 0 to hi, a tick every step */
    int percentile;  /* ticks are decades of nines: 0%, 90%, 99%, ... */
} axis_t;

typedef struct {
    const char *label, *color; /* label: text from the report, escaped when written */
    size_t n;
    const double *x, *y;       /* n points, in axis units */
    const unsigned char *skip; /* NULL, or 1 where a point is missing: the line breaks */
    int dashed;                /* drawn dashed, so that a line under another shows */
} line_t;

typedef struct {
    const char *id; /* the SVG's id is chart-ID */
    const char *title, *xlabel, *ylabel;
    axis_t x, y;
    line_t line[CHART_LINES];
    int nlines;    /* 0: no data */
    double top, h; /* the plot's top and the chart's height, after the legend */
} chart_t;

/* 1, 2 or 5 times a power of ten, at least raw (1 for nothing usable). */
static double nice_step(double raw)
{
    if (!(raw > 0) || !isfinite(raw)) return 1;
    double mag = pow(10, floor(log10(raw))), f = raw / mag;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

/* An axis from 0 to a round value at or above max, with about five ticks
 * of at least min_step (1 for counts, so that 0 requests gives 0..1). */
static void axis_fit(axis_t *a, double max, double min_step)
{
    if (!(max > 0) || !isfinite(max)) max = 0;
    a->percentile = 0;
    a->step = nice_step(max / 5);
    if (a->step < min_step) a->step = min_step;
    a->hi = ceil(max / a->step) * a->step;
    if (a->hi < a->step) a->hi = a->step;
    if (!isfinite(a->hi)) a->hi = max; /* near DBL_MAX */
}

/* The bottom of the plot area: lower by the legend's extra rows. */
static double plot_bottom(const chart_t *c)
{
    return PLOT_BOTTOM + (c->h - SVG_H);
}

/* The x coordinate of an axis value: clamped into the plot area, NaN too. */
static double px(const chart_t *c, double v)
{
    double f = v / c->x.hi;
    f = f > 0 ? (f < 1 ? f : 1) : 0;
    return PLOT_LEFT + f * (PLOT_RIGHT - PLOT_LEFT);
}

/* The y coordinate of an axis value, likewise clamped. */
static double py(const chart_t *c, double v)
{
    double f = v / c->y.hi;
    f = f > 0 ? (f < 1 ? f : 1) : 0;
    return plot_bottom(c) - f * (plot_bottom(c) - c->top);
}

/* A tick value: "0.5", "250", "1.5k", "20M". */
static void fmt_tick(text_t t, double v)
{
    static const char *suffix[] = {"", "k", "M", "G", "T"};
    int i = 0;
    while (i < 4 && fabs(v) >= 1000)
        v /= 1000, i++;
    snprintf(t, sizeof(text_t), "%g%s", v, suffix[i]);
}

/* A percentile tick: decade d is 1 - 10^-d: "0%", "90%", "99%", "99.9%". */
static void fmt_percentile_tick(text_t t, int d)
{
    if (d == 0)
        strcpy(t, "0%");
    else
        snprintf(t, sizeof(text_t), "%.*f%%", d > 2 ? d - 2 : 0, 100 * (1 - pow(10, -d)));
}

/* How many ticks past 0 an axis has (at most 20, whatever the numbers). */
static int tick_count(const axis_t *a)
{
    double n = floor(a->hi / a->step + 1e-9);
    return n > 0 ? (n < 20 ? (int)n : 20) : 0;
}

/* The estimated width of a legend entry: a swatch and its label. */
static double legend_width(const char *label)
{
    size_t n = strlen(label);
    return 34 + 6.5 * (double)(n < 40 ? n : 40);
}

/* Lays the legend out in rows under the title, growing the chart by the
 * rows past the first. */
static void chart_layout(chart_t *c)
{
    double x = PLOT_LEFT;
    int rows = 1;
    for (int i = 0; i < c->nlines; i++) {
        double w = legend_width(c->line[i].label);
        if (x > PLOT_LEFT && x + w > PLOT_RIGHT) x = PLOT_LEFT, rows++;
        x += w;
    }
    c->h = SVG_H + LEGEND_ROW * (rows - 1);
    c->top = PLOT_TOP + LEGEND_ROW * (rows - 1);
}

/* The legend: a swatch and a label for every line, in rows. */
static void chart_legend(page_t *p, const chart_t *c)
{
    double x = PLOT_LEFT, y = 38;
    for (int i = 0; i < c->nlines; i++) {
        const line_t *l = &c->line[i];
        double w = legend_width(l->label);
        if (x > PLOT_LEFT && x + w > PLOT_RIGHT) x = PLOT_LEFT, y += LEGEND_ROW;
        putf(p,
             "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
             "stroke-width=\"3\"%s/><text x=\"%.1f\" y=\"%.1f\">",
             x, y - 4, x + 18, y - 4, l->color, l->dashed ? " stroke-dasharray=\"5 3\"" : "",
             x + 24, y);
        put_esc_max(p, l->label, 40);
        put(p, "</text>\n");
        x += w;
    }
}

/* The opening of the SVG element with the chart's title. */
static void chart_open(page_t *p, const chart_t *c)
{
    /* Only a viewBox and width 100%: the chart takes the page's width and
     * keeps its proportions. */
    putf(p,
         "<svg class=\"chart\" id=\"chart-%s\" viewBox=\"0 0 %.0f %.0f\" width=\"100%%\" "
         "preserveAspectRatio=\"xMidYMid meet\" role=\"img\" aria-label=\"",
         c->id, SVG_W, c->h);
    put_esc(p, c->title);
    put(p, "\">\n<title>");
    put_esc(p, c->title);
    putf(p, "</title>\n<text class=\"title\" x=\"%.1f\" y=\"20\">", PLOT_LEFT);
    put_esc(p, c->title);
    put(p, "</text>\n");
}

/* The y axis: gridlines and tick labels. */
static void chart_y_ticks(page_t *p, const chart_t *c)
{
    text_t t;
    for (int k = 0; k <= tick_count(&c->y); k++) {
        double v = k * c->y.step, y = py(c, v);
        fmt_tick(t, v);
        putf(p,
             "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
             "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
             PLOT_LEFT, y, PLOT_RIGHT, y, PLOT_LEFT - 6, y + 4, t);
    }
}

/* The x axis: gridlines and tick labels. */
static void chart_x_ticks(page_t *p, const chart_t *c)
{
    double bottom = py(c, 0);
    text_t t;
    for (int k = 0; k <= tick_count(&c->x); k++) {
        double v = k * c->x.step, x = px(c, v);
        if (c->x.percentile)
            fmt_percentile_tick(t, k);
        else
            fmt_tick(t, v);
        putf(p,
             "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
             "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
             x, c->top, x, bottom, x, bottom + 16, t);
    }
}

/* The axis lines and their names. */
static void chart_axes(page_t *p, const chart_t *c)
{
    double bottom = py(c, 0), middle = (c->top + bottom) / 2;
    putf(p, "<path class=\"axis\" d=\"M%.1f %.1fV%.1fH%.1f\"/>\n", PLOT_LEFT, c->top, bottom,
         PLOT_RIGHT);
    putf(p, "<text class=\"label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
         (PLOT_LEFT + PLOT_RIGHT) / 2, c->h - 14);
    put_esc(p, c->xlabel);
    putf(p,
         "</text>\n<text class=\"label\" transform=\"translate(18 %.1f) rotate(-90)\" "
         "text-anchor=\"middle\">",
         middle);
    put_esc(p, c->ylabel);
    put(p, "</text>\n");
}

/* Points from..to-1 of a line, without a break: a polyline, or a dot for a
 * single point. Repeated coordinates are written once. */
static void chart_run(page_t *p, const chart_t *c, const line_t *l, size_t from, size_t to)
{
    if (to - from == 1) {
        putf(p, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n", px(c, l->x[from]),
             py(c, l->y[from]), l->color);
        return;
    }
    putf(p, "<polyline class=\"ln\" stroke=\"%s\"%s points=\"", l->color,
         l->dashed ? " stroke-dasharray=\"7 5\"" : "");
    text_t last = "", xy;
    for (size_t i = from; i < to; i++) {
        snprintf(xy, sizeof xy, "%.1f,%.1f", px(c, l->x[i]), py(c, l->y[i]));
        if (strcmp(xy, last) == 0) continue;
        putf(p, "%s%s", last[0] ? " " : "", xy);
        strcpy(last, xy);
    }
    put(p, "\"/>\n");
}

/* A line, broken where points are missing. */
static void chart_line(page_t *p, const chart_t *c, const line_t *l)
{
    size_t i = 0;
    while (i < l->n) {
        if (l->skip && l->skip[i]) {
            i++;
            continue;
        }
        size_t j = i + 1;
        while (j < l->n && !(l->skip && l->skip[j]))
            j++;
        chart_run(p, c, l, i, j);
        i = j;
    }
}

/* A whole chart, or its frame saying "no data" when it has no line. */
static void chart_draw(page_t *p, chart_t *c)
{
    chart_layout(c);
    chart_open(p, c);
    if (c->nlines == 0) {
        putf(p,
             "<rect class=\"axis\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n"
             "<text class=\"nodata\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">no data"
             "</text>\n",
             PLOT_LEFT, c->top, PLOT_RIGHT - PLOT_LEFT, plot_bottom(c) - c->top,
             (PLOT_LEFT + PLOT_RIGHT) / 2, (c->top + plot_bottom(c)) / 2 + 5);
    } else {
        chart_y_ticks(p, c);
        chart_x_ticks(p, c);
        chart_axes(p, c);
        for (int i = 0; i < c->nlines; i++)
            chart_line(p, c, &c->line[i]);
        chart_legend(p, c);
    }
    put(p, "</svg>\n");
}

/* Adds a line to a chart, in color or else the palette's next one
 * (quietly ignored past CHART_LINES). */
static void chart_add(chart_t *c, const char *label, const char *color, size_t n, const double *x,
                      const double *y, const unsigned char *skip)
{
    if (c->nlines == CHART_LINES) return;
    c->line[c->nlines] = (line_t){label, color ? color : palette[c->nlines], n, x, y, skip, 0};
    c->nlines++;
}

/* The largest of n values where skip is not set (0 for none). */
static double max_of(size_t n, const double *v, const unsigned char *skip)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        if (!(skip && skip[i]) && v[i] > m) m = v[i];
    return m;
}

/* A latency unit for values up to max seconds: its name and its scale. */
static double latency_unit(double max, const char **name)
{
    *name = max < 1e-3 ? "us" : max < 1 ? "ms" : "s";
    return max < 1e-3 ? 1e6 : max < 1 ? 1e3 : 1;
}

/* ------------------------------------------------------------ per second */

/* The "series" as columns, cut to the run's whole seconds; unmeasured[i]
 * is 1 for seconds without a response, whose percentiles mean nothing. */
typedef struct {
    size_t n;
    double *t, *requests, *failures, *p50, *p90, *p99;
    double *target, *achieved, *dropped; /* the load, planned and achieved */
    unsigned char *unmeasured;
    double *mem;
    double left_out; /* seconds at the run's end not charted (a partial last second) */
    double scale;    /* 1, or 1/length when the only second charted is shorter than one */
} seconds_t;

#define SECOND_COLUMNS 9

/* Within this of a whole number of seconds, a run's length counts as whole:
 * a 10 s run stops a few milliseconds after 10 s. */
#define WHOLE_SLACK 0.05

/* How many points of the series the charts draw, and how: every second
 * that ended within the run. The second that was still going when the run
 * stopped (a 10.003 s run's 11th, holding 3 ms of requests) would read as
 * a fall to nearly nothing: it is left out (the tables count it). A run
 * shorter than a second keeps its one second, as a rate over its real
 * length (scale). */
static size_t seconds_kept(const cJSON *series, double elapsed, double *left_out, double *scale)
{
    const cJSON *e;
    size_t n = 0, all = 0;
    double whole = floor(elapsed + WHOLE_SLACK);
    *left_out = 0, *scale = 1;
    cJSON_ArrayForEach(e, series)
    {
        all++;
        if (!(elapsed > 0) || num(e, "t") <= whole) n = all;
    }
    if (!(elapsed > 0) || n == all) return n;
    if (n == 0 && all > 0 && num(cJSON_GetArrayItem(series, 0), "t") <= 1) {
        *scale = 1 / elapsed; /* elapsed is below 1 - WHOLE_SLACK here */
        return 1;
    }
    *left_out = elapsed - whole;
    return n;
}

/* Reads the series into columns; 0, or -1 when memory runs out. */
static int seconds_read(seconds_t *s, const cJSON *series, double elapsed)
{
    const cJSON *e;
    size_t i = 0;
    memset(s, 0, sizeof *s);
    size_t n = seconds_kept(series, elapsed, &s->left_out, &s->scale);
    if (n == 0) return 0;
    s->mem = malloc(n * (SECOND_COLUMNS * sizeof(double) + 1));
    if (!s->mem) return -1;
    double **cols[SECOND_COLUMNS] = {&s->t,   &s->requests, &s->failures, &s->p50,    &s->p90,
                                     &s->p99, &s->target,   &s->achieved, &s->dropped};
    for (int k = 0; k < SECOND_COLUMNS; k++)
        *cols[k] = s->mem + (size_t)k * n;
    s->unmeasured = (unsigned char *)(s->mem + SECOND_COLUMNS * n);
    cJSON_ArrayForEach(e, series)
    {
        if (i == n) break;
        s->t[i] = num(e, "t"), s->requests[i] = num(e, "requests") * s->scale;
        s->failures[i] = num(e, "failures") * s->scale, s->p50[i] = num(e, "p50");
        s->p90[i] = num(e, "p90"), s->p99[i] = num(e, "p99");
        s->target[i] = num(e, "target"), s->achieved[i] = num(e, "achieved");
        s->dropped[i] = num(e, "dropped") * s->scale;
        /* timed-out requests have latencies too */
        s->unmeasured[i] = !(num(e, "requests") > 0) && !(num(e, "max") > 0);
        i++;
    }
    s->n = i;
    return 0;
}

/* A time axis from 0 to the last second charted, exactly: it ends where
 * the data does, with ticks at round seconds. */
static void axis_time(axis_t *a, const seconds_t *s)
{
    double last = s->n ? s->t[s->n - 1] : 0;
    a->percentile = 0;
    a->hi = last > 0 ? last : 1;
    a->step = nice_step(a->hi / 8);
    if (a->step < 1) a->step = 1;
}

/* Each group's requests per second, as columns beside the run's: read from
 * a group's own "series" ([{"t", "requests", "failures"}, ...]) when the
 * report has one; seconds a group's series lacks break its line. */
typedef struct {
    int n;
    const char *label[CHART_LINES];
    double *requests[CHART_LINES];
    unsigned char *skip[CHART_LINES];
    void *mem;
} group_rates_t;

/* The index of second t among s's, or -1. */
static long second_index(const seconds_t *s, double t)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->t[mid] < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->n && s->t[lo] == t ? (long)lo : -1;
}

/* Fills gr when there are several groups and each has a series; 0, or -1
 * when memory runs out. */
static int group_rates_read(group_rates_t *gr, const cJSON *r, const seconds_t *s, int ngroups)
{
    const cJSON *g, *e;
    memset(gr, 0, sizeof *gr);
    if (ngroups < 2 || s->n == 0) return 0;
    cJSON_ArrayForEach(g, field(r, "groups"))
    {
        if (!cJSON_IsArray(field(g, "series"))) return 0;
    }
    int n = ngroups < CHART_LINES - 1 ? ngroups : CHART_LINES - 1; /* and the run's line */
    char *mem = malloc((size_t)n * s->n * (sizeof(double) + 1));
    if (!mem) return -1;
    gr->mem = mem;
    cJSON_ArrayForEach(g, field(r, "groups"))
    {
        if (gr->n == n) break;
        double *y = (double *)(void *)mem + (size_t)gr->n * s->n;
        unsigned char *skip =
            (unsigned char *)(mem + (size_t)n * s->n * sizeof(double)) + (size_t)gr->n * s->n;
        memset(skip, 1, s->n);
        cJSON_ArrayForEach(e, field(g, "series"))
        {
            long i = second_index(s, num(e, "t"));
            if (i < 0) continue;
            y[i] = num(e, "requests") * s->scale;
            skip[i] = 0;
        }
        gr->label[gr->n] = str(g, "name");
        gr->requests[gr->n] = y;
        gr->skip[gr->n] = skip;
        gr->n++;
    }
    return 0;
}

/* Requests (and failures, when there were some) in each second: the run's
 * and, with several groups whose series the report has, each group's. */
static void chart_rate(page_t *p, const seconds_t *s, const group_rates_t *gr)
{
    chart_t c = {.id = "rate",
                 .title = "Requests per second",
                 .xlabel = "seconds since the start",
                 .ylabel = "requests per second"};
    if (s->n) {
        double top = max_of(s->n, s->requests, NULL), failed = max_of(s->n, s->failures, NULL);
        axis_time(&c.x, s);
        axis_fit(&c.y, top > failed ? top : failed, 1);
        chart_add(&c, gr->n ? "all groups" : "requests", "#0969da", s->n, s->t, s->requests, NULL);
        for (int k = 0; k < gr->n; k++)
            chart_add(&c, gr->label[k], palette[(k + 2) % CHART_LINES], s->n, s->t, gr->requests[k],
                      gr->skip[k]);
        if (failed > 0) chart_add(&c, "failures", "#cf222e", s->n, s->t, s->failures, NULL);
    }
    chart_draw(p, &c);
}

/* p50, p90 and p99 of each second with responses. */
static void chart_latency(page_t *p, seconds_t *s)
{
    chart_t c = {.id = "latency",
                 .title = "Latency percentiles per second",
                 .xlabel = "seconds since the start"};
    const char *unit;
    text_t ylabel;
    double *cols[] = {s->p50, s->p90, s->p99}, max = 0;
    for (int k = 0; k < 3; k++) {
        double m = max_of(s->n, cols[k], s->unmeasured);
        max = m > max ? m : max;
    }
    double scale = latency_unit(max, &unit);
    snprintf(ylabel, sizeof ylabel, "latency (%s)", unit);
    c.ylabel = ylabel;
    if (max > 0 || max_of(s->n, s->requests, NULL) > 0) {
        for (int k = 0; k < 3; k++)
            for (size_t i = 0; i < s->n; i++)
                cols[k][i] *= scale;
        axis_time(&c.x, s);
        axis_fit(&c.y, max * scale, 0);
        chart_add(&c, "p50", "#0969da", s->n, s->t, s->p50, s->unmeasured);
        chart_add(&c, "p90", "#bf8700", s->n, s->t, s->p90, s->unmeasured);
        chart_add(&c, "p99", "#cf222e", s->n, s->t, s->p99, s->unmeasured);
    }
    chart_draw(p, &c);
}

/* The load as planned (target: clients, or arrivals per second) against
 * the load achieved (clients busy, or arrivals taken per second), and the
 * arrivals dropped: drawn when the series says anything of the load. */
static void chart_load(page_t *p, const seconds_t *s)
{
    double target = max_of(s->n, s->target, NULL), achieved = max_of(s->n, s->achieved, NULL),
           dropped = max_of(s->n, s->dropped, NULL);
    if (!(target > 0) && !(achieved > 0) && !(dropped > 0)) return;
    chart_t c = {.id = "load",
                 .title = "Load: planned and achieved",
                 .xlabel = "seconds since the start",
                 .ylabel = "clients, or arrivals per second"};
    double top = target > achieved ? target : achieved;
    axis_time(&c.x, s);
    axis_fit(&c.y, top > dropped ? top : dropped, 1);
    chart_add(&c, "target", "#6e7781", s->n, s->t, s->target, NULL);
    chart_add(&c, "achieved", "#1a7f37", s->n, s->t, s->achieved, NULL);
    c.line[1].dashed = 1; /* the target often is what was achieved: it shows through */
    if (dropped > 0) chart_add(&c, "dropped", "#cf222e", s->n, s->t, s->dropped, NULL);
    chart_draw(p, &c);
}

/* ------------------------------------------------------------ distribution */

/* A histogram bucket [low_ns, high_ns, count]; 0 when it is not one. */
static int bucket_of(const cJSON *b, double *low, double *high, double *count)
{
    const cJSON *v[3];
    if (!cJSON_IsArray(b) || cJSON_GetArraySize(b) < 3) return 0;
    for (int k = 0; k < 3; k++) {
        v[k] = cJSON_GetArrayItem(b, k);
        if (!cJSON_IsNumber(v[k]) || !isfinite(v[k]->valuedouble)) return 0;
    }
    *low = v[0]->valuedouble, *high = v[1]->valuedouble, *count = v[2]->valuedouble;
    return *count > 0;
}

/* The values a histogram's buckets hold and the highest bound (ns). */
static double hist_total(const cJSON *hist, double *max_ns)
{
    const cJSON *b;
    double total = 0, low, high, count;
    cJSON_ArrayForEach(b, field(hist, "buckets"))
    {
        if (!bucket_of(b, &low, &high, &count)) continue;
        total += count;
        if (high > *max_ns) *max_ns = high;
    }
    return isfinite(total) ? total : 0;
}

/* A histogram as its percentile curve: (0, the lowest value), then each
 * bucket's high bound at -log10(1 - q), q the share of values up to it.
 * The last bucket (q = 1) goes where the last of total values lies,
 * 1 - 1/total. x and y have room for a point per bucket and one; returns
 * the points written. */
static size_t hist_points(const cJSON *hist, double total, double scale, double *x, double *y)
{
    const cJSON *b;
    double below = 0, low, high, count;
    size_t n = 0;
    cJSON_ArrayForEach(b, field(hist, "buckets"))
    {
        if (!bucket_of(b, &low, &high, &count)) continue;
        if (n == 0) x[0] = 0, y[0] = low * 1e-9 * scale, n++;
        below += count;
        double above = total - below;
        x[n] = log10(total / (above >= 1 ? above : 1));
        y[n] = high * 1e-9 * scale;
        n++;
    }
    return n;
}

/* 1 when a histogram holds values and differs from the latency's. */
static int worth_drawing(const cJSON *h, const cJSON *latency)
{
    static const char *const keys[] = {"count", "mean", "p50", "p99", "max"};
    if (!(num(h, "count") > 0)) return 0;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (num(h, keys[i]) != num(latency, keys[i])) return 1;
    return 0;
}

/* A distribution chart: which histogram of the statistics it draws. */
typedef struct {
    const char *id, *key, *title, *all, *yname, *none;
} dist_kind_t;

static const dist_kind_t dist_latency = {"latency-distribution", "latency", "Latency by percentile",
                                         "all requests",         "latency", NULL};
static const dist_kind_t dist_ttfb = {
    "ttfb-distribution",  "ttfb", "Time to first byte by percentile", "all responses",
    "time to first byte", NULL};
static const dist_kind_t dist_connect = {
    "connect-distribution", "connect",      "Connect time by percentile",
    "all connections",      "connect time", NULL};
static const dist_kind_t dist_tls = {
    "tls-distribution",
    "tls",
    "TLS handshake time by percentile",
    "all handshakes",
    "handshake time",
    "No TLS handshake time chart: no group made a TLS handshake (plain http)."};

/* The histograms a distribution chart draws: the run's, for the latency
 * its service time and corrected latency when they say something else, and
 * each group's when there are several and it differs from the run's. */
static int distribution_sources(const cJSON *r, int ngroups, const dist_kind_t *k,
                                const cJSON **hist, const char **label)
{
    const cJSON *g, *tot = field(r, "totals"), *run = field(tot, k->key);
    int n = 0;
    hist[n] = run, label[n++] = k->all;
    if (k == &dist_latency) {
        if (worth_drawing(field(tot, "service"), run))
            hist[n] = field(tot, "service"), label[n++] = "service time";
        if (worth_drawing(field(tot, "corrected"), run))
            hist[n] = field(tot, "corrected"), label[n++] = "corrected";
    }
    if (ngroups < 2) return n;
    cJSON_ArrayForEach(g, field(r, "groups"))
    {
        const cJSON *h = field(field(g, "totals"), k->key);
        if (n == CHART_LINES) break;
        /* a group with nothing, or with all of it (the only one making TLS
         * handshakes), would add no line of its own */
        if (worth_drawing(h, run)) hist[n] = h, label[n++] = str(g, "name");
    }
    return n;
}

/* Fills the chart with one line per histogram holding values, into mem
 * (room for every bucket plus one per histogram, twice). */
static void distribution_lines(chart_t *c, int n, const cJSON **hist, const char **label,
                               double *mem, size_t room, double scale)
{
    double *x = mem, *y = mem + room, max_ns = 0;
    for (int k = 0; k < n; k++) {
        double total = hist_total(hist[k], &max_ns);
        if (!(total > 0)) continue;
        size_t np = hist_points(hist[k], total, scale, x, y);
        chart_add(c, label[k], NULL, np, x, y, NULL);
        x += np, y += np;
    }
}

/* A distribution of the run (latency, time to first byte, connect or TLS
 * handshake time): time against percentile, on an axis where each further
 * nine takes the same room. A kind with a "none" text says it instead of
 * drawing an empty chart. */
static void chart_distribution(page_t *p, const cJSON *r, const dist_kind_t *k)
{
    chart_t c = {.id = k->id, .title = k->title, .xlabel = "percentile"};
    const cJSON *hist[CHART_LINES];
    const char *label[CHART_LINES], *unit;
    double max_ns = 0, most = 0;
    size_t room = 0;
    int n = distribution_sources(r, p->ngroups, k, hist, label);
    for (int i = 0; i < n; i++) {
        double total = hist_total(hist[i], &max_ns);
        most = total > most ? total : most;
        room += (size_t)cJSON_GetArraySize(field(hist[i], "buckets")) + 1;
    }
    if (!(most > 0) && k->none) {
        put(p, "<p class=\"none\">");
        put(p, k->none);
        put(p, "</p>\n");
        return;
    }
    double scale = latency_unit(max_ns * 1e-9, &unit), *mem = NULL;
    text_t ylabel;
    snprintf(ylabel, sizeof ylabel, "%s (%s)", k->yname, unit);
    c.ylabel = ylabel;
    if (most > 0 && !(mem = malloc(2 * room * sizeof *mem))) p->failed = 1;
    if (mem) {
        distribution_lines(&c, n, hist, label, mem, room, scale);
        double decades = log10(most); /* where the last value lies */
        c.x = (axis_t){decades < 4 ? 4 : decades > MAX_DECADES ? MAX_DECADES : decades, 1, 1};
        axis_fit(&c.y, max_ns * 1e-9 * scale, 0);
    }
    chart_draw(p, &c);
    free(mem);
}

/* 1 when every group runs the same load model, so that the run's
 * per-second targets add up things of one kind. */
static int one_model(const cJSON *r)
{
    const cJSON *g;
    const char *first = NULL;
    cJSON_ArrayForEach(g, field(r, "groups"))
    {
        const char *m = str(field(g, "load"), "model");
        if (!first) first = m;
        if (strcmp(first, m) != 0) return 0;
    }
    return 1;
}

/* What the per-second charts leave out, said under the heading. */
static void charts_note(page_t *p, const seconds_t *s, const group_rates_t *gr)
{
    if (s->left_out > 0)
        putf(p,
             "<p class=\"none\">The per-second charts end at the run's last whole second: "
             "its last %.3fs, a second cut short when the run stopped, is left out of them "
             "(the tables count it).</p>\n",
             s->left_out);
    if (s->scale != 1)
        put(p, "<p class=\"none\">The run lasted less than a second: its counts per second "
               "are a rate over its real length.</p>\n");
    if (p->ngroups > 1 && gr->n == 0 && s->n)
        put(p, "<p class=\"none\">The report holds no series per group: the requests per "
               "second are every group's together.</p>\n");
}

/* The charts: requests, the load when there is one, latency per second,
 * then the distributions of latency, time to first byte, connect and TLS
 * handshake times. */
static void charts(page_t *p, const cJSON *r)
{
    seconds_t s;
    group_rates_t gr;
    put(p, "<h2>Charts</h2>\n");
    if (seconds_read(&s, field(r, "series"), num(r, "elapsed")) != 0 ||
        group_rates_read(&gr, r, &s, p->ngroups) != 0) {
        free(s.mem);
        p->failed = 1;
        return;
    }
    charts_note(p, &s, &gr);
    chart_rate(p, &s, &gr);
    if (one_model(r))
        chart_load(p, &s);
    else
        put(p, "<p class=\"none\">No chart of the load planned and achieved: the groups mix "
               "the open model (arrivals per second) and the closed one (clients), which the "
               "run's series adds up.</p>\n");
    chart_latency(p, &s);
    chart_distribution(p, r, &dist_latency);
    chart_distribution(p, r, &dist_ttfb);
    chart_distribution(p, r, &dist_connect);
    chart_distribution(p, r, &dist_tls);
    free(gr.mem);
    free(s.mem);
}

/* ------------------------------------------------------------ the report */

int throng__render_html(const cJSON *report, throng__buf_t *out, char *err)
{
    if (check_report(report, err) != 0) return -1;
    size_t start = out->len;
    page_t p = {out, cJSON_GetArraySize(field(report, "groups")), 0};
    page_open(&p, report);
    header(&p, report);
    settings_table(&p, report);
    groups_tables(&p, report);
    summary_tables(&p, report);
    charts(&p, report);
    status_table(&p, report);
    faults_table(&p, report);
    thresholds_table(&p, report);
    processes_section(&p, report);
    page_close(&p, report);
    if (p.failed) {
        out->len = start;
        return throng__fail(err, -1, "out of memory while drawing the HTML report");
    }
    return 0;
}
